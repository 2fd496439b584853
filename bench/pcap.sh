#!/bin/sh
# pcap.sh - fcgitool pcap against tshark's FastCGI dissector on the same
# capture of real traffic, in the same run:
#   - MB/s and records/s of `fcgitool pcap --json` (every record) and of
#     `--requests`, of `tshark -Y fcgi -T json` (every record, like for
#     like) and of `tshark -Y fcgi -T fields -e fcgi.type` (its quickest);
#   - the peak RSS of each;
#   - fcgitool's MB/s against `cat FILE > /dev/null` from the page cache,
#     the ceiling.
# The capture: wrk and curl -> nginx -> php-fpm over TCP on lo, taken
# with tcpdump (small answers, 64 KiB answers, 256 KiB POSTs), then
# copied with other client ports (tests/pcap/rewrite.py) up to
# BENCH_MB (50); copies as they are would be retransmissions.  With
# BENCH_RSS_MB (e.g. 1024), fcgitool alone also reads a capture that
# large, for its peak RSS.  Goals (issue 9): --json at least 50x tshark
# -T json, at least tshark -T fields, at least 0.3 of cat's MB/s, and a
# peak RSS under 64 MiB on 1 GB.  Run it on a quiet machine: the
# numbers are wall-clock times.  Needs nginx, php-fpm, tcpdump, wrk,
# tshark and python3 (root, for tcpdump).  Usage: bench/pcap.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
. "$top/bench/lib.sh"
tool=${FCGITOOL:-$top/build/release/fcgitool/fcgitool}
mb=${BENCH_MB:-50}
rss_mb=${BENCH_RSS_MB:-0}

if [ ! -x "$tool" ]; then
	echo "pcap.sh: $tool is not built; run make bench" >&2
	exit 1
fi
find_php_fpm
for need in nginx tcpdump wrk tshark python3 curl; do
	if ! command -v "$need" >/dev/null 2>&1; then
		echo "pcap.sh: $need is not installed; skipped" >&2
		exit 0
	fi
done
if [ -z "$fpm" ] || [ "$(id -u)" != 0 ]; then
	echo "pcap.sh: needs php-fpm and root (tcpdump); skipped" >&2
	exit 0
fi
[ -x /usr/bin/time ] || {
	echo "pcap.sh: GNU time (/usr/bin/time) is not installed; skipped" >&2
	exit 0
}

bench_tmpdir

# A free TCP port on loopback.
free_port() {
	python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

app=$(free_port)
web=$(free_port)
mkdir -p "$d/www" "$d/nginx/logs" "$d/nginx/tmp"
printf '%s\n' '<?php echo "hello\n";' >"$d/www/small.php"
echo '<?php echo str_repeat("0123456789abcdef", 4096);' >"$d/www/big.php"
# shellcheck disable=SC2016 # PHP, not shell
printf '%s\n' '<?php $b = file_get_contents("php://input"); echo strlen($b), "\n";' \
	>"$d/www/post.php"
head -c 262144 /dev/urandom >"$d/body"

cat >"$d/fpm.conf" <<EOF
[global]
pid = $d/fpm.pid
error_log = $d/fpm.log
daemonize = no
[www]
listen = 127.0.0.1:$app
pm = static
pm.max_children = 8
EOF
env PHP_INI_SCAN_DIR= "$fpm" -F -O -y "$d/fpm.conf" -n -R >"$d/fpm.out" 2>&1 &
pids="$pids $!"
cat >"$d/nginx.conf" <<EOF
daemon off;
master_process off;
worker_processes 1;
user root;
pid $d/nginx.pid;
error_log $d/nginx/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $d/nginx/tmp/body;
	fastcgi_temp_path $d/nginx/tmp/fastcgi;
	proxy_temp_path $d/nginx/tmp/proxy;
	uwsgi_temp_path $d/nginx/tmp/uwsgi;
	scgi_temp_path $d/nginx/tmp/scgi;
	client_max_body_size 16m;
	upstream php { server 127.0.0.1:$app; keepalive 8; }
	server {
		listen 127.0.0.1:$web;
		root $d/www;
		location ~ \.php\$ {
			fastcgi_pass php;
			fastcgi_keep_conn on;
			fastcgi_param SCRIPT_FILENAME \$document_root\$fastcgi_script_name;
			fastcgi_param REQUEST_METHOD \$request_method;
			fastcgi_param QUERY_STRING \$query_string;
			fastcgi_param CONTENT_TYPE \$content_type;
			fastcgi_param CONTENT_LENGTH \$content_length;
			fastcgi_param REQUEST_URI \$request_uri;
		}
	}
}
EOF
nginx -p "$d/nginx/" -c "$d/nginx.conf" >"$d/nginx.out" 2>&1 &
pids="$pids $!"
i=0
until curl -sf -o /dev/null "http://127.0.0.1:$web/small.php"; do
	i=$((i + 1))
	[ $i -lt 100 ] || {
		echo "pcap.sh: nginx or php-fpm did not start" >&2
		exit 1
	}
	sleep 0.1
done

# The base capture.
tcpdump -i lo -w "$d/base.pcap" --immediate-mode -B 131072 -U \
	"tcp port $app" >/dev/null 2>"$d/tcpdump.err" &
td=$!
pids="$pids $td"
i=0
until grep -q 'listening on' "$d/tcpdump.err" 2>/dev/null; do
	i=$((i + 1))
	[ $i -lt 100 ] || exit 1
	sleep 0.05
done
wrk -t1 -c4 -d2 "http://127.0.0.1:$web/small.php" >/dev/null
wrk -t1 -c2 -d1 "http://127.0.0.1:$web/big.php" >/dev/null
for _ in 1 2 3 4 5 6 7 8; do
	curl -sS -o /dev/null --data-binary "@$d/body" \
		"http://127.0.0.1:$web/post.php"
done
sleep 0.3
kill -INT "$td"
wait "$td" || true
grep -E 'captured|dropped' "$d/tcpdump.err" | sed 's/^/  tcpdump: /'

# Copies up to the size asked for.
base=$(stat -c %s "$d/base.pcap")
copies=$(((mb * 1048576 + base - 1) / base))
python3 "$top/tests/pcap/rewrite.py" "$d/base.pcap" "$d/cap.pcap" ports "$copies"
size=$(stat -c %s "$d/cap.pcap")
smb=$(echo "$size" | awk '{ printf "%.1f", $1 / 1048576 }')
records=$("$tool" pcap --stats --json "$d/cap.pcap" |
	python3 -c 'import json, sys; print(sum(r["count"] for r in json.load(sys.stdin)["records"]))')
echo "== pcap: $smb MB ($copies copies of $base bytes), $records records"

# run CMD...: "SECONDS RSS_KIB" of CMD, output to /dev/null, the best
# wall-clock time of three.
run() {
	best="" rss=""
	for _ in 1 2 3; do
		/usr/bin/time -f '%e %M' -o "$d/time" "$@" >/dev/null 2>&1 || true
		t=$(cut -d' ' -f1 "$d/time")
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN { exit !(a < b) }'; then
			best=$t
			rss=$(cut -d' ' -f2 "$d/time")
		fi
	done
	echo "$best $rss"
}

# row "SECONDS RSS" LABEL: MB/s, records/s, peak RSS.
row() {
	awk -v t="${1% *}" -v s="$size" -v n="$records" -v r="${1#* }" -v l="$2" \
		'BEGIN { if (t < 0.005) t = 0.005
		printf "  %-34s %8.2f s %9.1f MB/s %11.0f records/s %7.1f MiB\n",
			l, t, s / 1048576 / t, n / t, r / 1024 }'
}

cat "$d/cap.pcap" >/dev/null # into the page cache
r_cat=$(run cat "$d/cap.pcap")
r_json=$(run "$tool" pcap --json "$d/cap.pcap")
r_requests=$(run "$tool" pcap --requests "$d/cap.pcap")
r_tjson=$(run tshark -r "$d/cap.pcap" -d "tcp.port==$app,fcgi" -Y fcgi -T json)
r_tfields=$(run tshark -r "$d/cap.pcap" -d "tcp.port==$app,fcgi" -Y fcgi \
	-T fields -e fcgi.type)
row "$r_cat" "cat FILE > /dev/null"
row "$r_json" "fcgitool pcap --json"
row "$r_requests" "fcgitool pcap --requests"
row "$r_tjson" "tshark -Y fcgi -T json"
row "$r_tfields" "tshark -Y fcgi -T fields"
awk -v c="${r_cat% *}" -v j="${r_json% *}" -v q="${r_requests% *}" \
	-v tj="${r_tjson% *}" -v tf="${r_tfields% *}" -v rss="${r_json#* }" 'BEGIN {
	if (c < 0.005) c = 0.005
	printf "  --json vs tshark -T json:   %6.1fx (goal >= 50x)\n", tj / j
	printf "  --json vs tshark -T fields: %6.1fx (goal >= 1x)\n", tf / j
	printf "  --requests vs tshark fields: %5.1fx\n", tf / q
	printf "  --json MB/s vs cat:         %6.2f  (goal >= 0.3)\n", c / j
	printf "  peak RSS --json:            %6.1f MiB\n", rss / 1024 }'

if [ "$rss_mb" -gt 0 ]; then
	copies=$(((rss_mb * 1048576 + base - 1) / base))
	python3 "$top/tests/pcap/rewrite.py" "$d/base.pcap" "$d/big.pcap" \
		ports "$copies"
	rm -f "$d/cap.pcap"
	/usr/bin/time -f '%e %M' -o "$d/time" "$tool" pcap --json \
		"$d/big.pcap" >/dev/null
	awk -v s="$(stat -c %s "$d/big.pcap")" -v t="$(cut -d' ' -f1 "$d/time")" \
		-v r="$(cut -d' ' -f2 "$d/time")" 'BEGIN {
		printf "  %.0f MB, --json: %.1f s, peak RSS %.1f MiB (goal < 64)\n",
			s / 1048576, t, r / 1024 }'
fi
