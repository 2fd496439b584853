#!/bin/sh
# run.sh - run every test suite and print one "N passed, N failed" line.
#
# Unit tests (cmocka) and bats files all speak TAP; this counts "ok" and
# "not ok" lines.  Skips count as passed unless FCGITOOL_TEST_STRICT=1,
# which CI sets.  Usage: run.sh [unit|cli|interop|pcap|FILE.bats ...]
#
# No process a test starts may outlive its file.  run.sh runs the tests
# in a session of its own (it starts itself again under setsid) with
# FCGITOOL_TEST_RUN=<token> in the environment, and after each test
# binary and bats file looks for processes that are still alive: those of
# its session, and those whose environment holds the token (which finds a
# process that started a session of its own but kept its environment).
# Each one is printed with its command line and killed, and the file
# that left it counts one failure.  php-fpm and nginx overwrite their
# environment with their process titles, so the session is what finds
# them; a process that leaves the session and execs with a new
# environment (a CGI child of fcgitool serve --exec) escapes both.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)

# proc_stat PID: st_state, st_ppid and st_sid of a process, from
# /proc/PID/stat after the command name (which may hold spaces and
# parentheses); false when the process is gone.
proc_stat() {
	st_line=
	{ read -r st_line <"/proc/$1/stat"; } 2>/dev/null || return 1
	[ -n "$st_line" ] || return 1
	# shellcheck disable=SC2086
	set -- ${st_line##*) }
	st_state=$1 st_ppid=$2 st_sid=$4
}

# Start again in a new session, unless this is that run already (a run
# started by a test of another run is not: it is no session leader).
sid=
if [ -n "${FCGITOOL_TEST_RUN:-}" ] && proc_stat $$ && [ "$st_sid" = $$ ]; then
	sid=$$
elif command -v setsid >/dev/null 2>&1; then
	FCGITOOL_TEST_RUN=$$.$(date +%s).$(od -An -N4 -tu4 /dev/urandom |
		tr -d ' ')
	export FCGITOOL_TEST_RUN
	setsid -w sh "$0" "$@" &
	child=$!
	# An interrupt goes to the whole new session's first group.
	trap 'kill -TERM "-$child" "$child" 2>/dev/null' INT TERM HUP
	while :; do
		wait "$child"
		rc=$?
		kill -0 "$child" 2>/dev/null || break
	done
	exit "$rc"
else
	# Without setsid only the environment marks the tests' processes:
	# the session is shared with whatever else runs on the terminal.
	FCGITOOL_TEST_RUN=$$.$(date +%s)
	export FCGITOOL_TEST_RUN
fi
# run.sh's ancestors are in no test's way.
ancestors=" $$ "
p=$$
while [ "$p" -gt 1 ] && proc_stat "$p"; do
	p=$st_ppid
	ancestors="$ancestors$p "
done
: "${BUILD:=$top/build/check}"
: "${FCGITOOL:=$BUILD/fcgitool/fcgitool}"
export FCGITOOL BUILD
export BATS_LIB_PATH="${BATS_LIB_PATH:-/usr/lib/bats}"
suites=${*:-unit cli interop pcap}
log=$(mktemp -d "${TMPDIR:-/tmp}/fcgitool-check.XXXXXX")
trap 'rm -rf "$log"' EXIT
passed=0 failed=0 skipped=0

# leftovers: the processes the tests started that are still alive (see
# the top), one pid a line.  Zombies are their parents' business, and
# run.sh's own children are the commands it runs right now.
leftovers() {
	marked=$(
		tok=$FCGITOOL_TEST_RUN
		unset FCGITOOL_TEST_RUN
		exec grep -lzxF "FCGITOOL_TEST_RUN=$tok" /proc/[0-9]*/environ \
			2>/dev/null
	)
	# shellcheck disable=SC2086
	set -- $marked
	marked=" $* "
	for d in /proc/[0-9]*; do
		pid=${d#/proc/}
		case $ancestors in *" $pid "*) continue ;; esac
		proc_stat "$pid" || continue
		[ "$st_state" = Z ] && continue
		[ "$st_ppid" = $$ ] && continue
		if [ -n "$sid" ] && [ "$st_sid" = "$sid" ]; then
			echo "$pid"
			continue
		fi
		case $marked in
		*" /proc/$pid/environ "*) echo "$pid" ;;
		esac
	done
}

# reap NAME TAP: wait up to 3 s for what NAME started to exit, then print
# and kill what is left and append a failure to TAP.
reap() {
	for _ in 1 2 3 4 5 6 7 8 9 10 11 12 13 14 15; do
		left=$(leftovers)
		[ -z "$left" ] && return 0
		sleep 0.2
	done
	n=0
	echo "  $1 left processes running:"
	for pid in $left; do
		n=$((n + 1))
		cmd=$(tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null)
		echo "    $pid ${cmd:-(gone)}"
		kill -TERM "$pid" 2>/dev/null
	done
	sleep 0.5
	for pid in $left; do
		kill -KILL "$pid" 2>/dev/null
	done
	w=processes
	[ "$n" = 1 ] && w=process
	echo "not ok 0 - $1 left $n $w running" >>"$2"
}

# Interrupted: stop what the tests left before going.
trap 'reap interrupted /dev/null; exit 130' INT TERM HUP

count() { # file suite
	p=$(grep -cE '^ok ' "$1")
	f=$(grep -cE '^not ok ' "$1")
	s=$(grep -cE '^ok .*# (skip|SKIP)' "$1")
	if [ "${FCGITOOL_TEST_STRICT:-0}" = 1 ] && [ "$s" -gt 0 ]; then
		p=$((p - s))
		f=$((f + s))
		echo "  (strict: $s skipped counted as failed)"
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
	grep -E '^not ok |# (skip|SKIP)' "$1" | sed 's/^/  /'
}

run_unit() {
	for t in "$BUILD"/tests/unit/test-*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		out="$log/$name.tap"
		if [ "${VALGRIND:-0}" = 1 ]; then
			CMOCKA_MESSAGE_OUTPUT=TAP valgrind -q --error-exitcode=99 \
				--child-silent-after-fork=yes \
				--leak-check=full "$t" >"$out" 2>"$log/$name.err"
		else
			CMOCKA_MESSAGE_OUTPUT=TAP "$t" >"$out" 2>"$log/$name.err"
		fi
		rc=$?
		if ! grep -qE '^(not )?ok ' "$out" || { [ $rc -ne 0 ] &&
			! grep -qE '^not ok ' "$out"; }; then
			# A crash or sanitizer report outside any test case.
			echo "not ok 0 - $name exited $rc without a result" >>"$out"
			sed 's/^/    /' "$log/$name.err" | tail -20
		fi
		echo "unit: $name"
		reap "$name" "$out"
		count "$out"
	done
}

run_bats() { # dir
	for f in "$top/tests/$1"/*.bats; do
		[ -f "$f" ] || continue
		run_bats_file "$f" "$1"
	done
}

run_bats_file() { # file label
	name=$(basename "$1")
	out="$log/$2-$name.tap"
	echo "$2: $name"
	bats --tap "$1" >"$out" 2>&1
	rc=$?
	if [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$out"; then
		echo "not ok 0 - $name: bats exited $rc" >>"$out"
		tail -20 "$out" | sed 's/^/    /'
	fi
	reap "$name" "$out"
	count "$out"
	grep -E '^#' "$out" | grep -v '^# (skip|SKIP)' | head -40 |
		sed 's/^/    /'
}

run_pcap() {
	[ -x "$top/tests/pcap/run.sh" ] || return 0
	out="$log/pcap.tap"
	echo "pcap: golden tests"
	sh "$top/tests/pcap/run.sh" >"$out" 2>&1
	reap pcap "$out"
	count "$out"
}

for s in $suites; do
	case $s in
	unit) run_unit ;;
	cli) run_bats cli ;;
	interop) run_bats interop ;;
	pcap) run_pcap ;;
	*.bats)
		[ -f "$s" ] || { echo "run.sh: no file '$s'" >&2; exit 2; }
		run_bats_file "$s" "$(basename "$(dirname "$s")")"
		;;
	*) echo "run.sh: unknown suite '$s'" >&2; exit 2 ;;
	esac
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
