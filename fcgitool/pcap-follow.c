/* SPDX-License-Identifier: MIT */
/*
 * pcap-follow.c - fcgitool pcap --follow: the params and the streams of
 * one connection's requests (or one request id's), reassembled, shown as
 * they come and, with --extract, written to files.  Nothing is held in
 * memory beyond what the current chunk needs.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "pcap.h"
#include "util.h"

enum { F_PARAMS, F_STDIN, F_STDOUT, F_STDERR, F_BODY };

static const char *const suffix[] = { "params", "stdin", "stdout", "stderr",
				      "body" };

int pv_follow_parse(struct pv_ctx *x, const char *arg)
{
	const char *p = arg, *colon;
	char num[24];
	unsigned long conn, id;
	size_t n;

	if (*p == 'c')
		p++;
	colon = strchr(p, ':');
	n = colon != NULL ? (size_t)(colon - p) : strlen(p);
	if (n == 0 || n >= sizeof(num))
		return -1;
	memcpy(num, p, n);
	num[n] = '\0';
	if (parse_ulong(num, 1, 1000000000000UL, &conn) != 0)
		return -1;
	snprintf(x->follow_conn, sizeof(x->follow_conn), "c%lu", conn);
	x->follow_id = -1;
	if (colon != NULL) {
		if (parse_ulong(colon + 1, 1, 65535, &id) != 0)
			return -1;
		x->follow_id = (int)id;
	}
	return 0;
}

bool pv_follow_match(const struct pv_ctx *x, const struct cap_conn *c,
		     uint16_t id)
{
	return strcmp(x->follow_conn, c->label) == 0 &&
	       (x->follow_id < 0 || x->follow_id == (int)id);
}

/* The file for stream k of r, opened on first use; NULL after a failure
 * (reported once). */
static FILE *file_of(struct pv_ctx *x, const struct cap_conn *c, struct preq *r,
		     int k)
{
	char path[4096];

	if (r->files[k] != NULL || x->extract == NULL || x->extract_failed)
		return r->files[k];
	snprintf(path, sizeof(path), "%s/%s-%llu.%s", x->extract, c->label,
		 (unsigned long long)r->seq, suffix[k]);
	r->files[k] = fopen(path, "wb");
	if (r->files[k] == NULL) {
		warn("--extract: cannot create '%s': %s", path,
		     strerror(errno));
		x->extract_failed = true;
	}
	return r->files[k];
}

static void put(struct pv_ctx *x, FILE *f, const void *p, size_t n)
{
	if (f != NULL && n > 0 && fwrite(p, 1, n, f) != n &&
	    !x->extract_failed) {
		warn("--extract: cannot write: %s", strerror(errno));
		x->extract_failed = true;
	}
}

/* Text of a stream for people: printable bytes and line ends as they
 * are, other bytes as C escapes. */
static void put_text(FILE *f, const uint8_t *p, size_t n)
{
	static const char hex[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		if ((p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' ||
		    p[i] == '\t') {
			putc(p[i], f);
		} else if (p[i] == '\r') {
			fputs("\\r", f);
		} else {
			putc('\\', f);
			putc('x', f);
			putc(hex[p[i] >> 4], f);
			putc(hex[p[i] & 15], f);
		}
	}
}

/* "== c3 request 1 id=1" when a new request starts being shown, and
 * "-- stdout" when another stream does. */
static void text_header(struct pv_ctx *x, const struct cap_conn *c,
			const struct preq *r, int stream, const char *name)
{
	if (x->follow_last != r) {
		fprintf(x->out, "== %s request %llu id=%u (packet %llu)\n",
			c->label, (unsigned long long)r->seq, (unsigned)r->id,
			(unsigned long long)r->packet);
		x->follow_last = r;
		x->follow_stream = 0;
	}
	if (x->follow_stream != stream) {
		if (x->follow_stream != 0 && x->follow_stream != FCGI_EV_PARAMS)
			fputc('\n', x->out);
		fprintf(x->out, "-- %s\n", name);
		x->follow_stream = stream;
	}
}

static struct fcgi_json *json_begin(struct pv_ctx *x, const struct cap_conn *c,
				    const struct preq *r, const char *stream)
{
	struct fcgi_json *j;

	j = fcgi_render_obj_begin(x->render, c->label, c->ts, "follow");
	fcgi_json_uint(j, "id", r->id);
	fcgi_json_uint(j, "seq", r->seq);
	fcgi_json_str(j, "stream", stream);
	return j;
}

void pv_follow_params(struct pv_ctx *x, const struct cap_conn *c,
		      struct preq *r, const struct fcgi_params *p)
{
	char name[4 * 256 + 1], value[4 * 4096 + 1];
	struct fcgi_json *j;
	struct fcgi_nv nv;
	FILE *f;
	size_t i;

	f = file_of(x, c, r, F_PARAMS);
	for (i = 0; f != NULL && i < fcgi_params_count(p); i++) {
		fcgi_params_at(p, i, &nv);
		fcgi_escape(name, sizeof(name), nv.name, nv.name_len);
		fcgi_escape(value, sizeof(value), nv.value, nv.value_len);
		fprintf(f, "%s=%s\n", name, value);
	}
	if (x->extract != NULL)
		return;
	if (x->json) {
		j = json_begin(x, c, r, "params");
		fcgi_json_params(j, "params", p, x->redact);
		fcgi_render_obj_end(x->render);
		return;
	}
	text_header(x, c, r, FCGI_EV_PARAMS, "params");
	for (i = 0; i < fcgi_params_count(p); i++) {
		fcgi_params_at(p, i, &nv);
		fcgi_escape(name, sizeof(name), nv.name, nv.name_len);
		fcgi_escape(value, sizeof(value), nv.value, nv.value_len);
		fprintf(x->out, "%s = %s\n", name, value);
	}
}

void pv_follow_data(struct pv_ctx *x, const struct cap_conn *c, struct preq *r,
		    enum fcgi_event_type type, const uint8_t *data, size_t len)
{
	int k = type == FCGI_EV_STDIN	 ? F_STDIN
		: type == FCGI_EV_STDOUT ? F_STDOUT
		: type == FCGI_EV_STDERR ? F_STDERR
					 : -1;
	const char *name =
		type == FCGI_EV_DATA ? "data" : suffix[k < 0 ? 0 : k];
	uint64_t off, skip;
	struct fcgi_json *j;

	if (len == 0 || k < 0)
		return;
	off = r->off[k];
	r->off[k] += len;
	if (x->extract != NULL) {
		put(x, file_of(x, c, r, k), data, len);
		if (k == F_STDOUT && r->body_known &&
		    off + len > r->body_from) {
			skip = r->body_from > off ? r->body_from - off : 0;
			put(x, file_of(x, c, r, F_BODY), data + skip,
			    len - (size_t)skip);
		}
		return;
	}
	if (x->json) {
		j = json_begin(x, c, r, name);
		fcgi_json_uint(j, "offset", off);
		fcgi_json_bytes(j, "data", data, len);
		fcgi_render_obj_end(x->render);
		return;
	}
	text_header(x, c, r, type, name);
	put_text(x->out, data, len);
}

void pv_follow_end(struct pv_ctx *x, const struct cap_conn *c, struct preq *r)
{
	const char *ps = fcgi_pstatus_name(r->pstatus);
	struct fcgi_json *j;
	int k;

	for (k = 0; k < 5; k++) {
		if (r->files[k] != NULL && fclose(r->files[k]) != 0 &&
		    !x->extract_failed) {
			warn("--extract: cannot write: %s", strerror(errno));
			x->extract_failed = true;
		}
		r->files[k] = NULL;
	}
	if (x->json) {
		j = json_begin(x, c, r, "end");
		if (r->status != 0)
			fcgi_json_int(j, "status", r->status);
		else
			fcgi_json_null(j, "status");
		fcgi_json_bool(j, "ended", r->ended);
		if (r->ended) {
			fcgi_json_uint(j, "appStatus", r->app_status);
			if (ps != NULL)
				fcgi_json_str(j, "protocolStatus", ps);
			fcgi_json_uint(j, "protocolStatusCode", r->pstatus);
		}
		fcgi_json_uint(j, "stdinBytes", r->in);
		fcgi_json_uint(j, "stdoutBytes", r->out);
		fcgi_json_uint(j, "stderrBytes", r->err);
		fcgi_render_obj_end(x->render);
		return;
	}
	text_header(x, c, r, -1, "end");
	fprintf(x->out, "status=");
	if (r->status != 0)
		fprintf(x->out, "%d", r->status);
	else
		fputc('-', x->out);
	if (r->ended)
		fprintf(x->out, " app-status=%lu %s",
			(unsigned long)r->app_status, ps != NULL ? ps : "?");
	else
		fputs(" unfinished", x->out);
	fprintf(x->out, " stdin=%llu stdout=%llu stderr=%llu\n",
		(unsigned long long)r->in, (unsigned long long)r->out,
		(unsigned long long)r->err);
	x->follow_last = NULL;
}
