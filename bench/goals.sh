#!/bin/sh
# goals.sh - the ratios of issue 15's goals, each against its named peer,
# in one run on this machine, one line each:
#
#   serve-fn-vs-libfcgi-4tcp      serve --fn builtin hello / the libfcgi
#                                 hello app under spawn-fcgi (4 processes),
#                                 4 kept TCP connections       (goal >= 1.5)
#   serve-fn-vs-pingpong-16unix   serve --fn builtin hello / a 100-byte
#                                 ping-pong over 16 unix socket pairs
#                                 (bench/pingpong.c)            (goal >= 0.6)
#   proxy-log-vs-nginx-keepalive  wrk -> nginx -> proxy --log FILE ->
#                                 php-fpm / wrk -> nginx -> php-fpm, nginx
#                                 keeping its FastCGI connections (goal >= 0.9)
#   proxy-log-vs-nginx-newconn    the same, a connection per request
#                                                               (goal >= 0.8)
#   bench-vs-fcgiload-16unix      fcgitool bench / fcgiload (the minimal
#                                 load client in tests/helpers), the same
#                                 server at the same concurrency (goal >= 1.0)
#   capacity-1000-new, -kept      1,000 concurrent connections against the
#                                 built-in hello: connects refused and
#                                 OVERLOADED answers            (goal 0 and 0)
#
# Request rates come from fcgitool bench; each serve ratio is also given
# as fcgiload measures it, so that a load tool that is the limit shows.
# Runs alternate (A B A B) and each ratio is of the sums, to spread the
# drift of a shared machine.  Every serve --isolate mode is measured; the
# goal lines use the default.  About three minutes.
#   BENCH_SECS  seconds per measured run (default 3)
#   BENCH_ONLY  a space-separated subset of: serve proxy bench capacity
# The results also go to $BENCH_OUT (default build/release/bench/goals.txt).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
tool=${FCGITOOL:-$top/build/release/fcgitool/fcgitool}
load=$top/build/release/tests/helpers/fcgiload
pingpong=$top/build/release/bench/pingpong
secs=${BENCH_SECS:-3}
only=${BENCH_ONLY:-serve proxy bench capacity}
out=${BENCH_OUT:-$top/build/release/bench/goals.txt}

for f in "$tool" "$load" "$pingpong"; do
	if [ ! -x "$f" ]; then
		echo "goals.sh: $f is not built; run make bench" >&2
		exit 1
	fi
done
wants() {
	case " $only " in *" $1 "*) return 0 ;; esac
	return 1
}
have() {
	command -v "$1" >/dev/null 2>&1
}

bench_tmpdir
mkdir -p "$(dirname "$out")"
: >"$out"

# result NAME VALUE GOAL DETAIL: one line of the table.
result() {
	printf '%-30s %8s  (goal %s)  %s\n' "$1" "$2" "$3" "$4" | tee -a "$out"
}
skipped() { # NAME WHY
	printf '%-30s %8s  %s\n' "$1" "-" "skipped: $2" | tee -a "$out"
}

ratio() { # a b
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", (b > 0 ? a / b : 0) }'
}
# acc KEY VALUE: add VALUE to the sum KEY; sum KEY, mean KEY (of rounds).
acc() {
	awk -v a="$(sum "$1")" -v b="$2" 'BEGIN { printf "%.1f", a + b }' \
		>"$d/sum.$1.new"
	mv "$d/sum.$1.new" "$d/sum.$1"
}
sum() {
	cat "$d/sum.$1" 2>/dev/null || echo 0
}
mean() {
	awk -v a="$(sum "$1")" 'BEGIN { printf "%.0f", a / 2 }'
}

# fb ADDR CONNS KEEP [ARGS]: requests/s of fcgitool bench; errors fail.
fb() {
	a=$1 c=$2 k=$3
	shift 3
	kopt=""
	[ "$k" = keep ] && kopt=--keep-conn
	# shellcheck disable=SC2086
	"$tool" bench -c "$c" -d "$secs" --warmup 0.5 $kopt --json "$@" \
		"$a" /www/hello >"$d/fb.json" 2>"$d/fb.err" || {
		echo "goals.sh: fcgitool bench $a: $(cat "$d/fb.err")" >&2
		return 1
	}
	jq -r '.rps' "$d/fb.json"
}

# fl ADDR CONNS KEEP: requests/s of fcgiload; errors fail.
fl() {
	kopt=""
	[ "$3" = keep ] && kopt=-k
	"$load" -q -W -d 0.5 -c "$2" $kopt "$1" /www/hello >/dev/null 2>&1 ||
		true
	o=$("$load" -q -W -t $((secs + 30)) -d "$secs" -c "$2" $kopt "$1" \
		/www/hello 2>&1) || {
		echo "goals.sh: fcgiload $1: $o" >&2
		return 1
	}
	echo "$o" | sed -n 's/.*rps=\([0-9.]*\).*/\1/p'
}

# serve_on ADDR ARGS...: fcgitool serve --fn builtin in the background;
# sets SERVED to the address it listens on.
serve_on() {
	a=$1
	shift
	log=$d/serve.$$.$(date +%s%N).err
	"$tool" serve --fn builtin "$@" "$a" 2>"$log" &
	pids="$pids $!"
	i=0
	while [ $i -lt 200 ]; do
		SERVED=$(sed -n 's/.*listening on \([^ ]*\).*/\1/p' "$log")
		[ -n "$SERVED" ] && return 0
		sleep 0.05
		i=$((i + 1))
	done
	echo "goals.sh: serve $* did not start: $(cat "$log")" >&2
	return 1
}

# rand_port: a TCP port to try (the callers retry when it is taken).
rand_port() {
	echo $((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
}

# ---- serve --fn against libfcgi and the ping-pong ------------------------

# serve's --isolate modes, the default first.
modes=${BENCH_MODES:-pool worker none request}

serve_goals() {
	if ! have spawn-fcgi || ! have cc || [ ! -f /usr/include/fcgi_stdio.h ]; then
		skipped serve-fn-vs-libfcgi-4tcp "needs spawn-fcgi, cc, libfcgi-dev"
		return 0
	fi
	cat >"$d/hello.c" <<'EOF'
#include <fcgi_stdio.h>

int main(void)
{
	while (FCGI_Accept() >= 0)
		printf("Content-Type: text/plain\r\n\r\nHello, world!\n");
	return 0;
}
EOF
	cc -O2 -o "$d/hello" "$d/hello.c" -lfcgi
	for try in 1 2 3 4 5; do
		lport=$(rand_port)
		if spawn-fcgi -F 4 -P "$d/spawn.pid" -a 127.0.0.1 -p "$lport" \
			-- "$d/hello" >"$d/spawn.log" 2>&1; then
			break
		fi
		: "$try"
	done
	pids="$pids $(cat "$d/spawn.pid")"
	libfcgi=127.0.0.1:$lport

	# Each mode on TCP and on a unix socket; the addresses in files.
	for m in $modes; do
		serve_on 127.0.0.1:0 --isolate "$m"
		echo "$SERVED" >"$d/addr.tcp.$m"
		serve_on "unix:$d/serve-$m.sock" --isolate "$m"
		echo "$SERVED" >"$d/addr.unix.$m"
	done
	sleep 0.3

	for round in 1 2; do
		acc libfcgi.fb "$(fb "$libfcgi" 4 keep)"
		acc libfcgi.fl "$(fl "$libfcgi" 4 keep)"
		for m in $modes; do
			a=$(cat "$d/addr.tcp.$m")
			acc "tcp.$m.fb" "$(fb "$a" 4 keep)"
			acc "tcp.$m.fl" "$(fl "$a" 4 keep)"
		done
		o=$("$pingpong" -c 16 -s 100 -d "$secs")
		acc pingpong "$(echo "$o" | sed -n 's/.*rps=\([0-9.]*\).*/\1/p')"
		for m in $modes; do
			a=$(cat "$d/addr.unix.$m")
			acc "unix.$m.fb" "$(fb "$a" 16 keep)"
			acc "unix.$m.fl" "$(fl "$a" 16 keep)"
		done
		: "$round"
	done
	for m in $modes; do
		name=serve-fn-vs-libfcgi-4tcp
		[ "$m" = "${modes%% *}" ] || name="  --isolate $m"
		result "$name" "$(ratio "$(sum "tcp.$m.fb")" "$(sum libfcgi.fb)")" \
			">= 1.5" "serve $(mean "tcp.$m.fb") req/s, libfcgi $(mean libfcgi.fb); fcgiload: $(ratio "$(sum "tcp.$m.fl")" "$(sum libfcgi.fl)")"
	done
	for m in $modes; do
		name=serve-fn-vs-pingpong-16unix
		[ "$m" = "${modes%% *}" ] || name="  --isolate $m"
		result "$name" "$(ratio "$(sum "unix.$m.fb")" "$(sum pingpong)")" \
			">= 0.6" "serve $(mean "unix.$m.fb") req/s, ping-pong $(mean pingpong) round trips/s; fcgiload: $(ratio "$(sum "unix.$m.fl")" "$(sum pingpong)")"
	done
	# The same server, the two load tools: against each mode, since only
	# against a fast one can the load tool be the limit.
	if wants bench; then
		for m in $modes; do
			name=bench-vs-fcgiload-16unix
			[ "$m" = "${modes%% *}" ] || name="  --isolate $m"
			result "$name" \
				"$(ratio "$(sum "unix.$m.fb")" "$(sum "unix.$m.fl")")" ">= 1.0" \
				"fcgitool bench $(mean "unix.$m.fb") req/s, fcgiload $(mean "unix.$m.fl"), against serve, 16 kept unix connections"
		done
	fi
}

# ---- the proxy against nginx -> php-fpm ----------------------------------

proxy_goals() {
	find_php_fpm
	if [ -z "$fpm" ] || ! have nginx || ! have wrk; then
		skipped proxy-log-vs-nginx-keepalive "needs php-fpm, nginx, wrk"
		return 0
	fi
	pc=8 # wrk connections; nginx keeps as many to each upstream
	mkdir -p "$d/www" "$d/nginx/logs" "$d/nginx/tmp"
	printf '%s\n' '<?php echo "hello\n";' >"$d/www/hello.php"
	# Each kept connection holds a php-fpm worker: room for nginx's
	# pools to php-fpm and to the proxy, and for new connections.
	cat >"$d/fpm.conf" <<EOF
[global]
pid = $d/fpm.pid
error_log = $d/fpm.log
daemonize = no
[www]
listen = $d/php.sock
listen.mode = 0600
listen.backlog = 1024
pm = static
pm.max_children = $((pc * 4))
EOF
	env PHP_INI_SCAN_DIR= "$fpm" -F -O -y "$d/fpm.conf" -n -R \
		>"$d/fpm.out" 2>&1 &
	pids="$pids $!"
	wait_sock "$d/php.sock"
	"$tool" proxy --log "$d/records.log" --listen "$d/proxy.sock" \
		--upstream "$d/php.sock" 2>"$d/proxy.err" &
	pids="$pids $!"
	wait_sock "$d/proxy.sock"
	user=""
	[ "$(id -u)" = 0 ] && user="user root;"
	cat >"$d/fcgi.conf" <<'EOF'
fastcgi_split_path_info ^(/[a-z-]+)(/.*)$;
fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_path_info;
fastcgi_param SCRIPT_NAME $fastcgi_path_info;
fastcgi_param REQUEST_METHOD $request_method;
fastcgi_param QUERY_STRING $query_string;
fastcgi_param REQUEST_URI $request_uri;
fastcgi_param SERVER_PROTOCOL $server_protocol;
fastcgi_param REMOTE_ADDR $remote_addr;
fastcgi_param SERVER_NAME $server_name;
fastcgi_param SERVER_PORT $server_port;
EOF
	up=""
	for try in 1 2 3 4 5; do
		port=$(rand_port)
		cat >"$d/nginx/nginx.conf" <<EOF
daemon off;
$user
worker_processes 1;
pid $d/nginx/nginx.pid;
error_log $d/nginx/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $d/nginx/tmp/body;
	proxy_temp_path $d/nginx/tmp/proxy;
	fastcgi_temp_path $d/nginx/tmp/fastcgi;
	uwsgi_temp_path $d/nginx/tmp/uwsgi;
	scgi_temp_path $d/nginx/tmp/scgi;
	upstream php_keep { server unix:$d/php.sock; keepalive $pc; }
	upstream proxy_keep { server unix:$d/proxy.sock; keepalive $pc; }
	server {
		listen 127.0.0.1:$port;
		root $d/www;
		location /direct-new/ { include $d/fcgi.conf; fastcgi_pass unix:$d/php.sock; }
		location /proxy-new/ { include $d/fcgi.conf; fastcgi_pass unix:$d/proxy.sock; }
		location /direct-keep/ { include $d/fcgi.conf; fastcgi_keep_conn on; fastcgi_pass php_keep; }
		location /proxy-keep/ { include $d/fcgi.conf; fastcgi_keep_conn on; fastcgi_pass proxy_keep; }
	}
}
EOF
		nginx -p "$d/nginx/" -c "$d/nginx/nginx.conf" \
			-e "$d/nginx/logs/error.log" >"$d/nginx.out" 2>&1 &
		ngx=$!
		i=0
		while [ $i -lt 100 ] && kill -0 "$ngx" 2>/dev/null; do
			if have curl && curl -sf -o /dev/null \
				"http://127.0.0.1:$port/direct-new/hello.php"; then
				up=$try
				break
			fi
			i=$((i + 1))
			sleep 0.05
		done
		if [ -n "$up" ]; then
			pids="$pids $ngx"
			break
		fi
		kill "$ngx" 2>/dev/null || true
		wait "$ngx" 2>/dev/null || true
	done
	if [ -z "$up" ]; then
		skipped proxy-log-vs-nginx-keepalive "nginx did not come up"
		return 0
	fi
	for p in direct-new proxy-new direct-keep proxy-keep; do
		b=$(curl -sf "http://127.0.0.1:$port/$p/hello.php")
		if [ "$b" != hello ]; then
			echo "goals.sh: /$p/hello.php answered '$b'" >&2
			return 1
		fi
	done
	# wrk_rps PATH: requests/s of wrk; non-2xx answers fail.
	wrk_rps() {
		wrk -t2 -c$pc -d1s "http://127.0.0.1:$port/$1/hello.php" \
			>/dev/null 2>&1
		wrk -t2 -c$pc -d"${secs}s" "http://127.0.0.1:$port/$1/hello.php" \
			>"$d/wrk.out" 2>&1
		if grep -q 'Non-2xx' "$d/wrk.out"; then
			echo "goals.sh: /$1: $(grep Non-2xx "$d/wrk.out")" >&2
			return 1
		fi
		awk '/^Requests\/sec:/ { print $2 }' "$d/wrk.out"
	}
	for k in keep new; do
		for round in 1 2; do
			acc "direct-$k" "$(wrk_rps "direct-$k")"
			acc "proxy-$k" "$(wrk_rps "proxy-$k")"
			: "$round"
		done
		name=proxy-log-vs-nginx-keepalive goal=">= 0.9"
		[ $k = new ] && name=proxy-log-vs-nginx-newconn goal=">= 0.8"
		result "$name" "$(ratio "$(sum "proxy-$k")" "$(sum "direct-$k")")" \
			"$goal" "via proxy $(mean "proxy-$k") req/s, direct $(mean "direct-$k") (wrk -c$pc)"
	done
	echo "  (record log written: $(wc -c <"$d/records.log") bytes)"
}

# ---- capacity: 1,000 concurrent connections --------------------------------

capacity_goals() {
	serve_on "unix:$d/cap.sock"
	cap=$SERVED
	vals=$("$load" -g -n 1 "$cap" /www/hello 2>&1)
	mc=$(echo "$vals" | sed -n 's/^FCGI_MAX_CONNS=//p')
	mr=$(echo "$vals" | sed -n 's/^FCGI_MAX_REQS=//p')
	n=1000
	[ "$mc" -lt "$n" ] && n=$mc
	[ "$mr" -lt "$n" ] && n=$mr
	for k in new keep; do
		kopt=""
		[ $k = keep ] && kopt=--keep-conn
		"$tool" bench -c "$n" -n $((n * 3)) --timeout 60 $kopt --json \
			"$cap" /www/hello >"$d/cap.json" 2>"$d/cap.err" || true
		if [ ! -s "$d/cap.json" ]; then
			echo "goals.sh: capacity: $(cat "$d/cap.err")" >&2
			return 1
		fi
		refused=$(jq -r '.errors.connect' "$d/cap.json")
		over=$(jq -r '.errors.protocolStatus' "$d/cap.json")
		other=$(jq -r '.errors | ([.[]] | add) - .connect - .protocolStatus' "$d/cap.json")
		# The same load from fcgiload, which prints each failure.
		lopt=""
		[ $k = keep ] && lopt=-k
		"$load" -q -W -c "$n" -n $((n * 3)) -t 60 $lopt "$cap" /www/hello \
			>/dev/null 2>"$d/capl.err" || true
		lrefused=$(grep -c 'cannot connect' "$d/capl.err" || true)
		lover=$(grep -c 'OVERLOADED' "$d/capl.err" || true)
		name=capacity-1000-new
		[ $k = keep ] && name=capacity-1000-kept
		result "$name" "$refused/$over" "0/0 refused/OVERLOADED" \
			"$n connections, $((n * 3)) requests, other errors $other; fcgiload: $lrefused/$lover; serve advertises FCGI_MAX_CONNS=$mc FCGI_MAX_REQS=$mr"
	done
}

echo "== goals of issue 15 (${secs} s per run; ratios of sums over two alternated rounds)"
if wants serve || wants bench; then serve_goals; fi
if wants proxy; then proxy_goals; fi
if wants capacity; then capacity_goals; fi
