#!/bin/bash
# Benchmark: a compliance officer exports 1,000,000 audit records as CSV
# with 'wardline audit export'. Every record is opened (one X25519
# multiplication each, on every core), decoded and written. The time
# includes the login (one Argon2id derivation at the default cost).
. "$(dirname "$0")/audit-lib.sh"

start=$(audit_ms)
if ! audit_setup; then
	echo "audit-export: setup failed" >&2
	exit 1
fi
echo "setup: $(($(audit_ms) - start)) ms for $AUDIT_RECORDS records"

start=$(audit_ms)
"$WL" audit export --data-dir "$AUDIT_WORK/n1" --as carol \
	--password-file "$AUDIT_WORK/carol.pw" --format csv \
	>"$AUDIT_WORK/trail.csv" 2>"$AUDIT_WORK/err"
status=$?
ms=$(($(audit_ms) - start))
rows=$(grep -c ',"record_viewed",\|,"login",' "$AUDIT_WORK/trail.csv")
bytes=$(stat -c %s "$AUDIT_WORK/trail.csv")
if [ "$status" -ne 0 ] || [ "$rows" -lt "$AUDIT_RECORDS" ]; then
	cat "$AUDIT_WORK/err" >&2
	echo "audit-export: export failed or wrote $rows of" \
		"$AUDIT_RECORDS records" >&2
	exit 1
fi
echo "bench audit-export $((ms / 1000)).$(printf '%03d' $((ms % 1000))) s" \
	"records=$rows bytes=$bytes records_per_s=$((rows * 1000 / ms))" \
	"cores=$(nproc)"
