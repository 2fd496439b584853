#!/usr/bin/env bats
# 70-bench-phpfpm.bats - fcgitool bench against a real PHP-FPM pool:
# exact counts over new and kept connections, unix and TCP, PHP-FPM's
# way of ending STDOUT is no error, and a missing script counts as 4xx.

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

jval() {
	jq -r ".$1" "$PEER_DIR/out.json"
}

@test "bench: php-fpm over a unix socket, new and kept connections" {
	start_php_fpm "$SOCK" 4
	run -0 "$FCGITOOL" bench --json --root "$PEER_WWW" -n 200 -c 4 \
		--keep-conn "$SOCK" /hello.php
	echo "$output" >"$PEER_DIR/out.json"
	assert_equal "$(jval requests) $(jval ok) $(jval connects)" "200 200 4"
	assert_equal "$(jval errors.protocol) $(jval status.http2xx)" "0 200"
	run -0 "$FCGITOOL" bench --json --root "$PEER_WWW" -n 60 -c 2 \
		"$SOCK" /hello.php
	echo "$output" >"$PEER_DIR/out.json"
	assert_equal "$(jval requests) $(jval ok) $(jval connects)" "60 60 60"
}

@test "bench: php-fpm over TCP" {
	local port
	port=$(free_port)
	start_php_fpm "127.0.0.1:$port" 2
	run -0 "$FCGITOOL" bench --json --root "$PEER_WWW" -n 50 -c 2 \
		--keep-conn "127.0.0.1:$port" /hello.php
	echo "$output" >"$PEER_DIR/out.json"
	assert_equal "$(jval requests) $(jval ok)" "50 50"
	run -0 "$FCGITOOL" bench --json --root "$PEER_WWW" -n 30 -c 2 \
		"127.0.0.1:$port" /hello.php
	echo "$output" >"$PEER_DIR/out.json"
	assert_equal "$(jval requests) $(jval ok) $(jval connects)" "30 30 30"
}

@test "bench: a missing script is 404 from php-fpm, counted as http4xx" {
	start_php_fpm "$SOCK" 2
	run -0 "$FCGITOOL" bench --root "$PEER_WWW" -n 10 -c 1 --keep-conn \
		"$SOCK" /nosuch.php
	assert_line "  ok 0, errors 10: http4xx 10"
	assert_line "  status 4xx 10"
}

@test "bench: a POST body to php-fpm" {
	start_php_fpm "$SOCK" 2
	head -c 100000 /dev/urandom >"$PEER_DIR/body"
	run -0 "$FCGITOOL" bench --json --root "$PEER_WWW" -n 20 -c 2 \
		--keep-conn --data "@$PEER_DIR/body" "$SOCK" /echo.php
	echo "$output" >"$PEER_DIR/out.json"
	assert_equal "$(jval requests) $(jval ok)" "20 20"
	[ "$(jval receivedBytes)" -ge 2000000 ]
}
