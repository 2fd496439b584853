#!/usr/bin/env bats
# 93-color.bats - colour only on a terminal, and never with NO_COLOR
# (https://no-color.org: set and not empty): request -v, serve --trace and
# proxy under a pseudo-terminal (util-linux's script), with NO_COLOR=1,
# and with their output going to a file.

load test_helper
load ../interop/serve

ESC=$'\033['

setup() {
	need script "util-linux's script runs a command on a pseudo-terminal"
	D=$BATS_TEST_TMPDIR
	start_serve "$D/s.sock"
}

teardown() {
	kill_tracked
}

# on_tty OUT CMD...: run CMD on a pseudo-terminal, its output (stdout and
# stderr, both the terminal) into OUT; the exit status is CMD's.
on_tty() {
	local out=$1
	shift
	SHELL=/bin/bash script -qec "$(printf '%q ' "$@")" /dev/null >"$out"
}

# tty_start OUT CMD...: start CMD on a pseudo-terminal in the background,
# output into OUT; TTY_PID is script's, TTY_CHILD CMD's.
tty_start() {
	local out=$1 _
	shift
	SHELL=/bin/bash script -qec "exec $(printf '%q ' "$@")" /dev/null \
		>"$out" &
	TTY_PID=$!
	track "$TTY_PID"
	for _ in $(seq 1 100); do
		TTY_CHILD=$(ps -o pid= --ppid "$TTY_PID" | tr -d ' ')
		[ -n "$TTY_CHILD" ] && break
		sleep 0.05
	done
	track "$TTY_CHILD"
}

# tty_stop: SIGINT to the command (as ^C would), then wait for script.
tty_stop() {
	kill -INT "$TTY_CHILD"
	wait "$TTY_PID"
}

@test "color: request -v colours its trace on a terminal only, and not with NO_COLOR" {
	on_tty "$D/tty" "$FCGITOOL" request -v "$SERVE_ADDR" /hello
	grep -qF "${ESC}" "$D/tty" || fail "no colour on a terminal: $(cat -v "$D/tty")"
	grep -q 'BEGIN_REQUEST' "$D/tty"
	NO_COLOR=1 on_tty "$D/nc" "$FCGITOOL" request -v "$SERVE_ADDR" /hello
	grep -q 'BEGIN_REQUEST' "$D/nc"
	! grep -qF "${ESC}" "$D/nc" || fail "colour with NO_COLOR=1"
	# An empty NO_COLOR is as if it were not set.
	NO_COLOR= on_tty "$D/empty" "$FCGITOOL" request -v "$SERVE_ADDR" /hello
	grep -qF "${ESC}" "$D/empty"
	# The trace to a file, the body to the terminal.
	on_tty "$D/tty2" bash -c '"$@" 2>"$0"' "$D/file" "$FCGITOOL" request \
		-v "$SERVE_ADDR" /hello
	grep -q 'BEGIN_REQUEST' "$D/file"
	! grep -qF "${ESC}" "$D/file" || fail "colour in a file"
	# JSON is never coloured.
	on_tty "$D/json" "$FCGITOOL" request -v --json "$SERVE_ADDR" /hello
	grep -q '"kind":"record"' "$D/json"
	! grep -qF "${ESC}" "$D/json" || fail "colour in JSON"
}

@test "color: serve --trace colours on a terminal only, and not with NO_COLOR" {
	local nc
	for nc in "" 1; do
		NO_COLOR=$nc tty_start "$D/tty$nc" "$FCGITOOL" serve --trace "$D/t.sock"
		wait_for "unix:$D/t.sock"
		run -0 "$FCGITOOL" request "$D/t.sock" /hello
		tty_stop
		grep -q 'BEGIN_REQUEST' "$D/tty$nc"
	done
	grep -qF "${ESC}" "$D/tty" || fail "no colour on a terminal"
	! grep -qF "${ESC}" "$D/tty1" || fail "colour with NO_COLOR=1"
	"$FCGITOOL" serve --trace "$D/f.sock" >"$D/file" 2>&1 &
	track $!
	wait_for "unix:$D/f.sock"
	run -0 "$FCGITOOL" request "$D/f.sock" /hello
	kill_tracked
	grep -q 'BEGIN_REQUEST' "$D/file"
	! grep -qF "${ESC}" "$D/file" || fail "colour in a file"
}

@test "color: proxy colours on a terminal only, not with NO_COLOR or --log" {
	local nc
	for nc in "" 1; do
		NO_COLOR=$nc tty_start "$D/tty$nc" "$FCGITOOL" proxy \
			--listen "$D/p.sock" --upstream "$SERVE_ADDR"
		wait_for "unix:$D/p.sock"
		run -0 "$FCGITOOL" request "$D/p.sock" /hello
		tty_stop
		grep -q 'BEGIN_REQUEST' "$D/tty$nc"
	done
	grep -qF "${ESC}" "$D/tty" || fail "no colour on a terminal"
	! grep -qF "${ESC}" "$D/tty1" || fail "colour with NO_COLOR=1"
	# On a terminal, but logging to a file.
	tty_start "$D/tty2" "$FCGITOOL" proxy --log "$D/log" \
		--listen "$D/p.sock" --upstream "$SERVE_ADDR"
	wait_for "unix:$D/p.sock"
	run -0 "$FCGITOOL" request "$D/p.sock" /hello
	tty_stop
	grep -q 'BEGIN_REQUEST' "$D/log"
	! grep -qF "${ESC}" "$D/log" || fail "colour in the --log file"
}
