#!/usr/bin/env bats
# 50-conform.bats - fcgitool conform: usage, the catalogue, and runs
# against a small FastCGI peer in Python (tests/conform/peer.py) whose
# faults are chosen by its options, so that every grade is seen.

load test_helper

@test "conform: usage errors exit 2 and name what is wrong" {
	run -2 --separate-stderr "$FCGITOOL" conform
	assert_equal "$(echo "$stderr" | head -1)" "fcgitool conform: no address given"
	run -2 --separate-stderr "$FCGITOOL" conform --format xml :9
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool conform: bad --format 'xml': not text, tap, junit, json, baseline or man"
	run -2 --separate-stderr "$FCGITOOL" conform --splits whole,halves :9
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool conform: bad --splits 'whole,halves': a list of whole, bytes and random"
	run -2 --separate-stderr "$FCGITOOL" conform --only fcgi-9.9 :9
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool conform: 'fcgi-9.9' names no case (see --list)"
	run -2 --separate-stderr "$FCGITOOL" conform --list :9
	assert_equal "$(echo "$stderr" | head -1)" "fcgitool conform: --list takes no address"
	run -2 --separate-stderr "$FCGITOOL" conform --format man :9
	assert_equal "$(echo "$stderr" | head -1)" "fcgitool conform: --format man needs --list"
	run -2 --separate-stderr "$FCGITOOL" conform --profile php-fpm :9
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool conform: --profile php-fpm needs --script: the path of a script the target runs"
	run -2 --separate-stderr "$FCGITOOL" conform --timeout 0 :9
	assert_equal "$(echo "$stderr" | head -1)" \
		"fcgitool conform: bad --timeout '0': not a number of seconds from 0.001 to 3600"
}

@test "conform --list: at least 100 cases, unique ids that name a section" {
	run -0 --separate-stderr "$FCGITOOL" conform --list
	[ "$(echo "$output" | wc -l)" -ge 100 ] || fail "only $(echo "$output" | wc -l) cases"
	[ -z "$(echo "$output" | awk '{ print $1 }' | sort | uniq -d)" ] ||
		fail "duplicate ids"
	if echo "$output" | awk '{ print $1 }' |
		grep -vE '^fcgi-[2-9]\.[0-9]-[a-z0-9-]+$'; then
		fail "ids not of the form fcgi-SECTION-mnemonic"
	fi
	if echo "$output" | awk '{ print $2 }' | sort -u |
		grep -qvE '^(MUST|SHOULD|MAY|interop)$'; then
		fail "a level other than MUST, SHOULD, MAY or interop"
	fi
	run -0 "$FCGITOOL" conform --list --only fcgi-5.4 --skip fcgi-5.4-abort-twice
	assert_line --regexp '^fcgi-5.4-abort-after-begin +MUST +ABORT_REQUEST right after BEGIN_REQUEST$'
	refute_line --partial fcgi-5.4-abort-twice
	refute_line --partial fcgi-5.3
}

@test "conform: the committed catalogue page is the generated one" {
	run -0 "$FCGITOOL" conform --list --format man
	diff -u "$TOP/man/fcgitool-conform-cases.7" <(echo "$output") ||
		fail "man/fcgitool-conform-cases.7 is stale: regenerate it with fcgitool conform --list --format man"
}

PEER_PY=$TOP/tests/conform/peer.py

# start_peer OPTION...: run peer.py on a unix socket; sets PEER_SOCK.
start_peer() {
	local _
	need python3 "the test peer is a Python program"
	PEER_SOCK=$BATS_TEST_TMPDIR/peer.sock
	python3 "$PEER_PY" "$PEER_SOCK" "$@" >"$BATS_TEST_TMPDIR/peer.out" 2>&1 3>&- &
	track $!
	for _ in $(seq 1 100); do
		grep -q ready "$BATS_TEST_TMPDIR/peer.out" 2>/dev/null && return 0
		sleep 0.05
	done
	fail "peer.py did not start: $(cat "$BATS_TEST_TMPDIR/peer.out")"
}

teardown() {
	kill_tracked
}

@test "conform: a conforming peer passes, one line per case and a summary" {
	start_peer
	run -0 --separate-stderr "$FCGITOOL" conform --echo \
		--only fcgi-4.2-type-12,fcgi-6.2-responder,fcgi-5.3-body-small \
		"unix:$PEER_SOCK"
	assert_equal "$output" "pass fcgi-4.2-type-12: UNKNOWN_TYPE {12}
pass fcgi-5.3-body-small: END_REQUEST REQUEST_COMPLETE, status 200, appStatus 0
pass fcgi-6.2-responder: END_REQUEST REQUEST_COMPLETE, status 200, appStatus 0
3 passed, 0 failed, 0 warned, 0 skipped"
	[ -z "$stderr" ]
}

@test "conform: a broken MUST fails with what was expected and what came" {
	start_peer --close-on-unknown
	run -1 --separate-stderr "$FCGITOOL" conform --only fcgi-4.2-type-12 \
		"unix:$PEER_SOCK"
	assert_line --index 0 "fail fcgi-4.2-type-12: expected UNKNOWN_TYPE {T}; got the connection closed without UNKNOWN_TYPE"
	assert_line --index 1 "0 passed, 1 failed, 0 warned, 0 skipped"
}

@test "conform: a SHOULD warns, exit 0; --strict fails it" {
	start_peer --no-stdout-end
	run -0 "$FCGITOOL" conform --only fcgi-5.5-stdout-ended "unix:$PEER_SOCK"
	assert_line --index 0 "warn fcgi-5.5-stdout-ended: expected the empty STDOUT record before END_REQUEST; got END_REQUEST without the empty STDOUT record that ends the stream"
	run -1 "$FCGITOOL" conform --strict --only fcgi-5.5-stdout-ended "unix:$PEER_SOCK"
	assert_line --index 0 "fail fcgi-5.5-stdout-ended: expected the empty STDOUT record before END_REQUEST; got END_REQUEST without the empty STDOUT record that ends the stream (a warning, failed by --strict)"
	assert_line --index 1 "0 passed, 1 failed, 0 warned, 0 skipped"
}

@test "conform: information and skips count apart from failures" {
	start_peer --no-values
	run -1 "$FCGITOOL" conform --only fcgi-4.1-get-values,fcgi-4.1-max-conns,fcgi-3.3-mpx-two "unix:$PEER_SOCK"
	assert_line "fail fcgi-4.1-get-values: expected GET_VALUES_RESULT naming only what was asked; got no GET_VALUES_RESULT"
	assert_line "info fcgi-4.1-max-conns: no GET_VALUES_RESULT, so no FCGI_MAX_CONNS"
	assert_line "skip fcgi-3.3-mpx-two: the target did not say that it multiplexes (FCGI_MPXS_CONNS)"
	assert_line "1 passed, 1 failed, 0 warned, 1 skipped"
}

@test "conform --baseline: known failures skip, regressions and fixes show" {
	start_peer --close-on-unknown
	printf '# known\nfcgi-4.2-type-12 fail\n\nfcgi-4.2-type-255\nfcgi-6.2-responder warn # fixed\n' \
		>"$BATS_TEST_TMPDIR/known.txt"
	run -0 "$FCGITOOL" conform --baseline "$BATS_TEST_TMPDIR/known.txt" \
		--only fcgi-4.2-type-12,fcgi-4.2-type-255,fcgi-6.2-responder "unix:$PEER_SOCK"
	assert_line --index 0 "skip fcgi-4.2-type-12: expected UNKNOWN_TYPE {T}; got the connection closed without UNKNOWN_TYPE (known failure, in the baseline)"
	assert_line --index 2 "pass fcgi-6.2-responder: END_REQUEST REQUEST_COMPLETE, status 200, appStatus 0 (in the baseline, but passes now)"
	assert_line --index 3 "1 passed, 0 failed, 0 warned, 2 skipped"
	printf 'fcgi-4.2-type-12 warn\n' >"$BATS_TEST_TMPDIR/known.txt"
	run -1 "$FCGITOOL" conform --baseline "$BATS_TEST_TMPDIR/known.txt" \
		--only fcgi-4.2-type-12 "unix:$PEER_SOCK"
	assert_line --index 0 --partial "fail fcgi-4.2-type-12: "
	run -1 "$FCGITOOL" conform --format baseline --only fcgi-4.2 "unix:$PEER_SOCK"
	assert_line "fcgi-4.2-type-12 fail"
	assert_line "fcgi-4.2-result-type warn"
	refute_line --partial "passed"
}

@test "conform --baseline: a bad file is a usage error naming the line" {
	printf 'fcgi-4.2-type-12 fail\nfcgi-4.2-type-99 fail\n' >"$BATS_TEST_TMPDIR/b1"
	run -2 --separate-stderr "$FCGITOOL" conform --baseline "$BATS_TEST_TMPDIR/b1" :9
	assert_equal "$stderr" "fcgitool conform: '$BATS_TEST_TMPDIR/b1': line 2: 'fcgi-4.2-type-99' is not a case id"
	printf '\nfcgi-4.2-type-12 maybe\n' >"$BATS_TEST_TMPDIR/b2"
	run -2 --separate-stderr "$FCGITOOL" conform --baseline "$BATS_TEST_TMPDIR/b2" :9
	assert_equal "$stderr" "fcgitool conform: '$BATS_TEST_TMPDIR/b2': line 2: grade must be 'fail' or 'warn'"
	printf 'fcgi-4.2-type-12\nfcgi-4.2-type-12 warn\n' >"$BATS_TEST_TMPDIR/b3"
	run -2 --separate-stderr "$FCGITOOL" conform --baseline "$BATS_TEST_TMPDIR/b3" :9
	assert_equal "$stderr" "fcgitool conform: '$BATS_TEST_TMPDIR/b3': line 2: 'fcgi-4.2-type-12' is listed twice"
	run -2 --separate-stderr "$FCGITOOL" conform --baseline "$BATS_TEST_TMPDIR/none" :9
	assert_equal "$stderr" "fcgitool conform: cannot read '$BATS_TEST_TMPDIR/none': No such file or directory"
}

@test "conform: an unreachable target exits 3" {
	run -3 --separate-stderr "$FCGITOOL" conform "unix:$BATS_TEST_TMPDIR/nobody.sock"
	assert_equal "$stderr" "fcgitool conform: cannot connect to 'unix:$BATS_TEST_TMPDIR/nobody.sock': No such file or directory"
	[ -z "$output" ]
}

@test "conform: a target that does not answer a normal request exits 1" {
	need python3 "a Python listener that closes every connection"
	python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX); s.bind(sys.argv[1]); s.listen(8)
print("ready", flush=True)
while True:
    c, _ = s.accept(); c.recv(65536); c.close()
' "$BATS_TEST_TMPDIR/closer.sock" >"$BATS_TEST_TMPDIR/closer.out" 3>&- &
	track $!
	for _ in $(seq 1 100); do
		grep -q ready "$BATS_TEST_TMPDIR/closer.out" && break
		sleep 0.05
	done
	run -1 --separate-stderr "$FCGITOOL" conform --timeout 0.5 "unix:$BATS_TEST_TMPDIR/closer.sock"
	assert_equal "$stderr" "fcgitool conform: the target does not answer a normal request: the connection closed by the server without END_REQUEST"
}

@test "conform: a target that dies is failed once, the rest skipped" {
	start_peer --die-on-abort
	run -1 "$FCGITOOL" conform --timeout 0.5 --only fcgi-5.4-abort-after-begin,fcgi-5.4-abort-mid-params,fcgi-6.2 "unix:$PEER_SOCK"
	assert_line --index 0 --regexp "^fail fcgi-5.4-abort-after-begin: expected an END_REQUEST for the request; got the connection closed by the server without END_REQUEST; and then a normal request on a new connection got: (cannot connect to 'unix:.*': Connection refused|the connection (reset|closed) by the server without END_REQUEST)$"
	assert_line --index 1 "skip fcgi-5.4-abort-mid-params: the target stopped answering after fcgi-5.4-abort-after-begin"
	assert_line --index 2 "skip fcgi-6.2-responder: the target stopped answering after fcgi-5.4-abort-after-begin"
	assert_line --index 3 "0 passed, 1 failed, 0 warned, 2 skipped"
}

@test "conform --format tap, junit, json: the same verdicts" {
	start_peer --close-on-unknown --no-stdout-end
	local ids=fcgi-4.2-type-12,fcgi-5.5-stdout-ended,fcgi-6.2-responder,fcgi-3.3-mpx-max-reqs
	run -1 "$FCGITOOL" conform --only "$ids" --format tap "unix:$PEER_SOCK"
	assert_line --index 0 "TAP version 13"
	assert_line --index 1 "1..4"
	assert_line "not ok 2 - fcgi-4.2-type-12"
	assert_line '  expected: "UNKNOWN_TYPE {T}"'
	assert_line "ok 4 - fcgi-6.2-responder # pass: END_REQUEST REQUEST_COMPLETE, status 200, appStatus 0"
	assert_line "ok 3 - fcgi-5.5-stdout-ended # warn: expected the empty STDOUT record before END_REQUEST; got END_REQUEST without the empty STDOUT record that ends the stream"
	assert_line --regexp "^ok 1 - fcgi-3.3-mpx-max-reqs # (pass|SKIP .*)"
	run -1 "$FCGITOOL" conform --only "$ids" --format junit "unix:$PEER_SOCK"
	echo "$output" >"$BATS_TEST_TMPDIR/j.xml"
	python3 - "$BATS_TEST_TMPDIR/j.xml" <<'PY'
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.argv[1]).getroot()
assert root.tag == "testsuites" and root.get("failures") == "1", root.attrib
cases = {c.get("name"): c for c in root.iter("testcase")}
assert len(cases) == 4, cases
f = cases["fcgi-4.2-type-12"].find("failure")
assert f is not None and f.get("type") == "MUST", f
assert "expected: UNKNOWN_TYPE {T}" in f.text and "got: the connection closed" in f.text
assert "warn:" in cases["fcgi-5.5-stdout-ended"].find("system-out").text
PY
	run -1 "$FCGITOOL" conform --only "$ids" --format json "unix:$PEER_SOCK"
	echo "$output" | python3 -c '
import json, sys
rows = [json.loads(l) for l in sys.stdin]
assert rows[0]["kind"] == "conformTarget" and rows[0]["cases"] == 4, rows[0]
assert rows[-1] == {"kind": "conformSummary", "passed": 2, "failed": 1,
                    "warned": 1, "skipped": 0, "info": 0} or rows[-1]["failed"] == 1, rows[-1]
v = {r["id"]: r for r in rows if r["kind"] == "verdict"}
assert v["fcgi-4.2-type-12"]["grade"] == "fail" and v["fcgi-4.2-type-12"]["level"] == "MUST"
assert [r["writes"] for r in v["fcgi-6.2-responder"]["runs"]] == ["whole", "bytes"]
assert v["fcgi-5.5-stdout-ended"]["section"] == "5.5"
'
}

@test "conform --splits: the runs follow the modes asked for" {
	start_peer
	run -0 "$FCGITOOL" conform --splits random --seed 7 --format json \
		--only fcgi-3.4-split-value,fcgi-3.2-drip "unix:$PEER_SOCK"
	echo "$output" | python3 -c '
import json, sys
v = {r["id"]: r for r in map(json.loads, sys.stdin) if r["kind"] == "verdict"}
assert [r["writes"] for r in v["fcgi-3.4-split-value"]["runs"]] == ["random"], v
assert [r["writes"] for r in v["fcgi-3.2-drip"]["runs"]] == ["random"], v
assert all(r["grade"] == "pass" for r in v.values()), v
'
}

@test "conform --profile fcgitool: fcgitool serve answers the normal request" {
	load ../interop/serve
	start_serve "unix:$BATS_TEST_TMPDIR/serve.sock"
	run -0 "$FCGITOOL" conform --profile fcgitool \
		--only fcgi-6.2-responder,fcgi-5.3-body-64k,fcgi-5.1-keep-conn \
		"unix:$BATS_TEST_TMPDIR/serve.sock"
	assert_line "pass fcgi-5.3-body-64k: END_REQUEST REQUEST_COMPLETE, status 200, appStatus 0"
	assert_line "pass fcgi-5.1-keep-conn-ten: all 10 requests answered"
	assert_line "7 passed, 0 failed, 0 warned, 0 skipped"
	stop_serve
}

@test "conform: the README's table is made from the expected results" {
	diff -u <(sed -n '/^<!-- conform-table begin -->$/,/^<!-- conform-table end -->$/p' \
		"$TOP/README.md" | sed '1d;$d') <(sh "$TOP/tests/conform/table.sh") ||
		fail "README.md's conform table is stale: paste sh tests/conform/table.sh"
}

@test "conform --format json: every kind and key is in fcgitool-trace(5)" {
	start_peer --no-values
	run -1 "$FCGITOOL" conform --format json --only fcgi-4.1,fcgi-6.2 "unix:$PEER_SOCK"
	echo "$output" >"$BATS_TEST_TMPDIR/out.json"
	run -0 "$FCGITOOL" conform --list --format json --only fcgi-6
	echo "$output" >>"$BATS_TEST_TMPDIR/out.json"
	run -0 python3 "$TOP/tests/json-schema.py" \
		--expect conformTarget,verdict,conformSummary,case \
		"$BATS_TEST_TMPDIR/out.json"
}

@test "conform --client: usage, the list, an unreachable web server" {
	run -2 --separate-stderr "$FCGITOOL" conform --http 127.0.0.1:9 :9
	assert_equal "$(echo "$stderr" | head -1)" "fcgitool conform: --http needs --client"
	run -0 "$FCGITOOL" conform --client --list
	assert_line --regexp '^web-5.5-close-before-end +MUST +a close in the middle of the answer is not passed on as a success$'
	refute_line --partial fcgi-3.3
	run -3 --separate-stderr "$FCGITOOL" conform --client --http "unix:$BATS_TEST_TMPDIR/nobody" \
		"unix:$BATS_TEST_TMPDIR/c.sock"
	assert_equal "$stderr" "fcgitool conform: cannot connect to 'unix:$BATS_TEST_TMPDIR/nobody': No such file or directory"
}

@test "conform --client: a web server's request is answered as its case says, and judged" {
	need python3 "the web server here is a Python script"
	local sock=$BATS_TEST_TMPDIR/c.sock
	"$FCGITOOL" conform --client --idle-wait 3 --only web-3.3,web-6.2-status-404 \
		"unix:$sock" >"$BATS_TEST_TMPDIR/out" 2>"$BATS_TEST_TMPDIR/err" &
	local pid=$!
	track "$pid"
	for _ in $(seq 1 100); do
		[ -S "$sock" ] && break
		sleep 0.05
	done
	# A web server's request for /conform/web-6.2-status-404, with one
	# record of version 1 padded to 8 and one that is not padded.
	python3 - "$sock" >"$BATS_TEST_TMPDIR/answer" <<'PY'
import socket, struct, sys
def rec(t, i, c, pad=None):
    pad = (8 - len(c) % 8) % 8 if pad is None else pad
    return struct.pack(">BBHHBB", 1, t, i, len(c), pad, 0) + c + b"\0" * pad
def nv(n, v):
    return bytes([len(n), len(v)]) + n + v
params = b"".join(nv(n, v) for n, v in [
    (b"REQUEST_URI", b"/conform/web-6.2-status-404"), (b"REQUEST_METHOD", b"GET"),
    (b"GATEWAY_INTERFACE", b"CGI/1.1"), (b"SERVER_PROTOCOL", b"HTTP/1.1")])
import time
for _ in range(100):
    try:
        s = socket.socket(socket.AF_UNIX)
        s.connect(sys.argv[1])
        break
    except OSError:
        time.sleep(0.05)
s.sendall(rec(1, 1, b"\0\1\0\0\0\0\0\0") + rec(4, 1, params, 0) + rec(4, 1, b"") + rec(5, 1, b""))
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
print(out[8:8 + out[4] * 256 + out[5]].decode())
PY
	wait "$pid" || true
	assert_equal "$(head -1 "$BATS_TEST_TMPDIR/answer")" $'Status: 404 Not Found\r'
	assert_equal "$(cat "$BATS_TEST_TMPDIR/err")" "fcgitool conform: listening on unix:$sock"
	run cat "$BATS_TEST_TMPDIR/out"
	assert_line "pass web-3.3-version: every record of version 1, in 1 requests"
	assert_line --regexp "^warn web-3.3-aligned: expected 8-byte records; got 1 time\(s\), first: PARAMS record of [0-9]+ bytes \(8 \+ [0-9]+ content \+ 0 padding\) is not a multiple of 8$"
	assert_line "info web-3.3-mpx: at most 1 request(s) at once on a connection"
	assert_line "skip web-3.3-padding-255: no request for this case came"
	assert_line "info web-6.2-status-404: answered as the case says; what the HTTP client saw is not known without --http"
}
