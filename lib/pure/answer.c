/* SPDX-License-Identifier: MIT */
/*
 * answer.c - answers made on an application's behalf: a CGI error
 * response, and the one timeout answer (DESIGN rule 3) that the server
 * sends past a request's deadline and the proxy past its upstream
 * timeout.  Bytes into a struct fcgi_buf; no I/O.
 */
#include <stdio.h>
#include <string.h>

#include "internal.h"

int fcgi_cgi_error_response(struct fcgi_buf *out, unsigned status,
			    const char *body)
{
	char head[160], line[96];
	int n, rc;

	if (status < 100 || status > 999)
		return FCGI_EINVAL;
	n = snprintf(head, sizeof(head),
		     "Status: %u %s\r\nContent-Type: text/plain\r\n\r\n",
		     status, fcgi_http_reason(status));
	if (n < 0 || (size_t)n >= sizeof(head))
		return FCGI_EINVAL;
	if (body == NULL) {
		snprintf(line, sizeof(line), "%u %s\n", status,
			 fcgi_http_reason(status));
		body = line;
	}
	/* All or nothing: a failure appends no part of the response. */
	rc = fcgi_buf_reserve(out, (size_t)n + strlen(body));
	if (rc != 0)
		return rc;
	(void)fcgi_buf_append(out, head, strlen(head));
	(void)fcgi_buf_append(out, body, strlen(body));
	return 0;
}

/* Append data as STDOUT records of at most FCGI_CHUNK_MAX bytes. */
static int put_stdout(struct fcgi_buf *out, uint16_t id, const uint8_t *p,
		      size_t len)
{
	size_t n;
	int rc;

	while (len > 0) {
		n = len < FCGI_CHUNK_MAX ? len : FCGI_CHUNK_MAX;
		rc = fcgi_record_encode(out, FCGI_STDOUT, id, p, n);
		if (rc != 0)
			return rc;
		p += n;
		len -= n;
	}
	return 0;
}

int fcgi_timeout_answer(struct fcgi_buf *out,
			const struct fcgi_timeout_answer *a)
{
	struct fcgi_end_body e;
	struct fcgi_buf resp;
	uint8_t end[8];
	size_t from = out->len;
	int rc = 0;

	if (a->request_id == FCGI_NULL_REQUEST_ID || a->status < 100 ||
	    a->status > 999)
		return FCGI_EINVAL;
	/* DESIGN rule 3: a whole CGI response when none began, so that a
	 * web server shows its client this status rather than a 502. */
	if (!a->stdout_started && !a->stdout_ended) {
		fcgi_buf_init(&resp, out->mem, 0);
		rc = fcgi_cgi_error_response(&resp, a->status, a->body);
		if (rc == 0)
			rc = put_stdout(out, a->request_id, resp.data,
					resp.len);
		fcgi_buf_fini(&resp);
	}
	/* FastCGI 1.0, 5.3: STDOUT always ends; STDERR ends if used. */
	if (rc == 0 && !a->stdout_ended)
		rc = fcgi_record_encode(out, FCGI_STDOUT, a->request_id, NULL,
					0);
	if (rc == 0 && a->stderr_started && !a->stderr_ended)
		rc = fcgi_record_encode(out, FCGI_STDERR, a->request_id, NULL,
					0);
	if (rc == 0) {
		e.app_status = a->status;
		e.protocol_status = FCGI_REQUEST_COMPLETE;
		fcgi_end_body_encode(end, &e);
		rc = fcgi_record_encode(out, FCGI_END_REQUEST, a->request_id,
					end, sizeof(end));
	}
	if (rc != 0)
		out->len = from;
	return rc;
}
