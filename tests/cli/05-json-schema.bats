#!/usr/bin/env bats
# 05-json-schema.bats - every command's --json output against the one
# schema, the kinds and keys of man/fcgitool-trace.5, key by key, with
# tests/json-schema.py.  A command that prints JSON gets one test here:
# run it into a file, then `schema KINDS FILE...`.

load test_helper
load ../interop/serve

SCHEMA=$TOP/tests/json-schema.py

setup() {
	need python3 "the schema checker is a python3 script"
	D=$BATS_TEST_TMPDIR
	SOCK=$D/s.sock
}

teardown() {
	kill_tracked
}

# schema KINDS FILE...: every line of the files is valid against
# fcgitool-trace(5), and each kind of the comma-separated KINDS appears.
schema() {
	local kinds=$1
	shift
	run -0 python3 "$SCHEMA" --expect "$kinds" "$@"
}

# A built-in server on $SOCK.
builtin_serve() {
	start_serve --fn builtin "$@" "unix:$SOCK"
}

# proxy ARGS...: fcgitool proxy logging to $D/px.log, ready when its
# listen note is there; PX is its socket.
proxy() {
	local i
	PX=$D/px.sock
	"$FCGITOOL" proxy "$@" --log "$D/px.log" --listen "unix:$PX" \
		--upstream "unix:$SOCK" 2>"$D/px.err" &
	PROXY_PID=$!
	track "$PROXY_PID"
	for i in $(seq 1 100); do
		grep -q listen "$D/px.log" 2>/dev/null && return 0
		sleep 0.05
	done
	cat "$D/px.err" >&2
	return 1
}

stop_proxy() {
	kill -TERM "$PROXY_PID"
	wait "$PROXY_PID"
}

# ---- the page and the checker themselves ----------------------------------

@test "trace(5) documents each kind once and each key once per kind" {
	run -0 python3 "$SCHEMA" --lint
	# The check can fail: a kind documented twice is found.
	sed -n '/^\.Ss Kind Li note$/,/^\.El$/p' "$TOP/man/fcgitool-trace.5" \
		>"$D/dup"
	cat "$TOP/man/fcgitool-trace.5" "$D/dup" >"$D/page.5"
	run -1 python3 "$SCHEMA" --man "$D/page.5" --lint
	assert_output --regexp "kind 'note' is documented twice"
	# ... and so is a key documented twice within a kind.
	sed '/^\.It Sy what Pq string$/{p;}' "$TOP/man/fcgitool-trace.5" \
		>"$D/page.5"
	run -1 python3 "$SCHEMA" --man "$D/page.5" --lint
	assert_output --partial "kind 'note': key 'what' is documented twice"
}

@test "the checker refuses what the schema does not allow" {
	printf '%s\n' '{"kind":"note","what":"x","extra":1}' >"$D/a"
	run -1 python3 "$SCHEMA" "$D/a"
	assert_output --partial "kind 'note': key 'extra' is not documented"
	printf '%s\n' '{"kind":"nosuch"}' '{"what":"x"}' 'not json' \
		'{"kind":"note","what":"x","what":"y"}' >"$D/b"
	run -1 python3 "$SCHEMA" "$D/b"
	assert_line --partial "kind 'nosuch' is not documented"
	assert_line --partial 'no "kind"'
	assert_line --partial "not one JSON object"
	assert_line --partial "key 'what' appears twice"
	# A B64 variant only for byte strings, and only base64 in it.
	printf '%s\n' '{"kind":"note","whatB64":"eA=="}' \
		'{"kind":"record","dir":"to-app","dataB64":"*"}' \
		'{"kind":"record","dir":1}' >"$D/c"
	run -1 python3 "$SCHEMA" "$D/c"
	assert_line --partial "kind 'note': key 'whatB64' is not documented"
	assert_line --partial "'dataB64' is not valid base64"
	assert_line --partial "'dir' is number, documented as string"
	# A kind that was expected must appear.
	printf '%s\n' '{"kind":"note","what":"x"}' >"$D/d"
	run -1 python3 "$SCHEMA" --expect note,record "$D/d"
	assert_output "kind 'record' was expected but no line has it"
	run -0 python3 "$SCHEMA" --expect note "$D/d"
}

# ---- each command ------------------------------------------------------------

@test "request --json: one exchange line" {
	builtin_serve
	run -0 --separate-stderr "$FCGITOOL" request --json -n 2 \
		-p "X_BIN=$(printf 'a\377')" "unix:$SOCK" /hello
	echo "$output" >"$D/out"
	schema exchange "$D/out"
	# The byte that is not UTF-8 takes the B64 form.
	run -0 jq -r '.params[] | select(.name == "X_BIN") | .valueB64' "$D/out"
	assert_output "$(printf 'a\377' | base64)"
}

@test "request --json --get-values: one exchange line with the values" {
	builtin_serve
	run -0 --separate-stderr "$FCGITOOL" request --json --get-values \
		"unix:$SOCK"
	echo "$output" >"$D/out"
	schema exchange "$D/out"
}

@test "request -v --json: the trace and the exchange in one schema" {
	builtin_serve
	"$FCGITOOL" request -v --json -d 'x=1' "unix:$SOCK" /echo \
		>"$D/out" 2>"$D/err"
	schema exchange "$D/out"
	schema record,note "$D/err"
}

@test "request -v --json: violations of a peer that breaks the rules" {
	local fp=$BUILD/tests/helpers/fakepeer
	[ -x "$fp" ] || fail "no $fp: run make check-build"
	printf '%s\n' 'read-request' 'send-record STDOUT 1' \
		'send-record STDOUT 2 41' 'end-request 1' >"$D/script"
	"$fp" -l "$D/peer.log" "$SOCK" "$D/script" 2>"$D/peer.err" 3>&- &
	track $!
	wait_for "unix:$SOCK"
	local rc=0
	# -s: the error message, a text line, stays out of the trace.
	"$FCGITOOL" request -v -s --json "unix:$SOCK" /x >"$D/out" \
		2>"$D/err" || rc=$?
	assert_equal "$rc" 4
	schema exchange "$D/out"
	schema record,violation,note "$D/err"
}

@test "serve --json: records and notes" {
	builtin_serve --json
	run -0 "$FCGITOOL" request "unix:$SOCK" /hello
	stop_serve
	schema record,note "$SERVE_OUT"
}

@test "proxy --json and proxy --summary --json, a request through each" {
	builtin_serve
	proxy --json
	run -0 "$FCGITOOL" request -p "HTTP_COOKIE=secret" -d 'a=1' \
		"unix:$PX" /echo
	stop_proxy
	schema record,note "$D/px.log"
	rm -f "$D/px.log"
	proxy --summary --json
	run -0 "$FCGITOOL" request "unix:$PX" /hello
	stop_proxy
	schema request,connection "$D/px.log"
}

@test "serve --fn builtin: the body of echo is one echo line" {
	builtin_serve
	printf 'a\0b' >"$D/body"
	run -0 --separate-stderr "$FCGITOOL" request -d @"$D/body" \
		-p "$(printf 'X_BIN=\377')" "unix:$SOCK" /echo
	echo "$output" >"$D/out"
	schema echo "$D/out"
}

@test "bench --json: one bench line, with a rate and the uncorrected latency" {
	builtin_serve
	"$FCGITOOL" bench --json -n 50 -c 2 --keep-conn "unix:$SOCK" /hello \
		>"$D/b1.json"
	"$FCGITOOL" bench --json --rate 200 -d 0.5 -c 2 "unix:$SOCK" /nosuch \
		>"$D/b2.json"
	schema bench "$D/b1.json" "$D/b2.json"
}

@test "pcap --json: records, findings, requests, stats and follow" {
	local cap=$TOP/tests/pcap/nginx-keep-v4.pcap
	"$FCGITOOL" pcap --json -v "$cap" >"$D/records"
	"$FCGITOOL" pcap --json --requests -v "$cap" >"$D/requests"
	"$FCGITOOL" pcap --json --stats "$cap" >"$D/stats"
	"$FCGITOOL" pcap --json --follow c1 "$cap" >"$D/follow"
	# A damaged capture: gaps, resyncs and an overlap are notes.
	python3 "$TOP/tests/pcap/rewrite.py" "$cap" "$D/bad.pcap" drop 4 differ 3
	"$FCGITOOL" pcap --json "$D/bad.pcap" >"$D/bad"
	schema record,violation,note,request,stats,follow \
		"$D/records" "$D/requests" "$D/stats" "$D/follow" "$D/bad"
}
