#!/bin/bash
# The demo ward, shared by tests/demo/demo.sh (make demo) and
# tests/demo/check.sh (make demo-check). Source it after setting
# DEMO_PORT_BASE; it sources tests/net/lib.sh, whose EXIT trap removes the
# namespaces, the bridge, the processes it started (by PID) and the work
# directory, also on failure and Ctrl-C.
#
# Four nodes, each in a network namespace of its own on a private bridge:
# 1 tablet-a and 2 tablet-b (the nurses' station tablets), 3 pharmacy and
# 4 charge-nurse. They find each other by mDNS on that bridge only. Node
# I's web UI listens on a Unix socket, and a socat forwarder in the
# machine's own namespace serves it on 127.0.0.1:(DEMO_PORT_BASE + I).
DEMO_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$DEMO_DIR/../net/lib.sh"
set -eu
# Some commands of net_cleanup fail when a process is already gone, so it
# runs without set -e, or it would stop half way.
trap 'set +e; net_cleanup' EXIT

DEMO_NAMES=(none tablet-a tablet-b pharmacy charge-nurse)
DEMO_PORT_BASE=${DEMO_PORT_BASE:-8080}
DEMO_WARD="4 West"
DEMO_SEED=${DEMO_SEED:-20}
# Idle lock of tablet A in seconds; the other nodes use the default.
DEMO_IDLE_A=${DEMO_IDLE_A:-600}

# The demo's people: username, role, display name, password.
DEMO_USERS=(
	"alice|admin|Alice Admin|correct horse battery staple"
	"carla|charge_nurse|Carla Charge|charge nurse on ward four"
	"olga|nurse|Olga Outgoing|day shift on ward four"
	"ivan|nurse|Ivan Incoming|night shift on ward four"
	"paul|pharmacist|Paul Pharmacist|pharmacy counter at noon"
	"cora|compliance_officer|Cora Compliance|audit trail every quarter"
)

demo_fail() {
	echo "demo: $*" >&2
	exit 1
}

demo_port() { echo $((DEMO_PORT_BASE + $1)); }
demo_sock() { echo "$NET_WORK/n$1/ui.sock"; }

# Check that nothing listens on the forwarders' ports already (a demo that
# is still running, or another program).
demo_ports_free() {
	local i port
	for i in 1 2 3 4; do
		port=$(demo_port "$i")
		if ss -Hltn "sport = :$port" | grep -q .; then
			demo_fail "127.0.0.1:$port is in use; stop what listens" \
				"there (another demo?) and run again"
		fi
	done
}

# Make the four namespaces on a private bridge, and the site with the four
# nodes enrolled under their names.
demo_network() {
	local i ns
	ip link add "$NET_BRIDGE" type bridge ||
		demo_fail "cannot make the bridge $NET_BRIDGE (needs root)"
	ip link set "$NET_BRIDGE" up
	for i in 1 2 3 4; do
		ns=$(net_ns "$i")
		ip netns add "$ns" || demo_fail "cannot make namespace $ns"
		NET_NODES=$i
		ip link add "wlv${NET_ID}h$i" type veth peer name eth0 netns "$ns"
		ip link set "wlv${NET_ID}h$i" master "$NET_BRIDGE" up
		ip -n "$ns" addr add "$(net_addr "$i")/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 multicast on
	done
	"$WL" init-site --site-dir "$NET_WORK/site" >/dev/null ||
		demo_fail "init-site failed"
	for i in 1 2 3 4; do
		"$WL" enroll --site-dir "$NET_WORK/site" \
			--data-dir "$NET_WORK/n$i" --name "${DEMO_NAMES[$i]}" \
			>/dev/null || demo_fail "enrolling ${DEMO_NAMES[$i]} failed"
	done
}

# The host side of node I's veth: down cuts the node off the ward.
demo_link() { echo "wlv${NET_ID}h$1"; }

demo_password() { # demo_password USER: the password file of USER
	echo "$NET_WORK/$1.pw"
}

demo_as() { # demo_as USER NODE COMMAND...: run COMMAND on NODE as USER
	local user=$1 node=$2
	shift 2
	"$WL" "$@" --data-dir "$NET_WORK/n$node" --as "$user" \
		--password-file "$(demo_password "$user")"
}

# Users, the audit space, the ward, the pharmacy mailbox and the census,
# written on tablet A's data directory.
demo_people() {
	local entry user role display password
	for entry in "${DEMO_USERS[@]}"; do
		IFS='|' read -r user role display password <<<"$entry"
		printf '%s\n' "$password" >"$(demo_password "$user")"
		if [ "$user" = alice ]; then
			"$WL" user add --data-dir "$NET_WORK/n1" \
				--site-dir "$NET_WORK/site" --username alice \
				--display-name "$display" --role admin \
				--password-file "$(demo_password alice)" \
				>/dev/null 2>&1
			# The first login comes before the audit space, so the
			# CLI warns that it cannot be recorded.
			demo_as alice 1 space create --kind audit --name Audit \
				>/dev/null 2>&1
		else
			"$WL" user add --data-dir "$NET_WORK/n1" --admin alice \
				--admin-password-file "$(demo_password alice)" \
				--username "$user" --display-name "$display" \
				--role "$role" --password-file \
				"$(demo_password "$user")" >/dev/null
		fi || demo_fail "adding the user $user failed"
	done
	demo_as alice 1 space add --space Audit --user cora >/dev/null
	demo_as alice 1 space create --kind ward --name "$DEMO_WARD" >/dev/null
	for user in carla olga ivan; do
		demo_as alice 1 space add --space "$DEMO_WARD" --user "$user" \
			>/dev/null || demo_fail "adding $user to the ward failed"
	done
	demo_as alice 1 space create --kind role_mailbox --name Pharmacy \
		>/dev/null
	for user in carla olga ivan paul; do
		demo_as alice 1 space add --space Pharmacy --user "$user" \
			>/dev/null || demo_fail "adding $user to Pharmacy failed"
	done
	demo_census
}

# Generate 16 invented patients and admit them to beds 1 to 16. Their
# names go to $NET_WORK/census/names, one a line.
demo_census() {
	"$WL" census generate --count 16 --seed "$DEMO_SEED" \
		--out "$NET_WORK/census" >"$NET_WORK/census.list" ||
		demo_fail "census generate failed"
	cut -f2 "$NET_WORK/census.list" >"$NET_WORK/census/names"
	demo_as carla 1 census import --ward "$DEMO_WARD" \
		"$NET_WORK"/census/patient-*.json >"$NET_WORK/census.import" ||
		demo_fail "census import failed: $(tail -3 "$NET_WORK/census.import")"
}

# Write node I's configuration: the UI on a Unix socket, the Host and
# Origin of its forwarder, and the idle lock.
demo_config() {
	local i=$1 idle=600
	[ "$i" -eq 1 ] && idle=$DEMO_IDLE_A
	cat >"$NET_WORK/n$i.conf" <<-CONF
	[http]
	unix_socket = $(demo_sock "$i")
	hosts = 127.0.0.1:$(demo_port "$i")
	[session]
	idle_seconds = $idle
	CONF
}

# Start node I in its namespace with extra options; its log goes to
# $NET_WORK/nI.log.
demo_node() {
	local i=$1
	shift
	# setsid: a Ctrl-C on the terminal reaches the script, which stops
	# the nodes in order, and not the nodes themselves.
	ip netns exec "$(net_ns "$i")" setsid "$WLNODE" --data-dir "$NET_WORK/n$i" \
		--interface eth0 --config "$NET_WORK/n$i.conf" \
		--web-root "$NET_ROOT/build/web" "$@" >>"$NET_WORK/n$i.log" 2>&1 &
	NET_PIDS[$i]=$!
}

# Start the four nodes and their forwarders.
demo_start() {
	local i
	for i in 1 2 3 4; do
		demo_config "$i"
		demo_node "$i"
	done
	for i in 1 2 3 4; do
		setsid socat "TCP-LISTEN:$(demo_port "$i"),bind=127.0.0.1,reuseaddr,fork" \
			"UNIX-CONNECT:$(demo_sock "$i")" \
			>>"$NET_WORK/socat$i.log" 2>&1 &
		NET_PIDS[$((10 + i))]=$!
	done
}

# Peers of node I as its running node reports them.
demo_peers() {
	net_cli "$1" status --json 2>/dev/null |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["peers"]))' \
			2>/dev/null || echo 0
}

demo_any_linked() {
	local i
	for i in 1 2 3 4; do
		[ "$(demo_peers "$i")" -ge 1 ] && return 0
	done
	return 1
}

demo_all_linked() {
	local i
	for i in 1 2 3 4; do
		[ "$(demo_peers "$i")" -eq 3 ] || return 1
	done
}

# Sorted ids of node I's events.
demo_ids() {
	"$WL" log --data-dir "$NET_WORK/n$1" --ids | sort
}

# Every event of node 1 is on nodes 2, 3 and 4.
demo_converged() {
	local i
	demo_ids 1 >"$NET_WORK/ids1"
	for i in 2 3 4; do
		[ -z "$(demo_ids "$i" | comm -23 "$NET_WORK/ids1" -)" ] ||
			return 1
	done
}

# Each forwarder serves its node's login page.
demo_ui_up() {
	local i
	for i in 1 2 3 4; do
		curl -fs -o /dev/null "http://127.0.0.1:$(demo_port "$i")/" ||
			return 1
	done
}

demo_print() {
	local i entry user role display password
	echo
	echo "The ward $DEMO_WARD runs on four devices. Open in a browser:"
	for i in 1 2 3 4; do
		printf '  %-13s http://127.0.0.1:%s/\n' "${DEMO_NAMES[$i]}" \
			"$(demo_port "$i")"
	done
	echo
	echo "Log in as (username / password):"
	for entry in "${DEMO_USERS[@]}"; do
		IFS='|' read -r user role display password <<<"$entry"
		printf '  %-6s %-22s %s\n' "$user" "(${role//_/ })" "$password"
	done
}
