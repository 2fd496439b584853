#!/bin/sh
# demo.sh - what fcgitool is for, in a minute: `fcgitool serve` stands in
# for a FastCGI application server on a socket in a temporary directory,
# and `fcgitool request` talks to it the way a web server would.  Run by
# `make demo` after the build; exits non-zero if a step does not behave.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
tool=${FCGITOOL:-$top/fcgitool/fcgitool}
dir=$(mktemp -d "${TMPDIR:-/tmp}/fcgitool-demo.XXXXXX") || exit 1
sock=$dir/demo.sock
pid=
failed=0

cleanup() {
	if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	fi
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 130' HUP INT PIPE TERM

if [ -t 1 ]; then
	bold=$(printf '\033[1m') plain=$(printf '\033[0m')
else
	bold='' plain=''
fi

say() {
	printf '\n%s== %s%s\n' "$bold" "$*" "$plain"
}

# The command line as one would type it: "fcgitool", the temporary
# directory as $DEMO, arguments with blanks or quotes in single quotes.
echo_cmd() {
	line='$ fcgitool'
	for a in "$@"; do
		case $a in
		*[[:space:]\"\'\&\;\<\>\|\*\?]*) a="'$a'" ;;
		esac
		line="$line $a"
	done
	printf '%s\n' "$line" | sed "s|$dir|\$DEMO|g"
}

# show EXPECTED-STATUS ARG...: print and run `fcgitool ARG...` (its
# stderr merged into stdout, in order), and check its exit status.
show() {
	want=$1
	shift
	echo_cmd "$@"
	"$tool" "$@" 2>&1
	got=$?
	if [ "$got" -ne "$want" ]; then
		echo "demo: expected exit status $want, got $got" >&2
		failed=1
	fi
}

if [ ! -x "$tool" ]; then
	echo "demo: $tool is not built (run make first)" >&2
	exit 1
fi

say "A FastCGI server with the built-in responders, 2 s timeout"
echo_cmd serve --timeout 2 "unix:$sock" | sed 's/$/ \&/'
"$tool" serve --timeout 2 "unix:$sock" 2>&1 &
pid=$!
i=0
while [ ! -S "$sock" ] && [ $i -lt 100 ]; do
	sleep 0.05
	i=$((i + 1))
done
if [ ! -S "$sock" ]; then
	echo "demo: the server did not start" >&2
	exit 1
fi
sleep 0.1

say "hello: a GET, the body on stdout"
show 0 request "$sock" "/hello?name=demo"

say "echo: a POST, its method, params and body come back as JSON"
show 0 request -p SERVER_NAME=demo.example \
	-H 'Content-Type: application/json' -d '{"answer":42}' "$sock" /echo

say "a function that takes too long: 408 after 2 s, appStatus 408"
show 1 request -i "$sock" "/sleep?ms=10000"

say "-v: every record both ways, as nginx and the server exchange them"
show 0 request -v "$sock" "/hello?name=trace"

say "stopping the server (SIGTERM: open requests finish first)"
kill -TERM "$pid"
wait "$pid"
status=$?
pid=
if [ "$status" -ne 0 ] || [ -e "$sock" ]; then
	echo "demo: the server did not stop cleanly (status $status)" >&2
	failed=1
fi

if [ "$failed" -ne 0 ]; then
	say "demo: something did not behave as shown above"
	exit 1
fi
say "done: see README.md, fcgitool(1) and fcgitool-serve(1) for more"
