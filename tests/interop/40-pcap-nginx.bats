#!/usr/bin/env bats
# 40-pcap-nginx.bats - fcgitool pcap on captures of real traffic that the
# tests take themselves: curl -> nginx -> php-fpm over TCP on lo, IPv4
# and IPv6, with a keepalive pool and with a connection per request,
# captured with tcpdump.  Each scenario has a large POST, a large answer,
# STDERR, a 404 and a worker that dies (nginx's 502).  The requests must
# be the ones curl made, the records those tshark's FastCGI dissector
# finds, and the records the same whatever the order of the packets.

load ../cli/test_helper
load peers
load ../pcap/capture
load ../pcap/compare

setup() {
	need nginx "the traffic is nginx's"
	need jq "the output is read with jq"
	peers_init
	capture_setup
	CAP=$PEER_DIR/cap.pcap
	head -c 1048576 /dev/urandom >"$PEER_DIR/body"
}

teardown() {
	stop_peers
}

# The scenario: curl's statuses, one a line.
scenario() {
	local u=$URL
	curl -sS -o /dev/null -w '%{http_code}\n' "$u/get.php?who=a"
	curl -sS -o /dev/null -w '%{http_code}\n' --data-binary "@$PEER_DIR/body" \
		-H 'Content-Type: application/octet-stream' "$u/post.php"
	curl -sS -o "$PEER_DIR/big" -w '%{http_code}\n' "$u/big.php?kb=2048"
	curl -sS -o /dev/null -w '%{http_code}\n' "$u/err.php"
	curl -sS -o /dev/null -w '%{http_code}\n' "$u/missing.php"
	curl -sS -o /dev/null -w '%{http_code}\n' "$u/die.php"
}

# capture v4|v6 keep|close: the scenario, captured into $CAP.
capture() {
	start_stack "$1" "$2"
	start_tcpdump "$CAP" tcp port "$APP_PORT"
	run -0 scenario
	assert_output "$(printf '200\n200\n200\n200\n404\n502')"
	stop_tcpdump
}

# What pcap --requests --json says of each request, one a line.
requests() {
	"$FCGITOOL" pcap --requests --json "$@" "$CAP" | jq -r \
		'"\(.script | split("/") | last) \(.status) \(.stdinBytes) \(.stdoutBytes > 2097152) \(.stderrLines) \(.ended) \(.findings | join(","))"'
}

check_requests() {
	run -0 requests "$@"
	assert_line --index 0 "get.php 200 0 false 0 true "
	assert_line --index 1 "post.php 200 1048576 false 0 true "
	assert_line --index 2 "big.php 200 0 true 0 true "
	assert_line --index 3 "err.php 200 0 false 1 true "
	assert_line --index 4 "missing.php 404 0 false 1 true "
	assert_line --index 5 "die.php null 0 false 0 false reset,eof-mid-request"
}

# The records of $CAP and of variants of it: as tshark sees them, and
# the same whatever the order, copies and link type of the packets.
check_records() {
	local want v
	need python3 "variants are made with rewrite.py"
	want=$(records_ours "$CAP")
	[ "$(echo "$want" | wc -l)" -ge 2 ]
	if command -v tshark >/dev/null 2>&1; then
		assert_equal "$want" "$(records_tshark "$CAP" "$APP_PORT")"
	fi
	# (Segments of one large transfer swapped: reordering across a whole
	# 1 MB body would exceed the window that bytes wait in.)
	for v in "swap 1" "swap 3 dup 2" "overlap 2 link sll2" \
		"frag 1000 link vlan"; do
		# shellcheck disable=SC2086
		python3 "$TOP/tests/pcap/rewrite.py" "$CAP" "$PEER_DIR/v.pcap" $v
		assert_equal "$(records_ours "$PEER_DIR/v.pcap")" "$want"
		if command -v tshark >/dev/null 2>&1; then
			assert_equal "$want" \
				"$(records_tshark "$PEER_DIR/v.pcap" "$APP_PORT")"
		fi
	done
	# Segments lost: gaps and resyncs, never a crash or a made-up record.
	python3 "$TOP/tests/pcap/rewrite.py" "$CAP" "$PEER_DIR/v.pcap" drop 7
	run -0 "$FCGITOOL" pcap --quiet "$PEER_DIR/v.pcap"
	assert_output --partial "** gap "
}

@test "nginx keepalive pool to php-fpm over IPv4" {
	capture v4 keep
	check_requests
	check_records
	# One connection carried them, but for the retried 502.
	run -0 "$FCGITOOL" pcap --stats "$CAP"
	assert_line "requests  7 on 2 connections, 2 unfinished, 2 failed"
	run -1 "$FCGITOOL" pcap --errors "$CAP"
	assert_equal "${#lines[@]}" 2
}

@test "nginx to php-fpm over IPv6, a connection per request" {
	capture v6 close
	check_requests
	check_records
	run -0 "$FCGITOOL" pcap --stats "$CAP"
	assert_line "requests  6 on 6 connections, 1 unfinished, 1 failed"
}

@test "the large answer extracted is what curl got" {
	capture v4 close
	mkdir "$PEER_DIR/out"
	run -0 "$FCGITOOL" pcap --follow c3 --extract "$PEER_DIR/out" "$CAP"
	cmp "$PEER_DIR/out/c3-1.body" "$PEER_DIR/big"
	run -0 "$FCGITOOL" pcap --follow c2 --extract "$PEER_DIR/out" "$CAP"
	cmp "$PEER_DIR/out/c2-1.stdin" "$PEER_DIR/body"
}

@test "live on lo and on any, the same requests as the file" {
	local out=$PEER_DIR/live.out pid
	[ "$(id -u)" = 0 ] || skip "live capture needs root"
	start_stack v4 keep
	for iface in lo any; do
		"$FCGITOOL" pcap --requests -i "$iface" tcp port "$APP_PORT" \
			>"$out" 2>"$PEER_DIR/live.err" &
		pid=$!
		track "$pid"
		# Ready once a request shows (live output is flushed).
		for _ in $(seq 1 50); do
			curl -sS -o /dev/null "$URL/get.php?who=warm"
			grep -q 'who=warm' "$out" && break
			sleep 0.2
		done
		grep -q 'who=warm' "$out" || fail "$iface: nothing captured"
		run -0 scenario
		sleep 0.5
		kill -INT "$pid"
		wait "$pid" || fail "exit status $?: $(cat "$PEER_DIR/live.err")"
		run -0 sed -n '/who=warm/,$p' "$out"
		run -0 grep -v who=warm <<<"$output"
		run -0 cut -d' ' -f5,6 <<<"$output"
		assert_line --index 0 "GET $PEER_WWW/get.php"
		assert_line --index 1 "POST $PEER_WWW/post.php"
		assert_line --index 4 "GET $PEER_WWW/missing.php" || fail "$iface: $(cat "$out")"
	done
}
