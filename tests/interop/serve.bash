# serve.bash - helpers for the fcgitool serve tests (tests/cli/20-serve.bats
# and tests/interop/20-serve-*.bats).  Load after test_helper.

FCGILOAD=${FCGILOAD:-$BUILD/tests/helpers/fcgiload}
GREET_SO=${GREET_SO:-$BUILD/examples/greet.so}
export FCGILOAD GREET_SO

# start_serve ARG...: run fcgitool serve in the background and wait for its
# "listening on" line.  Sets SERVE_PID, SERVE_ADDR (the first listener),
# SERVE_OUT and SERVE_ERR (its stdout and stderr files).
start_serve() {
	local _
	SERVE_OUT=$(mktemp "$BATS_TEST_TMPDIR/serve-out.XXXXXX")
	SERVE_ERR=$(mktemp "$BATS_TEST_TMPDIR/serve-err.XXXXXX")
	"$FCGITOOL" serve "$@" >"$SERVE_OUT" 2>"$SERVE_ERR" 3>&- &
	SERVE_PID=$!
	track "$SERVE_PID"
	for _ in $(seq 1 200); do
		SERVE_ADDR=$(sed -n \
			's/^fcgitool serve: listening on \([^ ]*\) .*/\1/p' \
			"$SERVE_ERR" | head -1)
		[ -n "$SERVE_ADDR" ] && return 0
		if ! kill -0 "$SERVE_PID" 2>/dev/null; then
			echo "fcgitool serve exited:" >&2
			cat "$SERVE_ERR" >&2
			return 1
		fi
		sleep 0.05
	done
	echo "fcgitool serve never listened" >&2
	return 1
}

# stop_serve: SIGTERM, then wait (up to 10 s) for a clean exit; its status
# is in SERVE_STATUS.
stop_serve() {
	local _
	kill -TERM "$SERVE_PID" 2>/dev/null || true
	for _ in $(seq 1 200); do
		kill -0 "$SERVE_PID" 2>/dev/null || break
		sleep 0.05
	done
	SERVE_STATUS=0
	wait "$SERVE_PID" || SERVE_STATUS=$?
	export SERVE_STATUS
}

# fd_count PID: how many file descriptors a process has open.
fd_count() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l
}

# children PID: how many processes have PID as their parent.
children() {
	ps -o pid= --ppid "$1" | wc -l
}

# no_children PID: true when PID has no child process left.
no_children() {
	[ "$(children "$1")" -eq 0 ]
}

# child_pids PID: the process ids of PID's children, one per line, sorted.
child_pids() {
	ps -o pid= --ppid "$1" | tr -d ' ' | sort
}

# pool_renewed PID N OLD: PID has exactly N children and none of them is
# in OLD (a list from child_pids): the pool's workers were replaced.
pool_renewed() {
	local now
	now=$(child_pids "$1")
	[ "$(echo "$now" | grep -c .)" -eq "$2" ] || return 1
	[ -z "$(comm -12 <(echo "$now") <(echo "$3"))" ]
}

# children_are PID N: PID has exactly N child processes.
children_are() {
	[ "$(children "$1")" -eq "$2" ]
}

# wait_until SECONDS CMD...: retry CMD every 0.1 s until it succeeds.
wait_until() {
	local n=$(($1 * 10)) _
	shift
	for _ in $(seq 1 "$n"); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}
