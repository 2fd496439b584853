#!/usr/bin/env bats
# 30-proxy-nginx.bats - curl -> nginx -> fcgitool proxy -> fcgitool proxy
# -> php-fpm, all on unix sockets.
#
# Two proxies in a row make the byte check honest: each prints, per
# connection, the SHA-256 of what it read from one socket and wrote to
# the other.  What nginx sent (read by the first proxy) must equal what
# php-fpm received (written by the second), and the other way round;
# the kernel, not our code, carries the bytes between the two proxies,
# whose own checksums must agree too.  On top of that PHP reports the
# length and SHA-256 of the body it got, and curl checks the body it got.

load ../cli/test_helper
load peers

setup() {
	need nginx "the interop tests run nginx"
	need jq "the summaries are JSON"
	peers_init
	cat >"$PEER_WWW/get.php" <<'PHP'
<?php
header('Content-Type: text/plain');
echo 'hello ', $_GET['who'] ?? 'nobody', "\n";
PHP
	cat >"$PEER_WWW/post.php" <<'PHP'
<?php
$b = file_get_contents('php://input');
header('Content-Type: text/plain');
echo strlen($b), ' ', hash('sha256', $b), "\n";
PHP
	cat >"$PEER_WWW/big.php" <<'PHP'
<?php
header('Content-Type: application/octet-stream');
echo str_repeat('0123456789abcdef', 131072);
PHP
	# The pool logs to a file; an empty error_log sends error_log() to
	# the web server as FCGI_STDERR, as a pool without one does.  PHP-FPM
	# joins the messages of one request with "; ", so this is two lines.
	cat >"$PEER_WWW/err.php" <<'PHP'
<?php
ini_set('error_log', '');
error_log("first problem\nsecond line");
error_log('third problem');
echo "done\n";
PHP
	start_php_fpm "$PEER_DIR/php.sock" 6
	# Second hop first: it connects to php-fpm, the first hop to it.
	start_hop B "$PEER_DIR/b.sock" "$PEER_DIR/php.sock"
	start_hop A "$PEER_DIR/a.sock" "$PEER_DIR/b.sock"
}

teardown() {
	stop_peers
}

# start_hop NAME LISTEN UPSTREAM: a proxy with a JSON summary in
# $PEER_DIR/NAME.log.
start_hop() {
	local i
	"$FCGITOOL" proxy --summary --json --log "$PEER_DIR/$1.log" \
		--listen "$2" --upstream "$3" 2>"$PEER_DIR/$1.err" &
	eval "HOP_$1=$!"
	track "$!"
	for i in $(seq 1 100); do
		grep -q '"listen"' "$PEER_DIR/$1.log" 2>/dev/null && return 0
		sleep 0.05
	done
	cat "$PEER_DIR/$1.err" >&2
	return 1
}

# nginx in front of the first hop; $1 = "keepalive" for an upstream pool.
start_front() {
	local pass="unix:@DIR@/a.sock" up="" keep=""
	if [ "${1:-}" = keepalive ]; then
		up="upstream hop { server unix:@DIR@/a.sock; keepalive 4; }"
		pass=hop
		keep="fastcgi_keep_conn on;"
	fi
	cat >"$PEER_DIR/http.conf" <<CONF
$up
server {
	listen 127.0.0.1:@PORT@;
	root @WWW@;
	location ~ \.php\$ {
		fastcgi_pass $pass;
		$keep
		fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
		fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
		fastcgi_param REQUEST_METHOD \$request_method;
		fastcgi_param QUERY_STRING \$query_string;
		fastcgi_param CONTENT_TYPE \$content_type;
		fastcgi_param CONTENT_LENGTH \$content_length;
		fastcgi_param REQUEST_URI \$request_uri;
		fastcgi_param SERVER_PROTOCOL \$server_protocol;
		fastcgi_param GATEWAY_INTERFACE CGI/1.1;
		fastcgi_param REDIRECT_STATUS 200;
		fastcgi_param HTTP_COOKIE \$http_cookie;
	}
}
CONF
	start_nginx "$PEER_DIR/http.conf"
	URL=http://127.0.0.1:$NGINX_PORT
}

# Stop nginx and both hops, so that every connection has ended and
# been summarised.
stop_chain() {
	kill "$NGINX_PID"
	wait "$NGINX_PID" || true
	kill -TERM "$HOP_A" "$HOP_B"
	wait "$HOP_A"
	wait "$HOP_B"
}

# The byte checks described at the top, over every connection.
check_bytes() {
	local a=$PEER_DIR/A.log b=$PEER_DIR/B.log n
	n=$(jq -s '[.[] | select(.kind == "connection")] | length' "$a")
	[ "$n" -ge 1 ] || fail "no connections in A's summary"
	assert_equal "$(jq -s '[.[] | select(.kind == "connection")] | length' "$b")" "$n"
	# Within each hop, each direction was forwarded whole.
	for f in "$a" "$b"; do
		run -0 jq -r 'select(.kind == "connection") |
			select(.toApp.sha256Read != .toApp.sha256Written or
			       .toWeb.sha256Read != .toWeb.sha256Written or
			       .toApp.read != .toApp.written or
			       .toWeb.read != .toWeb.written) | .conn' "$f"
		assert_output ""
		# No finding worse than a note (PHP-FPM ends a response with
		# END_REQUEST and no empty STDOUT record, a note).
		run -0 jq -r 'select(.kind == "violation" and .severity != "note")' "$f"
		assert_output ""
	done
	# nginx -> php-fpm: A read what B wrote; php-fpm -> nginx likewise.
	assert_equal "$(jq -r 'select(.kind == "connection") | .toApp.sha256Read' "$a" | sort)" \
		"$(jq -r 'select(.kind == "connection") | .toApp.sha256Written' "$b" | sort)"
	assert_equal "$(jq -r 'select(.kind == "connection") | .toWeb.sha256Written' "$a" | sort)" \
		"$(jq -r 'select(.kind == "connection") | .toWeb.sha256Read' "$b" | sort)"
	# And between the hops.
	assert_equal "$(jq -r 'select(.kind == "connection") | .toApp.sha256Written' "$a" | sort)" \
		"$(jq -r 'select(.kind == "connection") | .toApp.sha256Read' "$b" | sort)"
}

# The scripts of the requests a hop decoded, one per line, in order.
scripts() {
	jq -r 'select(.kind == "request") | "\(.method) \(.script) \(.status) \(.protocolStatus)"' \
		"$PEER_DIR/$1.log"
}

@test "GET through two proxies: bytes equal, every request named" {
	start_front
	run -0 curl -sS --max-time 10 "$URL/get.php?who=proxy"
	assert_output "hello proxy"
	run -0 curl -sS --max-time 10 -H 'Cookie: session=s3cret' "$URL/get.php"
	assert_output "hello nobody"
	stop_chain
	check_bytes
	assert_equal "$(scripts A)" "$(printf 'GET %s 200 REQUEST_COMPLETE\n' \
		"$PEER_WWW/get.php" "$PEER_WWW/get.php")"
	assert_equal "$(scripts B)" "$(scripts A)"
	# The cookie reached PHP-FPM but the log shows no value.
	! grep -q s3cret "$PEER_DIR/A.log"
}

@test "a 5 MB POST arrives whole at php-fpm" {
	head -c 5242880 /dev/urandom >"$PEER_DIR/body"
	start_front
	run -0 curl -sS --max-time 30 --data-binary "@$PEER_DIR/body" \
		-H 'Content-Type: application/octet-stream' "$URL/post.php"
	assert_output "5242880 $(sha256sum "$PEER_DIR/body" | cut -d' ' -f1)"
	stop_chain
	check_bytes
	run -0 jq -r 'select(.kind == "request") | "\(.method) \(.stdinBytes) \(.status)"' "$PEER_DIR/A.log"
	assert_output "POST 5242880 200"
	# The to-app stream carries the body plus its framing.
	[ "$(jq -r 'select(.kind == "connection") | .toApp.read' "$PEER_DIR/A.log")" -gt 5242880 ]
}

@test "a 2 MB response arrives whole at curl" {
	local want
	want=$(yes 0123456789abcdef | tr -d '\n' | head -c 2097152 | sha256sum | cut -d' ' -f1)
	start_front
	curl -sS --max-time 30 -o "$PEER_DIR/got" "$URL/big.php"
	assert_equal "$(sha256sum "$PEER_DIR/got" | cut -d' ' -f1)" "$want"
	stop_chain
	check_bytes
	run -0 jq -r 'select(.kind == "request") | "\(.script) \(.status) \(.stdoutBytes > 2097152)"' "$PEER_DIR/A.log"
	assert_output "$PEER_WWW/big.php 200 true"
}

@test "STDERR output is counted and nginx still answers" {
	start_front
	run -0 curl -sS --max-time 10 "$URL/err.php"
	assert_output "done"
	stop_chain
	check_bytes
	run -0 jq -r 'select(.kind == "request") | "\(.status) \(.stderrLines) \(.stderrBytes > 0)"' "$PEER_DIR/A.log"
	assert_output "200 2 true"
	grep -q 'FastCGI sent in stderr: "PHP message: first problem' "$NGINX_LOG"
}

@test "an upstream keepalive pool reuses proxied connections" {
	local who
	start_front keepalive
	# (Not "i": bats' run uses that name.)
	for who in 1 2 3 4 5 6; do
		run -0 curl -sS --max-time 10 "$URL/get.php?who=$who"
		assert_output "hello $who"
	done
	stop_chain
	check_bytes
	assert_equal "$(scripts A | wc -l)" 6
	# Fewer connections than requests: they were kept and reused.
	[ "$(jq -s '[.[] | select(.kind == "connection")] | length' "$PEER_DIR/A.log")" -lt 6 ]
	[ "$(jq -s '[.[] | select(.kind == "connection") | .requests] | max' "$PEER_DIR/A.log")" -ge 2 ]
}
