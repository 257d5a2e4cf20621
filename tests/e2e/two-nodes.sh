#!/bin/bash
# needs: root
# Two browsers on two nodes: nodes A and B in network namespaces of their
# own on a private bridge, linked by mDNS. The outgoing nurse on A writes
# the I-PASS handoff for bed 4 with two actions. The incoming nurse on B
# must have it on screen within 2 s and acknowledges it, and then A must
# show the acknowledgment. Each
# browser runs inside its node's namespace and talks to 127.0.0.1 there.
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
. "$ROOT/tests/net/lib.sh"

net_setup 2 || exit 1
cfg="$NET_WORK/node.conf"
printf '[session]\nidle_minutes = 10\n' >"$cfg"
for i in 1 2; do
	net_start "$i" --config "$cfg" --web-root "$ROOT/build/web"
done
linked() { [ "$(net_peers 1)" -eq 1 ] && [ "$(net_peers 2)" -eq 1 ]; }
net_check "nodes A and B link by mDNS" net_until 15 linked

pw() { printf '%s\n' "$2" >"$NET_WORK/$1.pw"; }
pw alice 'correct horse battery staple'
pw olga 'evening shift on ward four'
pw ivan 'night shift on ward four'
"$WL" user add --data-dir "$NET_WORK/n1" --site-dir "$NET_WORK/site" \
	--username alice --display-name "Alice Admin" --role admin \
	--password-file "$NET_WORK/alice.pw" >/dev/null
as() { # as USER COMMAND...: on node A
	local user=$1
	shift
	"$WL" "$@" --data-dir "$NET_WORK/n1" --as "$user" \
		--password-file "$NET_WORK/$user.pw" >/dev/null 2>&1
}
as alice space create --kind audit --name Audit
for u in olga ivan; do
	"$WL" user add --data-dir "$NET_WORK/n1" --admin alice \
		--admin-password-file "$NET_WORK/alice.pw" --username "$u" \
		--display-name "Nurse $u" --role nurse \
		--password-file "$NET_WORK/$u.pw" >/dev/null
done
as alice space create --kind ward --name "4 West"
for u in olga ivan; do as alice space add --space "4 West" --user "$u"; done
printf 'name=Hollis Quarrington\nbed=4\nage=81\nsex=male\n' >"$NET_WORK/p4"
as olga ward set --space "4 West" --entity patient/p4 \
	--fields-file "$NET_WORK/p4"
on_b() { "$WL" log --data-dir "$NET_WORK/n2" | grep -q entity_update; }
net_check "the ward reaches node B" net_until 10 on_b

mkdir -p "$NET_WORK/sync"
browser() { # browser NODE ROLE USER
	ip netns exec "$(net_ns "$1")" env ROLE="$2" SYNC="$NET_WORK/sync" \
		WL_BASE="http://127.0.0.1:8080" WL_USER="$3" \
		WL_PW="$(cat "$NET_WORK/$3.pw")" \
		WL_PROFILE="$NET_WORK/profile-$2" \
		node "$ROOT/tests/e2e/handoff.mjs"
}
browser 2 incoming ivan >"$NET_WORK/incoming.out" 2>&1 &
incoming=$!
browser 1 outgoing olga >"$NET_WORK/outgoing.out" 2>&1
outgoing_rc=$?
wait "$incoming"
incoming_rc=$?
cat "$NET_WORK/outgoing.out" "$NET_WORK/incoming.out"
echo "link events:"
grep -h "link \(up\|closed\)" "$NET_WORK/n1.log" "$NET_WORK/n2.log" | head -20
net_check "the outgoing nurse's browser passes" test "$outgoing_rc" -eq 0
net_check "the incoming nurse's browser passes" test "$incoming_rc" -eq 0
net_summary two-nodes
