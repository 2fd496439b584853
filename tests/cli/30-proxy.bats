#!/usr/bin/env bats
# 30-proxy.bats - fcgitool proxy: options, errors, and the forwarding
# itself between two raw peers (tests/helpers/proxypeer), which check that
# the bytes arrive unchanged and how each side ended.

load test_helper

PEER=$BUILD/tests/helpers/proxypeer

setup() {
	D=$BATS_TEST_TMPDIR
	PX=$D/px.sock
	APP=$D/app.sock
	LOG=$D/log
}

teardown() {
	kill_tracked
}

# start_proxy ARGS...: the proxy in the background (PROXY_PID), waiting
# for its "listen" note in its log (--log FILE, else its stderr); probing
# the address would make a connection of its own.
start_proxy() {
	local a out=$D/proxy.err prev="" i
	for a in "$@"; do
		[ "$prev" = --log ] && out=$a
		prev=$a
	done
	"$FCGITOOL" proxy "$@" 2>"$D/proxy.err" &
	PROXY_PID=$!
	track "$PROXY_PID"
	for i in $(seq 1 100); do
		grep -q 'listen' "$out" 2>/dev/null && return 0
		kill -0 "$PROXY_PID" 2>/dev/null || break
		sleep 0.05
	done
	cat "$D/proxy.err" >&2
	return 1
}

# Stop the proxy with SIGTERM; it must exit 0 (LeakSanitizer makes a leak
# a non-zero exit).
stop_proxy() {
	kill -TERM "$PROXY_PID"
	wait "$PROXY_PID"
}

# start_app [-L ADDR] ARGS...: proxypeer listen on $APP (or ADDR) in the
# background; what it prints goes to $D/app.out.  It says when it is
# ready, so nobody connects just to find out.
start_app() {
	local addr=unix:$APP i
	if [ "$1" = -L ]; then
		addr=$2
		shift 2
	fi
	rm -f "$D/app.ready"
	"$PEER" listen "$addr" -r "$D/app.ready" "$@" >"$D/app.out" &
	APP_PID=$!
	track "$APP_PID"
	for i in $(seq 1 100); do
		[ -e "$D/app.ready" ] && return 0
		sleep 0.05
	done
	return 1
}

wait_app() {
	wait "$APP_PID"
}

sha() {
	sha256sum "$1" | cut -d' ' -f1
}

# ---- usage and errors ----------------------------------------------------

@test "proxy -h prints the usage to stdout" {
	run -0 --separate-stderr "$FCGITOOL" proxy -h
	assert_line --index 0 "usage: fcgitool proxy [-hv] [--json] [--no-redact] [--quiet] [--strict]"
	[ -z "$stderr" ]
}

@test "proxy without --listen is a usage error" {
	run -2 --separate-stderr "$FCGITOOL" proxy --upstream "$APP"
	[ -z "$output" ]
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: --listen is required"
	[[ "$stderr" == *"usage: fcgitool proxy"* ]]
}

@test "proxy without --upstream is a usage error" {
	run -2 --separate-stderr "$FCGITOOL" proxy --listen "$PX"
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: --upstream is required"
}

@test "a malformed address is named with the reason" {
	run -2 --separate-stderr "$FCGITOOL" proxy --listen nohost --upstream "$APP"
	assert_equal "${stderr%%$'\n'*}" \
		"fcgitool proxy: --listen: missing port in 'nohost' (use HOST:PORT, :PORT or a socket path)"
	run -2 --separate-stderr "$FCGITOOL" proxy --listen "$PX" --upstream 1.2.3.4:99999
	assert_equal "${stderr%%$'\n'*}" \
		"fcgitool proxy: --upstream: bad port in '1.2.3.4:99999' (0 to 65535)"
}

@test "bad option values are usage errors" {
	run -2 --separate-stderr "$FCGITOOL" proxy --body-limit 0 --listen "$PX" --upstream "$APP"
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: --body-limit: '0' is not a number from 1 to 65535"
	run -2 --separate-stderr "$FCGITOOL" proxy --body-limit 12x --listen "$PX" --upstream "$APP"
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: --body-limit: '12x' is not a number from 1 to 65535"
	run -2 --separate-stderr "$FCGITOOL" proxy --only PARAMS,FOO --listen "$PX" --upstream "$APP"
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: --only: 'FOO' is not a record type"
	run -2 --separate-stderr "$FCGITOOL" proxy --only '' --listen "$PX" --upstream "$APP"
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: --only: '' is not a record type"
	run -2 --separate-stderr "$FCGITOOL" proxy --timeout-status 99 --listen "$PX" --upstream "$APP"
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: --timeout-status: '99' is not an HTTP status from 100 to 599"
	run -2 --separate-stderr "$FCGITOOL" proxy --upstream-timeout 0 --listen "$PX" --upstream "$APP"
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: --upstream-timeout: '0' is not a positive number of seconds"
	run -2 --separate-stderr "$FCGITOOL" proxy --upstream-timeout -1 --listen "$PX" --upstream "$APP"
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: --upstream-timeout: '-1' is not a positive number of seconds"
}

@test "unknown options, missing arguments and extra words are usage errors" {
	run -2 --separate-stderr "$FCGITOOL" proxy --frobnicate --listen "$PX" --upstream "$APP"
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: unknown option '--frobnicate'"
	run -2 --separate-stderr "$FCGITOOL" proxy --listen "$PX" --upstream "$APP" --log
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: option '--log' needs an argument"
	run -2 --separate-stderr "$FCGITOOL" proxy --listen "$PX" --upstream "$APP" extra
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: unexpected argument 'extra'"
	run -2 --separate-stderr "$FCGITOOL" proxy --quiet --summary --listen "$PX" --upstream "$APP"
	assert_equal "${stderr%%$'\n'*}" "fcgitool proxy: --quiet and --summary exclude each other"
}

@test "a listen socket somebody serves on is an I/O error" {
	start_app
	run -3 --separate-stderr "$FCGITOOL" proxy --listen "$APP" --upstream "$PX"
	assert_equal "$stderr" \
		"fcgitool proxy: '$APP': somebody is listening there: address already in use"
}

@test "an unwritable log or capture is an I/O error" {
	run -3 --separate-stderr "$FCGITOOL" proxy --log "$D/no/such/log" --listen "$PX" --upstream "$APP"
	assert_equal "$stderr" \
		"fcgitool proxy: --log: cannot open '$D/no/such/log': No such file or directory"
	run -3 --separate-stderr "$FCGITOOL" proxy --pcap "$D/no/such.pcapng" --listen "$PX" --upstream "$APP"
	assert_equal "$stderr" \
		"fcgitool proxy: --pcap: cannot open '$D/no/such.pcapng': No such file or directory"
	[ ! -e "$PX" ]
}

# ---- forwarding ------------------------------------------------------------

@test "a request and its answer pass unchanged, and the summary says so" {
	"$PEER" request -p REQUEST_METHOD=POST -p SCRIPT_FILENAME=/srv/www/up.php \
		-b 200000 >"$D/req"
	"$PEER" response -s 201 -b 300000 -e $'one\ntwo\nthree' >"$D/resp"
	local rq rs
	rq=$(stat -c %s "$D/req")
	rs=$(stat -c %s "$D/resp")
	start_app -i "$D/resp" -o "$D/app.got" -a
	start_proxy --summary --log "$LOG" --listen "$PX" --upstream "$APP"
	run -0 "$PEER" connect "unix:$PX" -i "$D/req" -o "$D/web.got"
	assert_output "eof $(stat -c %s "$D/resp")"
	wait_app
	stop_proxy
	cmp "$D/req" "$D/app.got"
	cmp "$D/resp" "$D/web.got"
	assert_equal "$(cat "$D/app.out")" "eof $(stat -c %s "$D/req")"
	run grep ' c1 request ' "$LOG"
	assert_output --regexp '^[0-9.]+ c1 request id=1 POST /srv/www/up.php status=201 stdin=200000 stdout=300041 stderr=13 stderr-lines=3 app-status=0 REQUEST_COMPLETE ttfb=[0-9.]+ms total=[0-9.]+ms$'
	run grep ' c1 connection ' "$LOG"
	assert_output --partial "to-app: read=$rq written=$rq end=eof sha256=$(sha "$D/req")"
	assert_output --partial "to-web: read=$rs written=$rs end=eof sha256=$(sha "$D/resp")"
	assert_output --partial "requests=1 violations=0 reason=closed"
}

@test "real nginx and PHP-FPM bytes pass unchanged, with PHP-FPM's one note" {
	local g=$FIXTURES/golden/nginx-phpfpm-post
	start_app -i "$g.to-web.bin" -o "$D/app.got" -a
	start_proxy -v --summary --log "$LOG" --listen "$PX" --upstream "$APP"
	run -0 "$PEER" connect "unix:$PX" -i "$g.to-app.bin" -o "$D/web.got"
	wait_app
	stop_proxy
	cmp "$g.to-app.bin" "$D/app.got"
	cmp "$g.to-web.bin" "$D/web.got"
	run -0 grep ' !! ' "$LOG"
	assert_output --regexp '^[0-9.]+ c1 !! note end-open-streams to-web offset=[0-9]+ record=2 id=1: '
	grep -q ' c1 request id=1 POST [^ ]*/index.php status=200 stdin=3000 .* app-status=0 REQUEST_COMPLETE ' "$LOG"
}

@test "findings of severity note only when asked for; --summary counts them" {
	local g=$FIXTURES/golden/nginx-phpfpm-post mode
	for mode in --quiet --summary "--summary --json" ""; do
		rm -f "$LOG"
		start_app -i "$g.to-web.bin" -a
		# shellcheck disable=SC2086
		start_proxy $mode --log "$LOG" --listen "$PX" --upstream "$APP"
		run -0 "$PEER" connect "unix:$PX" -i "$g.to-app.bin"
		wait_app
		stop_proxy
		run grep -c -e '!! note' -e '"severity":"note"' "$LOG"
		assert_output 0
	done
	rm -f "$LOG"
	start_app -i "$g.to-web.bin" -a
	start_proxy --summary --log "$LOG" --listen "$PX" --upstream "$APP"
	run -0 "$PEER" connect "unix:$PX" -i "$g.to-app.bin"
	wait_app
	stop_proxy
	grep -q ' c1 connection .*requests=1 violations=1 ' "$LOG"
	# Asked for: -v, or --severity note.
	for mode in -v "--severity note" "--quiet -v"; do
		rm -f "$LOG"
		start_app -i "$g.to-web.bin" -a
		# shellcheck disable=SC2086
		start_proxy $mode --log "$LOG" --listen "$PX" --upstream "$APP"
		run -0 "$PEER" connect "unix:$PX" -i "$g.to-app.bin"
		wait_app
		stop_proxy
		run -0 grep -c '!! note end-open-streams' "$LOG"
		assert_output 1
	done
}

@test "--severity takes spec, interop or note" {
	run -2 --separate-stderr "$FCGITOOL" proxy --severity loud \
		--listen "$PX" --upstream "$APP"
	assert_equal "${stderr%%$'\n'*}" \
		"fcgitool proxy: --severity: 'loud' is not spec, interop or note"
}

@test "the JSON summary carries both checksums of each direction" {
	need jq "reading the JSON summary"
	"$PEER" request -p REQUEST_METHOD=GET -p SCRIPT_NAME=/x.php >"$D/req"
	"$PEER" response -b 10 >"$D/resp"
	start_app -i "$D/resp" -o "$D/app.got" -a
	start_proxy --summary --json --log "$LOG" --listen "$PX" --upstream "$APP"
	run -0 "$PEER" connect "unix:$PX" -i "$D/req" -o "$D/web.got"
	wait_app
	stop_proxy
	run -0 jq -r 'select(.kind == "request") | [.conn, .id, .method, .script, .status, .stdinBytes, .stdoutBytes, .ended, .appStatus, .protocolStatus, .timedOut] | @tsv' "$LOG"
	assert_output "$(printf 'c1\t1\tGET\t/x.php\t200\t0\t51\ttrue\t0\tREQUEST_COMPLETE\tfalse')"
	run -0 jq -r 'select(.kind == "connection") | [.toApp.sha256Read, .toApp.sha256Written, .toWeb.sha256Read, .toWeb.sha256Written, .toApp.end, .toWeb.end] | @tsv' "$LOG"
	assert_output "$(printf '%s\t%s\t%s\t%s\teof\teof' "$(sha "$D/req")" "$(sha "$D/req")" "$(sha "$D/resp")" "$(sha "$D/resp")")"
}

@test "bytes that are not FastCGI pass unchanged; decoding stops with a finding" {
	head -c 1000000 /dev/urandom >"$D/junk-up"
	head -c 700000 /dev/urandom >"$D/junk-down"
	# Make sure the first byte is no valid version.
	printf '\x07' | dd of="$D/junk-up" bs=1 count=1 conv=notrunc 2>/dev/null
	printf '\x09' | dd of="$D/junk-down" bs=1 count=1 conv=notrunc 2>/dev/null
	start_app -i "$D/junk-down" -o "$D/app.got"
	start_proxy --log "$LOG" --listen "$PX" --upstream "$APP"
	run -0 "$PEER" connect "unix:$PX" -i "$D/junk-up" -o "$D/web.got"
	wait_app
	stop_proxy
	cmp "$D/junk-up" "$D/app.got"
	cmp "$D/junk-down" "$D/web.got"
	run grep -c 'bad-version' "$LOG"
	assert_output 2
	grep -q '!! spec bad-version to-app offset=0 record=1 id=0: ' "$LOG"
	grep -q '!! spec bad-version to-web offset=0 record=1 id=0: ' "$LOG"
	grep -q 'c1 \*\* decoder no longer decoding to-app (.*); its bytes are still forwarded' "$LOG"
}

@test "the end of one side's input is passed on while the other side goes on" {
	"$PEER" request -b 1000 >"$D/req"
	"$PEER" response -b 70000 >"$D/resp"
	# The app answers only after the web side's end: the proxy must pass
	# the web server's half-close on and still carry the answer back.
	start_app -i "$D/resp" -o "$D/app.got" -a
	start_proxy --quiet --listen "$PX" --upstream "$APP"
	run -0 "$PEER" connect "unix:$PX" -i "$D/req" -o "$D/web.got"
	assert_output "eof $(stat -c %s "$D/resp")"
	wait_app
	cmp "$D/resp" "$D/web.got"
	# The other way round: the web side keeps its half open (-H) and
	# still sees the app's end.
	start_app -i "$D/resp" -s 100
	run -0 "$PEER" connect "unix:$PX" -i "$D/req" -H
	assert_output "eof $(stat -c %s "$D/resp")"
	wait_app
	stop_proxy
}

# Resets need TCP on the receiving side: closing a unix socket reads as an
# end of input on the other side whatever SO_LINGER says.
@test "a reset by the app is passed on as a reset" {
	local port aport
	port=$(free_port)
	aport=$(free_port)
	"$PEER" response -b 100 >"$D/resp"
	start_app -L "127.0.0.1:$aport" -i "$D/resp" -R -d 300
	start_proxy --log "$LOG" --listen "127.0.0.1:$port" --upstream "127.0.0.1:$aport"
	run -0 "$PEER" connect "127.0.0.1:$port" -H -o "$D/web.got"
	assert_output --regexp '^reset [0-9]+$'
	wait_app
	stop_proxy
	grep -q 'c1 \*\* reset reset by the app; resetting the connection to the web server' "$LOG"
	grep -q ' c1 \*\* close .*reason=reset by the app;.* to-web: read=[0-9]* written=[0-9]* end=reset' "$LOG"
}

@test "a reset by the web server is passed on as a reset" {
	local port aport
	port=$(free_port)
	aport=$(free_port)
	"$PEER" request -b 100 >"$D/req"
	start_app -L "127.0.0.1:$aport" -o "$D/app.got" -H
	start_proxy --log "$LOG" --listen "127.0.0.1:$port" --upstream "127.0.0.1:$aport"
	run -0 "$PEER" connect "127.0.0.1:$port" -i "$D/req" -R -d 300
	assert_output "sent-reset 0"
	wait_app
	stop_proxy
	assert_equal "$(cat "$D/app.out")" "reset $(stat -c %s "$D/req")"
	cmp "$D/req" "$D/app.got"
	grep -q 'c1 \*\* reset reset by the web server; resetting the connection to the app' "$LOG"
}

# One hash serves both while the written bytes are the bytes read; once
# they part, each checksum must still be of its own bytes.
@test "--summary checksums are of what was written when the web server goes away" {
	local port aport r w
	port=$(free_port)
	aport=$(free_port)
	"$PEER" request >"$D/req"
	"$PEER" response -b 40000000 >"$D/resp"
	start_app -L "127.0.0.1:$aport" -i "$D/resp" -H
	start_proxy --summary --log "$LOG" --listen "127.0.0.1:$port" --upstream "127.0.0.1:$aport"
	# It never reads, and resets once its request is sent.
	run -0 "$PEER" connect "127.0.0.1:$port" -i "$D/req" -w 5000 -R -d 300
	wait_app || true
	stop_proxy
	run -0 grep ' c1 connection ' "$LOG"
	r=$(sed -n 's/.* to-web: read=\([0-9]*\) .*/\1/p' <<<"$output")
	w=$(sed -n 's/.* to-web: read=[0-9]* written=\([0-9]*\) .*/\1/p' <<<"$output")
	[ "$w" -lt "$r" ]
	assert_output --partial "sha256-read=$(head -c "$r" "$D/resp" | sha256sum | cut -d' ' -f1) sha256-written=$(head -c "$w" "$D/resp" | sha256sum | cut -d' ' -f1)"
	assert_output --partial "to-app: read=$(stat -c %s "$D/req") written=$(stat -c %s "$D/req") end=reset sha256=$(sha "$D/req")"
}

@test "an upstream that cannot be reached closes the web server's connection" {
	start_proxy --summary --log "$LOG" --listen "$PX" --upstream "unix:$D/nobody.sock"
	run -0 "$PEER" connect "unix:$PX" -H
	assert_output "eof 0"
	stop_proxy
	grep -q "c1 \*\* upstream cannot connect to 'unix:$D/nobody.sock': no such file or directory; closing the connection" "$LOG"
	grep -q " c1 connection peer=unix requests=0 violations=0 reason=cannot connect to 'unix:$D/nobody.sock': no such file or directory;" "$LOG"
}

@test "an oversized record is a finding and still forwarded" {
	# PARAMS with contentLength 65535 and paddingLength 1: legal, but
	# PHP-FPM rejects it.
	"$PEER" request -b 0 | head -c 16 >"$D/req"
	{
		printf '\x01\x04\x00\x01\xff\xff\x01\x00'
		head -c 65536 /dev/zero
	} >>"$D/req"
	start_app -o "$D/app.got"
	start_proxy --quiet --log "$LOG" --listen "$PX" --upstream "$APP"
	run -0 "$PEER" connect "unix:$PX" -i "$D/req"
	wait_app
	stop_proxy
	cmp "$D/req" "$D/app.got"
	grep -q '^[0-9.]* c1 !! interop record-too-large to-app offset=16 record=2 id=1: ' "$LOG"
}

@test "--strict stops at the offending record and says why" {
	"$PEER" request -b 0 | head -c 16 >"$D/req"
	{
		printf '\x01\x04\x00\x01\xff\xff\x01\x00'
		head -c 65536 /dev/zero
	} >>"$D/req"
	start_app -o "$D/app.got"
	start_proxy --strict --log "$LOG" --listen "$PX" --upstream "$APP"
	run -0 "$PEER" connect "unix:$PX" -i "$D/req" -H
	assert_output "eof 0"
	wait_app
	stop_proxy
	# Only the BEGIN_REQUEST before the bad record reached the app.
	cmp <(head -c 16 "$D/req") "$D/app.got"
	grep -q 'c1 \*\* close closing the connection: strict: record-too-large (interop) to-app offset=16 id=1' "$LOG"
}

@test "a name-value pair split across PARAMS records is an interop finding" {
	{
		"$PEER" request -b 0 | head -c 16
		# "AB" = "xyz" is 07 bytes: 02 03 'A' 'B' 'x' 'y' 'z', cut after 3.
		printf '\x01\x04\x00\x01\x00\x03\x05\x00\x02\x03A\x00\x00\x00\x00\x00'
		printf '\x01\x04\x00\x01\x00\x04\x04\x00Bxyz\x00\x00\x00\x00'
		printf '\x01\x04\x00\x01\x00\x00\x00\x00'
	} >"$D/req"
	start_app -o "$D/app.got"
	start_proxy --quiet --log "$LOG" --listen "$PX" --upstream "$APP"
	run -0 "$PEER" connect "unix:$PX" -i "$D/req"
	wait_app
	stop_proxy
	cmp "$D/req" "$D/app.got"
	grep -q ' c1 !! interop nv-split to-app offset=[0-9]* record=[23] id=1: ' "$LOG"
}

# ---- the upstream timeout --------------------------------------------------

@test "--upstream-timeout answers 504 for a silent app and closes it" {
	"$PEER" request -k -p REQUEST_METHOD=GET -p SCRIPT_FILENAME=/slow.php >"$D/req"
	start_app -o "$D/app.got" -H
	start_proxy --summary --log "$LOG" --upstream-timeout 0.3 --listen "$PX" --upstream "$APP"
	run -0 "$PEER" connect "unix:$PX" -i "$D/req" -H -o "$D/web.got"
	assert_output --regexp '^eof [0-9]+$'
	wait_app
	stop_proxy
	grep -q 'Status: 504 Gateway Timeout' "$D/web.got"
	# END_REQUEST, id 1, appStatus 504 (0x1f8), REQUEST_COMPLETE.
	[ "$(tail -c 16 "$D/web.got" | od -An -tx1 | tr -d ' \n')" = 0103000100080000000001f800000000 ]
	cmp "$D/req" "$D/app.got"
	grep -q 'c1 \*\* timeout the upstream was silent for 0.300 s with 1 request open (id 1): answering 504 and closing the upstream connection' "$LOG"
	grep -q ' c1 request id=1 GET /slow.php status=504 .* app-status=504 REQUEST_COMPLETE timed-out ' "$LOG"
	grep -q ' c1 connection .*reason=upstream timeout;.* to-web: read=0 written=[0-9]* injected=[0-9]* end=cut' "$LOG"
}

@test "--upstream-timeout after output began ends the streams only" {
	"$PEER" request >"$D/req"
	printf '\x01\x06\x00\x01\x00\x1b\x05\x00Status: 200 OK\r\nA: b\r\n\r\nhi!\x00\x00\x00\x00\x00' >"$D/part"
	printf '\x01\x07\x00\x01\x00\x04\x04\x00warn\x00\x00\x00\x00' >>"$D/part"
	# The app answers 100 ms after connecting, once the request is in.
	start_app -i "$D/part" -H -s 100
	start_proxy --summary --timeout-status 503 --log "$LOG" --upstream-timeout 0.2 --listen "$PX" --upstream "$APP"
	run -0 "$PEER" connect "unix:$PX" -i "$D/req" -H -o "$D/web.got"
	wait_app
	stop_proxy
	# What the app sent, then empty STDOUT, empty STDERR, END_REQUEST 503.
	cmp <(head -c "$(stat -c %s "$D/part")" "$D/web.got") "$D/part"
	[ "$(tail -c +"$(($(stat -c %s "$D/part") + 1))" "$D/web.got" | od -An -tx1 | tr -d ' \n')" = \
		"0106000100000000""0107000100000000""0103000100080000""000001f700000000" ]
	grep -q ' c1 request id=1 - - status=200 .* app-status=503 REQUEST_COMPLETE timed-out ' "$LOG"
	# The answer of the proxy's own is in what was written, not read.
	grep -q " c1 connection .* to-web: read=$(stat -c %s "$D/part") written=$(stat -c %s "$D/web.got") injected=32 end=cut sha256-read=$(sha "$D/part") sha256-written=$(sha "$D/web.got")" "$LOG"
}

@test "an app silent inside a record gets both sides closed" {
	"$PEER" request >"$D/req"
	printf '\x01\x06\x00\x01\x00\x20\x00\x00Status: 2' >"$D/part"
	start_app -i "$D/part" -H -s 100
	start_proxy --quiet --log "$LOG" --upstream-timeout 0.2 --listen "$PX" --upstream "$APP"
	run -0 "$PEER" connect "unix:$PX" -i "$D/req" -H -o "$D/web.got"
	wait_app
	stop_proxy
	cmp "$D/part" "$D/web.got"
	grep -q 'c1 \*\* timeout the upstream was silent for 0.200 s in the middle of a record; closing both sides' "$LOG"
}

# ---- output options ----------------------------------------------------------

@test "--redact masks values in the log only; --no-redact shows them" {
	"$PEER" request -p HTTP_COOKIE=cookie-secret -p HTTP_X_TOKEN=token-secret \
		-p SCRIPT_NAME=/a >"$D/req"
	start_app -o "$D/app.got" -n 2
	start_proxy --redact HTTP_X_TOKEN --log "$LOG" --listen "$PX" --upstream "$APP"
	"$PEER" connect "unix:$PX" -i "$D/req"
	stop_proxy
	grep -q 'cookie-secret' "$D/app.got"
	grep -q 'token-secret' "$D/app.got"
	! grep -q 'secret' "$LOG"
	grep -q 'HTTP_COOKIE = \*\*\*' "$LOG"
	grep -q 'HTTP_X_TOKEN = \*\*\*' "$LOG"
	start_proxy --no-redact --log "$LOG.2" --listen "$PX" --upstream "$APP"
	"$PEER" connect "unix:$PX" -i "$D/req"
	wait_app
	stop_proxy
	grep -q 'HTTP_COOKIE = cookie-secret' "$LOG.2"
}

@test "--only and --body-limit choose what is shown" {
	"$PEER" request -b 100 >"$D/req"
	"$PEER" response -b 100 -e problem >"$D/resp"
	start_app -i "$D/resp" -a
	start_proxy --only stderr,FCGI_END_REQUEST --body-limit 4 --log "$LOG" --listen "$PX" --upstream "$APP"
	"$PEER" connect "unix:$PX" -i "$D/req"
	wait_app
	stop_proxy
	run -0 grep -c ' c1 [-<]' "$LOG"
	assert_output 3
	grep -q ' c1 <- STDERR  *id=1 len=7 .*"prob"' "$LOG"
	grep -q ' c1 <- END_REQUEST ' "$LOG"
}

@test "--json prints one JSON object per line" {
	need jq "reading the JSON lines"
	"$PEER" request -b 10 >"$D/req"
	"$PEER" response -b 10 >"$D/resp"
	start_app -i "$D/resp" -a
	start_proxy --json --log "$LOG" --listen "$PX" --upstream "$APP"
	"$PEER" connect "unix:$PX" -i "$D/req"
	wait_app
	stop_proxy
	jq -e . "$LOG" >/dev/null
	run -0 jq -r 'select(.kind == "record") | .dir + " " + .type' "$LOG"
	assert_output "$(printf '%s\n' 'to-app BEGIN_REQUEST' 'to-app PARAMS' 'to-app STDIN' \
		'to-app STDIN' 'to-web STDOUT' 'to-web STDOUT' 'to-web STDOUT' 'to-web END_REQUEST')"
	run -0 jq -r 'select(.kind == "note") | .what' "$LOG"
	assert_output "$(printf '%s\n' listen accept upstream eof eof close)"
}

@test "--pcap writes a capture tcpdump reads, with the forwarded bytes" {
	need tcpdump "reading the capture"
	"$PEER" request -b 150000 >"$D/req"
	"$PEER" response -b 100 >"$D/resp"
	start_app -i "$D/resp" -a -n 2
	start_proxy --quiet --pcap "$D/cap.pcapng" --listen "$PX" --upstream "$APP"
	"$PEER" connect "unix:$PX" -i "$D/req"
	"$PEER" connect "unix:$PX" -i "$D/req"
	wait_app
	stop_proxy
	run -0 tcpdump -r "$D/cap.pcapng" -nn -tt
	# Two flows, each: handshake, data, FIN both ways.
	assert_equal "$(grep -c 'Flags \[S\]' <<<"$output")" 2
	assert_equal "$(grep -c 'Flags \[S\.\]' <<<"$output")" 2
	assert_equal "$(grep -c 'Flags \[F\.\]' <<<"$output")" 4
	# The payload lengths add up to what was forwarded.
	local up down
	up=$(awk '/ > 10\.0\.0\.1\.9000: / { s += $NF } END { print s }' <<<"$output")
	down=$(awk '/10\.0\.0\.1\.9000 > / { s += $NF } END { print s }' <<<"$output")
	assert_equal "$up" $((2 * $(stat -c %s "$D/req")))
	assert_equal "$down" $((2 * $(stat -c %s "$D/resp")))
	# Checksums are right (tcpdump -vv flags wrong ones).
	run -0 tcpdump -r "$D/cap.pcapng" -nn -vv
	refute_output --partial 'incorrect'
	refute_output --partial 'bad cksum'
}

# ---- backpressure and life -------------------------------------------------

@test "a slow web server slows the app down; the proxy's memory stays bounded" {
	head -c 67108864 /dev/zero >"$D/big"
	start_app -i "$D/big" -t 60
	start_proxy --quiet --listen "$PX" --upstream "$APP"
	local rss0 rss1
	rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$PROXY_PID/status")
	# The web side reads nothing for 1.5 s, then everything.
	"$PEER" connect "unix:$PX" -H -w 1500 -t 60 -o "$D/got" >"$D/web.out" &
	local web=$!
	sleep 1
	rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$PROXY_PID/status")
	wait "$web"
	wait_app
	stop_proxy
	assert_equal "$(cat "$D/web.out")" "eof 67108864"
	cmp "$D/big" "$D/got"
	# 64 MiB wanted through; the proxy grew by far less (kB).
	echo "# rss before $rss0 kB, while blocked $rss1 kB" >&3
	[ $((rss1 - rss0)) -lt 16384 ]
}

@test "connections are labelled in order and SIGTERM ends the proxy" {
	"$PEER" request >"$D/req"
	start_app -n 3 -a
	start_proxy --summary --log "$LOG" --listen "$PX" --upstream "$APP"
	"$PEER" connect "unix:$PX" -i "$D/req"
	"$PEER" connect "unix:$PX" -i "$D/req"
	# The third stays open until the proxy stops.
	"$PEER" connect "unix:$PX" -i "$D/req" -H >"$D/third.out" &
	local third=$!
	sleep 0.3
	stop_proxy
	wait "$third"
	[ ! -e "$PX" ]
	grep -q ' c1 connection .*reason=closed' "$LOG"
	grep -q ' c2 connection .*reason=closed' "$LOG"
	grep -q ' c3 connection .*reason=proxy stopped' "$LOG"
	grep -q ' c3 request id=1 - - status=- stdin=0 stdout=0 stderr=0 stderr-lines=0 unfinished ' "$LOG"
}

@test "an app that never reads holds the web server back; the proxy's memory stays bounded" {
	# One request with 64 MiB of STDIN.
	"$PEER" request -p REQUEST_METHOD=POST -b 67108864 >"$D/req"
	# The app accepts the connection and reads nothing while the test
	# runs.
	start_app -w 60000 -H -t 60
	start_proxy --quiet --listen "$PX" --upstream "$APP"
	# The web side pushes until it has sent everything, or its writes
	# have made no progress for 2 s (at most 8 s in all), sampling the
	# proxy's VmRSS (kB) all along.  It prints: size sent rss-before
	# rss-peak.
	run -0 timeout 15 python3 -c '
import select, socket, sys, time
path, req, pid = sys.argv[1:4]
def rss():
    with open("/proc/%s/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
with open(req, "rb") as f:
    data = memoryview(f.read())
rss0 = peak = rss()
s = socket.socket(socket.AF_UNIX)
s.connect(path)
s.setblocking(False)
sent = 0
start = last = time.monotonic()
while sent < len(data):
    now = time.monotonic()
    if now - start > 8 or now - last > 2:
        break
    if select.select([], [s], [], 0.1)[1]:
        try:
            sent += s.send(data[sent:sent + 65536])
            last = time.monotonic()
        except BlockingIOError:
            pass
    peak = max(peak, rss())
print(len(data), sent, rss0, max(peak, rss()))' "$PX" "$D/req" "$PROXY_PID"
	local size sent rss0 peak
	read -r size sent rss0 peak <<<"$output"
	echo "# pushed $sent of $size bytes; rss before $rss0 kB, peak $peak kB" >&3
	# The web side tried to push 64 MiB and more ...
	[ "$size" -ge 67108864 ]
	[ "$size" -eq "$(stat -c %s "$D/req")" ]
	# ... but its writes blocked: far from everything left it.
	[ "$sent" -gt 0 ]
	[ "$sent" -lt $((size / 2)) ]
	# The proxy grew by less than 8 MiB (kB).
	[ $((peak - rss0)) -lt 8192 ]
	stop_proxy
}
