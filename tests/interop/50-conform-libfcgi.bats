#!/usr/bin/env bats
# 50-conform-libfcgi.bats - fcgitool conform against a libfcgi program
# (tests/conform/libfcgi-echo.c, built here with -lfcgi) that spawn-fcgi
# starts; every verdict must equal tests/conform/expected/libfcgi.txt.

load ../cli/test_helper
load peers
load ../conform/conform

setup() {
	peers_init
	need cc "a C compiler builds the libfcgi program"
	[ -f /usr/include/fcgiapp.h ] || need fcgiapp.h "libfcgi-dev is not installed"
	cc -o "$PEER_DIR/libfcgi-echo" "$TOP/tests/conform/libfcgi-echo.c" -lfcgi ||
		fail "cannot build libfcgi-echo"
	start_spawn_fcgi "$PEER_DIR/lib.sock" -- "$PEER_DIR/libfcgi-echo"
}

teardown() {
	stop_peers
}

@test "conform: libfcgi's verdicts are the expected ones" {
	conform_check libfcgi --profile libfcgi --echo "unix:$PEER_DIR/lib.sock"
}
