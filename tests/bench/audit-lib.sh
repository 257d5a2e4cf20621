#!/bin/bash
# Setup shared by the audit benchmarks: a node's data directory holding an
# admin, a compliance officer, the audit space and AUDIT_RECORDS synthetic
# audit records (default 1,000,000), each sealed like a real one. Source
# it, then call audit_setup; the directory is $AUDIT_WORK/n1 and is
# removed on exit.
set -u
AUDIT_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WL="$AUDIT_ROOT/node/wardline"
AUDIT_RECORDS=${AUDIT_RECORDS:-1000000}
AUDIT_WORK=$(mktemp -d /tmp/wardline-bench-audit.XXXXXX)
trap 'rm -rf "$AUDIT_WORK"' EXIT

audit_ms() { echo $(($(date +%s%N) / 1000000)); }

audit_setup() {
	local w=$AUDIT_WORK
	printf 'correct horse battery staple\n' >"$w/alice.pw"
	printf 'records office second floor\n' >"$w/carol.pw"
	"$WL" init-site --site-dir "$w/site" >/dev/null &&
		"$WL" enroll --site-dir "$w/site" --data-dir "$w/n1" \
			--name bench-1 >/dev/null &&
		"$WL" user add --data-dir "$w/n1" --site-dir "$w/site" \
			--username alice --display-name "Alice Admin" \
			--role admin --password-file "$w/alice.pw" >/dev/null &&
		"$WL" user add --data-dir "$w/n1" --site-dir "$w/site" \
			--username carol --display-name "Carol Compliance" \
			--role compliance_officer \
			--password-file "$w/carol.pw" >/dev/null &&
		"$WL" space create --data-dir "$w/n1" --kind audit \
			--name Audit --as alice --password-file "$w/alice.pw" \
			>/dev/null 2>&1 &&
		"$WL" space add --data-dir "$w/n1" --space Audit --user carol \
			--as alice --password-file "$w/alice.pw" >/dev/null &&
		"$WL" append --data-dir "$w/n1" --audit --count "$AUDIT_RECORDS" \
			--batch 1000 >/dev/null
}
