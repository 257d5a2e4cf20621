#!/bin/bash
# Hostile peers against a running node. Two honest nodes a and b link on
# 127.0.0.1 (discovery off, static peers), then build/net/hostile plays one
# misbehaviour after another against a. Each must be rejected, logged once
# and counted, and nothing it sent may be stored. Afterwards a must still
# run, replicate with b and have a store that verifies.
# Needs no root and no namespace. WLNODE may name another wardline-node
# binary (the sanitizer build).
set -u
cd "$(dirname "$0")/../.." || exit 1
WL=node/wardline
WLNODE=${WLNODE:-node/wardline-node}
HOSTILE=build/net/hostile
if [ ! -x "$HOSTILE" ]; then
	echo "hostile: $HOSTILE is missing; run 'make $HOSTILE'"
	echo "hostile: 0 passed, 1 failed"
	exit 1
fi
work=$(mktemp -d /tmp/wardline-hostile.XXXXXX)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
passed=0
failed=0
check() {
	if "${@:2}"; then
		echo "ok: $1"
		passed=$((passed + 1))
	else
		echo "FAILED: $1"
		failed=$((failed + 1))
	fi
}
started=$(date +%s)

# Succeed when a TCP socket of this machine uses PORT, read from /proc/net
# without connecting to anything.
port_used() {
	local hex
	hex=$(printf '%04X' "$1")
	cat /proc/net/tcp /proc/net/tcp6 2>/dev/null |
		awk -v p="$hex" 'substr($2, length($2) - 3) == p { f = 1 }
			END { exit !f }'
}
# Four free ports from the process id, so that two runs do not collide, in
# a range that loopback.sh does not use.
base=
for i in $(seq 0 49); do
	b=$((28000 + (($$ + i * 7) % 1000) * 4))
	if ! port_used "$b" && ! port_used $((b + 1)) &&
		! port_used $((b + 2)) && ! port_used $((b + 3)); then
		base=$b
		break
	fi
done
if [ -z "$base" ]; then
	echo "hostile: no four free ports found in 28000-31999"
	echo "hostile: 0 passed, 1 failed"
	exit 1
fi
pa=$base pb=$((base + 1)) ha=$((base + 2)) hb=$((base + 3))

"$WL" init-site --site-dir "$work/site" >/dev/null
for n in a b; do
	"$WL" enroll --site-dir "$work/site" --data-dir "$work/$n" \
		--name "ward-$n" >/dev/null
	"$WL" append --data-dir "$work/$n" --count 40 --batch 20 >/dev/null
done

start() {
	"$WLNODE" --data-dir "$work/$1" --discovery off --listen 127.0.0.1 \
		--peer-port "$2" --http-port "$3" --peer "127.0.0.1:$4" \
		>>"$work/$1.log" 2>&1 &
	pids+=($!)
}
start a "$pa" "$ha" "$pb"
pid_a=$!
start b "$pb" "$hb" "$pa"
pid_b=$!
id_a=$("$WL" id --data-dir "$work/a")

wait_for() {
	for _ in $(seq 1 100); do "$@" && return 0; sleep 0.1; done
	return 1
}
digest() { "$WL" log --data-dir "$work/$1" --ids | sort | sha256sum; }
same() { [ "$(digest a)" = "$(digest b)" ]; }
linked() {
	"$WL" status --http-port "$ha" 2>/dev/null | grep -q "name=ward-b"
}
# The value of one metric of a, exactly as named (labels included), or 0.
metric() {
	"$WL" status --metrics --http-port "$ha" 2>/dev/null |
		awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}
metric_is() { [ "$(metric "$1")" -eq "$2" ]; }
# Lines of a's log for links it closed on a protocol error, by REASON and
# ERROR.
closes() {
	local line="warn replica: link closed on a protocol error"

	grep -c "$line .* reason=$1 error=$2\$" "$work/a.log"
}
closes_are() { [ "$(closes "$1" "$2")" -eq "$3" ]; }
feed_size() {
	"$WL" log --data-dir "$work/$1" --origin "$2" --ids 2>/dev/null | wc -l
}
random_seed() { od -An -N32 -tx1 /dev/urandom | tr -d ' \n'; }

# Every attack goes to the peer port of a. A node that cannot bind its
# peer port exits before it serves HTTP, so a's id on its HTTP port proves
# both ports are a's. Nothing is sent to a port another program took.
serves_a() {
	kill -0 "$pid_a" 2>/dev/null &&
		"$WL" status --http-port "$ha" 2>/dev/null |
		grep -q "^node $id_a "
}
if ! wait_for serves_a; then
	echo "FAILED: a serves on ports $pa and $ha (no attack was sent)"
	tail -n 5 "$work/a.log"
	echo "hostile: $passed passed, $((failed + 1)) failed"
	exit 1
fi
check "a and b link" wait_for linked
check "a and b converge" wait_for same

# attack NAME MODE REASON ERROR [OPTIONS...]: run one hostile client against
# a. Check that the client saw the rejection it expects, that a logged one
# more "link closed on a protocol error ... reason=REASON error=ERROR" line,
# and that the error counter of a grew by one.
attack() {
	local name=$1 mode=$2 reason=$3 error=$4 m lines errors out rc
	shift 4
	m="wardline_link_errors_total{reason=\"$error\"}"
	errors=$(metric "$m")
	lines=$(closes "$reason" "$error")
	out=$(timeout 30 "$HOSTILE" "$mode" --port "$pa" --node "$id_a" \
		--site-dir "$work/site" "$@" 2>&1)
	rc=$?
	printf '%s\n' "$out" | sed 's/^/    /'
	check "$name: client sees the rejection" test "$rc" -eq 0
	check "$name: $m grew by one" wait_for metric_is "$m" $((errors + 1))
	check "$name: one log line reason=$reason error=$error" \
		wait_for closes_are "$reason" "$error" $((lines + 1))
}

attack "foreign site" foreign-site protocol certificate
attack "forged certificate" forged-cert protocol certificate

# A revocation appended to a's own store while a runs.
seed=$(random_seed)
id=$("$HOSTILE" print-id --seed "$seed")
"$WL" revoke --site-dir "$work/site" --data-dir "$work/a" "$id" >/dev/null
check "a applies a revocation appended to its store" wait_for \
	grep -q "node revoked; .* node=${id:0:16}\$" "$work/a.log"
attack "revoked in a's store" revoked protocol revoked --seed "$seed"

# A revocation appended to b's store, which reaches a by replication.
seed=$(random_seed)
id=$("$HOSTILE" print-id --seed "$seed")
"$WL" revoke --site-dir "$work/site" --data-dir "$work/b" "$id" >/dev/null
check "a applies a revocation replicated from b" wait_for \
	grep -q "node revoked; .* node=${id:0:16}\$" "$work/a.log"
attack "revoked via b" revoked protocol revoked --seed "$seed"

attack "corrupt frame" corrupt-frame protocol auth
attack "garbage" garbage protocol auth
attack "oversized" oversized oversized too_big

# bad-event: nothing stored, each rejection counted by its reason, the feed
# that lacks its seq 1 held as pending.
rejected() { echo "wardline_ingest_rejected_total{reason=\"$1\"}"; }
r_auth=$(metric "$(rejected auth)")
r_hash=$(metric "$(rejected body_hash)")
r_chain=$(metric "$(rejected chain)")
pending=$(metric wardline_store_pending)
out=$(timeout 30 "$HOSTILE" bad-event --port "$pa" --node "$id_a" \
	--site-dir "$work/site" 2>&1)
rc=$?
printf '%s\n' "$out" | sed 's/^/    /'
check "bad events: client sent them" test "$rc" -eq 0
check "bad events: bad node signature counted" \
	wait_for metric_is "$(rejected auth)" $((r_auth + 1))
check "bad events: body hash mismatch counted" \
	wait_for metric_is "$(rejected body_hash)" $((r_hash + 1))
check "bad events: zero prev hash at seq 2 counted" \
	wait_for metric_is "$(rejected chain)" $((r_chain + 1))
check "bad events: the feed with a gap is held as pending" \
	wait_for metric_is wardline_store_pending $((pending + 2))
origins=$(printf '%s\n' "$out" | awk '$1 == "origin" { print $2 ":" $3 }')
check "bad events: four crafted feeds" \
	test "$(printf '%s\n' "$origins" | grep -c .)" -eq 4
for entry in $origins; do
	o=${entry%%:*}
	case_name=${entry#*:}
	check "bad events: $case_name: nothing stored on a" \
		test "$(feed_size a "$o")" -eq 0
	check "bad events: $case_name: nothing reached b" \
		test "$(feed_size b "$o")" -eq 0
	case $case_name in
	bad-node-signature) reason=auth ;;
	body-hash-mismatch) reason=body_hash ;;
	zero-prev-at-seq-2) reason=chain ;;
	*) continue ;;
	esac
	check "bad events: $case_name: logged with reason=$reason" \
		grep -q "event rejected reason=$reason origin=${o:0:16} " \
		"$work/a.log"
done

# After all of it, a still works.
check "a is still running" kill -0 "$pid_a"
check "a still links to b" linked
"$WL" append --data-dir "$work/b" --count 25 >/dev/null
check "a and b still replicate" wait_for same
check "a's store verifies" "$WL" verify --data-dir "$work/a" >/dev/null
check "one log line per closed link" \
	test "$(grep -c "link closed on a protocol error" "$work/a.log")" -eq 7
for want in 'link_errors_total{reason="certificate"} 2' \
	'link_errors_total{reason="revoked"} 2' \
	'link_errors_total{reason="auth"} 2' \
	'link_errors_total{reason="too_big"} 1' \
	'links_closed_total{reason="protocol"} 6' \
	'links_closed_total{reason="oversized"} 1'; do
	check "metrics: wardline_$want" metric_is "wardline_${want% *}" \
		"${want##* }"
done

"$WL" status --http-port "$ha" >"$work/a.status" 2>&1
"$WL" status --http-port "$hb" >"$work/b.status" 2>&1
kill -TERM "$pid_a"
wait "$pid_a"
rc=$?
pids=("$pid_b")
check "a stops cleanly" test "$rc" -eq 0
check "a logged its clean stop" grep -q "stopped$" "$work/a.log"
no_sanitizer_report() {
	! grep -qE 'AddressSanitizer|runtime error:' "$work/a.log" \
		"$work/b.log"
}
check "no sanitizer report from a or b" no_sanitizer_report
if [ "$failed" -ne 0 ]; then
	for n in a b; do
		echo "== $n: $("$WL" log --data-dir "$work/$n" --ids |
			wc -l) events"
		cat "$work/$n.status"
	done
	tail -n 30 "$work/a.log" "$work/b.log"
fi
echo "hostile: took $(($(date +%s) - started)) s"
echo "hostile: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
