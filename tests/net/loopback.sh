#!/bin/bash
# Two nodes on 127.0.0.1 with discovery off and static peers: they link,
# backfill each other, push live appends, and end with identical logs.
# Needs no root and no namespace. WLNODE may name another wardline-node
# binary (the sanitizer build).
set -u
cd "$(dirname "$0")/../.."
WL=node/wardline
WLNODE=${WLNODE:-node/wardline-node}
work=$(mktemp -d /tmp/wardline-loopback.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	[ "${KEEP:-0}" = 1 ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT
passed=0
failed=0
check() {
	if "${@:2}"; then
		echo "ok: $1"
		passed=$((passed + 1))
	else
		echo "FAILED: $1"
		failed=$((failed + 1))
	fi
}

# Ports from the process id, so that two runs do not collide.
base=$((20000 + ($$ % 2000) * 6))
pa=$base pb=$((base + 1)) ha=$((base + 2)) hb=$((base + 3))
pc=$((base + 4)) hc=$((base + 5))

"$WL" init-site --site-dir "$work/site" >/dev/null
for n in a b c; do
	"$WL" enroll --site-dir "$work/site" --data-dir "$work/$n" \
		--name "loop-$n" >/dev/null
done
"$WL" append --data-dir "$work/a" --count 600 --batch 100 >/dev/null
"$WL" append --data-dir "$work/b" --count 400 --batch 100 >/dev/null

start() {
	"$WLNODE" --data-dir "$work/$1" --discovery off --listen 127.0.0.1 \
		--peer-port "$2" --http-port "$3" --peer "127.0.0.1:$4" \
		>>"$work/$1.log" 2>&1 &
	pids+=($!)
}
start a "$pa" "$ha" "$pb"
start b "$pb" "$hb" "$pa"

digest() { "$WL" log --data-dir "$work/$1" --ids | sort | sha256sum; }
same() { [ "$(digest a)" = "$(digest b)" ]; }
count() { "$WL" log --data-dir "$work/$1" --ids | wc -l; }
wait_for() {
	for _ in $(seq 1 100); do "$@" && return 0; sleep 0.1; done
	return 1
}
linked() {
	"$WL" status --http-port "$ha" 2>/dev/null | grep -q "name=loop-b"
}

check "nodes link" wait_for linked
check "backfill converges" wait_for same
check "1002 events on a" test "$(count a)" -eq 1002
"$WL" append --data-dir "$work/a" --count 50 >/dev/null
"$WL" append --data-dir "$work/b" --count 50 >/dev/null
check "live appends converge" wait_for same
check "1102 events on b" test "$(count b)" -eq 1102
check "store of a verifies" "$WL" verify --data-dir "$work/a" >/dev/null
check "store of b verifies" "$WL" verify --data-dir "$work/b" >/dev/null
check "metrics served" sh -c "'$WL' status --metrics --http-port $ha |
	grep -q '^wardline_peers 1'"

# SIGHUP: node c starts with no peer; its configuration file then gets a
# static peer, and the reload makes it link.
cat >"$work/c.conf" <<CONF
[node]
data_dir = $work/c
[peer]
port = $pc
listen = 127.0.0.1
[discovery]
backend = off
[http]
port = $hc
CONF
"$WLNODE" --config "$work/c.conf" >>"$work/c.log" 2>&1 &
pids+=($!)
c_linked() {
	"$WL" status --http-port "$hc" 2>/dev/null | grep -q "name=loop-a"
}
sleep 1
check "node c alone before the reload" sh -c "'$WL' status --http-port $hc |
	grep -q '^peers 0'"
printf '[peer]\nstatic = 127.0.0.1:%s\n' "$pa" >>"$work/c.conf"
kill -HUP "${pids[2]}"
check "SIGHUP adds the static peer" wait_for c_linked
same_c() { [ "$(digest a)" = "$(digest c)" ]; }
check "node c converges" wait_for same_c

for p in "${pids[@]}"; do kill -TERM "$p"; done
wait
pids=()
check "clean shutdown logged" grep -q "stopped$" "$work/a.log"
if [ "$failed" -ne 0 ]; then
	tail -n 20 "$work/a.log" "$work/b.log"
fi
echo "loopback: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
