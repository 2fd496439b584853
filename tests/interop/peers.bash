# peers.bash - start the real peers (php-fpm, nginx, fcgiwrap, spawn-fcgi)
# for interop tests, each in the foreground with a config file written here
# into a temporary directory, listening on loopback or a unix socket, and
# stopped with every process it forked: each peer runs in a process group
# of its own, which stop_peers signals by its id.  Load after
# ../cli/test_helper.bash:
#
#   load ../cli/test_helper
#   load peers
#   setup() { peers_init; }
#   teardown() { stop_peers; }

# PEER_DIR: the peers' configs, logs and sockets; PEER_WWW: document root.
peers_init() {
	PEER_DIR=${BATS_TEST_TMPDIR:-$(mktemp -d)}/peers
	PEER_WWW=$PEER_DIR/www
	mkdir -p "$PEER_DIR" "$PEER_WWW"
	PEER_SEQ=0
	PEER_GROUPS=()
	export PEER_DIR PEER_WWW
}

# _start_peer LOG CMD...: run CMD in the background as the leader of a
# process group of its own (job control is on for that one command, so
# bash makes the group; the session stays the test run's).  Its workers
# (php-fpm's pool, nginx's workers, the children of fcgiwrap -c N and the
# CGI scripts they run) are in that group, so stop_peers stops them with
# it, including those that outlive their parent (fcgiwrap's children keep
# serving when the parent is killed).  Sets PEER_PID.
_start_peer() {
	local log=$1
	shift
	set -m
	"$@" </dev/null >"$log" 2>&1 3>&- &
	PEER_PID=$!
	set +m
	PEER_GROUPS+=("$PEER_PID")
	track "$PEER_PID"
}

_php_fpm_bin() {
	local b
	for b in php-fpm8.2 php-fpm8.3 php-fpm8.1 php-fpm; do
		if command -v "$b" >/dev/null 2>&1; then
			command -v "$b"
			return 0
		fi
	done
	for b in /usr/sbin/php-fpm*; do
		[ -x "$b" ] && { echo "$b"; return 0; }
	done
	return 1
}

# Wait for a pid's socket to accept, or fail with its log.
_wait_peer() { # pid addr log
	local host=${2%:*}
	host=${host#[}
	host=${host%]} # [::1]:9000: bash's /dev/tcp takes ::1
	for _ in $(seq 1 200); do
		if ! kill -0 "$1" 2>/dev/null; then
			echo "peer exited before listening on $2; log:" >&2
			cat "$3" >&2 2>/dev/null
			return 1
		fi
		case $2 in
		/*) [ -S "$2" ] && return 0 ;;
		*) (exec 3<>"/dev/tcp/$host/${2##*:}") 2>/dev/null && return 0 ;;
		esac
		sleep 0.05
	done
	echo "peer $1 never listened on $2; log:" >&2
	cat "$3" >&2 2>/dev/null
	return 1
}

# start_php_fpm LISTEN [WORKERS]: LISTEN is a socket path or HOST:PORT.
# Sets PHPFPM_PID and PHPFPM_LOG.  pm=static; /status and /ping are on.
start_php_fpm() {
	local listen=$1 workers=${2:-4} bin d
	bin=$(_php_fpm_bin) || { need php-fpm8.2 "php-fpm is not installed"; return 1; }
	PEER_SEQ=$((PEER_SEQ + 1))
	d=$PEER_DIR/php-fpm-$PEER_SEQ
	mkdir -p "$d"
	cat >"$d/php-fpm.conf" <<CONF
[global]
pid = $d/php-fpm.pid
error_log = $d/php-fpm.log
daemonize = no
log_level = notice

[www]
listen = $listen
listen.mode = 0666
pm = static
pm.max_children = $workers
pm.status_path = /status
ping.path = /ping
catch_workers_output = yes
decorate_workers_output = no
request_terminate_timeout = 60
CONF
	cat >"$d/php.ini" <<CONF
error_reporting = E_ALL
display_errors = Off
log_errors = On
error_log = $d/php-errors.log
memory_limit = 512M
post_max_size = 128M
upload_max_filesize = 128M
max_execution_time = 60
enable_post_data_reading = On
CONF
	if ! env PHP_INI_SCAN_DIR= "$bin" -t -y "$d/php-fpm.conf" -c "$d/php.ini" -R \
		>"$d/check.log" 2>&1; then
		cat "$d/check.log" >&2
		return 1
	fi
	_start_peer "$d/php-fpm.out" env PHP_INI_SCAN_DIR= "$bin" -F -O \
		-y "$d/php-fpm.conf" -c "$d/php.ini" -R
	PHPFPM_PID=$PEER_PID
	export PHPFPM_LOG=$d/php-fpm.log
	_wait_peer "$PHPFPM_PID" "$listen" "$d/php-fpm.out"
}

# start_nginx FILE: FILE holds the body of the http {} block (server and
# upstream blocks).  @PORT@ becomes a free port (NGINX_PORT), @DIR@ the
# peer directory, @WWW@ the document root.  Sets NGINX_PID, NGINX_LOG.
start_nginx() {
	local body=$1 d
	need nginx "nginx is not installed" || return 1
	PEER_SEQ=$((PEER_SEQ + 1))
	d=$PEER_DIR/nginx-$PEER_SEQ
	mkdir -p "$d/logs" "$d/tmp"
	NGINX_PORT=$(free_port)
	{
		cat <<CONF
daemon off;
master_process on;
worker_processes 1;
user root;
pid $d/nginx.pid;
error_log $d/logs/error.log info;
events { worker_connections 1024; }
http {
	access_log $d/logs/access.log;
	client_body_temp_path $d/tmp/body;
	proxy_temp_path $d/tmp/proxy;
	fastcgi_temp_path $d/tmp/fastcgi;
	uwsgi_temp_path $d/tmp/uwsgi;
	scgi_temp_path $d/tmp/scgi;
	client_max_body_size 256m;
	default_type application/octet-stream;
CONF
		sed -e "s|@PORT@|$NGINX_PORT|g" -e "s|@DIR@|$PEER_DIR|g" \
			-e "s|@WWW@|$PEER_WWW|g" "$body"
		echo "}"
	} >"$d/nginx.conf"
	if ! nginx -t -p "$d/" -c "$d/nginx.conf" -e "$d/logs/error.log" \
		>"$d/check.log" 2>&1; then
		cat "$d/check.log" "$d/nginx.conf" >&2
		return 1
	fi
	_start_peer "$d/nginx.out" nginx -p "$d/" -c "$d/nginx.conf" \
		-e "$d/logs/error.log"
	NGINX_PID=$PEER_PID
	NGINX_LOG=$d/logs/error.log
	_wait_peer "$NGINX_PID" "127.0.0.1:$NGINX_PORT" "$NGINX_LOG"
}

# start_fcgiwrap SOCKPATH [CHILDREN]: sets FCGIWRAP_PID.
start_fcgiwrap() {
	need fcgiwrap "fcgiwrap is not installed" || return 1
	rm -f "$1"
	_start_peer "$PEER_DIR/fcgiwrap.log" fcgiwrap -f -c "${2:-2}" \
		-s "unix:$1"
	FCGIWRAP_PID=$PEER_PID
	_wait_peer "$FCGIWRAP_PID" "$1" "$PEER_DIR/fcgiwrap.log"
}

# start_spawn_fcgi ADDR -- CMD ARGS: ADDR is a socket path or
# 127.0.0.1:PORT; spawn-fcgi -n hands CMD the listening socket on fd 0.
# Sets SPAWN_PID.
start_spawn_fcgi() {
	local addr=$1
	shift
	[ "$1" = "--" ] && shift
	need spawn-fcgi "spawn-fcgi is not installed" || return 1
	case $addr in
	/*)
		rm -f "$addr"
		_start_peer "$PEER_DIR/spawn.log" spawn-fcgi -n -s "$addr" \
			-M 0666 -- "$@"
		;;
	*)
		_start_peer "$PEER_DIR/spawn.log" spawn-fcgi -n \
			-a "${addr%:*}" -p "${addr##*:}" -- "$@"
		;;
	esac
	SPAWN_PID=$PEER_PID
	_wait_peer "$SPAWN_PID" "$addr" "$PEER_DIR/spawn.log"
}

# stop_peers: SIGTERM to every peer's process group, up to 5 s for all of
# each group to exit, then SIGKILL to what is left of it; then the other
# tracked processes (kill_tracked).
stop_peers() {
	local g _
	for g in "${PEER_GROUPS[@]}"; do
		kill -TERM -- "-$g" 2>/dev/null || true
	done
	for g in "${PEER_GROUPS[@]}"; do
		for _ in $(seq 1 100); do
			kill -0 -- "-$g" 2>/dev/null || break
			sleep 0.05
		done
		kill -KILL -- "-$g" 2>/dev/null || true
	done
	PEER_GROUPS=()
	kill_tracked
}
