#!/usr/bin/env bats
# 60-shell.bats - fcgitool shell (and request -I): scripts piped in against
# fcgitool serve --fn builtin, fakepeer and proxypeer (every command, raw
# records with bad versions and paddings, splits, saved sessions replayed
# to the same records), then the terminal through tmux (completion, hints,
# history with a secret left out, ^C aborting a slow request).

load test_helper
load ../interop/serve

setup() {
	D=$BATS_TEST_TMPDIR
	cd "$D" || return 1
	export HOME=$D XDG_STATE_HOME=$D/state NO_COLOR=1
	unset VISUAL EDITOR
}

teardown() {
	# The tests' own tmux servers, on their own sockets, never the user's.
	local s
	for s in "$D"/tmux*.sock; do
		if [ -S "$s" ]; then
			tmux -S "$s" kill-server 2>/dev/null || true
		fi
	done
	kill_tracked
}

# serve_up: fcgitool serve --fn builtin on a unix socket; sets ADDR.
serve_up() {
	start_serve --fn builtin "$D/s.sock"
	ADDR=$SERVE_ADDR
}

# shell_run [fcgitool shell options]: the script on stdin, against ADDR.
shell_run() {
	run --separate-stderr "$FCGITOOL" shell "$@" "$ADDR"
}

# The records of a -v trace or a raw exchange without their time stamps.
records() {
	sed -n 's/^[0-9][0-9]*\.[0-9]* \(c[0-9]*\|raw\) /\1 /p'
}

# ---- usage -----------------------------------------------------------------

@test "shell -h prints the usage to stdout" {
	run -0 --separate-stderr "$FCGITOOL" shell -h
	assert_output "usage: fcgitool shell [-v] [--redact name] address"
	[ -z "$stderr" ]
}

@test "shell: a missing address, an extra argument or a bad option is a usage error" {
	run -2 --separate-stderr "$FCGITOOL" shell
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool shell: missing address"
	assert_equal "$(echo "$stderr" | sed -n 2p)" \
		"usage: fcgitool shell [-v] [--redact name] address"
	run -2 --separate-stderr "$FCGITOOL" shell a:1 b:2
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool shell: unexpected argument 'b:2'"
	run -2 --separate-stderr "$FCGITOOL" shell --bogus a:1
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool shell: unknown option '--bogus'"
	run -2 --separate-stderr "$FCGITOOL" shell a:1 --redact
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool shell: option '--redact' needs an argument"
}

@test "shell: a bad address is named" {
	run -2 --separate-stderr "$FCGITOOL" shell 'nohost:99999' </dev/null
	assert_equal "$stderr" \
		"fcgitool shell: bad address: bad port in 'nohost:99999' (0 to 65535)"
}

@test "shell: an empty script does nothing and exits 0" {
	ADDR=unix:$D/nobody.sock
	shell_run </dev/null
	assert_success
	[ -z "$output" ] && [ -z "$stderr" ]
}

# ---- building the request ---------------------------------------------------

@test "shell: set, unset, header, method, uri and body make the params request would" {
	ADDR=unix:$D/nobody.sock
	shell_run <<'EOF'
uri /a%20b/x.php?q=1
method PUT
header Content-Type: text/plain
header X-Trace: abc
header X-Trace: def
header User-Agent: probe
header User-Agent:
set FOO "bar baz"
set EMPTY ""
unset SERVER_SOFTWARE
body "hello\n"
params
EOF
	assert_success
	assert_line "  QUERY_STRING = q=1"
	assert_line "  REQUEST_METHOD = PUT"
	assert_line "  CONTENT_TYPE = text/plain"
	assert_line "  CONTENT_LENGTH = 6"
	assert_line "  SCRIPT_NAME = /a b/x.php"
	assert_line "  REQUEST_URI = /a%20b/x.php?q=1"
	assert_line "  SCRIPT_FILENAME = $D/a b/x.php"
	assert_line "  HTTP_X_TRACE = def"
	refute_line --partial "HTTP_USER_AGENT"
	refute_line --partial "SERVER_SOFTWARE"
	assert_line "  FOO = bar baz"
	assert_line "  EMPTY = "
	# The same params as fcgitool request's own code builds.
	[ "$(echo "$output" | grep -c ' = ')" -eq 23 ]
}

@test "shell: show gives the whole request with secrets masked" {
	ADDR=unix:$D/nobody.sock
	shell_run --redact X_SECRET <<'EOF'
header Cookie: session=42
header Authorization: Bearer t0k3n
set X_SECRET hush
role authorizer
keep-conn on
body @/etc/hostname
timeout 2.5
show
EOF
	assert_success
	assert_line "target   unix:$D/nobody.sock (no connection open)"
	assert_line "role     AUTHORIZER, keep-conn on"
	assert_line "method   POST (default with a body)"
	assert_line "header   Cookie: ***"
	assert_line "header   Authorization: ***"
	assert_line "body     @/etc/hostname"
	assert_line "timeout  total 2.500 s"
	assert_line "  HTTP_COOKIE = ***"
	assert_line "  HTTP_AUTHORIZATION = ***"
	assert_line "  X_SECRET = ***"
	refute_output --partial "t0k3n"
	refute_output --partial "session=42"
	refute_output --partial "hush"
}

@test "shell: preset and reset start the request again" {
	ADDR=unix:$D/nobody.sock
	shell_run <<'EOF'
set A 1
preset php-fpm-status
params
reset
show
EOF
	assert_success
	assert_line "  SCRIPT_NAME = /status"
	assert_line "  SCRIPT_FILENAME = /status"
	refute_line "  A = 1"
	assert_line "uri      /"
	assert_line "body     none"
}

@test "shell: defaults off, env on and root change the params" {
	ADDR=unix:$D/nobody.sock
	FCGITOOL_PROBE=yes shell_run <<'EOF'
root /srv/www
params
defaults off
env on
set ONLY 1
params
EOF
	assert_success
	assert_line "  DOCUMENT_ROOT = /srv/www"
	assert_line "  SCRIPT_FILENAME = /srv/www/"
	assert_line "  FCGITOOL_PROBE = yes"
	assert_line "  ONLY = 1"
}

@test "shell: bad commands are named with their line, and end a script with 2" {
	ADDR=unix:$D/nobody.sock
	shell_run <<'EOF'
set A 1
sned
show
EOF
	assert_failure 2
	assert_equal "$stderr" \
		"fcgitool shell: line 2: unknown command 'sned' (try help)"
	[ -z "$output" ]
	local -a bad=(
		"set A|set: missing argument; usage: set NAME VALUE"
		"uri x|uri: 'x' must begin with '/'"
		"role boss|role: unknown role 'boss': expected responder, authorizer or filter"
		"keep-conn maybe|keep-conn: expected on or off, not 'maybe'"
		"set A \"b|unterminated \" quote"
		"raw STDIN|raw: missing ID; usage: raw [-nx] [-L LEN] [-P PAD] [-R RES] [-V VER] TYPE ID [CONTENT]"
		"raw FOO 1|raw: unknown record type 'FOO'"
		"raw STDIN 70000|raw: bad request id '70000': expected 0 to 65535"
		"raw -V 300 STDIN 1|raw: bad version '300': expected 0 to 255"
		"raw -x STDIN 1 abc|raw: bad hex 'abc'"
		"split 0|split: bad size '0': expected 1 to 65535 or off"
		"timeout soon|timeout: bad value 'soon': expected seconds"
		"preset apache|preset: unknown preset 'apache': expected nginx, php-fpm-status or php-fpm-ping"
		"body @-|body: standard input holds the commands; name a file"
		"repeat 0|repeat: bad count '0': expected 1 to 1000000"
		"again|again: nothing was sent yet"
		"watch 0|watch: bad interval '0': expected seconds"
		"source $D/none|source: cannot read '$D/none': No such file or directory"
		"header nocolon|header: expected 'Name: value', not 'nocolon'"
	)
	local b
	for b in "${bad[@]}"; do
		run --separate-stderr "$FCGITOOL" shell "$ADDR" <<<"${b%%|*}"
		assert_equal "$status" 2
		assert_equal "$stderr" "fcgitool shell: line 1: ${b#*|}"
	done
}

@test "shell: help lists every command" {
	ADDR=unix:$D/nobody.sock
	shell_run <<<"help"
	assert_success
	local c
	for c in show params set unset header method uri body role keep-conn \
		preset reset send again repeat watch wait get-values abort connect \
		close raw split read save source show-cmd; do
		assert_line --regexp "^  $c "
	done
	shell_run <<<"help set"
	assert_line --index 0 "set NAME VALUE"
}

# ---- sending ----------------------------------------------------------------

@test "shell: send shows the answer as request -i does, STDERR apart, then END_REQUEST and timings" {
	serve_up
	shell_run <<'EOF'
uri /stderr?msg=note
send
EOF
	assert_success
	assert_line --index 0 $'Content-Type: text/plain\r'
	assert_line --index 1 $'\r'
	assert_line --index 2 "1 lines on stderr"
	assert_line --index 3 --regexp '^-- END_REQUEST appStatus=0 protocolStatus=REQUEST_COMPLETE; status 200; 18 bytes; connect [0-9.]+ ms, first byte [0-9.]+ ms, total [0-9.]+ ms$'
	assert_equal "$stderr" "note"
}

@test "shell: the exit status is that of the last request, as request defines it" {
	serve_up
	shell_run <<'EOF'
uri /hello
send
uri /status?exit=3
send
EOF
	assert_failure 1
	assert_line --regexp '^-- END_REQUEST appStatus=3 protocolStatus=REQUEST_COMPLETE; status 200'
	assert_equal "$stderr" "fcgitool shell: '/status?exit=3': appStatus 3"
	shell_run <<'EOF'
uri /status?exit=3
send
uri /hello
send
EOF
	assert_success
	ADDR=unix:$D/nobody.sock
	shell_run <<<"send"
	assert_failure 3
	assert_line --regexp '^-- no END_REQUEST: '
}

@test "shell: send -v shows every record through the renderer" {
	serve_up
	shell_run <<'EOF'
uri /hello?name=shell
send -v
EOF
	assert_success
	run records <<<"$output"
	assert_line --index 0 "c1 ** connect $ADDR"
	assert_line --regexp '^c1 -> BEGIN_REQUEST +id=1 len=8 +role=RESPONDER flags=0x00$'
	assert_line --regexp '^c1 -> PARAMS +id=1 len=[0-9]+ pad=[0-9]+ +20 pairs$'
	assert_line --regexp '^c1 -> STDIN +id=1 len=0 +end of stream$'
	assert_line --regexp '^c1 <- STDOUT +id=1 len=42 pad=6 +"Content-Type: text/plain\\r\\n\\r\\nHello, shell!\\n"$'
	assert_line --regexp '^c1 <- END_REQUEST +id=1 len=8 +appStatus=0 protocolStatus=REQUEST_COMPLETE$'
}

@test "shell: a body is sent from text, from a file and from \$EDITOR" {
	serve_up
	printf 'from a file' >"$D/body.txt"
	printf '#!/bin/sh\nprintf "edited:" >>"$1"\n' >"$D/ed.sh"
	chmod +x "$D/ed.sh"
	EDITOR=$D/ed.sh shell_run <<'EOF'
uri /echo
body "a\x00b"
send
body @body.txt
send
body edit
send
EOF
	assert_success
	assert_output --partial '"bodyLength":3,"bodyB64":"YQBi"}'
	assert_output --partial '"bodyLength":11,"body":"from a file"}'
	assert_output --partial '"bodyLength":18,"body":"from a fileedited:"}'
	assert_output --partial '{"name":"CONTENT_LENGTH","value":"18"}'

}

@test "shell: again sends the last request sent, not the one being built" {
	serve_up
	shell_run <<'EOF'
uri /hello?name=first
send
uri /hello?name=second
again
EOF
	assert_success
	[ "$(echo "$output" | grep -c 'Hello, first!')" -eq 2 ]
	refute_output --partial "second"
}

@test "shell: repeat sends N times, a line each, on a kept connection" {
	serve_up
	shell_run <<'EOF'
uri /hello
keep-conn on
repeat -v 3
EOF
	assert_success
	assert_line --regexp '^#1 status 200, appStatus 0, REQUEST_COMPLETE, 14 bytes, [0-9.]+ ms$'
	assert_line --regexp '^#3 status 200'
	assert_line --regexp '^3 requests, 3 ok; total min [0-9.]+ ms, avg [0-9.]+ ms, max [0-9.]+ ms$'
	# One connection for all three.
	[ "$(echo "$output" | grep -c ' \*\* connected ')" -eq 1 ]
	[ "$(echo "$output" | grep -c ' \*\* reuse ')" -eq 2 ]
}

@test "shell: watch shows the first answer, then only what changed" {
	serve_up
	shell_run <<'EOF'
uri /hello
watch 0.05 3
uri /status?code=503
watch 0.05 2
EOF
	assert_success
	assert_line --regexp '^-- [0-9:]+ round 1$'
	assert_line "  Hello, world!"
	assert_line "-- 3 rounds"
	refute_line --regexp 'round [23]: changed'
	assert_line "-- 2 rounds"
	shell_run <<'EOF'
uri /counter
watch 0.05 2
EOF
	assert_line --regexp '^-- [0-9:]+ round 2: changed$'
	assert_line --regexp '^- 1 [0-9]+$'
	assert_line --regexp '^\+ [12] [0-9]+$'
}

@test "shell: get-values asks the server's FCGI_* values" {
	serve_up
	shell_run <<'EOF'
get-values
get-values FCGI_MPXS_CONNS
EOF
	assert_success
	assert_line --index 0 "FCGI_MAX_CONNS=1024"
	assert_line --index 1 "FCGI_MAX_REQS=1024"
	assert_line --index 2 "FCGI_MPXS_CONNS=1"
	assert_line --index 3 "FCGI_MPXS_CONNS=1"
}

@test "shell: show-cmd prints the request command that sends the same request" {
	serve_up
	shell_run <<'EOF'
uri /env?a=1
method POST
header X-Quote: "it's \"here\""
set ODD "tab\there"
set NUL "a\x00b"
unset SERVER_PORT
body "x=1"
show-cmd
send
EOF
	assert_success
	local cmd answer
	cmd=$(echo "$output" | head -1)
	assert_equal "$cmd" "fcgitool request -d x=1 -H 'X-Quote: it'\\''s \"here\"' -P 'ODD=tab\\there' -P 'NUL=a\\x00b' -p SERVER_PORT -X POST $ADDR '/env?a=1'"
	answer=$(echo "$output" | sed -n '2,/^-- END_REQUEST/p' | sed '$d')
	run -0 sh -c "PATH=\$(dirname \"$FCGITOOL\"):\$PATH; ${cmd/fcgitool request/fcgitool request -i}"
	assert_equal "$output" "$answer"
}

# ---- raw records ------------------------------------------------------------

@test "shell: raw records with any version, padding, reserved byte and length reach the wire as written" {
	local peer=$BUILD/tests/helpers/proxypeer
	"$peer" listen "unix:$D/p.sock" -o "$D/got" -r "$D/ready" -t 5 3>&- &
	track $!
	for _ in $(seq 1 100); do [ -f "$D/ready" ] && break; sleep 0.05; done
	ADDR=unix:$D/p.sock
	shell_run <<'EOF'
raw -V 2 -R 7 -P 3 STDIN 1 ab
raw -x -L 100 PARAMS 513 0102 ff
raw -n GET_VALUES 0 FCGI_MAX_CONNS
raw BEGIN_REQUEST 1 filter keep
raw END_REQUEST 1 3 OVERLOADED
raw 200 1
close
EOF
	assert_success
	for _ in $(seq 1 100); do [ -s "$D/got" ] && grep -q . "$D/got" && break; sleep 0.05; done
	sleep 0.2
	run -0 xxd -p -c 1000 "$D/got"
	assert_output "$(printf '%s' \
		0205000100020307 6162 000000 \
		0104020100640500 0102ff 0000000000 \
		0109000000100000 0e00 4643 4749 5f4d 4158 5f43 4f4e 4e53 \
		0101000100080000 0003010000000000 \
		0103000100080000 0000000302000000 \
		01c8000100000000)"
}

@test "shell: raw records against serve: findings both ways, bad versions, paddings and splits" {
	serve_up
	shell_run <<'EOF2'
raw -P 0 BEGIN_REQUEST 1 responder keep
raw -P 3 -n PARAMS 1 SCRIPT_FILENAME=/x/hello REQUEST_METHOD=GET
raw PARAMS 1
split 3 1
raw STDIN 1
read
split off
raw -n GET_VALUES 0 FCGI_MPXS_CONNS
read
raw -V 2 -R 9 STDIN 1 hi
read
EOF2
	# The server closes a KEEP_CONN connection on a bad version: the
	# observer reports it, and read says 4.
	assert_failure 4
	run records <<<"$output"
	assert_line --index 0 "raw ** connected $ADDR"
	assert_line --regexp '^raw -> BEGIN_REQUEST +id=1 len=8 +role=RESPONDER flags=KEEP_CONN$'
	assert_line --regexp '^raw -> PARAMS +id=1 len=44 pad=3 +2 pairs$'
	assert_line "raw !! note unaligned to-app offset=16 record=2 id=1: PARAMS record of 55 bytes (8 + 44 content + 3 padding) is not a multiple of 8"
	assert_line "raw ** split 8 bytes in 3 writes of 3, 1 ms apart"
	assert_line --regexp '^raw <- STDOUT +id=1 len=42 pad=6 +"Content-Type: text/plain\\r\\n\\r\\nHello, world!\\n"$'
	assert_line --regexp '^raw <- END_REQUEST +id=1 len=8 +appStatus=0 protocolStatus=REQUEST_COMPLETE$'
	assert_line --regexp '^raw <- GET_VALUES_RESULT +id=0 len=18 pad=6 +1 pair$'
	assert_line "raw ** crafted version=2 type=STDIN id=1 contentLength=2 with 2 bytes of content, paddingLength=6, reserved=9"
	assert_line --partial "raw !! spec bad-version to-app offset=119 record=6 id=0: bad version 2 at offset 119 (record 6)"
	assert_line "raw !! spec closed-keep-conn to-web offset=112 record=5 id=0: the app closed the connection after a KEEP_CONN request"
	assert_line "raw ** eof the server closed the connection"
}

@test "shell: read exits 4 when the server breaks the protocol, 3 without a connection" {
	local peer=$BUILD/tests/helpers/fakepeer
	cat >"$D/script" <<'EOF2'
read-request
send-text STDOUT 0 oops
end-request 1
EOF2
	"$peer" "$D/p.sock" "$D/script" 2>"$D/peer.err" 3>&- &
	track $!
	wait_for "unix:$D/p.sock"
	ADDR=unix:$D/p.sock
	shell_run <<'EOF2'
raw BEGIN_REQUEST 1
raw PARAMS 1
raw STDIN 1
read
EOF2
	assert_failure 4
	run records <<<"$output"
	assert_line --partial "raw !! spec app-null-id to-web"
	ADDR=unix:$D/nobody.sock
	shell_run <<<"read"
	assert_failure 3
	assert_equal "$stderr" "fcgitool shell: line 1: read: no raw connection is open"
}

@test "shell: abort sends ABORT_REQUEST for what is open on the raw connection" {
	serve_up
	shell_run <<'EOF2'
raw BEGIN_REQUEST 2 responder keep
raw -n PARAMS 2 SCRIPT_FILENAME=/x/hang
raw PARAMS 2
raw STDIN 2
read 0.2
abort
read
EOF2
	assert_success
	run records <<<"$output"
	assert_line "raw ** read nothing came in 200 ms"
	assert_line --regexp '^raw -> ABORT_REQUEST +id=2 len=0$'
	assert_line --regexp '^raw <- END_REQUEST +id=2 len=8 +appStatus=[0-9]+ protocolStatus=REQUEST_COMPLETE$'
}

@test "shell: connect and close open and close the raw connection" {
	serve_up
	shell_run <<EOF2
connect unix:$D/nobody.sock
connect $ADDR
close
close
EOF2
	# A failed connect says 3; what follows sends no request.
	assert_failure 3
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool shell: line 1: cannot connect to 'unix:$D/nobody.sock': no such file or directory"
	run records <<<"$output"
	assert_line --index 0 "raw ** connected $ADDR"
	assert_line --index 1 "raw ** close $ADDR"
	shell_run <<<"close"
	assert_output "no connection is open"
}

@test "shell: a saved session replays to the same records" {
	serve_up
	shell_run <<'EOF2'
uri /hello?name=a
set X 1
header Cookie: c=1
send -v
keep-conn on
uri /echo
body "data\x00"
send -v
again -v
uri /status?code=404
repeat -v 2
raw BEGIN_REQUEST 1 responder keep
raw -n PARAMS 1 SCRIPT_FILENAME=/x/hello "ODD NAME=a b"
raw PARAMS 1
split 4 1
raw STDIN 1
read
split off
raw -x -P 0 GET_VALUES 0
read
raw -V 3 STDIN 1
read
keep-conn off
uri /hello
send
set LATER 1
save session.fcgi
EOF2
	assert_success
	local first
	first=$(echo "$output" | records | sed 's/ in [0-9.]* ms$//')
	[ "$(echo "$first" | grep -c ' -> BEGIN_REQUEST')" -eq 6 ]
	[ -f session.fcgi ]
	[ "$(stat -c %a session.fcgi)" = 600 ]
	run -0 grep -c '^send -v$' session.fcgi
	assert_output 2
	grep -qx 'set LATER 1' session.fcgi
	shell_run <session.fcgi
	assert_success
	assert_equal "$(echo "$output" | records | sed 's/ in [0-9.]* ms$//')" "$first"
	# source replays it the same way.
	shell_run <<<"source session.fcgi"
	assert_success
	assert_equal "$(echo "$output" | records | sed 's/ in [0-9.]* ms$//')" "$first"
}

@test "shell: source runs a file's commands; errors name the file and line" {
	ADDR=unix:$D/nobody.sock
	printf 'set A 1\n# a comment\n\nset B "2 3"\n' >"$D/ok.fcgi"
	printf 'set C 1\nbogus\n' >"$D/bad.fcgi"
	printf 'source loop.fcgi\n' >"$D/loop.fcgi"
	shell_run <<'EOF2'
source ok.fcgi
params
EOF2
	assert_success
	assert_line "  A = 1"
	assert_line "  B = 2 3"
	shell_run <<<"source bad.fcgi"
	assert_failure 2
	assert_equal "$stderr" "fcgitool shell: bad.fcgi:2: unknown command 'bogus' (try help)"
	shell_run <<<"source loop.fcgi"
	assert_failure 2
	assert_equal "$stderr" "fcgitool shell: loop.fcgi:1: source: 'loop.fcgi': nested more than 8 deep"
}

@test "shell: data, timeout, bytes and exit" {
	serve_up
	printf 'filter data' >"$D/d.txt"
	shell_run <<'EOF2'
uri /env
data @d.txt
params
send
EOF2
	assert_failure 1
	assert_line "  FCGI_DATA_LENGTH = 11"
	assert_line --regexp '^-- END_REQUEST appStatus=0 protocolStatus=UNKNOWN_ROLE; 0 bytes; '
	assert_equal "$stderr" "fcgitool shell: '/env': the server answered UNKNOWN_ROLE"
	shell_run <<'EOF2'
uri /sleep?ms=5000
timeout 0.2
send
EOF2
	assert_failure 3
	assert_line --regexp '^-- .*: timed out after 200 ms \(ABORT_REQUEST sent\); '
	shell_run <<'EOF2'
bytes -x 01 0b 00 00 00 08 00 00
bytes "\x01\x02\x03\x04\x05\x06\x07\x08"
read 0.2
exit
send
EOF2
	assert_success
	run records <<<"$output"
	assert_line 'raw ** bytes 8: "\x01\x0b\x00\x00\x00\x08\x00\x00"'
	assert_line --regexp '^raw -> UNKNOWN_TYPE +id=0 len=8 +type=1 \(BEGIN_REQUEST\)$'
	assert_line --partial 'raw !! spec wrong-direction to-app offset=0 record=1 id=0'
	refute_line --partial 'c1 '
}

@test "shell: send -b sends in the background; wait and abort end it" {
	serve_up
	shell_run <<'EOF2'
uri /slow?chunks=20&ms=200
send -b
wait 0.5
abort
uri /hello
send -b
wait
send -b
EOF2
	assert_success
	assert_line 'chunk 1 of 20'
	assert_line '-- still in flight after 0.5 s'
	assert_line --regexp '^-- END_REQUEST appStatus=[0-9]+ protocolStatus=REQUEST_COMPLETE: interrupted \(ABORT_REQUEST sent\); status 200; '
	refute_line 'chunk 20 of 20'
	assert_equal "$stderr" "fcgitool shell: '/slow?chunks=20&ms=200': interrupted"
	# The last one is waited for at the end of the script.
	[ "$(echo "$output" | grep -c '^Hello, world!$')" -eq 2 ]
	shell_run <<'EOF2'
uri /slow?chunks=3&ms=100
send -b
send
EOF2
	assert_failure 2
	assert_equal "$stderr" "fcgitool shell: line 3: send: a request is in flight in the background; wait or abort first"
	shell_run <<<"wait"
	assert_success
	assert_equal "$stderr" "fcgitool shell: line 1: wait: nothing is in flight"
}


@test "request -I starts the shell with the request its options build" {
	serve_up
	run --separate-stderr "$FCGITOOL" request -I -v -X POST -d 'a=1' \
		-H 'X-A: b' -p FOO=bar -P 'N\x3d=v\x01' --keep-conn \
		--role responder -m 5 "$ADDR" /echo <<'EOF2'
show-cmd
send
EOF2
	assert_success
	assert_line --index 0 "fcgitool request --keep-conn -d a=1 -H 'X-A: b' -m 5 -p FOO=bar -P 'N\\x3d=v\\x01' -X POST $ADDR /echo"
	assert_output --partial '{"name":"HTTP_X_A","value":"b"},{"name":"FOO","value":"bar"},{"name":"N=","value":"v\u0001"}],"bodyLength":3,"body":"a=1"}'
	# -v: sends are traced.
	assert_line --regexp '^[0-9.]+ c1 -> BEGIN_REQUEST +id=1 len=8 +role=RESPONDER flags=KEEP_CONN$'
	local o
	for o in --json --get-values "-o x" "-n 2" "--mpx 2" "--abort-after 5" -f -s; do
		# shellcheck disable=SC2086
		run -2 --separate-stderr "$FCGITOOL" request -I $o "$ADDR" </dev/null
		assert_equal "$(echo "$stderr" | head -1)" \
			"fcgitool request: ${o%% *} cannot be combined with -I"
	done
	run -2 --separate-stderr "$FCGITOOL" request -I -d @- "$ADDR" </dev/null
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool request: -d @- cannot be combined with -I: standard input holds the shell's commands"
}

# ---- on a terminal, through tmux ----------------------------------------

tm() {
	tmux -S "${TMUX_SOCK:-$D/tmux.sock}" "$@"
}

# term COMMAND...: run it in a 150x40 terminal of a tmux server of this
# test's own; the shell's exit status shows as "EXITED n".
term() {
	need tmux "the terminal tests drive a real terminal"
	tm -f /dev/null new-session -d -s t -x 150 -y 40 \
		"$*; echo EXITED \$?; sleep 600"
}

screen() {
	tm capture-pane -p -t t
}

# until_screen REGEXP: wait (up to 10 s) for the screen to match (tmux
# drops the blanks at the ends of lines).
until_screen() {
	local _
	for _ in $(seq 1 200); do
		screen | grep -qE -- "$1" && return 0
		sleep 0.05
	done
	echo "the screen never matched '$1':" >&2
	screen >&2
	return 1
}

keys() {
	tm send-keys -t t "$@"
}

@test "terminal: Tab completes a command, a param name and a header name" {
	serve_up
	term "$FCGITOOL" shell "$ADDR"
	until_screen "^$ADDR>$"
	keys 'pres' Tab
	until_screen "^$ADDR> preset$"
	keys 'php-fpm-p' Tab
	until_screen "^$ADDR> preset php-fpm-ping$"
	keys C-u 'set HTTP_USER_A' Tab
	until_screen "^$ADDR> set HTTP_USER_AGENT$"
	keys 'probe' Enter
	keys 'header Content-T' Tab
	until_screen "^$ADDR> header Content-Type:$"
	keys 'text/x' Enter 'raw GET_VAL' Tab
	until_screen "^$ADDR> raw GET_VALUES"
	keys C-u 'params' Enter
	until_screen '^  HTTP_USER_AGENT = probe$'
	until_screen '^  CONTENT_TYPE = text/x$'
	keys 'quit' Enter
	until_screen '^EXITED 0$'
}

@test "terminal: a dim hint after the cursor names the arguments still to type" {
	serve_up
	unset NO_COLOR
	term "$FCGITOOL" shell "$ADDR"
	until_screen "^$ADDR>$"
	keys 'set '
	until_screen "^$ADDR> set NAME VALUE$"
	run -0 tm capture-pane -p -e -t t
	assert_output --partial $'\e[2mNAME VALUE'
	keys 'FOO'
	until_screen "^$ADDR> set FOO VALUE$"
	keys ' bar'
	until_screen "^$ADDR> set FOO bar$"
	keys C-u 'raw '
	until_screen "^$ADDR> raw \[-nx\] \[-L LEN\]"
	# Accepting the line wipes the hint.
	keys C-u 'set FOO'
	until_screen "^$ADDR> set FOO VALUE$"
	keys Enter
	until_screen 'set: missing argument'
	run -0 screen
	assert_line "$ADDR> set FOO"
	keys 'quit' Enter
	until_screen '^EXITED'
}

@test "terminal: history across two sessions, secrets masked or left out" {
	serve_up
	term "$FCGITOOL" shell --redact X_TOKEN "$ADDR"
	until_screen "^$ADDR>$"
	keys 'header Cookie: session=s3cret' Enter
	keys 'set HTTP_AUTHORIZATION "Basic eHl6"' Enter
	keys 'set X_TOKEN abc123' Enter
	keys 'raw -n PARAMS 1 HTTP_COOKIE=c00kie A=1' Enter
	keys 'body "Cookie: inline"' Enter
	keys 'set FOO bar' Enter
	keys 'quit' Enter
	until_screen '^EXITED 0$'
	local h=$XDG_STATE_HOME/fcgitool/history
	[ "$(stat -c %a "$h")" = 600 ]
	run -0 cat "$h"
	assert_line 'header Cookie: ***'
	assert_line 'set HTTP_AUTHORIZATION ***'
	assert_line 'set X_TOKEN ***'
	assert_line 'raw -n PARAMS 1 HTTP_COOKIE=*** A=1'
	assert_line 'set FOO bar'
	assert_line 'quit'
	refute_output --partial 's3cret'
	refute_output --partial 'eHl6'
	refute_output --partial 'abc123'
	refute_output --partial 'c00kie'
	refute_output --partial 'inline'
	tm kill-server
	# A second session (in a terminal of its own) finds the lines with Up.
	TMUX_SOCK=$D/tmux2.sock
	term "$FCGITOOL" shell --redact X_TOKEN "$ADDR"
	until_screen "^$ADDR>$"
	keys Up
	until_screen "^$ADDR> quit$"
	keys Up
	until_screen "^$ADDR> set FOO bar$"
	keys Enter 'params' Enter
	until_screen '^  FOO = bar$'
	keys 'quit' Enter
	until_screen '^EXITED 0$'
}

@test "terminal: ^C aborts a slow request and the shell goes on" {
	serve_up
	term "$FCGITOOL" shell "$ADDR"
	until_screen "^$ADDR>$"
	keys 'uri /slow?chunks=100&ms=300' Enter 'send' Enter
	until_screen '^chunk 2 of 100$'
	keys C-c
	until_screen '^-- .*interrupted \(ABORT_REQUEST sent\)'
	until_screen "fcgitool shell: '/slow\?chunks=100&ms=300': interrupted"
	until_screen "^$ADDR>$"
	keys 'uri /hello' Enter 'send' Enter
	until_screen '^Hello, world!$'
	# ^C at the prompt drops the line being edited.
	keys 'set HALF'
	until_screen "^$ADDR> set HALF$"
	keys C-c
	until_screen "^$ADDR> set HALF\^C$"
	keys 'params' Enter
	until_screen '^  HTTP_HOST = localhost$'
	run -0 screen
	refute_output --partial 'HALF ='
	keys C-d
	until_screen '^EXITED 0$'
}

@test "terminal: the prompt shows an open kept connection, and when the server closes it" {
	start_serve --fn builtin --idle-timeout 1 "$D/s.sock"
	ADDR=$SERVE_ADDR
	term "$FCGITOOL" shell "$ADDR"
	until_screen "^$ADDR>$"
	keys 'keep-conn on' Enter 'uri /hello' Enter 'send' Enter
	until_screen "^$ADDR \[open\]>$"
	# serve closes the idle connection after a second; the prompt follows
	# without a key pressed.
	until_screen "^$ADDR>$"
	keys 'connect' Enter
	until_screen "^$ADDR \[raw\]>$"
	keys 'close' Enter
	until_screen "^$ADDR>$"
	keys 'quit' Enter
	until_screen '^EXITED 0$'
}

@test "terminal: send -b prints its answer above the prompt; abort ends it" {
	serve_up
	term "$FCGITOOL" shell "$ADDR"
	until_screen "^$ADDR>$"
	keys 'uri /slow?chunks=100&ms=200' Enter 'send -b' Enter
	until_screen '^chunk 2 of 100$'
	# The line being typed stays under the answer as it comes.
	keys 'set HALF'
	until_screen '^chunk 4 of 100$'
	run -0 screen
	assert_line "$ADDR> set HALF"
	keys C-u 'abort' Enter
	until_screen '^-- .*interrupted \(ABORT_REQUEST sent\)'
	until_screen "^$ADDR>$"
	# The last request was interrupted: 3.
	keys 'quit' Enter
	until_screen '^EXITED 3$'
}
