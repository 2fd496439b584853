#!/usr/bin/env bats
# 30-proxy-soak.bats - 20,000 requests from 8 concurrent clients through
# curl -> nginx -> fcgitool proxy -> php-fpm: every request answered
# once, every one decoded, every connection forwarded whole, and the
# proxy's file descriptors back to where they were.

load ../cli/test_helper
load peers

REQUESTS=20000

setup() {
	need nginx "the interop tests run nginx"
	need jq "the summaries are JSON"
	peers_init
}

teardown() {
	stop_peers
}

fds() {
	find "/proc/$1/fd" -mindepth 1 -maxdepth 1 | wc -l
}

@test "20,000 requests through the proxy: none lost, no fd leaked" {
	local i fd0 fd1 log=$PEER_DIR/proxy.log
	printf '%s\n' '<?php' 'echo "ok ", $_GET["i"] ?? "-", "\n";' >"$PEER_WWW/n.php"
	start_php_fpm "$PEER_DIR/php.sock" 8
	"$FCGITOOL" proxy --summary --json --log "$log" \
		--listen "$PEER_DIR/px.sock" --upstream "$PEER_DIR/php.sock" \
		2>"$PEER_DIR/proxy.err" &
	local proxy=$!
	track "$proxy"
	for i in $(seq 1 100); do
		grep -q '"listen"' "$log" 2>/dev/null && break
		sleep 0.05
	done
	fd0=$(fds "$proxy")
	cat >"$PEER_DIR/http.conf" <<'CONF'
server {
	listen 127.0.0.1:@PORT@;
	root @WWW@;
	access_log off;
	location ~ \.php$ {
		fastcgi_pass unix:@DIR@/px.sock;
		fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
		fastcgi_param REQUEST_METHOD $request_method;
		fastcgi_param QUERY_STRING $query_string;
	}
}
CONF
	start_nginx "$PEER_DIR/http.conf"

	# One curl, 8 transfers at a time, a URL per request; bounded.
	timeout 600 curl -sS -Z --parallel-max 8 --max-time 600 \
		-w '%{http_code}\n' \
		"http://127.0.0.1:$NGINX_PORT/n.php?i=[1-$REQUESTS]" \
		>"$PEER_DIR/curl.out"
	assert_equal "$(grep -c '^200$' "$PEER_DIR/curl.out")" "$REQUESTS"
	# Each request answered exactly once.
	assert_equal "$(grep '^ok ' "$PEER_DIR/curl.out" | sort -u | wc -l)" "$REQUESTS"

	# The proxy lets go of every connection (nginx does not keep them).
	for i in $(seq 1 100); do
		fd1=$(fds "$proxy")
		[ "$fd1" -eq "$fd0" ] && break
		sleep 0.1
	done
	assert_equal "$fd1" "$fd0"

	kill -TERM "$proxy"
	wait "$proxy"
	# Every request decoded, every connection forwarded whole.
	run -0 jq -r 'select(.kind == "request") | "\(.status) \(.protocolStatus)"' "$log"
	assert_equal "$(grep -c '^200 REQUEST_COMPLETE$' <<<"$output")" "$REQUESTS"
	assert_equal "${#lines[@]}" "$REQUESTS"
	run -0 jq -r 'select(.kind == "connection") |
		select(.toApp.read != .toApp.written or .toWeb.read != .toWeb.written or
		       .toApp.sha256Read != .toApp.sha256Written or
		       .toWeb.sha256Read != .toWeb.sha256Written or .reason != "closed")' "$log"
	assert_output ""
	assert_equal "$(jq -s '[.[] | select(.kind == "connection")] | length' "$log")" "$REQUESTS"
	run -0 jq -r 'select(.kind == "violation" and .severity != "note")' "$log"
	assert_output ""
}
