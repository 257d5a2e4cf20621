#!/bin/bash
# Benchmark: Wardline's backfill against hypercore's replication of the
# same number of entries of the same size, in the same run, over the same
# kind of link (two network namespaces on a private bridge).
#
# Wardline: the backfill of tests/bench/backfill.sh (100,000 events with
# 600-byte bodies). Hypercore: a core of 100,000 entries of 600 random bytes
# in namespace 1, and an empty core of the same key in namespace 2 that
# replicates all of it over TCP (hypercore-js/replicate.js). Its time runs
# from the start of the cloning process to the end of the download. The
# figure is Wardline's events/s over hypercore's entries/s.
set -u
. "$(dirname "$0")/lib.sh"
bench_need_root hypercore

ENTRIES=100000
SIZE=600
PORT=7800
JS=$BENCH_DIR/hypercore-js/replicate.js

if [ ! -d "$BENCH_DIR/hypercore-js/node_modules/hypercore" ]; then
	echo "hypercore: hypercore not found in" \
		"$BENCH_DIR/hypercore-js/node_modules; run 'make bench-build'" >&2
	exit 1
fi

net_setup 2 || exit 1
if ! bench_backfill "$ENTRIES" 120; then
	echo "hypercore: timed out: the Wardline backfill did not finish" \
		"within 120 s" >&2
	exit 1
fi
net_kill 1
net_kill 2
echo "wardline: $BF_EVENTS events in $BF_MS ms, $BF_EPS events/s"

ip netns exec "$(net_ns 1)" node "$JS" seed "$NET_WORK/hc1" "$ENTRIES" \
	"$SIZE" "$(net_addr 1)" "$PORT" >"$NET_WORK/seed.log" 2>&1 &
NET_PIDS[3]=$!
key=""
for _ in $(seq 1 600); do
	key=$(sed -n 's/^ready key=\([0-9a-f]*\)$/\1/p' "$NET_WORK/seed.log")
	[ -n "$key" ] && break
	sleep 0.1
done
if [ -z "$key" ]; then
	echo "hypercore: timed out after 60 s waiting for the seeding" \
		"core" >&2
	cat "$NET_WORK/seed.log" >&2
	exit 1
fi

out=$(timeout 180 ip netns exec "$(net_ns 2)" node "$JS" clone \
	"$NET_WORK/hc2" "$key" "$(net_addr 1)" "$PORT" "$ENTRIES" 2>&1)
net_kill 3
hc_ms=$(echo "$out" | sed -n "s/^cloned $ENTRIES entries ms=\([0-9]*\) .*/\1/p")
if [ -z "$hc_ms" ]; then
	echo "hypercore: the clone failed or timed out after 180 s: $out" >&2
	exit 1
fi
hc_rss=$(echo "$out" | sed -n 's/.* peak_rss_kb=\([0-9]*\)$/\1/p')
hc_eps=$((ENTRIES * 1000 / hc_ms))
ratio=$(awk -v w="$BF_EPS" -v h="$hc_eps" 'BEGIN { printf "%.2f", w / h }')

version=$(sed -n 's/^  "version": "\(.*\)",$/\1/p' \
	"$BENCH_DIR/hypercore-js/node_modules/hypercore/package.json")
echo "hypercore $version, node $(node --version):" \
	"$ENTRIES entries in $hc_ms ms, $hc_eps entries/s," \
	"peak rss $((hc_rss / 1024)) MB"
echo "bench hypercore $ratio ratio wardline_eps=$BF_EPS hypercore_eps=$hc_eps" \
	"entries=$ENTRIES"
