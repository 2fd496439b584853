#!/usr/bin/env bats
# 30-proxy-tshark.bats - a capture written by fcgitool proxy --pcap is read
# by a real, independent reader: tshark reassembles each connection and
# its FastCGI dissector finds every record, in order, with the bytes the
# proxy forwarded.

load ../cli/test_helper
load serve

setup() {
	need tshark "the capture is checked with Wireshark's reader"
	CAP=$BATS_TEST_TMPDIR/c.pcapng
}

teardown() {
	kill_tracked
}

# tshark, without its warning about running as root.
ts() {
	tshark "$@" 2>/dev/null
}

@test "tshark reads --pcap: one TCP stream per connection, every record" {
	start_serve --fn builtin "$BATS_TEST_TMPDIR/app.sock"
	"$FCGITOOL" proxy --quiet --pcap "$CAP" \
		--listen "$BATS_TEST_TMPDIR/p.sock" --upstream "$SERVE_ADDR" \
		2>"$BATS_TEST_TMPDIR/proxy.err" 3>&- &
	local pp=$!
	track "$pp"
	wait_for "unix:$BATS_TEST_TMPDIR/p.sock"

	run -0 "$FCGITOOL" request "$BATS_TEST_TMPDIR/p.sock" '/hello?name=cap'
	assert_output "Hello, cap!"
	run -0 "$FCGITOOL" request -d 'twelve bytes' \
		"$BATS_TEST_TMPDIR/p.sock" /echo
	kill -TERM "$pp"
	wait "$pp" || true

	# Two conversations, each from the web server to port 9000.
	run -0 ts -r "$CAP" -q -z conv,tcp
	assert_output --partial "10.0.0.2:1024              <-> 10.0.0.1:9000"
	assert_output --partial "10.0.0.2:1025              <-> 10.0.0.1:9000"

	# Every record of both requests, per stream and direction, in order:
	# BEGIN, PARAMS, empty PARAMS, (STDIN,) empty STDIN; STDOUT, empty
	# STDOUT, END_REQUEST.
	# (A record may come in a segment of its own, so join the types per
	# stream and direction.)
	ts -r "$CAP" -d tcp.port==9000,fcgi -Y fcgi \
		-T fields -e tcp.stream -e tcp.dstport -e fcgi.type |
		awk -F'\t' '{ k = $1 " " $2
			if (k in t) t[k] = t[k] "," $3; else { o[n++] = k; t[k] = $3 } }
			END { for (i = 0; i < n; i++) print o[i] " " t[o[i]] }' \
		>"$BATS_TEST_TMPDIR/types"
	run -0 cat "$BATS_TEST_TMPDIR/types"
	assert_line --index 0 "0 9000 1,4,4,5"
	assert_line --index 1 "0 1024 6,6,3"
	assert_line --index 2 "1 9000 1,4,4,5,5"
	assert_line --index 3 "1 1025 6,6,3"
	[ "${#lines[@]}" -eq 4 ]

	# The request body arrived as forwarded.
	run -0 ts -r "$CAP" -d tcp.port==9000,fcgi -Y 'fcgi.type == 5' \
		-T fields -e fcgi.content.length
	assert_output --partial "12"

	# No malformed packets, bad checksums or TCP analysis warnings.
	run -0 ts -r "$CAP" -o tcp.check_checksum:TRUE -o ip.check_checksum:TRUE \
		-Y '_ws.malformed || _ws.expert.severity >= warning'
	assert_output ""
}
