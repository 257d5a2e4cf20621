#!/bin/bash
# needs: root
# Multicast blocked: every namespace drops mDNS (UDP 5353) with nftables,
# as hospital Wi-Fi often does between clients. Nodes 1 and 3 each know
# only node 2's address. Peer exchange over those links gives each of them
# the other's address, and all three link and converge.
. "$(dirname "$0")/lib.sh"

net_setup 3 || exit 1
for i in 1 2 3; do
	ip netns exec "$(net_ns "$i")" nft -f - <<'RULES' || exit 1
table inet wardline_test {
	chain out {
		type filter hook output priority 0;
		udp dport 5353 drop
	}
	chain in {
		type filter hook input priority 0;
		udp dport 5353 drop
	}
}
RULES
done

net_start 2
net_start 1 --peer "$(net_addr 2):7700"
net_start 3 --peer "$(net_addr 2):7700"

all_linked() {
	for i in 1 2 3; do
		[ "$(net_peers "$i")" -eq 2 ] || return 1
	done
}
if ms=$(net_wait 15 all_linked); then
	echo "multicast-blocked: full mesh through peer exchange in $ms ms"
	net_check "nodes 1 and 3 link through peer exchange" true
else
	net_check "nodes 1 and 3 link through peer exchange" false
fi

"$WL" append --data-dir "$NET_WORK/n1" --count 200 --batch 20 >/dev/null
"$WL" append --data-dir "$NET_WORK/n3" --count 200 --batch 20 >/dev/null
converged() {
	local d1
	d1=$(net_digest 1)
	[ "$(net_count 1)" -eq 403 ] && [ "$(net_digest 2)" = "$d1" ] &&
		[ "$(net_digest 3)" = "$d1" ]
}
net_check "events converge without multicast" net_until 10 converged
net_check "no mDNS peer was found" \
	sh -c "! grep -q 'found' '$NET_WORK/n1.log'"
net_summary multicast-blocked
