#!/usr/bin/env bats
# 90-install.bats - make install and make uninstall into a DESTDIR: the
# installed tree, programs built against the installed library through
# pkg-config (tests/fixtures/install/uselib.c and the examples of
# libfcgitool(3)), the soname, the exported symbols, and nothing left
# after uninstall.  It installs the build the other tests use ($BUILD),
# so nothing is compiled again.

load test_helper
load ../interop/serve

setup_file() {
	VARIANT=${BUILD##*/}
	export VARIANT
	# The programs built here link the library of that build, so they
	# need its sanitizers (make check's objects call into ASan).
	SAN=
	case $VARIANT in
	check*) SAN="-fsanitize=address,undefined" ;;
	esac
	export SAN
}

setup() {
	D=$BATS_TEST_TMPDIR
	need readelf "binutils is not installed"
	need pkg-config "pkg-config is not installed"
	[ "$(cd "$BUILD" && pwd)" = "$TOP/build/$VARIANT" ] || {
		echo "BUILD ($BUILD) is not $TOP/build/$VARIANT" >&2
		return 1
	}
}

teardown() {
	kill_tracked
}

# install_into DIR: make install of $VARIANT's build with PREFIX=/usr.
install_into() {
	make -C "$TOP" -s VARIANT="$VARIANT" DESTDIR="$1" PREFIX=/usr \
		install >"$D/install.log" 2>&1 || {
		cat "$D/install.log" >&2
		return 1
	}
}

# pc ARGS...: pkg-config on the installed libfcgitool.pc, its prefix moved
# into the DESTDIR.
pc() {
	PKG_CONFIG_PATH=$R/usr/lib/pkgconfig pkg-config \
		--define-variable=prefix="$R/usr" "$@" libfcgitool
}

# build OUT SRC [FLAGS...]: compile SRC against the installed library,
# with the project's warnings in strict C11, as a user of the headers
# would.  Programs using fcgi-uv.h add -D_POSIX_C_SOURCE=200809L, which
# <uv.h> needs in strict C; fcgi.h alone needs nothing.
build() {
	local out=$1 src=$2
	shift 2
	# shellcheck disable=SC2046,SC2086
	"${CC:-cc}" -std=c11 -Wall -Wextra -Wpedantic -Werror $SAN \
		-o "$out" "$src" $(pc --cflags) "$@"
}

# man_example N: the Nth literal block of the EXAMPLES section of
# libfcgitool(3), with the roff escapes undone.
man_example() {
	awk -v n="$1" '
		/^\.Sh / { ex = ($2 == "EXAMPLES") }
		ex && /^\.Bd -literal/ { k++; on = (k == n); next }
		/^\.Ed/ { on = 0 }
		on { print }' "$TOP/man/libfcgitool.3" |
		sed -e 's/\\e/\\/g' -e 's/\\&//g'
}

@test "install: the tree under DESTDIR" {
	R=$D/root
	install_into "$R"
	local want m
	want=$(
		{
			echo usr/bin/fcgitool
			echo usr/include/fcgitool/fcgi-uv.h
			echo usr/include/fcgitool/fcgi.h
			echo usr/lib/libfcgitool.a
			echo usr/lib/libfcgitool.so
			echo usr/lib/libfcgitool.so.0
			echo usr/lib/libfcgitool.so.0.1.0
			echo usr/lib/pkgconfig/libfcgitool.pc
			echo usr/share/bash-completion/completions/fcgitool
			echo usr/share/fish/vendor_completions.d/fcgitool.fish
			echo usr/share/zsh/vendor-completions/_fcgitool
			for m in "$TOP"/man/*.[0-9]; do
				echo "usr/share/man/man${m##*.}/${m##*/}"
			done
		} | LC_ALL=C sort
	)
	run -0 bash -c "cd '$R' && find . ! -type d | sed 's|^\./||' |
		LC_ALL=C sort"
	echo "$output" | sed 's/^/# /' >&3
	assert_output "$want"
	[ -f "$R/usr/share/man/man3/libfcgitool.3" ]
	assert_equal "$(readlink "$R/usr/lib/libfcgitool.so")" libfcgitool.so.0
	assert_equal "$(readlink "$R/usr/lib/libfcgitool.so.0")" \
		libfcgitool.so.0.1.0
	run -0 "$R/usr/bin/fcgitool" --version
	assert_output --regexp '^fcgitool 0\.1\.0'
	# The completion is the one made for this build.
	cmp "$R/usr/share/bash-completion/completions/fcgitool" \
		"$BUILD/completion/fcgitool.bash"
	cmp "$R/usr/share/zsh/vendor-completions/_fcgitool" \
		"$BUILD/completion/_fcgitool"
	cmp "$R/usr/share/fish/vendor_completions.d/fcgitool.fish" \
		"$BUILD/completion/fcgitool.fish"
}

@test "install: BASHCOMPDIR, ZSHCOMPDIR and FISHCOMPDIR move the completion" {
	R=$D/root
	make -C "$TOP" -s VARIANT="$VARIANT" DESTDIR="$R" PREFIX=/opt/f \
		BASHCOMPDIR=/etc/bash_completion.d ZSHCOMPDIR=/opt/z \
		FISHCOMPDIR=/opt/fish install >"$D/install.log" 2>&1 ||
		fail "$(cat "$D/install.log")"
	[ -f "$R/etc/bash_completion.d/fcgitool" ]
	[ -f "$R/opt/z/_fcgitool" ]
	[ -f "$R/opt/fish/fcgitool.fish" ]
	[ -x "$R/opt/f/bin/fcgitool" ]
	make -C "$TOP" -s VARIANT="$VARIANT" DESTDIR="$R" PREFIX=/opt/f \
		BASHCOMPDIR=/etc/bash_completion.d ZSHCOMPDIR=/opt/z \
		FISHCOMPDIR=/opt/fish uninstall
	run -0 find "$R" ! -type d
	assert_output ""
}

@test "install: soname, and only the public API exported" {
	R=$D/root
	install_into "$R"
	local so=$R/usr/lib/libfcgitool.so.0.1.0 public exported internal s
	run -0 readelf -d "$so"
	assert_output --partial "Library soname: [libfcgitool.so.0]"
	# The functions the installed headers declare.
	public=$(echo '#include <fcgitool/fcgi-uv.h>' |
		# shellcheck disable=SC2046
		"${CC:-cc}" -E -P $(pc --cflags) -x c - |
		grep -oE '\<fcgi_[a-z0-9_]+[[:space:]]*\(' |
		sed 's/[[:space:]]*($//' | LC_ALL=C sort -u)
	[ "$(echo "$public" | wc -l)" -gt 100 ]
	# What the library exports (defined dynamic symbols, not the
	# version node).
	exported=$(readelf --dyn-syms -W "$so" |
		awk 'NR > 3 && $7 != "UND" && $7 != "ABS" {
			sub(/@.*/, "", $8); print $8 }' | LC_ALL=C sort -u)
	assert_equal "$exported" "$public"
	# The library's own global functions that are not public, such as
	# fcgi_tok_name, exist and are not exported (the above says so;
	# this says the check could fail).
	internal=$(nm -g --defined-only "$R/usr/lib/libfcgitool.a" |
		awk '$2 == "T" { print $3 }' | LC_ALL=C sort -u |
		LC_ALL=C comm -23 - <(echo "$public"))
	echo "$internal" | grep -qx fcgi_tok_name
	echo "$internal" | grep -qx fcgi_tok_lookup
	for s in $internal; do
		if echo "$exported" | grep -qx "$s"; then
			echo "exported but not public: $s" >&2
			return 1
		fi
	done
}

@test "install: a program links the shared library through pkg-config" {
	R=$D/root
	install_into "$R"
	run -0 pc --modversion
	assert_output 0.1.0
	# shellcheck disable=SC2046
	build "$D/uselib" "$TOP/tests/fixtures/install/uselib.c" \
		-D_POSIX_C_SOURCE=200809L $(pc --libs)
	run -0 readelf -d "$D/uselib"
	assert_output --partial "Shared library: [libfcgitool.so.0]"
	assert_output --partial "Shared library: [libuv.so.1]"
	LD_LIBRARY_PATH=$R/usr/lib run -0 --separate-stderr "$D/uselib"
	assert_line --index 0 "pure: STDOUT id=7 len=5 padding=3"
	assert_line --index 1 "driven: timer fired, address [::1]:9000"
	[ -z "$stderr" ]
}

@test "install: a program links the static library through pkg-config" {
	R=$D/root
	install_into "$R"
	local libs
	libs=$(pc --static --libs)
	libs=${libs/-lfcgitool/$R/usr/lib/libfcgitool.a}
	# shellcheck disable=SC2086
	build "$D/uselib" "$TOP/tests/fixtures/install/uselib.c" \
		-D_POSIX_C_SOURCE=200809L $libs
	run -0 readelf -d "$D/uselib"
	refute_output --partial "libfcgitool"
	run -0 "$D/uselib"
	assert_line --index 1 "driven: timer fired, address [::1]:9000"
}

@test "install: the examples of libfcgitool(3) build and work" {
	R=$D/root
	install_into "$R"
	man_example 1 >"$D/get.c"
	man_example 3 >"$D/records.c"
	grep -q 'fcgi_client_run' "$D/get.c"
	grep -q 'fcgi_decoder_feed' "$D/records.c"
	# shellcheck disable=SC2046
	build "$D/get" "$D/get.c" -D_POSIX_C_SOURCE=200809L $(pc --libs)
	# shellcheck disable=SC2046
	build "$D/records" "$D/records.c" $(pc --libs)
	FCGITOOL=$R/usr/bin/fcgitool start_serve "$D/s.sock"
	LD_LIBRARY_PATH=$R/usr/lib run -0 --separate-stderr "$D/get" \
		"unix:$D/s.sock" /hello
	assert_line --index 0 "status 200, appStatus 0"
	assert_output --partial "Hello"
	LD_LIBRARY_PATH=$R/usr/lib run -3 --separate-stderr "$D/get" \
		"unix:$D/none.sock" /hello
	assert_equal "$stderr" "get: connection failed"
	LD_LIBRARY_PATH=$R/usr/lib run -0 --separate-stderr "$D/records" \
		<"$FIXTURES/golden/nginx-phpfpm-get.to-web.bin"
	assert_line --index 0 --regexp '^STDOUT id=1 len=[0-9]+$'
	assert_line --index -1 "END_REQUEST id=1 len=8"
	printf '\1\6\0\1\0\5' >"$D/short.bin"
	LD_LIBRARY_PATH=$R/usr/lib run -4 --separate-stderr "$D/records" \
		<"$D/short.bin"
	assert_equal "$stderr" \
		"records: truncated header: 6 of 8 bytes at offset 0 (record 1)"
}

@test "uninstall: removes everything install put there" {
	R=$D/root
	install_into "$R"
	make -C "$TOP" -s VARIANT="$VARIANT" DESTDIR="$R" PREFIX=/usr \
		uninstall
	run -0 find "$R" ! -type d
	assert_output ""
	[ ! -e "$R/usr/include/fcgitool" ]
	# A second uninstall finds nothing to remove and still succeeds.
	make -C "$TOP" -s VARIANT="$VARIANT" DESTDIR="$R" PREFIX=/usr \
		uninstall
}
