#!/bin/bash
# needs: root
# Partition and heal: five nodes; node 5's link goes down, 1,000 events
# are appended on each side, the link comes back, and all five converge
# within 10 s with no duplicate and no loss.
. "$(dirname "$0")/lib.sh"

net_setup 5 || exit 1
for i in 1 2 3 4 5; do net_start "$i"; done

all_linked() {
	for i in 1 2 3 4 5; do
		[ "$(net_peers "$i")" -eq 4 ] || return 1
	done
}
net_check "five nodes link" net_until 10 all_linked

ip -n "$(net_ns 5)" link set eth0 down
for i in 1 2 3 4; do
	"$WL" append --data-dir "$NET_WORK/n$i" --count 250 --batch 25 \
		>/dev/null
done
"$WL" append --data-dir "$NET_WORK/n5" --count 1000 --batch 100 >/dev/null
# Long enough for the ping timeout to declare every link to node 5 dead.
isolated() { [ "$(net_peers 5)" -eq 0 ] && [ "$(net_peers 1)" -eq 3 ]; }
net_check "links to node 5 time out" net_until 15 isolated
net_check "node 5 is cut off" test "$(net_count 5)" -lt 2000

ip -n "$(net_ns 5)" link set eth0 up
# 5 certificates + 2,000 appended events.
expected=2005
converged() {
	local d1 i
	d1=$(net_digest 1)
	for i in 1 2 3 4 5; do
		[ "$(net_count "$i")" -eq "$expected" ] || return 1
		[ "$(net_digest "$i")" = "$d1" ] || return 1
	done
}
if ms=$(net_wait 10 converged); then
	echo "partition: converged $ms ms after the link came back"
	net_check "all converge within 10 s" true
else
	net_check "all converge within 10 s" false
	for i in 1 2 3 4 5; do echo "n$i: $(net_count "$i") events"; done
fi

no_duplicates() {
	local i
	for i in 1 2 3 4 5; do
		[ "$("$WL" log --data-dir "$NET_WORK/n$i" --ids | sort | uniq -d |
			wc -l)" -eq 0 ] || return 1
	done
}
net_check "no duplicate event" no_duplicates
for i in 1 5; do
	net_check "store $i verifies" "$WL" verify --data-dir "$NET_WORK/n$i"
done
net_summary partition
