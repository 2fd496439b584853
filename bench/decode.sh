#!/bin/sh
# decode.sh - the record and name-value decoders against memcpy
# (bench/decode.c).  Built by `make bench` into build/release/bench/.
# Usage: bench/decode.sh [MiB]   (default 64)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
bin=$top/build/release/bench/decode
if [ ! -x "$bin" ]; then
	echo "decode.sh: $bin is not built; run make bench" >&2
	exit 1
fi
echo "== decode: record and nv decoders vs memcpy (${1:-64} MiB)"
exec "$bin" "${1:-64}"
