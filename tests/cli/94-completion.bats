#!/usr/bin/env bats
# 94-completion.bats - the shell completion for bash, zsh and fish that
# completion/gen.sh makes into $BUILD/completion: each script runs in its
# shell and offers every command and every option that the commands' -h
# and their getopt_long tables name, the values of options, unix sockets
# and param names; every argument has a way to complete; and every value
# offered is one the command accepts.

load test_helper
load completion

# What every script must offer, worked out once: the commands, and for
# each command (and the top level, "top") the options its -h and its
# getopt_long table name, into $BATS_FILE_TMPDIR/opts.CMD.
setup_file() {
	local c
	commands | LC_ALL=C sort >"$BATS_FILE_TMPDIR/commands"
	usage_options "" >"$BATS_FILE_TMPDIR/opts.top"
	for c in $(grep -vx help "$BATS_FILE_TMPDIR/commands"); do
		{ usage_options "$c"; source_options "$c"; } |
			LC_ALL=C sort -u >"$BATS_FILE_TMPDIR/opts.$c"
	done
}

setup() {
	local f
	for f in fcgitool.bash _fcgitool fcgitool.fish; do
		[ -f "$COMP_DIR/$f" ] || fail "$COMP_DIR/$f was not made"
	done
	D=$BATS_TEST_TMPDIR
	cd "$D" || return 1
}

# missing WANT OFFERED WHAT: fail listing what of file WANT is not in
# the text OFFERED.
missing() {
	local m
	m=$(LC_ALL=C comm -23 "$1" <(LC_ALL=C sort -u <<<"$2"))
	[ -z "$m" ] || fail "$3 does not offer: $(tr "\n" " " <<<"$m")"
}

# every_option SHELLFN: SHELLFN LINE lists candidates; each command's
# options must be among those offered after "fcgitool CMD -" or
# "fcgitool CMD --", and every command after "fcgitool ".
every_option() {
	local fn=$1 c
	missing "$BATS_FILE_TMPDIR/commands" "$("$fn" "fcgitool ")" \
		"$fn 'fcgitool <Tab>'"
	for c in top $(grep -vx help "$BATS_FILE_TMPDIR/commands"); do
		missing "$BATS_FILE_TMPDIR/opts.$c" \
			"$("$fn" "fcgitool ${c#top} -"; "$fn" "fcgitool ${c#top} --")" \
			"$fn 'fcgitool ${c#top} -<Tab>'"
	done
	[ "$(cat "$BATS_FILE_TMPDIR"/opts.* | wc -l)" -gt 50 ]
}

@test "completion: each script is valid in its shell" {
	run -0 bash -n "$COMP_DIR/fcgitool.bash"
	need zsh "the zsh completion is tested with zsh"
	run -0 zsh -n "$COMP_DIR/_fcgitool"
	need fish "the fish completion is tested with fish"
	run -0 fish --no-execute "$COMP_DIR/fcgitool.fish"
	head -1 "$COMP_DIR/_fcgitool" | grep -qx '#compdef fcgitool'
}

@test "completion: every argument of every command has a way to complete" {
	run -0 sh "$TOP/completion/gen.sh" table "$FCGITOOL"
	local bad
	bad=$(echo "$output" | awk -F '\t' '
		$1 == "opt" && $6 == "?" { print $2 " " $3 " " $4 " " $5 }
		$1 == "pos" && $5 == "?" { print $2 " operand " $4 }')
	[ -z "$bad" ] || fail "no line in completion/values for:
$bad"
	# The table has each command, and options and operands for each.
	local c
	for c in $(commands); do
		echo "$output" | grep -q "^cmd	$c	" || fail "no cmd row for $c"
		echo "$output" | grep -q "^\(opt\|pos\)	$c	" ||
			fail "no rows for $c"
	done
}

@test "completion: the scripts are what gen.sh makes from this fcgitool" {
	run -0 sh "$TOP/completion/gen.sh" bash "$FCGITOOL"
	assert_equal "$output" "$(cat "$COMP_DIR/fcgitool.bash")"
	run -0 sh "$TOP/completion/gen.sh" fish "$FCGITOOL"
	assert_equal "$output" "$(cat "$COMP_DIR/fcgitool.fish")"
	run -2 sh "$TOP/completion/gen.sh" tcsh "$FCGITOOL"
}

@test "completion: every value offered for an option is one the command accepts" {
	local cmd s l arg action w n=0
	local -A args=()
	# All of a command's values in one run, each after its option, then
	# -h: the options are parsed in order, so exit 0 means each was taken.
	while IFS=$'\t' read -r _ cmd s l arg action _; do
		[ "$arg" != - ] || continue
		[ "$l" != - ] || l=$s
		for w in ${action#@comma }; do
			[[ $w == @* || $w == - || $w == '?' ]] && continue
			args[$cmd]+=" $l $w"
			n=$((n + 1))
		done
	done < <(sh "$TOP/completion/gen.sh" table "$FCGITOOL" | grep '^opt')
	[ "$n" -gt 20 ] || fail "only $n values tried"
	for cmd in "${!args[@]}"; do
		# shellcheck disable=SC2086
		run "$FCGITOOL" "$cmd" ${args[$cmd]} -h
		[ "$status" -eq 0 ] ||
			fail "fcgitool $cmd${args[$cmd]} -h: exit $status: $output"
	done
}

@test "completion: the values of an option are every one its page lists" {
	local page opt key want got
	# Options whose man page lists their values as ".It Cm VALUE" right
	# after the option: completion offers exactly those.
	while read -r page opt key; do
		want=$(awk -v o="$opt" '$1 == ".It" && $2 == "Fl" &&
			substr($3, 3) == o { f = 1 }
			f && /^[.]It Cm/ { print $3 } f && /^[.]El/ { exit }' \
			"$TOP/man/$page" | sort | tr '\n' ' ')
		got=$(awk -F'\t' -v k="$key" '$1 == k { print $2 }' \
			"$TOP/completion/values" | tr ' ' '\n' | sort | tr '\n' ' ')
		[ -n "$want" ] || fail "$page lists no values for --$opt"
		assert_equal "$got" "$want"
	done <<-EOF
		fcgitool-serve.1 isolate --isolate
		fcgitool-conform.1 profile conform:--profile
	EOF
}

@test "completion: -p offers every param of nginx's fastcgi_params" {
	[ -f /etc/nginx/fastcgi_params ] || need nginx "nginx ships fastcgi_params"
	local p offered
	offered=$(bash_comp "fcgitool request -p ")
	for p in $(awk '$1 == "fastcgi_param" { print $2 }' \
		/etc/nginx/fastcgi_params) SCRIPT_FILENAME; do
		grep -qx "$p=" <<<"$offered" || fail "-p does not offer $p="
	done
}

@test "completion (bash): commands and every option" {
	every_option bash_comp
}

@test "completion (bash): values, sockets, params and operands" {
	mkdir -p run/php
	unix_socket run/php/fpm.sock
	touch run/php/not-a-socket
	run -0 bash_comp "fcgitool re"
	assert_output request
	run -0 bash_comp "fcgitool request --ro"
	assert_output "$(printf '%s\n' --role --root)"
	run -0 bash_comp "fcgitool request --role "
	assert_output "$(printf '%s\n' authorizer filter responder)"
	# After "=" bash replaces only what follows it.
	run -0 bash_comp "fcgitool request --role=a"
	assert_output authorizer
	run -0 bash_comp "fcgitool serve --isolate "
	assert_output "$(printf '%s\n' none pool request worker)"
	run -0 bash_comp "fcgitool proxy --severity i"
	assert_output interop
	run -0 bash_comp "fcgitool proxy --only PARAMS,STD"
	assert_output "$(printf '%s\n' PARAMS,STDERR PARAMS,STDIN PARAMS,STDOUT)"
	run -0 bash_comp "fcgitool request -p SCRIPT_"
	assert_output "$(printf '%s\n' SCRIPT_FILENAME= SCRIPT_NAME=)"
	run -0 bash_comp "fcgitool bench -vp REQUEST_M"
	assert_output REQUEST_METHOD=
	# Sockets and the directories on the way; other files are not
	# addresses.
	run -0 bash_comp "fcgitool request run/"
	assert_output run/php/
	run -0 bash_comp "fcgitool request run/php/"
	assert_output run/php/fpm.sock
	run -0 bash_comp "fcgitool request -X POST -p A=1 --role filter run/php/f"
	assert_output run/php/fpm.sock
	run -0 bash_comp "fcgitool proxy --listen unix:run/php/"
	assert_output run/php/fpm.sock
	run -0 bash_comp "fcgitool proxy --upstream=u"
	assert_output unix:
	# The second operand of request is a URI, or with --get-values a
	# variable name; the options' arguments are not operands.
	run -0 bash_comp "fcgitool request --get-values run/php/fpm.sock FCGI_MPX"
	assert_output FCGI_MPXS_CONNS
	run -0 bash_comp "fcgitool request -o"
	assert_output -o
	run -0 bash_comp "fcgitool help pr"
	assert_output proxy
	run -0 bash_comp "fcgitool serve --fn b"
	assert_output builtin
	run -0 bash_comp "fcgitool -"
	assert_output "$(printf '%s\n' --help --version -V -h)"
}

@test "completion (fish): commands and every option" {
	need fish "the fish completion is tested with fish"
	every_option fish_comp
}

@test "completion (fish): values, sockets, params and operands" {
	need fish "the fish completion is tested with fish"
	mkdir -p run/php
	unix_socket run/php/fpm.sock
	touch run/php/not-a-socket
	run -0 fish_comp "fcgitool re"
	assert_output request
	run -0 fish_comp "fcgitool request --role "
	assert_output "$(printf '%s\n' authorizer filter responder)"
	run -0 fish_comp "fcgitool request --role=a"
	assert_output --role=authorizer
	run -0 fish_comp "fcgitool serve --isolate "
	assert_output "$(printf '%s\n' none pool request worker)"
	run -0 fish_comp "fcgitool proxy --only PARAMS,STD"
	assert_output "$(printf '%s\n' PARAMS,STDERR PARAMS,STDIN PARAMS,STDOUT)"
	run -0 fish_comp "fcgitool request -p SCRIPT_"
	assert_output "$(printf '%s\n' SCRIPT_FILENAME= SCRIPT_NAME=)"
	run -0 fish_comp "fcgitool request run/php/"
	assert_output run/php/fpm.sock
	run -0 fish_comp "fcgitool request -X POST --role filter run/php/f"
	assert_output run/php/fpm.sock
	run -0 fish_comp "fcgitool proxy --listen unix:run/php/"
	assert_output unix:run/php/fpm.sock
	run -0 fish_comp "fcgitool request --get-values run/php/fpm.sock FCGI_MPX"
	assert_output FCGI_MPXS_CONNS
	run -0 fish_comp "fcgitool help pr"
	assert_output proxy
	run -0 fish_comp "fcgitool serve --fn b"
	assert_output builtin
}

@test "completion (zsh): commands, every option, values, sockets, params" {
	need zsh "the zsh completion is tested with zsh"
	local c lines=() out cmds
	mkdir -p run/php
	unix_socket run/php/fpm.sock
	touch run/php/not-a-socket
	# One interactive zsh for all of it: a line per command, then the
	# values.
	cmds=$(grep -vx help "$BATS_FILE_TMPDIR/commands")
	lines+=("fcgitool ")
	for c in top $cmds; do
		lines+=("fcgitool ${c#top} -")
	done
	lines+=("fcgitool request --role "
		"fcgitool request --role=a"
		"fcgitool serve --isolate "
		"fcgitool proxy --only PARAMS,STD"
		"fcgitool request -p SCRIPT_"
		"fcgitool request run/php/"
		"fcgitool proxy --listen unix:run/php/"
		"fcgitool request --get-values run/php/fpm.sock FCGI_MPX"
		"fcgitool help pr")
	out=$(zsh_comp "${lines[@]}")
	# block N: the candidates of lines[N].
	block() {
		awk -v n="$1" '$0 == "--" { k++; next } k == n' <<<"$out"
	}
	local k=0
	missing "$BATS_FILE_TMPDIR/commands" "$(block 0)" "zsh 'fcgitool <Tab>'"
	for c in top $cmds; do
		k=$((k + 1))
		missing "$BATS_FILE_TMPDIR/opts.$c" "$(block "$k")" \
			"zsh 'fcgitool ${c#top} -<Tab>'"
	done
	assert_equal "$(block $((k + 1)))" "$(printf '%s\n' authorizer filter responder)"
	assert_equal "$(block $((k + 2)))" authorizer
	assert_equal "$(block $((k + 3)))" "$(printf '%s\n' none pool request worker)"
	assert_equal "$(block $((k + 4)))" "$(printf '%s\n' STDERR STDIN STDOUT)"
	assert_equal "$(block $((k + 5)))" "$(printf '%s\n' SCRIPT_FILENAME= SCRIPT_NAME=)"
	assert_equal "$(block $((k + 6)))" fpm.sock
	assert_equal "$(block $((k + 7)))" fpm.sock
	assert_equal "$(block $((k + 8)))" FCGI_MPXS_CONNS
	assert_equal "$(block $((k + 9)))" proxy
}
