#!/bin/sh
# run.sh - run libFuzzer targets for a bounded time each.
#
#   tests/fuzz/run.sh SECONDS BIN...
#
# Each target fuzz-NAME runs for SECONDS on a fresh temporary corpus plus
# the committed seeds in tests/fuzz/corpus/NAME/ (read, never written: new
# inputs go to the temporary directory only).  One line per target, e.g.
# "fuzz-record: 123456 runs in 60 s, no findings".  A crash, leak or
# timeout leaves its reproducer in tests/fuzz/ (crash-*, leak-*,
# timeout-*, ignored by git) and makes the exit status non-zero.
set -u

if [ $# -lt 2 ]; then
	echo "usage: tests/fuzz/run.sh seconds target ..." >&2
	exit 2
fi
secs=$1
shift
case $secs in
'' | *[!0-9]*)
	echo "run.sh: seconds must be a whole number: '$secs'" >&2
	exit 2
	;;
esac

here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/fcgitool-fuzz.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
rc=0

for bin in "$@"; do
	name=$(basename "$bin")
	if [ ! -x "$bin" ]; then
		echo "$name: not built ($bin)"
		rc=1
		continue
	fi
	seeds=$here/corpus/${name#fuzz-}
	mkdir -p "$work/$name"
	# (the for list was expanded already, so reusing "$@" is safe)
	set -- "$work/$name"
	[ -d "$seeds" ] && set -- "$@" "$seeds"
	log=$work/$name.log
	# -timeout: one input taking this long is a finding (a hang).
	"$bin" -max_total_time="$secs" -timeout=25 -print_final_stats=1 \
		-artifact_prefix="$here/" "$@" >"$log" 2>&1
	status=$?
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
		tail -n 1)
	[ -n "$runs" ] || runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' \
		"$log" | tail -n 1)
	[ -n "$runs" ] || runs=0
	if [ "$status" -eq 0 ]; then
		echo "$name: $runs runs in $secs s, no findings"
	else
		art=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" |
			tail -n 1)
		echo "$name: FAILED (exit $status) after $runs runs${art:+: $art}"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|.*runtime error)' "$log" |
			head -n 5 | sed 's/^/  /'
		rc=1
	fi
done
exit $rc
