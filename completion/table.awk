# table.awk - one command's rows of the completion table (see gen.sh).
#
#   awk -v cmd=CMD -f table.awk VALUES USAGE PAGE
#
# VALUES is completion/values, USAGE what `fcgitool CMD -h` prints (for
# the top level, cmd=fcgitool, that of `fcgitool -h`), PAGE the command's
# man page or /dev/null.  Prints, tab-separated, "-" for an empty field:
#
#   opt  CMD  SHORT  LONG  ARG  ACTION  DESCRIPTION
#   pos  CMD  N      ARG   ACTION  HOW
#
# for each option and each operand N (1, 2, ...); HOW is 1 (once), ?
# (optional), * (any number) or + (one or more).  ACTION is that of
# completion/values with the lists expanded, or "?" when nothing there
# says how to complete ARG (tests/cli/94-completion.bats fails on it).
# POSIX awk: Debian's default awk is mawk.

BEGIN {
	nfile = 0
	nopt = 0
	npos = 0
	nman = 0
	usage = ""
	depth = 0
	item = 0
}

FNR == 1 { nfile++ }

nfile == 1 {
	if ($0 ~ /^#/ || $0 !~ /\t/)
		next
	k = $0
	sub(/\t.*/, "", k)
	v = $0
	sub(/^[^\t]*\t+/, "", v)
	if (k ~ /^@/)
		list[k] = v
	else
		val[k] = v
	next
}

nfile == 2 {
	usage = usage " " $0
	next
}

nfile == 3 {
	man_line($0)
	next
}

# ---- the man page: ".It Fl x Ar arg , Fl \-long Ar arg" and its text -----

function man_line(l) {
	if (l ~ /^\.Bl/) {
		depth++
		return
	}
	if (l ~ /^\.El/) {
		if (depth == itdepth)
			item = 0
		depth--
		return
	}
	if (l ~ /^\.It / && (item == 0 || depth == itdepth)) {
		item = 0
		if (l ~ /^\.It Fl /)
			man_item(substr(l, 5))
		return
	}
	if (item == 0 || depth != itdepth || l ~ /^\.\\"/)
		return
	if (l ~ /^\.(Pp|Bd|Bl|Sh|Ss)/) {
		done[item] = 1
		return
	}
	if (done[item])
		return
	if (l ~ /^\./)
		l = roff_text(substr(l, 2), 1)
	else
		l = roff_text(l, 0)
	mdesc[item] = mdesc[item] (mdesc[item] == "" ? "" : " ") l
}

# An option's heading: its names (aliases) and its argument.
function man_item(s,    parts, n, i, t, nt, name, arg) {
	nman++
	item = nman
	itdepth = depth
	mdesc[item] = ""
	done[item] = 0
	mnames[item] = " "
	n = split(s, parts, / , /)
	for (i = 1; i <= n; i++) {
		nt = split(parts[i], t, / +/)
		if (t[1] != "Fl" || nt < 2)
			continue
		name = "-" unescape(t[2])
		mnames[item] = mnames[item] name " "
		arg = parts[i]
		sub(/^Fl +[^ ]+ */, "", arg)
		if (arg != "" && marg[item] == "")
			marg[item] = roff_text(arg, 1)
	}
}

function unescape(s) {
	gsub(/\\-/, "-", s)
	gsub(/\\&/, "", s)
	gsub(/\\\(aq/, "'", s)
	gsub(/\\e/, "", s)
	gsub(/\\\(..|\\\*./, "", s)
	gsub(/\\/, "", s)
	return s
}

# The text of a line of mdoc: macros dropped, Ns joins, Fl adds "-", Xr
# gives name(section), Pq/Dq/Ql enclose the rest of the line.
function roff_text(s, macro,    t, n, i, out, w, glue, tail_, fl, after) {
	n = split(s, t, / +/)
	out = ""
	glue = 0
	tail_ = ""
	fl = 0
	# Trailing punctuation goes after what Pq, Dq, Ql enclose.
	after = ""
	while (macro && n > 1 && t[n] ~ /^[.,;:)]$/) {
		after = t[n] after
		n--
	}
	for (i = 1; i <= n; i++) {
		w = t[i]
		if (macro && w ~ /^[A-Z][a-z][a-z]?$/) {
			if (w == "Ns") {
				glue = 1
			} else if (w == "Fl") {
				fl = 1
			} else if (w == "Xr" && i + 2 <= n) {
				w = unescape(t[i + 1]) "(" t[i + 2] ")"
				i += 2
				out = out (out == "" || glue ? "" : " ") w
				glue = 0
			} else if (w == "Pq" || w == "Po") {
				out = out (out == "" || glue ? "" : " ") "("
				glue = 1
				tail_ = ")" tail_
			} else if (w == "Dq" || w == "Qq") {
				out = out (out == "" || glue ? "" : " ") "\""
				glue = 1
				tail_ = "\"" tail_
			} else if (w == "Ql" || w == "Sq") {
				out = out (out == "" || glue ? "" : " ") "'"
				glue = 1
				tail_ = "'" tail_
			} else if (w == "Nm" && (i == n || t[i + 1] ~ /^[.,;:)]$/)) {
				out = out (out == "" || glue ? "" : " ") "fcgitool"
				glue = 0
			}
			continue
		}
		w = unescape(w)
		if (fl) {
			w = "-" w
			fl = 0
		}
		if (w ~ /^[.,;:)]$/ || glue || out == "")
			out = out w
		else
			out = out " " w
		glue = 0
	}
	if (fl)
		out = out (out == "" ? "" : " ") "-"
	return out tail_ after
}

# The first clause of an option's text, for the shells that show one: up
# to the first ".", ";" or ":" outside quotes and parentheses, and not in
# "e.g." or "i.e."; at most 72 characters.
function short_desc(s,    i, n, c, q, p, cut) {
	n = length(s)
	q = ""
	p = 0
	cut = n
	for (i = 1; i <= n; i++) {
		c = substr(s, i, 1)
		if (q != "") {
			if (c == q)
				q = ""
		} else if ((c == "'" || c == "\"") &&
		    (i == 1 || substr(s, i - 1, 1) ~ /[ (]/)) {
			q = c
		} else if (c == "(") {
			p++
		} else if (c == ")") {
			p--
		} else if (p <= 0 && c ~ /[.;:]/ &&
		    (i == n || substr(s, i + 1, 1) == " ") &&
		    substr(s, i - 3, 4) !~ /^(e\.g|i\.e)\.$/) {
			cut = i - 1
			break
		}
	}
	s = substr(s, 1, cut)
	if (length(s) > 72) {
		s = substr(s, 1, 72)
		if (match(s, /, [^,]*$/) && RSTART > 40)
			s = substr(s, 1, RSTART - 1)
		else
			sub(/ [^ ]*$/, "...", s)
	}
	gsub(/\t/, " ", s)
	gsub(/\[/, "(", s)
	gsub(/\]/, ")", s)
	return s == "" ? "-" : s
}

# ---- the usage: "[-fv] [-d data] [--role role] address [uri ...]" -------

# Splits s into its top-level words and bracketed groups: it[1..n].
function items(s, it,    n, i, len, c, d, start) {
	n = 0
	len = length(s)
	i = 1
	while (i <= len) {
		c = substr(s, i, 1)
		if (c == " ") {
			i++
			continue
		}
		start = i
		if (c == "[") {
			d = 0
			for (; i <= len; i++) {
				c = substr(s, i, 1)
				if (c == "[")
					d++
				else if (c == "]" && --d == 0)
					break
			}
			it[++n] = substr(s, start, i - start + 1)
			i++
		} else {
			while (i <= len && substr(s, i, 1) != " ")
				i++
			it[++n] = substr(s, start, i - start)
		}
	}
	return n
}

function add_opt(name, arg,    k) {
	for (k = 1; k <= nopt; k++)
		if (oname[k] == name)
			return
	nopt++
	oname[nopt] = name
	oarg[nopt] = arg
}

# "-d data", "--only type,...", "-fisv" or "-r file | -i interface".
function opt_group(s,    alt, na, a, w, nw, i, j, rest) {
	na = split(s, alt, / \| /)
	for (a = 1; a <= na; a++) {
		nw = split(alt[a], w, / +/)
		rest = alt[a]
		sub(/^[^ ]+ */, "", rest)
		if (w[1] ~ /^-[^-]/ && length(w[1]) > 2 && rest == "") {
			for (j = 2; j <= length(w[1]); j++)
				add_opt("-" substr(w[1], j, 1), "")
		} else {
			add_opt(w[1], rest)
		}
	}
}

# An operand: "address", "[uri | name ...]", "[address ...]", "file ...".
function operand(s, optional,    how, alt, na, a) {
	how = optional ? "?" : "1"
	if (s ~ / ?\.\.\.$/) {
		sub(/ ?\.\.\.$/, "", s)
		how = optional ? "*" : "+"
	}
	npos++
	parg[npos] = s
	phow[npos] = how
}

function parse_usage(s,    it, n, k, t, inner) {
	sub(/^ *usage: */, "", s)
	gsub(/[ \t]+/, " ", s)
	sub(/^fcgitool /, "", s)
	if (cmd != "fcgitool")
		sub("^" cmd " ", "", s)
	n = items(s, it)
	for (k = 1; k <= n; k++) {
		t = it[k]
		# "file | -i interface": the operand or the option.
		if (t == "|")
			continue
		if (t ~ /^\[/) {
			inner = substr(t, 2, length(t) - 2)
			if (inner ~ /^-/)
				opt_group(inner)
			else
				operand(inner, 1)
		} else if (t ~ /^-/) {
			if (k < n && it[k + 1] !~ /^[-[]/) {
				add_opt(t, it[k + 1])
				k++
			} else {
				opt_group(t)
			}
		} else {
			operand(t, 0)
		}
	}
}

# ---- the actions of completion/values -------------------------------------

# The lists named in an action expanded: "@param=" gives "NAME= ...".
function expand(a,    w, n, i, out, x, eq, lw, ln, j) {
	n = split(a, w, / +/)
	out = ""
	for (i = 1; i <= n; i++) {
		x = w[i]
		eq = ""
		if (x ~ /^@.*=$/) {
			x = substr(x, 1, length(x) - 1)
			eq = "="
		}
		if (x in list) {
			ln = split(list[x], lw, / +/)
			for (j = 1; j <= ln; j++)
				out = out (out == "" ? "" : " ") lw[j] eq
		} else {
			out = out (out == "" ? "" : " ") w[i]
		}
	}
	return out
}

# The action for an argument arg of option names (" -d --data ") or of
# an operand (names == "").
function action(names, arg,    n, w, i, k, comma, alt, na, a, out, one) {
	if (arg == "" || arg == "-")
		return "-"
	n = split(names, w, / +/)
	for (i = 1; i <= n; i++)
		if (w[i] != "" && (cmd ":" w[i]) in val)
			return expand(val[cmd ":" w[i]])
	for (i = 1; i <= n; i++)
		if (w[i] != "" && w[i] in val)
			return expand(val[w[i]])
	comma = ""
	if (arg ~ /,\.\.\.$/) {
		sub(/,\.\.\.$/, "", arg)
		comma = "@comma "
	}
	out = ""
	na = split(arg, alt, / *\| */)
	for (a = 1; a <= na; a++) {
		k = alt[a]
		if ((cmd ":" k) in val)
			one = val[cmd ":" k]
		else if (k in val)
			one = val[k]
		else
			return "?"
		if (one != "@none" || out == "")
			out = (out == "" || out == "@none" ? "" : out " ") one
	}
	return comma expand(out)
}

function field(s) {
	gsub(/\t/, " ", s)
	return s == "" ? "-" : s
}

END {
	parse_usage(usage)
	# Each option of the usage with the names and text of its page.
	for (k = 1; k <= nopt; k++) {
		names = " " oname[k] " "
		desc = ""
		for (m = 1; m <= nman; m++) {
			if (index(mnames[m], " " oname[k] " ")) {
				names = mnames[m]
				desc = mdesc[m]
				used[m] = 1
				break
			}
		}
		emit(names, oarg[k], desc)
	}
	# Options only the page knows.
	for (m = 1; m <= nman; m++)
		if (!used[m])
			emit(mnames[m], marg[m], mdesc[m])
	# Every command has -h, --help.
	if (!seen["-h"] && !seen["--help"])
		emit(" -h --help ", "", "Print the usage and exit")
	# The top level's operands are the commands and theirs.
	for (p = 1; p <= npos && cmd != "fcgitool"; p++)
		printf "pos\t%s\t%d\t%s\t%s\t%s\n", cmd, p, field(parg[p]),
		    field(action("", parg[p])), phow[p]
}

function emit(names, arg, desc,    n, w, i, s, l) {
	s = ""
	l = ""
	n = split(names, w, / +/)
	for (i = 1; i <= n; i++) {
		if (w[i] ~ /^--./ && l == "")
			l = w[i]
		else if (w[i] ~ /^-[^-]$/ && s == "")
			s = w[i]
	}
	if (s == "-h" && l == "")
		l = "--help"
	if (s != "" && seen[s] || l != "" && seen[l])
		return
	seen[s] = 1
	seen[l] = 1
	printf "opt\t%s\t%s\t%s\t%s\t%s\t%s\n", cmd, field(s), field(l),
	    field(arg), field(action(" " s " " l " ", arg)), short_desc(desc)
}
