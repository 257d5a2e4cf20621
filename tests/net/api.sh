#!/bin/bash
# The web UI's API on a running node, over HTTP on 127.0.0.1 (no root, no
# namespace, discovery off). A nurse logs in, reads the ward board, posts
# a message with the session's CSRF token and reads it back, starts a
# direct conversation, is refused a ward and a change of the ward's
# members, and logs out. A request with a foreign Host, a POST from a
# foreign Origin and a POST without the CSRF token are refused. The same
# node serves the UI over TLS with its self-signed certificate (whose
# fingerprint `wardline status` shows) and on a Unix socket for a
# forwarder. WLNODE may name another wardline-node binary (the sanitizer
# build).
set -u
cd "$(dirname "$0")/../.."
WL=node/wardline
WLNODE=${WLNODE:-node/wardline-node}
work=$(mktemp -d /tmp/wardline-api.XXXXXX)
pid=""
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null
	wait 2>/dev/null
	rm -rf "$work"
}
trap cleanup EXIT
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

# Ports from the process id, so that two runs do not collide.
peer_port=$((20000 + $$ % 20000))
http_port=$((peer_port + 1))
tls_port=$((peer_port + 2))
fwd_port=$((peer_port + 3)) # the Host a forwarder's browser sends
base="http://127.0.0.1:$http_port"
tls="https://127.0.0.1:$tls_port"

"$WL" init-site --site-dir "$work/site" >/dev/null
"$WL" enroll --site-dir "$work/site" --data-dir "$work/n1" --name api-1 \
	>/dev/null
printf 'correct horse battery staple\n' >"$work/alice.pw"
printf 'night shift on ward four\n' >"$work/nina.pw"
"$WL" user add --data-dir "$work/n1" --site-dir "$work/site" \
	--username alice --display-name "Alice Admin" --role admin \
	--password-file "$work/alice.pw" >/dev/null
as_alice() {
	"$WL" "$@" --data-dir "$work/n1" --as alice \
		--password-file "$work/alice.pw" >/dev/null 2>&1
}
as_alice space create --kind audit --name Audit
"$WL" user add --data-dir "$work/n1" --admin alice \
	--admin-password-file "$work/alice.pw" --username nina \
	--display-name "Nina Nurse" --role nurse \
	--password-file "$work/nina.pw" >/dev/null
as_alice space create --kind ward --name "4 West"
as_alice space add --space "4 West" --user nina
printf 'name=Maribel Tennyfield\nbed=4\n' >"$work/p4"
"$WL" ward set --data-dir "$work/n1" --space "4 West" --entity patient/p4 \
	--fields-file "$work/p4" --as nina --password-file "$work/nina.pw" \
	>/dev/null
ward=$("$WL" space list --data-dir "$work/n1" | awk '/ward/ {print $1}')

# No wait after a failed login, so that the right password may follow.
cat >"$work/node.conf" <<EOF
[session]
throttle_base_ms = 0
[http]
tls_listen = 127.0.0.1
tls_port = $tls_port
unix_socket = $work/ui.sock
hosts = 127.0.0.1:$fwd_port
EOF
"$WLNODE" --config "$work/node.conf" --data-dir "$work/n1" \
	--discovery off --listen 127.0.0.1 --peer-port "$peer_port" \
	--http-port "$http_port" >"$work/node.log" 2>&1 &
pid=$!
up() { curl -s -o /dev/null "$base/status"; }
for _ in $(seq 50); do up && break; sleep 0.1; done

# req METHOD PATH [BODY] [extra curl args]: prints the status line code
# and keeps the body in $work/body.
req() {
	local method=$1 path=$2 body=${3:-}
	shift 3 2>/dev/null || shift $#
	curl -s -o "$work/body" -w '%{http_code}' -X "$method" \
		-b "$work/jar" -c "$work/jar" \
		-H "Origin: $base" -H 'Content-Type: application/json' \
		${body:+-d "$body"} "$@" "$base$path"
}

check "foreign Host refused" \
	test "$(req GET /api/session "" -H 'Host: evil.example')" = 421
check "POST from a foreign Origin refused" \
	test "$(curl -s -o /dev/null -w '%{http_code}' -X POST \
		-H 'Origin: http://evil.example' \
		-H 'Content-Type: application/json' \
		-d '{"username":"nina","password":"x"}' \
		"$base/api/login")" = 403
check "wrong password refused" \
	test "$(req POST /api/login '{"username":"nina","password":"wrong one here"}')" = 401
check "nurse logs in" \
	test "$(req POST /api/login '{"username":"nina","password":"night shift on ward four"}')" = 200
csrf=$(sed -n 's/.*"csrf":"\([0-9a-f]*\)".*/\1/p' "$work/body")
check "the cookie is HttpOnly and SameSite=Strict" \
	grep -q "#HttpOnly_127.0.0.1" "$work/jar"
check "board lists the patient" \
	sh -c "[ \"\$(curl -s -o '$work/board' -w '%{http_code}' -b \
		'$work/jar' '$base/api/ward?space=$ward')\" = 200 ] &&
		grep -q 'Maribel Tennyfield' '$work/board'"
msg='{"space":"'$ward'","text":"Bed 4 recheck potassium","urgent":true}'
check "POST without the CSRF token refused" \
	test "$(req POST /api/messages "$msg")" = 403
check "message posted with the CSRF token" \
	test "$(req POST /api/messages "$msg" -H "X-CSRF-Token: $csrf")" = 201
check "message read back" \
	sh -c "[ \"\$(curl -s -o '$work/msgs' -w '%{http_code}' -b \
		'$work/jar' '$base/api/messages?space=$ward')\" = 200 ] &&
		grep -q 'Bed 4 recheck potassium' '$work/msgs'"
check "a nurse starts a direct conversation" \
	test "$(req POST /api/spaces '{"kind":"direct","members":["alice"]}' \
		-H "X-CSRF-Token: $csrf")" = 201
direct=$(sed -n 's/.*"id":"\([0-9a-f]*\)".*/\1/p' "$work/body")
check "a message in the direct conversation" \
	test "$(req POST /api/messages \
		'{"space":"'"$direct"'","text":"Can you reset my PIN?"}' \
		-H "X-CSRF-Token: $csrf")" = 201
check "a nurse may not create a ward" \
	test "$(req POST /api/spaces '{"kind":"ward","name":"6 North"}' \
		-H "X-CSRF-Token: $csrf")" = 403
check "a nurse may not add ward members" \
	test "$(req POST /api/spaces/members \
		'{"space":"'"$ward"'","add":"alice"}' \
		-H "X-CSRF-Token: $csrf")" = 403
check "security headers present" \
	sh -c "curl -s -D - -o /dev/null -b '$work/jar' '$base/api/session' |
		grep -qi \"^content-security-policy: default-src 'none'\""
ws() { # ws ORIGIN: the status code of a WebSocket upgrade from ORIGIN
	curl -s -o /dev/null -w '%{http_code}' --max-time 2 -b "$work/jar" \
		-H 'Connection: Upgrade' -H 'Upgrade: websocket' \
		-H 'Sec-WebSocket-Version: 13' \
		-H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' \
		-H 'Sec-WebSocket-Protocol: wardline-ui' -H "Origin: $1" \
		"$base/"
}
check "the live-update WebSocket opens from this node's page" \
	test "$(ws "$base")" = 101
check "a WebSocket from a foreign Origin is refused" \
	test "$(ws http://evil.example)" != 101
# Closed WebSockets once crashed the node: it must still respond.
check "the node still serves after the WebSockets closed" \
	test "$(curl -s -o /dev/null -w '%{http_code}' "$base/status")" = 200
check "logout" \
	test "$(req POST /api/logout '{}' -H "X-CSRF-Token: $csrf")" = 200
check "no session after logout" test "$(req GET /api/session)" = 401

# TLS: the certificate the node made, its fingerprint in `wardline status`,
# and a login whose cookie is Secure.
fp=$(openssl x509 -in "$work/n1/ui-tls.crt" -noout -fingerprint -sha256 |
	sed 's/.*=//')
check "wardline status shows the TLS fingerprint" sh -c \
	"'$WL' status --http-port $http_port |
		grep -q 'fingerprint SHA-256 $fp'"
check "the TLS key is mode 0600" \
	test "$(stat -c %a "$work/n1/ui-tls.key")" = 600
tls_req() {
	curl -s -k -o "$work/body" -w '%{http_code}' -b "$work/tjar" \
		-c "$work/tjar" -H "Origin: $tls" \
		-H 'Content-Type: application/json' "$@"
}
check "nurse logs in over TLS" test "$(tls_req -X POST \
	-d '{"username":"nina","password":"night shift on ward four"}' \
	"$tls/api/login")" = 200
check "the cookie over TLS is Secure" \
	sh -c "grep -q 'HttpOnly_127.0.0.1.*TRUE.*wl_session' '$work/tjar'"
check "the board over TLS" test "$(tls_req "$tls/api/ward?space=$ward")" = 200
check "no status page over TLS" test "$(tls_req "$tls/status")" = 404
check "plain HTTP on the TLS port refused" \
	test "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 \
		"http://127.0.0.1:$tls_port/api/session")" != 401
check "the certificate names the address" sh -c \
	"openssl x509 -in '$work/n1/ui-tls.crt' -noout -ext subjectAltName |
		grep -q 'IP Address:127.0.0.1'"

# The Unix socket, as a forwarder on 127.0.0.1:$fwd_port uses it.
unix_req() {
	curl -s -o /dev/null -w '%{http_code}' --unix-socket "$work/ui.sock" \
		"$@"
}
check "the Unix socket serves the API" test "$(unix_req \
	"http://127.0.0.1:$fwd_port/api/session")" = 401
check "the Unix socket refuses a foreign Host" test "$(unix_req \
	-H 'Host: evil.example' "http://127.0.0.1:$fwd_port/api/session")" = 421

kill -TERM "$pid"
wait "$pid" 2>/dev/null
"$WLNODE" --config "$work/node.conf" --data-dir "$work/n1" \
	--discovery off --listen 127.0.0.1 --peer-port "$peer_port" \
	--http-port "$http_port" >>"$work/node.log" 2>&1 &
pid=$!
for _ in $(seq 50); do up && break; sleep 0.1; done
check "a restart keeps the certificate" sh -c \
	"'$WL' status --http-port $http_port |
		grep -q 'fingerprint SHA-256 $fp'"
check "no message or name at rest" sh -c "! grep -r -a -q \
	-e 'recheck potassium' -e 'Maribel Tennyfield' '$work/n1' \
	'$work/node.log'"
echo "api: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
