# examples.awk - the command lines of the examples of a man page or of
# README.md, for tests/cli/examples.bash.
#
#   awk -v kind=man|md -v dir=DIR -f examples.awk FILE
#
# Blocks are the .Bd -literal displays of a page's EXAMPLES section, or
# the code blocks (indented or fenced) of a Markdown file.  In a block, a
# line "$ command" is a command (a trailing backslash, "|", "&&" or "||"
# continues it on the next line, and a here-document "<<WORD" at its end
# takes the lines up to WORD, joined with \001 for newlines); the lines
# after it that are neither commands, comments ("#") nor blank are what it
# prints.  Annotations stand before a block: an
# mdoc comment '.\" example: WHAT' or '<!-- example: WHAT -->', where WHAT
# is "exit N", "skip because REASON", "output varies", or "file NAME"
# (the block is the text of file NAME, written into DIR), each optionally
# after "line K:" to apply to the block's Kth command only.  Prints, one
# record a line, tab-separated:
#
#   B  BLOCK  LINE-IN-FILE  ANNOTATIONS (separated by \037, or "-")
#   C  BLOCK  K  COMMAND
#   O  BLOCK  K  OUTPUT-LINE
#   F  BLOCK  NAME

function flush() {
	if (cmd != "")
		printf "C\t%d\t%d\t%s\n", nb, k, cmd
	cmd = ""
	cont = 0
	here = ""
}

function block_start() {
	nb++
	k = 0
	cmd = ""
	cont = 0
	fname = ""
	if (match(ann, /(^|\037)file [^\037]+/)) {
		fname = substr(ann, RSTART, RLENGTH)
		sub(/^\037?file /, "", fname)
		printf "F\t%d\t%s\n", nb, fname
		printf "" > (dir "/" fname)
	}
	printf "B\t%d\t%d\t%s\n", nb, FNR, ann == "" ? "-" : ann
	ann = ""
	inb = 1
}

function block_end() {
	flush()
	if (fname != "")
		close(dir "/" fname)
	inb = 0
}

# A line of a block, unescaped.
function body(l) {
	if (fname != "") {
		print l > (dir "/" fname)
		return
	}
	if (here != "") {
		cmd = cmd "\001" l
		t = l
		sub(/^\t+/, "", t)
		if (t == here)
			here = ""
		return
	}
	if (cont) {
		sub(/^[ \t]+/, "", l)
		cmd = cmd " " l
		cont = 0
	} else if (l ~ /^\$ /) {
		flush()
		k++
		cmd = substr(l, 3)
	} else {
		if (cmd != "") {
			printf "C\t%d\t%d\t%s\n", nb, k, cmd
			cmd = ""
		}
		if (k > 0 && l !~ /^[ \t]*(#|$)/)
			printf "O\t%d\t%d\t%s\n", nb, k, l
		return
	}
	if (cmd ~ /\\$/) {
		sub(/[ \t]*\\$/, "", cmd)
		cont = 1
	} else if (cmd ~ /(\||&&)[ \t]*$/) {
		cont = 1
	} else if (match(cmd, /<<-?[ \t]*['"]?[A-Za-z_][A-Za-z_0-9]*['"]?[ \t]*$/)) {
		here = substr(cmd, RSTART + 2)
		gsub(/[-'" \t]/, "", here)
	}
}

function annotation(l) {
	sub(/^.*example: */, "", l)
	sub(/ *-->.*$/, "", l)
	ann = ann (ann == "" ? "" : "\037") l
}

kind == "man" && /^\.Sh / {
	ex = ($0 == ".Sh EXAMPLES")
	next
}
kind == "man" && !ex { next }
kind == "man" && /^\.\\" example:/ {
	annotation($0)
	next
}
kind == "man" && /^\.Bd -literal/ {
	block_start()
	next
}
kind == "man" && /^\.Ed/ {
	block_end()
	next
}
kind == "man" && inb {
	l = $0
	gsub(/\\e/, "\\", l)
	gsub(/\\&/, "", l)
	body(l)
	next
}

kind == "md" && /^<!-- example:/ {
	annotation($0)
	next
}
kind == "md" && /^```/ {
	if (fenced) {
		block_end()
		fenced = 0
	} else {
		if (inb)
			block_end()
		block_start()
		fenced = 1
	}
	next
}
kind == "md" && fenced {
	body($0)
	next
}
kind == "md" && /^    / && (inb || prev_blank) {
	if (!inb)
		block_start()
	body(substr($0, 5))
	prev_blank = 0
	next
}
kind == "md" && /^[ \t]*$/ {
	prev_blank = 1
	next
}
kind == "md" {
	if (inb)
		block_end()
	prev_blank = 0
	ann_keep = 0
}

END {
	if (inb)
		block_end()
}
