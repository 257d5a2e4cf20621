#!/bin/bash
# Benchmark: 'wardline audit verify' over a store of 1,000,000 audit
# records, as an admin: every chain and body hash, the node signatures the
# chain needs, every audit header, and every record opened (one X25519
# multiplication each, on every core) and checked. The time includes the
# admin's login (one Argon2id derivation at the default cost).
. "$(dirname "$0")/audit-lib.sh"

start=$(audit_ms)
if ! audit_setup; then
	echo "audit-verify: setup failed" >&2
	exit 1
fi
echo "setup: $(($(audit_ms) - start)) ms for $AUDIT_RECORDS records"

start=$(audit_ms)
"$WL" audit verify --data-dir "$AUDIT_WORK/n1" --as alice \
	--password-file "$AUDIT_WORK/alice.pw" >"$AUDIT_WORK/out" 2>&1
status=$?
ms=$(($(audit_ms) - start))
cat "$AUDIT_WORK/out"
events=$(sed -n 's/^audit verified: \([0-9]*\) events.*/\1/p' "$AUDIT_WORK/out")
opened=$(sed -n 's/.*records (\([0-9]*\) opened.*/\1/p' "$AUDIT_WORK/out")
if [ "$status" -ne 0 ] || [ -z "$events" ] ||
	[ "${opened:-0}" -lt "$AUDIT_RECORDS" ]; then
	echo "audit-verify: verification failed or opened too few records" >&2
	exit 1
fi
echo "bench audit-verify $((events * 1000 / ms)) events/s events=$events" \
	"records=$opened seconds=$((ms / 1000)).$(printf '%03d' $((ms % 1000)))" \
	"cores=$(nproc)"
