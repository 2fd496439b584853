#!/bin/sh
# run.sh - the golden tests of TESTLIST, as TAP.  Each capture is
# rewritten as the line says (rewrite.py), decoded by fcgitool pcap, and
# stdout (and stderr, when NAME.err exists) compared with the expected
# files.  --update writes the expected files of the lines whose capture
# is not rewritten, and those missing, for review with git diff.
set -u

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
: "${FCGITOOL:=$top/build/check/fcgitool/fcgitool}"
update=0
[ "${1:-}" = --update ] && update=1
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fcgitool-pcap.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# Times and packet numbers out, for captures whose packets moved.
loose() {
	sed -E -e 's/^[0-9]+\.[0-9]+ //' -e 's/ \(packet [0-9]+\)//' \
		-e 's/"ts":[0-9.e+-]+,//' -e 's/,"packet":[0-9]+//' \
		-e 's/"start":[0-9.e+-]+,//' \
		-e 's/ (ttfb|total)=[0-9.]+ms/ \1=/g' \
		-e 's/"(ttfbMs|totalMs)":[0-9.e+-]+/"\1":0/g' "$1"
}

n=0 failed=0
total=$(grep -cvE '^[[:space:]]*(#|$)' "$here/TESTLIST")
echo "1..$total"
while read -r name capture ops expected compare code flags; do
	case $name in '' | '#'*) continue ;; esac
	n=$((n + 1))
	input=$here/$capture
	if [ "$ops" != - ]; then
		if ! command -v python3 >/dev/null 2>&1; then
			echo "ok $n $name # skip python3 is needed to rewrite"
			continue
		fi
		# shellcheck disable=SC2046
		if ! python3 "$here/rewrite.py" "$input" "$tmp/in" \
			$(echo "$ops" | tr ',:' '  ') 2>"$tmp/rw.err"; then
			echo "not ok $n $name"
			sed 's/^/# /' "$tmp/rw.err"
			failed=$((failed + 1))
			continue
		fi
		input=$tmp/in
	fi
	# The capture goes where the flags have "@", else last.
	args="" placed=0
	for a in $flags; do
		if [ "$a" = @ ]; then
			args="$args $input"
			placed=1
		else
			args="$args $a"
		fi
	done
	[ $placed = 1 ] || args="$args $input"
	# shellcheck disable=SC2086
	"$FCGITOOL" pcap $args >"$tmp/out" 2>"$tmp/err" </dev/null
	rc=$?
	sed "s|$tmp/in|INPUT|g; s|$input|INPUT|g" "$tmp/err" >"$tmp/err2"
	want=$here/expected/$expected
	if [ $update = 1 ] && [ "$expected" != empty ] &&
		{ [ "$ops" = - ] || [ ! -f "$want" ]; }; then
		cp "$tmp/out" "$want"
		[ -s "$tmp/err2" ] && cp "$tmp/err2" "$want.err"
	fi
	if [ "$expected" = empty ]; then
		: >"$tmp/want"
	elif [ "$compare" = loose ]; then
		loose "$want" >"$tmp/want"
		loose "$tmp/out" >"$tmp/got"
		cp "$tmp/got" "$tmp/out"
	else
		cp "$want" "$tmp/want" 2>/dev/null || : >"$tmp/want"
	fi
	ok=1
	if ! cmp -s "$tmp/want" "$tmp/out"; then
		ok=0
		diff -u "$tmp/want" "$tmp/out" | head -40 | sed 's/^/# /'
	fi
	if [ -f "$want.err" ] && ! cmp -s "$want.err" "$tmp/err2"; then
		ok=0
		diff -u "$want.err" "$tmp/err2" | sed 's/^/# /'
	elif [ ! -f "$want.err" ] && [ -s "$tmp/err2" ]; then
		ok=0
		sed 's/^/# stderr: /' "$tmp/err2"
	fi
	if [ "$rc" != "$code" ]; then
		ok=0
		echo "# exit status $rc, expected $code"
	fi
	if [ $ok = 1 ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		failed=$((failed + 1))
	fi
done <"$here/TESTLIST"
[ $failed = 0 ]
