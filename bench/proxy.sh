#!/bin/sh
# proxy.sh - what fcgitool proxy costs: wrk -> nginx -> php-fpm directly,
# against wrk -> nginx -> fcgitool proxy -> php-fpm, with the proxy's
# record log off (--quiet) and on (--log FILE), at the same concurrency
# in the same run.  Reports requests/s as a ratio to the direct path and
# the p50/p99 latency the proxy adds, for a small and a 1 MiB response.
# Needs nginx, php-fpm and wrk; about a minute.  Usage: bench/proxy.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
tool=${FCGITOOL:-$top/build/release/fcgitool/fcgitool}
secs=${BENCH_SECS:-6}
conns=${BENCH_CONNS:-16}

if [ ! -x "$tool" ]; then
	echo "proxy.sh: $tool is not built; run make bench" >&2
	exit 1
fi
fpm=""
for b in php-fpm8.2 php-fpm8.3 php-fpm8.1 php-fpm; do
	if command -v "$b" >/dev/null 2>&1; then
		fpm=$(command -v "$b")
		break
	fi
done
for need in nginx wrk; do
	if ! command -v "$need" >/dev/null 2>&1; then
		echo "proxy.sh: $need is not installed; skipped" >&2
		exit 0
	fi
done
if [ -z "$fpm" ]; then
	echo "proxy.sh: php-fpm is not installed; skipped" >&2
	exit 0
fi

d=$(mktemp -d "${TMPDIR:-/tmp}/fcgitool-bench.XXXXXX")
pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	for p in $pids; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$d"
}
trap cleanup EXIT INT TERM

wait_sock() { # path
	i=0
	while [ ! -S "$1" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -S "$1" ]
}

mkdir -p "$d/www" "$d/nginx/logs" "$d/nginx/tmp"
printf '%s\n' '<?php echo "hello\n";' >"$d/www/small.php"
echo '<?php echo str_repeat("0123456789abcdef", 65536);' >"$d/www/big.php"

cat >"$d/fpm.conf" <<EOF
[global]
pid = $d/fpm.pid
error_log = $d/fpm.log
daemonize = no
[www]
listen = $d/php.sock
listen.mode = 0666
pm = static
pm.max_children = 8
EOF
env PHP_INI_SCAN_DIR= "$fpm" -F -O -y "$d/fpm.conf" -n -R >"$d/fpm.out" 2>&1 &
pids="$pids $!"
wait_sock "$d/php.sock"

# Two proxies: one quiet, one writing the full record log to a file.
"$tool" proxy --quiet --listen "$d/quiet.sock" --upstream "$d/php.sock" \
	2>"$d/quiet.err" &
pids="$pids $!"
"$tool" proxy --log "$d/records.log" --listen "$d/log.sock" \
	--upstream "$d/php.sock" 2>"$d/log.err" &
pids="$pids $!"
wait_sock "$d/quiet.sock"
wait_sock "$d/log.sock"

user=""
[ "$(id -u)" = 0 ] && user="user root;"
cat >"$d/fcgi.conf" <<'EOF'
fastcgi_split_path_info ^(/[a-z]+)(/.*)$;
fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_path_info;
fastcgi_param REQUEST_METHOD $request_method;
fastcgi_param QUERY_STRING $query_string;
EOF

# nginx on a random port; another one if that one is taken.
nginx_conf() { # port
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
	server {
		listen 127.0.0.1:$1;
		root $d/www;
		location /direct/ { include $d/fcgi.conf; fastcgi_pass unix:$d/php.sock; }
		location /quiet/ { include $d/fcgi.conf; fastcgi_pass unix:$d/quiet.sock; }
		location /log/ { include $d/fcgi.conf; fastcgi_pass unix:$d/log.sock; }
	}
}
EOF
}

up=""
for try in 1 2 3 4 5 6 7 8 9 10; do
	port=$((20000 + $(od -An -N2 -tu2 /dev/urandom) % 40000))
	nginx_conf "$port"
	nginx -p "$d/nginx/" -c "$d/nginx/nginx.conf" \
		-e "$d/nginx/logs/error.log" >"$d/nginx.out" 2>&1 &
	ngx=$!
	i=0
	while [ $i -lt 100 ] && kill -0 "$ngx" 2>/dev/null; do
		if curl -sf -o /dev/null \
			"http://127.0.0.1:$port/direct/small.php"; then
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
	echo "proxy.sh: nginx did not come up" >&2
	cat "$d/nginx/logs/error.log" >&2
	exit 1
fi
for path in direct quiet log; do
	for s in small big; do
		body=$(curl -sf "http://127.0.0.1:$port/$path/$s.php" | wc -c)
		case $s in
		small) want=6 ;;
		*) want=1048576 ;;
		esac
		if [ "$body" -ne "$want" ]; then
			echo "proxy.sh: /$path/$s.php gave $body bytes, not $want" >&2
			exit 1
		fi
	done
done

# run NAME URL: wrk, then "NAME req/s p50-ms p99-ms" into $d/results.
run() {
	wrk -t2 -c"$conns" -d1s "$2" >/dev/null 2>&1 # warm up
	wrk -t2 -c"$conns" -d"${secs}s" --latency "$2" >"$d/wrk.out" 2>&1
	awk -v name="$1" '
	function ms(v) {
		if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
		if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
		if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
		return v + 0
	}
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/^Requests\/sec:/ { rps = $2 }
	/Non-2xx/ { bad = $NF }
	END {
		if (bad > 0) { print name ": " bad " non-2xx answers" > "/dev/stderr"; exit 1 }
		printf "%s %s %.3f %.3f\n", name, rps, p50, p99
	}' "$d/wrk.out" >>"$d/results"
}

echo "== proxy: nginx -> fcgitool proxy -> php-fpm vs nginx -> php-fpm" \
	"(wrk -t2 -c$conns, ${secs}s each)"
for s in small big; do
	: >"$d/results"
	run direct "http://127.0.0.1:$port/direct/$s.php"
	run quiet "http://127.0.0.1:$port/quiet/$s.php"
	run log "http://127.0.0.1:$port/log/$s.php"
	case $s in
	small) what="6-byte response" ;;
	*) what="1 MiB response" ;;
	esac
	awk -v what="$what" '
	{ rps[$1] = $2; p50[$1] = $3; p99[$1] = $4 }
	END {
		printf "%s\n", what
		printf "  %-34s %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms\n",
		    "nginx -> php-fpm", rps["direct"], p50["direct"], p99["direct"]
		split("quiet log", k, " ")
		label["quiet"] = "via proxy, log off (--quiet)"
		label["log"] = "via proxy, record log to a file"
		for (i = 1; i <= 2; i++) {
			n = k[i]
			printf "  %-34s %10.0f req/s  p50 %7.3f ms  p99 %7.3f ms" \
			    "  (x%.2f throughput, p50 %+.3f ms, p99 %+.3f ms)\n",
			    label[n], rps[n], p50[n], p99[n], rps[n] / rps["direct"],
			    p50[n] - p50["direct"], p99[n] - p99["direct"]
		}
	}' "$d/results"
done
echo "  (record log written: $(wc -c <"$d/records.log") bytes)"
