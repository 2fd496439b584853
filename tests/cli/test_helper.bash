# test_helper.bash - loaded by every bats file under tests/cli and
# tests/interop.
bats_require_minimum_version 1.5.0
bats_load_library bats-support
bats_load_library bats-assert

TOP=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)
FCGITOOL=${FCGITOOL:-$TOP/build/check/fcgitool/fcgitool}
BUILD=${BUILD:-$TOP/build/check}
FIXTURES=$TOP/tests/fixtures
export FCGITOOL BUILD FIXTURES TOP

# skip, unless FCGITOOL_TEST_STRICT=1 (CI), which makes it a failure.
need() { # command reason
	if ! command -v "$1" >/dev/null 2>&1; then
		if [ "${FCGITOOL_TEST_STRICT:-0}" = 1 ]; then
			echo "missing $1: $2" >&2
			return 1
		fi
		skip "missing $1: $2"
	fi
}

# A free TCP port on 127.0.0.1: a random one that nobody accepts on, below
# the kernel's ephemeral range (the tests' own servers bind to port 0
# instead where they can).  Within that range the port could be the local
# end of one of the many client connections the tests make, and a peer
# told to listen there fails with "Address already in use".
free_port() {
	local p lo=32768 _hi
	read -r lo _hi </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null ||
		lo=32768
	[ "$lo" -gt 11024 ] || lo=11024
	while :; do
		p=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
}

# Wait until a unix socket or a TCP port accepts, up to ~5 s.
wait_for() { # unix:PATH | HOST:PORT
	for _ in $(seq 1 100); do
		case $1 in
		unix:*) [ -S "${1#unix:}" ] && return 0 ;;
		*) (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null && return 0 ;;
		esac
		sleep 0.05
	done
	echo "nothing listens on $1" >&2
	return 1
}

# Background processes started by a test, killed by pid in teardown.
PIDS=()
track() { PIDS+=("$1"); }
kill_tracked() {
	local p
	for p in "${PIDS[@]}"; do
		kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]}"; do
		for _ in $(seq 1 50); do
			kill -0 "$p" 2>/dev/null || break
			sleep 0.05
		done
		kill -9 "$p" 2>/dev/null || true
	done
	PIDS=()
}
