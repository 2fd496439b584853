# compare.bash - the records of a capture as fcgitool pcap and as
# tshark's FastCGI dissector see them, in one form, so that tests can
# compare them: one line per TCP direction, "SRCPORT DSTPORT" and then
# each record's type and content length ("1:8 4:273 ..."), in order.

# records_ours FILE [OPTION...]
records_ours() {
	local f=$1
	shift
	"$FCGITOOL" pcap --json "$@" "$f" | jq -r -s '
		(map(select(.kind == "note" and .what == "open"))
		 | map({key: .conn, value: (.detail | split(" -> ")
			| map(split(":") | last))})
		 | from_entries) as $p
		| map(select(.kind == "record"))
		| .[] | $p[.conn] as $w
		| (if .dir == "to-app" then "\($w[0]) \($w[1])"
		   else "\($w[1]) \($w[0])" end)
		  + " \(.typeCode):\(.contentLength)"' | _group
}

# records_tshark FILE PORT: PORT is the application's.  tshark reassembles
# out-of-order and retransmitted segments only when asked to: without it,
# a segment that a busy loopback made the kernel send again (as happens
# under load in CI) turns the rest of that direction into made-up
# records in tshark's view.
records_tshark() {
	tshark -o tcp.reassemble_out_of_order:TRUE \
		-r "$1" -d "tcp.port==$2,fcgi" -Y fcgi -T fields \
		-e tcp.srcport -e tcp.dstport -e fcgi.type \
		-e fcgi.content.length 2>/dev/null |
		awk -F'\t' '{ n = split($3, t, ","); split($4, l, ",")
			for (i = 1; i <= n; i++) print $1 " " $2 " " t[i] ":" l[i] }' |
		_group
}

# "A B x" lines into "A B x y z" per (A, B), in order of first sight,
# then sorted.  A run of equal records is written once with its count
# ("5:32768*32"), so that a listing that differs fits in a CI log.
_group() {
	awk 'function flush(k) { if (c[k] > 1) s[k] = s[k] "*" c[k] }
		{ k = $1 " " $2
		if (!(k in s)) { o[n++] = k; s[k] = $3; last[k] = $3; c[k] = 1 }
		else if ($3 == last[k]) c[k]++
		else { flush(k); s[k] = s[k] " " $3; last[k] = $3; c[k] = 1 } }
		END { for (i = 0; i < n; i++) { flush(o[i]); print o[i] " " s[o[i]] } }' |
		sort
}
