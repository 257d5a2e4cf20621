#!/bin/bash
# Backups under write load: while the CLI appends events, one commit
# each, take BACKUPS backups (default 6) at random moments, restore each
# into a fresh data directory, and check that it verifies and that each
# backup holds at least as many events as the one before. The live store
# must verify too, while the writer keeps committing.
set -u

cd "$(dirname "$0")/../.."
bin=node/wardline
backups=${BACKUPS:-6}
work=$(mktemp -d /tmp/wardline-backup.XXXXXX)
writer=""
trap '[ -n "$writer" ] && kill "$writer" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT

"$bin" append --data-dir "$work/data" --count 1000000 --batch 1 \
	--body-size 200 >/dev/null 2>"$work/append.err" &
writer=$!
sleep 0.3

passed=0
failed=0
previous=0
for i in $(seq 1 "$backups"); do
	sleep "0.$(printf '%03d' $((RANDOM % 150 + 50)))"
	if ! kill -0 "$writer" 2>/dev/null; then
		echo "backup $i: the writer stopped; no load to back up under"
		failed=$((failed + 1))
		break
	fi
	# The live store verifies while the writer keeps committing.
	if ! "$bin" verify --data-dir "$work/data" >"$work/live" 2>&1; then
		echo "backup $i: the live store does not verify under load:"
		cat "$work/live"
		failed=$((failed + 1))
		continue
	fi
	if ! "$bin" backup --data-dir "$work/data" "$work/b$i.mdb" \
		>/dev/null 2>"$work/err"; then
		echo "backup $i failed: $(cat "$work/err")"
		failed=$((failed + 1))
		continue
	fi
	if ! "$bin" restore --data-dir "$work/r$i" "$work/b$i.mdb" \
		>"$work/restore" 2>&1 ||
		! "$bin" verify --data-dir "$work/r$i" >"$work/verify" 2>&1; then
		echo "backup $i does not restore to a sound store:"
		cat "$work/restore" "$work/verify" 2>/dev/null
		failed=$((failed + 1))
		continue
	fi
	events=$(sed -n 's/^verified \([0-9]*\) events.*/\1/p' "$work/verify")
	if [ "${events:-0}" -le 0 ] || [ "$events" -lt "$previous" ]; then
		echo "backup $i holds $events events after $previous"
		failed=$((failed + 1))
		continue
	fi
	previous=$events
	passed=$((passed + 1))
	rm -rf "$work/r$i" "$work/b$i.mdb"
done
kill "$writer" 2>/dev/null
wait "$writer" 2>/dev/null
writer=""
echo "backup: $passed passed, $failed failed (last backup: $previous events)"
[ "$failed" -eq 0 ]
