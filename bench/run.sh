#!/bin/sh
# run.sh - run every bench/*.sh (but this one and lib.sh) in name order,
# then goals.sh, whose table of the goals' ratios is the last thing
# printed; `make bench` calls it after building.  A failing benchmark is
# reported, the others still run, and the exit status says whether all
# passed.
set -u
here=$(cd "$(dirname "$0")" && pwd)
rc=0
for b in "$here"/*.sh; do
	case $(basename "$b") in run.sh | lib.sh | goals.sh) continue ;; esac
	if ! sh "$b"; then
		echo "bench: $(basename "$b") failed" >&2
		rc=1
	fi
	echo
done
if ! sh "$here/goals.sh"; then
	echo "bench: goals.sh failed" >&2
	rc=1
fi
exit $rc
