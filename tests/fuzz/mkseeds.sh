#!/bin/sh
# mkseeds.sh - write the seed corpora of fuzz-record, fuzz-nv, fuzz-cgi and
# fuzz-render (tests/fuzz/corpus/{record,nv,cgi,render}/).  The files are committed; run this
# again only to change them.  Every seed starts with the target's control
# byte (chunking and limits), then the bytes under test.
set -eu

top=$(cd "$(dirname "$0")" && pwd)/corpus
tmp=$(mktemp -d "${TMPDIR:-/tmp}/mkseeds.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# b N...: the bytes N (decimal).
b() {
	for b_n in "$@"; do
		# shellcheck disable=SC2059
		printf "\\$(printf %03o "$b_n")"
	done
}

# be16 N: two bytes, big-endian.
be16() { b $(($1 >> 8)) $(($1 & 255)); }

# len N: a FastCGI 1.0, 3.4 name or value length.
len() {
	if [ "$1" -lt 128 ]; then
		b "$1"
	else
		b $((($1 >> 24) | 128)) $((($1 >> 16) & 255)) \
			$((($1 >> 8) & 255)) $(($1 & 255))
	fi
}

# nv NAME VALUE: one pair (ASCII text).
nv() {
	len ${#1}
	len ${#2}
	printf '%s%s' "$1" "$2"
}

# rec TYPE ID PAD [FILE]: a record whose content is FILE (or empty),
# followed by PAD zero bytes (FastCGI 1.0, 3.3).
rec() {
	rec_len=0
	[ $# -ge 4 ] && rec_len=$(wc -c <"$4")
	b 1 "$1"
	be16 "$2"
	be16 "$rec_len"
	b "$3" 0
	[ $# -ge 4 ] && cat "$4"
	rec_pad=0
	while [ "$rec_pad" -lt "$3" ]; do
		b 0
		rec_pad=$((rec_pad + 1))
	done
}

# pad8 FILE: padding that makes 8 + size of FILE a multiple of 8.
pad8() { echo $(((8 - $(wc -c <"$1") % 8) % 8)); }

# Contents used below.
b 0 1 1 0 0 0 0 0 >"$tmp/begin"		# RESPONDER, KEEP_CONN
b 0 0 0 0 0 0 0 0 >"$tmp/end"			# appStatus 0, COMPLETE
b 42 0 0 0 0 0 0 0 >"$tmp/unknown"		# UNKNOWN_TYPE of 42
{
	nv SCRIPT_FILENAME /srv/www/index.php
	nv REQUEST_METHOD POST
	nv QUERY_STRING 'a=1&b=2'
	nv CONTENT_LENGTH 5
	nv HTTP_HOST example.test
	nv EMPTY ''
} >"$tmp/params"
printf 'hello' >"$tmp/stdin"
printf 'Status: 200 OK\r\nContent-Type: text/plain\r\n\r\nhi\n' >"$tmp/out"
printf 'PHP Warning: something\n' >"$tmp/err"
{
	nv FCGI_MAX_CONNS ''
	nv FCGI_MAX_REQS ''
	nv FCGI_MPXS_CONNS ''
} >"$tmp/names"
{
	nv FCGI_MAX_CONNS 10
	nv FCGI_MAX_REQS 50
	nv FCGI_MPXS_CONNS 0
} >"$tmp/values"
printf '%0300d' 0 >"$tmp/big"

mkdir -p "$top/record" "$top/nv" "$top/cgi" "$top/render"

# ---- record: a control byte, then a record stream --------------------------
r=$top/record
{
	b 0
	rec 1 1 0 "$tmp/begin"
	rec 4 1 "$(pad8 "$tmp/params")" "$tmp/params"
	rec 4 1 0
	rec 5 1 "$(pad8 "$tmp/stdin")" "$tmp/stdin"
	rec 5 1 0
} >"$r/request"
{
	b 7
	rec 6 1 "$(pad8 "$tmp/out")" "$tmp/out"
	rec 7 1 "$(pad8 "$tmp/err")" "$tmp/err"
	rec 7 1 0
	rec 6 1 0
	rec 3 1 0 "$tmp/end"
} >"$r/response"
{
	b 1
	rec 9 0 "$(pad8 "$tmp/names")" "$tmp/names"
	rec 10 0 "$(pad8 "$tmp/values")" "$tmp/values"
	rec 11 0 0 "$tmp/unknown"
} >"$r/management"
{
	b 3
	rec 1 2 0 "$tmp/begin"
	rec 2 2 0
	rec 8 2 3 "$tmp/stdin"
	rec 42 0 0 "$tmp/stdin"
	rec 0 65535 255 "$tmp/big"
} >"$r/odd-types"
{ b 0; rec 6 1 0 "$tmp/out"; b 2 6 0 1 0 0 0 0; } >"$r/bad-version"
{ b 5; printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\n'; } >"$r/http-request"
{ b 9; rec 6 1 0 "$tmp/stdin"; b 1 6 0; } >"$r/trunc-header"
{ b 2; b 1 6 0 1 0 100 0 0; printf 'only some'; } >"$r/trunc-content"
{ b 4; b 1 6 0 1 0 1 7 0; printf x; b 0 0; } >"$r/trunc-padding"
: >"$r/empty"

# ---- nv: a limits byte, a chunking byte, then pairs -------------------------
n=$top/nv
{ b 0 3; cat "$tmp/params"; } >"$n/params"
{ b 0 1; cat "$tmp/names"; } >"$n/names"
{ b 3 9; cat "$tmp/values"; } >"$n/limited"
{ b 0 5; len 130; len 300; printf '%0130d' 0; cat "$tmp/big"; } >"$n/long"
{ b 0 2; b 128 0 0 3 0; printf abc; } >"$n/long-form-small"
{ b 0 0; b 255 255 255 255 0; printf abc; } >"$n/max-declared"
{ b 65 7; b 0 0 0 0; nv A B; } >"$n/empty-pairs"
{ b 0 4; nv NAME value; b 5 9; printf 'NA'; } >"$n/truncated"
{ b 0 1; b 128 0; } >"$n/split-length"

# ---- cgi: a limit/chunking byte, then a CGI response ------------------------
c=$top/cgi
{ b 0; cat "$tmp/out"; } >"$c/ok"
{ b 4; printf 'Status: 404 Not Found\nContent-Type: text/html\n\nnope'; } \
	>"$c/status"
{ b 8; printf 'Location: /elsewhere\r\n\r\n'; } >"$c/location"
{ b 2; printf 'A:  spaced  \r\nB:\r\n\nbody\r\n\r\n'; } >"$c/bare-lf"
{ b 0; printf 'Status: 20x\r\n\r\n'; } >"$c/bad-status"
{ b 0; printf 'no colon\r\n\r\n'; } >"$c/no-colon"
{ b 41; printf 'X-Long: %0100d\r\n\r\n' 0; } >"$c/limit"

# ---- render: an options byte, then records as flags (bit 0: to-web; bits
# 1-2: label none, "a", "b", or 3: forget the label of bit 3), type, id,
# length, content ------------------------------------------------------------
d=$top/render
# rr FLAGS TYPE ID CONTENT-FILE: one record.
rr() { b "$1" "$2" "$3" "$(wc -c <"$4")"; cat "$4"; }
nv K hello >"$tmp/kv"
head -c 3 "$tmp/kv" >"$tmp/kv1"
tail -c +4 "$tmp/kv" >"$tmp/kv2"
: >"$tmp/none"
{ b 0; rr 2 4 1 "$tmp/kv1"; rr 4 4 1 "$tmp/kv1"; rr 2 4 1 "$tmp/kv2"; b 14
  rr 4 4 1 "$tmp/kv2"; rr 2 4 1 "$tmp/none"; } >"$d/split-pair"
{ b 51; rr 0 1 1 "$tmp/begin"; rr 0 4 1 "$tmp/kv1"; rr 0 4 2 "$tmp/kv1"
  rr 0 4 3 "$tmp/kv1"; rr 0 1 1 "$tmp/begin"; rr 0 4 1 "$tmp/kv2"
  rr 0 4 3 "$tmp/kv2"; rr 1 6 1 "$tmp/out"; rr 1 3 1 "$tmp/end"; } \
	>"$d/requests"
{ b 64; rr 0 9 0 "$tmp/names"; rr 1 10 0 "$tmp/values"; rr 1 11 0 \
  "$tmp/unknown"; rr 0 5 1 "$tmp/stdin"; rr 0 13 1 "$tmp/stdin"; } \
	>"$d/management"
