# conform.bash - run fcgitool conform against a peer and compare every
# verdict with the committed expected result, tests/conform/expected/
# PEER.txt ("ID GRADE" per line).  Load after ../cli/test_helper.
#
# CONFORM_UPDATE=1 rewrites the expected file instead of comparing (for
# a change that moves verdicts on purpose; review the diff).

CONFORM_EXPECTED=$TOP/tests/conform/expected

# conform_grades FILE: "ID GRADE" lines from conform's text output.
conform_grades() {
	sed -nE 's/^([a-z]+) ((fcgi|web)-[^:]+):.*/\2 \1/p' "$1"
}

# conform_check PEER ARG...: run conform with ARG..., then compare.
conform_check() {
	local peer=$1 out=$BATS_TEST_TMPDIR/conform-$1.txt rc=0
	shift
	"$FCGITOOL" conform "$@" >"$out" 2>"$out.err" || rc=$?
	if [ "$rc" -ne 0 ] && [ "$rc" -ne 1 ]; then
		cat "$out.err" "$out" >&2
		fail "fcgitool conform exited $rc"
	fi
	[ -s "$out.err" ] && cat "$out.err" >&2
	if [ "${CONFORM_UPDATE:-0}" = 1 ]; then
		conform_grades "$out" >"$CONFORM_EXPECTED/$peer.txt"
		return 0
	fi
	if ! diff -u "$CONFORM_EXPECTED/$peer.txt" <(conform_grades "$out") \
		>"$out.diff"; then
		cat "$out.diff" >&2
		echo "--- the lines of the cases that changed:" >&2
		grep -E '^[-+](fcgi|web)-' "$out.diff" | sed -E 's/^[-+]([^ ]+) .*/\1/' |
			sort -u | while read -r id; do
			grep -E "^[a-z]+ $id:" "$out" >&2
		done
		fail "verdicts for $peer differ from tests/conform/expected/$peer.txt"
	fi
	# The summary line agrees with the verdicts.
	tail -1 "$out" | grep -qE '^[0-9]+ passed, [0-9]+ failed, [0-9]+ warned, [0-9]+ skipped$' ||
		fail "no summary line"
}
