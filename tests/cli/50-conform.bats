#!/usr/bin/env bats
# 50-conform.bats - fcgitool conform: usage, the catalogue, and runs
# against a small FastCGI peer in Python (tests/conform/peer.py) whose
# faults are chosen by its options, so that every grade is seen.

load test_helper

@test "conform: usage errors exit 2 and name what is wrong" {
	run -2 --separate-stderr "$FCGITOOL" conform
	assert_equal "$(echo "$stderr" | head -1)" "fcgitool conform: no address given"
	run -2 --separate-stderr "$FCGITOOL" conform --format xml :9
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool conform: bad --format 'xml': not text, tap, junit, json, baseline or man"
	run -2 --separate-stderr "$FCGITOOL" conform --splits whole,halves :9
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool conform: bad --splits 'whole,halves': a list of whole, bytes and random"
	run -2 --separate-stderr "$FCGITOOL" conform --only fcgi-9.9 :9
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool conform: 'fcgi-9.9' names no case (see --list)"
	run -2 --separate-stderr "$FCGITOOL" conform --list :9
	assert_equal "$(echo "$stderr" | head -1)" "fcgitool conform: --list takes no address"
	run -2 --separate-stderr "$FCGITOOL" conform --format man :9
	assert_equal "$(echo "$stderr" | head -1)" "fcgitool conform: --format man needs --list"
	run -2 --separate-stderr "$FCGITOOL" conform --profile php-fpm :9
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool conform: --profile php-fpm needs --script: the path of a script the target runs"
	run -2 --separate-stderr "$FCGITOOL" conform --timeout 0 :9
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool conform: bad --timeout '0': not a number of seconds from 0.001 to 3600"
}

@test "conform --list: at least 100 cases, unique ids that name a section" {
	run -0 --separate-stderr "$FCGITOOL" conform --list
	[ "$(echo "$output" | wc -l)" -ge 100 ] || fail "only $(echo "$output" | wc -l) cases"
	[ -z "$(echo "$output" | awk '{ print $1 }' | sort | uniq -d)" ] ||
		fail "duplicate ids"
	if echo "$output" | awk '{ print $1 }' |
		grep -vE '^fcgi-[2-9]\.[0-9]-[a-z0-9-]+$'; then
		fail "ids not of the form fcgi-SECTION-mnemonic"
	fi
	if echo "$output" | awk '{ print $2 }' | sort -u |
		grep -qvE '^(MUST|SHOULD|MAY|interop)$'; then
		fail "a level other than MUST, SHOULD, MAY or interop"
	fi
	run -0 "$FCGITOOL" conform --list --only fcgi-5.4 --skip fcgi-5.4-abort-twice
	assert_line --regexp '^fcgi-5.4-abort-after-begin +MUST +ABORT_REQUEST right after BEGIN_REQUEST$'
	refute_line --partial fcgi-5.4-abort-twice
	refute_line --partial fcgi-5.3
}

@test "conform: the committed catalogue page is the generated one" {
	run -0 "$FCGITOOL" conform --list --format man
	diff -u "$TOP/man/fcgitool-conform-cases.7" <(echo "$output") ||
		fail "man/fcgitool-conform-cases.7 is stale: regenerate it with fcgitool conform --list --format man"
}
