#!/usr/bin/env bats
# 11-request-body.bats - request streams a large body from a file without
# losing a wake-up: a fast reader (serve's echo) drains the socket at once,
# which once left the client waiting with the body file half sent and
# nothing in flight (issue 14, item 12).
load test_helper

setup() {
	D=$BATS_TEST_TMPDIR
	SOCK=$D/s.sock
}

teardown() {
	kill_tracked
}

@test "a 1 MiB -d @FILE body, 100 times in a row: no run hangs" {
	"$FCGITOOL" serve --fn builtin "unix:$SOCK" >/dev/null 2>&1 &
	track $!
	wait_for "unix:$SOCK"
	head -c 1048576 /dev/urandom >"$D/body.bin"
	hung=0 failed=0
	for i in $(seq 1 100); do
		rc=0
		timeout 10 "$FCGITOOL" request -d @"$D/body.bin" -o /dev/null \
			"unix:$SOCK" /echo >/dev/null 2>&1 || rc=$?
		case $rc in
		0) ;;
		124) hung=$((hung + 1)) ;;
		*) failed=$((failed + 1)) ;;
		esac
	done
	assert_equal "hung=$hung failed=$failed" "hung=0 failed=0"
}
