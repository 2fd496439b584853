#!/usr/bin/env bats
# 10-request-libfcgi.bats - fcgitool request against a libfcgi
# application (tests/fixtures/request/fcgi-echo.c, built here with -lfcgi)
# that spawn-fcgi starts on a free loopback port; stopped by pid.

load ../cli/test_helper
load peers

setup() {
	peers_init
	cd "$PEER_DIR" || return 1
	need cc "a C compiler builds the libfcgi application"
	[ -f /usr/include/fcgiapp.h ] || need fcgiapp.h "libfcgi-dev is not installed"
	cc -o "$BATS_TEST_TMPDIR/fcgi-echo" "$FIXTURES/request/fcgi-echo.c" \
		-lfcgi || fail "cannot build fcgi-echo"
	ADDR=127.0.0.1:$(free_port)
	start_spawn_fcgi "$ADDR" -- "$BATS_TEST_TMPDIR/fcgi-echo"
}

teardown() {
	stop_peers
}

@test "libfcgi: hello with params, STDERR and appStatus 0" {
	run -0 --separate-stderr "$FCGITOOL" request "$ADDR" \
		'/x?show=REQUEST_METHOD,SERVER_NAME&err=from+the+app'
	assert_equal "$output" "role RESPONDER
REQUEST_METHOD=474554
SERVER_NAME=6c6f63616c686f7374
stdin 0"
	assert_equal "$stderr" "from+the+app"
}

@test "libfcgi: a 1 MB binary POST comes back unchanged" {
	head -c $((1024 * 1024)) /dev/urandom >body.bin
	run -0 "$FCGITOOL" request -d @body.bin -o back.txt "$ADDR" /x
	head -2 back.txt | cmp - <(printf 'role RESPONDER\nstdin 1048576\n')
	tail -c 1048576 back.txt | cmp - body.bin
}

@test "libfcgi: one param of 100 KB arrives whole" {
	local big
	big=$(head -c 102400 /dev/zero | tr '\0' 'z')
	run -0 --separate-stderr "$FCGITOOL" request -p "BIG=$big" "$ADDR" '/x?show=BIG'
	assert_line --index 1 "BIG=$(printf '%s' "$big" | od -An -v -tx1 | tr -d ' \n')"
}

@test "libfcgi: a NUL byte in a value is sent; the app sees a C string" {
	run -0 --separate-stderr "$FCGITOOL" request -v -P 'V=ab\0cd' "$ADDR" '/x?show=V'
	assert_line --index 1 "V=6162"
	[[ "$stderr" == *'V = ab\x00cd'* ]] || fail "not in the trace: $stderr"
}

@test "libfcgi: a non-zero appStatus exits 1" {
	run -1 --separate-stderr "$FCGITOOL" request "$ADDR" '/x?exit=7'
	assert_equal "$stderr" "fcgitool request: '/x?exit=7': appStatus 7"
}

@test "libfcgi: the authorizer and filter roles" {
	run -0 --separate-stderr "$FCGITOOL" request --role authorizer "$ADDR" /x
	assert_line --index 0 "role AUTHORIZER"
	head -c 100000 /dev/urandom >data.bin
	run -0 "$FCGITOOL" request --data-file data.bin -d stdin-body \
		-o back.txt "$ADDR" '/x?show=FCGI_DATA_LENGTH'
	{
		printf 'role FILTER\nFCGI_DATA_LENGTH=313030303030\n'
		printf 'stdin 10\nstdin-bodydata 100000\n'
		cat data.bin
	} >expected.txt
	cmp back.txt expected.txt
}

@test "libfcgi: a kept connection over several requests" {
	run -0 --separate-stderr "$FCGITOOL" request -v -n 4 "$ADDR" /x
	assert_equal "$(grep -c '^role RESPONDER$' <<<"$output")" 4
	assert_equal "$(grep -c '\*\* connected' <<<"$stderr")" 1
	assert_equal "$(grep -c '\*\* reuse' <<<"$stderr")" 3
}

@test "libfcgi: GET_VALUES gets no answer before a request" {
	run -3 --separate-stderr "$FCGITOOL" request --get-values -m 0.5 "$ADDR"
	assert_equal "$stderr" "fcgitool request: '$ADDR': timed out after 500 ms"
}

@test "libfcgi: --mpx runs one at a time when GET_VALUES is not answered" {
	run -0 --separate-stderr "$FCGITOOL" request -v --mpx 2 "$ADDR" /x
	assert_equal "$(grep -c '^role RESPONDER$' <<<"$output")" 2
	[[ "$stderr" == *"** mpx no answer to GET_VALUES (timed out after 1000 ms): one request at a time"* ]]
}

@test "libfcgi: cgi-fcgi and fcgitool post the same body" {
	need cgi-fcgi "cgi-fcgi (libfcgi-bin) is not installed"
	head -c 200000 /dev/urandom >body.bin
	env -i REQUEST_METHOD=POST CONTENT_LENGTH=200000 QUERY_STRING=show=CONTENT_LENGTH \
		cgi-fcgi -bind -connect "$ADDR" <body.bin >cgi-fcgi.out
	env -i REQUEST_METHOD=POST QUERY_STRING=show=CONTENT_LENGTH \
		"$FCGITOOL" request -i --env --no-default-params -p CONTENT_LENGTH=200000 \
		-d @body.bin "$ADDR" >fcgitool.out
	cmp cgi-fcgi.out fcgitool.out
}
