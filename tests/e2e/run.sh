#!/bin/bash
# Start one node on 127.0.0.1 (discovery off) serving the web UI, with a
# nurse in a ward of invented patients, and run the browser test
# tests/e2e/ui.mjs against it. Needs chromium and the npm packages of web/
# (make web). No root, no namespace.
set -u
cd "$(dirname "$0")/../.."
WL=node/wardline
WLNODE=${WLNODE:-node/wardline-node}
work=$(mktemp -d /tmp/wardline-e2e.XXXXXX)
pid=""
trap '[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

if [ ! -x /usr/bin/chromium ] || [ ! -d web/node_modules/playwright-core ]; then
	echo "e2e: needs /usr/bin/chromium and 'make web'" >&2
	exit 1
fi
peer_port=$((30000 + $$ % 10000))
http_port=$((peer_port + 1))

"$WL" init-site --site-dir "$work/site" >/dev/null
"$WL" enroll --site-dir "$work/site" --data-dir "$work/n1" --name tablet-1 \
	>/dev/null
printf 'correct horse battery staple\n' >"$work/alice.pw"
printf 'night shift on ward four\n' >"$work/nina.pw"
"$WL" user add --data-dir "$work/n1" --site-dir "$work/site" \
	--username alice --display-name "Alice Admin" --role admin \
	--password-file "$work/alice.pw" >/dev/null
as_alice() {
	"$WL" "$@" --data-dir "$work/n1" --as alice \
		--password-file "$work/alice.pw" >/dev/null 2>&1
}
as_alice space create --kind audit --name Audit
"$WL" user add --data-dir "$work/n1" --admin alice \
	--admin-password-file "$work/alice.pw" --username nina \
	--display-name "Nina Nurse" --role nurse \
	--password-file "$work/nina.pw" >/dev/null
printf 'pharmacy counter at noon\n' >"$work/paul.pw"
"$WL" user add --data-dir "$work/n1" --admin alice \
	--admin-password-file "$work/alice.pw" --username paul \
	--display-name "Paul Pharmacist" --role pharmacist \
	--password-file "$work/paul.pw" >/dev/null
printf 'charge nurse on ward four\n' >"$work/carla.pw"
"$WL" user add --data-dir "$work/n1" --admin alice \
	--admin-password-file "$work/alice.pw" --username carla \
	--display-name "Carla Charge" --role charge_nurse \
	--password-file "$work/carla.pw" >/dev/null
printf 'compliance review each quarter\n' >"$work/cora.pw"
"$WL" user add --data-dir "$work/n1" --admin alice \
	--admin-password-file "$work/alice.pw" --username cora \
	--display-name "Cora Compliance" --role compliance_officer \
	--password-file "$work/cora.pw" >/dev/null
as_alice space add --space Audit --user cora
as_alice space create --kind ward --name "4 West"
as_alice space add --space "4 West" --user nina
as_alice space add --space "4 West" --user carla
as_alice space create --kind role_mailbox --name Pharmacy
as_alice space add --space Pharmacy --user nina
as_alice space add --space Pharmacy --user paul
patients=0
while IFS='|' read -r bed name age sex severity problems; do
	printf 'name=%s\nbed=%s\nage=%s\nsex=%s\nseverity=%s\nproblems=%s\n' \
		"$name" "$bed" "$age" "$sex" "$severity" "$problems" \
		>"$work/p"
	"$WL" ward set --data-dir "$work/n1" --space "4 West" \
		--entity "patient/p$bed" --fields-file "$work/p" --as nina \
		--password-file "$work/nina.pw" >/dev/null
	patients=$((patients + 1))
done <<'LIST'
3|Maribel Tennyfield|67|female|stable|Heart failure; type 2 diabetes
4|Hollis Quarrington|81|male|watcher|Pneumonia; atrial fibrillation
5|Oren Lachapelle|45|male|unstable|Sepsis, urinary source
LIST

printf '[session]\nidle_seconds = 25\nthrottle_base_ms = 0\nlockout_failures = 3\n[messages]\nrealert_seconds = 4\nescalate_seconds = 8\n' \
	>"$work/node.conf"
"$WLNODE" --config "$work/node.conf" --data-dir "$work/n1" \
	--discovery off --listen 127.0.0.1 --peer-port "$peer_port" \
	--http-port "$http_port" --web-root "$PWD/build/web" \
	>"$work/node.log" 2>&1 &
pid=$!
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$http_port/status" && break
	sleep 0.1
done

printf 'Written on another screen: bed 5 lactate 4.1\n' >"$work/live.txt"
WL_BASE="http://127.0.0.1:$http_port" WL_NURSE_PW="night shift on ward four" \
	WL_PHARMACIST_PW="pharmacy counter at noon" \
	WL_CHARGE_PW="charge nurse on ward four" \
	WL_ADMIN_PW="correct horse battery staple" \
	WL_COMPLIANCE_PW="compliance review each quarter" \
	WL_PATIENTS=$patients WL_PROFILE="$work/profile" \
	WL_DATA="$work/n1" WL_NURSE_PWFILE="$work/nina.pw" \
	WL_LIVE_TEXT="$work/live.txt" node tests/e2e/ui.mjs
