#!/bin/bash
# needs: root
# Crash during backfill: node 2 pulls 20,000 events from node 1 and is
# killed with SIGKILL at a random moment, 10 times. After each kill its
# store verifies, and after each restart the two converge. Each round
# starts node 2 from an empty store so that most kills land in a backfill.
. "$(dirname "$0")/lib.sh"

ROUNDS=${ROUNDS:-10}
net_setup 2 || exit 1
"$WL" append --data-dir "$NET_WORK/n1" --count 20000 --batch 500 >/dev/null
net_start 1
# 20,000 events and the two certificates.
expected=$(($(net_count 1) + 1))

converged() {
	[ "$(net_count 1)" -eq "$expected" ] &&
		[ "$(net_count 2)" -eq "$expected" ] &&
		[ "$(net_digest 1)" = "$(net_digest 2)" ]
}

# Node 2 hands its certificate event to node 1 once. Afterwards its empty
# store gets its own feed back from node 1: restarting a feed from seq 1
# with new events would be a fork.
net_start 2
net_check "first sync" net_until 30 converged
net_kill 2 TERM

verified=0
converged_rounds=0
partial=0
for round in $(seq 1 "$ROUNDS"); do
	rm -f "$NET_WORK/n2/data.mdb" "$NET_WORK/n2/lock.mdb"
	net_start 2
	# Kill when the backfill has passed a random point between 1,000 and
	# 15,000 events, or after 10 s at the latest.
	target=$((RANDOM % 14000 + 1000))
	for _ in $(seq 1 1000); do
		now=$(net_events 2)
		[ "${now:-0}" -ge "$target" ] && break
		sleep 0.01
	done
	net_kill 2 KILL
	got=$(net_count 2)
	[ "$got" -gt 1 ] && [ "$got" -lt "$expected" ] &&
		partial=$((partial + 1))
	if "$WL" verify --data-dir "$NET_WORK/n2" >/dev/null; then
		verified=$((verified + 1))
	else
		echo "round $round: store of node 2 does not verify after kill"
	fi
	net_start 2
	if net_until 30 converged; then
		converged_rounds=$((converged_rounds + 1))
	else
		echo "round $round: no convergence (n1=$(net_count 1)" \
			"n2=$(net_count 2))"
	fi
	net_kill 2 TERM
	echo "crash: round $round killed at $got of $expected events"
done

net_check "store verifies after each of $ROUNDS kills" \
	test "$verified" -eq "$ROUNDS"
net_check "nodes converge after each restart" \
	test "$converged_rounds" -eq "$ROUNDS"
net_check "most kills land inside the backfill ($partial of $ROUNDS)" \
	test "$partial" -ge $((ROUNDS / 2))
net_summary crash
