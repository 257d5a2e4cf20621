#!/bin/sh
# Run each unit test binary given after the label; print one summary line in
# the "N passed, N failed" form and exit non-zero if any binary failed.
label=$1
shift
passed=0
failed=0
for t in "$@"; do
	if "$t"; then
		passed=$((passed + 1))
	else
		echo "FAILED: $t" >&2
		failed=$((failed + 1))
	fi
done
echo "$label: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
