#!/usr/bin/env bats
# 10-request-phpfpm.bats - fcgitool request against a real PHP-FPM, a
# pool on a unix socket (and one on a free loopback port), pm=static,
# started by each test in its own directory and stopped by pid.

load ../cli/test_helper
load peers

setup() {
	peers_init
	cp "$FIXTURES"/request/*.php "$PEER_WWW/"
	SOCK=$PEER_DIR/fpm.sock
	cd "$PEER_DIR" || return 1
}

teardown() {
	stop_peers
}

req() {
	"$FCGITOOL" request --root "$PEER_WWW" "$@"
}

@test "php-fpm: hello over a unix socket" {
	start_php_fpm "$SOCK" 2
	run -0 --separate-stderr req -i "$SOCK" '/hello.php?name=fpm'
	assert_line --index 0 --regexp '^X-Powered-By: PHP/8'
	assert_line "$(printf 'Content-type: text/plain;charset=UTF-8\r')"
	assert_equal "${lines[-1]}" "Hello, fpm!"
	[ -z "$stderr" ]
}

@test "php-fpm: hello over a loopback TCP port" {
	local port
	port=$(free_port)
	start_php_fpm "127.0.0.1:$port" 2
	run -0 --separate-stderr req "127.0.0.1:$port" '/hello.php?name=tcp'
	assert_equal "$output" "Hello, tcp!"
	run -0 --separate-stderr req ":$port" '/hello.php?name=colon'
	assert_equal "$output" "Hello, colon!"
}

@test "php-fpm: a 10 MB POST comes back with the same checksum" {
	start_php_fpm "$SOCK" 2
	head -c $((10 * 1024 * 1024)) /dev/urandom >body.bin
	run -0 --separate-stderr req -H 'Content-Type: application/octet-stream' \
		-d @body.bin -o back.bin "$SOCK" /echo.php
	[ -z "$stderr" ]
	assert_equal "$(sha256sum <back.bin | cut -d' ' -f1)" \
		"$(sha256sum <body.bin | cut -d' ' -f1)"
	# The same through a pipe (copied aside to learn CONTENT_LENGTH).
	# On failure, show php-fpm's log and the records, minus the bodies.
	run -0 bash -c "cat body.bin | '$FCGITOOL' request -v --root '$PEER_WWW' \
		-H 'Content-Type: application/octet-stream' -d @- '$SOCK' /echo.php \
		2>trace.txt | sha256sum | cut -d' ' -f1"
	if [ "$output" != "$(sha256sum <body.bin | cut -d' ' -f1)" ]; then
		grep -v -e ' STDIN  ' -e ' STDOUT  ' trace.txt | tail -20
		cat "$PHPFPM_LOG"
	fi
	assert_equal "$output" "$(sha256sum <body.bin | cut -d' ' -f1)"
}

@test "php-fpm: an 8 MiB POST over TCP, 100 times, never hangs (issue 14)" {
	local port i sum
	port=$(free_port)
	start_php_fpm "127.0.0.1:$port" 2
	head -c $((8 * 1024 * 1024)) /dev/urandom >body.bin
	sum=$(sha256sum <body.bin | cut -d' ' -f1)
	# It hung about once in 60 runs: a body stopped at the high-water
	# mark was never resumed when the socket took the whole queue.
	for i in $(seq 1 100); do
		run -0 --separate-stderr timeout 30 "$FCGITOOL" request \
			--root "$PEER_WWW" -H 'Content-Type: application/octet-stream' \
			-d @body.bin -o back.bin "127.0.0.1:$port" /echo.php
		assert_equal "$stderr" ""
	done
	assert_equal "$(sha256sum <back.bin | cut -d' ' -f1)" "$sum"
}

@test "php-fpm: a binary body with NUL bytes comes back unchanged" {
	start_php_fpm "$SOCK" 2
	printf 'a\0b\0\377\376\r\n\0' >bin.bin
	head -c 70000 /dev/urandom >>bin.bin
	run -0 req -i -H 'Content-Type: application/octet-stream' -d @bin.bin \
		-o back.bin "$SOCK" /echo.php
	grep -qa "$(printf 'X-Body-Length: 70009\r')" back.bin
	tail -c 70009 back.bin | cmp - bin.bin
}

@test "php-fpm: 100 KB of params arrive whole" {
	local i v all="" args=()
	start_php_fpm "$SOCK" 2
	# PHP-FPM parses each PARAMS record on its own, so 100 pairs of 1 KB
	# (the client cuts records between pairs), not one pair of 100 KB.
	for i in $(seq 100 199); do
		v=$(printf "%s" "$i" | head -c 3; head -c 1021 /dev/zero | tr '\0' 'p')
		args+=(-p "BIG$i=$v")
		all+=$v
	done
	run -0 --separate-stderr req "${args[@]}" "$SOCK" '/param.php?prefix=BIG'
	assert_equal "$output" \
		"100 102400 $(printf '%s' "$all" | sha256sum | cut -d' ' -f1)"
}

@test "php-fpm: a NUL byte in a value is sent; PHP keeps what precedes it" {
	start_php_fpm "$SOCK" 2
	run -0 --separate-stderr req -v -P 'NULVAL=ab\0cd' "$SOCK" \
		'/param.php?name=NULVAL'
	# PHP registers $_SERVER values as C strings.
	assert_equal "$output" \
		"2 6162 $(printf ab | sha256sum | cut -d' ' -f1)"
	[[ "$stderr" == *'NULVAL = ab\x00cd'* ]] || fail "not in the trace: $stderr"
}

@test "php-fpm: GET_VALUES says it does not multiplex" {
	start_php_fpm "$SOCK" 2
	run -0 --separate-stderr req --get-values "$SOCK"
	assert_equal "$output" "FCGI_MPXS_CONNS=0"
}

@test "php-fpm: several requests over one kept connection" {
	start_php_fpm "$SOCK" 2
	run -0 --separate-stderr req -v -n 5 "$SOCK" '/hello.php?name=kept'
	assert_equal "$output" "$(printf 'Hello, kept!\n%.0s' 1 2 3 4 5)"
	assert_equal "$(grep -c '\*\* connected' <<<"$stderr")" 1
	assert_equal "$(grep -c '\*\* reuse' <<<"$stderr")" 4
	assert_equal "$(grep -c 'flags=KEEP_CONN' <<<"$stderr")" 5
	assert_equal "$(grep -c 'done request 1: status 200, appStatus 0, REQUEST_COMPLETE' <<<"$stderr")" 5
}

@test "php-fpm: --mpx falls back to one at a time" {
	start_php_fpm "$SOCK" 2
	run -0 --separate-stderr req -v --mpx 3 "$SOCK" '/hello.php?name=mpx'
	assert_equal "$output" "$(printf 'Hello, mpx!\n%.0s' 1 2 3)"
	[[ "$stderr" == *"the server does not multiplex: one request at a time"* ]]
}

@test "php-fpm: Primary script unknown" {
	start_php_fpm "$SOCK" 2
	run -0 --separate-stderr req "$SOCK" /missing.php
	assert_equal "$output" "File not found."
	assert_equal "$stderr" "Primary script unknown"
	run -1 --separate-stderr req --fail "$SOCK" /missing.php
	[ -z "$output" ]
	assert_equal "$stderr" "Primary script unknown
fcgitool request: '/missing.php': HTTP status 404 Not Found"
}

@test "php-fpm: --json of a 404" {
	need jq "the JSON checks use jq"
	start_php_fpm "$SOCK" 2
	run -0 --separate-stderr req --json "$SOCK" /missing.php
	assert_equal "$(jq -r '.requests[0] | [.status, .reason, .body, .stderr, .appStatus, .protocolStatus] | @tsv' <<<"$output")" \
		"$(printf '404\tNot Found\tFile not found.\\n\tPrimary script unknown\t0\tREQUEST_COMPLETE')"
}

@test "php-fpm: the ping and status pages" {
	start_php_fpm "$SOCK" 2
	run -0 --separate-stderr req "$SOCK" /ping
	assert_equal "$output" "pong"
	run -0 --separate-stderr req "$SOCK" /status
	assert_line --index 0 "pool:                 www"
	assert_line "process manager:      static"
	assert_line "total processes:      2"
	run -0 --separate-stderr req "$SOCK" '/status?json'
	[[ "$output" == '{"pool":"www","process manager":"static",'* ]]
}

@test "php-fpm: a slow script is cut off by --max-time" {
	local t0 t1
	start_php_fpm "$SOCK" 2
	t0=$(date +%s%N)
	run -3 --separate-stderr req -m 1 "$SOCK" '/sleep.php?s=10'
	t1=$(date +%s%N)
	assert_equal "$output" "sleeping"
	assert_equal "$stderr" "fcgitool request: '/sleep.php?s=10': timed out after 1000 ms"
	[ $(((t1 - t0) / 1000000)) -lt 3000 ]
}

@test "php-fpm: cgi-fcgi and fcgitool get the same answer" {
	need cgi-fcgi "cgi-fcgi (libfcgi-bin) is not installed"
	start_php_fpm "$SOCK" 2
	local env=(env -i "SCRIPT_FILENAME=$PEER_WWW/hello.php" REQUEST_METHOD=GET
		QUERY_STRING=name=same)
	"${env[@]}" cgi-fcgi -bind -connect "$SOCK" >cgi-fcgi.out
	"${env[@]}" "$FCGITOOL" request -i --env --no-default-params "$SOCK" >fcgitool.out
	cmp cgi-fcgi.out fcgitool.out
	# And with the params fcgitool fills in, the same body.
	"$FCGITOOL" request --root "$PEER_WWW" "$SOCK" '/hello.php?name=same' >body.out
	assert_equal "$(cat body.out)" "Hello, same!"
	tail -c "$(stat -c %s body.out)" cgi-fcgi.out | cmp - body.out
}

@test "php-fpm: cgi-fcgi and fcgitool post the same body" {
	need cgi-fcgi "cgi-fcgi (libfcgi-bin) is not installed"
	start_php_fpm "$SOCK" 2
	head -c 300000 /dev/urandom >body.bin
	env -i "SCRIPT_FILENAME=$PEER_WWW/echo.php" REQUEST_METHOD=POST \
		CONTENT_TYPE=application/octet-stream CONTENT_LENGTH=300000 \
		cgi-fcgi -bind -connect "$SOCK" <body.bin >cgi-fcgi.out
	"$FCGITOOL" request --root "$PEER_WWW" -i \
		-H 'Content-Type: application/octet-stream' -d @body.bin \
		"$SOCK" /echo.php >fcgitool.out
	cmp cgi-fcgi.out fcgitool.out
}
