#!/usr/bin/env bats
# 60-shell-phpfpm.bats - fcgitool shell against a real PHP-FPM: requests
# built and changed, the status and ping presets, raw records with bad
# versions, odd paddings and splits, GET_VALUES, and a saved session
# replayed to the same records.

load ../cli/test_helper
load peers

setup() {
	peers_init
	cp "$FIXTURES"/request/*.php "$PEER_WWW/"
	SOCK=$PEER_DIR/fpm.sock
	cd "$PEER_DIR" || return 1
	export HOME=$PEER_DIR XDG_STATE_HOME=$PEER_DIR/state NO_COLOR=1
}

teardown() {
	stop_peers
}

shell_run() {
	run --separate-stderr "$FCGITOOL" shell "$@" "$SOCK"
}

records() {
	sed -n 's/^[0-9][0-9]*\.[0-9]* \(c[0-9]*\|raw\) /\1 /p' |
		sed 's/ in [0-9.]* ms$//'
}

@test "shell + php-fpm: build, send, change a param, send again" {
	start_php_fpm "$SOCK" 2
	shell_run <<EOF
root $PEER_WWW
uri /hello.php?name=fpm
send
uri /hello.php?name=again
keep-conn on
send
send
EOF
	assert_success
	assert_line --index 0 --regexp '^X-Powered-By: PHP/8'
	assert_line "Hello, fpm!"
	[ "$(echo "$output" | grep -c '^Hello, again!$')" -eq 2 ]
	[ "$(echo "$output" | grep -c '^-- END_REQUEST appStatus=0 protocolStatus=REQUEST_COMPLETE; status 200;')" -eq 3 ]
}

@test "shell + php-fpm: the ping and status presets" {
	start_php_fpm "$SOCK" 2
	shell_run <<'EOF'
preset php-fpm-ping
send
preset php-fpm-status
send
EOF
	assert_success
	assert_line "pong"
	assert_line --regexp '^pool: +www$'
	assert_line --regexp '^process manager: +static$'
}

@test "shell + php-fpm: get-values, and a body from a file" {
	start_php_fpm "$SOCK" 2
	printf 'a\0b' >body.bin
	shell_run <<EOF
get-values
root $PEER_WWW
uri /echo.php
header Content-Type: application/octet-stream
body @body.bin
send
EOF
	assert_success
	assert_line --index 0 "FCGI_MPXS_CONNS=0"
	assert_line "$(printf 'X-Body-Length: 3\r')"
}

@test "shell + php-fpm: raw records, split into pieces, odd paddings and a bad version" {
	start_php_fpm "$SOCK" 2
	shell_run <<EOF
raw BEGIN_REQUEST 1 responder keep
raw -P 1 -n PARAMS 1 SCRIPT_FILENAME=$PEER_WWW/echo.php REQUEST_METHOD=POST CONTENT_LENGTH=5 CONTENT_TYPE=text/plain
raw PARAMS 1
split 3 5
raw STDIN 1 hello
raw STDIN 1
read
split off
raw -V 2 BEGIN_REQUEST 2
read 0.5
EOF
	run records <<<"$output"
	assert_line "raw ** split 16 bytes in 6 writes of 3, 5 ms apart"
	assert_line --regexp '^raw <- STDOUT +id=1 len=[0-9]+ .*X-Powered-By: PHP'
	assert_line --regexp '^raw <- END_REQUEST +id=1 len=8 +appStatus=0 protocolStatus=REQUEST_COMPLETE$'
	assert_line --partial "raw !! note unaligned to-app offset=16 record=2 id=1"
	assert_line --partial "raw !! spec bad-version to-app"
	# PHP-FPM keeps quiet about the bad version and waits.
	assert_line "raw ** read nothing came"
}

@test "shell + php-fpm: a saved session replays to the same records" {
	start_php_fpm "$SOCK" 2
	shell_run <<EOF
root $PEER_WWW
uri /hello.php?name=saved
send -v
raw BEGIN_REQUEST 1
raw -n PARAMS 1 SCRIPT_FILENAME=$PEER_WWW/hello.php REQUEST_METHOD=GET QUERY_STRING=name=raw
raw PARAMS 1
raw STDIN 1
read
save s.fcgi
EOF
	assert_success
	local first
	first=$(echo "$output" | records)
	[ -n "$first" ]
	echo "$first" | grep -q '^raw <- END_REQUEST  *id=1 len=8  *appStatus=0'
	shell_run <s.fcgi
	assert_success
	# PHP-FPM's date header changes; the records do not.
	assert_equal "$(echo "$output" | records)" "$first"
}
