/* SPDX-License-Identifier: MIT */
/*
 * cgi.c - the CGI response reader: splits the STDOUT stream of a
 * Responder into its header block and body (RFC 3875, 6.2; FastCGI 1.0,
 * 6.2), wherever the record boundaries fall, and says which rule a
 * response that is none breaks, with the line and byte offset.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cursor.h"
#include "internal.h"

/* Bytes of a line or value quoted in a message. */
#define EXCERPT_MAX 40

static const char *const error_names[] = {
	[FCGI_CGI_OK] = "ok",
	[FCGI_CGI_NO_HEADER_BLOCK] = "no-header-block",
	[FCGI_CGI_NO_COLON] = "no-colon",
	[FCGI_CGI_BAD_NAME] = "bad-name",
	[FCGI_CGI_BAD_BYTE] = "bad-byte",
	[FCGI_CGI_BAD_STATUS] = "bad-status",
	[FCGI_CGI_DUP_STATUS] = "duplicate-status",
	[FCGI_CGI_TOO_BIG] = "header-block-too-large",
	[FCGI_CGI_UNTERMINATED] = "unterminated",
	[FCGI_CGI_EMPTY] = "empty",
	[FCGI_CGI_NOMEM] = "out-of-memory",
};

const char *fcgi_cgi_error_name(enum fcgi_cgi_error e)
{
	if ((unsigned)e >= FCGI_ARRAY_LEN(error_names) ||
	    error_names[e] == NULL)
		return "unknown";
	return error_names[e];
}

void fcgi_cgi_init(struct fcgi_cgi *r, const struct fcgi_mem *mem,
		   size_t max_header_bytes)
{
	memset(r, 0, sizeof(*r));
	fcgi_params_init(&r->headers, mem);
	r->status = 200;
	fcgi_buf_init(&r->line, mem, 0);
	r->max_header_bytes = max_header_bytes;
}

void fcgi_cgi_fini(struct fcgi_cgi *r)
{
	fcgi_params_fini(&r->headers);
	fcgi_buf_fini(&r->line);
}

static bool is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* RFC 9110, 5.6.2: tchar, the bytes of a field name. */
static bool is_tchar(uint8_t c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	    (c >= 'A' && c <= 'Z'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Whether name[0..len) is want, ignoring case (RFC 3875, 6.3: field names
 * are case-insensitive). */
static bool name_eq(const uint8_t *name, size_t len, const char *want)
{
	return len == strlen(want) &&
	       strncasecmp((const char *)name, want, len) == 0;
}

/* Quote p[0..n) into out: escaped, cut to EXCERPT_MAX bytes with "...". */
static void excerpt(char *out, size_t size, const uint8_t *p, size_t n)
{
	size_t k = n > EXCERPT_MAX ? EXCERPT_MAX : n, w;

	w = fcgi_escape(out, size, p, k);
	if (k < n && w + 4 <= size)
		memcpy(out + w, "...", 4);
}

/*
 * Stop the reader: remember the rule, where (line and stream offset) and
 * what (an escaped excerpt), and return the feed's code for it.
 */
static int fail(struct fcgi_cgi *r, enum fcgi_cgi_error e, uint64_t offset,
		const uint8_t *what, size_t n)
{
	r->error = e;
	r->error_line = r->lines + 1;
	r->error_offset = offset;
	r->error_text[0] = '\0';
	if (what != NULL)
		excerpt(r->error_text, sizeof(r->error_text), what, n);
	switch (e) {
	case FCGI_CGI_TOO_BIG:
		r->err = FCGI_ELIMIT;
		break;
	case FCGI_CGI_NOMEM:
		r->err = FCGI_ENOMEM;
		break;
	default:
		r->err = FCGI_EPROTO;
		break;
	}
	return r->err;
}

/*
 * RFC 3875, 6.3.3: Status = "Status:" status-code SP reason-phrase, with
 * a three-digit code; RFC 9110, 15: from 100 to 599.  A bare code is
 * accepted (the reason is then ""), as are blanks around the reason.
 * Returns 0 or FCGI_EPROTO.
 */
static int parse_status(struct fcgi_cgi *r, const uint8_t *v, size_t n,
			uint64_t at)
{
	struct fcgi_cursor c;
	uint8_t d;
	size_t i, rlen;
	int code = 0;

	/* A second Status makes the status ambiguous. */
	if (r->saw_status)
		return fail(r, FCGI_CGI_DUP_STATUS, at, v, n);
	cur_init(&c, v, n);
	for (i = 0; i < 3; i++) {
		if (cur_u8(&c, &d) != 0 || d < '0' || d > '9')
			return fail(r, FCGI_CGI_BAD_STATUS, at, v, n);
		code = code * 10 + (d - '0');
	}
	if (code < 100 || code > 599 || (cur_left(&c) > 0 && !is_ws(c.p[0])))
		return fail(r, FCGI_CGI_BAD_STATUS, at, v, n);
	while (cur_left(&c) > 0 && is_ws(c.p[0]))
		(void)cur_skip(&c, 1);
	rlen = cur_left(&c);
	if (rlen > sizeof(r->reason) - 1)
		rlen = sizeof(r->reason) - 1;
	if (rlen > 0)
		memcpy(r->reason, c.p, rlen);
	r->reason[rlen] = '\0';
	r->status = code;
	r->saw_status = true;
	return 0;
}

/*
 * Check one header line p[0..n), without its line end, for the bytes no
 * field may hold (RFC 9110, 5.5: no control byte but HT in a value; a
 * CR only before the LF that ends the line, RFC 3875, 7.2).  Returns 0
 * or FCGI_EPROTO.
 */
static int check_bytes(struct fcgi_cgi *r, const uint8_t *p, size_t n,
		       uint64_t at)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if ((p[i] < 0x20 && p[i] != '\t') || p[i] == 0x7f) {
			r->error_byte = p[i];
			return fail(r, FCGI_CGI_BAD_BYTE, at + i, p, n);
		}
	}
	return 0;
}

/*
 * One header line p[0..n) without its LF, starting at stream offset at.
 * Returns 1 for the blank line that ends the block, 0 for a header, or
 * FCGI_EPROTO / FCGI_ENOMEM.
 */
static int parse_line(struct fcgi_cgi *r, const uint8_t *p, size_t n,
		      uint64_t at)
{
	const uint8_t *colon, *v;
	size_t name_len, vlen, i;
	int rc;

	/* RFC 3875, 7.2: lines end in LF, and CRLF is accepted; a bare LF
	 * may end the block even after CRLF lines. */
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0)
		return 1;
	rc = check_bytes(r, p, n, at);
	if (rc != 0)
		return rc;
	colon = memchr(p, ':', n);
	if (colon == NULL)
		return fail(r,
			    r->lines == 0 ? FCGI_CGI_NO_HEADER_BLOCK
					  : FCGI_CGI_NO_COLON,
			    at, p, n);
	name_len = (size_t)(colon - p);
	/* RFC 3875, 6.3: field-name = token. */
	if (name_len == 0) {
		r->error_byte = 0;
		return fail(r, FCGI_CGI_BAD_NAME, at, p, n);
	}
	for (i = 0; i < name_len; i++) {
		if (!is_tchar(p[i])) {
			r->error_byte = p[i];
			return fail(r, FCGI_CGI_BAD_NAME, at + i, p, name_len);
		}
	}
	v = colon + 1;
	vlen = n - name_len - 1;
	while (vlen > 0 && is_ws(v[0])) {
		v++;
		vlen--;
	}
	while (vlen > 0 && is_ws(v[vlen - 1]))
		vlen--;
	if (name_eq(p, name_len, "Status")) {
		rc = parse_status(r, v, vlen, at);
		if (rc != 0)
			return rc;
	} else if (name_eq(p, name_len, "Location") && !r->saw_status) {
		/* RFC 3875, 6.2.4: a client redirect without a Status is
		 * answered 302 Found. */
		r->status = 302;
	}
	rc = fcgi_params_add(&r->headers, p, name_len, v, vlen);
	if (rc == FCGI_ENOMEM)
		return fail(r, FCGI_CGI_NOMEM, at, NULL, 0);
	return rc;
}

ssize_t fcgi_cgi_feed(struct fcgi_cgi *r, const uint8_t *in, size_t len)
{
	struct fcgi_cursor c;
	const uint8_t *lf, *piece = NULL;
	size_t n;
	int rc;

	if (r->err != 0)
		return r->err;
	if (r->done || len == 0)
		return 0;
	cur_init(&c, in, len);
	while (cur_left(&c) > 0) {
		lf = memchr(c.p, '\n', cur_left(&c));
		n = lf != NULL ? (size_t)(lf - c.p) + 1 : cur_left(&c);
		if (r->max_header_bytes != 0 &&
		    n > r->max_header_bytes - r->header_bytes)
			/* At the first byte past the limit, wherever the
			 * input was cut. */
			return fail(r, FCGI_CGI_TOO_BIG, r->max_header_bytes,
				    NULL, 0);
		(void)cur_bytes(&c, n, &piece);
		r->header_bytes += n;
		if (lf == NULL || r->line.len > 0) {
			/* A line split across feeds is gathered first. */
			if (fcgi_buf_append(&r->line, piece, n) != 0)
				return fail(r, FCGI_CGI_NOMEM, r->line_start,
					    NULL, 0);
			if (lf == NULL)
				break;
			rc = parse_line(r, r->line.data, r->line.len - 1,
					r->line_start);
			fcgi_buf_reset(&r->line);
		} else {
			rc = parse_line(r, piece, n - 1, r->line_start);
		}
		if (rc < 0)
			return rc;
		r->line_start = r->header_bytes;
		r->lines++;
		if (rc == 1) {
			r->done = true;
			break;
		}
	}
	return (ssize_t)(c.p - in);
}

int fcgi_cgi_end(struct fcgi_cgi *r)
{
	if (r->err != 0)
		return r->err;
	if (r->done)
		return 0;
	if (r->header_bytes == 0)
		return fail(r, FCGI_CGI_EMPTY, 0, NULL, 0);
	/* FastCGI 1.0, 6.2 and RFC 3875, 6.2: the header block ends with a
	 * blank line, even before an empty body. */
	return fail(r, FCGI_CGI_UNTERMINATED, r->line_start, r->line.data,
		    r->line.len);
}

size_t fcgi_cgi_message(const struct fcgi_cgi *r, char *out, size_t n)
{
	unsigned long long at = (unsigned long long)r->error_offset;
	unsigned line = r->error_line;
	const char *t = r->error_text;
	char b[8];
	int w;

	if (n == 0)
		return 0;
	if (r->error == FCGI_CGI_BAD_BYTE || r->error == FCGI_CGI_BAD_NAME) {
		if (r->error_byte == ' ')
			snprintf(b, sizeof(b), "a space");
		else if (r->error_byte == '\t')
			snprintf(b, sizeof(b), "a tab");
		else
			snprintf(b, sizeof(b), "0x%02x",
				 (unsigned)r->error_byte);
	}
	switch (r->error) {
	case FCGI_CGI_OK:
		w = snprintf(out, n, "no error");
		break;
	case FCGI_CGI_NO_HEADER_BLOCK:
		if (strncmp(t, "HTTP/", 5) == 0)
			w = snprintf(out, n,
				     "no header block: STDOUT begins with an "
				     "HTTP status line \"%s\" (offset 0); CGI "
				     "gives the status as a Status header",
				     t);
		else
			w = snprintf(out, n,
				     "no header block: STDOUT begins with "
				     "\"%s\", which is no header line "
				     "(offset 0)",
				     t);
		break;
	case FCGI_CGI_NO_COLON:
		w = snprintf(
			out, n,
			"header line %u has no colon: \"%s\" (offset %llu)",
			line, t, at);
		break;
	case FCGI_CGI_BAD_NAME:
		if (r->error_byte == 0)
			w = snprintf(out, n,
				     "header line %u has an empty name: \"%s\" "
				     "(offset %llu)",
				     line, t, at);
		else
			w = snprintf(out, n,
				     "header line %u has a bad name \"%s\": %s "
				     "is not allowed in a field name "
				     "(offset %llu)",
				     line, t, b, at);
		break;
	case FCGI_CGI_BAD_BYTE:
		if (r->error_byte == '\r')
			w = snprintf(out, n,
				     "header line %u has a CR without LF: "
				     "\"%s\" (offset %llu)",
				     line, t, at);
		else
			w = snprintf(out, n,
				     "header line %u has the control byte %s: "
				     "\"%s\" (offset %llu)",
				     line, b, t, at);
		break;
	case FCGI_CGI_BAD_STATUS:
		w = snprintf(out, n,
			     "invalid Status \"%s\" in header line %u: not a "
			     "3-digit code from 100 to 599 and a reason "
			     "(offset %llu)",
			     t, line, at);
		break;
	case FCGI_CGI_DUP_STATUS:
		w = snprintf(out, n,
			     "a second Status \"%s\" in header line %u, after "
			     "%d (offset %llu)",
			     t, line, r->status, at);
		break;
	case FCGI_CGI_TOO_BIG:
		w = snprintf(out, n,
			     "the header block exceeds %zu bytes, in header "
			     "line %u (offset %llu)",
			     r->max_header_bytes, line, at);
		break;
	case FCGI_CGI_UNTERMINATED:
		if (t[0] != '\0')
			w = snprintf(out, n,
				     "STDOUT ended inside header line %u "
				     "\"%s\": no blank line ends the header "
				     "block (offset %llu)",
				     line, t, at);
		else
			w = snprintf(out, n,
				     "STDOUT ended after header line %u: no "
				     "blank line ends the header block "
				     "(offset %llu)",
				     line - 1, at);
		break;
	case FCGI_CGI_EMPTY:
		w = snprintf(out, n, "STDOUT is empty");
		break;
	case FCGI_CGI_NOMEM:
	default:
		w = snprintf(out, n, "out of memory");
		break;
	}
	if (w < 0)
		return 0;
	return (size_t)w < n ? (size_t)w : n - 1;
}
