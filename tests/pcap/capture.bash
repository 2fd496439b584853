# capture.bash - real nginx -> php-fpm traffic, captured with tcpdump on
# lo, for the pcap tests.  Load after ../cli/test_helper.bash and
# ../interop/peers.bash:
#
#   load ../cli/test_helper
#   load ../interop/peers
#   load ../pcap/capture
#   setup() { peers_init; capture_setup; }
#   teardown() { stop_peers; }

# The PHP scripts the scenarios ask for.
capture_setup() {
	need tcpdump "the captures are taken with tcpdump"
	need curl "the requests go through nginx with curl"
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
echo str_repeat('0123456789abcdef', (int)($_GET['kb'] ?? 64) * 64);
PHP
	# An empty error_log sends error_log() to the web server as
	# FCGI_STDERR.
	cat >"$PEER_WWW/err.php" <<'PHP'
<?php
ini_set('error_log', '');
error_log('something went wrong');
echo "done\n";
PHP
	# The worker dies before answering: nginx answers 502.
	cat >"$PEER_WWW/die.php" <<'PHP'
<?php
exec('kill -9 ' . getmypid());
PHP
}

# start_tcpdump FILE FILTER...: capture on lo into FILE until
# stop_tcpdump.  tcpdump loses packets on lo without immediate mode
# and a larger buffer (DESIGN.md).
start_tcpdump() {
	local file=$1
	shift
	tcpdump -i lo -w "$file" --immediate-mode -B 131072 -U "$@" \
		>"$PEER_DIR/tcpdump.out" 2>"$PEER_DIR/tcpdump.err" 3>&- &
	TCPDUMP_PID=$!
	track "$TCPDUMP_PID"
	for _ in $(seq 1 100); do
		grep -q 'listening on' "$PEER_DIR/tcpdump.err" && return 0
		kill -0 "$TCPDUMP_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$PEER_DIR/tcpdump.err" >&2
	return 1
}

# Stop tcpdump (it writes what it has on SIGINT) and wait for it.
stop_tcpdump() {
	sleep 0.2 # the last packets of the scenario reach the buffer
	kill -INT "$TCPDUMP_PID"
	wait "$TCPDUMP_PID" || true
	grep -q '^0 packets dropped by kernel' "$PEER_DIR/tcpdump.err" || {
		cat "$PEER_DIR/tcpdump.err" >&2
		return 1
	}
}

# start_stack v4|v6 keep|close: php-fpm on a TCP port of 127.0.0.1 or
# ::1 (APP_PORT) and nginx in front (URL), with an upstream keepalive
# pool for "keep".
start_stack() {
	local host=127.0.0.1 pass keep=""
	[ "$1" = v6 ] && host='[::1]'
	APP_PORT=$(free_port)
	start_php_fpm "$host:$APP_PORT" 4 || return 1
	pass="$host:$APP_PORT"
	if [ "$2" = keep ]; then
		pass=app
		keep="fastcgi_keep_conn on;"
	fi
	{
		[ "$2" = keep ] && echo "upstream app { server $host:$APP_PORT; keepalive 2; }"
		cat <<CONF
server {
	listen 127.0.0.1:@PORT@;
	root @WWW@;
	location ~ \.php\$ {
		fastcgi_pass $pass;
		$keep
		fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
		fastcgi_param REQUEST_METHOD \$request_method;
		fastcgi_param QUERY_STRING \$query_string;
		fastcgi_param CONTENT_TYPE \$content_type;
		fastcgi_param CONTENT_LENGTH \$content_length;
		fastcgi_param REQUEST_URI \$request_uri;
		fastcgi_param GATEWAY_INTERFACE CGI/1.1;
		fastcgi_param REDIRECT_STATUS 200;
	}
}
CONF
	} >"$PEER_DIR/http.conf"
	start_nginx "$PEER_DIR/http.conf" || return 1
	URL=http://127.0.0.1:$NGINX_PORT
}

# The small scenario: two GETs, a POST, STDERR, a missing script (404)
# and a worker that dies (502).  Prints the HTTP statuses, one a line.
small_scenario() {
	local u=$URL
	curl -sS -o /dev/null -w '%{http_code}\n' "$u/get.php?who=a"
	curl -sS -o /dev/null -w '%{http_code}\n' "$u/get.php?who=b"
	curl -sS -o /dev/null -w '%{http_code}\n' --data-binary 'name=value&x=1' \
		-H 'Content-Type: application/x-www-form-urlencoded' "$u/post.php"
	curl -sS -o /dev/null -w '%{http_code}\n' "$u/err.php"
	curl -sS -o /dev/null -w '%{http_code}\n' "$u/missing.php"
	curl -sS -o /dev/null -w '%{http_code}\n' "$u/die.php"
}
