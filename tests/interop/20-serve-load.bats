#!/usr/bin/env bats
# 20-serve-load.bats - fcgitool serve under load and faults: many
# connections and multiplexed requests at once, answered correctly, with
# the server's file descriptors back where they were afterwards; crashing
# and endless functions; clients that do not read or do not stop sending.
# Every run is bounded in count and in time (fcgiload -t).

load ../cli/test_helper
load serve

setup() {
	D=$BATS_TEST_TMPDIR
	SOCK=$D/s.sock
}

teardown() {
	kill_tracked
}

# rss PID: resident memory in kB.
rss() {
	awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"
}

# settle [N]: the server has N children left (its pool's workers; none
# by default) and its fd count is stable.
settle() {
	wait_until 10 children_are "$SERVE_PID" "${1:-0}"
	sleep 0.3
}

@test "200 concurrent connections are all answered, and fds return" {
	start_serve --isolate request "$SOCK"
	before=$(fd_count "$SERVE_PID")
	SECONDS=0
	# Each request sleeps 300 ms: done in seconds only if concurrent.
	run -0 "$FCGILOAD" -t 60 -c 200 -n 200 -e "slept 300 ms" "$SOCK" \
		"/sleep?ms=300"
	assert_output --partial "requests=200 ok=200 failed=0"
	[ "$SECONDS" -lt 20 ]
	settle
	assert_equal "$(fd_count "$SERVE_PID")" "$before"
}

@test "200 concurrent connections on 64 workers queue, are all answered, and fds return" {
	start_serve --workers 64 "$SOCK"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	before=$(fd_count "$SERVE_PID")
	SECONDS=0
	run -0 "$FCGILOAD" -t 60 -c 200 -n 200 -e "slept 300 ms" "$SOCK" \
		"/sleep?ms=300"
	assert_output --partial "requests=200 ok=200 failed=0"
	[ "$SECONDS" -lt 20 ]
	settle 64
	assert_equal "$(fd_count "$SERVE_PID")" "$before"
}

@test "100 multiplexed requests on one connection are all answered" {
	start_serve --workers 50 "$SOCK"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	before=$(fd_count "$SERVE_PID")
	SECONDS=0
	run -0 "$FCGILOAD" -t 60 -k -c 1 -m 100 -n 100 -e "slept 300 ms" \
		"$SOCK" "/sleep?ms=300"
	assert_output --partial "requests=100 ok=100 failed=0"
	[ "$SECONDS" -lt 20 ]
	# And again with bodies echoed back, ids reused over the connection.
	run -0 "$FCGILOAD" -t 60 -k -c 1 -m 100 -n 300 -b 5000 -E "$SOCK" \
		"/echo?raw=1"
	settle 50
	assert_equal "$(fd_count "$SERVE_PID")" "$before"
}

@test "2000 requests over TCP, kept and not, leave the fd count as it was" {
	for how in pool request; do
		start_serve --isolate "$how" 127.0.0.1:0
		run -0 "$FCGILOAD" -e "Hello" "$SERVE_ADDR" /hello
		n=$(children "$SERVE_PID")
		before=$(fd_count "$SERVE_PID")
		run -0 "$FCGILOAD" -t 90 -c 20 -n 1000 -e "Hello" \
			"$SERVE_ADDR" /hello
		run -0 "$FCGILOAD" -t 90 -k -c 10 -m 5 -n 1000 -e "Hello" \
			"$SERVE_ADDR" /hello
		settle "$n"
		assert_equal "$(fd_count "$SERVE_PID")" "$before"
		stop_serve
	done
}

@test "functions that segfault or never return leave the server serving" {
	start_serve --workers 4 --timeout 0.5 "$SOCK"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	before=$(fd_count "$SERVE_PID")
	run -0 "$FCGILOAD" -t 60 -c 10 -n 50 -a 139 "$SOCK" /crash
	run -0 "$FCGILOAD" -t 60 -c 10 -n 20 -a 408 "$SOCK" /hang
	run -0 "$FCGILOAD" -t 60 -c 5 -n 5 -a 408 "$SOCK" "/hang?term=ignore"
	run -0 "$FCGILOAD" -t 60 -c 10 -n 100 -e "Hello" "$SOCK" /hello
	settle 4
	assert_equal "$(fd_count "$SERVE_PID")" "$before"
}

@test "a client that does not read cannot make the server grow" {
	start_serve --workers 1 --idle-timeout 2 "$SOCK"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	old=$(child_pids "$SERVE_PID")
	before=$(rss "$SERVE_PID")
	# 500 MB asked for, nothing read: the runner is paused once 256 KiB
	# wait in the server, and the stalled connection is closed after
	# --idle-timeout.
	"$FCGILOAD" -R -t 4 "$SOCK" "/big?n=500000000" >/dev/null &
	track $!
	sleep 1.5
	during=$(rss "$SERVE_PID")
	[ "$during" -lt $((before + 16384)) ] ||
		fail "RSS grew from $before kB to $during kB"
	# The stalled request's worker is killed and replaced.
	wait_until 10 pool_renewed "$SERVE_PID" 1 "$old"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
}

@test "a large body for a function that does not read it is not buffered" {
	start_serve "$SOCK"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	before=$(rss "$SERVE_PID")
	"$FCGILOAD" -t 30 -b 100000000 -e "slept 2000 ms" "$SOCK" \
		"/sleep?ms=2000" >"$D/load.out" &
	load=$!
	track "$load"
	sleep 1
	during=$(rss "$SERVE_PID")
	[ "$during" -lt $((before + 16384)) ] ||
		fail "RSS grew from $before kB to $during kB"
	wait "$load"
	grep -q "ok=1 failed=0" "$D/load.out"
}
