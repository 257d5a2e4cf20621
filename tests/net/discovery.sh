#!/bin/bash
# needs: root
# Discovery and replication: three nodes with no static peers find each
# other by mDNS (embedded Avahi stack, one per namespace) and link within
# 5 s, and an independent avahi-browse in a fourth namespace lists all
# three; then 1,000 events appended across them converge to identical logs.
. "$(dirname "$0")/lib.sh"

net_setup 4 || exit 1
for i in 1 2 3; do net_start "$i"; done

all_linked() {
	for i in 1 2 3; do
		[ "$(net_peers "$i")" -eq 2 ] || return 1
	done
}
if ms=$(net_wait 5 all_linked); then
	echo "discovery: all three nodes linked in $ms ms"
	net_check "three nodes link by mDNS within 5 s" true
else
	net_check "three nodes link by mDNS within 5 s" false
	for i in 1 2 3; do net_cli "$i" status 2>&1 | head -5; done
fi

"$WL" append --data-dir "$NET_WORK/n1" --count 400 --batch 50 >/dev/null
"$WL" append --data-dir "$NET_WORK/n2" --count 300 --batch 7 >/dev/null
"$WL" append --data-dir "$NET_WORK/n3" --count 300 --batch 1 >/dev/null

converged() {
	local d1
	d1=$(net_digest 1)
	[ "$(net_count 1)" -eq 1003 ] && [ "$(net_digest 2)" = "$d1" ] &&
		[ "$(net_digest 3)" = "$d1" ]
}
if ms=$(net_wait 10 converged); then
	echo "replication: 1,003 events identical on three nodes in $ms ms"
	net_check "1,000 events converge on three nodes" true
else
	net_check "1,000 events converge on three nodes" false
	for i in 1 2 3; do echo "n$i: $(net_count "$i")"; done
fi

# Node ids as the CLI prints them, to find in the TXT records.
listed_by_browse() {
	local i id
	for i in 1 2 3; do
		id=$("$WL" id --data-dir "$NET_WORK/n$i")
		grep -q "^=;eth0;IPv4;.*_wardline\._tcp;.*$(net_addr "$i");7700;.*\"node=$id\"" \
			"$NET_WORK/browse.out" || return 1
	done
}
net_browse 4 listed_by_browse
case $? in
0) net_check "avahi-browse in another namespace lists all three nodes" \
	listed_by_browse ;;
*) echo "discovery: skipped the avahi-browse check (avahi-daemon," \
	"avahi-browse or dbus-daemon missing)" ;;
esac

same_vv() {
	local v1
	v1=$(net_store 1)
	[ "$(net_store 2)" = "$v1" ] && [ "$(net_store 3)" = "$v1" ]
}
net_check "store summaries equal" same_vv
for i in 1 2 3; do
	net_check "store $i verifies" "$WL" verify --data-dir "$NET_WORK/n$i"
done
net_summary discovery
