#!/bin/sh
# request.sh - what fcgitool request costs against cgi-fcgi, the tool it
# replaces, talking to the same php-fpm pool (4 static workers, a unix
# socket) in the same run, measured with hyperfine:
#   1. one request, whole process: fcgitool request vs cgi-fcgi;
#   2. 1000 requests: fcgitool request -n 1000 over one kept connection
#      vs 1000 runs of cgi-fcgi (a new process and connection each).
# Reported as ratios cgi-fcgi / fcgitool (above 1: fcgitool is faster).
# Needs php-fpm, cgi-fcgi and hyperfine; about 30 seconds.
# Usage: bench/request.sh   (BENCH_RUNS: runs of the single request)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
tool=${FCGITOOL:-$top/build/release/fcgitool/fcgitool}
runs=${BENCH_RUNS:-300}

if [ ! -x "$tool" ]; then
	echo "request.sh: $tool is not built; run make bench" >&2
	exit 1
fi
for need in hyperfine cgi-fcgi; do
	if ! command -v "$need" >/dev/null 2>&1; then
		echo "request.sh: $need is not installed; skipped" >&2
		exit 0
	fi
done
find_php_fpm
if [ -z "$fpm" ]; then
	echo "request.sh: php-fpm is not installed; skipped" >&2
	exit 0
fi

bench_tmpdir

mkdir "$d/www"
cp "$top/tests/fixtures/request/hello.php" "$d/www/"
cat >"$d/fpm.conf" <<EOF
[global]
pid = $d/fpm.pid
error_log = $d/fpm.log
daemonize = no

[www]
listen = $d/php.sock
pm = static
pm.max_children = 4
EOF
env PHP_INI_SCAN_DIR= "$fpm" -F -O -y "$d/fpm.conf" -n -R >"$d/fpm.out" 2>&1 &
pids="$pids $!"
if ! wait_sock "$d/php.sock"; then
	echo "request.sh: php-fpm did not start:" >&2
	cat "$d/fpm.out" >&2
	exit 1
fi

# cgi-fcgi takes its params from the environment; fcgitool fills in its
# own.  Both ask for the same script and get the same body.
SCRIPT_FILENAME=$d/www/hello.php
REQUEST_METHOD=GET
QUERY_STRING=name=bench
export SCRIPT_FILENAME REQUEST_METHOD QUERY_STRING
sock=$d/php.sock
one_fcgitool="$tool request --root $d/www $sock /hello.php?name=bench"
one_cgi="cgi-fcgi -bind -connect $sock"
a=$($one_fcgitool)
b=$($one_cgi | tr -d '\r' | sed '1,/^$/d')
if [ "$a" != "$b" ]; then
	echo "request.sh: the two tools got different bodies: '$a' and '$b'" >&2
	exit 1
fi

# hyperfine's CSV: command,mean,stddev,median,user,system,min,max (s).
col() { # csv-file line column
	awk -F, -v n="$2" -v c="$3" 'NR == n + 1 { printf "%.6f", $c }' "$1"
}
ratio() { # a b: a / b
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'
}
ms() {
	awk -v s="$1" 'BEGIN { printf "%.3f ms", s * 1000 }'
}

echo "== request: fcgitool request vs cgi-fcgi, php-fpm hello.php (unix socket)"
hyperfine -N -w 20 -r "$runs" --style none \
	--export-csv "$d/one.csv" "$one_cgi" "$one_fcgitool" >/dev/null 2>&1
# Medians: a single run is short enough for a busy machine to skew means.
c1=$(col "$d/one.csv" 1 4)
f1=$(col "$d/one.csv" 2 4)
echo "   one request, whole process (median of $runs runs): cgi-fcgi $(ms "$c1")," \
	"fcgitool $(ms "$f1"); cgi-fcgi/fcgitool $(ratio "$c1" "$f1")"

loop="i=0; while [ \$i -lt 1000 ]; do $one_cgi >/dev/null; i=\$((i + 1)); done"
hyperfine -w 1 -r 3 --style none --export-csv "$d/many.csv" \
	"$loop" "$tool request -n 1000 -o /dev/null --root $d/www $sock /hello.php?name=bench" \
	>/dev/null 2>&1
c2=$(col "$d/many.csv" 1 2)
f2=$(col "$d/many.csv" 2 2)
echo "   1000 requests (mean of 3 runs): 1000 x cgi-fcgi $(ms "$c2"), fcgitool -n 1000 $(ms "$f2");" \
	"cgi-fcgi/fcgitool $(ratio "$c2" "$f2")"
