#!/bin/sh
# check-deps.sh BUILD - the layering rules of DESIGN.md, checked on the
# undefined symbols of the built objects (nm -u):
#  - lib/pure/ does no I/O: no libuv, socket, file, stdio stream, clock,
#    process or environment symbol (snprintf into memory is fine);
#  - lib/ does not use cJSON: JSON is written by lib/pure/json.c, and
#    cJSON reads mock scripts only;
#  - libpcap is used by pcap/ only, readline by the shell only.
# Prints each offending object and symbol; exits 1 if there is any.
set -u
b=${1:?usage: check-deps.sh BUILD}
bad=0

undef() { # objects...
	for o in "$@"; do
		[ -f "$o" ] || continue
		nm -u "$o" | awk -v o="$o" '{ print o ": " $NF }'
	done
}

# I/O, clocks, processes and the environment: none in the pure half.
pure_ban='^(uv_|socket$|connect$|bind$|listen$|accept4?$|send|recv|read$|readv$|write$|writev$|pread|pwrite|open(at)?(64)?$|close$|creat$|unlink$|stat|fstat|lstat|fopen|fdopen|fclose|fread$|fwrite$|fputs$|fputc$|putc$|putchar$|puts$|printf$|fprintf$|vprintf$|vfprintf$|dprintf$|fflush$|fgets$|getc$|fgetc$|getline$|getdelim$|stdin$|stdout$|stderr$|flockfile$|funlockfile$|getenv$|secure_getenv$|setenv$|isatty$|fileno$|clock_gettime$|clock$|time$|gettimeofday$|nanosleep$|sleep$|usleep$|pipe2?$|fork$|vfork$|exec|waitpid$|kill$|signal$|sigaction$|dlopen$|poll$|ppoll$|epoll_|select$|ioctl$|fcntl|mmap$|pcap_|cJSON_|readline$|rl_|add_history$|syslog$)'
out=$(undef "$b"/lib/pure/*.o | awk -v re="$pure_ban" '{ s = $2; sub(/@.*/, "", s); sub(/^__isoc99_/, "", s); sub(/_chk$/, "", s); sub(/^__/, "", s); if (s ~ re) print }')
if [ -n "$out" ]; then
	echo "check-deps: the pure half (lib/pure/) must do no I/O:"
	echo "$out" | sed 's/^/  /'
	bad=1
fi

out=$(undef "$b"/lib/driven/*.o | grep -E ': cJSON_' || true)
if [ -n "$out" ]; then
	echo "check-deps: lib/ writes JSON with fcgi_json_*, never cJSON:"
	echo "$out" | sed 's/^/  /'
	bad=1
fi

others=$(ls "$b"/lib/pure/*.o "$b"/lib/driven/*.o "$b"/mock/*.o \
	"$b"/fcgitool/*.o 2>/dev/null)
# shellcheck disable=SC2086
out=$(undef $others | grep -E ': pcap_' || true)
if [ -n "$out" ]; then
	echo "check-deps: only pcap/ may use libpcap:"
	echo "$out" | sed 's/^/  /'
	bad=1
fi
# shellcheck disable=SC2086
out=$(undef $others "$b"/pcap/*.o 2>/dev/null |
	grep -vE '^[^:]*/fcgitool/(cmd-)?shell[^/]*\.o:' |
	grep -E ': (readline|rl_|add_history|read_history|write_history|history_)' || true)
if [ -n "$out" ]; then
	echo "check-deps: only the shell may use readline:"
	echo "$out" | sed 's/^/  /'
	bad=1
fi
[ $bad = 0 ] && echo "check-deps: layering rules hold"
exit $bad
