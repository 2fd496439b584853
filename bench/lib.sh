# shellcheck shell=sh
# lib.sh - shared by the benchmarks (sourced, not run): finding php-fpm, a
# temporary directory whose background processes are killed on exit, and
# waiting for a unix socket.  bench/run.sh skips this file.

# find_php_fpm: sets fpm to the php-fpm binary, or to "" when none.
# shellcheck disable=SC2034 # fpm and pids are the callers' variables
find_php_fpm() {
	fpm=""
	for b in php-fpm8.2 php-fpm8.3 php-fpm8.1 php-fpm; do
		if command -v "$b" >/dev/null 2>&1; then
			fpm=$(command -v "$b")
			return 0
		fi
	done
}

# bench_tmpdir: sets d to a new temporary directory and pids to ""; on
# exit every pid added to pids is killed and waited for, and d removed.
# shellcheck disable=SC2034
bench_tmpdir() {
	d=$(mktemp -d "${TMPDIR:-/tmp}/fcgitool-bench.XXXXXX")
	pids=""
	trap bench_cleanup EXIT INT TERM
}

bench_cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null || true
	done
	for p in $pids; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$d"
}

# wait_sock PATH: wait up to 10 s for a unix socket to appear.
wait_sock() {
	i=0
	while [ ! -S "$1" ] && [ $i -lt 200 ]; do
		sleep 0.05
		i=$((i + 1))
	done
	[ -S "$1" ]
}
