#!/bin/bash
# Crash safety of the store: append events through the CLI, which prints
# each seq only after its commit, kill it with SIGKILL at a random moment,
# reopen the store and check that every chain verifies and that every seq
# printed before the kill is present. Repeated ROUNDS times (default 50).
set -u

cd "$(dirname "$0")/../.."
bin=node/wardline
rounds=${ROUNDS:-50}
work=$(mktemp -d /tmp/wardline-crash.XXXXXX)
trap 'rm -rf "$work"' EXIT

passed=0
failed=0
for round in $(seq 1 "$rounds"); do
	out="$work/out.$round"
	batch=$((RANDOM % 20 + 1))
	"$bin" append --data-dir "$work/data" --count 100000000 \
		--batch "$batch" --body-size 600 >"$out" 2>"$work/err" &
	pid=$!
	# 20 to 220 ms: long enough for some commits, random inside one.
	sleep "0.$(printf '%03d' $((RANDOM % 200 + 20)))"
	kill -KILL "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null

	# A line cut by the kill is shorter than the seq it started; taking
	# the largest complete number can only under-count.
	printed=$(grep -E '^seq [0-9]+$' "$out" | tail -n 1 | cut -d' ' -f2)
	printed=${printed:-0}

	if ! "$bin" verify --data-dir "$work/data" >"$work/verify" 2>&1; then
		echo "round $round: verify failed after kill (batch=$batch)"
		cat "$work/verify"
		failed=$((failed + 1))
		continue
	fi
	stored=$(sed -n 's/^verified \([0-9]*\) events.*/\1/p' "$work/verify")
	if [ "${stored:-0}" -lt "$printed" ]; then
		echo "round $round: seq $printed was printed after its" \
			"commit but only $stored events are stored"
		failed=$((failed + 1))
		continue
	fi
	passed=$((passed + 1))
done

total=$(sed -n 's/^verified \([0-9]*\) events.*/\1/p' "$work/verify")
echo "crash: $rounds SIGKILL rounds, ${total:-0} events stored in the end"
echo "crash: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
