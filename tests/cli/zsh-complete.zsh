# zsh-complete.zsh FPATHDIR DIR LINE... - for each LINE, the candidates
# zsh's completion system offers when Tab is pressed after it, in an
# interactive zsh (zsh -f, compinit with FPATHDIR first in $fpath, in
# DIR) on a pseudo-terminal: one a line, sorted, then a line "--".
# compadd is wrapped so that every match it adds is also written to a
# file, which is what is printed.
zmodload zsh/zpty || exit 1
fdir=$1 cwd=$2
shift 2
tmp=$(mktemp -d) || exit 1
out=$tmp/matches
zpty z zsh -f -i || exit 1
zpty -w z "PS1='%% '; unsetopt BEEP; fpath=(${(q)fdir} \$fpath);" \
	"autoload -Uz compinit; compinit -u -D"
zpty -w z "compadd() { if (( \${@[(I)-[OAD]*]} )); then" \
	"builtin compadd \"\$@\"; return; fi; local -a _m;" \
	"builtin compadd -O _m \"\$@\"; print -rl -- \$_m >>${(q)out};" \
	"builtin compadd \"\$@\"; }"
# The quotes keep the pattern from matching the echoed command line.
zpty -w z "cd ${(q)cwd} && print RE''ADY"
zpty -r z l '*READY*' || exit 1
for line in "$@"; do
	: >$out
	zpty -w -n z "$line"$'\t'
	zpty -w z $'\C-u'"print DO''NE"
	zpty -r z l '*DONE*' || exit 1
	sort -u $out | grep -v '^$'
	print -- --
done
zpty -d z
rm -rf $tmp
