#!/usr/bin/env bats
# 01-usage.bats - the top-level command, and for every subcommand: its -h
# usage equals its man page's SYNOPSIS, it has a man page and a bats file,
# and every man page is lint-clean.

load test_helper

# The SYNOPSIS of a page as one line with single spaces.
synopsis() {
	mandoc -Tascii "$1" | col -b |
		awk '/^SYNOPSIS/ { f = 1; next } /^[A-Z]/ { f = 0 } f' |
		tr -s ' \n\t' '   ' | sed 's/^ //; s/ $//'
}

# A command's -h output as one line, "usage:" dropped.
usage_line() {
	"$FCGITOOL" "$@" -h | sed 's/^usage: //; s/^       //' |
		tr -s ' \n\t' '   ' | sed 's/^ //; s/ $//'
}

# The subcommands, from the table in fcgitool/main.c.
commands() {
	"$FCGITOOL" -h | awk '/^commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 }' |
		grep -v '^help$'
}

@test "fcgitool -h prints the usage and the commands to stdout" {
	run -0 --separate-stderr "$FCGITOOL" -h
	assert_line --index 0 "usage: fcgitool [-hV] command [argument ...]"
	assert_line "commands:"
	[ -z "$stderr" ]
}

@test "fcgitool with no command is a usage error" {
	run -2 --separate-stderr "$FCGITOOL"
	[ -z "$output" ]
	[[ "$stderr" == "usage: fcgitool [-hV] command [argument ...]"* ]]
}

@test "fcgitool -V and --version print the version and the libraries'" {
	local v lib
	run -0 --separate-stderr "$FCGITOOL" -V
	[ -z "$stderr" ]
	v=$output
	assert_line --index 0 --regexp '^fcgitool [0-9]+\.[0-9]+\.[0-9]+$'
	assert_equal "${lines[0]}" \
		"fcgitool $(sed -n 's/^VERSION := //p' "$TOP/Makefile")"
	assert_line --regexp '^libpcap [0-9]+\.[0-9]+'
	# The headers it was built with are those pkg-config finds here.
	for lib in libuv:libuv readline:readline cJSON:libcjson; do
		assert_line --regexp "^${lib%%:*} [0-9]+\.[0-9]+(\.[0-9]+)? \(built with $(pkg-config --modversion "${lib#*:}" | sed 's/\./\\./g')\)\$"
	done
	assert_equal "${#lines[@]}" 5
	run -0 --separate-stderr "$FCGITOOL" --version
	assert_equal "$output" "$v"
}

@test "an unknown command is named in the error" {
	run -2 --separate-stderr "$FCGITOOL" frobnicate
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool: 'frobnicate' is not a fcgitool command"
}

@test "help for an unknown command is a usage error" {
	run -2 --separate-stderr "$FCGITOOL" help frobnicate
	assert_equal "$stderr" "fcgitool help: 'frobnicate' is not a fcgitool command"
}

@test "help COMMAND shows the command's manual page from the source tree" {
	need man "help runs man"
	run -0 env MANPAGER=cat MANWIDTH=80 "$FCGITOOL" help request
	assert_line --regexp '^ +fcgitool-request .+ send a request to a FastCGI server$'
	assert_line --regexp '^SYNOPSIS'
}

@test "the top-level usage equals the SYNOPSIS of fcgitool(1)" {
	assert_equal "$("$FCGITOOL" -h | head -1 | sed 's/^usage: //')" \
		"$(synopsis "$TOP/man/fcgitool.1")"
}

@test "every command's -h equals the SYNOPSIS of its man page" {
	local c n=0
	for c in $(commands); do
		[ -f "$TOP/man/fcgitool-$c.1" ] ||
			fail "fcgitool $c has no man page man/fcgitool-$c.1"
		assert_equal "$(usage_line "$c")" \
			"$(synopsis "$TOP/man/fcgitool-$c.1")"
		n=$((n + 1))
	done
	[ "$n" -ge 1 ] || fail "no commands found in fcgitool -h"
}

@test "every command is listed in fcgitool(1) and has a bats file" {
	local c
	for c in $(commands); do
		grep -q "^\.It Cm $c\$" "$TOP/man/fcgitool.1" ||
			fail "fcgitool(1) does not list '$c'"
		ls "$TOP"/tests/cli/*-"$c".bats >/dev/null 2>&1 ||
			fail "fcgitool $c has no tests/cli/NN-$c.bats"
	done
}

@test "every command's -h exits 0 and a bad option exits 2" {
	local c
	for c in $(commands); do
		run -0 --separate-stderr "$FCGITOOL" "$c" -h
		run -2 --separate-stderr "$FCGITOOL" "$c" --no-such-option
		[[ "$stderr" == *"usage: fcgitool $c"* ]] ||
			fail "fcgitool $c --no-such-option did not print its usage"
	done
}

@test "every man page is clean under mandoc -Tlint -Wstyle" {
	local m out
	for m in "$TOP"/man/*.[0-9]; do
		out=$(mandoc -Tlint -Wstyle "$m" 2>&1 |
			grep -v -e 'referenced manual not found' -e 'mandoc.db' || true)
		[ -z "$out" ] || fail "$out"
	done
}
