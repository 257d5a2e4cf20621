#!/bin/sh
# Usage: tests/fuzz/run.sh SECONDS BIN...
#
# Run each libFuzzer binary for SECONDS on a fresh temporary corpus, with
# inputs of at most 4096 bytes. A target that reads WL_FUZZ_SEED_DIR writes
# its seed inputs into that corpus first. Crash, leak and timeout inputs are
# kept in build/fuzz/artifacts/ and the output of each run in
# build/fuzz/logs/. Prints "fuzz: N passed, N failed" and exits non-zero if
# any binary failed.
set -u

usage() {
	echo "usage: $0 SECONDS BIN..." >&2
	exit 2
}

[ $# -ge 2 ] || usage
seconds=$1
shift
case $seconds in
'' | *[!0-9]*) usage ;;
esac

root=$(cd "$(dirname "$0")/../.." && pwd)
artifacts=$root/build/fuzz/artifacts
logs=$root/build/fuzz/logs
mkdir -p "$artifacts" "$logs" || exit 1

corpus=""
trap 'if [ -n "$corpus" ]; then rm -rf "$corpus"; fi' EXIT
trap 'exit 130' INT TERM

passed=0
failed=0
for bin in "$@"; do
	name=$(basename "$bin")
	log=$logs/$name.log
	corpus=$(mktemp -d "${TMPDIR:-/tmp}/wardline-fuzz-$name.XXXXXX") ||
		exit 1

	echo "fuzz: $name for ${seconds}s"
	if WL_FUZZ_SEED_DIR=$corpus "$bin" -max_total_time="$seconds" \
		-max_len=4096 -timeout=25 -print_final_stats=1 \
		-artifact_prefix="$artifacts/$name-" "$corpus" >"$log" 2>&1; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		echo "FAILED: $bin (output in $log)" >&2
		tail -n 40 "$log" >&2
	fi

	rm -rf "$corpus"
	corpus=""
done

echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
