/* SPDX-License-Identifier: MIT */
/*
 * cgi.c - the CGI response reader: splits the STDOUT stream of a
 * Responder into its header block and body (RFC 3875, 6.2; FastCGI 1.0,
 * 6.2), wherever the record boundaries fall.
 */
#include <string.h>
#include <strings.h>

#include "cursor.h"
#include "internal.h"

void fcgi_cgi_init(struct fcgi_cgi *r, const struct fcgi_mem *mem,
		   size_t max_header_bytes)
{
	fcgi_params_init(&r->headers, mem);
	r->status = 200;
	memset(r->reason, 0, sizeof(r->reason));
	r->done = 0;
	fcgi_buf_init(&r->line, mem, 0);
	r->header_bytes = 0;
	r->max_header_bytes = max_header_bytes;
	r->saw_status = 0;
	r->err = 0;
}

void fcgi_cgi_free(struct fcgi_cgi *r)
{
	fcgi_params_free(&r->headers);
	fcgi_buf_free(&r->line);
}

static int is_ws(uint8_t c)
{
	return c == ' ' || c == '\t';
}

/* Whether name[0..len) is want, ignoring case (RFC 3875, 6.3: field names
 * are case-insensitive). */
static int name_eq(const uint8_t *name, size_t len, const char *want)
{
	return len == strlen(want) &&
	       strncasecmp((const char *)name, want, len) == 0;
}

/*
 * RFC 3875, 6.3.3: Status = "Status:" status-code SP reason-phrase, with
 * a three-digit code.  A bare code is accepted (the reason is then "").
 * Returns 0 or FCGI_EPROTO.
 */
static int parse_status(struct fcgi_cgi *r, const uint8_t *v, size_t n)
{
	struct fcgi_cursor c;
	uint8_t d[3];
	size_t i, rlen;
	int code = 0;

	/* A second Status makes the status ambiguous. */
	if (r->saw_status)
		return FCGI_EPROTO;
	cur_init(&c, v, n);
	for (i = 0; i < 3; i++) {
		if (cur_u8(&c, &d[i]) != 0 || d[i] < '0' || d[i] > '9')
			return FCGI_EPROTO;
		code = code * 10 + (d[i] - '0');
	}
	if (code < 100 || (cur_left(&c) > 0 && !is_ws(c.p[0])))
		return FCGI_EPROTO;
	while (cur_left(&c) > 0 && is_ws(c.p[0]))
		(void)cur_skip(&c, 1);
	rlen = cur_left(&c);
	if (rlen > sizeof(r->reason) - 1)
		rlen = sizeof(r->reason) - 1;
	if (rlen > 0)
		memcpy(r->reason, c.p, rlen);
	r->reason[rlen] = '\0';
	r->status = code;
	r->saw_status = 1;
	return 0;
}

/*
 * One header line without its LF.  Returns 1 for the blank line that ends
 * the block, 0 for a header, or FCGI_EPROTO / FCGI_ENOMEM / FCGI_ELIMIT.
 */
static int parse_line(struct fcgi_cgi *r, const uint8_t *p, size_t n)
{
	const uint8_t *colon, *v;
	size_t name_len, vlen;
	int rc;

	/* RFC 3875, 6.3: lines end in NL; CRLF is common and a bare LF
	 * may end the block even after CRLF lines. */
	if (n > 0 && p[n - 1] == '\r')
		n--;
	if (n == 0)
		return 1;
	colon = memchr(p, ':', n);
	if (colon == NULL || colon == p)
		return FCGI_EPROTO;
	name_len = (size_t)(colon - p);
	v = colon + 1;
	vlen = n - name_len - 1;
	while (vlen > 0 && is_ws(v[0])) {
		v++;
		vlen--;
	}
	while (vlen > 0 && is_ws(v[vlen - 1]))
		vlen--;
	if (name_eq(p, name_len, "Status")) {
		rc = parse_status(r, v, vlen);
		if (rc != 0)
			return rc;
	} else if (name_eq(p, name_len, "Location") && !r->saw_status) {
		/* RFC 3875, 6.2.4: a client redirect without a Status is
		 * answered 302 Found. */
		r->status = 302;
	}
	rc = fcgi_params_add(&r->headers, p, name_len, v, vlen);
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
		    n > r->max_header_bytes - r->header_bytes) {
			rc = FCGI_ELIMIT;
			goto out_err;
		}
		(void)cur_bytes(&c, n, &piece);
		r->header_bytes += n;
		if (lf == NULL || r->line.len > 0) {
			/* A line split across feeds is gathered first. */
			rc = fcgi_buf_append(&r->line, piece, n);
			if (rc != 0)
				goto out_err;
			if (lf == NULL)
				break;
			rc = parse_line(r, r->line.data, r->line.len - 1);
			fcgi_buf_reset(&r->line);
		} else {
			rc = parse_line(r, piece, n - 1);
		}
		if (rc < 0)
			goto out_err;
		if (rc == 1) {
			r->done = 1;
			break;
		}
	}
	return (ssize_t)(c.p - in);
out_err:
	r->err = rc;
	return rc;
}
