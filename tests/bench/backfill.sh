#!/bin/bash
# Benchmark: an empty node backfills 100,000 events from another node over
# a link between two network namespaces.
#
# Node 1 gets 100,000 events with 600-byte bodies (wardline append, 1,000
# per commit) and then starts. Node 2 starts next, with node 1 as its static
# peer and discovery off. Timed: from node 2's start until a status poll (every
# 50 ms) shows it holding every event, so process start, the handshake and
# up to one poll interval are included. The reference is the ingest
# benchmark run just before, in the same run: the rate of taking
# authenticated events into a durable store with no network in between.
set -u
. "$(dirname "$0")/lib.sh"
bench_need_root backfill

EVENTS=100000

ingest_line=$("$BENCH_DIR/ingest" 2>/dev/null | tail -n 1)
ingest_eps=$(echo "$ingest_line" | sed -n 's/^bench ingest \([0-9]*\) .*/\1/p')
if [ -z "$ingest_eps" ]; then
	echo "backfill: tests/bench/ingest failed or printed no 'bench ingest'" \
		"line; run it alone to see why" >&2
	exit 1
fi
echo "ingest: $ingest_line"

net_setup 2 || exit 1
if ! bench_backfill "$EVENTS" 120; then
	echo "backfill: timed out: node 2 did not receive every event" \
		"within 120 s" >&2
	tail -n 5 "$NET_WORK/n1.log" "$NET_WORK/n2.log" >&2
	exit 1
fi
ratio=$(awk -v b="$BF_EPS" -v i="$ingest_eps" 'BEGIN { printf "%.2f", b / i }')

echo "events $BF_EVENTS in $BF_MS ms: $BF_EPS events/s, ingest $ingest_eps" \
	"events/s, ratio $ratio"
echo "peak rss: node 2 (receiving) $BF_HWM2_MB MB, node 1 (serving)" \
	"$BF_HWM1_MB MB"
echo "bench backfill $BF_EPS events/s ratio=$ratio ingest_eps=$ingest_eps" \
	"events=$BF_EVENTS ms=$BF_MS receiver_peak_rss_mb=$BF_HWM2_MB" \
	"sender_peak_rss_mb=$BF_HWM1_MB"
