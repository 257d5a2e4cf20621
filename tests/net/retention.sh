#!/bin/bash
# needs: root
# Retention under a test clock. Messages are kept 30 days, and the ICU
# ward is under a legal hold. With the nodes' clocks moved 29 days ahead
# every body stays; at 31 days the unheld messages lose their bodies on
# nodes 1 and 2, and the held ones keep them. Node 3 was cut off meanwhile
# and wrote a message of its own; when it returns with its clock behind,
# its peers store that message without its expired body, and once its own
# clock passes the horizon node 3 prunes too. Every node audits the
# pruning, and the chains still verify.
. "$(dirname "$0")/lib.sh"

DAY=86400000
net_setup 3 || exit 1
clock() { # clock I DAYS: configuration of node I with its clock DAYS ahead
	printf '[retention]\nclock_offset_ms = %d\n' $(($2 * DAY)) \
		>"$NET_WORK/clock$1.conf"
}
start() { # start I DAYS
	clock "$1" "$2"
	net_start "$1" --config "$NET_WORK/clock$1.conf"
}
for i in 1 2 3; do start "$i" 0; done
linked() { # linked I N: node I has N links
	[ "$(net_peers "$1")" -eq "$2" ]
}
all_linked() { linked 1 2 && linked 2 2 && linked 3 2; }
net_check "three nodes link" net_until 10 all_linked

printf 'correct horse battery staple\n' >"$NET_WORK/alice.pw"
printf 'night shift on ward four\n' >"$NET_WORK/nina.pw"
as() { # as USER NODE COMMAND...
	local user=$1 node=$2
	shift 2
	"$WL" "$@" --data-dir "$NET_WORK/n$node" --as "$user" \
		--password-file "$NET_WORK/$user.pw"
}
"$WL" user add --data-dir "$NET_WORK/n1" --site-dir "$NET_WORK/site" \
	--username alice --display-name "Alice Admin" --role admin \
	--password-file "$NET_WORK/alice.pw" >/dev/null
"$WL" user add --data-dir "$NET_WORK/n1" --admin alice \
	--admin-password-file "$NET_WORK/alice.pw" --username nina \
	--display-name "Nina Nurse" --role nurse \
	--password-file "$NET_WORK/nina.pw" >/dev/null
as alice 1 space create --kind audit --name Audit >/dev/null 2>&1
for ward in "4 West" ICU; do
	as alice 1 space create --kind ward --name "$ward" >/dev/null
	as alice 1 space add --space "$ward" --user nina >/dev/null
done
net_check "admin sets 30 days for messages and holds the ICU" \
	as alice 1 policy set --days message=30 --hold ICU
post() { # post NODE SPACE TEXT
	printf '%s\n' "$3" | as nina "$1" message post --space "$2" >/dev/null
}
post 1 "4 West" "west one"
post 1 "4 West" "west two"
post 1 ICU "icu one"

# count NODE SPACE: messages shown, then messages pruned, as "SHOWN PRUNED"
count() {
	local out err
	out=$(as nina "$1" message read --space "$2" 2>"$NET_WORK/err") ||
		return 1
	err=$(sed -n 's/.* \([0-9]*\) messages of .* deleted by.*/\1/p' \
		"$NET_WORK/err")
	echo "$(grep -c . <<<"$out") ${err:-0}"
}
on_3() { [ "$(count 3 "4 West")" = "2 0" ]; }
net_check "the messages reach node 3" net_until 10 on_3

# Node 3 is cut off and writes a message of its own.
net_kill 3 TERM
post 3 "4 West" "west three from node 3"

for days in 29 31; do
	for i in 1 2; do
		net_kill "$i" TERM
		start "$i" "$days"
	done
	net_until 10 linked 1 1
	if [ "$days" = 29 ]; then
		net_check "day 29: node 1 keeps every body" \
			test "$(count 1 "4 West")" = "2 0"
	else
		net_check "day 31: node 1 pruned the unheld messages" \
			test "$(count 1 "4 West")" = "0 2"
		net_check "day 31: node 2 pruned them too" \
			test "$(count 2 "4 West")" = "0 2"
		net_check "day 31: the held ward keeps its body on node 1" \
			test "$(count 1 ICU)" = "1 0"
	fi
done

# Node 3 returns with its clock behind: it keeps and offers its bodies.
start 3 0
back() { linked 3 2 && [ "$(count 1 "4 West")" = "0 3" ]; }
net_check "node 3's message reaches node 1 without its body" \
	net_until 15 back
net_check "node 2 stores it without its body too" \
	net_until 10 sh -c "[ \"\$('$WL' log --data-dir '$NET_WORK/n2' |
		grep -c ' message .*body=pruned')\" -eq 3 ]"
net_check "node 3 still has its bodies by its own clock" \
	test "$(count 3 "4 West")" = "3 0"

# Once node 3's clock is past the horizon it prunes at start.
net_kill 3 TERM
start 3 31
pruned_3() { [ "$(count 3 "4 West")" = "0 3" ]; }
net_check "node 3 prunes at start past the horizon" net_until 10 pruned_3
net_check "the held ward keeps its body on node 3" \
	test "$(count 3 ICU)" = "1 0"
net_check "nodes 1 and 2 stay pruned" sh -c "[ \"\$('$WL' log \
	--data-dir '$NET_WORK/n1' | grep -c ' message .*body=pruned')\" -eq 3 ]"

for i in 1 2 3; do
	net_check "node $i verifies" sh -c "'$WL' verify --data-dir '$NET_WORK/n$i' >'$NET_WORK/verify$i' || { cat '$NET_WORK/verify$i' >&2; false; }"
done
audited() {
	as alice 1 audit list --action bodies_pruned 2>/dev/null |
		cut -d, -f2 | sort -u | grep -c . >"$NET_WORK/pruners"
	[ "$(cat "$NET_WORK/pruners")" -ge 3 ]
}
net_check "each node audits its pruning" net_until 10 audited
net_summary retention
