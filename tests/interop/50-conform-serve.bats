#!/usr/bin/env bats
# 50-conform-serve.bats - fcgitool conform against fcgitool serve with the
# built-ins; every verdict must equal tests/conform/expected/fcgitool.txt.
# fcgitool serve is meant to pass every case (issue 11): the expected
# file records where it does not yet.

load ../cli/test_helper
load serve
load ../conform/conform

teardown() {
	kill_tracked
}

@test "conform: fcgitool serve's verdicts are the expected ones" {
	start_serve "unix:$BATS_TEST_TMPDIR/serve.sock"
	conform_check fcgitool --profile fcgitool "unix:$BATS_TEST_TMPDIR/serve.sock"
	stop_serve
	[ "$SERVE_STATUS" -eq 0 ] || fail "fcgitool serve exited $SERVE_STATUS: $(cat "$SERVE_ERR")"
}

@test "conform: serve --max-reqs 4 and --no-mpx run the cases the default skips" {
	local s=$BATS_TEST_TMPDIR/mpx.sock
	start_serve --max-reqs 4 "unix:$s"
	run -0 "$FCGITOOL" conform --profile fcgitool --only fcgi-3.3-mpx,fcgi-3.3-cant-mpx "unix:$s"
	assert_line --regexp "^pass fcgi-3.3-mpx-max-reqs: "
	assert_line --regexp "^pass fcgi-3.3-mpx-two: "
	assert_line "skip fcgi-3.3-cant-mpx: the target multiplexes (FCGI_MPXS_CONNS=1)"
	stop_serve
	s=$BATS_TEST_TMPDIR/nompx.sock
	start_serve --no-mpx "unix:$s"
	run -0 "$FCGITOOL" conform --profile fcgitool --only fcgi-3.3-mpx,fcgi-3.3-cant-mpx "unix:$s"
	assert_line "pass fcgi-3.3-cant-mpx: request 2: END_REQUEST CANT_MPX_CONN"
	assert_line "skip fcgi-3.3-mpx-two: the target says FCGI_MPXS_CONNS=0"
	stop_serve
}
