#!/bin/sh
# lint.sh - clang-format, mandoc -Tlint -Wstyle, shellcheck on the shell
# helpers, and a grep for banned functions (STYLE.md section 9).
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 2
rc=0

src=$(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]')
if command -v clang-format >/dev/null 2>&1; then
	# shellcheck disable=SC2086
	clang-format --dry-run --Werror $src 2>&1 | head -40 || rc=1
	# shellcheck disable=SC2086
	clang-format --dry-run --Werror $src >/dev/null 2>&1 || rc=1
else
	echo "lint: clang-format not installed; skipped" >&2
fi

for m in man/*.[0-9]; do
	[ -f "$m" ] || continue
	# Cross-references to pages that are not installed are not errors.
	out=$(mandoc -Tlint -Wstyle "$m" 2>&1 |
		grep -v -e 'referenced manual not found' -e 'mandoc.db')
	if [ -n "$out" ]; then
		echo "$out"
		rc=1
	fi
done

if command -v shellcheck >/dev/null 2>&1; then
	shellcheck -s bash tests/cli/*.bash tests/interop/*.bash \
		completion/bash.in || rc=1
	shellcheck completion/gen.sh || rc=1
	shellcheck tests/*.sh bench/*.sh tests/fuzz/*.sh .ci/run || rc=1
fi

banned='\<(strcpy|strcat|sprintf|vsprintf|strtok|atoi|gets|sscanf)[[:space:]]*\('
# shellcheck disable=SC2086
if grep -nE "$banned" $src; then
	echo "lint: banned function used (STYLE.md section 9)" >&2
	rc=1
fi

[ $rc -eq 0 ] && echo "lint: clean"
exit $rc
