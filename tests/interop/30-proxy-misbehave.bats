#!/usr/bin/env bats
# 30-proxy-misbehave.bats - curl -> nginx -> fcgitool proxy -> a
# misbehaving app (tests/helpers/fakepeer): bad records, an early close,
# silence.  The proxy reports each finding, nginx gives the answer it
# gives without the proxy, and the bytes pass unchanged.

load ../cli/test_helper
load peers

FAKE=$BUILD/tests/helpers/fakepeer

setup() {
	need nginx "the interop tests run nginx"
	need jq "the summaries are JSON"
	peers_init
	LOG=$PEER_DIR/proxy.log
}

teardown() {
	stop_peers
}

# start_chain SCRIPT [PROXY OPTIONS...]: fakepeer runs SCRIPT for every
# connection; the proxy in front of it, nginx in front of the proxy.
start_chain() {
	local script=$1 i
	shift
	printf '%s\n' "$script" >"$PEER_DIR/fake.script"
	"$FAKE" -n 0 "$PEER_DIR/fake.sock" "$PEER_DIR/fake.script" \
		>"$PEER_DIR/fake.out" 2>&1 &
	track "$!"
	wait_for "unix:$PEER_DIR/fake.sock"
	"$FCGITOOL" proxy --summary --json --log "$LOG" "$@" \
		--listen "$PEER_DIR/px.sock" --upstream "$PEER_DIR/fake.sock" \
		2>"$PEER_DIR/proxy.err" &
	PROXY_PID=$!
	track "$PROXY_PID"
	for i in $(seq 1 100); do
		grep -q '"listen"' "$LOG" 2>/dev/null && break
		sleep 0.05
	done
	cat >"$PEER_DIR/http.conf" <<'CONF'
server {
	listen 127.0.0.1:@PORT@;
	location / {
		fastcgi_pass unix:@DIR@/px.sock;
		fastcgi_param SCRIPT_FILENAME /srv/app$uri;
		fastcgi_param REQUEST_METHOD $request_method;
		fastcgi_read_timeout 10s;
	}
}
CONF
	start_nginx "$PEER_DIR/http.conf"
	URL=http://127.0.0.1:$NGINX_PORT
}

stop_chain() {
	kill "$NGINX_PID"
	wait "$NGINX_PID" || true
	kill -TERM "$PROXY_PID"
	wait "$PROXY_PID"
}

# Every byte the app sent reached nginx and the other way round.
bytes_unchanged() {
	run -0 jq -r 'select(.kind == "connection") |
		select(.toApp.sha256Read != .toApp.sha256Written or
		       .toWeb.sha256Read != .toWeb.sha256Written or
		       .toApp.read != .toApp.written or
		       .toWeb.read != .toWeb.written) | .conn' "$LOG"
	assert_output ""
	[ "$(jq -s '[.[] | select(.kind == "connection")] | length' "$LOG")" -ge 1 ]
}

# The violations found, as "severity code dir id".
findings() {
	jq -r 'select(.kind == "violation") | "\(.severity) \(.code) \(.dir) \(.id)"' "$LOG"
}

@test "a record of version 2 from the app: a finding, 502, bytes forwarded" {
	start_chain 'read-request
send-hex 02 06 00 01 00 05 03 00 68 65 6c 6c 6f 00 00 00
sleep 200'
	run -0 curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/x"
	assert_output 502
	stop_chain
	bytes_unchanged
	run -0 findings
	assert_line --index 0 "spec bad-version to-web 0"
	grep -q 'upstream sent unsupported FastCGI protocol version: 2' "$NGINX_LOG"
	# The to-web direction is no longer decoded, but counted whole.
	[ "$(jq -r 'select(.kind == "connection") | .toWeb.read' "$LOG")" = 16 ]
}

@test "an unknown record type from the app: a finding, 502, bytes forwarded" {
	start_chain 'read-request
send-record 12 1 61 62 63
sleep 200'
	run -0 curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/x"
	assert_output 502
	stop_chain
	bytes_unchanged
	run -0 findings
	assert_line --partial "unknown-type to-web 1"
	grep -q 'upstream sent invalid FastCGI record type: 12' "$NGINX_LOG"
}

@test "an app that closes without answering: a finding and 502" {
	start_chain 'read-request
close'
	run -0 curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$URL/x"
	assert_output 502
	stop_chain
	bytes_unchanged
	run -0 findings
	assert_line "spec eof-mid-request to-web 1"
	run -0 jq -r 'select(.kind == "request") | "\(.script) \(.ended) \(.status)"' "$LOG"
	assert_output "/srv/app/x false null"
	grep -q 'upstream prematurely closed' "$NGINX_LOG"
}

@test "an app that stops mid-answer: a finding, and nginx ends the body early" {
	start_chain 'read-request
send-text STDOUT 1 Status: 200\r\nContent-Type: text/plain\r\n\r\npartial
close'
	run curl -s --max-time 10 "$URL/x"
	# nginx has sent the headers; the body stops where the app stopped.
	[[ "$output" == partial* ]]
	stop_chain
	bytes_unchanged
	run -0 findings
	assert_line "spec eof-mid-request to-web 1"
}

@test "a silent app: the proxy answers 504 in its place" {
	start_chain 'read-request
sleep 5000' --upstream-timeout 0.5
	run -0 curl -s -w '\n%{http_code}' --max-time 10 "$URL/slow"
	assert_line --index 0 "fcgitool proxy: the upstream was silent for 0.500 s"
	assert_line --index 1 504
	stop_chain
	run -0 jq -r 'select(.kind == "request") | "\(.script) \(.status) \(.appStatus) \(.protocolStatus) \(.timedOut)"' "$LOG"
	assert_output "/srv/app/slow 504 504 REQUEST_COMPLETE true"
	# What nginx sent went through unchanged; toward nginx only the
	# proxy's own answer went.
	run -0 jq -r 'select(.kind == "connection") | "\(.toApp.read == .toApp.written) \(.toWeb.read) \(.toWeb.written == .toWeb.injected) \(.reason)"' "$LOG"
	assert_output "true 0 true upstream timeout"
	# No finding: the answer is well-formed and nginx took it.
	run -0 findings
	assert_output ""
	! grep -q 'upstream timed out' "$NGINX_LOG"
}
