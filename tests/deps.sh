#!/bin/sh
# deps.sh - install what fcgitool needs on Debian/Ubuntu, or say how.
#
# Build: gcc, make, pkg-config, libuv1-dev, libpcap-dev, libreadline-dev,
# libcjson-dev.  Tests: libcmocka-dev, bats (+assert, +support), clang
# (fuzzers), mandoc, curl, and the real peers the interop tests start:
# nginx, php-fpm, fcgiwrap, libfcgi-bin (cgi-fcgi), spawn-fcgi, tcpdump;
# bash, zsh and fish, whose completion the tests run.
set -u

PKGS="gcc make pkg-config libuv1-dev libpcap-dev libreadline-dev libcjson-dev
libcmocka-dev bats bats-assert bats-support clang mandoc curl nginx-light
php-fpm fcgiwrap libfcgi-bin libfcgi-dev spawn-fcgi tcpdump wrk jq
hyperfine tshark python3 man-db tmux zsh fish"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null |
		grep -q 'install ok installed'; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

if ! command -v apt-get >/dev/null 2>&1; then
	echo "fcgitool: missing packages:$missing" >&2
	echo "fcgitool: install their equivalents for your system" >&2
	exit 1
fi
if [ "$(id -u)" != 0 ]; then
	echo "fcgitool: missing packages:$missing" >&2
	echo "fcgitool: run: sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "fcgitool: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null || exit 1
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null || exit 1
# Debian's packages start their services on install where they can; the
# tests start their own copies, so stop any that did start.
for s in nginx php8.2-fpm fcgiwrap; do
	if command -v service >/dev/null 2>&1; then
		service "$s" stop >/dev/null 2>&1 || true
	fi
done
exit 0
