#!/bin/bash
# Harness for multi-node tests: K network namespaces on a private bridge,
# one wardline-node in each, always cleaned up. Source it, then call
# net_setup K; everything it makes is removed on exit, even on failure.
#
# Nothing here reaches beyond the bridge: the namespaces have no route out,
# and the addresses are in a /24 that exists only on this bridge.

set -u
NET_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
WL="$NET_ROOT/node/wardline"
WLNODE="$NET_ROOT/node/wardline-node"
NET_ID=$$
NET_BRIDGE="wlb$NET_ID"
NET_SUBNET="10.231.$((NET_ID % 250 + 1))"
NET_WORK=$(mktemp -d /tmp/wardline-net.XXXXXX)
NET_NODES=0
NET_PASSED=0
NET_FAILED=0
declare -a NET_PIDS=()
# Extra wardline-node options for every node, e.g. "--discovery off".
NET_NODE_OPTS=${NET_NODE_OPTS:-}

net_ns() { echo "wln$NET_ID-$1"; }
net_addr() { echo "$NET_SUBNET.$(($1 + 10))"; }

net_cleanup() {
	local i
	for i in "${!NET_PIDS[@]}"; do
		[ -n "${NET_PIDS[$i]}" ] && kill -TERM "${NET_PIDS[$i]}" 2>/dev/null
	done
	sleep 0.3
	for i in "${!NET_PIDS[@]}"; do
		[ -n "${NET_PIDS[$i]}" ] && kill -KILL "${NET_PIDS[$i]}" 2>/dev/null
	done
	wait 2>/dev/null
	for ((i = 1; i <= NET_NODES; i++)); do
		ip netns del "$(net_ns "$i")" 2>/dev/null
		ip link del "wlv${NET_ID}h$i" 2>/dev/null
	done
	ip link del "$NET_BRIDGE" 2>/dev/null
	if [ "${NET_KEEP:-0}" = 1 ]; then
		echo "net: kept $NET_WORK"
	else
		rm -rf "$NET_WORK"
	fi
}
trap net_cleanup EXIT
trap 'exit 1' INT TERM

# Make K namespaces with one veth each on the private bridge, and a site
# with K enrolled nodes (data directories $NET_WORK/nI).
net_setup() {
	local k=$1 i ns
	ip link add "$NET_BRIDGE" type bridge || return 1
	ip link set "$NET_BRIDGE" up
	for ((i = 1; i <= k; i++)); do
		ns=$(net_ns "$i")
		ip netns add "$ns" || return 1
		NET_NODES=$i
		ip link add "wlv${NET_ID}h$i" type veth peer name eth0 netns "$ns"
		ip link set "wlv${NET_ID}h$i" master "$NET_BRIDGE" up
		ip -n "$ns" addr add "$(net_addr "$i")/24" dev eth0
		ip -n "$ns" link set eth0 up
		ip -n "$ns" link set lo up
		ip -n "$ns" link set eth0 multicast on
	done
	"$WL" init-site --site-dir "$NET_WORK/site" >/dev/null || return 1
	for ((i = 1; i <= k; i++)); do
		"$WL" enroll --site-dir "$NET_WORK/site" \
			--data-dir "$NET_WORK/n$i" --name "node-$i" \
			>/dev/null || return 1
	done
}

# Start the node of namespace I with extra options; its log goes to
# $NET_WORK/nI.log.
net_start() {
	local i=$1
	shift
	# shellcheck disable=SC2086
	ip netns exec "$(net_ns "$i")" "$WLNODE" --data-dir "$NET_WORK/n$i" \
		--interface eth0 --http-port 8080 $NET_NODE_OPTS "$@" \
		>>"$NET_WORK/n$i.log" 2>&1 &
	NET_PIDS[$i]=$!
}

net_kill() {
	local i=$1 sig=${2:-TERM}
	[ -n "${NET_PIDS[$i]:-}" ] || return 0
	kill -"$sig" "${NET_PIDS[$i]}" 2>/dev/null
	wait "${NET_PIDS[$i]}" 2>/dev/null
	NET_PIDS[$i]=""
}

# Run the CLI inside namespace I.
net_cli() {
	local i=$1
	shift
	ip netns exec "$(net_ns "$i")" "$WL" "$@"
}

# The store summary of node I without the map size, which may differ.
net_store() {
	net_cli "$1" status --json 2>/dev/null | python3 -c 'import json,sys
s = json.load(sys.stdin)["store"]
print(s["events"], s["origins"], s["pending"], s["forks"])'
}

# Events in node I's store as its running node reports them (fast).
net_events() {
	net_cli "$1" status --json 2>/dev/null |
		sed -n 's/.*"store": *{"events": *\([0-9]*\).*/\1/p'
}

net_peers() {
	net_cli "$1" status --json 2>/dev/null |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)["peers"]))' 2>/dev/null ||
		echo 0
}

# Sorted full ids of every event of node I, hashed: equal digests mean
# equal logs.
net_digest() {
	"$WL" log --data-dir "$NET_WORK/n$1" --ids | sort | sha256sum | cut -c1-16
}

net_count() {
	"$WL" log --data-dir "$NET_WORK/n$1" --ids | wc -l
}

# Wait up to SECONDS for COMMAND to succeed; prints the time taken.
net_wait() {
	local seconds=$1 start now
	shift
	start=$(date +%s%N)
	while true; do
		if "$@"; then
			now=$(date +%s%N)
			echo $(((now - start) / 1000000))
			return 0
		fi
		now=$(date +%s%N)
		[ $(((now - start) / 1000000000)) -ge "$seconds" ] && return 1
		sleep 0.1
	done
}

# As net_wait, printing nothing: for use inside net_check.
net_until() {
	net_wait "$@" >/dev/null
}

net_check() {
	local name=$1
	shift
	if "$@"; then
		echo "ok: $name"
		NET_PASSED=$((NET_PASSED + 1))
	else
		echo "FAILED: $name"
		NET_FAILED=$((NET_FAILED + 1))
	fi
}

net_summary() {
	echo "$1: $NET_PASSED passed, $NET_FAILED failed"
	[ "$NET_FAILED" -eq 0 ]
}

# Run an independent avahi-browse -rp _wardline._tcp in namespace I (one
# without a node: one mDNS stack per namespace) and write its output to
# $NET_WORK/browse.out, in up to three rounds of 4 s that stop once the
# command CHECK (optional) succeeds. It needs avahi-daemon and avahi-browse, from
# AVAHI_ROOT (Debian's packages unpacked by the Makefile) or the system,
# and dbus-daemon. A private D-Bus and avahi-daemon run in a mount
# namespace of their own with a tmpfs on /run, and are stopped by PID.
# Returns 2 when the tools are missing.
net_browse() {
	local i=$1 check=${2:-} ns root=${AVAHI_ROOT:-} daemon browse dbus holder
	ns=$(net_ns "$i")
	daemon=${root:+$root/usr/sbin/}avahi-daemon
	browse=${root:+$root/usr/bin/}avahi-browse
	dbus=$(command -v dbus-daemon)
	[ -n "$root" ] || daemon=$(command -v avahi-daemon)
	[ -n "$root" ] || browse=$(command -v avahi-browse)
	[ -x "$daemon" ] && [ -x "$browse" ] && [ -n "$dbus" ] || return 2
	[ -n "$root" ] && export LD_LIBRARY_PATH=$root/usr/lib/x86_64-linux-gnu

	cat >"$NET_WORK/dbus.conf" <<-CONF
	<!DOCTYPE busconfig PUBLIC
	 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<busconfig>
	  <type>system</type>
	  <listen>unix:path=/run/dbus/system_bus_socket</listen>
	  <auth>EXTERNAL</auth>
	  <policy context="default">
	    <allow user="*"/> <allow own="*"/>
	    <allow send_type="method_call"/> <allow send_type="signal"/>
	    <allow send_type="method_return"/> <allow send_type="error"/>
	    <allow receive_type="method_call"/> <allow receive_type="signal"/>
	    <allow receive_type="method_return"/> <allow receive_type="error"/>
	  </policy>
	</busconfig>
	CONF
	cat >"$NET_WORK/avahi.conf" <<-CONF
	[server]
	host-name=wlbrowse$NET_ID
	use-ipv6=no
	allow-interfaces=eth0
	enable-dbus=yes
	[wide-area]
	enable-wide-area=no
	[publish]
	publish-hinfo=no
	publish-workstation=no
	disable-publishing=yes
	CONF
	holder="$NET_WORK/holder.sh"
	cat >"$holder" <<-'SCRIPT'
	set -e
	mount -n -t tmpfs tmpfs /run
	mkdir -p /run/dbus
	if ! getent passwd avahi >/dev/null; then
		cp /etc/passwd "$2/passwd"
		echo "avahi:x:0:0:avahi:/nonexistent:/usr/sbin/nologin" >>"$2/passwd"
		mount -n --bind "$2/passwd" /etc/passwd
	fi
	if ! getent group avahi >/dev/null; then
		cp /etc/group "$2/group"
		echo "avahi:x:0:" >>"$2/group"
		mount -n --bind "$2/group" /etc/group
	fi
	exec "$1" --nofork --nopidfile --config-file="$2/dbus.conf"
	SCRIPT
	ip netns exec "$ns" unshare -m --propagation private \
		sh "$holder" "$dbus" "$NET_WORK" >"$NET_WORK/dbus.log" 2>&1 &
	NET_PIDS[100]=$!
	for _ in $(seq 50); do
		nsenter -t "${NET_PIDS[100]}" -m -n \
			test -S /run/dbus/system_bus_socket && break
		sleep 0.1
	done
	nsenter -t "${NET_PIDS[100]}" -m -n "$daemon" \
		-f "$NET_WORK/avahi.conf" --no-drop-root --no-chroot \
		--no-rlimits >"$NET_WORK/avahi.log" 2>&1 &
	NET_PIDS[101]=$!
	for _ in $(seq 50); do
		grep -q "Server startup complete" "$NET_WORK/avahi.log" && break
		sleep 0.1
	done
	# Browse without -t: "-t" ends at the first "all for now", which
	# under load can come before every service is resolved. Each round
	# browses for 4 s; CHECK (when given) ends the rounds early.
	: >"$NET_WORK/browse.out"
	for _ in 1 2 3; do
		nsenter -t "${NET_PIDS[100]}" -m -n timeout 4 "$browse" -rp \
			_wardline._tcp >>"$NET_WORK/browse.out" 2>&1
		[ -n "$check" ] && "$check" && break
	done
	net_kill 101 TERM
	net_kill 100 TERM
	return 0
}
