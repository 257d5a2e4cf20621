#!/bin/bash
# Benchmark: time from a node's start to its first link, found by mDNS
# alone (no static peers), between two network namespaces on a private
# bridge. mDNS runs only on the namespaces' eth0.
#
# Node 1 runs throughout and has published its service before the first
# round. Node 2 is started, timed until its status shows one established
# link (polled every 50 ms), and stopped, 5 times. Node 2 keeps its data
# directory, so rounds after the first are restarts of a node that node 1
# has seen before. Each round prints which side dialed.
set -u
. "$(dirname "$0")/lib.sh"
bench_need_root discovery

ROUNDS=5

# Print which side dialed the link of node 2, as "dialer=yes|no", or
# nothing without a link.
dialer_of_2() {
	net_cli 2 status --json 2>/dev/null |
		sed -n 's/.*"dialer":\(true\|false\).*/\1/p' |
		sed 's/true/dialer=yes/; s/false/dialer=no/'
}

links_of() { [ "$(bench_links "$1")" -ge 1 ]; }
no_links_of() { [ "$(bench_links "$1")" -eq 0 ]; }

published_1() { grep -q "Service published" "$NET_WORK/n1.log"; }

net_setup 2 || exit 1
net_start 1
if ! bench_wait_up 1 10 || ! net_wait 10 published_1 >/dev/null; then
	echo "discovery: timed out after 10 s waiting for node 1 to" \
		"publish its mDNS service" >&2
	tail -n 5 "$NET_WORK/n1.log" >&2
	exit 1
fi

times=()
for r in $(seq 1 "$ROUNDS"); do
	t0=$(bench_ms)
	net_start 2
	while ! links_of 2; do
		if [ $(($(bench_ms) - t0)) -ge 15000 ]; then
			echo "discovery: round $r timed out: no link" \
				"within 15 s" >&2
			tail -n 5 "$NET_WORK/n1.log" "$NET_WORK/n2.log" >&2
			exit 1
		fi
		sleep 0.05
	done
	ms=$(($(bench_ms) - t0))
	times+=("$ms")
	echo "round $r: first link after $ms ms, node 2 $(dialer_of_2)"
	net_kill 2
	net_wait 10 no_links_of 1 >/dev/null || {
		echo "discovery: timed out after 10 s waiting for node 1" \
			"to drop its link to the stopped node" >&2
		exit 1
	}
	sleep 1
done

mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
median=${sorted[$((ROUNDS / 2))]}
p90=${sorted[$(((ROUNDS * 9 + 9) / 10 - 1))]}
echo "bench discovery $median ms p90=$p90 n=$ROUNDS" \
	"rounds=$(IFS=,; echo "${times[*]}")"
