#!/usr/bin/env bats
# 10-request-fcgiwrap.bats - fcgitool request against fcgiwrap running
# CGI scripts, started by each test on a unix socket and stopped by pid.

load ../cli/test_helper
load peers

setup() {
	peers_init
	cp "$FIXTURES"/request/*.cgi "$PEER_WWW/"
	SOCK=$PEER_DIR/fcgiwrap.sock
	cd "$PEER_DIR" || return 1
	start_fcgiwrap "$SOCK" 2
}

teardown() {
	stop_peers
}

@test "fcgiwrap: hello from a CGI script, its stderr on stderr" {
	run -0 --separate-stderr "$FCGITOOL" request --root "$PEER_WWW" \
		"$SOCK" '/hello.cgi?wrap'
	assert_equal "$output" "Hello from CGI/1.1, wrap!"
	assert_equal "$stderr" "to stderr"
}

@test "fcgiwrap: a 2 MB binary POST comes back unchanged" {
	head -c $((2 * 1024 * 1024)) /dev/urandom >body.bin
	run -0 "$FCGITOOL" request --root "$PEER_WWW" -d @body.bin -o back.bin \
		"$SOCK" /echo.cgi
	cmp body.bin back.bin
}

@test "fcgiwrap: a missing script is its 403, with the reason on stderr" {
	run -0 --separate-stderr "$FCGITOOL" request -i --root "$PEER_WWW" \
		"$SOCK" /missing.cgi
	assert_equal "$output" "$(printf 'Status: 403 Forbidden\r\nContent-Type: text/plain\r\n\r\n403 Forbidden\r')"
	assert_equal "$stderr" \
		"Cannot get script name, are DOCUMENT_ROOT and SCRIPT_NAME (or SCRIPT_FILENAME) set and is the script executable?"
	run -1 --separate-stderr "$FCGITOOL" request --fail --root "$PEER_WWW" \
		"$SOCK" /missing.cgi
	[ -z "$output" ]
	assert_equal "${stderr_lines[-1]}" \
		"fcgitool request: '/missing.cgi': HTTP status 403 Forbidden"
}

@test "fcgiwrap: cgi-fcgi and fcgitool get the same answer" {
	need cgi-fcgi "cgi-fcgi (libfcgi-bin) is not installed"
	local env=(env -i "SCRIPT_FILENAME=$PEER_WWW/hello.cgi" REQUEST_METHOD=GET
		QUERY_STRING=same GATEWAY_INTERFACE=CGI/1.1)
	"${env[@]}" cgi-fcgi -bind -connect "$SOCK" >cgi-fcgi.out 2>/dev/null
	"${env[@]}" "$FCGITOOL" request -i --env --no-default-params "$SOCK" \
		>fcgitool.out 2>/dev/null
	cmp cgi-fcgi.out fcgitool.out
	grep -q "Hello from CGI/1.1, same!" fcgitool.out
}
