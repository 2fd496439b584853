#!/usr/bin/env bats
# 20-serve-peers.bats - fcgitool serve with the libfcgi tools: cgi-fcgi as
# its client, spawn-fcgi and cgi-fcgi -start handing it the listening
# socket on file descriptor 0.

load ../cli/test_helper
load peers
load serve

setup() {
	peers_init
	SOCK=$PEER_DIR/serve.sock
}

teardown() {
	local p
	for p in "$PEER_DIR"/*.pid; do
		[ -f "$p" ] && kill "$(cat "$p")" 2>/dev/null
	done
	stop_peers
}

@test "cgi-fcgi -bind -connect gets answers from serve" {
	need cgi-fcgi "cgi-fcgi (libfcgi-bin) is not installed"
	start_serve "$SOCK"
	run -0 --separate-stderr env -i SCRIPT_FILENAME=/www/hello \
		QUERY_STRING=name=libfcgi cgi-fcgi -bind -connect "$SOCK"
	assert_output "$(printf 'Content-Type: text/plain\r\n\r\nHello, libfcgi!')"
	# cgi-fcgi exits with appStatus (mod 256) and prints STDERR.
	run -7 --separate-stderr env -i SCRIPT_FILENAME=/www/status \
		QUERY_STRING="code=404&exit=7" cgi-fcgi -bind -connect "$SOCK"
	assert_line --partial "Status: 404 Not Found"
	run -0 --separate-stderr env -i SCRIPT_FILENAME=/www/stderr \
		QUERY_STRING="msg=to+stderr" cgi-fcgi -bind -connect "$SOCK"
	assert_equal "$stderr" "to stderr"
}

@test "cgi-fcgi -bind -connect posts a body to echo over TCP" {
	need cgi-fcgi "cgi-fcgi (libfcgi-bin) is not installed"
	start_serve 127.0.0.1:0
	head -c 200000 /dev/urandom >"$PEER_DIR/body"
	env -i SCRIPT_FILENAME=/www/echo QUERY_STRING=raw \
		CONTENT_LENGTH=200000 REQUEST_METHOD=POST \
		cgi-fcgi -bind -connect "$SERVE_ADDR" <"$PEER_DIR/body" \
		>"$PEER_DIR/back"
	# Skip the CGI header block, then compare.
	tail -c 200000 "$PEER_DIR/back" | cmp - "$PEER_DIR/body"
	head -c 200 "$PEER_DIR/back" | grep -q "Content-Length: 200000"
}

@test "spawn-fcgi starts serve with the unix socket on fd 0" {
	need spawn-fcgi "spawn-fcgi is not installed"
	start_spawn_fcgi "$SOCK" -- "$FCGITOOL" serve --timeout 5
	wait_until 5 grep -q "listening on unix:$SOCK" "$PEER_DIR/spawn.log"
	run -0 "$FCGILOAD" -e "Hello, fd0!" "$SOCK" "/hello?name=fd0"
	run -0 "$FCGILOAD" -k -c 4 -m 4 -n 100 -e "Hello" "$SOCK" /hello
}

@test "spawn-fcgi starts serve --exec with a TCP socket on fd 0" {
	need spawn-fcgi "spawn-fcgi is not installed"
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\ncgi via %%s\\n" "$GATEWAY_INTERFACE"\n' \
		>"$PEER_WWW/gw.cgi"
	chmod +x "$PEER_WWW/gw.cgi"
	port=$(free_port)
	start_spawn_fcgi "127.0.0.1:$port" -- "$FCGITOOL" serve --exec \
		--root "$PEER_WWW"
	wait_until 5 grep -q "listening on 127.0.0.1:$port" "$PEER_DIR/spawn.log"
	run -0 "$FCGILOAD" -p GATEWAY_INTERFACE=CGI/1.1 -e "cgi via CGI/1.1" \
		"127.0.0.1:$port" gw.cgi
}

@test "cgi-fcgi -start starts serve on its socket" {
	need cgi-fcgi "cgi-fcgi (libfcgi-bin) is not installed"
	# cgi-fcgi -start runs a program without arguments: a wrapper that
	# records its pid for teardown.
	cat >"$PEER_DIR/serve-wrapper" <<EOF
#!/bin/sh
echo \$\$ >"$PEER_DIR/started.pid"
exec "$FCGITOOL" serve 2>"$PEER_DIR/started.err"
EOF
	chmod +x "$PEER_DIR/serve-wrapper"
	run -0 cgi-fcgi -start -connect "$SOCK" "$PEER_DIR/serve-wrapper"
	wait_until 5 test -s "$PEER_DIR/started.pid"
	wait_until 5 grep -q "listening on unix:$SOCK" "$PEER_DIR/started.err"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
}
