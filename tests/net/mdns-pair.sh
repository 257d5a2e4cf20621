#!/bin/bash
# needs: root
# mDNS discovery between nodes, each in a network namespace of its own on a
# private bridge (wlmd-br0, 10.213.0.0/24), so that no mDNS packet leaves
# this machine's test bridge. Runs build/net/mdns_probe (or $PROBE) and
# checks:
#   - two nodes of one site find each other within 5 s, with the IPv4
#     address, and IPv6 link-local addresses carry "%eth0";
#   - a node of another site is never reported;
#   - an address change reaches the peer as a new "found";
#   - interface down and up: the node reports its peer removed, then found;
#   - a clean exit reaches the peer as "removed", and every probe closes its
#     loop with no handle left;
#   - two nodes with the same host and service names both come up (one
#     renamed) and find each other;
#   - with avahi-daemon available: the avahi-daemon backend against an
#     embedded node, avahi-browse as an outside check, the embedded stack
#     refusing to start next to the daemon, start without the daemon, and a
#     daemon restart. The daemon and its private D-Bus run in one namespace
#     with a tmpfs on /run, so the machine's own /run and bus are untouched.
#     Install avahi-daemon, avahi-utils and dbus (their services must not
#     start on the host), or unpack the avahi-daemon, avahi-utils and
#     libdaemon0 packages with dpkg-deb -x into a directory and set
#     AVAHI_ROOT to it. Without them those checks are skipped.
# Needs root. Prints "mdns: N passed, N failed" and exits non-zero on any
# failure. Everything it creates is removed on exit, even on failure.
set -u

cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then
	echo "mdns: needs root to create network namespaces" >&2
	exit 1
fi

PROBE=${PROBE:-build/net/mdns_probe}
make -s --no-print-directory "$PROBE" || exit 1
# Absolute, because nsenter into a mount namespace starts at its root.
PROBE=$(realpath "$PROBE")

if [ -n "${AVAHI_ROOT:-}" ]; then
	AVAHI_DAEMON=${AVAHI_DAEMON:-$AVAHI_ROOT/usr/sbin/avahi-daemon}
	AVAHI_BROWSE=${AVAHI_BROWSE:-$AVAHI_ROOT/usr/bin/avahi-browse}
	export LD_LIBRARY_PATH=$AVAHI_ROOT/usr/lib/x86_64-linux-gnu
fi
AVAHI_DAEMON=${AVAHI_DAEMON:-$(command -v avahi-daemon)}
AVAHI_BROWSE=${AVAHI_BROWSE:-$(command -v avahi-browse)}
DBUS_DAEMON=${DBUS_DAEMON:-$(command -v dbus-daemon)}

# One run at a time: the names below are fixed.
exec 9>/tmp/wlmd-mdns-pair.lock
if ! flock -n 9; then
	echo "mdns: another run holds /tmp/wlmd-mdns-pair.lock" >&2
	exit 1
fi

BR=wlmd-br0
NAMESPACES="wlmd-a wlmd-b wlmd-c wlmd-d"
SITE=00112233445566778899aabbccddeeff
OTHER_SITE=ffeeddccbbaa99887766554433221100
hex32() { printf "$1%.0s" $(seq 32); }
NODE_A=$(hex32 aa)
NODE_B=$(hex32 bb)
NODE_C=$(hex32 cc)
NODE_D=$(hex32 dd)
TWIN_A=12345678$(printf 'aa%.0s' $(seq 28))
TWIN_B=12345678$(printf 'bb%.0s' $(seq 28))

work=$(mktemp -d /tmp/wlmd-mdns.XXXXXX)
pids=""
passed=0
failed=0

cleanup() {
	for pid in $pids; do
		kill -TERM "$pid" 2>/dev/null
	done
	for pid in $pids; do
		wait "$pid" 2>/dev/null
	done
	for ns in $NAMESPACES; do
		ip netns del "$ns" 2>/dev/null
	done
	ip link del "$BR" 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

check() {
	local name=$1
	shift
	if "$@"; then
		echo "ok - $name"
		passed=$((passed + 1))
		return 0
	fi
	echo "FAIL - $name"
	failed=$((failed + 1))
	return 1
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# wait_for FILE REGEX SECONDS [MIN_COUNT]: wait until FILE has at least
# MIN_COUNT (default 1) lines matching REGEX.
wait_for() {
	local deadline=$(($(now_ms) + $3 * 1000))
	local min=${4:-1}
	while [ "$(now_ms)" -lt "$deadline" ]; do
		[ "$(count "$1" "$2")" -ge "$min" ] && return 0
		sleep 0.1
	done
	[ "$(count "$1" "$2")" -ge "$min" ]
}

count() { grep -cE "$2" "$1" 2>/dev/null || true; }

none_of() { [ "$(count "$1" "$2")" -eq 0 ]; }

# Stop a probe with SIGTERM and check that it exited 0: its loop closed.
stop_probe() {
	local pid=$1 status
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"
	status=$?
	pids=$(echo "$pids" | sed "s/\<$pid\>//")
	[ "$status" -eq 0 ]
}

# run_probe NS LABEL ARGS...: start a probe in NS, output in $work/LABEL.*
run_probe() {
	local ns=$1 label=$2
	shift 2
	ip netns exec "$ns" "$PROBE" --seconds 120 "$@" \
		>"$work/$label.out" 2>"$work/$label.err" &
	last_pid=$!
	pids="$pids $last_pid"
}

first_ms() {
	sed -n 's/^probe: first peer after \([0-9]*\) ms$/\1/p' "$work/$1.err"
}

setup() {
	for ns in $NAMESPACES; do
		ip netns del "$ns" 2>/dev/null
	done
	ip link del "$BR" 2>/dev/null
	ip link add "$BR" type bridge || return 1
	# The host side takes no part: no IPv6 on the bridge or its ports.
	sysctl -qw "net.ipv6.conf.$BR.disable_ipv6=1"
	ip link set "$BR" up
	local i=10
	for ns in $NAMESPACES; do
		i=$((i + 1))
		local port=wlmd-v${ns#wlmd-}
		ip netns add "$ns" || return 1
		ip link add "$port" type veth peer name eth0 netns "$ns" ||
			return 1
		sysctl -qw "net.ipv6.conf.$port.disable_ipv6=1"
		ip link set "$port" master "$BR" up
		ip -n "$ns" link set lo up
		ip -n "$ns" addr add "10.213.0.$i/24" dev eth0
		ip -n "$ns" link set eth0 up
	done
}

if ! setup; then
	echo "mdns: could not create the namespaces; check that iproute2" \
		"supports veth and bridge links here" >&2
	exit 1
fi

# Pair, other site, address change, interface down and up, clean exit.
run_probe wlmd-a a --node "$NODE_A" --site "$SITE" --name alpha --port 7001
pid_a=$last_pid
run_probe wlmd-b b --node "$NODE_B" --site "$SITE" --name bravo --port 7002
pid_b=$last_pid
run_probe wlmd-c c --node "$NODE_C" --site "$OTHER_SITE" --name charlie \
	--port 7003
pid_c=$last_pid

check "a finds b within 5 s" \
	wait_for "$work/a.out" "^found $NODE_B 10\.213\.0\.12 7002$" 5
check "b finds a within 5 s" \
	wait_for "$work/b.out" "^found $NODE_A 10\.213\.0\.11 7001$" 5
echo "# first peer after: a $(first_ms a) ms, b $(first_ms b) ms"
check "IPv6 link-local address carries %eth0" \
	wait_for "$work/a.out" "^found $NODE_B fe80:[0-9a-f:]*%eth0 7002$" 3
sleep 2
check "a ignores the node of another site" none_of "$work/a.out" "$NODE_C"
check "b ignores the node of another site" none_of "$work/b.out" "$NODE_C"
check "the node of another site reports nothing" \
	none_of "$work/c.out" "^found"

t0=$(now_ms)
# Delete first: deleting the primary address of a subnet also deletes the
# secondary ones.
ip -n wlmd-b addr del 10.213.0.12/24 dev eth0
ip -n wlmd-b addr add 10.213.0.22/24 dev eth0
check "a sees b's new address within 5 s" \
	wait_for "$work/a.out" "^found $NODE_B 10\.213\.0\.22 7002$" 5
echo "# new address seen after $(($(now_ms) - t0)) ms"

found_a=$(count "$work/b.out" "^found $NODE_A 10\.213\.0\.11 7001$")
ip -n wlmd-b link set eth0 down
check "b reports a removed when its interface goes down" \
	wait_for "$work/b.out" "^removed $NODE_A$" 3
t0=$(now_ms)
ip -n wlmd-b link set eth0 up
check "b finds a again within 5 s of interface up" \
	wait_for "$work/b.out" "^found $NODE_A 10\.213\.0\.11 7001$" 5 \
	$((found_a + 1))
echo "# found again after $(($(now_ms) - t0)) ms"

removed_a=$(count "$work/b.out" "^removed $NODE_A$")
t0=$(now_ms)
check "a stops cleanly" stop_probe "$pid_a"
check "b sees a's clean exit as removed within 3 s" \
	wait_for "$work/b.out" "^removed $NODE_A$" 3 $((removed_a + 1))
echo "# removal seen after $(($(now_ms) - t0)) ms"
check "b stops cleanly" stop_probe "$pid_b"
check "c stops cleanly" stop_probe "$pid_c"

# Same host name (same name and same first 8 hex digits of the node id)
# and same service name on two nodes starting together.
ip -n wlmd-b addr del 10.213.0.22/24 dev eth0
ip -n wlmd-b addr add 10.213.0.12/24 dev eth0
run_probe wlmd-a ta --node "$TWIN_A" --site "$SITE" --name twin --port 7000
pid_a=$last_pid
run_probe wlmd-b tb --node "$TWIN_B" --site "$SITE" --name twin --port 7000
pid_b=$last_pid
check "twin a finds twin b within 10 s" \
	wait_for "$work/ta.out" "^found $TWIN_B 10\.213\.0\.12 7000$" 10
check "twin b finds twin a within 10 s" \
	wait_for "$work/tb.out" "^found $TWIN_A 10\.213\.0\.11 7000$" 10
echo "# first peer after: twin a $(first_ms ta) ms, twin b $(first_ms tb) ms"
renames() {
	cat "$work/ta.err" "$work/tb.err" | grep -c "$1" || true
}
check "twin a never reports its own address" \
	none_of "$work/ta.out" " 10\.213\.0\.11 "
check "twin b never reports its own address" \
	none_of "$work/tb.out" " 10\.213\.0\.12 "
host_renames=$(renames "Host name already used")
service_renames=$(renames "Service name already used")
echo "# renames: host $host_renames, service $service_renames"
check "one twin renamed its host" [ "$host_renames" -ge 1 ]
check "the twins settled (at most 4 renames)" \
	[ $((host_renames + service_renames)) -le 4 ]
check "twin a stops cleanly" stop_probe "$pid_a"
check "twin b stops cleanly" stop_probe "$pid_b"

# The avahi-daemon backend.
start_avahi() {
	nsenter -t "$pid_bus" -m -n "$AVAHI_DAEMON" -f "$work/avahi.conf" \
		--no-drop-root --no-chroot --no-rlimits \
		>>"$work/avahi.log" 2>&1 &
	pid_avahi=$!
	pids="$pids $pid_avahi"
	wait_for "$work/avahi.log" "Server startup complete" 5
}

in_d() { nsenter -t "$pid_bus" -m -n "$@"; }

daemon_checks() {
	cat >"$work/dbus.conf" <<-EOF
	<!DOCTYPE busconfig PUBLIC
	 "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
	 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
	<busconfig>
	  <type>system</type>
	  <listen>unix:path=/run/dbus/system_bus_socket</listen>
	  <auth>EXTERNAL</auth>
	  <policy context="default">
	    <allow user="*"/>
	    <allow own="*"/>
	    <allow send_type="method_call"/>
	    <allow send_type="signal"/>
	    <allow send_type="method_return"/>
	    <allow send_type="error"/>
	    <allow receive_type="method_call"/>
	    <allow receive_type="signal"/>
	    <allow receive_type="method_return"/>
	    <allow receive_type="error"/>
	  </policy>
	</busconfig>
	EOF
	cat >"$work/avahi.conf" <<-EOF
	[server]
	host-name=wlmd-d
	use-ipv4=yes
	use-ipv6=yes
	allow-interfaces=eth0
	enable-dbus=yes
	[wide-area]
	enable-wide-area=no
	[publish]
	publish-hinfo=no
	publish-workstation=no
	publish-aaaa-on-ipv4=no
	[reflector]
	enable-reflector=no
	EOF

	# The bus process keeps a private mount namespace with a tmpfs on
	# /run, and the daemon and the probe enter it. The daemon needs a
	# user and a group "avahi" for its runtime directory. Where the
	# package did not create them, they exist only in copies of
	# /etc/passwd and /etc/group mounted in that namespace.
	cat >"$work/holder.sh" <<-'EOF'
	set -e
	mount -n -t tmpfs tmpfs /run
	mkdir -p /run/dbus
	if ! getent passwd avahi >/dev/null; then
		cp /etc/passwd "$2/passwd"
		echo "avahi:x:0:0:avahi:/nonexistent:/usr/sbin/nologin" \
			>>"$2/passwd"
		mount -n --bind "$2/passwd" /etc/passwd
	fi
	if ! getent group avahi >/dev/null; then
		cp /etc/group "$2/group"
		echo "avahi:x:0:" >>"$2/group"
		mount -n --bind "$2/group" /etc/group
	fi
	exec "$1" --nofork --nopidfile --config-file="$2/dbus.conf"
	EOF
	ip netns exec wlmd-d unshare -m --propagation private \
		sh "$work/holder.sh" "$DBUS_DAEMON" "$work" \
		>"$work/dbus.log" 2>&1 &
	pid_bus=$!
	pids="$pids $pid_bus"
	for _ in $(seq 50); do
		in_d test -S /run/dbus/system_bus_socket && break
		sleep 0.1
	done
	check "avahi-daemon starts in its namespace" start_avahi || return

	run_probe wlmd-a da --node "$NODE_A" --site "$SITE" --name alpha \
		--port 7001
	pid_a=$last_pid
	# nsenter itself, not in_d: a function in the background would run
	# in a subshell, and $! would be that subshell, not the probe.
	nsenter -t "$pid_bus" -m -n "$PROBE" --seconds 120 \
		--backend avahi-daemon --node "$NODE_D" --site "$SITE" \
		--name delta --port 7004 >"$work/dd.out" 2>"$work/dd.err" &
	pid_d=$!
	pids="$pids $pid_d"

	check "daemon backend finds the embedded node within 5 s" \
		wait_for "$work/dd.out" "^found $NODE_A 10\.213\.0\.11 7001$" 5
	check "embedded node finds the daemon backend within 5 s" \
		wait_for "$work/da.out" "^found $NODE_D 10\.213\.0\.14 7004$" 5
	echo "# first peer after: daemon backend $(first_ms dd) ms," \
		"embedded $(first_ms da) ms"

	in_d timeout 10 "$AVAHI_BROWSE" -rpt _wardline._tcp \
		>"$work/browse.out" 2>&1
	check "avahi-browse lists the embedded node with its TXT record" \
		grep -qE "^=;eth0;IPv4;wardline\\\\032alpha;_wardline\._tcp;local;.*;10\.213\.0\.11;7001;.*\"node=$NODE_A\"" \
		"$work/browse.out"
	check "avahi-browse sees v=1 and the site" \
		grep -qE "\"site=$SITE\".*\"v=1\"|\"v=1\".*\"site=$SITE\"" \
		"$work/browse.out"

	in_d timeout 10 "$PROBE" --seconds 1 --node "$NODE_C" --site "$SITE" \
		--name clash >"$work/clash.out" 2>"$work/clash.err"
	check "embedded stack refuses to start next to avahi-daemon" \
		[ $? -eq 2 ]

	# Daemon restart: the backend waits, then publishes and browses
	# again, and the embedded node reports it removed and found again.
	removed_d=$(count "$work/da.out" "^removed $NODE_D$")
	found_a=$(count "$work/dd.out" "^found $NODE_A 10\.213\.0\.11 7001$")
	kill -TERM "$pid_avahi"
	wait "$pid_avahi"
	check "daemon backend notices the daemon is gone" \
		wait_for "$work/dd.err" "Lost avahi-daemon" 5
	check "embedded node sees the daemon backend removed" \
		wait_for "$work/da.out" "^removed $NODE_D$" 5 $((removed_d + 1))
	in_d timeout 10 "$PROBE" --seconds 1 --backend avahi-daemon \
		--node "$NODE_C" --site "$SITE" --name nodaemon \
		>"$work/nodaemon.out" 2>"$work/nodaemon.err"
	check "daemon backend start fails without a daemon" [ $? -eq 2 ]
	t0=$(now_ms)
	check "avahi-daemon restarts" start_avahi || return
	check "daemon backend finds the node again after the restart" \
		wait_for "$work/dd.out" "^found $NODE_A 10\.213\.0\.11 7001$" \
		8 $((found_a + 1))
	check "embedded node finds the daemon backend again" \
		wait_for "$work/da.out" "^found $NODE_D 10\.213\.0\.14 7004$" \
		8 2
	echo "# found again after the restart: $(($(now_ms) - t0)) ms"

	removed_d=$(count "$work/da.out" "^removed $NODE_D$")
	check "daemon backend stops cleanly" stop_probe "$pid_d"
	check "embedded node sees the daemon backend's exit" \
		wait_for "$work/da.out" "^removed $NODE_D$" 3 $((removed_d + 1))
	check "embedded node stops cleanly" stop_probe "$pid_a"
}

if [ -x "$AVAHI_DAEMON" ] && [ -x "$AVAHI_BROWSE" ] &&
	[ -x "$DBUS_DAEMON" ]; then
	daemon_checks
else
	echo "# skipped the avahi-daemon checks: avahi-daemon, avahi-browse" \
		"or dbus-daemon not found (see the header of this script)"
fi

if [ "$failed" -ne 0 ] || [ -n "${VERBOSE:-}" ]; then
	for f in "$work"/*.out "$work"/*.err "$work"/*.log; do
		[ -s "$f" ] || continue
		echo "== ${f##*/}"
		cat "$f"
	done
fi
echo "mdns: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
