#!/bin/sh
# serve.sh - what fcgitool serve's answer costs: requests per second and
# CPU time per request of `serve --fn builtin` hello, in both isolation
# modes (a pool of 4 pre-forked workers, and a fork per request), against
# a libfcgi hello program under spawn-fcgi and php-fpm's hello.php (4
# static workers), all driven by the same load tool
# (tests/helpers/fcgiload, FastCGI straight over a unix socket) at the
# same concurrency, in the same run.  Two patterns: a new connection per
# request (nginx's default) and kept connections (nginx with
# fastcgi_keep_conn).  Reported as ratios of serve to each peer.
# Needs cc, libfcgi-dev and spawn-fcgi, and php-fpm for its row; about
# 40 seconds.  Usage: bench/serve.sh   (BENCH_SECS, BENCH_CONNS)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
tool=${FCGITOOL:-$top/build/release/fcgitool/fcgitool}
load=$top/build/release/tests/helpers/fcgiload
secs=${BENCH_SECS:-5}
conns=${BENCH_CONNS:-16}

for f in "$tool" "$load"; do
	if [ ! -x "$f" ]; then
		echo "serve.sh: $f is not built; run make bench" >&2
		exit 1
	fi
done
for need in cc spawn-fcgi; do
	if ! command -v "$need" >/dev/null 2>&1; then
		echo "serve.sh: $need is not installed; skipped" >&2
		exit 0
	fi
done
if [ ! -f /usr/include/fcgi_stdio.h ]; then
	echo "serve.sh: libfcgi-dev is not installed; skipped" >&2
	exit 0
fi
find_php_fpm

bench_tmpdir

# CPU seconds * CLK_TCK used so far by a process (with its reaped
# children) or, for php-fpm, by the master and its live workers.
tck=$(getconf CLK_TCK)
ticks() { # pid [with-children-alive]
	t=$(awk '{ print $14 + $15 + $16 + $17 }' "/proc/$1/stat")
	if [ "${2:-}" = tree ]; then
		for c in $(ps -o pid= --ppid "$1"); do
			t=$((t + $(awk '{ print $14 + $15 }' "/proc/$c/stat")))
		done
	fi
	echo "$t"
}

# The peers.
mkdir -p "$d/www"
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
spawn-fcgi -n -s "$d/libfcgi.sock" -- "$d/hello" >"$d/spawn.log" 2>&1 &
libfcgi_pid=$!
pids="$pids $libfcgi_pid"

"$tool" serve --fn builtin --workers 4 "unix:$d/serve.sock" \
	2>"$d/serve.err" &
serve_pid=$!
pids="$pids $serve_pid"
"$tool" serve --fn builtin --isolate request "unix:$d/serve-req.sock" \
	2>"$d/serve-req.err" &
req_pid=$!
pids="$pids $req_pid"

fpm_pid=""
if [ -n "$fpm" ]; then
	printf '%s\n' '<?php header("Content-Type: text/plain"); echo "Hello, world!\n";' \
		>"$d/www/hello.php"
	cat >"$d/fpm.conf" <<EOF
[global]
pid = $d/fpm.pid
error_log = $d/fpm.log
daemonize = no
[www]
listen = $d/php.sock
listen.mode = 0600
pm = static
pm.max_children = 4
EOF
	env PHP_INI_SCAN_DIR= "$fpm" -F -O -y "$d/fpm.conf" -n -R \
		>"$d/fpm.out" 2>&1 &
	fpm_pid=$!
	pids="$pids $fpm_pid"
fi
wait_sock "$d/libfcgi.sock"
wait_sock "$d/serve.sock"
wait_sock "$d/serve-req.sock"
[ -z "$fpm_pid" ] || wait_sock "$d/php.sock"
sleep 0.3

# run NAME PID TREE SOCK SCRIPT KEEP: one timed load; prints a table row
# and sets RPS and CPU (microseconds per request).
run() {
	name=$1 pid=$2 tree=$3 sock=$4 script=$5 keep=$6
	opts="-q -W -t $((secs + 30)) -d $secs -c $conns -e Hello"
	[ "$keep" = yes ] && opts="$opts -k"
	# A short warm-up, then the measured run.
	# shellcheck disable=SC2086
	"$load" $opts -d 1 "unix:$sock" "$script" >/dev/null || true
	t0=$(ticks "$pid" "$tree")
	# shellcheck disable=SC2086
	out=$("$load" $opts "unix:$sock" "$script") || {
		echo "serve.sh: load against $name failed: $out" >&2
		exit 1
	}
	t1=$(ticks "$pid" "$tree")
	n=$(echo "$out" | sed -n 's/.*ok=\([0-9]*\).*/\1/p')
	RPS=$(echo "$out" | sed -n 's/.*rps=\([0-9.]*\).*/\1/p')
	CPU=$(awk -v d=$((t1 - t0)) -v n="$n" -v hz="$tck" \
		'BEGIN { printf "%.1f", n ? d / hz / n * 1e6 : 0 }')
	printf '  %-10s %-26s %10s %14s\n' "$7" "$name" "$RPS" "$CPU"
}

ratio() { # a b
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }'
}

echo "== serve: fcgitool serve --fn builtin vs libfcgi (spawn-fcgi) and php-fpm, hello"
echo "   fcgiload over unix sockets, $conns connections, ${secs} s per run;"
echo "   serve pool: 4 pre-forked workers (--isolate pool, the default);"
echo "   serve request: a fork per request (--isolate request);"
echo "   libfcgi is one process, php-fpm has 4 static workers;"
echo "   CPU is the server side's, workers and children included"
printf '  %-10s %-26s %10s %14s\n' pattern server "req/s" "CPU us/req"
for keep in no yes; do
	pat=new-conn
	[ "$keep" = yes ] && pat=kept-conn
	run "fcgitool serve (pool)" "$serve_pid" tree "$d/serve.sock" \
		/www/hello "$keep" "$pat"
	p_rps=$RPS p_cpu=$CPU
	run "fcgitool serve (request)" "$req_pid" self "$d/serve-req.sock" \
		/www/hello "$keep" "$pat"
	r_rps=$RPS r_cpu=$CPU
	run "libfcgi hello" "$libfcgi_pid" self "$d/libfcgi.sock" \
		/www/hello "$keep" "$pat"
	l_rps=$RPS l_cpu=$CPU
	if [ -n "$fpm_pid" ]; then
		run "php-fpm hello.php" "$fpm_pid" tree "$d/php.sock" \
			"$d/www/hello.php" "$keep" "$pat"
		f_rps=$RPS f_cpu=$CPU
	fi
	for m in pool request; do
		if [ $m = pool ]; then
			s_rps=$p_rps s_cpu=$p_cpu
		else
			s_rps=$r_rps s_cpu=$r_cpu
		fi
		line="  $pat, serve $m: /libfcgi req/s $(ratio "$s_rps" "$l_rps"), CPU/req $(ratio "$s_cpu" "$l_cpu")"
		if [ -n "$fpm_pid" ]; then
			line="$line; /php-fpm req/s $(ratio "$s_rps" "$f_rps"), CPU/req $(ratio "$s_cpu" "$f_cpu")"
		fi
		summary="${summary:-}$line
"
	done
done
echo "ratios (above 1: serve is faster, or uses more CPU per request):"
printf '%s' "$summary"
