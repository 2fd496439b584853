#!/bin/sh
# run.sh - run every test suite and print one "N passed, N failed" line.
#
# Unit tests (cmocka) and bats files all speak TAP; this counts "ok" and
# "not ok" lines.  Skips count as passed unless FCGITOOL_TEST_STRICT=1,
# which CI sets.  Usage: run.sh [unit|cli|interop|pcap ...]
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
: "${BUILD:=$top/build/check}"
: "${FCGITOOL:=$BUILD/fcgitool/fcgitool}"
export FCGITOOL BUILD
export BATS_LIB_PATH="${BATS_LIB_PATH:-/usr/lib/bats}"
suites=${*:-unit cli interop}
log=$(mktemp -d "${TMPDIR:-/tmp}/fcgitool-check.XXXXXX")
trap 'rm -rf "$log"' EXIT
passed=0 failed=0 skipped=0

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
		count "$out"
	done
}

run_bats() { # dir
	for f in "$top/tests/$1"/*.bats; do
		[ -f "$f" ] || continue
		name=$(basename "$f")
		out="$log/$1-$name.tap"
		echo "$1: $name"
		bats --tap "$f" >"$out" 2>&1
		rc=$?
		if [ $rc -ne 0 ] && ! grep -qE '^not ok ' "$out"; then
			echo "not ok 0 - $name: bats exited $rc" >>"$out"
			tail -20 "$out" | sed 's/^/    /'
		fi
		count "$out"
		grep -E '^#' "$out" | grep -v '^# (skip|SKIP)' | head -40 |
			sed 's/^/    /'
	done
}

run_pcap() {
	[ -x "$top/tests/pcap/run.sh" ] || return 0
	out="$log/pcap.tap"
	echo "pcap: golden tests"
	sh "$top/tests/pcap/run.sh" >"$out" 2>&1
	count "$out"
}

for s in $suites; do
	case $s in
	unit) run_unit ;;
	cli) run_bats cli ;;
	interop) run_bats interop ;;
	pcap) run_pcap ;;
	*) echo "run.sh: unknown suite '$s'" >&2; exit 2 ;;
	esac
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
