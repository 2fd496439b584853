#!/usr/bin/env bats
# 20-serve-nginx.bats - real nginx in front of fcgitool serve: what an HTTP
# client sees through nginx's fastcgi module, with nginx's config written
# here on a free loopback port.

load ../cli/test_helper
load peers
load serve

setup() {
	need nginx "nginx is not installed"
	need curl "curl is not installed"
	peers_init
	SOCK=$PEER_DIR/serve.sock
	URL=
}

teardown() {
	stop_peers
}

# nginx_conf FILE: an http-block body with a plain location (/) and one
# through a keepalive upstream pool with fastcgi_keep_conn (/ka/).
nginx_conf() {
	cat >"$1" <<'EOF'
upstream serve_pool {
	server unix:@DIR@/serve.sock;
	keepalive 4;
}
server {
	listen 127.0.0.1:@PORT@;
	root @WWW@;
	location / {
		fastcgi_pass unix:@DIR@/serve.sock;
		fastcgi_param QUERY_STRING $query_string;
		fastcgi_param REQUEST_METHOD $request_method;
		fastcgi_param CONTENT_TYPE $content_type;
		fastcgi_param CONTENT_LENGTH $content_length;
		fastcgi_param SCRIPT_NAME $fastcgi_script_name;
		fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
		fastcgi_param HTTP_PROXY "";
		fastcgi_read_timeout 20s;
	}
	location /ka/ {
		fastcgi_pass serve_pool;
		fastcgi_keep_conn on;
		fastcgi_param QUERY_STRING $query_string;
		fastcgi_param REQUEST_METHOD $request_method;
		fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;
	}
}
EOF
}

start_both() { # serve options...
	start_serve "$@" "$SOCK"
	nginx_conf "$PEER_DIR/http.conf"
	start_nginx "$PEER_DIR/http.conf"
	URL=http://127.0.0.1:$NGINX_PORT
}

@test "nginx + serve: curl gets hello" {
	start_both
	run -0 curl -sS -i "$URL/hello?name=nginx"
	assert_line --partial "HTTP/1.1 200 OK"
	assert_line --partial "Content-Type: text/plain"
	assert_line "Hello, nginx!"
}

@test "nginx + serve: a 1 MB POST is echoed intact" {
	start_both
	head -c 1048576 /dev/urandom >"$PEER_DIR/body"
	run -0 curl -sS -o "$PEER_DIR/back" -w '%{http_code}' \
		-H 'Content-Type: application/x-test' \
		--data-binary @"$PEER_DIR/body" "$URL/echo?raw=1"
	assert_output 200
	cmp "$PEER_DIR/body" "$PEER_DIR/back"
}

@test "nginx + serve: a 1 MB POST comes back inside echo's JSON" {
	start_both
	head -c 786432 /dev/urandom | base64 -w 0 >"$PEER_DIR/body"
	curl -sS --data-binary @"$PEER_DIR/body" "$URL/echo" >"$PEER_DIR/json"
	assert_equal "$(jq -j .body "$PEER_DIR/json" | sha1sum)" \
		"$(sha1sum <"$PEER_DIR/body")"
	assert_equal "$(jq -r .method "$PEER_DIR/json")" POST
}

@test "nginx + serve --timeout: a sleeping function becomes HTTP 408" {
	start_both --timeout 1
	SECONDS=0
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$URL/sleep?ms=15000"
	assert_output 408
	[ "$SECONDS" -lt 8 ]
	run -0 curl -sS "$URL/hello"
	assert_output "Hello, world!"
}

@test "nginx + serve --timeout-status 504 gives HTTP 504" {
	start_both --timeout 0.5 --timeout-status 504
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$URL/sleep?ms=15000"
	assert_output 504
}

@test "nginx + serve --exec: a CGI script answers, its stderr in nginx's log" {
	cat >"$PEER_WWW/hi.cgi" <<'EOF'
#!/bin/sh
printf 'Status: 201 Created\r\nContent-Type: text/plain\r\nX-Script: %s\r\n\r\n' "$SCRIPT_NAME"
echo "query=$QUERY_STRING body=$(cat)"
echo "hi.cgi says hello to the error log" >&2
EOF
	chmod +x "$PEER_WWW/hi.cgi"
	start_both --exec --root "$PEER_WWW"
	run -0 curl -sS -i --data-binary "abc" "$URL/hi.cgi?x=1"
	assert_line --partial "HTTP/1.1 201 Created"
	assert_line --partial "X-Script: /hi.cgi"
	assert_line "query=x=1 body=abc"
	wait_until 5 grep -q "hi.cgi says hello to the error log" "$NGINX_LOG"
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$URL/missing.cgi"
	assert_output 404
	wait_until 5 grep -q "script '$PEER_WWW/missing.cgi' not found" \
		"$NGINX_LOG"
}

@test "nginx + serve: fastcgi_keep_conn serves many requests over one connection" {
	start_both --json
	# (Not "i": bats' run sets a variable of that name.)
	for k in $(seq 1 30); do
		run -0 curl -sS "$URL/ka/hello?name=$k"
		assert_output "Hello, $k!"
	done
	# Every request went over the one kept connection.
	run -0 jq -r 'select(.kind == "note" and .what == "accept") | .conn' \
		"$SERVE_OUT"
	assert_output c1
	run -0 jq -r 'select(.type == "BEGIN_REQUEST") | .keepConn' "$SERVE_OUT"
	assert_equal "$(echo "$output" | grep -c true)" 30
	run -0 jq -r 'select(.type == "END_REQUEST") | .conn' "$SERVE_OUT"
	assert_equal "$(echo "$output" | sort -u)" c1
}

@test "nginx + serve: a client that goes away stops the runner" {
	start_both --workers 1
	run -0 curl -sS "$URL/hello"
	old=$(child_pids "$SERVE_PID")
	# curl gives up after 0.5 s; nginx then closes its FastCGI
	# connection, which stops the sleeping function: its worker is
	# killed and replaced.
	run curl -sS -m 0.5 "$URL/sleep?ms=30000"
	wait_until 5 pool_renewed "$SERVE_PID" 1 "$old"
	run -0 curl -sS "$URL/hello"
	assert_output "Hello, world!"
}
