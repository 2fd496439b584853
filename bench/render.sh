#!/bin/sh
# render.sh - the text renderer against fwrite of the text it produces
# (bench/render.c).  Built by `make bench` into build/release/bench/.
# Usage: bench/render.sh [records]   (default 1000000)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/release/bench/render
if [ ! -x "$bin" ]; then
	echo "render.sh: $bin is not built; run make bench" >&2
	exit 1
fi
echo "== render: text records vs fwrite of the same bytes (${1:-1000000} records)"
exec "$bin" "${1:-1000000}"
