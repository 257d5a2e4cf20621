#!/bin/bash
# needs: root
# make demo: start the demo ward of tests/demo/ward.sh: four nodes in
# network namespaces of their own, found by mDNS, with a site, users and a
# census of 16 invented patients. Print each device's address and the demo
# users, and run until Ctrl-C. Then remove everything the demo made: the
# processes (by PID), the namespaces, the bridge and the work directory.
DEMO_PORT_BASE=${DEMO_PORT_BASE:-8080}
. "$(dirname "$0")/ward.sh"

[ "$(id -u)" -eq 0 ] || demo_fail "needs root for network namespaces; run 'sudo make demo'"
command -v socat >/dev/null || demo_fail "needs socat ('make deps')"
[ -f "$NET_ROOT/build/web/index.html" ] || demo_fail "needs the web UI ('make web')"
demo_ports_free

# Print the end of each node's log, then fail: the logs go with the work
# directory.
demo_give_up() {
	local i
	for i in 1 2 3 4; do
		echo "--- ${DEMO_NAMES[$i]} (last lines of its log)" >&2
		tail -5 "$NET_WORK/n$i.log" >&2
	done
	demo_fail "$@"
}

echo "demo: making the ward: a site, four devices, users and 16 patients"
demo_network
demo_people
demo_start
net_until 30 demo_all_linked ||
	demo_give_up "the four nodes did not all link by mDNS within 30 s"
net_until 20 demo_converged ||
	demo_give_up "the site and census did not reach every node within 20 s"
net_until 10 demo_ui_up ||
	demo_give_up "a node's UI did not answer on its forwarder within 10 s"
demo_print
cat <<'TEXT'

Each device has a session cookie of its own, so one browser may stay
logged in on all four at once.

Press Ctrl-C to stop the ward; everything the demo made is then removed.
TEXT

# The nodes and forwarders run in sessions of their own, so a Ctrl-C
# reaches only this script, which then stops them by PID (net_cleanup).
trap 'echo; echo "demo: stopping the ward"; exit 0' INT TERM HUP
wait -n "${NET_PIDS[1]}" "${NET_PIDS[2]}" "${NET_PIDS[3]}" "${NET_PIDS[4]}"
for i in 1 2 3 4; do
	kill -0 "${NET_PIDS[$i]}" 2>/dev/null ||
		demo_give_up "the node ${DEMO_NAMES[$i]} stopped"
done
demo_give_up "a node stopped"
