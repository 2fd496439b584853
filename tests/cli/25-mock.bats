#!/usr/bin/env bats
# 25-mock.bats - fcgitool serve --mock, checked from outside with
# fcgitool request: every match kind, every kind of answer, every fault
# (the exit status and the finding request names), sequences and
# scenarios, expectations met and unmet, the journal, bad scripts refused
# with their line and column, and reloading.  Scripts are in
# tests/fixtures/mock/.

load test_helper
load ../interop/serve

MOCKS=$FIXTURES/mock

setup() {
	D=$BATS_TEST_TMPDIR
	SOCK=$D/m.sock
}

teardown() {
	kill_tracked
}

mock() { # script [serve options...]
	local s=$1
	shift
	start_serve --mock "$s" "$@" "$SOCK"
}

req() {
	"$FCGITOOL" request "$SOCK" "$@"
}

# ---- options and scripts -------------------------------------------------

@test "mock: its options need --mock, and --exec does not go with it" {
	run -2 --separate-stderr "$FCGITOOL" serve --record x.jsonl
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: --duration, --record, --requests and --seed need --mock"
	run -2 --separate-stderr "$FCGITOOL" serve --mock "$MOCKS/match.json" --exec
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: --exec and --mock cannot be combined"
	run -2 --separate-stderr "$FCGITOOL" serve --mock x --seed -1
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --seed '-1': not a number"
	run -2 --separate-stderr "$FCGITOOL" serve --mock x --requests 0
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --requests '0': not a number above 0"
	run -2 --separate-stderr "$FCGITOOL" serve --mock x --duration 0
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --duration '0': not a number of seconds above 0"
}

@test "mock: a script that cannot be read is named" {
	run -2 --separate-stderr "$FCGITOOL" serve --mock "$D/none.json" "$SOCK"
	assert_equal "$stderr" \
		"fcgitool serve: cannot read '$D/none.json': No such file or directory"
	[ ! -e "$SOCK" ]
}

# bad TEXT LINE:COL MESSAGE: the script is refused, before listening.
bad() {
	printf '%b' "$1" >"$D/bad.json"
	run -2 --separate-stderr "$FCGITOOL" serve --mock "$D/bad.json" "$SOCK"
	assert_equal "$stderr" "fcgitool serve: $D/bad.json:$2: $3"
	[ ! -e "$SOCK" ]
}

@test "mock: bad scripts are refused with their line and column" {
	bad '{\n  "routes": [\n    {"respond": {"status": 200}\n  ]\n}\n' \
		4:3 "bad JSON"
	bad '{"routes": [],\n "rutes": []}' 2:2 "unknown key 'rutes' in a script"
	bad '{"routes": [\n  {"respond": {"status": 1000}}]}' 2:26 \
		"routes[0].respond.status: not a whole number from 100 to 999"
	bad '{"routes": [{"match": {"params": {"X": {"regex": "a("}}},\n  "respond": {}}]}' \
		1:50 "routes[0].match.params.X.regex: bad regex: Unmatched ( or \\("
	bad '{"routes": [{"respond": {\n\t"steps": [{"delay": 5, "close": true}]}}]}' \
		2:25 "routes[0].respond.steps[0]: a step does one thing: 'delay' and 'close'"
	bad '{"routes": [{"respond": {"body": "@missing.html"}}]}' 1:34 \
		"routes[0].respond.body: cannot read 'missing.html': No such file or directory"
	bad '{"routes": [{"respond": {"body": "Hi ${NAME"}}]}' 1:34 \
		"routes[0].respond.body: '\${' without '}' at byte 3"
	bad '{"routes": [], "expectOrder": ["login"]}' 1:32 \
		"expectOrder[0]: no route is called 'login'"
	bad '' 1:1 "an empty script"
}

@test "mock: every fixture script is valid" {
	local f
	for f in "$MOCKS"/*.json; do
		"$FCGITOOL" serve --mock "$f" --requests 1 --duration 0.01 \
			"$D/v.sock" 2>"$D/err" ||
			{ [ $? -eq 1 ] && ! grep -q ':[0-9]*:[0-9]*: ' "$D/err"; } ||
			fail "$f: $(cat "$D/err")"
	done
}

# ---- matching ------------------------------------------------------------

@test "mock: params match exactly, by prefix, glob and regex, absent or present" {
	mock "$MOCKS/match.json"
	run -0 req /exact
	assert_output exact
	run -0 req /api/users
	assert_output prefix
	run -0 req /img/cat.png
	assert_output glob
	run -0 req /v12/items
	assert_output regex
	run -0 req /absent
	assert_output absent
	run -0 req -p X_TOKEN=1 /absent
	assert_output present
	run -0 req -p X_TOKEN= /absent
	assert_output present
	run -0 req /exact/
	assert_output "404 Not Found"
	run -0 req /img/cat.gif
	assert_output "404 Not Found"
	run -0 req /v1x/items
	assert_output "404 Not Found"
}

@test "mock: role and the KEEP_CONN flag match" {
	mock "$MOCKS/match.json"
	run -0 req --role authorizer /anything
	assert_output authorizer
	run -0 req --keep-conn /keep
	assert_output keep-conn
	run -0 req /keep
	assert_output no-keep-conn
}

@test "mock: bodies match exactly, by content, regex and length" {
	mock "$MOCKS/match.json"
	run -0 req -d hello /body
	assert_output body-exact
	run -0 req -d 'hay needle hay' /body
	assert_output body-contains
	run -0 req -d 12345 /body
	assert_output body-regex
	head -c 150 /dev/zero | tr '\0' x >"$D/150"
	run -0 req -d "@$D/150" /body
	assert_output body-length
	run -0 req -d 'hello!' /body
	assert_output "404 Not Found"
}

@test "mock: all, any and not combine matches; first route wins" {
	mock "$MOCKS/match.json"
	run -0 req /a
	assert_output any
	run -0 req /b
	assert_output any
	run -0 req -X PUT /c
	assert_output all
	run -0 req -X DELETE /c
	assert_output not
	run -0 req /c
	assert_output "404 Not Found"
}

# ---- answers ---------------------------------------------------------------

@test "mock: status, headers in order, and the body" {
	mock "$MOCKS/respond.json"
	run -0 req -i /status
	assert_output "$(printf 'Status: 418 I'"'"'m a teapot\r\nX-One: 1\r\nX-One: 2\r\nContent-Type: text/x-tea\r\n\r\nshort and stout')"
}

@test "mock: \${PARAM} and \${body} in headers and bodies" {
	mock "$MOCKS/respond.json"
	run -0 req -i -d 'the body' '/echo?q=1'
	assert_line --partial 'X-Query: q=1'
	assert_line 'POST /echo [the body] ${x} costs $5'
}

@test "mock: base64, @file, @@ and generated bodies" {
	mock "$MOCKS/respond.json"
	req -o "$D/b64" /b64
	run -0 od -An -tx1 "$D/b64"
	assert_output " 00 01 fe ff"
	run -0 req /file
	assert_output "<p>from a file</p>"
	run -0 req /at
	assert_output "@home"
	req -o "$D/big" /big
	run -0 wc -c <"$D/big"
	assert_output 200000
	run -0 head -c 64 "$D/big"
	assert_output "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ."
}

@test "mock: STDERR, appStatus and protocolStatus" {
	mock "$MOCKS/respond.json"
	run -0 --separate-stderr req /stderr
	assert_output ok
	assert_equal "$stderr" "PHP Warning: /stderr is odd"
	run -1 --separate-stderr req /app-status
	assert_equal "$stderr" "fcgitool request: '/app-status': appStatus 3"
	run -1 --separate-stderr req /overloaded
	assert_equal "$stderr" "fcgitool request: '/overloaded': the server answered OVERLOADED"
	run -0 req -i /nowhere
	assert_line --index 0 "Status: 410 Gone"$'\r'
	assert_line "gone: /nowhere"
}

@test "mock: routes hand requests to --fn functions and --exec programs" {
	mock "$MOCKS/respond.json" --root "$MOCKS/cgi"
	run -0 req /fn
	assert_output "Hello, world!"
	run -0 req /exec
	assert_output "hello from hello.cgi"
}

@test "mock: one timeout covers mock answers, functions and programs" {
	mock "$MOCKS/respond.json" --root "$MOCKS/cgi" --timeout 0.5
	run -1 --separate-stderr req -i /sleep-mock
	assert_line --index 0 "Status: 408 Request Timeout"$'\r'
	assert_equal "$stderr" "fcgitool request: '/sleep-mock': appStatus 408"
	run -1 --separate-stderr req -i '/sleep-fn?ms=60000'
	assert_line --index 0 "Status: 408 Request Timeout"$'\r'
	run -1 --separate-stderr req -i -p "PIDFILE=$D/pid" /sleep-exec
	assert_line --index 0 "Status: 408 Request Timeout"$'\r'
	# The program is stopped too.
	[ -s "$D/pid" ]
	wait_until 5 eval '! kill -0 "$(cat "$D/pid")" 2>/dev/null'
}

# ---- sequences and scenarios -----------------------------------------------

@test "mock: a sequence repeats its last answer, or cycles" {
	mock "$MOCKS/sequence.json"
	local s
	s=""
	for _ in 1 2 3 4; do
		s="$s $(req -i /seq | head -1 | cut -d' ' -f2)"
	done
	assert_equal "$s" " 503 502 200 200"
	s=""
	for _ in 1 2 3; do
		s="$s$(req /cycle)"
	done
	assert_equal "$s" "aba"
}

@test "mock: scenarios move on as requests come" {
	mock "$MOCKS/sequence.json"
	run -0 req /home
	assert_output "log in first"
	run -0 req /login
	assert_output welcome
	run -0 req /home
	assert_output home
	run -0 req /logout
	assert_output bye
	run -0 req /home
	assert_output "log in first"
}

@test "mock: a client's retry on OVERLOADED (fcgitool-serve(1) EXAMPLES)" {
	mock "$MOCKS/sequence.json"
	local tries=0
	while :; do
		tries=$((tries + 1))
		[ "$tries" -le 5 ] || fail "no success in 5 tries"
		run --separate-stderr req /retry
		[ "$status" -eq 0 ] && break
		assert_equal "$status" 1
		assert_equal "$stderr" "fcgitool request: '/retry': the server answered OVERLOADED"
	done
	assert_equal "$tries" 3
	assert_output "third time lucky"
}

# ---- faults ----------------------------------------------------------------

# The exit status of fcgitool request and the finding it names, for each
# fault of faults.json.
@test "mock: each fault, as fcgitool request sees it" {
	local name rc msg bad="" got got_rc
	mock "$MOCKS/faults.json"
	while IFS='|' read -r name rc msg; do
		got_rc=0
		req -m 2 "/$name" >/dev/null 2>"$D/err" || got_rc=$?
		got=$(head -1 "$D/err")
		if [ "$got_rc" != "$rc" ] || [ "$got" != "$msg" ]; then
			bad="$bad
$name: got $got_rc '$got'
$name: want $rc '$msg'"
		fi
	done <<'EOF'
ok|0|
stderr|0|something broke
app-status|1|fcgitool request: '/app-status': appStatus 3
delay|0|
delay-uniform|0|
delay-lognormal|0|
drip|0|
bandwidth|0|
record-size|0|
padding|0|
tiny-padded|0|
split-writes|0|
close|4|fcgitool request: '/close': the server closed the connection before END_REQUEST
close-after-body|4|fcgitool request: '/close-after-body': the server closed the connection before END_REQUEST
close-mid-record|4|fcgitool request: '/close-mid-record': the server closed the connection before END_REQUEST
reset|4|fcgitool request: '/reset': the server closed the connection before END_REQUEST
close-without-reading|4|fcgitool request: '/close-without-reading': the server closed the connection before END_REQUEST
never-answer|3|fcgitool request: '/never-answer': timed out after 2000 ms
request-id|4|fcgitool request: '/request-id': the server answered request id 2, not 1
version|4|fcgitool request: '/version': the server sent bytes that are not FastCGI: bad version 2 at offset 0 (record 1); the rest of this direction is not decoded
garbage|4|fcgitool request: '/garbage': the server sent bytes that are not FastCGI: bad version 72 at offset 0 (record 1); the rest of this direction is not decoded
unknown-type|4|fcgitool request: '/unknown-type': unknown-type: record type 12 is not defined by FastCGI 1.0 (offset 0, record 1)
duplicate-end|4|fcgitool request: '/duplicate-end': after-end-request: END_REQUEST record for request 1 after its END_REQUEST (offset 96, record 5)
after-end|4|fcgitool request: '/after-end': after-end-request: STDOUT record for request 1 after its END_REQUEST (offset 96, record 5)
empty-stdout|4|fcgitool request: '/empty-stdout': stream-after-end: STDOUT record for request 1 after its STDOUT stream ended (offset 64, record 3)
no-headers|4|fcgitool request: '/no-headers': bad CGI response: no header block: STDOUT begins with "ok", which is no header line (offset 0)
big-headers|4|fcgitool request: '/big-headers': bad CGI response: the header block exceeds 65536 bytes, in header line 3 (offset 65536)
content-length-short|0|
content-length-long|0|
cant-mpx-conn|1|fcgitool request: '/cant-mpx-conn': the server answered CANT_MPX_CONN
overloaded|1|fcgitool request: '/overloaded': the server answered OVERLOADED
unknown-role|1|fcgitool request: '/unknown-role': the server answered UNKNOWN_ROLE
EOF
	[ -z "$bad" ] || fail "request saw otherwise:$bad"
}

# The records the server wrote on connection $1 (its --json trace in
# SERVE_OUT), one line each: "TYPE id contentLength paddingLength".
records() {
	jq -r --arg c "$1" 'select(.kind == "record" and .dir == "to-web" and
		.conn == $c) |
		"\(.type) \(.id) \(.contentLength) \(.paddingLength)"' \
		"$SERVE_OUT"
}

@test "mock: record sizes, paddings, other ids and duplicate ends on the wire" {
	need jq "jq is not installed"
	mock "$MOCKS/faults.json" --json
	local p
	for p in tiny-padded padding request-id duplicate-end after-end \
		empty-stdout; do
		req "/$p" >/dev/null 2>&1 || true
	done
	stop_serve
	run -0 records c1
	assert_line --index 0 "STDOUT 1 1 255"
	assert_line --index 1 "STDOUT 1 1 255"
	assert_line --index -2 "STDOUT 1 0 255"
	assert_line --index -1 "END_REQUEST 1 8 255"
	run -0 records c2
	assert_output "$(printf 'STDOUT 1 44 255\nSTDOUT 1 3 255\nSTDOUT 1 0 255\nEND_REQUEST 1 8 255')"
	run -0 records c3
	assert_output "$(printf 'STDOUT 2 18 6\nSTDOUT 2 0 0\nEND_REQUEST 2 8 0')"
	run -0 records c4
	assert_output "$(printf 'STDOUT 1 44 4\nSTDOUT 1 3 5\nSTDOUT 1 0 0\nEND_REQUEST 1 8 0\nEND_REQUEST 1 8 0')"
	run -0 records c5
	assert_output "$(printf 'STDOUT 1 44 4\nSTDOUT 1 3 5\nSTDOUT 1 0 0\nEND_REQUEST 1 8 0\nSTDOUT 1 5 3')"
	run -0 records c6
	assert_output "$(printf 'STDOUT 1 44 4\nSTDOUT 1 0 0\nSTDOUT 1 3 5\nSTDOUT 1 0 0\nEND_REQUEST 1 8 0')"
}

@test "mock: delays, drips and bandwidth caps keep the answer whole" {
	mock "$MOCKS/faults.json" --record "$D/j.jsonl"
	run -0 req /drip
	assert_output dripping
	req -o "$D/bw" /bandwidth
	run -0 wc -c <"$D/bw"
	assert_output 20000
	run -0 req /delay
	assert_output ok
	need jq "jq is not installed"
	run -0 jq -r '"\(.route) \(.faults | join(","))"' "$D/j.jsonl"
	assert_output "$(printf 'drip drip\nbandwidth bandwidth\ndelay delay')"
	run -0 jq -r 'select(.route == "delay") | .ms >= 300' "$D/j.jsonl"
	assert_output true
}

@test "mock: FCGI_GET_VALUES answered with the script's values" {
	mock "$MOCKS/values.json"
	run -0 "$FCGITOOL" request --get-values "$SOCK"
	assert_output "$(printf 'FCGI_MPXS_CONNS=0\nFCGI_MAX_REQS=1')"
}

@test "mock: FCGI_GET_VALUES malformed, or not answered" {
	printf '{"routes": [], "getValues": {"malformed": true}}' >"$D/m.json"
	mock "$D/m.json"
	run -4 --separate-stderr "$FCGITOOL" request --get-values "$SOCK"
	assert_equal "$stderr" \
		"fcgitool request: 'unix:$SOCK': bad GET_VALUES_RESULT: pair 1 declares a 15-byte name and a 100-byte value, 15 bytes left in the record"
	kill_tracked
	printf '{"routes": [], "getValues": {"ignore": true}}' >"$D/i.json"
	mock "$D/i.json"
	run -3 --separate-stderr "$FCGITOOL" request -m 1 --get-values "$SOCK"
	assert_equal "$stderr" "fcgitool request: 'unix:$SOCK': timed out after 1000 ms"
}

@test "mock: FCGI_ABORT_REQUEST stops the answer, is ignored, or answered late" {
	mock "$MOCKS/abort.json" --record "$D/j.jsonl"
	run -0 req --abort-after 100 /stop
	assert_output ""
	run -0 req --abort-after 100 /ignore
	assert_output "all of it"
	start=$(date +%s%N)
	run -0 req --abort-after 100 /late
	assert_output ""
	[ $(( ($(date +%s%N) - start) / 1000000 )) -ge 500 ]
	# Ignored or not, each was aborted before its answer was out.
	run -0 grep -c '"aborted":true' "$D/j.jsonl"
	assert_output 3
}

@test "mock: probability repeats under one --seed; firstN counts" {
	mock "$MOCKS/chance.json" --seed 42
	local a="" b="" i
	for i in $(seq 1 10); do
		req /flaky >/dev/null 2>&1 && a="${a}1" || a="${a}0"
	done
	kill_tracked
	mock "$MOCKS/chance.json" --seed 42
	for i in $(seq 1 10); do
		req /flaky >/dev/null 2>&1 && b="${b}1" || b="${b}0"
	done
	assert_equal "$a" "$b"
	[[ "$a" == *0* && "$a" == *1* ]] || fail "no mix in $a"
	run -4 req /first
	run -4 req /first
	run -0 req /first
	assert_output ok
}

# ---- expectations, the journal, the end --------------------------------------

@test "mock: expectations met: exit 0 after --requests" {
	mock "$MOCKS/expect.json" --requests 4
	req -X POST /login >/dev/null
	req /page/1 >/dev/null
	req /page/2 >/dev/null
	req /page/3 >/dev/null
	wait "$SERVE_PID" && s=0 || s=$?
	assert_equal "$s" 0
	run cat "$SERVE_ERR"
	refute_line --partial expected
}

@test "mock: unmet expectations and unmatched requests: exit 1, each named" {
	mock "$MOCKS/expect.json"
	req /login >/dev/null
	req /page/2 >/dev/null
	req /admin >/dev/null
	stop_serve
	assert_equal "$SERVE_STATUS" 1
	run cat "$SERVE_ERR"
	assert_line "fcgitool serve: route 'login' expected exactly 1 request, got 0"
	assert_line "fcgitool serve: route 'page' expected 2 to 3 requests, got 1"
	assert_line "fcgitool serve: route 'admin' expected no request, got 1"
	assert_line "fcgitool serve: expectOrder[0] (route 'login') did not come: 0 of 3 expected requests came in order"
	assert_line "fcgitool serve: unmatched request c1#1 (GET /login): closest route 'login': param REQUEST_METHOD is 'GET', not 'POST'"
}

@test "mock: the verdict as JSON objects with --json" {
	need jq "jq is not installed"
	mock "$MOCKS/expect.json" --json
	req /nope >/dev/null
	stop_serve
	assert_equal "$SERVE_STATUS" 1
	run -0 jq -c 'select(.kind == "mockUnmatched")' "$SERVE_OUT"
	assert_output '{"conn":"c1","kind":"mockUnmatched","request":"c1#1","what":"GET /nope","closest":"login","held":0,"total":2,"differences":"param SCRIPT_NAME is '"'"'/nope'"'"', not '"'"'/login'"'"'; param REQUEST_METHOD is '"'"'GET'"'"', not '"'"'POST'"'"'"}'
	run -0 jq -r 'select(.kind == "mockUnmet") | "\(.what) \(.route) \(.got)"' "$SERVE_OUT"
	assert_output "$(printf 'expect login 0\nexpect page 0\norder login null')"
}

@test "mock: --record writes one journal line per request" {
	need jq "jq is not installed"
	mock "$MOCKS/match.json" --record "$D/j.jsonl"
	req -d hello /body >/dev/null
	req /nope >/dev/null
	stop_serve
	run -0 jq -r '[.kind, .conn, .id, .route, .matched, .bodyBytes, .bodySha256,
		(.params[] | select(.name == "SCRIPT_NAME") | .value)] | @tsv' \
		"$D/j.jsonl"
	assert_line --index 0 "$(printf 'journal\tc1\t1\tbody-exact\ttrue\t5\t%s\t/body' \
		"$(printf hello | sha256sum | cut -d' ' -f1)")"
	assert_line --index 1 "$(printf 'journal\tc2\t1\t\tfalse\t0\t%s\t/nope' \
		"$(printf '' | sha256sum | cut -d' ' -f1)")"
}

@test "mock: the journal and the verdict follow fcgitool-trace(5), key by key" {
	need python3 "the schema checker is a python3 script"
	mock "$MOCKS/expect.json" --json --record "$D/j.jsonl"
	req -X POST -d 'x=1' /login >/dev/null
	req /nope >/dev/null
	stop_serve
	run -0 python3 "$TOP/tests/json-schema.py" --expect journal "$D/j.jsonl"
	run -0 python3 "$TOP/tests/json-schema.py" \
		--expect mockUnmet,mockUnmatched,note,record "$SERVE_OUT"
}

@test "mock: --duration stops the server" {
	mock "$MOCKS/match.json" --duration 0.3
	wait "$SERVE_PID" && s=0 || s=$?
	assert_equal "$s" 0
}

@test "mock: --trace names the route and the faults of each request" {
	mock "$MOCKS/faults.json" --trace --seed 7
	req /drip >/dev/null
	stop_serve
	run cat "$SERVE_OUT"
	assert_line --regexp "^0\.0+ +\*\* mock script $MOCKS/faults.json: 33 routes, seed 7$"
	assert_line --regexp "^[0-9.]+ c1 +\*\* mock request 1: route 'drip', response 1 of 1; faults: drip$"
}

# ---- reloading ---------------------------------------------------------------

@test "mock: SIGHUP reloads the script; a bad one is refused and the old kept" {
	printf '{"routes": [{"respond": {"body": "one\\n"}}]}' >"$D/r.json"
	mock "$D/r.json"
	run -0 req /x
	assert_output one
	printf '{"routes": [{"respond": {"body": "two\\n"}}]}' >"$D/r.json"
	kill -HUP "$SERVE_PID"
	wait_until 5 grep -q "reloaded" "$SERVE_ERR"
	run -0 req /x
	assert_output two
	printf '{"routes": [{"respond": {"bdy": "three\\n"}}]}' >"$D/r.json"
	kill -HUP "$SERVE_PID"
	wait_until 5 grep -q "keeping" "$SERVE_ERR"
	run -0 cat "$SERVE_ERR"
	assert_line "fcgitool serve: $D/r.json:1:26: routes[0].respond: unknown key 'bdy' in a response (keeping the script in use)"
	run -0 req /x
	assert_output two
}

# ---- the man page's table of faults --------------------------------------------

@test "mock: fcgitool-mock(5)'s nginx table is what the interop test measures" {
	local name status cexit log n=0 table
	# The table's rows, mdoc escapes undone: "NAME STATUS TEXT".
	table=$(sed -n 's/^\.It Li \([^ ]*\) Ta \([0-9]*\) Ta /\1 \2 /p' \
		"$TOP/man/fcgitool-mock.5" | sed 's/\\(dq/"/g; s/\\&//g')
	while IFS=$'\t' read -r name status cexit log; do
		case $name in '#'* | '') continue ;; esac
		n=$((n + 1))
		[ "$log" != - ] || log="nothing"
		[ "$cexit" = 0 ] || log="$log; curl: the body is cut short"
		grep -qxF -- "$name $status $log" <<<"$table" ||
			fail "fcgitool-mock.5 lacks the row: $name $status $log"
	done <"$MOCKS/nginx-faults.tsv"
	[ "$n" -ge 30 ]
	[ "$(wc -l <<<"$table")" -eq "$n" ] ||
		fail "fcgitool-mock.5 has rows the measurements do not"
}

# Every complete script in fcgitool-mock(5) is valid, so that the
# examples cannot rot.
@test "mock: every example script of fcgitool-mock(5) is valid" {
	local n=0 f
	cp "$MOCKS/page.html" "$D/"
	awk -v dir="$D" '
		/^\.Bd -literal/ { inb = 1; buf = ""; next }
		/^\.Ed/ { if (inb && buf ~ /^[{]/) { n++; f = dir "/ex" n ".json";
			printf "%s", buf > f; close(f) } inb = 0; next }
		inb { gsub(/\\e/, "\\"); buf = buf $0 "\n" }
	' "$TOP/man/fcgitool-mock.5"
	for f in "$D"/ex*.json; do
		n=$((n + 1))
		"$FCGITOOL" serve --mock "$f" --duration 0.01 "$D/ex.sock" \
			2>"$D/err" || [ $? -eq 1 ] ||
			fail "$(cat "$f"; cat "$D/err")"
		! grep -q ':[0-9]*:[0-9]*: ' "$D/err" || fail "$(cat "$D/err")"
	done
	[ "$n" -ge 9 ] || fail "only $n example scripts found"
}
