#!/usr/bin/env bats
# 25-mock-nginx.bats - real nginx in front of fcgitool serve --mock: for
# each fault of tests/fixtures/mock/faults.json, the HTTP status curl gets
# and the line nginx writes to its error log, as listed in
# tests/fixtures/mock/nginx-faults.tsv (and in fcgitool-mock(5), which
# tests/cli/25-mock.bats holds to that list); then the worked examples of
# fcgitool-serve(1): the params nginx sends, asserted by the mock.

load ../cli/test_helper
load peers
load serve

MOCKS=$FIXTURES/mock

setup() {
	need nginx "nginx is not installed"
	need curl "curl is not installed"
	peers_init
}

teardown() {
	stop_peers
	kill_tracked
}

# nginx_to ADDR [PARAMS]: nginx on a free port passing every request to
# the FastCGI server at ADDR, fastcgi_read_timeout 1s; PARAMS replaces the
# usual fastcgi_param lines.  Sets URL.
nginx_to() {
	local params=${2:-"fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
		fastcgi_param REQUEST_METHOD \$request_method;
		fastcgi_param QUERY_STRING \$query_string;
		fastcgi_param CONTENT_LENGTH \$content_length;"}
	cat >"$PEER_DIR/http.conf" <<EOF
server {
	listen 127.0.0.1:@PORT@;
	location / {
		fastcgi_pass $1;
		$params
		fastcgi_read_timeout 1s;
	}
}
EOF
	start_nginx "$PEER_DIR/http.conf"
	URL=http://127.0.0.1:$NGINX_PORT
}

# The error log lines (warn and worse) written since line $1, each from
# its level to before ", client:".
log_since() {
	tail -n +"$(($1 + 1))" "$NGINX_LOG" |
		grep -E '\[(warn|error|crit|alert|emerg)\]' |
		sed -E 's/^[0-9\/: ]+(\[[a-z]+\]) [0-9#]+: \*[0-9]+ /\1 /; s/, client: .*//'
}

@test "nginx + mock: each fault's HTTP status and error log line" {
	local name status cexit want n got_status got_exit got_log bad="" rows=0
	start_serve --mock "$MOCKS/faults.json" 127.0.0.1:0
	nginx_to "$SERVE_ADDR"
	while IFS=$'\t' read -r name status cexit want; do
		case $name in '#'* | '') continue ;; esac
		rows=$((rows + 1))
		n=$(wc -l <"$NGINX_LOG")
		got_exit=0
		got_status=$(curl -sS -m 5 -o /dev/null -w '%{http_code}' \
			"$URL/$name" 2>/dev/null) || got_exit=$?
		# nginx logs as it finishes the request; give it a moment.
		got_log=
		for _ in $(seq 1 20); do
			got_log=$(log_since "$n")
			[ -n "$got_log" ] || [ "$want" = - ] || { sleep 0.05; continue; }
			break
		done
		[ "$want" != - ] || { sleep 0.1; got_log=$(log_since "$n"); }
		[ -n "$got_log" ] || got_log=-
		if [ "$got_status" != "$status" ] || [ "$got_exit" != "$cexit" ] ||
			[ "$got_log" != "$want" ]; then
			bad="$bad
$name: got $got_status (curl $got_exit) '$got_log'
$name: want $status (curl $cexit) '$want'"
		fi
	done <"$MOCKS/nginx-faults.tsv"
	[ "$rows" -ge 30 ] || fail "only $rows rows in nginx-faults.tsv"
	[ -z "$bad" ] || fail "nginx did otherwise:$bad"
	stop_serve
	assert_equal "$SERVE_STATUS" 0
}

@test "nginx + mock: a reset on a unix socket is a close to nginx" {
	start_serve --mock "$MOCKS/faults.json" "$PEER_DIR/m.sock"
	nginx_to "unix:$PEER_DIR/m.sock"
	n=$(wc -l <"$NGINX_LOG")
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$URL/reset"
	assert_output 502
	sleep 0.2
	assert_equal "$(log_since "$n")" \
		"[error] upstream prematurely closed connection while reading response header from upstream"
}

@test "nginx + mock: closing without reading a large body is a reset to nginx" {
	start_serve --mock "$MOCKS/faults.json" 127.0.0.1:0
	nginx_to "$SERVE_ADDR"
	head -c 1048576 /dev/zero >"$PEER_DIR/body"
	n=$(wc -l <"$NGINX_LOG")
	run -0 curl -sS -o /dev/null -w '%{http_code}' \
		--data-binary @"$PEER_DIR/body" "$URL/close-without-reading"
	assert_output 502
	sleep 0.2
	run log_since "$n"
	# Whether nginx was still writing the body or already reading
	# decides which call meets the reset, and how.
	assert_line --regexp '^\[error\] (recv\(\) failed \(104: Connection reset by peer\) while reading response header from|writev\(\) failed \((104: Connection reset by peer|32: Broken pipe)\) while sending request to) upstream$'
}

@test "nginx + mock: the params nginx sends, asserted (fcgitool-serve(1) EXAMPLES)" {
	start_serve --mock "$MOCKS/nginx-params.json" 127.0.0.1:0
	nginx_to "$SERVE_ADDR" "include /etc/nginx/fastcgi_params;
		fastcgi_param SCRIPT_FILENAME /srv\$fastcgi_script_name;"
	run -0 curl -sS "$URL/index.php?id=7"
	assert_output "params as expected"
	run -0 curl -sS -d 'a=1' "$URL/form.php"
	assert_output "params as expected"
	stop_serve
	assert_equal "$SERVE_STATUS" 0
}

@test "nginx + mock: a param nginx does not send fails the run, naming it" {
	start_serve --mock "$MOCKS/nginx-params.json" 127.0.0.1:0
	# Without fastcgi_params: no REQUEST_METHOD, no QUERY_STRING.
	nginx_to "$SERVE_ADDR" "fastcgi_param SCRIPT_FILENAME /srv\$fastcgi_script_name;"
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$URL/index.php?id=7"
	assert_output 404
	stop_serve
	assert_equal "$SERVE_STATUS" 1
	run cat "$SERVE_ERR"
	assert_line --regexp "^fcgitool serve: route 'php' expected at least 1 request, got 0$"
	assert_line --regexp "^fcgitool serve: unmatched request c1#1 \(/srv/index.php\): closest route 'php': param REQUEST_METHOD is absent, not 'GET'"
}

@test "nginx + mock: upstream prematurely closed connection, reproduced (fcgitool-serve(1) EXAMPLES)" {
	start_serve --mock "$MOCKS/nginx-close.json" 127.0.0.1:0
	nginx_to "$SERVE_ADDR"
	n=$(wc -l <"$NGINX_LOG")
	run -0 curl -sS -o /dev/null -w '%{http_code}' "$URL/app.php"
	assert_output 502
	sleep 0.2
	assert_equal "$(log_since "$n")" \
		"[error] upstream prematurely closed connection while reading response header from upstream"
	# The second request gets through.
	run -0 curl -sS "$URL/app.php"
	assert_output "fine now"
}
