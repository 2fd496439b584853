#!/usr/bin/env bats
# 92-conventions.bats - what every command does the same way, checked for
# every command of the table in fcgitool/main.c (as `fcgitool -h` lists
# it), so that a new command is held to it without a new test: -h and
# --help, `fcgitool help CMD`, the getopt errors word for word, errors as
# "fcgitool CMD: what: why" with exit 3 for an address or file that is
# not there, and one table of exit statuses in every man page (the rule
# is in HACKING.md, "Conventions").

load test_helper
load completion

setup() {
	D=$BATS_TEST_TMPDIR
}

# cmds: the commands but help (which takes a command, not options).
cmds() {
	commands | grep -vx help
}

setup_file() {
	sh "$TOP/completion/gen.sh" table "$FCGITOOL" >"$BATS_FILE_TMPDIR/table"
}

# table: completion/gen.sh's table of every command's options and
# operands (its parse of each -h).
table() {
	cat "$BATS_FILE_TMPDIR/table"
}

@test "conventions: every command has -h and --help, on stdout, exit 0" {
	local c h
	for c in $(cmds); do
		run -0 --separate-stderr "$FCGITOOL" "$c" -h
		[[ ${lines[0]} == "usage: fcgitool $c "* ]] ||
			fail "fcgitool $c -h: ${lines[0]}"
		[ -z "$stderr" ] || fail "fcgitool $c -h wrote to stderr"
		h=$output
		run -0 --separate-stderr "$FCGITOOL" "$c" --help
		assert_equal "$output" "$h"
	done
}

@test "conventions: fcgitool help CMD shows each command's manual page" {
	need man "help runs man"
	local c
	for c in $(cmds); do
		run -0 env MANPAGER=cat MANWIDTH=80 "$FCGITOOL" help "$c"
		assert_line --regexp "^ +fcgitool-$c "
		assert_line --regexp '^SYNOPSIS'
		assert_line --regexp '^EXIT STATUS'
	done
}

@test "conventions: the same getopt errors, word for word, in every command" {
	local c s l arg first=() short
	for c in $(cmds); do
		run -2 --separate-stderr "$FCGITOOL" "$c" --no-such-option
		assert_equal "${stderr_lines[0]}" \
			"fcgitool $c: unknown option '--no-such-option'"
		assert_equal "${stderr_lines[1]}" \
			"$("$FCGITOOL" "$c" -h | head -1)"
		# A short option that no command has, alone and in a cluster.
		run -2 --separate-stderr "$FCGITOOL" "$c" -Z
		assert_equal "${stderr_lines[0]}" "fcgitool $c: unknown option '-Z'"
		short=$(table | awk -F '\t' -v c="$c" '$1 == "opt" && $2 == c &&
			$3 != "-" && $3 != "-h" && $5 == "-" { print $3; exit }')
		if [ -n "$short" ]; then
			run -2 --separate-stderr "$FCGITOOL" "$c" "${short}Z"
			assert_equal "${stderr_lines[0]}" \
				"fcgitool $c: unknown option '-Z'"
			run -2 --separate-stderr "$FCGITOOL" "$c" "-Z${short#-}"
			assert_equal "${stderr_lines[0]}" \
				"fcgitool $c: unknown option '-Z'"
		fi
	done
	# Every option that takes an argument, given none, as it was written.
	while IFS=$'\t' read -r _ c s l arg _; do
		[ "$arg" != - ] || continue
		for first in "$s" "$l"; do
			[ "$first" != - ] || continue
			run -2 --separate-stderr "$FCGITOOL" "$c" "$first"
			assert_equal "${stderr_lines[0]}" \
				"fcgitool $c: option '$first' needs an argument"
		done
	done < <(table | grep '^opt' | grep -v '^opt	fcgitool	')
	# A long option that takes no argument, given one.
	while IFS=$'\t' read -r _ c s l arg _; do
		[ "$arg" = - ] && [ "$l" != - ] && [ "$l" != --help ] || continue
		run -2 --separate-stderr "$FCGITOOL" "$c" "$l=1"
		assert_equal "${stderr_lines[0]}" \
			"fcgitool $c: option '$l' takes no argument"
	done < <(table | grep '^opt' | grep -v '^opt	fcgitool	')
}

@test "conventions: an address or file that is not there is 'fcgitool CMD: what: why', exit 3" {
	local c args n=0
	for c in $(cmds); do
		# The command's required options and operands, and its first
		# address even where optional (serve's), filled with paths
		# under a directory that does not exist.
		args=$(table | awk -F '\t' -v c="$c" -v bad="$D/none/x" '
			$1 == "pos" && $2 == c && $5 ~ /@(address|file)/ &&
			    ($6 == "1" || $6 == "+" || !n) {
				printf " %s", bad
				n++
			}')
		args+=" $(required_options "$c")"
		[ -n "${args// /}" ] || continue
		# "send" on stdin, for the shell, which connects when told.
		# shellcheck disable=SC2086
		run --separate-stderr timeout 30 "$FCGITOOL" "$c" $args <<<send
		[ "$status" -eq 3 ] ||
			fail "fcgitool $c$args: exit $status, not 3: $stderr"
		[[ ${stderr_lines[0]} =~ ^fcgitool\ $c:\ .+:\ .+$ ]] ||
			fail "fcgitool $c$args: '${stderr_lines[0]}' is not 'fcgitool $c: what: why'"
		n=$((n + 1))
	done
	[ "$n" -ge 3 ] || fail "only $n commands tried"
}

# required_options CMD: the options CMD's usage shows outside brackets,
# each with a path under $D/none as its argument.
required_options() {
	"$FCGITOOL" "$1" -h | sed 's/\[[^]]*\]//g; s/\[[^]]*\]//g' |
		grep -oE '(^| )--?[a-z][-a-z]* [a-z]+' |
		awk -v bad="$D/none/x" '{ print $1, bad }' | tr '\n' ' '
}

# exit_items PAGE: the EXIT STATUS list of PAGE, one line per item,
# "N<TAB>text" with the item's mdoc source lines joined by "|".
exit_items() {
	awk '/^\.Sh / { on = ($0 == ".Sh EXIT STATUS"); next }
		on && /^\.Bl/ { inl = 1; next }
		on && /^\.El/ { if (n) print n "\t" t; inl = 0; n = ""; next }
		on && inl && /^\.It / {
			if (n != "") print n "\t" t
			n = $2; t = ""; next }
		on && inl && n != "" { t = t (t == "" ? "" : "|") $0 }' "$1"
}

@test "conventions: every page's exit statuses read as fcgitool(1)'s" {
	local top m items nums k
	top=$(exit_items "$TOP/man/fcgitool.1")
	assert_equal "$(cut -f1 <<<"$top" | tr '\n' ' ')" "0 1 2 3 4 "
	for m in "$TOP"/man/fcgitool-*.1; do
		items=$(exit_items "$m")
		[ -n "$items" ] || fail "${m##*/} has no EXIT STATUS list"
		nums=$(cut -f1 <<<"$items" | tr '\n' ' ')
		[[ $nums =~ ^0\ (1\ )?2\ (3\ )?(4\ )?$ ]] ||
			fail "${m##*/}: statuses '$nums': 0 and 2 and a subset of 0-4, in order"
		# 0, 2, 3 and 4 word for word; 1 is the command's own.
		for k in 0 2 3 4; do
			grep -q "^$k	" <<<"$items" || continue
			assert_equal "$(grep "^$k	" <<<"$items")" \
				"$(grep "^$k	" <<<"$top")"
		done
	done
}
