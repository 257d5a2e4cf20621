#!/bin/bash
# Benchmark: peak resident memory of a node holding 1,000,000 events while
# it serves a backfill of all of them to an empty node.
#
# Node 1 gets 1,000,000 events with 600-byte bodies (wardline append, 1,000
# per commit) and starts. Node 2 then backfills from it over a link between
# two network namespaces (tests/bench/lib.sh, bench_backfill). The figure is
# node 1's VmHWM once node 2 has stored every event. Resident memory counts
# the pages of the memory-mapped LMDB file that the process touched, so the
# anonymous and file-backed parts are printed apart, from /proc/PID/status
# after the start and at the end.
set -u
. "$(dirname "$0")/lib.sh"
bench_need_root rss

EVENTS=1000000

net_setup 2 || exit 1
t0=$(bench_ms)
if ! timeout 300 "$WL" append --data-dir "$NET_WORK/n1" --count "$EVENTS" \
	--batch 1000 --body-size 600 >/dev/null 2>"$NET_WORK/append.log"; then
	echo "rss: appending $EVENTS events failed or took over 300 s" >&2
	exit 1
fi
echo "appended $EVENTS events in $(($(bench_ms) - t0)) ms;" \
	"data.mdb $(($(stat -c %s "$NET_WORK/n1/data.mdb") / 1048576)) MB"

# The events are in place: bench_backfill appends none of its own.
if ! bench_backfill 0 240; then
	echo "rss: timed out: node 2 did not receive every event" \
		"within 240 s" >&2
	tail -n 5 "$NET_WORK/n1.log" "$NET_WORK/n2.log" >&2
	exit 1
fi
rollup=$(grep -E '^(Rss|Anonymous|Shared_Clean|Private_Clean):' \
	"/proc/${NET_PIDS[1]}/smaps_rollup" |
	awk '{ printf "%s %d MB, ", $1, $2 / 1024 }')

echo "node 1 served its status $BF_UP1_MS ms after its start, rss then" \
	"$BF_START1_MB MB"
echo "backfill of $BF_EVENTS events in $BF_MS ms ($BF_EPS events/s)"
echo "node 1 serving: peak rss $BF_HWM1_MB MB; at the end anonymous" \
	"$BF_ANON1_MB MB, file-backed $BF_FILE1_MB MB"
echo "node 1 smaps_rollup: ${rollup%, }"
echo "node 2 receiving: peak rss $BF_HWM2_MB MB"
echo "bench rss $BF_HWM1_MB MB events=$EVENTS anon_mb=$BF_ANON1_MB" \
	"file_mb=$BF_FILE1_MB start_mb=$BF_START1_MB" \
	"receiver_peak_mb=$BF_HWM2_MB backfill_eps=$BF_EPS"
