#!/bin/bash
# Helpers of the benchmarks that run nodes in network namespaces, on top of
# tests/net/lib.sh: source this file, then call net_setup K. Nodes talk
# over the private bridge only, and with "--discovery off" send no mDNS.

BENCH_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../net/lib.sh
. "$BENCH_DIR/../net/lib.sh"

bench_need_root() {
	if [ "$(id -u)" -ne 0 ]; then
		echo "$1: needs root to create network namespaces" >&2
		exit 1
	fi
}

bench_ms() { echo $(($(date +%s%N) / 1000000)); }

# Print store.events of the running node I, or nothing when its status port
# does not respond.
bench_events() {
	net_cli "$1" status --json 2>/dev/null |
		sed -n 's/.*"events":\([0-9]*\).*/\1/p'
}

# Print the number of established links of the running node I (each peer
# object has one "dialer" key).
bench_links() {
	net_cli "$1" status --json 2>/dev/null | grep -o '"dialer"' | wc -l
}

# Print a field of /proc/PID/status in KiB: VmHWM (peak), VmRSS, RssAnon,
# RssFile. bench_mb prints it in MiB, rounded.
bench_kb() {
	sed -n "s/^$2:[[:space:]]*\([0-9]*\) kB/\1/p" "/proc/$1/status"
}

bench_mb() { echo $((($(bench_kb "$1" "$2") + 512) / 1024)); }

# Wait until the status port of node I responds, for at most SECONDS.
bench_wait_up() {
	local i=$1 seconds=$2 start

	start=$(bench_ms)
	until [ -n "$(bench_events "$i")" ]; do
		[ $(($(bench_ms) - start)) -ge $((seconds * 1000)) ] && return 1
		sleep 0.05
	done
}

# Poll node I every 50 ms until it has stored WANT events, for at most
# SECONDS after T0 (ms). Print the milliseconds from T0 to the first poll
# that saw them.
bench_wait_events() {
	local i=$1 want=$2 seconds=$3 t0=$4 have now

	while true; do
		have=$(bench_events "$i")
		now=$(bench_ms)
		if [ "${have:-0}" -ge "$want" ]; then
			echo $((now - t0))
			return 0
		fi
		[ $((now - t0)) -ge $((seconds * 1000)) ] && return 1
		sleep 0.05
	done
}

# Backfill over the bridge: append COUNT events (may be 0) with 600-byte
# bodies to node 1 and start it, then start node 2 with node 1 as its only
# (static) peer. Time from that start until node 2 has stored every event of
# both nodes, for at most SECONDS. Leaves both nodes running and sets:
#   BF_EVENTS     events node 2 received
#   BF_MS, BF_EPS the time taken and the events per second
#   BF_UP1_MS     from node 1's start until its status port responded
#   BF_START1_MB  node 1's resident memory at that moment
#   BF_HWM1_MB, BF_HWM2_MB    peak resident memory of nodes 1 and 2
#   BF_ANON1_MB, BF_FILE1_MB  node 1's resident memory at the end, anonymous
#                             and file-backed
# shellcheck disable=SC2034 # the BF_ variables are for the caller
bench_backfill() {
	local count=$1 seconds=$2 have1 have2 t0

	if [ "$count" -gt 0 ]; then
		"$WL" append --data-dir "$NET_WORK/n1" --count "$count" \
			--batch 1000 --body-size 600 >/dev/null \
			2>"$NET_WORK/append.log" || return 1
	fi
	have1=$(net_count 1)
	have2=$(net_count 2)

	t0=$(bench_ms)
	net_start 1 --discovery off
	bench_wait_up 1 120 || return 1
	BF_UP1_MS=$(($(bench_ms) - t0))
	BF_START1_MB=$(bench_mb "${NET_PIDS[1]}" VmRSS)

	t0=$(bench_ms)
	net_start 2 --discovery off --peer "$(net_addr 1):7700"
	BF_MS=$(bench_wait_events 2 $((have1 + have2)) "$seconds" "$t0") ||
		return 1
	BF_HWM1_MB=$(bench_mb "${NET_PIDS[1]}" VmHWM)
	BF_HWM2_MB=$(bench_mb "${NET_PIDS[2]}" VmHWM)
	BF_ANON1_MB=$(bench_mb "${NET_PIDS[1]}" RssAnon)
	BF_FILE1_MB=$(bench_mb "${NET_PIDS[1]}" RssFile)
	BF_EVENTS=$have1
	BF_EPS=$((BF_EVENTS * 1000 / BF_MS))
}
