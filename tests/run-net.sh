#!/bin/bash
# Run each multi-node test script given after the label, one after the
# other; print one "N passed, N failed" line for the scripts and exit
# non-zero if any failed. Scripts that need root are skipped, with a
# message, when not run as root.
label=$1
shift
passed=0
failed=0
for t in "$@"; do
	if [ "$(id -u)" -ne 0 ] && grep -q "^# needs: root" "$t"; then
		echo "$label: skipped $t (needs root for network namespaces)"
		continue
	fi
	echo "== $label: $t"
	if "$t"; then
		passed=$((passed + 1))
	else
		echo "FAILED: $t" >&2
		failed=$((failed + 1))
	fi
done
echo "$label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
