#!/bin/sh
# deb.sh - build the Debian packages (debian/) as dpkg-buildpackage
# -us -uc -b does on Debian 12, check them with lintian (no error or
# warning may remain), install them into a fresh root with dpkg, and try
# what was installed: fcgitool --version, a request against fcgitool
# serve, the shell completion, and a program built against the installed
# library through pkg-config.  .ci/run runs it after make check; make
# check does not (it takes minutes).  Everything happens in a temporary
# directory: the package is built in a copy of the tree, so that nothing
# is left in it (dpkg-buildpackage writes the .debs into ..).
#
#   sh tests/deb.sh [KEEP-DIR]     KEEP-DIR: put the .debs there as well
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
keep=${1:-}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/fcgitool-deb.XXXXXX")
serve_pid=
cleanup() {
	if [ -n "$serve_pid" ]; then
		kill "$serve_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

say() {
	echo "deb.sh: $*"
}
die() {
	echo "deb.sh: $*" >&2
	exit 1
}

for t in dpkg-buildpackage dh lintian dpkg-deb pkg-config; do
	command -v "$t" >/dev/null 2>&1 ||
		die "$t is missing (apt-get install devscripts debhelper lintian pkgconf)"
done

# A copy of the tree as git knows it (tracked and new files, not the
# ignored ones such as build/), in the name dpkg-source expects.
version=$(dpkg-parsechangelog -l "$top/debian/changelog" -S Version)
src=$tmp/fcgitool-$version
mkdir -p "$src"
(cd "$top" && git ls-files -co --exclude-standard) | while IFS= read -r f; do
	[ -e "$top/$f" ] && printf '%s\n' "$f"
done >"$tmp/files"
tar -C "$top" -cf - -T "$tmp/files" | tar -C "$src" -xf -
[ "$version" = "$(sed -n 's/^VERSION := //p' "$src/Makefile")" ] ||
	die "debian/changelog says $version, the Makefile's VERSION differs"

say "dpkg-buildpackage -us -uc -b in $src"
(cd "$src" && dpkg-buildpackage -us -uc -b) >"$tmp/build.log" 2>&1 || {
	tail -60 "$tmp/build.log" >&2
	die "dpkg-buildpackage failed"
}
ls "$tmp"/*.deb >/dev/null 2>&1 || die "no .deb was built"
for p in fcgitool libfcgitool0 libfcgitool-dev; do
	ls "$tmp/${p}_${version}_"*.deb >/dev/null 2>&1 || die "no $p package"
done

say "lintian"
lintian --fail-on error,warning --display-info \
	"$tmp"/*.changes || die "lintian found errors or warnings"

# A fresh root: an empty dpkg database, dependencies not installed there
# (they are the host's: the programs run with its libuv, libpcap, ...).
root=$tmp/root
mkdir -p "$root/var/lib/dpkg/info" "$root/var/lib/dpkg/updates"
: >"$root/var/lib/dpkg/status"
say "dpkg --root $root -i"
dpkg --root="$root" --force-depends --force-script-chrootless \
	--log=/dev/null -i "$tmp"/*.deb >"$tmp/install.log" 2>&1 || {
	cat "$tmp/install.log" >&2
	die "dpkg -i into $root failed"
}
# Each package's dependencies, but the packages built here, are
# installed on this host.
ours=" $(for deb in "$tmp"/*.deb; do dpkg-deb -f "$deb" Package; done | tr '\n' ' ')"
for deb in "$tmp"/*.deb; do
	dpkg-deb -f "$deb" Depends | tr ',' '\n' | sed 's/([^)]*)//; s/ //g' |
		while IFS= read -r d; do
			case $ours in
			*" $d "*) continue ;;
			esac
			[ -n "$d" ] || continue
			dpkg-query -W -f '${Status}\n' "${d%%|*}" 2>/dev/null |
				grep -q 'install ok installed' ||
				die "${deb##*/} depends on $d, which is not installed"
		done
done
multiarch=$(dpkg-architecture -qDEB_HOST_MULTIARCH)
for f in usr/bin/fcgitool usr/share/man/man1/fcgitool.1.gz \
	usr/share/bash-completion/completions/fcgitool \
	usr/share/zsh/vendor-completions/_fcgitool \
	usr/share/fish/vendor_completions.d/fcgitool.fish \
	"usr/lib/$multiarch/libfcgitool.so.0" \
	"usr/lib/$multiarch/libfcgitool.a" \
	"usr/lib/$multiarch/pkgconfig/libfcgitool.pc" \
	usr/include/fcgitool/fcgi.h usr/include/fcgitool/fcgi-uv.h \
	usr/share/man/man3/libfcgitool.3.gz; do
	[ -e "$root/$f" ] || die "the packages did not install /$f"
done

tool=$root/usr/bin/fcgitool
say "$tool --version"
"$tool" --version >"$tmp/version" || die "fcgitool --version failed"
cat "$tmp/version"
head -1 "$tmp/version" | grep -qx "fcgitool $version" ||
	die "fcgitool --version does not say $version"

say "a request against the installed fcgitool serve"
"$tool" serve "$tmp/s.sock" 2>"$tmp/serve.log" &
serve_pid=$!
i=0
while [ ! -S "$tmp/s.sock" ]; do
	i=$((i + 1))
	[ $i -lt 200 ] || die "fcgitool serve did not listen: $(cat "$tmp/serve.log")"
	sleep 0.05
done
"$tool" request "$tmp/s.sock" '/hello?name=deb' >"$tmp/answer" ||
	die "fcgitool request failed"
grep -qx 'Hello, deb!' "$tmp/answer" ||
	die "unexpected answer: $(cat "$tmp/answer")"
kill -TERM "$serve_pid"
rc=0
wait "$serve_pid" || rc=$?
serve_pid=
[ "$rc" = 0 ] || die "fcgitool serve exited $rc on SIGTERM"

say "fcgitool help request, from the installed page"
MANPATH=$root/usr/share/man MANPAGER=cat MANWIDTH=80 "$tool" help request \
	>"$tmp/help" 2>&1 || die "fcgitool help request failed: $(cat "$tmp/help")"
grep -q '^SYNOPSIS' "$tmp/help" || die "fcgitool help request shows no page"

say "the completion"
if command -v zsh >/dev/null 2>&1; then
	zsh -n "$root/usr/share/zsh/vendor-completions/_fcgitool" ||
		die "the installed zsh completion does not parse"
fi
if command -v fish >/dev/null 2>&1; then
	# shellcheck disable=SC2016
	fish --no-config -c 'source $argv[1]; complete -C "fcgitool re"' \
		"$root/usr/share/fish/vendor_completions.d/fcgitool.fish" |
		grep -q '^request' ||
		die "the installed fish completion does not complete 'fcgitool re'"
fi
bash -c '. "$1" && COMP_WORDS=(fcgitool re) COMP_CWORD=1 &&
	_fcgitool && [ "${COMPREPLY[*]}" = request ]' bash \
	"$root/usr/share/bash-completion/completions/fcgitool" ||
	die "the installed bash completion does not complete 'fcgitool re'"

say "a program built against libfcgitool-dev through pkg-config"
export PKG_CONFIG_SYSROOT_DIR="$root"
export PKG_CONFIG_PATH="$root/usr/lib/$multiarch/pkgconfig"
# shellcheck disable=SC2046
cc -std=c11 -D_POSIX_C_SOURCE=200809L -Wall -Werror -o "$tmp/uselib" \
	"$top/tests/fixtures/install/uselib.c" \
	$(pkg-config --cflags --libs libfcgitool) ||
	die "cannot build a program against the installed library"
LD_LIBRARY_PATH=$root/usr/lib/$multiarch "$tmp/uselib" >"$tmp/uselib.out" ||
	die "the program built against the library failed"
LD_LIBRARY_PATH=$root/usr/lib/$multiarch ldd "$tmp/uselib" |
	grep -q "libfcgitool.so.0 => $root/usr/lib/$multiarch/" ||
	die "the program does not use the installed libfcgitool.so.0"
grep -q '^pure: ' "$tmp/uselib.out" || die "unexpected: $(cat "$tmp/uselib.out")"

if [ -n "$keep" ]; then
	mkdir -p "$keep"
	cp "$tmp"/*.deb "$tmp"/*.changes "$tmp"/*.buildinfo "$keep"/
fi
for deb in "$tmp"/*.deb; do
	say "ok: ${deb##*/}"
done
