#!/bin/sh
# proxy.sh - what fcgitool proxy costs: wrk -> nginx -> php-fpm directly,
# against wrk -> nginx -> fcgitool proxy -> php-fpm, with the proxy's
# record log off (--quiet) and on (--log FILE), in the same run, for a
# small and a 1 MiB response.  Reports, as ratios to the direct path:
#   - requests/s at BENCH_CONNS connections (on a small machine wrk, nginx
#     and php-fpm share the cores with the proxy, so this mostly says how
#     much CPU one more process takes);
#   - the proxy's own CPU time per request (utime+stime from /proc over a
#     fixed run, divided by the requests wrk counted), against nginx's CPU
#     time per request on the direct path;
#   - p50/p99 latency at one connection, which is what the hop adds when
#     nothing queues.
# Needs nginx, php-fpm and wrk; about 90 seconds.  Usage: bench/proxy.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
tool=${FCGITOOL:-$top/build/release/fcgitool/fcgitool}
secs=${BENCH_SECS:-5}
secs1=${BENCH_SECS1:-3}
conns=${BENCH_CONNS:-16}

if [ ! -x "$tool" ]; then
	echo "proxy.sh: $tool is not built; run make bench" >&2
	exit 1
fi
find_php_fpm
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

bench_tmpdir

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
quiet_pid=$!
pids="$pids $!"
"$tool" proxy --log "$d/records.log" --listen "$d/log.sock" \
	--upstream "$d/php.sock" 2>"$d/log.err" &
log_pid=$!
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

# nginx runs one worker; its CPU time is what nginx spends on requests.
worker=$(pgrep -P "$ngx" | head -n 1)
if [ -z "$worker" ]; then
	echo "proxy.sh: cannot find the nginx worker" >&2
	exit 1
fi
hz=$(getconf CLK_TCK)

ticks() { # pid: utime+stime in clock ticks (the comm field has no spaces)
	awk '{ print $14 + $15 }' "/proc/$1/stat"
}

# wrk_parse NAME FILE: "NAME requests req/s p50-ms p99-ms"
wrk_parse() {
	awk -v name="$1" '
	function ms(v) {
		if (v ~ /us$/) return substr(v, 1, length(v) - 2) / 1000
		if (v ~ /ms$/) return substr(v, 1, length(v) - 2) + 0
		if (v ~ /s$/) return substr(v, 1, length(v) - 1) * 1000
		return v + 0
	}
	/^ +50%/ { p50 = ms($2) }
	/^ +99%/ { p99 = ms($2) }
	/ requests in / { n = $1 }
	/^Requests\/sec:/ { rps = $2 }
	/Non-2xx/ { bad = $NF }
	END {
		if (bad > 0) { print name ": " bad " non-2xx answers" > "/dev/stderr"; exit 1 }
		if (n == 0) { print name ": no requests" > "/dev/stderr"; exit 1 }
		printf "%s %d %s %.3f %.3f", name, n, rps, p50, p99
	}' "$2"
}

# run NAME URL PID: wrk at $conns connections, counting the CPU time of
# the nginx worker and of PID (the proxy, or "-"), then wrk at one
# connection; one line into $d/results:
# NAME req/s p50 p99 nginx-us/req proxy-us/req c1-p50 c1-p99
run() {
	wrk -t2 -c"$conns" -d1s "$2" >/dev/null 2>&1 # warm up
	w0=$(ticks "$worker")
	p0=0
	[ "$3" = - ] || p0=$(ticks "$3")
	wrk -t2 -c"$conns" -d"${secs}s" --latency "$2" >"$d/wrk.out" 2>&1
	w1=$(ticks "$worker")
	p1=0
	[ "$3" = - ] || p1=$(ticks "$3")
	wrk -t1 -c1 -d"${secs1}s" --latency "$2" >"$d/wrk1.out" 2>&1
	many=$(wrk_parse "$1" "$d/wrk.out")
	one=$(wrk_parse "$1" "$d/wrk1.out")
	echo "$many $one" | awk -v hz="$hz" -v w="$((w1 - w0))" \
	    -v p="$((p1 - p0))" '{
		us = 1e6 / hz / $2
		printf "%s %s %s %s %.1f %.1f %s %s\n", $1, $3, $4, $5,
		    w * us, p * us, $9, $10
	}' >>"$d/results"
}

echo "== proxy: nginx -> fcgitool proxy -> php-fpm vs nginx -> php-fpm" \
	"(wrk -t2 -c$conns ${secs}s, then -t1 -c1 ${secs1}s, each)"
for s in small big; do
	: >"$d/results"
	run direct "http://127.0.0.1:$port/direct/$s.php" -
	run quiet "http://127.0.0.1:$port/quiet/$s.php" "$quiet_pid"
	run log "http://127.0.0.1:$port/log/$s.php" "$log_pid"
	case $s in
	small) what="6-byte response" ;;
	*) what="1 MiB response" ;;
	esac
	awk -v what="$what" -v conns="$conns" '
	{
		rps[$1] = $2; p50[$1] = $3; p99[$1] = $4; ngx[$1] = $5
		cpu[$1] = $6; q50[$1] = $7; q99[$1] = $8
	}
	END {
		printf "%s\n", what
		printf "  %-32s %7.0f req/s at %d conns; nginx %.1f us CPU/req;" \
		    " 1 conn p50 %.3f ms p99 %.3f ms\n", "nginx -> php-fpm",
		    rps["direct"], conns, ngx["direct"], q50["direct"],
		    q99["direct"]
		split("quiet log", k, " ")
		label["quiet"] = "via proxy, log off (--quiet)"
		label["log"] = "via proxy, record log to a file"
		for (i = 1; i <= 2; i++) {
			n = k[i]
			printf "  %-32s %7.0f req/s (x%.2f); proxy %.1f us" \
			    " CPU/req (x%.2f of nginx direct); 1 conn p50" \
			    " %.3f ms (x%.2f, %+.3f) p99 %.3f ms (x%.2f, %+.3f)\n",
			    label[n], rps[n], rps[n] / rps["direct"], cpu[n],
			    cpu[n] / ngx["direct"], q50[n], q50[n] / q50["direct"],
			    q50[n] - q50["direct"], q99[n], q99[n] / q99["direct"],
			    q99[n] - q99["direct"]
		}
	}' "$d/results"
done
echo "  (record log written: $(wc -c <"$d/records.log") bytes)"
