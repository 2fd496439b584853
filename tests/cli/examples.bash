# examples.bash - run the examples of the man pages and README.md
# (tests/cli/95-examples.bats): tests/examples.awk finds the command
# lines, tests/examples.map maps what they name onto servers started
# here, and each line must exit as its page says.  Load after
# test_helper, ../interop/peers and ../interop/serve; call ex_init
# first and stop_peers at the end.

EX_MAP=$TOP/tests/examples.map
EX_AWK=$TOP/tests/examples.awk
EX_TIMEOUT=${EX_TIMEOUT:-60}

# ex_init: the document root, the CGI directory, fcgitool in $PATH, a
# libfcgitool.pc for the headers of the source tree.
ex_init() {
	peers_init
	EX_DIR=$PEER_DIR/ex
	WWW=$PEER_WWW
	CGI=$EX_DIR/cgi
	mkdir -p "$EX_DIR/bin" "$CGI" "$EX_DIR/include/fcgitool" "$EX_DIR/pc"
	ln -s "$FCGITOOL" "$EX_DIR/bin/fcgitool"
	PATH=$EX_DIR/bin:$PATH
	export PATH
	cat >"$WWW/index.php" <<'PHP'
<?php echo "index of ", $_SERVER['DOCUMENT_ROOT'], "\n";
PHP
	cp "$WWW/index.php" "$WWW/x.php"
	cat >"$WWW/upload.php" <<'PHP'
<?php echo strlen(file_get_contents('php://input')), " bytes\n";
PHP
	cat >"$WWW/slow.php" <<'PHP'
<?php sleep(10); echo "late\n";
PHP
	printf 'name=you\n' >"$WWW/form.txt"
	# The captures of fcgitool-pcap(1)'s examples.
	cp "$TOP/tests/pcap/nginx-keep-v4.pcap" "$WWW/night.pcap"
	gzip -c "$WWW/night.pcap" >"$WWW/night.pcap.gz"
	# fcgitool-conform(1)'s echo script, as its page shows it.
	cat >"$WWW/echo.php" <<'PHP'
<?php
$in = fopen('php://input', 'rb');
$out = fopen('php://output', 'wb');
stream_copy_to_stream($in, $out);
PHP
	printf '#!/bin/sh\nprintf "Content-Type: text/plain\\r\\n\\r\\nhi\\n"\n' \
		>"$CGI/hello"
	chmod 755 "$CGI/hello"
	cp "$GREET_SO" "$WWW/greet.so"
	# pkg-config --cflags libfcgitool, as after make install.
	ln -s "$TOP/lib/pure/fcgi.h" "$TOP/lib/driven/fcgi-uv.h" \
		"$EX_DIR/include/fcgitool/"
	sed -e "s|@PREFIX@|$EX_DIR|" -e "s|@LIBDIR@|$EX_DIR/lib|" \
		-e "s|@INCLUDEDIR@|$EX_DIR/include|" -e 's|@VERSION@|0|' \
		"$TOP/libfcgitool.pc.in" >"$EX_DIR/pc/libfcgitool.pc"
	PKG_CONFIG_PATH=$EX_DIR/pc${PKG_CONFIG_PATH:+:$PKG_CONFIG_PATH}
	export PKG_CONFIG_PATH
	declare -gA EX_VAR=()
	EX_SERVE_PID=
}

# ex_var NAME: the value of a variable of examples.map in REPLY,
# starting its server the first time.  SOCKn and PORTn are new in each
# block (ex_block_vars forgets them).
ex_var() {
	REPLY=${EX_VAR[$1]-}
	[ -n "$REPLY" ] && return 0
	case $1 in
	FPM_SOCK)
		start_php_fpm "$PEER_DIR/fpm.sock" 3 || return 1
		REPLY=$PEER_DIR/fpm.sock
		;;
	FPM_TCP)
		# More workers than bench's 4 kept connections: each holds
		# a worker.
		REPLY=127.0.0.1:$(free_port)
		start_php_fpm "$REPLY" 6 || return 1
		;;
	SERVE_SOCK | SERVE_TCP)
		if [ -z "$EX_SERVE_PID" ]; then
			EX_VAR[SERVE_TCP]=127.0.0.1:$(free_port)
			EX_VAR[SERVE_SOCK]=$EX_DIR/serve.sock
			start_serve "${EX_VAR[SERVE_SOCK]}" \
				"${EX_VAR[SERVE_TCP]}" || return 1
			EX_SERVE_PID=$SERVE_PID
		fi
		REPLY=${EX_VAR[$1]}
		;;
	SOCK[0-9]*)
		REPLY=$EX_DIR/b$EX_BLOCKNO-${1,,}
		EX_FRESH+=("$REPLY")
		;;
	PORT[0-9]*)
		REPLY=$(free_port)
		EX_FRESH+=("127.0.0.1:$REPLY")
		;;
	WWW) REPLY=$WWW ;;
	CGI) REPLY=$CGI ;;
	FCGITOOL) REPLY=$FCGITOOL ;;
	TOP) REPLY=$TOP ;;
	*)
		echo "examples.map: unknown variable \$$1" >&2
		return 1
		;;
	esac
	EX_VAR[$1]=$REPLY
}

# ex_map FILE TEXT: TEXT with the lines of examples.map for FILE applied,
# in REPLY.
ex_map() {
	local file=${1##*/} text=$2 glob from to v
	local -a rules=()
	# The file's own lines first, then those for every file.
	while IFS=$'\t' read -r glob from to; do
		[[ -z $glob || $glob == \#* ]] && continue
		# shellcheck disable=SC2053
		[[ $file == $glob ]] || continue
		rules+=("$from"$'\t'"$to")
	done < <(grep -v '^\*' "$EX_MAP"; grep '^\*' "$EX_MAP")
	for v in "${rules[@]}"; do
		from=${v%%$'\t'*}
		to=${v#*$'\t'}
		[[ $text == *"$from"* ]] || continue
		while [[ $to =~ \$([A-Z_]+[0-9]*) ]]; do
			ex_var "${BASH_REMATCH[1]}" || return 1
			to=${to/"${BASH_REMATCH[0]}"/"$REPLY"}
		done
		text=${text//"$from"/"$to"}
	done
	REPLY=$text
}

# ex_unmapped TEXT: true, with the first one in REPLY, if TEXT still
# names a socket or file under /run or /tmp, or a port, that is not the
# test's own: such a command would touch the machine outside the test
# (or a fixed port), so it is not run; examples.map needs a line for it.
ex_unmapped() {
	local text=$1 v re
	text=${text//"$BATS_RUN_TMPDIR"/}
	for v in "${EX_VAR[@]}"; do
		text=${text//"$v"/}
	done
	if [[ $text =~ (^|[^[:alnum:]_.-])(/run/|/var/run/|/tmp/)[^[:space:]\'\"]* ]]; then
		REPLY=${BASH_REMATCH[0]#?}
		return 0
	fi
	# HOST:PORT, [V6]:PORT or :PORT.
	re="(^|[[:space:]=\"'])[][[:alnum:].:]*:[0-9]{2,5}(\$|[^0-9])"
	if [[ $text =~ $re ]]; then
		REPLY=${BASH_REMATCH[0]}
		return 0
	fi
	return 1
}

# ex_listening ADDR: something accepts on ADDR (a path or HOST:PORT).
ex_listening() {
	case $1 in
	/*) [ -S "$1" ] ;;
	*) (exec 3<>"/dev/tcp/${1%:*}/${1##*:}") 2>/dev/null ;;
	esac
}

# ex_start CMD OUT: run CMD with bash in the background, the leader of a
# process group of its own, output into OUT; sets EX_PID.
ex_start() {
	set -m
	bash -c "$1" </dev/null >"$2" 2>&1 3>&- &
	EX_PID=$!
	set +m
	track "$EX_PID"
}

# ex_stop PID SIGNAL: SIGNAL to PID's process group, then up to 10 s for
# PID to exit; its status in EX_STATUS.
ex_stop() {
	local _
	kill -"$2" -- "-$1" 2>/dev/null || true
	for _ in $(seq 1 200); do
		kill -0 "$1" 2>/dev/null || break
		sleep 0.05
	done
	kill -KILL -- "-$1" 2>/dev/null || true
	EX_STATUS=0
	wait "$1" || EX_STATUS=$?
}

# ex_line CMD BG: run one command line.  A command that starts a server
# (a new address of this block begins to accept while it runs) has done
# what it should once it accepts: in the background (BG=1) it keeps
# running until the block ends, in the foreground it gets SIGINT, as ^C.
# Otherwise it must end within EX_TIMEOUT.  Sets EX_STATUS, EX_OUT.
ex_line() {
	local cmd=$1 bg=$2 a i ready=0
	local -a fresh=()
	EX_OUT=$EX_DIR/out.$EX_SEQ
	EX_SEQ=$((EX_SEQ + 1))
	for a in "${EX_FRESH[@]}"; do
		[[ $cmd == *"${a##*:}"* ]] && ! ex_listening "$a" && fresh+=("$a")
	done
	ex_start "$cmd" "$EX_OUT"
	for ((i = 0; i < EX_TIMEOUT * 20; i++)); do
		kill -0 "$EX_PID" 2>/dev/null || break
		for a in "${fresh[@]}"; do
			ex_listening "$a" && ready=1
		done
		[ "$ready" = 1 ] && break
		sleep 0.05
	done
	# A request through it, answered or not, so that it is past its
	# start (spawn-fcgi listens before the server it runs is ready).
	if [ "$ready" = 1 ]; then
		for a in "${fresh[@]}"; do
			"$FCGITOOL" request -m 10 "$a" /hello >/dev/null 2>&1 || true
		done
	fi
	if [ "$ready" = 1 ] && [ "$bg" = 1 ]; then
		EX_BG+=("$EX_PID")
		EX_STATUS=0
		return 0
	fi
	if [ "$ready" = 0 ] && kill -0 "$EX_PID" 2>/dev/null; then
		ex_stop "$EX_PID" KILL
		EX_STATUS=timeout
		return 0
	fi
	ex_stop "$EX_PID" INT
}

# ex_file FILE: run the examples of FILE; prints a line per command
# ("ok", "FAIL" or "skip", the place and the command) and the output of
# those that failed; the number that failed in EX_FAILED.
ex_file() {
	local file=$1 kind=man rec b k text ann ln want skip check p o
	local -a lines=()
	[[ $file == *.md ]] && kind=md
	mapfile -t lines < <(awk -v kind="$kind" -v dir="$WWW" -f "$EX_AWK" "$file")
	EX_BLOCKNO=0
	for rec in "${lines[@]}" "B	end"; do
		IFS=$'\t' read -r kind b k text <<<"$rec"
		# A here-document's lines are joined with \001.
		text=${text//$'\001'/$'\n'}
		case $kind in
		B)
			ex_block_end
			EX_BLOCKNO=$b
			ln=$k
			ann=$text
			;;
		C)
			# What the annotations say for this command.
			want=0
			skip=
			check=1
			IFS=$'\037' read -ra p <<<"$ann"
			for o in "${p[@]}"; do
				[[ $o == "line $k: "* ]] && o=${o#line "$k": }
				[[ $o == "line "* ]] && continue
				case $o in
				"exit "*) want=${o#exit } ;;
				"skip because "*) skip=${o#skip because } ;;
				"output varies") check=0 ;;
				esac
			done
			EX_CMD=$text
			EX_WHERE="${file##*/}:$ln, command $k"
			if [ -n "$skip" ]; then
				echo "skip $EX_WHERE: $text (because $skip)"
				EX_SKIPPED=$((EX_SKIPPED + 1))
				EX_LAST=
				continue
			fi
			ex_map "$file" "$text" || {
				ex_fail "cannot map: $text"
				continue
			}
			text=$REPLY
			if ex_unmapped "$text"; then
				ex_fail "'$REPLY' is not mapped to the test's own in tests/examples.map: $text"
				continue
			fi
			local bg=0
			if [[ $text =~ [[:space:]]\&[[:space:]]*$ ]]; then
				bg=1
				text=${text%&*}
			fi
			ex_line "$text" "$bg"
			EX_CHECK=$check
			EX_LAST=$EX_OUT
			EX_RUN=$((EX_RUN + 1))
			if [ "$EX_STATUS" != "$want" ]; then
				ex_fail "exit $EX_STATUS, the page says $want: $text"
			else
				echo "ok   $EX_WHERE: $text"
			fi
			;;
		O)
			if [ -z "$EX_LAST" ] || [ "$EX_CHECK" != 1 ]; then
				continue
			fi
			ex_map "$file" "$text" || continue
			# A server prints its line once it listens: a moment.
			for _ in $(seq 1 50); do
				grep -qF -- "$REPLY" "$EX_LAST" && break
				sleep 0.1
			done
			grep -qF -- "$REPLY" "$EX_LAST" ||
				ex_fail "does not print '$REPLY': $EX_CMD"
			;;
		F) echo "file $k written from a block of ${file##*/}" ;;
		esac
	done
}

ex_fail() {
	echo "FAIL $EX_WHERE: $1"
	[ -n "${EX_OUT-}" ] && [ -f "$EX_OUT" ] && sed 's/^/    | /' "$EX_OUT" | head -40
	EX_FAILED=$((EX_FAILED + 1))
}

# ex_block_end: stop what the block started in the background (SIGTERM:
# it must stop cleanly, exit 0) and forget its SOCKn and PORTn.
ex_block_end() {
	local p
	for p in "${EX_BG[@]}"; do
		ex_stop "$p" TERM
		[ "$EX_STATUS" = 0 ] ||
			ex_fail "a server started in the background exited $EX_STATUS on SIGTERM"
	done
	EX_BG=()
	EX_FRESH=()
	for p in "${!EX_VAR[@]}"; do
		[[ $p == SOCK* || $p == PORT* ]] && unset "EX_VAR[$p]"
	done
	EX_LAST=
}
