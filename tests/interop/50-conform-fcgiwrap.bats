#!/usr/bin/env bats
# 50-conform-fcgiwrap.bats - fcgitool conform against fcgiwrap running a
# CGI program that echoes the body (tests/conform/cgi-echo.c, built here);
# every verdict must equal tests/conform/expected/fcgiwrap.txt.

load ../cli/test_helper
load peers
load ../conform/conform

setup() {
	peers_init
	need cc "a C compiler builds the CGI program"
	cc -o "$PEER_WWW/echo" "$TOP/tests/conform/cgi-echo.c" ||
		fail "cannot build cgi-echo"
	start_fcgiwrap "$PEER_DIR/wrap.sock" 4
}

teardown() {
	stop_peers
}

@test "conform: fcgiwrap's verdicts are the expected ones" {
	conform_check fcgiwrap --profile fcgiwrap --script "$PEER_WWW/echo" \
		--echo "unix:$PEER_DIR/wrap.sock"
}
