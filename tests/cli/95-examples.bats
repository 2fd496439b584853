#!/usr/bin/env bats
# 95-examples.bats - every command line in the EXAMPLES of every man page
# and in the code blocks of README.md runs against servers this test
# starts (php-fpm where the page means it, fcgitool serve otherwise) and
# exits as the page says; see tests/cli/examples.bash for how, and
# tests/examples.map for what the pages' addresses and paths become.  A
# page added to man/ is picked up without a change here.

load test_helper
load ../interop/peers
load ../interop/serve
load completion
load examples

setup() {
	D=$BATS_TEST_TMPDIR
}

teardown() {
	stop_peers
}

# The files whose examples run (EXAMPLES_ONLY=REGEX picks some, while
# working on a page).
sources() {
	{
		ls "$TOP"/man/*.[1-8]
		echo "$TOP/README.md"
	} | grep -E -- "${EXAMPLES_ONLY:-.}"
}

@test "examples: every annotation is one the runner knows" {
	local a bad=
	while IFS= read -r a; do
		a=${a#*example: }
		a=${a% -->}
		[[ $a =~ ^(line\ [0-9]+:\ )?(exit\ [0-9]+|skip\ because\ .+|output\ varies|file\ [^\ ]+)$ ]] ||
			bad+="$a"$'\n'
	done < <(grep -h -e '^\.\\" example:' -e '^<!-- example:' $(sources))
	[ -z "$bad" ] || fail "unknown annotations: $bad"
}

@test "examples: every command's page has a command line in its EXAMPLES" {
	local c n
	for c in $(commands); do
		[ "$c" = help ] && continue
		n=$(awk -v kind=man -v dir="$D" -f "$TOP/tests/examples.awk" \
			"$TOP/man/fcgitool-$c.1" | grep -c '^C')
		[ "$n" -ge 1 ] || fail "fcgitool-$c.1 has no '\$ ' line in EXAMPLES"
	done
}

@test "examples: a fixed port, or a path under /run or /tmp, is never run unmapped" {
	declare -gA EX_VAR=([PORT1]=5555 [FPM_TCP]=127.0.0.1:4444)
	local t
	for t in "fcgitool serve :9000" "fcgitool request [::1]:9000 /" \
		"fcgitool proxy --listen=localhost:9001" \
		"fcgitool serve /tmp/fcgi.sock" "fcgitool request /run/php.sock"; do
		ex_unmapped "$t" || fail "'$t' passes as mapped"
	done
	for t in "fcgitool serve :5555" "fcgitool request 127.0.0.1:4444 /x" \
		"fcgitool request -H 'Host: a' $BATS_RUN_TMPDIR/s.sock /" \
		"cc -o greet.so greet.c"; do
		! ex_unmapped "$t" || fail "'$t' is taken as unmapped ($REPLY)"
	done
}

@test "examples: the command lines of every page and the README exit as they say" {
	need php-fpm8.2 "examples about PHP-FPM run against php-fpm"
	need jq "an example of fcgitool-trace(5) uses jq"
	need spawn-fcgi "an example of fcgitool-serve(1) uses spawn-fcgi"
	need tcpdump "an example of fcgitool-proxy(1) reads its capture with tcpdump"
	ex_init
	EX_FAILED=0 EX_RUN=0 EX_SKIPPED=0 EX_SEQ=0
	EX_BG=() EX_FRESH=()
	cd "$WWW"
	local f
	for f in $(sources); do
		ex_file "$f" >>"$D/report"
	done
	sed 's/^/# /' "$D/report" >&3
	[ "$EX_FAILED" = 0 ] || fail "$EX_FAILED failed:
$(grep -A40 '^FAIL' "$D/report")"
	[ -n "${EXAMPLES_ONLY:-}" ] || [ "$EX_RUN" -ge 25 ] ||
		fail "only $EX_RUN command lines ran"
}
