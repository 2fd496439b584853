#!/bin/sh
# gen.sh - fcgitool's shell completion, made from fcgitool itself.
#
#   sh completion/gen.sh table|bash|zsh|fish FCGITOOL [MANDIR]
#
# There is one table of commands and options, and it is the program's
# own: `fcgitool -h` lists the commands with a line about each, and
# `fcgitool CMD -h` gives each command's options, with the names of their
# arguments, and its operands (tests/cli/01-usage.bats keeps it equal to
# the SYNOPSIS of fcgitool-CMD(1)).  table.awk reads that, adds from each
# man page (MANDIR, man/ beside this directory by default) the long names
# of short options and a line of description, and from completion/values
# how to complete each kind of argument, and prints the table:
#
#   cmd  NAME  SUMMARY
#   opt  CMD   SHORT  LONG  ARG  ACTION  DESCRIPTION
#   pos  CMD   N      ARG   ACTION  HOW
#
# ("-" for an empty field; see table.awk).  "table" prints it; "bash",
# "zsh" and "fish" print that shell's completion script: bash.in, zsh.in
# or fish.in with the table in place of its line "@TABLE@", so that the
# scripts hold no list of their own and a new command or option needs no
# change here.  The Makefile writes the three into build/VARIANT/completion/.
set -eu

usage() {
	echo "usage: gen.sh table|bash|zsh|fish FCGITOOL [MANDIR]" >&2
	exit 2
}

[ $# -ge 2 ] || usage
what=$1
tool=$2
here=$(cd "$(dirname "$0")" && pwd)
mandir=${3:-$here/../man}
case $what in
table | bash | zsh | fish) ;;
*) usage ;;
esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fcgitool-gen.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

page() { # NAME: the man page, or /dev/null
	if [ -f "$mandir/$1.1" ]; then
		echo "$mandir/$1.1"
	else
		echo /dev/null
	fi
}

table() {
	"$tool" -h </dev/null >"$tmp/top"
	# The commands: the lines after "commands:", "  NAME  summary".
	awk '/^commands:/ { f = 1; next }
		f && /^  [a-z]/ {
			name = $1
			sub(/^  [^ ]+ +/, "")
			printf "cmd\t%s\t%s\n", name, $0
		}' "$tmp/top" >"$tmp/cmds"
	[ -s "$tmp/cmds" ] || {
		echo "gen.sh: '$tool -h' lists no commands" >&2
		exit 1
	}
	cat "$tmp/cmds"
	head -1 "$tmp/top" >"$tmp/usage"
	awk -v cmd=fcgitool -f "$here/table.awk" "$here/values" \
		"$tmp/usage" "$(page fcgitool)"
	cut -f2 "$tmp/cmds" >"$tmp/names"
	while IFS= read -r c; do
		if [ "$c" = help ]; then
			# help takes a command's name (and has no -h).
			printf 'pos\thelp\t1\tcommand\t@command\t1\n'
			continue
		fi
		"$tool" "$c" -h </dev/null >"$tmp/usage" || {
			echo "gen.sh: '$tool $c -h' failed" >&2
			exit 1
		}
		awk -v cmd="$c" -f "$here/table.awk" "$here/values" \
			"$tmp/usage" "$(page "fcgitool-$c")"
	done <"$tmp/names"
}

table >"$tmp/table"
case $what in
table)
	cat "$tmp/table"
	exit 0
	;;
fish)
	# In fish's single quotes only \' and \\ are escapes.
	sed -e 's/\\/\\\\/g' -e "s/'/\\\\'/g" "$tmp/table" >"$tmp/quoted"
	;;
*)
	sed -e "s/'/'\\\\''/g" "$tmp/table" >"$tmp/quoted"
	;;
esac
awk -v tf="$tmp/quoted" '
	/@TABLE@/ {
		i = index($0, "@TABLE@")
		printf "%s", substr($0, 1, i - 1)
		while ((getline l < tf) > 0)
			printf "\n%s", l
		print substr($0, i + 7)
		next
	}
	{ print }' "$here/$what.in"
