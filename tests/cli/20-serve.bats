#!/usr/bin/env bats
# 20-serve.bats - fcgitool serve: options and their errors, the function
# and process runners, the one timeout, refusals, deadlines and shutdown.
# Requests are made by tests/helpers/fcgiload, which decodes the answers
# with the library's conn in WEB mode and checks appStatus and output.

load test_helper
load ../interop/serve

setup() {
	D=$BATS_TEST_TMPDIR
	SOCK=$D/s.sock
}

teardown() {
	kill_tracked
}

# ---- options and usage errors ----------------------------------------

@test "serve -h prints the usage to stdout" {
	run -0 --separate-stderr "$FCGITOOL" serve -h
	assert_line --index 0 --partial "usage: fcgitool serve [-h] [--exec]"
	[ -z "$stderr" ]
}

@test "serve: an unknown option is a usage error" {
	run -2 --separate-stderr "$FCGITOOL" serve --bogus
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: unknown option '--bogus'"
	assert_equal "$(echo "$stderr" | sed -n 2p)" \
		"usage: fcgitool serve [-h] [--exec] [--json] [--no-mpx] [--raw-stdin]"
	[ -z "$output" ]
}

@test "serve: an option without its value is a usage error" {
	run -2 --separate-stderr "$FCGITOOL" serve --timeout
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: option '--timeout' needs an argument"
}

@test "serve: bad option values are named" {
	run -2 --separate-stderr "$FCGITOOL" serve --timeout soon
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --timeout 'soon': not a number of seconds"
	run -2 --separate-stderr "$FCGITOOL" serve --max-reqs 0
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --max-reqs '0': not a number from 1 to 65535"
	run -2 --separate-stderr "$FCGITOOL" serve --max-conns -3
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --max-conns '-3': not a number from 1 to 1000000"
	run -2 --separate-stderr "$FCGITOOL" serve --timeout-status 99
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --timeout-status '99': not a status from 100 to 599"
	run -2 --separate-stderr "$FCGITOOL" serve --mode 0999
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --mode '0999': not an octal mode from 0 to 0777"
	run -2 --separate-stderr "$FCGITOOL" serve --idle-timeout -1
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --idle-timeout '-1': not a number of seconds"
	run -2 --separate-stderr "$FCGITOOL" serve --read-timeout 1x
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --read-timeout '1x': not a number of seconds"
}

@test "serve: --exec and --fn together, or --root alone, are usage errors" {
	run -2 --separate-stderr "$FCGITOOL" serve --exec --fn builtin
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: --exec and --fn cannot be combined"
	run -2 --separate-stderr "$FCGITOOL" serve --root /tmp
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: --root needs --exec"
}

@test "serve: --workers and --isolate: bounds and combinations" {
	run -2 --separate-stderr "$FCGITOOL" serve --workers 0
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --workers '0': not a number from 1 to 1024"
	run -2 --separate-stderr "$FCGITOOL" serve --workers 1025
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --workers '1025': not a number from 1 to 1024"
	run -2 --separate-stderr "$FCGITOOL" serve --workers four
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --workers 'four': not a number from 1 to 1024"
	run -2 --separate-stderr "$FCGITOOL" serve --isolate process
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --isolate 'process': not 'pool', 'worker', 'request' or 'none'"
	run -2 --separate-stderr "$FCGITOOL" serve --exec --workers 2
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: --exec and --workers cannot be combined"
	run -2 --separate-stderr "$FCGITOOL" serve --exec --isolate pool
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: --exec and --isolate cannot be combined"
	run -2 --separate-stderr "$FCGITOOL" serve --isolate request \
		--workers 2
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: --workers needs --isolate pool or worker"
	# The bounds themselves are taken.
	start_serve --workers 1 "$SOCK"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	children_are "$SERVE_PID" 1
	stop_serve
	start_serve --workers 1024 --isolate pool "$SOCK"
	stop_serve
	assert_equal "$SERVE_STATUS" 0
}

@test "serve: a --root that is not a directory is named" {
	run -2 --separate-stderr "$FCGITOOL" serve --exec --root "$D/nowhere"
	assert_equal "$stderr" \
		"fcgitool serve: bad --root '$D/nowhere': No such file or directory"
	touch "$D/file"
	run -2 --separate-stderr "$FCGITOOL" serve --exec --root "$D/file"
	assert_equal "$stderr" \
		"fcgitool serve: bad --root '$D/file': Not a directory"
}

@test "serve: a bad address is a usage error" {
	run -2 --separate-stderr "$FCGITOOL" serve "127.0.0.1:99999"
	[[ "$stderr" == "fcgitool serve: bad address '127.0.0.1:99999': "* ]]
}

# ---- libraries ---------------------------------------------------------

@test "serve: a file that is not a shared object cannot be loaded" {
	echo "not an ELF file" >"$D/bad.so"
	run -3 --separate-stderr "$FCGITOOL" serve --fn "$D/bad.so" "$SOCK"
	[[ "$stderr" == "fcgitool serve: cannot load '$D/bad.so': $D/bad.so: "* ]]
	[ ! -e "$SOCK" ]
}

@test "serve: a missing library cannot be loaded" {
	run -3 --separate-stderr "$FCGITOOL" serve --fn "$D/none.so" "$SOCK"
	assert_equal "$stderr" \
		"fcgitool serve: cannot load '$D/none.so': $D/none.so: cannot open shared object file: No such file or directory"
}

@test "serve: a missing function gets 404, appStatus 127 and a STDERR line" {
	start_serve --fn "$GREET_SO" "$SOCK"
	run -0 "$FCGILOAD" -v -a 127 -e "Status: 404 Not Found" "$SOCK" /www/nosuch
	assert_line "fcgitool: no function 'nosuch'"
	run -0 "$FCGILOAD" -v -a 127 "$SOCK" /www/greet.so:nosuch
	assert_line "fcgitool: no function 'nosuch' in greet.so"
	run -0 "$FCGILOAD" -v -a 127 "$SOCK" /www/other.so:greet
	assert_line "fcgitool: no function library 'other.so'"
	run -0 "$FCGILOAD" -v -a 127 "$SOCK" "/www/not a name"
	assert_line "fcgitool: SCRIPT_FILENAME '/www/not a name' names no function"
}

@test "serve: a function the library only imports is not called" {
	start_serve --fn "$GREET_SO" "$SOCK"
	run -0 "$FCGILOAD" -v -a 127 "$SOCK" /www/fread
	assert_line "fcgitool: no function 'fread'"
	run -0 "$FCGILOAD" -v -a 127 "$SOCK" /www/system
	assert_line "fcgitool: no function 'system'"
}

@test "serve: functions of an example library, by name and LIB:name" {
	start_serve --fn "$GREET_SO" --fn builtin "$SOCK"
	run -0 "$FCGILOAD" -v -e "Greetings, bob, from greet.so (GET)" \
		"$SOCK" "/srv/www/greet?bob"
	assert_line "greet.so: greeted"
	run -0 "$FCGILOAD" -b 1000 -e "1000 bytes" "$SOCK" /www/greet.so:count
	run -0 "$FCGILOAD" -v -a 1 -e "Status: 400 Bad Request" "$SOCK" /www/count
	assert_line "greet.so: count: empty body"
	run -0 "$FCGILOAD" -e "Hello, world!" "$SOCK" /www/builtin:hello
	run -0 "$FCGILOAD" -e "Hello, world!" "$SOCK" /www/hello
}

# ---- addresses -----------------------------------------------------------

@test "serve: a unix socket gets mode 0600, or --mode, and is removed at exit" {
	start_serve "$SOCK"
	assert_equal "$SERVE_ADDR" "unix:$SOCK"
	assert_equal "$(stat -c %a "$SOCK")" 600
	stop_serve
	assert_equal "$SERVE_STATUS" 0
	[ ! -e "$SOCK" ]
	start_serve --mode 0660 "unix:$SOCK"
	assert_equal "$(stat -c %a "$SOCK")" 660
}

@test "serve: a stale socket file is replaced, a live one is refused" {
	python3 -c 'import socket,sys; s=socket.socket(socket.AF_UNIX); s.bind(sys.argv[1])' "$SOCK"
	[ -S "$SOCK" ]
	start_serve "$SOCK"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	run -3 --separate-stderr "$FCGITOOL" serve "$SOCK"
	assert_equal "$stderr" \
		"fcgitool serve: '$SOCK': somebody is listening there: address already in use"
}

@test "serve: a TCP address in use is refused; port 0 prints the real port" {
	start_serve 127.0.0.1:0
	[[ "$SERVE_ADDR" =~ ^127\.0\.0\.1:[0-9]+$ ]]
	[ "${SERVE_ADDR##*:}" -gt 0 ]
	run -0 "$FCGILOAD" -e "Hello" "$SERVE_ADDR" /hello
	run -3 --separate-stderr "$FCGITOOL" serve "$SERVE_ADDR"
	assert_equal "$stderr" \
		"fcgitool serve: '$SERVE_ADDR': cannot listen: address already in use"
}

@test "serve: IPv6 loopback and several addresses at once" {
	if ! python3 -c 'import socket; s=socket.socket(socket.AF_INET6); s.bind(("::1", 0))' 2>/dev/null; then
		skip "no IPv6 loopback"
	fi
	start_serve "[::1]:0" "$SOCK"
	[[ "$SERVE_ADDR" =~ ^\[::1\]:[0-9]+$ ]]
	grep -q "^fcgitool serve: listening on unix:$SOCK (built-in functions)$" "$SERVE_ERR"
	run -0 "$FCGILOAD" -e "Hello" "$SERVE_ADDR" /hello
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
}

@test "serve with no address says where it listens (127.0.0.1:9000)" {
	if (exec 3<>/dev/tcp/127.0.0.1/9000) 2>/dev/null; then
		skip "something listens on 127.0.0.1:9000"
	fi
	start_serve </dev/null
	assert_equal "$(head -1 "$SERVE_ERR")" \
		"fcgitool serve: listening on 127.0.0.1:9000 (built-in functions)"
	run -0 "$FCGILOAD" -e "Hello" 127.0.0.1:9000 /hello
}

# ---- the function runner --------------------------------------------------

@test "serve: the built-ins answer" {
	start_serve "$SOCK"
	run -0 "$FCGILOAD" -e "Hello, ann!" "$SOCK" "/hello?name=ann"
	run -0 "$FCGILOAD" -v -b 300 "$SOCK" /echo
	assert_line --partial '"method":"POST"'
	assert_line --partial '{"name":"CONTENT_LENGTH","value":"300"}'
	run -0 "$FCGILOAD" -b 100000 -E "$SOCK" "/echo?raw=1"
	run -0 "$FCGILOAD" -v -p HTTP_X_TEST=yes "$SOCK" /env
	assert_line "HTTP_X_TEST=yes"
	run -0 "$FCGILOAD" -a 7 -e "Status: 418 I'm a teapot" "$SOCK" \
		"/status?code=418&exit=7"
	run -0 "$FCGILOAD" -e "Content-Length: 1000000" "$SOCK" "/big?n=1000000"
	run -0 "$FCGILOAD" -v "$SOCK" "/stderr?msg=oops&n=2"
	assert_line "oops"
	run -0 "$FCGILOAD" -e "chunk 3 of 3" "$SOCK" "/slow?chunks=3&ms=10"
	run -0 "$FCGILOAD" -e "slept 50 ms" "$SOCK" "/sleep?ms=50"
	run -0 "$FCGILOAD" -a 2 -v -e "Status: 400 Bad Request" "$SOCK" \
		"/sleep?ms=soon"
	assert_line "fcgitool: builtin: bad ms 'soon'"
}

@test "serve: echo keeps UTF-8 as text and gives other bytes in base64" {
	start_serve "$SOCK"
	run -0 "$FCGILOAD" -v -p "$(printf 'X_TEXT=caf\xc3\xa9 "\\')" \
		-p "$(printf 'X_BYTES=caf\xc3\xa9 \xff')" "$SOCK" /echo
	assert_line --partial "$(printf '{"name":"X_TEXT","value":"caf\xc3\xa9 \\"\\\\"}')"
	assert_line --partial \
		"{\"name\":\"X_BYTES\",\"valueB64\":\"$(printf 'caf\xc3\xa9 \xff' | base64)\"}"
}

@test "serve: echo gives a binary body of 65535 bytes in base64, and its length" {
	need jq "reading echo's JSON"
	head -c 65535 /dev/urandom >"$D/body"
	printf '\377' | dd of="$D/body" bs=1 count=1 conv=notrunc 2>/dev/null
	start_serve "$SOCK"
	run -0 --separate-stderr "$FCGITOOL" request -d @"$D/body" \
		"unix:$SOCK" /echo
	echo "$output" >"$D/json"
	run -0 jq -r '[.kind, .method, .bodyLength, has("body")] | @tsv' \
		"$D/json"
	assert_output "$(printf 'echo\tPOST\t65535\tfalse')"
	jq -j .bodyB64 "$D/json" | base64 -d >"$D/back"
	cmp "$D/body" "$D/back"
	# A UTF-8 body comes as text, its length in bytes.
	run -0 --separate-stderr "$FCGITOOL" request -d "$(printf 'caf\xc3\xa9')" \
		"unix:$SOCK" /echo
	run -0 jq -r '[.bodyLength, .body] | @tsv' <<<"$output"
	assert_output "$(printf '5\tcaf\xc3\xa9')"
}

@test "serve: a crashing function gets 500 and 128+signal, and the server serves on" {
	start_serve "$SOCK"
	run -0 "$FCGILOAD" -v -a 139 -e "Status: 500 Internal Server Error" \
		"$SOCK" /crash
	assert_line "fcgitool: function 'crash' killed by signal 11 (Segmentation fault)"
	run -0 "$FCGILOAD" -a 134 "$SOCK" "/crash?sig=6"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
}

# ---- the one timeout ------------------------------------------------------

@test "serve --timeout: no output yet gives Status 408 and appStatus 408" {
	start_serve --timeout 0.5 "$SOCK"
	SECONDS=0
	run -0 "$FCGILOAD" -v -a 408 -e "Status: 408 Request Timeout" "$SOCK" \
		"/sleep?ms=20000"
	[ "$SECONDS" -lt 5 ]
	assert_line "END_REQUEST appStatus=408 protocolStatus=REQUEST_COMPLETE"
	run -0 "$FCGILOAD" -e "slept 10 ms" "$SOCK" "/sleep?ms=10"
}

@test "serve --timeout-status 504 answers 504 and appStatus 504" {
	start_serve --timeout 0.3 --timeout-status 504 "$SOCK"
	run -0 "$FCGILOAD" -a 504 -e "Status: 504 Gateway Timeout" "$SOCK" \
		"/sleep?ms=20000"
}

@test "serve --timeout after output started ends the streams, appStatus 408" {
	start_serve --timeout 0.5 "$SOCK"
	run -0 "$FCGILOAD" -v -a 408 -e "chunk 1 of 100" "$SOCK" \
		"/slow?chunks=100&ms=200"
	refute_output --partial "Status: 408"
}

@test "serve --timeout kills a function that ignores SIGTERM; no process is left" {
	start_serve --isolate request --timeout 0.3 "$SOCK"
	run -0 "$FCGILOAD" -a 408 "$SOCK" "/hang?term=ignore"
	# SIGKILL one second after SIGTERM, then the child is reaped.
	wait_until 5 no_children "$SERVE_PID"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
}

@test "serve --timeout kills a pool worker that ignores SIGTERM; a new one serves" {
	start_serve --workers 1 --timeout 0.3 "$SOCK"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	old=$(child_pids "$SERVE_PID")
	run -0 "$FCGILOAD" -a 408 -e "Status: 408 Request Timeout" "$SOCK" \
		"/hang?term=ignore"
	# SIGKILL one second after SIGTERM; the worker is reaped and
	# replaced.
	wait_until 5 pool_renewed "$SERVE_PID" 1 "$old"
	run -0 "$FCGILOAD" -v "$SOCK" /counter
	assert_line "1 $(child_pids "$SERVE_PID")"
}

# ---- the worker pool --------------------------------------------------------

@test "serve: a worker keeps its state between requests; --isolate request does not" {
	start_serve --workers 1 "$SOCK"
	for k in 1 2 3; do
		run -0 "$FCGILOAD" -v "$SOCK" /counter
		assert_line "$k $(child_pids "$SERVE_PID")"
	done
	stop_serve
	start_serve --isolate request "$SOCK"
	pids=""
	for k in 1 2 3; do
		run -0 "$FCGILOAD" -v "$SOCK" /counter
		line=$(echo "$output" | grep -E '^[0-9]+ [0-9]+$')
		assert_equal "${line% *}" 1
		pids="$pids ${line#* }"
	done
	# Three requests, three processes.
	assert_equal "$(echo "$pids" | tr ' ' '\n' | grep -c .)" 3
	assert_equal "$(echo "$pids" | tr ' ' '\n' | sort -u | grep -c .)" 3
}

@test "serve: a crash in a pooled worker fails only its request; a new worker answers" {
	start_serve --workers 2 "$SOCK"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	old=$(child_pids "$SERVE_PID")
	# A slow request on one worker while the other crashes.
	"$FCGILOAD" -t 30 -e "chunk 3 of 3" "$SOCK" "/slow?chunks=3&ms=300" \
		>"$D/slow.out" &
	slow=$!
	track "$slow"
	sleep 0.2
	run -0 "$FCGILOAD" -v -a 139 -e "Status: 500 Internal Server Error" \
		"$SOCK" /crash
	assert_line "fcgitool: function 'crash' killed by signal 11 (Segmentation fault)"
	wait "$slow"
	grep -q "ok=1 failed=0" "$D/slow.out"
	# One worker was replaced, the other kept.
	wait_until 5 children_are "$SERVE_PID" 2
	assert_equal "$(comm -12 <(echo "$old") <(child_pids "$SERVE_PID") |
		wc -l)" 1
	# With one worker, the request after a crash gets a fresh one.
	stop_serve
	start_serve --workers 1 "$SOCK"
	run -0 "$FCGILOAD" -v "$SOCK" /counter
	assert_line "1 $(child_pids "$SERVE_PID")"
	old=$(child_pids "$SERVE_PID")
	run -0 "$FCGILOAD" -a 134 "$SOCK" "/crash?sig=6"
	run -0 "$FCGILOAD" -v "$SOCK" /counter
	new=$(child_pids "$SERVE_PID")
	assert_line "1 $new"
	[ "$new" != "$old" ]
}

@test "serve: a hang under --timeout gets 408 and the pool recovers" {
	start_serve --workers 2 --timeout 0.5 "$SOCK"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	old=$(child_pids "$SERVE_PID")
	# Both workers hang: two 408s, then two new workers.
	run -0 "$FCGILOAD" -c 2 -n 2 -a 408 -e "Status: 408 Request Timeout" \
		"$SOCK" /hang
	wait_until 5 pool_renewed "$SERVE_PID" 2 "$old"
	run -0 "$FCGILOAD" -c 4 -n 20 -e "Hello" "$SOCK" /hello
}

@test "serve: requests wait for a busy pool, in order, and all are answered" {
	start_serve --workers 1 "$SOCK"
	SECONDS=0
	run -0 "$FCGILOAD" -c 4 -n 4 -e "slept 400 ms" "$SOCK" "/sleep?ms=400"
	assert_output --partial "requests=4 ok=4 failed=0"
	# One worker: one after another.
	[ "$SECONDS" -ge 1 ]
	# A request aborted while it waits never reaches a worker.
	"$FCGILOAD" -t 30 -e "slept 1000 ms" "$SOCK" "/sleep?ms=1000" \
		>"$D/first.out" &
	first=$!
	track "$first"
	sleep 0.2
	run -1 --separate-stderr "$FCGITOOL" request --abort-after 200 \
		"$SOCK" "/counter"
	assert_equal "$stderr" "fcgitool request: '/counter': appStatus 143"
	wait "$first"
	run -0 "$FCGILOAD" -v "$SOCK" /counter
	assert_line "1 $(child_pids "$SERVE_PID")"
}

@test "serve: workers, busy or idle, go when the server is killed" {
	start_serve --workers 2 "$SOCK"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	workers=$(child_pids "$SERVE_PID")
	"$FCGILOAD" -t 10 "$SOCK" /hang >/dev/null 2>&1 &
	track $!
	sleep 0.3
	kill -KILL "$SERVE_PID"
	gone() {
		for p in $workers; do
			[ -d "/proc/$p" ] && return 1
		done
		return 0
	}
	wait_until 5 gone
}

@test "serve: params too large to send inline reach a pooled function whole" {
	start_serve --workers 1 "$SOCK"
	big=$(head -c 60000 /dev/zero | tr '\0' 'x')
	run -0 "$FCGILOAD" -v -p "X_BIG=$big" -e "$big" "$SOCK" /echo
	run -0 "$FCGILOAD" -v -p "X_SMALL=yes" \
		-e '{"name":"X_SMALL","value":"yes"}' "$SOCK" /echo
}

@test "serve: the fd count after load in both isolation modes equals before" {
	for how in pool request; do
		# A timeout that load on a busy machine cannot reach, for
		# /hang alone.
		start_serve --isolate "$how" --timeout 2 "$SOCK"
		# The pool is forked at the first request.
		run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
		before=$(fd_count "$SERVE_PID")
		run -0 "$FCGILOAD" -t 60 -c 8 -n 400 -e "Hello" "$SOCK" /hello
		run -0 "$FCGILOAD" -t 60 -k -c 4 -m 4 -n 200 -b 3000 -E \
			"$SOCK" "/echo?raw=1"
		run -0 "$FCGILOAD" -t 60 -c 4 -n 10 -a 139 "$SOCK" /crash
		run -0 "$FCGILOAD" -t 60 -c 4 -n 4 -a 408 "$SOCK" /hang
		run -0 "$FCGILOAD" -t 60 -c 8 -n 50 -e "Hello" "$SOCK" /hello
		sleep 0.3
		assert_equal "$(fd_count "$SERVE_PID")" "$before"
		stop_serve
		assert_equal "$SERVE_STATUS" 0
	done
}

# ---- the process runner -----------------------------------------------------

cgi_root() {
	mkdir -p "$D/www/sub" "$D/outside"
	cat >"$D/www/t.cgi" <<'EOF'
#!/bin/sh
echo "Content-Type: text/plain"
echo
echo "script=$SCRIPT_NAME role=$FCGI_ROLE proxy=${HTTP_PROXY-unset} dir=$(pwd)"
echo "body=$(cat)"
echo "to stderr" >&2
exit 5
EOF
	chmod +x "$D/www/t.cgi"
	cp "$D/www/t.cgi" "$D/outside/x.cgi"
	cp "$D/www/t.cgi" "$D/www/noexec.cgi"
	chmod 644 "$D/www/noexec.cgi"
	ln -s "$D/outside/x.cgi" "$D/www/link.cgi"
	ln -s "$D/www/t.cgi" "$D/www/inside-link.cgi"
}

@test "serve --exec runs a CGI script: env, body, stderr, exit status" {
	cgi_root
	start_serve --exec --root "$D/www" "$SOCK"
	run -0 "$FCGILOAD" -v -a 5 -b 12 -p HTTP_PROXY=http://evil \
		-p SCRIPT_NAME=/t.cgi "$SOCK" "$D/www/t.cgi"
	assert_line "script=/t.cgi role=RESPONDER proxy=unset dir=$D/www"
	assert_line "body=0123456789ab"
	assert_line "to stderr"
	run -0 "$FCGILOAD" -a 5 -e "script=" "$SOCK" t.cgi
	run -0 "$FCGILOAD" -a 5 -e "script=" "$SOCK" "$D/www/inside-link.cgi"
}

@test "serve --exec refuses escapes from --root with 403" {
	cgi_root
	start_serve --exec --root "$D/www" "$SOCK"
	run -0 "$FCGILOAD" -v -a 126 -e "Status: 403 Forbidden" "$SOCK" \
		"$D/www/../outside/x.cgi"
	assert_line "fcgitool: script '$D/www/../outside/x.cgi' has a '..' component"
	run -0 "$FCGILOAD" -v -a 126 -e "Status: 403 Forbidden" "$SOCK" \
		"$D/www/link.cgi"
	assert_line "fcgitool: script '$D/www/link.cgi' is outside the document root '$D/www'"
	run -0 "$FCGILOAD" -v -a 126 -e "Status: 403 Forbidden" "$SOCK" \
		"$D/outside/x.cgi"
	assert_line "fcgitool: script '$D/outside/x.cgi' is outside the document root '$D/www'"
	run -0 "$FCGILOAD" -v -a 126 "$SOCK" "sub/../../outside/x.cgi"
	assert_line "fcgitool: script 'sub/../../outside/x.cgi' has a '..' component"
}

@test "serve --exec: a non-executable script gets 403, a missing one 404" {
	cgi_root
	start_serve --exec --root "$D/www" "$SOCK"
	run -0 "$FCGILOAD" -v -a 126 -e "Status: 403 Forbidden" "$SOCK" \
		"$D/www/noexec.cgi"
	assert_line "fcgitool: script '$D/www/noexec.cgi' is not executable"
	run -0 "$FCGILOAD" -v -a 126 -e "Status: 403 Forbidden" "$SOCK" \
		"$D/www/sub"
	assert_line "fcgitool: script '$D/www/sub' is not a regular file"
	run -0 "$FCGILOAD" -v -a 127 -e "Status: 404 Not Found" "$SOCK" \
		"$D/www/missing.cgi"
	assert_line "fcgitool: script '$D/www/missing.cgi' not found: No such file or directory"
}

@test "serve --exec --timeout stops the script's whole process group" {
	mkdir -p "$D/www"
	printf '#!/bin/sh\necho $$ >%s/pgid\nsleep 30 &\nsleep 30\n' "$D" \
		>"$D/www/slow.cgi"
	chmod +x "$D/www/slow.cgi"
	start_serve --exec --root "$D/www" --timeout 0.3 "$SOCK"
	run -0 "$FCGILOAD" -a 408 -e "Status: 408" "$SOCK" "$D/www/slow.cgi"
	wait_until 5 no_children "$SERVE_PID"
	# The script led its own group; the background sleep was in it.
	# (Killed orphans may linger as zombies of an init that does not
	# reap, as in some containers: only live ones count.)
	run -0 ps -eo pgid=,stat=
	refute_output --regexp "^ *$(cat "$D/pgid") +[^Z]"
}

# ---- the protocol ---------------------------------------------------------

@test "serve answers GET_VALUES with its real limits" {
	start_serve --max-conns 7 --max-reqs 9 --no-mpx "$SOCK"
	run -0 "$FCGILOAD" -g -n 0 "$SOCK" /hello
	assert_line "FCGI_MAX_CONNS=7"
	assert_line "FCGI_MAX_REQS=9"
	assert_line "FCGI_MPXS_CONNS=0"
}

@test "serve multiplexes; --no-mpx answers CANT_MPX_CONN" {
	start_serve "$SOCK"
	run -0 "$FCGILOAD" -k -m 10 -n 50 -e "Hello" "$SOCK" /hello
	kill_tracked
	start_serve --no-mpx "$SOCK"
	run -1 --separate-stderr "$FCGILOAD" -k -m 2 -n 2 "$SOCK" /hello
	assert_output --partial "ok=1 failed=1"
	[[ "$stderr" == *"protocolStatus CANT_MPX_CONN, expected REQUEST_COMPLETE"* ]]
	run -0 "$FCGILOAD" -k -m 1 -n 5 "$SOCK" /hello
}

@test "serve answers OVERLOADED past --max-reqs and --max-conns" {
	start_serve --max-reqs 1 "$SOCK"
	"$FCGILOAD" -q "$SOCK" "/sleep?ms=1500" &
	track $!
	sleep 0.5
	run -0 "$FCGILOAD" -P OVERLOADED "$SOCK" /hello
	kill_tracked
	start_serve --max-conns 1 "$SOCK"
	"$FCGILOAD" -q "$SOCK" "/sleep?ms=1500" &
	track $!
	sleep 0.5
	run -0 "$FCGILOAD" -P OVERLOADED "$SOCK" /hello
}

# ---- capacity: what FCGI_MAX_CONNS and FCGI_MAX_REQS promise ------------

# A connection whose last request was answered (no KEEP_CONN) lingers
# until its peer closes; its peer may already be on its next connection.
@test "serve: answered connections still lingering do not count against --max-conns" {
	local pp=$BUILD/tests/helpers/proxypeer i
	start_serve --trace --max-conns 2 "$SOCK"
	"$pp" request -p SCRIPT_FILENAME=/hello >"$D/req"
	# Two peers that send a request, then neither read nor close for 3 s.
	for i in 1 2; do
		"$pp" connect "unix:$SOCK" -i "$D/req" -H -w 3000 -o /dev/null &
		track $!
	done
	for i in $(seq 1 100); do
		[ "$(grep -c '<- END_REQUEST' "$SERVE_OUT")" -eq 2 ] && break
		sleep 0.02
	done
	[ "$(grep -c '<- END_REQUEST' "$SERVE_OUT")" -eq 2 ]
	run -0 "$FCGILOAD" -e Hello "$SOCK" /hello
}

# The listen backlog holds as many connections as FCGI_MAX_CONNS, so a
# peer that opens them all at once finds none refused, however slowly
# they are accepted.  The server is stopped while they are made.
@test "serve: the listen backlog takes FCGI_MAX_CONNS connections at once" {
	[ "$(cat /proc/sys/net/core/somaxconn)" -ge 1000 ] ||
		skip "net.core.somaxconn is below 1000"
	start_serve --max-conns 1000 "$SOCK"
	kill -STOP "$SERVE_PID"
	run -0 python3 -c '
import errno, socket, sys
socks, refused = [], 0
for _ in range(1000):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.setblocking(False)
    try:
        s.connect(sys.argv[1])
    except OSError as e:
        if e.errno not in (errno.EAGAIN, errno.ECONNREFUSED):
            raise
        refused += 1
    socks.append(s)
print("refused", refused)
' "$SOCK"
	kill -CONT "$SERVE_PID"
	assert_output "refused 0"
}

# 1,000 kept connections with one request each in flight at once: every
# one answered, none OVERLOADED, within what serve itself advertises.
@test "serve: 1,000 concurrent connections within its advertised limits are all answered" {
	local vals mc mr n
	for how in pool worker; do
		start_serve --isolate "$how" "$SOCK"
		vals=$("$FCGILOAD" -g -n 1 "$SOCK" /hello)
		mc=$(sed -n 's/^FCGI_MAX_CONNS=//p' <<<"$vals")
		mr=$(sed -n 's/^FCGI_MAX_REQS=//p' <<<"$vals")
		n=1000
		[ "$mc" -lt "$n" ] && n=$mc
		[ "$mr" -lt "$n" ] && n=$mr
		run -0 "$FCGILOAD" -k -c "$n" -n "$n" -t 120 -e Hello "$SOCK" /hello
		assert_output --partial "requests=$n ok=$n failed=0"
		run -0 "$FCGILOAD" -c "$n" -n "$((n * 2))" -t 120 -e Hello "$SOCK" /hello
		stop_serve
		assert_equal "$SERVE_STATUS" 0
		workers_clean
	done
}

# With few file descriptors serve promises only what fits in them.
@test "serve: under a low descriptor limit it advertises what fits, and keeps it" {
	local vals mc mr n _
	SERVE_ERR=$D/low.err
	(ulimit -n 600 && exec "$FCGITOOL" serve "$SOCK" 2>"$SERVE_ERR") &
	SERVE_PID=$!
	track "$SERVE_PID"
	for _ in $(seq 1 200); do
		grep -q 'listening on' "$SERVE_ERR" && break
		sleep 0.05
	done
	grep -q "600 file descriptors allowed (ulimit -n): advertising FCGI_MAX_CONNS=" "$SERVE_ERR"
	vals=$("$FCGILOAD" -g -n 1 "$SOCK" /hello)
	mc=$(sed -n 's/^FCGI_MAX_CONNS=//p' <<<"$vals")
	mr=$(sed -n 's/^FCGI_MAX_REQS=//p' <<<"$vals")
	# A connection each, three pipes (six ends) per pooled request.
	[ $((mc + 6 * mr)) -le 600 ]
	n=$mc
	[ "$mr" -lt "$n" ] && n=$mr
	run -0 "$FCGILOAD" -k -c "$n" -n "$n" -t 60 -e Hello "$SOCK" /hello
	run -0 "$FCGILOAD" -k -c "$mc" -n "$mr" -t 60 -e Hello "$SOCK" /hello
}

# ---- --isolate none and worker: functions called in the process ----------

# workers_clean: no worker of --isolate worker ended badly (a status
# other than 0, a signal the supervisor did not send, a sanitizer).
workers_clean() {
	! grep -E "exited with status|died of signal|Sanitizer" "$SERVE_ERR"
}

@test "serve --isolate none: functions run in the server's process" {
	start_serve --isolate none "$SOCK"
	run -0 "$FCGILOAD" -v "$SOCK" /counter
	assert_line "1 $SERVE_PID"
	run -0 "$FCGILOAD" -v "$SOCK" /counter
	assert_line "2 $SERVE_PID"
	run -0 "$FCGILOAD" -e '"bodyLength":100000' -b 100000 "$SOCK" /echo
	run -0 "$FCGILOAD" -v -a 3 -e "Status: 418" "$SOCK" "/status?code=418&exit=3"
	run -0 "$FCGILOAD" -v "$SOCK" "/stderr?n=2&msg=two"
	assert_line "two"
	run -0 "$FCGILOAD" -c 8 -k -n 400 -e Hello "$SOCK" /hello
	no_children "$SERVE_PID"
	stop_serve
	assert_equal "$SERVE_STATUS" 0
}

@test "serve --isolate worker: workers own their connections and share the labels" {
	start_serve --trace --isolate worker --workers 3 "$SOCK"
	wait_until 5 children_are "$SERVE_PID" 3
	run -0 "$FCGILOAD" -v "$SOCK" /counter
	line=$(echo "$output" | grep -E '^[0-9]+ [0-9]+$')
	child_pids "$SERVE_PID" | grep -qx "${line#* }"
	run -0 "$FCGILOAD" -c 6 -k -n 600 -e Hello "$SOCK" /hello
	run -0 "$FCGILOAD" -c 6 -n 60 -e Hello "$SOCK" /hello
	run -0 "$FCGILOAD" -e '"bodyLength":70000' -b 70000 "$SOCK" /echo
	# One count of connections over all workers: c1, c2, ... each once.
	grep -o '^[0-9.]* c[0-9]* \*\* accept' "$SERVE_OUT" |
		awk '{ print substr($2, 2) }' | sort -n >"$D/labels"
	[ "$(wc -l <"$D/labels")" -ge 68 ]
	[ -z "$(uniq -d "$D/labels")" ]
	assert_equal "$(tail -1 "$D/labels")" "$(wc -l <"$D/labels")"
	stop_serve
	assert_equal "$SERVE_STATUS" 0
	workers_clean
	[ ! -e "$SOCK" ]
}

@test "serve --isolate worker: a crash gets 500 and 128+signal, a hang 408; the worker is replaced" {
	start_serve --isolate worker --workers 2 --timeout 0.5 "$SOCK"
	wait_until 5 children_are "$SERVE_PID" 2
	old=$(child_pids "$SERVE_PID")
	run -0 "$FCGILOAD" -v -a 139 -e "Status: 500 Internal Server Error" \
		"$SOCK" /crash
	assert_line "fcgitool: function 'crash' killed by signal 11 (Segmentation fault)"
	run -0 "$FCGILOAD" -a 134 "$SOCK" "/crash?sig=6"
	SECONDS=0
	run -0 "$FCGILOAD" -v -a 408 -e "Status: 408 Request Timeout" "$SOCK" \
		"/hang?term=ignore"
	assert_line "END_REQUEST appStatus=408 protocolStatus=REQUEST_COMPLETE"
	[ "$SECONDS" -lt 5 ]
	wait_until 5 children_are "$SERVE_PID" 2
	# Each of those took its worker along, and a new one came.
	[ "$(comm -12 <(echo "$old") <(child_pids "$SERVE_PID") | wc -l)" -lt 2 ]
	run -0 "$FCGILOAD" -c 4 -n 40 -e "Hello" "$SOCK" /hello
	[ "$(grep -c "function 'crash' crashed in a worker: answered, worker [0-9]* replaced" "$SERVE_ERR")" -eq 2 ]
	grep -q "c[0-9]*#1: function 'hang' still running at its deadline: answered, worker [0-9]* killed" "$SERVE_ERR"
	stop_serve
	assert_equal "$SERVE_STATUS" 0
	workers_clean
}

# fd_is PID N: PID has N descriptors open.
fd_is() {
	[ "$(fd_count "$1")" -eq "$2" ]
}

@test "serve --isolate worker: the fd counts after load equal those before" {
	local w before wbefore
	start_serve --isolate worker --workers 1 --timeout 2 "$SOCK"
	wait_until 5 children_are "$SERVE_PID" 1
	w=$(child_pids "$SERVE_PID")
	wait_until 5 grep -q '^fcgitool serve: listening' "$SERVE_ERR"
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	before=$(fd_count "$SERVE_PID")
	wbefore=$(fd_count "$w")
	run -0 "$FCGILOAD" -t 60 -c 8 -n 400 -e "Hello" "$SOCK" /hello
	run -0 "$FCGILOAD" -t 60 -k -c 4 -m 4 -n 200 -b 3000 -E \
		"$SOCK" "/echo?raw=1"
	run -0 "$FCGILOAD" -t 60 -b 100000 -e '"bodyLength":100000' \
		"$SOCK" /echo
	wait_until 5 fd_is "$w" "$wbefore"
	# Each of these takes its worker along; the supervisor keeps none
	# of their descriptors.
	run -0 "$FCGILOAD" -t 60 -n 3 -a 139 "$SOCK" /crash
	run -0 "$FCGILOAD" -t 60 -n 1 -a 408 "$SOCK" /hang
	wait_until 5 children_are "$SERVE_PID" 1
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	wait_until 5 fd_is "$SERVE_PID" "$before"
	wait_until 5 fd_is "$(child_pids "$SERVE_PID")" "$wbefore"
	stop_serve
	assert_equal "$SERVE_STATUS" 0
	workers_clean
}

@test "serve --isolate worker: a function that calls exit() gets 500 and its status" {
	start_serve --isolate worker --workers 1 "$SOCK"
	run -0 "$FCGILOAD" -v -a 3 -e "Status: 500 Internal Server Error" \
		"$SOCK" "/crash?exit=3"
	assert_line "fcgitool: function 'crash' called exit(3) in a worker"
	assert_line "END_REQUEST appStatus=3 protocolStatus=REQUEST_COMPLETE"
	run -0 "$FCGILOAD" -e Hello "$SOCK" /hello
	grep -q "function 'crash' called exit(): answered, worker [0-9]* replaced" "$SERVE_ERR"
	stop_serve
	assert_equal "$SERVE_STATUS" 0
	workers_clean
}

# Two requests on one connection, the second of which hangs: the first
# answer is on the wire before the function is called, and the
# supervisor's 408 follows it, on a stream at a record boundary.
@test "serve --isolate worker: a hang behind an answer on one connection still gets 408" {
	local pp=$BUILD/tests/helpers/proxypeer hex
	start_serve --isolate worker --workers 1 --timeout 0.5 "$SOCK"
	"$pp" request -k -I 1 -p SCRIPT_FILENAME=/hello >"$D/req"
	"$pp" request -k -I 2 -p SCRIPT_FILENAME=/hang \
		-p QUERY_STRING=term=ignore >>"$D/req"
	run -0 "$pp" connect "unix:$SOCK" -i "$D/req" -H -o "$D/resp" -t 20
	assert_output --regexp "^eof [0-9]+$"
	grep -q "Hello" "$D/resp"
	grep -q "Status: 408 Request Timeout" "$D/resp"
	# END_REQUEST of id 1 (appStatus 0), then of id 2 (appStatus 408).
	hex=$(od -An -tx1 -v "$D/resp" | tr -d ' \n')
	[[ $hex == *010300010008000000000000*010300020008000000000198* ]]
}

# The workers' loops cannot hear a signal while a function runs: a second
# SIGTERM kills the workers inside one; the supervisor's death kills them
# all (PR_SET_PDEATHSIG).  No process is left behind either way.
@test "serve --isolate worker: a stop while a function hangs leaves no process" {
	local pids p
	start_serve --trace --isolate worker --workers 2 "$SOCK"
	wait_until 5 children_are "$SERVE_PID" 2
	pids=$(child_pids "$SERVE_PID")
	"$FCGILOAD" -t 30 "$SOCK" "/hang?term=ignore" >/dev/null 2>&1 &
	track $!
	# The trace's last word before the call: the end of the body.
	wait_until 10 grep -q 'STDIN .*end of stream' "$SERVE_OUT"
	kill -TERM "$SERVE_PID"
	# Passed on: the idle worker says so (two signals at once are one).
	wait_until 10 grep -q 'signal Terminated' "$SERVE_OUT"
	stop_serve
	assert_equal "$SERVE_STATUS" 0
	grep -q "inside a function at a second signal: killed" "$SERVE_ERR"
	for p in $pids; do
		wait_until 5 eval "! kill -0 $p 2>/dev/null"
	done
	# The supervisor killed outright: its workers go with it.
	start_serve --trace --isolate worker --workers 2 "$SOCK"
	wait_until 5 children_are "$SERVE_PID" 2
	pids=$(child_pids "$SERVE_PID")
	"$FCGILOAD" -t 30 "$SOCK" "/hang?term=ignore" >/dev/null 2>&1 &
	track $!
	wait_until 10 grep -q 'STDIN .*end of stream' "$SERVE_OUT"
	kill -KILL "$SERVE_PID"
	for p in $pids; do
		wait_until 5 eval "! kill -0 $p 2>/dev/null"
	done
}

# What --isolate none gives up, as its man page says: a crash is the
# server's.  (SIGABRT, which the sanitizers leave to its default.)
@test "serve --isolate none: a function that crashes ends the server" {
	start_serve --isolate none "$SOCK"
	run -0 "$FCGILOAD" -e Hello "$SOCK" /hello
	run "$FCGILOAD" "$SOCK" "/crash?sig=6"
	assert_failure
	wait_until 5 eval "! kill -0 $SERVE_PID 2>/dev/null"
	SERVE_STATUS=0
	wait "$SERVE_PID" || SERVE_STATUS=$?
	assert_equal "$SERVE_STATUS" 134
}

@test "serve answers UNKNOWN_ROLE for the Filter role" {
	start_serve "$SOCK"
	# BEGIN_REQUEST, id 1, role 3 (FILTER), no KEEP_CONN.
	printf '\x01\x01\x00\x01\x00\x08\x00\x00\x00\x03\x00\x00\x00\x00\x00\x00' |
		python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
s.settimeout(5)
data = b""
while len(data) < 16:
    chunk = s.recv(64)
    if not chunk:
        break
    data += chunk
print(data.hex())' "$SOCK" >"$D/answer"
	# END_REQUEST, id 1, 8 bytes: appStatus 0, protocolStatus 3.
	assert_equal "$(cat "$D/answer")" "01030001000800000000000003000000"
}

@test "serve answers UNKNOWN_TYPE to a management record it does not know" {
	start_serve "$SOCK"
	# A record of type 12, request id 0, no content.
	printf '\x01\x0c\x00\x00\x00\x00\x00\x00' |
		python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
s.sendall(sys.stdin.buffer.read())
s.settimeout(5)
data = b""
while len(data) < 16:
    chunk = s.recv(64)
    if not chunk:
        break
    data += chunk
print(data.hex())' "$SOCK" >"$D/answer"
	# UNKNOWN_TYPE, id 0, 8 bytes: the type, then 7 reserved bytes.
	assert_equal "$(cat "$D/answer")" "010b0000000800000c00000000000000"
}

@test "serve stops the runner on ABORT_REQUEST and answers at once" {
	for how in request pool; do
		if [ "$how" = request ]; then
			start_serve --isolate request "$SOCK"
		else
			start_serve --workers 4 "$SOCK"
		fi
		run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
		old=$(child_pids "$SERVE_PID")
		SECONDS=0
		run -1 --separate-stderr "$FCGITOOL" request \
			--abort-after 200 "$SOCK" "/sleep?ms=20000"
		# The function died of SIGTERM: appStatus 128 + 15.
		assert_equal "$stderr" \
			"fcgitool request: '/sleep?ms=20000': appStatus 143"
		[ "$SECONDS" -lt 5 ]
		if [ "$how" = request ]; then
			wait_until 5 no_children "$SERVE_PID"
		else
			# The killed worker is replaced; the others stay.
			wait_until 5 children_are "$SERVE_PID" 4
			[ "$(comm -12 <(echo "$old") \
				<(child_pids "$SERVE_PID") | wc -l)" -eq 3 ]
		fi
		stop_serve
	done
}

@test "serve runs the Authorizer role and refuses Filter" {
	start_serve "$SOCK"
	run -0 --separate-stderr "$FCGITOOL" request --role authorizer \
		"$SOCK" "/hello?name=auth"
	assert_output "Hello, auth!"
	run -1 --separate-stderr "$FCGITOOL" request --role filter "$SOCK" /hello
	assert_equal "$stderr" \
		"fcgitool request: '/hello': the server answered UNKNOWN_ROLE"
}

# ---- deadlines ----------------------------------------------------------

@test "serve closes a connection that sends a byte at a time (--idle-timeout)" {
	start_serve --idle-timeout 0.5 "$SOCK"
	SECONDS=0
	run -1 --separate-stderr "$FCGILOAD" -T 200 "$SOCK" /hello
	[[ "$stderr" == *"connection closed before END_REQUEST"* ]]
	[ "$SECONDS" -lt 4 ]
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
}

@test "serve answers 408 to params that trickle past --read-timeout" {
	start_serve --read-timeout 0.5 "$SOCK"
	run -0 "$FCGILOAD" -T 20 -a 408 -e "Status: 408 Request Timeout" \
		"$SOCK" /hello
}

# ---- a web server that breaks the rules ----------------------------------
#
# Raw bytes on the socket (tests/helpers/rawpeer.py), written whole and a
# byte per write: the answer records and how the connection ended, the
# violation in the trace, and the server serving on.

# raw WAY ARG...: rawpeer, whole or a byte per write.
raw() {
	local way=$1
	shift
	if [ "$way" = bytes ]; then
		python3 "$TOP/tests/helpers/rawpeer.py" -1 "$@"
	else
		python3 "$TOP/tests/helpers/rawpeer.py" "$@"
	fi
}

# violations CODE: how many times the trace names it.
violations() {
	grep -c -- " $1 to-app " "$SERVE_OUT" || true
}

@test "serve: an application record with request id 0 closes the connection" {
	start_serve --trace "$SOCK"
	for way in whole bytes; do
		run -0 raw "$way" "$SOCK" begin:1 rec:5:0:x params:1
		assert_output "eof"
		run -0 raw "$way" "$SOCK" begin:0 params:0 stdin:0
		assert_output "eof"
	done
	# Nothing else suffered.
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	stop_serve
	assert_equal "$SERVE_STATUS" 0
	assert_equal "$(violations app-null-id)" 4
	grep -q "STDIN record has request id 0, which is reserved for management records" "$SERVE_OUT"
	grep -q "BEGIN_REQUEST record has request id 0" "$SERVE_OUT"
	assert_equal "$(grep -c '\*\* close connection error (app-null-id)' "$SERVE_OUT")" 4
}

@test "serve: a BEGIN_REQUEST whose body is not 8 bytes closes the connection" {
	start_serve --trace "$SOCK"
	for way in whole bytes; do
		for len in 5 9; do
			run -0 raw "$way" "$SOCK" "begin:1:1:0:$len" \
				"params:1:SCRIPT_FILENAME=/x/hello" params:1 stdin:1
			assert_output "eof"
		done
	done
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	stop_serve
	assert_equal "$SERVE_STATUS" 0
	assert_equal "$(violations bad-body-length)" 4
	grep -q "BEGIN_REQUEST body is 5 bytes, expected 8" "$SERVE_OUT"
	grep -q "BEGIN_REQUEST body is 9 bytes, expected 8" "$SERVE_OUT"
	assert_equal "$(grep -c '\*\* close connection error (bad-body-length)' "$SERVE_OUT")" 4
	# No request was run: the only answer is fcgiload's.
	assert_equal "$(grep -c -- "<- END_REQUEST" "$SERVE_OUT")" 1
}

@test "serve: management records with a request id are not answered" {
	start_serve --trace "$SOCK"
	for way in whole bytes; do
		run -0 raw "$way" -w 800 "$SOCK" values:1:FCGI_MAX_CONNS \
			rec:20:3:x values:0:FCGI_MPXS_CONNS rec:20:0
		# Only the id-0 ones: GET_VALUES_RESULT, then UNKNOWN_TYPE.
		assert_equal "${#lines[@]}" 3
		assert_line --index 0 'GET_VALUES_RESULT 0 \x0f\x01FCGI_MPXS_CONNS1'
		assert_line --index 1 'UNKNOWN_TYPE 0 \x14\x00\x00\x00\x00\x00\x00\x00'
		assert_line --index 2 "open"
	done
	stop_serve
	assert_equal "$(violations mgmt-nonzero-id)" 2
	grep -q "GET_VALUES record has request id 1, expected 0" "$SERVE_OUT"
	assert_equal "$(grep -c '\*\* values request 1: not a management record; not answered' "$SERVE_OUT")" 2
	assert_equal "$(violations unknown-type)" 4
}

@test "serve: a second BEGIN_REQUEST for an active id stops the first and is refused" {
	start_serve --trace "$SOCK"
	for way in whole bytes; do
		SECONDS=0
		run -0 raw "$way" -w 1000 "$SOCK" begin:1:1:1 \
			"params:1:SCRIPT_FILENAME=/x/sleep,QUERY_STRING=ms=20000" \
			params:1 stdin:1 sleep:300 \
			begin:1:1:1 params:1:X=y params:1 stdin:1:body stdin:1 \
			sleep:300 \
			begin:1:1:1 "params:1:SCRIPT_FILENAME=/x/hello" params:1 \
			stdin:1
		[ "$SECONDS" -lt 10 ]
		# The refusal ends the id; the records of the refused request
		# are dropped; the id then serves a new request.
		assert_line --index 0 "STDOUT 1"
		assert_line --index 1 "END_REQUEST 1 app=0 proto=CANT_MPX_CONN"
		assert_line --index 2 --partial 'STDOUT 1 Content-Type: text/plain'
		assert_line --index 3 "STDOUT 1"
		assert_line --index 4 "END_REQUEST 1 app=0 proto=REQUEST_COMPLETE"
		assert_line --index 5 "open"
	done
	stop_serve
	assert_equal "$SERVE_STATUS" 0
	assert_equal "$(violations duplicate-begin)" 2
	assert_equal "$(grep -c '\*\* refuse request 1' "$SERVE_OUT")" 2
	# What crossed the refusal is no violation.
	assert_equal "$(violations stream-after-end)" 0
	assert_equal "$(violations no-begin)" 0
}

@test "serve: a function reads at most CONTENT_LENGTH bytes; --raw-stdin all" {
	start_serve --trace "$SOCK"
	echo_cl() { # WAY CONTENT_LENGTH STEP...
		local way=$1 cl=$2
		shift 2
		raw "$way" "$SOCK" begin:1 \
			"params:1:SCRIPT_FILENAME=/x/echo,QUERY_STRING=raw=1,CONTENT_LENGTH=$cl" \
			params:1 "$@"
	}
	for way in whole bytes; do
		# Longer: the rest is dropped.
		run -0 echo_cl "$way" 5 stdin:1:hello stdin:1:EXTRA stdin:1
		assert_line --index 0 --partial 'Content-Length: 5\r\n\r\nhello'
		assert_line --index 2 "END_REQUEST 1 app=0 proto=REQUEST_COMPLETE"
		# Shorter: what came.
		run -0 echo_cl "$way" 10 stdin:1:hi stdin:1
		assert_line --index 0 --partial 'Content-Length: 2\r\n\r\nhi'
		# Complete: the end of input without the empty STDIN record.
		run -0 echo_cl "$way" 5 stdin:1:hello
		assert_line --index 0 --partial 'Content-Length: 5\r\n\r\nhello'
		# Not a number: the body as it comes.
		run -0 echo_cl "$way" 5x stdin:1:helloEXTRA stdin:1
		assert_line --index 0 --partial 'Content-Length: 10\r\n\r\nhelloEXTRA'
	done
	stop_serve
	assert_equal "$(violations content-length)" 6
	assert_equal "$(grep -c "STDIN of request 1 is 10 bytes, CONTENT_LENGTH says 5" "$SERVE_OUT")" 2
	assert_equal "$(grep -c "STDIN of request 1 is 2 bytes, CONTENT_LENGTH says 10" "$SERVE_OUT")" 2
	assert_equal "$(grep -c "CONTENT_LENGTH '5x' of request 1 is not a decimal number" "$SERVE_OUT")" 2
	# Bytes past it that reach a request still running are noted too
	# (a byte at a time, the answer may come first).
	[ "$(grep -c "stdin request 1: STDIN goes past CONTENT_LENGTH 5; the rest is dropped" "$SERVE_OUT")" -ge 1 ]

	start_serve --raw-stdin "$SOCK"
	for way in whole bytes; do
		run -0 echo_cl "$way" 5 stdin:1:hello stdin:1:EXTRA stdin:1
		assert_line --index 0 --partial 'Content-Length: 10\r\n\r\nhelloEXTRA'
	done
	stop_serve
}

@test "serve: records out of place are reported and dropped" {
	start_serve --trace "$SOCK"
	for way in whole bytes; do
		# Records of an unknown id, STDIN before PARAMS ended, a
		# stream after its end: the request gets its own body only.
		run -0 raw "$way" "$SOCK" params:5:A=b stdin:5:x begin:1 \
			stdin:1:early "params:1:SCRIPT_FILENAME=/x/echo,QUERY_STRING=raw=1" \
			params:1 params:1:A=b stdin:1:body stdin:1
		assert_line --index 0 --partial 'Content-Length: 4\r\n\r\nbody'
		assert_line --index 2 "END_REQUEST 1 app=0 proto=REQUEST_COMPLETE"
		assert_line --index 3 "eof"
		# An ABORT_REQUEST with a body still aborts.
		run -0 raw "$way" "$SOCK" begin:1 \
			"params:1:SCRIPT_FILENAME=/x/sleep,QUERY_STRING=ms=20000" \
			params:1 stdin:1 sleep:300 abort:1:x
		assert_line --index 0 "STDOUT 1"
		assert_line --index 1 "END_REQUEST 1 app=143 proto=REQUEST_COMPLETE"
	done
	stop_serve
	assert_equal "$SERVE_STATUS" 0
	assert_equal "$(violations no-begin)" 4
	assert_equal "$(violations out-of-order)" 2
	assert_equal "$(violations stream-after-end)" 2
	assert_equal "$(violations bad-body-length)" 2
	grep -q "ABORT_REQUEST body is 1 bytes, expected 0" "$SERVE_OUT"
}

@test "serve --first-byte-timeout closes a silent connection, not an idle one" {
	run -2 --separate-stderr "$FCGITOOL" serve --first-byte-timeout soon
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool serve: bad --first-byte-timeout 'soon': not a number of seconds"
	start_serve --trace --first-byte-timeout 0.5 --idle-timeout 5 "$SOCK"
	run -0 raw whole -w 4000 "$SOCK" nothing
	assert_output "eof"
	# Closed half a second after it was accepted, by the trace's clock.
	awk '$2 == "c1" && / accept / { a = $1 }
	     $2 == "c1" && / close / { c = $1 }
	     END { exit !(c - a >= 0.45 && c - a < 1.5) }' "$SERVE_OUT"
	# A kept connection after its answer waits for the idle timeout.
	run -0 raw whole -w 1500 "$SOCK" begin:1:1:1 \
		"params:1:SCRIPT_FILENAME=/x/hello" params:1 stdin:1
	assert_line --index 3 "open"
	# A byte at a time in time is no silence.
	run -0 raw bytes -w 1500 "$SOCK" begin:1:1:1 \
		"params:1:SCRIPT_FILENAME=/x/hello" params:1 stdin:1
	assert_line --index 3 "open"
	stop_serve
	assert_equal "$(grep -c 'close nothing received within the first-byte timeout' "$SERVE_OUT")" 1
	# 0 turns it off: only --idle-timeout applies.
	start_serve --first-byte-timeout 0 --idle-timeout 5 "$SOCK"
	run -0 raw whole -w 1500 "$SOCK" nothing
	assert_output "open"
	stop_serve
}

# ---- trace and shutdown -----------------------------------------------------

@test "serve --trace shows every record both ways; --json as JSON lines" {
	start_serve --trace "$SOCK"
	run -0 "$FCGILOAD" "$SOCK" /hello
	stop_serve
	grep -q -- "-> BEGIN_REQUEST" "$SERVE_OUT"
	grep -q -- "<- STDOUT" "$SERVE_OUT"
	grep -q -- "<- END_REQUEST .*appStatus=0 protocolStatus=REQUEST_COMPLETE" \
		"$SERVE_OUT"
	start_serve --json "$SOCK"
	run -0 "$FCGILOAD" "$SOCK" /hello
	stop_serve
	run -0 jq -c 'select(.type == "END_REQUEST") | .id' "$SERVE_OUT"
	assert_output 1
}

@test "serve --trace leaves findings of severity note out unless asked" {
	local pp=$BUILD/tests/helpers/proxypeer
	# GET_VALUES for "A" in 8 + 3 bytes: unaligned, a finding of
	# severity note.
	printf '\1\11\0\0\0\3\0\0\1\0A' >"$D/unaligned"
	start_serve --trace "$SOCK"
	run -0 "$pp" connect "unix:$SOCK" -i "$D/unaligned" -o /dev/null
	stop_serve
	grep -q -- '-> GET_VALUES ' "$SERVE_OUT"
	run grep -c '!! note' "$SERVE_OUT"
	assert_output 0
	start_serve --trace --severity note "$SOCK"
	run -0 "$pp" connect "unix:$SOCK" -i "$D/unaligned" -o /dev/null
	stop_serve
	grep -q '!! note unaligned to-app ' "$SERVE_OUT"
	run -2 --separate-stderr "$FCGITOOL" serve --severity note "$SOCK"
	assert_equal "${stderr%%$'\n'*}" \
		"fcgitool serve: --severity needs --trace or --json"
}

@test "FCGITOOL_TRACE=1 turns the trace on" {
	FCGITOOL_TRACE=1 start_serve "$SOCK"
	run -0 "$FCGILOAD" "$SOCK" /hello
	stop_serve
	grep -q -- "-> BEGIN_REQUEST" "$SERVE_OUT"
}

@test "serve stops gracefully on SIGTERM: open requests finish first" {
	start_serve "$SOCK"
	"$FCGILOAD" -e "slept 800 ms" "$SOCK" "/sleep?ms=800" >"$D/load.out" &
	load=$!
	sleep 0.3
	stop_serve
	assert_equal "$SERVE_STATUS" 0
	wait "$load"
	grep -q "ok=1 failed=0" "$D/load.out"
	[ ! -e "$SOCK" ]
}

@test "serve stops gracefully on SIGINT: open requests finish, listeners close" {
	start_serve "$SOCK"
	"$FCGILOAD" -t 10 -e "slept 800 ms" "$SOCK" "/sleep?ms=800" \
		>"$D/load.out" &
	load=$!
	track "$load"
	sleep 0.3
	kill -INT "$SERVE_PID"
	# The listener goes at once, while the request is still running.
	wait_until 5 test ! -e "$SOCK"
	run -3 "$FCGILOAD" -t 2 "$SOCK" /hello
	kill -0 "$SERVE_PID"
	# The open request gets its whole answer, then the server exits 0.
	wait "$load"
	run -0 cat "$D/load.out"
	assert_line --partial "requests=1 ok=1 failed=0"
	gone() { ! kill -0 "$SERVE_PID" 2>/dev/null; }
	wait_until 5 gone
	SERVE_STATUS=0
	wait "$SERVE_PID" || SERVE_STATUS=$?
	assert_equal "$SERVE_STATUS" 0
	[ ! -e "$SOCK" ]
}

@test "serve --exec keeps HTTP_PROXY and pairs with NUL or '=' out of the environment" {
	mkdir -p "$D/www"
	printf '#!/bin/sh\necho "Content-Type: text/plain"\necho\nenv\n' \
		>"$D/www/env.cgi"
	chmod +x "$D/www/env.cgi"
	set -- -p HTTP_PROXY=http://evil -P 'X_NUL=a\0b' -P 'X\x3dY=v' \
		-p X_NORMAL=yes
	# The built-in env shows that all four arrive at the server.
	start_serve "$D/fn.sock"
	run -0 --separate-stderr "$FCGITOOL" request "$@" "$D/fn.sock" /env
	assert_line "HTTP_PROXY=http://evil"
	assert_line 'X_NUL=a\x00b'
	assert_line "X=Y=v"
	assert_line "X_NORMAL=yes"
	# The CGI program gets only the normal one.
	start_serve --exec --root "$D/www" "$SOCK"
	run -0 --separate-stderr "$FCGITOOL" request --root "$D/www" "$@" \
		"$SOCK" /env.cgi
	assert_line "X_NORMAL=yes"
	assert_line "SCRIPT_FILENAME=$D/www/env.cgi"
	refute_line --regexp '^HTTP_PROXY='
	refute_line --regexp '^X_NUL'
	refute_line --regexp '^X='
	[ -z "$stderr" ]
}

@test "serve: timed-out requests leave no fds and no memory behind" {
	start_serve --workers 4 --timeout 0.2 "$SOCK"
	# Warm up: the pool is forked and replaced once, buffers are grown.
	run -0 "$FCGILOAD" -t 20 -c 10 -n 20 -a 408 \
		-e "Status: 408 Request Timeout" "$SOCK" "/sleep?ms=5000"
	wait_until 5 children_are "$SERVE_PID" 4
	sleep 0.3
	fds0=$(fd_count "$SERVE_PID")
	rss0=$(awk '/^VmRSS/ { print $2 }' "/proc/$SERVE_PID/status")
	# 200 requests, 10 at a time, each stopped by the timeout.
	SECONDS=0
	run -0 "$FCGILOAD" -t 30 -c 10 -n 200 -a 408 \
		-e "Status: 408 Request Timeout" "$SOCK" "/sleep?ms=5000"
	assert_line --partial "requests=200 ok=200 failed=0"
	[ "$SECONDS" -lt 20 ]
	wait_until 5 children_are "$SERVE_PID" 4
	sleep 0.3
	assert_equal "$(fd_count "$SERVE_PID")" "$fds0"
	rss1=$(awk '/^VmRSS/ { print $2 }' "/proc/$SERVE_PID/status")
	echo "# rss after warm-up $rss0 kB, after 200 timeouts $rss1 kB" >&3
	# Less than 4 MiB more (kB).
	[ $((rss1 - rss0)) -lt 4096 ]
	run -0 "$FCGILOAD" -e "Hello" "$SOCK" /hello
	stop_serve
	assert_equal "$SERVE_STATUS" 0
}
