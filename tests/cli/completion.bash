# completion.bash - run the shell completion made in $BUILD/completion the
# way each shell does when Tab is pressed; loaded by 94-completion.bats
# after test_helper.  Each prints the candidates, one a line, sorted.

COMP_DIR=$BUILD/completion
export COMP_DIR

# bash_comp LINE: bash's candidates for the end of LINE, as bash would
# insert them (after the last "=" or ":" of the word, COMP_WORDBREAKS).
# COMP_WORDS is split as bash splits it: at blanks, and with each
# word-break character a word of its own.
bash_comp() {
	bash --norc --noprofile -c '
		source "$1" || exit 1
		line=$2
		tok=""
		w=()
		for ((i = 0; i < ${#line}; i++)); do
			c=${line:i:1}
			if [[ $c == [[:blank:]] ]]; then
				[[ -n $tok ]] && w+=("$tok")
				tok=""
			elif [[ $COMP_WORDBREAKS == *"$c"* ]]; then
				[[ -n $tok ]] && w+=("$tok")
				w+=("$c")
				tok=""
			else
				tok+=$c
			fi
		done
		w+=("$tok")
		COMP_WORDS=("${w[@]}")
		COMP_CWORD=$((${#w[@]} - 1))
		COMP_LINE=$line
		COMP_POINT=${#line}
		_fcgitool fcgitool "${w[-1]}" "${w[-2]-}"
		for c in "${COMPREPLY[@]}"; do
			printf "%s\n" "$c"
		done' bash "$COMP_DIR/fcgitool.bash" "$1" | LC_ALL=C sort -u
}

# fish_comp LINE: fish's candidates (complete -C), without descriptions.
fish_comp() {
	# shellcheck disable=SC2016
	fish --no-config -c 'source $argv[1]; or exit 1; complete -C $argv[2]' \
		"$COMP_DIR/fcgitool.fish" "$1" | cut -f1 | LC_ALL=C sort -u
}

# zsh_comp LINE...: for each LINE, zsh's candidates after compinit, each
# list followed by a line "--" (zsh-complete.zsh types LINE and Tab into
# an interactive zsh on a pseudo-terminal).
zsh_comp() {
	mkdir -p "$BATS_TEST_TMPDIR/zfunc"
	cp "$COMP_DIR/_fcgitool" "$BATS_TEST_TMPDIR/zfunc/"
	timeout 60 zsh -f "$BATS_TEST_DIRNAME/zsh-complete.zsh" \
		"$BATS_TEST_TMPDIR/zfunc" "$PWD" "$@"
}

# usage_options CMD: the options `fcgitool CMD -h` names, one a line
# ("-fisv" is -f, -i, -s and -v); CMD "" for the top level.
usage_options() {
	local t i
	# shellcheck disable=SC2086
	for t in $("$FCGITOOL" $1 -h | sed -n '1,/^$/p' |
		grep -oE '(^|[[ |])--?[A-Za-z0-9][-A-Za-z0-9]*' |
		sed 's/^[[ |]//'); do
		if [[ $t == -[!-]?* ]]; then
			for ((i = 1; i < ${#t}; i++)); do
				printf '%s\n' "-${t:i:1}"
			done
		else
			printf '%s\n' "$t"
		fi
	done | LC_ALL=C sort -u
}

# source_options CMD: the long options in the getopt_long tables of
# fcgitool/cmd-CMD*.c, as --name, one a line.
source_options() {
	[ -n "$1" ] || return 0
	cat "$TOP"/fcgitool/cmd-"$1"*.c 2>/dev/null |
		grep -oE '\{ *"[a-z][-a-z0-9]*", *(no|required|optional)_argument' |
		sed -E 's/^\{ *"([^"]*)".*/--\1/' | LC_ALL=C sort -u
}

# commands: the commands `fcgitool -h` lists.
commands() {
	"$FCGITOOL" -h | awk '/^commands:/ { f = 1; next } f && /^  [a-z]/ { print $1 }'
}

# unix_socket PATH: a unix socket file at PATH (nobody listens on it).
unix_socket() {
	python3 -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])' "$1"
}
