#!/bin/bash
# needs: root
# End-to-end encrypted spaces across three nodes. An admin on node 1 makes
# the audit space and a ward, and a nurse posts about patients. Members
# read the messages on every node. A pharmacist who is not a member is
# rejected, and the rejection is in the audit trail. A hundred wrong
# passwords lock an account, and each attempt is audited. Node 3 is then
# revoked: the next message rotates the ward's key and reaches node 2 but
# not node 3. Finally no patient name, message text or password appears
# in any data directory or log.
. "$(dirname "$0")/lib.sh"

DATA=${WARDLINE_DATA:-$NET_ROOT/../shared/data}

net_setup 3 || exit 1
for i in 1 2 3; do net_start "$i"; done
all_linked() {
	for i in 1 2 3; do
		[ "$(net_peers "$i")" -eq 2 ] || return 1
	done
}
net_check "three nodes link" net_until 10 all_linked

# Patient names: invented ones, and real synthetic ones from the shared
# Synthea records where that folder exists.
names=("Hollis Quarrington" "Maribel Tennyfield")
if [ -d "$DATA/fhir" ]; then
	while IFS= read -r n; do names+=("$n"); done < <(python3 - "$DATA/fhir" <<'PY'
import json, os, sys
d = sys.argv[1]
for f in sorted(os.listdir(d))[:3]:
    for e in json.load(open(os.path.join(d, f))).get("entry", []):
        r = e.get("resource", {})
        if r.get("resourceType") == "Patient":
            n = r["name"][0]
            print(" ".join(n.get("given", [])[:1] + [n["family"]]))
            break
PY
)
else
	echo "note: $DATA/fhir is absent; using invented patient names only"
fi

pw() { printf '%s\n' "$2" >"$NET_WORK/$1.pw"; }
pw admin 'correct horse battery staple'
pw nina 'night shift on ward four'
pw nora 'evening shift on ward four'
pw paul 'pharmacy counter at noon'
pw wrong 'not the right password at all'
printf '[session]\nthrottle_base_ms = 0\nlockout_failures = 10\n' \
	>"$NET_WORK/cli.conf"
wl() { "$WL" --config "$NET_WORK/cli.conf" "$@"; }
as() { # as USER NODE COMMAND...: run COMMAND on node NODE as USER
	local user=$1 node=$2
	shift 2
	wl "$@" --data-dir "$NET_WORK/n$node" --as "$user" \
		--password-file "$NET_WORK/$user.pw"
}

wl user add --data-dir "$NET_WORK/n1" --site-dir "$NET_WORK/site" \
	--username alice --display-name "Alice Admin" --role admin \
	--password-file "$NET_WORK/admin.pw" >/dev/null
for u in nina:nurse nora:nurse paul:pharmacist; do
	wl user add --data-dir "$NET_WORK/n1" --admin alice \
		--admin-password-file "$NET_WORK/admin.pw" \
		--username "${u%%:*}" --display-name "User ${u%%:*}" \
		--role "${u##*:}" --password-file "$NET_WORK/${u%%:*}.pw" \
		>/dev/null
done
ln -sf admin.pw "$NET_WORK/alice.pw"
net_check "admin creates the audit space" \
	as alice 1 space create --kind audit --name Audit
net_check "admin creates a ward" as alice 1 space create --kind ward \
	--name "4 West"
for u in nina nora; do
	net_check "admin adds $u to the ward" as alice 1 space add \
		--space "4 West" --user "$u"
done

i=0
for n in "${names[@]}"; do
	i=$((i + 1))
	printf 'Bed %d: %s has a potassium of 5.9, recheck at 14:00\n' \
		"$i" "$n" >"$NET_WORK/msg$i.txt"
	as nina 1 message post --space "4 West" \
		--text-file "$NET_WORK/msg$i.txt" >/dev/null
done
net_check "nurse posts ${#names[@]} messages on node 1" test "$i" -ge 2

read_all() { # read_all USER NODE: every message text is shown
	local out
	out=$(as "$1" "$2" message read --space "4 West" 2>/dev/null) ||
		return 1
	for n in "${names[@]}"; do
		grep -qF "$n has a potassium" <<<"$out" || return 1
	done
}
for node in 1 2 3; do
	net_check "a member reads every message on node $node" \
		net_until 10 read_all nora "$node"
done

net_check "non-member rejected on node 3" sh -c "! '$WL' --config \
	'$NET_WORK/cli.conf' message read --data-dir '$NET_WORK/n3' \
	--space '4 West' --as paul --password-file '$NET_WORK/paul.pw' \
	2>/dev/null"
denied_audited() {
	as alice 2 audit list --action access_denied 2>/dev/null |
		grep -q '"paul"'
}
net_check "rejection audited on node 2" \
	net_until 10 denied_audited

# Brute force: 100 wrong passwords against one account on node 2.
for ((k = 0; k < 100; k++)); do
	wl message read --data-dir "$NET_WORK/n2" --space "4 West" \
		--as nora --password-file "$NET_WORK/wrong.pw" 2>/dev/null
done
net_check "right password rejected after lockout" sh -c "! \
	'$WL' --config '$NET_WORK/cli.conf' message read --data-dir \
	'$NET_WORK/n2' --space '4 West' --as nora --password-file \
	'$NET_WORK/nora.pw' 2>/dev/null"
locked_on_3() {
	wl message read --data-dir "$NET_WORK/n3" --space "4 West" --as nora \
		--password-file "$NET_WORK/nora.pw" 2>&1 |
		grep -q "is locked after"
}
net_check "the lockout holds on node 3" net_until 10 locked_on_3
audit_counts() {
	as alice 1 audit list --user nora 2>/dev/null |
		cut -d, -f4 | sort | uniq -c >"$NET_WORK/nora.audit"
	grep -q ' 10 "login_failed"' "$NET_WORK/nora.audit" &&
		grep -q ' 1 "account_locked"' "$NET_WORK/nora.audit" &&
		# 90 guesses and the right password on nodes 2 and 3
		grep -q ' 92 "login_refused"' "$NET_WORK/nora.audit"
}
net_check "each of the 100 attempts is audited" net_until 15 audit_counts
net_check "an admin unlocks the account" wl user unlock \
	--data-dir "$NET_WORK/n1" --admin alice \
	--admin-password-file "$NET_WORK/admin.pw" --username nora
net_check "the unlocked nurse reads on node 2" net_until 10 read_all nora 2

# Revoke node 3. The next message rotates the key and does not reach it.
id3=$("$WL" id --data-dir "$NET_WORK/n3")
"$WL" revoke --site-dir "$NET_WORK/site" --data-dir "$NET_WORK/n1" \
	"$id3" >/dev/null
dropped() {
	[ "$(net_peers 1)" -eq 1 ] && [ "$(net_peers 2)" -eq 1 ]
}
net_check "nodes 1 and 2 drop node 3" net_until 10 dropped
printf 'After revocation: bed 2 moves to the step-down unit\n' \
	>"$NET_WORK/after.txt"
net_check "a message after the revocation rotates the key" sh -c "'$WL' \
	--config '$NET_WORK/cli.conf' message post --data-dir '$NET_WORK/n1' \
	--space '4 West' --as nina --password-file '$NET_WORK/nina.pw' \
	--text-file '$NET_WORK/after.txt' | grep -q 'rotated to epoch 2'"
after_on_2() {
	as nora 2 message read --space "4 West" 2>/dev/null |
		grep -q "step-down unit"
}
net_check "members on node 2 read it" net_until 10 after_on_2
sleep 2
last_id() { # last_id NODE KIND: short id of NODE's newest event of KIND
	"$WL" log --data-dir "$NET_WORK/n$1" | grep " $2 " | tail -1 |
		grep -o 'id=[0-9a-f]*'
}
msg=$(last_id 1 message)
rot=$(last_id 1 membership)
has() { "$WL" log --data-dir "$NET_WORK/n$1" | grep -q "$2"; }
on_2() { [ -n "$msg" ] && [ -n "$rot" ] && has 2 "$msg" && has 2 "$rot"; }
not_on_3() { ! has 3 "$msg" && ! has 3 "$rot"; }
net_check "node 2 holds the new message and the rotation" on_2
net_check "node 3 holds neither" not_on_3
net_check "nobody reads the new message on node 3" sh -c "! '$WL' \
	--config '$NET_WORK/cli.conf' message read --data-dir '$NET_WORK/n3' \
	--space '4 West' --as nina --password-file '$NET_WORK/nina.pw' \
	2>/dev/null | grep -q step-down"

# Nothing readable at rest: not in the stores, not in the logs.
patterns=(-e "potassium" -e "step-down" -e "shift on ward four"
	-e "correct horse" -e "pharmacy counter")
for n in "${names[@]}"; do patterns+=(-e "$n"); done
net_check "no patient name, message or password at rest" sh -c "! grep \
	-r -a -q $(printf "'%s' " "${patterns[@]}") '$NET_WORK'/n1 \
	'$NET_WORK'/n2 '$NET_WORK'/n3 '$NET_WORK'/n1.log '$NET_WORK'/n2.log \
	'$NET_WORK'/n3.log"
net_summary spaces
