/* SPDX-License-Identifier: MIT */
/*
 * fuzz-shell-words.c - libFuzzer target for fcgitool shell's word syntax
 * (fcgitool/shell-parse.c), which reads every line a user or a script
 * types.
 *
 * Input: a line.  It is split into words; when that works, each word is
 * quoted again with sh_quote() and the line so made must split into the
 * same words, with the same bytes and the same meaning for options and
 * @files, and hold no control character.  Hex and the quoting for a POSIX shell and for request -P must
 * not fail on any bytes.  Any mismatch aborts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shell-parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sh_words w, again;
	struct fcgi_buf line, tmp;
	char err[128];
	size_t i;
	int special;

	if (sh_split((const char *)data, size, &w, err, sizeof(err)) != 0) {
		check(err[0] != '\0');
		return 0;
	}
	fcgi_buf_init(&line, NULL, 0);
	fcgi_buf_init(&tmp, NULL, 0);
	for (i = 0; i < w.n; i++) {
		check(w.v[i].s[w.v[i].len] == '\0');
		if (i > 0)
			check(fcgi_buf_append_u8(&line, ' ') == 0);
		special = !w.v[i].lit && w.v[i].len > 0 &&
			  (w.v[i].s[0] == '@' || w.v[i].s[0] == '-');
		if (special) {
			/* Keep the bare first character, quote the rest. */
			check(fcgi_buf_append_u8(&line, (uint8_t)w.v[i].s[0]) ==
			      0);
			check(sh_quote(&line, w.v[i].s + 1, w.v[i].len - 1) ==
			      0);
		} else {
			check(sh_quote(&line, w.v[i].s, w.v[i].len) == 0);
		}
		fcgi_buf_reset(&tmp);
		check(sh_quote_posix(&tmp, w.v[i].s, w.v[i].len) == 0);
		fcgi_buf_reset(&tmp);
		check(sh_cescape(&tmp, w.v[i].s, w.v[i].len, 1) == 0);
		fcgi_buf_reset(&tmp);
		(void)sh_unhex(w.v[i].s, w.v[i].len, &tmp);
	}
	/* One line of printable text: history and script files hold it. */
	for (i = 0; i < line.len; i++)
		check(line.data[i] >= 0x20 && line.data[i] != 0x7f);
	check(sh_split((const char *)line.data, line.len, &again, err,
		       sizeof(err)) == 0);
	/* A first word starting with '#' was quoted: still one word. */
	check(again.n == w.n);
	for (i = 0; i < w.n; i++) {
		check(again.v[i].len == w.v[i].len);
		check(memcmp(again.v[i].s, w.v[i].s, w.v[i].len) == 0);
		/* Options and @files stay what they were. */
		if (w.v[i].len > 0 &&
		    (w.v[i].s[0] == '@' || w.v[i].s[0] == '-'))
			check(again.v[i].lit == w.v[i].lit);
	}
	sh_words_free(&again);
	sh_words_free(&w);
	fcgi_buf_fini(&line);
	fcgi_buf_fini(&tmp);
	return 0;
}
