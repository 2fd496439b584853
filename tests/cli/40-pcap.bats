#!/usr/bin/env bats
# 40-pcap.bats - fcgitool pcap: options, inputs (files, standard input,
# gzip, live), errors on bad or damaged captures, --follow --extract, the
# JSON output, agreement with tshark's FastCGI dissector, and memory that
# does not grow with the capture.  The golden outputs are tests/pcap/.

load test_helper
load ../interop/serve
load ../pcap/compare

PCAPS=$TOP/tests/pcap
KEEP=$PCAPS/nginx-keep-v4.pcap
V6=$PCAPS/nginx-close-v6.pcap

teardown() {
	kill_tracked
}

rewrite() { # IN OUT OP ARG...
	need python3 "captures are rewritten with tests/pcap/rewrite.py"
	python3 "$PCAPS/rewrite.py" "$@"
}

@test "pcap: usage errors exit 2 and say why" {
	run -2 --separate-stderr "$FCGITOOL" pcap
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool pcap: a capture file or -i interface is required"
	run -2 --separate-stderr "$FCGITOOL" pcap --requests --stats "$KEEP"
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool pcap: --errors, --follow, --quiet, --requests and --stats exclude each other"
	run -2 --separate-stderr "$FCGITOOL" pcap --extract /tmp "$KEEP"
	assert_equal "$(echo "$stderr" | head -1)" "fcgitool pcap: --extract needs --follow"
	run -2 --separate-stderr "$FCGITOOL" pcap --follow x1 "$KEEP"
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool pcap: --follow: 'x1' is not a connection like c3 or c3:1"
	run -2 --separate-stderr "$FCGITOOL" pcap --port 70000 "$KEEP"
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool pcap: --port: '70000' is not a port from 1 to 65535"
	run -2 --separate-stderr "$FCGITOOL" pcap -c 0 "$KEEP"
	assert_equal "$(echo "$stderr" | head -1)" "fcgitool pcap: -c: '0' is not a positive number"
	run -2 --separate-stderr "$FCGITOOL" pcap --only NOPE "$KEEP"
	assert_equal "$(echo "$stderr" | head -1)" "fcgitool pcap: --only: 'NOPE' is not a record type"
	run -2 --separate-stderr "$FCGITOOL" pcap --idle -1 "$KEEP"
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool pcap: --idle: '-1' is not a positive number of seconds"
}

@test "pcap: files that are not captures are named errors (exit 3)" {
	run -3 --separate-stderr "$FCGITOOL" pcap "$BATS_TEST_TMPDIR/nope.pcap"
	assert_equal "$stderr" \
		"fcgitool pcap: cannot open '$BATS_TEST_TMPDIR/nope.pcap': No such file or directory"
	: >"$BATS_TEST_TMPDIR/empty"
	run -3 --separate-stderr "$FCGITOOL" pcap "$BATS_TEST_TMPDIR/empty"
	assert_equal "$stderr" "fcgitool pcap: '$BATS_TEST_TMPDIR/empty': empty file, not a capture"
	echo 'hello, world' >"$BATS_TEST_TMPDIR/text"
	run -3 --separate-stderr "$FCGITOOL" pcap "$BATS_TEST_TMPDIR/text"
	assert_equal "$stderr" "fcgitool pcap: '$BATS_TEST_TMPDIR/text': unknown file format"
	[ -z "$output" ]
	run -3 --separate-stderr "$FCGITOOL" pcap "$KEEP" 'tcp port nonsense'
	[[ "$stderr" == "fcgitool pcap: bad filter 'tcp port nonsense': "* ]]
}

@test "pcap: a link type it does not read is named" {
	# A classic pcap header with link type 105 (802.11) and no packets.
	printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\0\0\0\0\0\0\0\0\xff\xff\0\0\x69\0\0\0' \
		>"$BATS_TEST_TMPDIR/wifi.pcap"
	run -3 --separate-stderr "$FCGITOOL" pcap "$BATS_TEST_TMPDIR/wifi.pcap"
	assert_equal "$stderr" \
		"fcgitool pcap: '$BATS_TEST_TMPDIR/wifi.pcap': link type 105 is not supported (Ethernet, Linux cooked, BSD loopback and raw IP are)"
}

@test "pcap: a truncated capture shows what came, then names the packet" {
	head -c 3000 "$KEEP" >"$BATS_TEST_TMPDIR/cut.pcap"
	run -3 --separate-stderr "$FCGITOOL" pcap --requests "$BATS_TEST_TMPDIR/cut.pcap"
	assert_equal "$stderr" \
		"fcgitool pcap: '$BATS_TEST_TMPDIR/cut.pcap': packet 15 at offset 2940: truncated dump file; tried to read 218 captured bytes, only got 44"
	assert_equal "${#lines[@]}" 4
	assert_line --index 3 --partial "err.php uri=/err.php status=- "
	# A cut inside a record's header, too.
	head -c 2950 "$KEEP" >"$BATS_TEST_TMPDIR/cut2.pcap"
	run -3 --separate-stderr "$FCGITOOL" pcap --requests "$BATS_TEST_TMPDIR/cut2.pcap"
	[[ "$stderr" == *"packet 15 at offset 2940: truncated dump file; tried to read 16 header bytes, only got 10" ]]
}

@test "pcap: standard input and gzip give what the file gives" {
	local want
	want=$("$FCGITOOL" pcap --requests "$KEEP")
	[ -n "$want" ]
	run -0 "$FCGITOOL" pcap --requests - <"$KEEP"
	assert_equal "$output" "$want"
	gzip -c "$KEEP" >"$BATS_TEST_TMPDIR/k.pcap.gz"
	run -0 "$FCGITOOL" pcap --requests "$BATS_TEST_TMPDIR/k.pcap.gz"
	assert_equal "$output" "$want"
	run -0 "$FCGITOOL" pcap --requests - <"$BATS_TEST_TMPDIR/k.pcap.gz"
	assert_equal "$output" "$want"
	# -c stops early; gzip, whose pipe is then closed, is no error.
	run -0 "$FCGITOOL" pcap --requests -c 6 "$BATS_TEST_TMPDIR/k.pcap.gz"
	assert_equal "${#lines[@]}" 1
	# A damaged gzip file is an error, after what it gave.
	head -c $(($(stat -c %s "$BATS_TEST_TMPDIR/k.pcap.gz") / 2)) \
		"$BATS_TEST_TMPDIR/k.pcap.gz" >"$BATS_TEST_TMPDIR/bad.gz"
	run -3 --separate-stderr "$FCGITOOL" pcap --requests "$BATS_TEST_TMPDIR/bad.gz"
	[[ "$stderr" == *"truncated dump file"* ]] || fail "$stderr"
	[ "${#lines[@]}" -ge 1 ]
}

@test "pcap: --follow --extract writes each request's parts" {
	local d=$BATS_TEST_TMPDIR/out
	mkdir "$d"
	run -0 "$FCGITOOL" pcap --follow c1 --extract "$d" "$KEEP"
	assert_line "== c1 request 3 id=1 (packet 11)"
	assert_line "status=200 app-status=0 REQUEST_COMPLETE stdin=14 stdout=136 stderr=0"
	assert_equal "$(cat "$d/c1-3.stdin")" "name=value&x=1"
	# The body is the response after its header block: what curl got.
	assert_equal "$(cat "$d/c1-3.body")" \
		"14 $(printf 'name=value&x=1' | sha256sum | cut -d' ' -f1)"
	grep -q '^Content-type: text/plain;charset=UTF-8' "$d/c1-3.stdout"
	grep -qx 'REQUEST_METHOD=POST' "$d/c1-3.params"
	assert_equal "$(cat "$d/c1-4.stderr")" "PHP message: something went wrong"
	assert_equal "$(cat "$d/c1-5.stderr")" "Primary script unknown"
	[ ! -e "$d/c1-6.stdout" ]
	# A directory that cannot be written is an error.
	run -3 --separate-stderr "$FCGITOOL" pcap --follow c1 --extract "$d/none" "$KEEP"
	[[ "$stderr" == "fcgitool pcap: --extract: cannot create '$d/none/c1-1.params': No such file or directory" ]]
}

@test "pcap: every --json line is one object with a kind; findings name their packet" {
	need jq "the output is checked with jq"
	local flags
	for flags in "" "--requests" "--stats" "--follow c1" "--quiet"; do
		# shellcheck disable=SC2086
		"$FCGITOOL" pcap --json $flags "$KEEP" >"$BATS_TEST_TMPDIR/out"
		run -0 jq -e -s 'length > 0 and all(.[]; type == "object" and (.kind | type) == "string")' \
			"$BATS_TEST_TMPDIR/out"
	done
	run -0 jq -r 'select(.kind == "violation") | "\(.code) \(.packet)"' <(
		"$FCGITOOL" pcap --json --quiet "$KEEP")
	assert_line "eof-mid-request 21"
	run -0 jq -r 'select(.kind == "request") | "\(.status) \(.ended) \(.findings | join(","))"' <(
		"$FCGITOOL" pcap --json --requests "$KEEP")
	assert_line --index 4 "404 true "
	assert_line --index 5 "null false reset,eof-mid-request"
	# Findings of severity note only with -v.
	run -0 jq -r 'select(.kind == "request") | .findings | join(",")' <(
		"$FCGITOOL" pcap --json --requests -v "$KEEP")
	assert_line --index 4 "end-open-streams"
}

@test "pcap: the records are those tshark's FastCGI dissector finds" {
	need tshark "tshark's FastCGI dissector is the reference"
	need jq "the output is read with jq"
	local v6port
	assert_equal "$(records_ours "$KEEP")" "$(records_tshark "$KEEP" 34248)"
	v6port=$("$FCGITOOL" pcap --json "$V6" | jq -r 'select(.what == "open") | .detail' |
		head -1 | sed 's/.*:\([0-9]*\)$/\1/')
	assert_equal "$(records_ours "$V6")" "$(records_tshark "$V6" "$v6port")"
	# And on variants tshark reads too: copies, segments out of order,
	# overlapping ones.
	for v in "link vlan dup 2" "swap 1" "reorder 2 overlap 3"; do
		# shellcheck disable=SC2086
		rewrite "$KEEP" "$BATS_TEST_TMPDIR/v.pcap" $v
		assert_equal "$(records_ours "$BATS_TEST_TMPDIR/v.pcap")" \
			"$(records_tshark "$BATS_TEST_TMPDIR/v.pcap" 34248)"
	done
}

@test "pcap: reads what proxy --pcap writes of a unix socket" {
	local cap=$BATS_TEST_TMPDIR/p.pcapng
	start_serve --fn builtin "$BATS_TEST_TMPDIR/app.sock"
	"$FCGITOOL" proxy --quiet --pcap "$cap" --listen "$BATS_TEST_TMPDIR/p.sock" \
		--upstream "$SERVE_ADDR" 2>"$BATS_TEST_TMPDIR/proxy.err" 3>&- &
	local pp=$!
	track "$pp"
	wait_for "unix:$BATS_TEST_TMPDIR/p.sock"
	run -0 "$FCGITOOL" request "$BATS_TEST_TMPDIR/p.sock" '/hello?name=cap'
	run -0 "$FCGITOOL" request -d 'twelve bytes' "$BATS_TEST_TMPDIR/p.sock" /echo
	run -0 "$FCGITOOL" request "$BATS_TEST_TMPDIR/p.sock" '/status?code=503'
	kill -TERM "$pp"
	wait "$pp" || true
	run -1 "$FCGITOOL" pcap --errors "$cap"
	assert_equal "${#lines[@]}" 1
	assert_output --regexp '^[0-9.]+ c3 request id=1 GET .*/status uri=/status\?code=503 status=503 '
	run -0 "$FCGITOOL" pcap --requests "$cap"
	assert_line --index 1 --regexp ' c2 request id=1 POST .*/echo uri=/echo status=200 stdin=12 '
}

@test "pcap: live on lo, -c stops it, and SIGINT ends it cleanly" {
	[ "$(id -u)" = 0 ] || skip "live capture needs root"
	local out=$BATS_TEST_TMPDIR/live.out port
	start_serve --fn builtin 127.0.0.1:0
	port=${SERVE_ADDR##*:}
	"$FCGITOOL" pcap --requests -i lo tcp port "$port" >"$out" \
		2>"$BATS_TEST_TMPDIR/live.err" &
	local pid=$!
	track "$pid"
	# Ready once libpcap has the interface open: wait for its socket.
	for _ in $(seq 1 100); do
		[ "$(find "/proc/$pid/fd" -lname 'socket:*' 2>/dev/null | wc -l)" -gt 0 ] && break
		sleep 0.05
	done
	sleep 0.2
	run -0 "$FCGITOOL" request "127.0.0.1:$port" '/hello?name=live'
	run -0 "$FCGITOOL" request "127.0.0.1:$port" '/status?code=502'
	sleep 0.3
	kill -INT "$pid"
	wait "$pid" || fail "exit status $? after SIGINT: $(cat "$BATS_TEST_TMPDIR/live.err")"
	run -0 cat "$out"
	assert_line --index 0 --regexp ' c1 request id=1 GET .*/hello uri=/hello\?name=live status=200 '
	assert_line --index 1 --regexp ' c2 request id=1 GET .*/status uri=/status\?code=502 status=502 '
	# -c: the handshake, request, answer and ends of one connection.
	"$FCGITOOL" pcap --requests -c 3 -i lo tcp port "$port" >"$out" 2>&1 &
	pid=$!
	track "$pid"
	sleep 0.5
	run -0 "$FCGITOOL" request "127.0.0.1:$port" /hello
	wait "$pid" || fail "exit status $? with -c"
}

@test "pcap: memory stays flat whatever the capture's length" {
	need python3 "the large capture is made with rewrite.py"
	[ -x /usr/bin/time ] || skip "GNU time measures the peak RSS"
	local one many
	rewrite "$KEEP" "$BATS_TEST_TMPDIR/one.pcap" ports 20
	rewrite "$KEEP" "$BATS_TEST_TMPDIR/many.pcap" ports 400
	# The sanitizers keep freed memory for a while; not here.
	export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}quarantine_size_mb=0:detect_leaks=1"
	/usr/bin/time -f %M -o "$BATS_TEST_TMPDIR/one.rss" \
		"$FCGITOOL" pcap --requests "$BATS_TEST_TMPDIR/one.pcap" >/dev/null
	/usr/bin/time -f %M -o "$BATS_TEST_TMPDIR/many.rss" \
		"$FCGITOOL" pcap --requests "$BATS_TEST_TMPDIR/many.pcap" >/dev/null
	one=$(cat "$BATS_TEST_TMPDIR/one.rss")
	many=$(cat "$BATS_TEST_TMPDIR/many.rss")
	echo "peak RSS: $one KiB for 20 copies, $many KiB for 400" >&3
	# 20 times the traffic, a few MiB more at most.
	[ "$many" -lt $((one + 4096)) ] || fail "peak RSS grew from $one to $many KiB"
	run -0 "$FCGITOOL" pcap --stats "$BATS_TEST_TMPDIR/many.pcap"
	assert_line "requests  2800 on 800 connections, 800 unfinished, 800 failed"
}

@test "pcap: a progress line on a terminal, none on a pipe" {
	need script "a terminal is made with script(1)"
	rewrite "$KEEP" "$BATS_TEST_TMPDIR/long.pcap" ports 3000
	# The line comes after half a second of reading; the reader of its
	# 4 MB of output waits a second first, so that the run lasts that
	# long however quick the decoding is.
	script -qc "'$FCGITOOL' pcap --requests '$BATS_TEST_TMPDIR/long.pcap' | { sleep 1; cat >/dev/null; }" \
		/dev/null >"$BATS_TEST_TMPDIR/tty"
	grep -q $'\rfcgitool pcap: [0-9]*% [0-9]* MB, [0-9]* packets, [0-9]* connections\e\[K' \
		"$BATS_TEST_TMPDIR/tty" || fail "no progress line: $(od -c "$BATS_TEST_TMPDIR/tty" | head)"
	# It is wiped at the end.
	[ "$(tail -c 4 "$BATS_TEST_TMPDIR/tty" | od -An -c | tr -d ' ')" = '\r033[K' ]
	run -0 --separate-stderr "$FCGITOOL" pcap --requests "$BATS_TEST_TMPDIR/long.pcap"
	[ -z "$stderr" ]
}
