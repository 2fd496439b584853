#!/usr/bin/env bats
# 50-conform-nginx.bats - fcgitool conform --client with nginx in front:
# conform listens, nginx (started here) passes /conform/ to it, conform's
# own HTTP client asks nginx for one URI per case, and every verdict on
# nginx's side must equal tests/conform/expected/nginx[-keepalive].txt.

load ../cli/test_helper
load peers
load ../conform/conform

setup() {
	peers_init
}

teardown() {
	stop_peers
}

# nginx_conf KEEPALIVE: the http {} body, with or without a keepalive
# upstream pool (and so KEEP_CONN).
nginx_conf() {
	local pool="" keep=""
	if [ "$1" = 1 ]; then
		pool="keepalive 4;"
		keep="fastcgi_keep_conn on;"
	fi
	cat >"$PEER_DIR/conform.conf" <<CONF
upstream conform {
	server unix:@DIR@/conform.sock;
	$pool
}
server {
	listen 127.0.0.1:@PORT@;
	location /conform/ {
		fastcgi_param QUERY_STRING \$query_string;
		fastcgi_param REQUEST_METHOD \$request_method;
		fastcgi_param CONTENT_TYPE \$content_type;
		fastcgi_param CONTENT_LENGTH \$content_length;
		fastcgi_param SCRIPT_NAME \$fastcgi_script_name;
		fastcgi_param REQUEST_URI \$request_uri;
		fastcgi_param DOCUMENT_URI \$document_uri;
		fastcgi_param DOCUMENT_ROOT \$document_root;
		fastcgi_param SERVER_PROTOCOL \$server_protocol;
		fastcgi_param REQUEST_SCHEME \$scheme;
		fastcgi_param GATEWAY_INTERFACE CGI/1.1;
		fastcgi_param SERVER_SOFTWARE nginx/\$nginx_version;
		fastcgi_param REMOTE_ADDR \$remote_addr;
		fastcgi_param REMOTE_PORT \$remote_port;
		fastcgi_param SERVER_ADDR \$server_addr;
		fastcgi_param SERVER_PORT \$server_port;
		fastcgi_param SERVER_NAME \$server_name;
		fastcgi_param SCRIPT_FILENAME @WWW@\$fastcgi_script_name;
		fastcgi_pass conform;
		fastcgi_read_timeout 1s;
		$keep
	}
}
CONF
	start_nginx "$PEER_DIR/conform.conf"
}

@test "conform --client: nginx with a keepalive pool, the expected verdicts" {
	nginx_conf 1
	conform_check nginx-keepalive --client --http "127.0.0.1:$NGINX_PORT" \
		"unix:$PEER_DIR/conform.sock"
}

@test "conform --client: nginx without keepalive, the expected verdicts" {
	nginx_conf 0
	conform_check nginx --client --http "127.0.0.1:$NGINX_PORT" \
		"unix:$PEER_DIR/conform.sock"
}
