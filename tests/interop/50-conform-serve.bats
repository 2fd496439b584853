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
