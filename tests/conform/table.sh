#!/bin/sh
# table.sh - the README's table of conform results, made from the expected
# results the interop tests compare with (tests/conform/expected/*.txt).
# tests/cli/50-conform.bats fails when README.md holds another table;
# paste this script's output between the README's conform-table markers.
set -eu
dir=$(cd "$(dirname "$0")" && pwd)/expected
peers="php-fpm fcgiwrap libfcgi fcgitool"

title() {
	case $1 in
	php-fpm) echo "PHP-FPM" ;;
	fcgiwrap) echo "fcgiwrap" ;;
	libfcgi) echo "libfcgi" ;;
	fcgitool) echo "fcgitool serve" ;;
	esac
}

echo "| peer | pass | fail | warn | info | skip |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for p in $peers; do
	awk -v name="$(title "$p")" '
		{ n[$2]++ }
		END {
			printf "| %s | %d | %d | %d | %d | %d |\n", name,
			    n["pass"], n["fail"], n["warn"], n["info"], n["skip"]
		}' "$dir/$p.txt"
done
echo
echo "Every case that some peer fails or warns on:"
echo
printf '| case |'
for p in $peers; do printf ' %s |' "$(title "$p")"; done
echo
printf '| --- |'
for p in $peers; do printf ' --- |'; done
echo
# One row per case id in the order of the first file.
awk -v files="$peers" -v dir="$dir" '
	BEGIN {
		np = split(files, p, " ")
		for (i = 1; i <= np; i++) {
			f = dir "/" p[i] ".txt"
			while ((getline line < f) > 0) {
				split(line, w, " ")
				g[w[1], i] = w[2]
				if (i == 1)
					order[++n] = w[1]
			}
		}
		for (k = 1; k <= n; k++) {
			id = order[k]
			bad = 0
			for (i = 1; i <= np; i++)
				if (g[id, i] == "fail" || g[id, i] == "warn")
					bad = 1
			if (!bad)
				continue
			printf "| `%s` |", id
			for (i = 1; i <= np; i++) {
				v = g[id, i]
				if (v == "fail")
					v = "**fail**"
				printf " %s |", v
			}
			printf "\n"
		}
	}'
echo
echo "The web server side, \`fcgitool conform --client\` with nginx in front:"
echo
echo "| web server | pass | fail | warn | info | skip |"
echo "| --- | ---: | ---: | ---: | ---: | ---: |"
for p in nginx nginx-keepalive; do
	case $p in
	nginx) name="nginx" ;;
	*) name="nginx, keepalive pool and fastcgi_keep_conn" ;;
	esac
	awk -v name="$name" '
		{ n[$2]++ }
		END {
			printf "| %s | %d | %d | %d | %d | %d |\n", name,
			    n["pass"], n["fail"], n["warn"], n["info"], n["skip"]
		}' "$dir/$p.txt"
done
