/* SPDX-License-Identifier: MIT */
/*
 * shell-raw.c - fcgitool shell: the raw connection, for what no
 * well-behaved client sends.  Crafted bytes are written as they are (in
 * pieces with split), and everything both ways goes through one
 * OBSERVER-mode struct fcgi_conn, which judges it, and the renderer,
 * which prints it.  The server's bytes are read only by read, so that a
 * script's output does not depend on when they arrive.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "shell.h"
#include "util.h"

#define RAW_CONNECT_MS 10000
#define READ_DEFAULT_MS 5000
#define SPLIT_DEFAULT_MS 10

struct sh_raw {
	struct shell *sh;
	uv_stream_t *s; /* NULL: not open */
	struct fcgi_conn *obs;
	int connecting; /* a connect is under way */
	int connect_done, connect_status;
	int want;	/* the connect's caller still waits */
	size_t pending; /* writes not yet done */
	int drained;	/* pending is 0 */
	int write_err;
	int reading;
	int read_done;
	int conclusive;	 /* an answer that may end the read came */
	uint64_t got;	 /* records received in this read */
	size_t spec;	 /* spec violations by the server in this read */
	int reset;	 /* the connection failed while reading */
	int to_app_dead; /* our own bytes no longer decode */
	uint64_t t0;	 /* uv_hrtime() at connect */
	unsigned long split_n;
	uint64_t split_ms;
	uint8_t rbuf[65536];
};

static double ts(const struct sh_raw *raw)
{
	return (double)(uv_hrtime() - raw->t0) / 1e9;
}

static void note(struct sh_raw *raw, const char *what, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void note(struct sh_raw *raw, const char *what, const char *fmt, ...)
{
	char detail[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	fcgi_render_note(raw->sh->render, "raw", ts(raw), what, detail);
}

/* ---- the observer -------------------------------------------------------- */

static void ob_record(void *arg, enum fcgi_dir dir,
		      const struct fcgi_record *rec)
{
	struct sh_raw *raw = arg;

	fcgi_render_record(raw->sh->render, "raw", ts(raw), dir, rec);
	if (dir == FCGI_DIR_TO_WEB)
		raw->got++;
}

static int ob_event(void *arg, const struct fcgi_event *ev)
{
	struct sh_raw *raw = arg;

	if (ev->dir == FCGI_DIR_TO_WEB &&
	    (ev->type == FCGI_EV_END || ev->type == FCGI_EV_GET_VALUES_RESULT ||
	     ev->type == FCGI_EV_UNKNOWN_TYPE))
		raw->conclusive = 1;
	return 0;
}

static void ob_violation(void *arg, const struct fcgi_violation *v)
{
	struct sh_raw *raw = arg;

	fcgi_render_violation(raw->sh->render, "raw", ts(raw), v);
	if (v->dir == FCGI_DIR_TO_WEB && v->severity == FCGI_SEV_SPEC)
		raw->spec++;
}

static const struct fcgi_callbacks ob_cb = {
	.on_record = ob_record,
	.on_event = ob_event,
	.on_violation = ob_violation,
};

/* ---- opening and closing ------------------------------------------------ */

static void on_connect(uv_stream_t *s, int status, void *arg)
{
	struct sh_raw *raw = arg;

	raw->connecting = 0;
	if (!raw->want) {
		/* Given up on (^C, a timeout): nobody wants it now. */
		if (s != NULL)
			fcgi_io_close(s, NULL, NULL);
		return;
	}
	raw->connect_done = 1;
	raw->connect_status = status;
	raw->s = s;
	if (s != NULL)
		s->data = raw;
}

int sh_raw_is_open(const struct shell *sh)
{
	return sh->raw != NULL && sh->raw->s != NULL;
}

int sh_raw_open(struct shell *sh)
{
	struct sh_raw *raw = sh->raw;
	uint64_t ms = sh->req.connect_timeout_ms;
	int rc;

	if (raw != NULL && raw->s != NULL)
		return 0;
	if (raw == NULL) {
		raw = calloc(1, sizeof(*raw));
		if (raw == NULL)
			die(EXIT_IO, "out of memory");
		raw->sh = sh;
		sh->raw = raw;
	}
	if (raw->connecting) {
		sh_err(sh, "an earlier connect is still under way");
		sh->status = EXIT_IO;
		return -1;
	}
	raw->t0 = uv_hrtime();
	raw->connect_done = 0;
	raw->want = 1;
	rc = fcgi_io_connect(&sh->loop, &sh->addr, on_connect, raw);
	if (rc < 0) {
		sh_err(sh, "cannot connect to '%s': %s", sh->addr_text,
		       uv_strerror(rc));
		sh->status = EXIT_IO;
		return -1;
	}
	raw->connecting = 1;
	rc = sh_wait(sh, &raw->connect_done, ms != 0 ? ms : RAW_CONNECT_MS);
	raw->want = 0;
	if (rc <= 0) {
		sh_err(sh, "cannot connect to '%s': %s", sh->addr_text,
		       rc < 0 ? "interrupted" : "timed out");
		sh->status = EXIT_IO;
		return -1;
	}
	if (raw->connect_status != 0 || raw->s == NULL) {
		sh_err(sh, "cannot connect to '%s': %s", sh->addr_text,
		       uv_strerror(raw->connect_status));
		sh->status = EXIT_IO;
		return -1;
	}
	if (raw->s->type == UV_TCP)
		uv_tcp_nodelay((uv_tcp_t *)raw->s, 1);
	if (fcgi_conn_new(&raw->obs, FCGI_MODE_OBSERVER, NULL, &ob_cb, raw) !=
	    0)
		die(EXIT_IO, "out of memory");
	raw->to_app_dead = 0;
	raw->pending = 0;
	raw->write_err = 0;
	note(raw, "connected", "%s", sh->addr_text);
	return 0;
}

void sh_raw_close(struct shell *sh, int quiet)
{
	struct sh_raw *raw = sh->raw;

	if (raw == NULL)
		return;
	raw->want = 0;
	if (raw->s == NULL)
		return;
	if (raw->reading)
		uv_read_stop(raw->s);
	raw->reading = 0;
	fcgi_io_close(raw->s, NULL, NULL);
	raw->s = NULL;
	fcgi_conn_free(raw->obs);
	raw->obs = NULL;
	/* The next raw connection has the same label. */
	fcgi_render_forget(sh->render, "raw");
	if (!quiet)
		note(raw, "close", "%s", sh->addr_text);
}

void sh_raw_free(struct shell *sh)
{
	free(sh->raw);
	sh->raw = NULL;
}

/* ---- writing ------------------------------------------------------------ */

struct wreq {
	uv_write_t w;
	struct sh_raw *raw;
	uint8_t data[];
};

static void on_write(uv_write_t *w, int status)
{
	struct wreq *q = (struct wreq *)w;
	struct sh_raw *raw = q->raw;

	if (status < 0 && raw->write_err == 0)
		raw->write_err = status;
	if (--raw->pending == 0)
		raw->drained = 1;
	free(q);
}

/* Queue one write and wait for it; 0, or a libuv error. */
static int write_wait(struct sh_raw *raw, const uint8_t *p, size_t n)
{
	struct wreq *q = malloc(sizeof(*q) + n);
	uv_buf_t b;
	int rc;

	if (q == NULL)
		die(EXIT_IO, "out of memory");
	q->raw = raw;
	memcpy(q->data, p, n);
	b = uv_buf_init((char *)q->data, (unsigned)n);
	rc = uv_write(&q->w, raw->s, &b, 1, on_write);
	if (rc < 0) {
		free(q);
		return rc;
	}
	raw->pending++;
	raw->drained = 0;
	/* A write takes what the socket takes; the rest waits in libuv. */
	sh_wait_flag(raw->sh, &raw->drained);
	return raw->write_err;
}

/* Write bytes on the raw connection (opened if need be), split as asked;
 * our side of the observer sees them first.  0 or -1 (said why). */
static int raw_write(struct shell *sh, const uint8_t *p, size_t len)
{
	struct sh_raw *raw;
	size_t off, chunk, n, writes;
	ssize_t fed;
	int rc = 0;

	if (sh_raw_open(sh) != 0)
		return -1;
	raw = sh->raw;
	if (!raw->to_app_dead) {
		fed = fcgi_conn_recv(raw->obs, FCGI_DIR_TO_APP, p, len);
		if (fed == FCGI_EPROTO)
			raw->to_app_dead = 1;
		else if (fed < 0)
			die(EXIT_IO, "cannot follow the connection: %s",
			    fcgi_strerror((int)fed));
	} else {
		note(raw, "wrote",
		     "%zu bytes, not decoded: the stream to the "
		     "app stopped being FastCGI",
		     len);
	}
	chunk = raw->split_n != 0 ? raw->split_n : len;
	if (chunk == 0)
		chunk = 1;
	writes = len == 0 ? 0 : (len + chunk - 1) / chunk;
	if (raw->split_n != 0 && writes > 1)
		note(raw, "split",
		     "%zu bytes in %zu writes of %lu, %llu ms apart", len,
		     writes, raw->split_n, (unsigned long long)raw->split_ms);
	for (off = 0; off < len && rc == 0; off += n) {
		n = len - off < chunk ? len - off : chunk;
		if (off > 0 && raw->split_ms != 0 &&
		    sh_wait(sh, NULL, raw->split_ms) < 0) {
			note(raw, "split", "interrupted after %zu of %zu bytes",
			     off, len);
			return 0;
		}
		rc = write_wait(raw, p + off, n);
	}
	if (rc != 0) {
		note(raw, "error", "write failed: %s", uv_strerror(rc));
		sh_err(sh, "cannot write to '%s': %s", sh->addr_text,
		       uv_strerror(rc));
		sh->status = EXIT_IO;
		sh_raw_close(sh, 0);
		return -1;
	}
	return 0;
}

/* ---- raw and bytes -------------------------------------------------------- */

static int num(struct shell *sh, const char *what, const char *s,
	       unsigned long max, unsigned long *v)
{
	if (parse_ulong(s, 0, max, v) == 0)
		return 0;
	sh_err(sh, "raw: bad %s '%s': expected 0 to %lu", what, s, max);
	return -1;
}

/* The words from i on as content: hex, name-value pairs, the fields of a
 * fixed body, or text joined by spaces.  0 or -1. */
static int content(struct shell *sh, const struct sh_words *w, size_t i,
		   int form, unsigned long type, struct fcgi_buf *c)
{
	unsigned long a, b;
	uint8_t body[8];
	const char *eq;
	int role, pst;

	if (form == 'x') {
		for (; i < w->n; i++)
			if (sh_unhex(w->v[i].s, w->v[i].len, c) != 0) {
				sh_err(sh, "raw: bad hex '%s'", w->v[i].s);
				return -1;
			}
		return 0;
	}
	if (form == 'n') {
		for (; i < w->n; i++) {
			eq = memchr(w->v[i].s, '=', w->v[i].len);
			a = eq != NULL ? (unsigned long)(eq - w->v[i].s)
				       : w->v[i].len;
			if (fcgi_nv_encode(
				    c, w->v[i].s, a, eq != NULL ? eq + 1 : "",
				    eq != NULL ? w->v[i].len - a - 1 : 0) != 0)
				die(EXIT_IO, "out of memory");
		}
		return 0;
	}
	if (type == FCGI_BEGIN_REQUEST) {
		/* ROLE [keep | FLAGS] (FastCGI 1.0, 5.1) */
		if (w->n - i > 2) {
			sh_err(sh, "raw: BEGIN_REQUEST takes ROLE [keep]");
			return -1;
		}
		a = FCGI_RESPONDER;
		b = 0;
		if (i < w->n) {
			role = fcgi_role_lookup(w->v[i].s);
			if (role >= 0)
				a = (unsigned long)role;
			else if (num(sh, "role", w->v[i].s, 65535, &a) != 0)
				return -1;
		}
		if (i + 1 < w->n) {
			if (strcmp(w->v[i + 1].s, "keep") == 0)
				b = FCGI_KEEP_CONN;
			else if (num(sh, "flags", w->v[i + 1].s, 255, &b) != 0)
				return -1;
		}
		fcgi_begin_body_encode(body, &(struct fcgi_begin_body){
						     (uint16_t)a, (uint8_t)b });
		sh_bput(c, body, 8);
		return 0;
	}
	if (type == FCGI_END_REQUEST) {
		/* APPSTATUS [PSTATUS] (FastCGI 1.0, 5.5) */
		if (w->n - i > 2) {
			sh_err(sh, "raw: END_REQUEST takes APPSTATUS "
				   "[PROTOCOLSTATUS]");
			return -1;
		}
		a = b = 0;
		if (i < w->n &&
		    num(sh, "appStatus", w->v[i].s, 4294967295ul, &a) != 0)
			return -1;
		if (i + 1 < w->n) {
			pst = fcgi_pstatus_lookup(w->v[i + 1].s);
			if (pst >= 0)
				b = (unsigned long)pst;
			else if (num(sh, "protocolStatus", w->v[i + 1].s, 255,
				     &b) != 0)
				return -1;
		}
		fcgi_end_body_encode(body, &(struct fcgi_end_body){
						   (uint32_t)a, (uint8_t)b });
		sh_bput(c, body, 8);
		return 0;
	}
	if (type == FCGI_UNKNOWN_TYPE) {
		a = 0;
		if (w->n - i > 1 ||
		    (i < w->n && num(sh, "type", w->v[i].s, 255, &a) != 0)) {
			if (w->n - i > 1)
				sh_err(sh, "raw: UNKNOWN_TYPE takes TYPE");
			return -1;
		}
		fcgi_unknown_body_encode(body, (uint8_t)a);
		sh_bput(c, body, 8);
		return 0;
	}
	for (; i < w->n; i++) {
		sh_bput(c, w->v[i].s, w->v[i].len);
		if (i + 1 < w->n)
			sh_bput(c, " ", 1);
	}
	return 0;
}

/* A type's name, or its number. */
static const char *tname(unsigned long type, char *buf, size_t n)
{
	const char *s = fcgi_type_name((unsigned)type);

	if (s != NULL)
		return s;
	snprintf(buf, n, "%lu", type);
	return buf;
}

int sh_cmd_raw(struct shell *sh, const struct sh_words *w)
{
	char tbuf[16];
	struct fcgi_header h;
	struct fcgi_buf c, rec;
	unsigned long type, id, v, len = 0, pad = 0, res = 0, ver = 1;
	int form = 0, has_len = 0, has_pad = 0, t, rc = -1;
	size_t i;
	uint8_t hdr[FCGI_HEADER_LEN];

	for (i = 1; i < w->n && !w->v[i].lit && w->v[i].s[0] == '-'; i++) {
		const char *o = w->v[i].s;

		if (strcmp(o, "--") == 0) {
			i++;
			break;
		}
		if (strcmp(o, "-x") == 0 || strcmp(o, "-n") == 0) {
			form = o[1];
			continue;
		}
		if (strlen(o) != 2 || strchr("LPRV", o[1]) == NULL) {
			sh_err(sh, "raw: unknown option '%s'", o);
			return -1;
		}
		if (++i == w->n) {
			sh_err(sh, "raw: option '%s' needs a value", o);
			return -1;
		}
		switch (o[1]) {
		case 'L':
			if (num(sh, "contentLength", w->v[i].s, 65535, &len))
				return -1;
			has_len = 1;
			break;
		case 'P':
			if (num(sh, "paddingLength", w->v[i].s, 255, &pad))
				return -1;
			has_pad = 1;
			break;
		case 'R':
			if (num(sh, "reserved", w->v[i].s, 255, &res))
				return -1;
			break;
		default:
			if (num(sh, "version", w->v[i].s, 255, &ver))
				return -1;
		}
	}
	if (w->n - i < 2) {
		sh_err(sh, "raw: missing %s; usage: raw %s",
		       w->n == i ? "TYPE and ID" : "ID",
		       sh_cmd_find("raw")->args);
		return -1;
	}
	t = fcgi_type_lookup(w->v[i].s);
	if (t >= 0)
		type = (unsigned long)t;
	else if (parse_ulong(w->v[i].s, 0, 255, &type) != 0) {
		sh_err(sh, "raw: unknown record type '%s'", w->v[i].s);
		return -1;
	}
	if (parse_ulong(w->v[i + 1].s, 0, 65535, &id) != 0) {
		sh_err(sh, "raw: bad request id '%s': expected 0 to 65535",
		       w->v[i + 1].s);
		return -1;
	}
	fcgi_buf_init(&c, NULL, 0);
	fcgi_buf_init(&rec, NULL, 0);
	if (content(sh, w, i + 2, form, type, &c) != 0)
		goto out;
	if (!has_len && c.len > FCGI_MAX_CONTENT) {
		sh_err(sh,
		       "raw: %zu bytes of content do not fit one record "
		       "(65535 at most; -L sets the length field anyway)",
		       c.len);
		goto out;
	}
	h.version = (uint8_t)ver;
	h.type = (uint8_t)type;
	h.request_id = (uint16_t)id;
	h.content_length = (uint16_t)(has_len ? len : c.len);
	h.padding_length = has_pad ? (uint8_t)pad : fcgi_padding_for(c.len, 8);
	h.reserved = (uint8_t)res;
	fcgi_header_encode(hdr, &h);
	sh_bput(&rec, hdr, sizeof(hdr));
	sh_bput(&rec, c.data, c.len);
	for (v = 0; v < h.padding_length; v++)
		sh_bput(&rec, "", 1);
	sh_journal(sh, w, NULL);
	if (sh_raw_open(sh) != 0) {
		rc = 0;
		goto out;
	}
	if (ver != 1 || res != 0 || (has_len && len != c.len))
		note(sh->raw, "crafted",
		     "version=%lu type=%s id=%lu contentLength=%u with %zu "
		     "bytes of content, paddingLength=%u, reserved=%lu",
		     ver, tname(type, tbuf, sizeof(tbuf)), id,
		     (unsigned)h.content_length, c.len,
		     (unsigned)h.padding_length, res);
	raw_write(sh, rec.data, rec.len);
	rc = 0;
out:
	fcgi_buf_fini(&c);
	fcgi_buf_fini(&rec);
	return rc;
}

int sh_cmd_bytes(struct shell *sh, const struct sh_words *w)
{
	struct fcgi_buf c;
	char shown[300];
	size_t i = 1;
	int form = 0;

	if (i < w->n && !w->v[i].lit && strcmp(w->v[i].s, "-x") == 0) {
		form = 'x';
		i++;
	}
	if (i == w->n) {
		sh_err(sh, "bytes: missing content; usage: bytes %s",
		       sh_cmd_find("bytes")->args);
		return -1;
	}
	fcgi_buf_init(&c, NULL, 0);
	if (content(sh, w, i, form, FCGI_STDIN, &c) != 0) {
		fcgi_buf_fini(&c);
		return -1;
	}
	sh_journal(sh, w, NULL);
	if (sh_raw_open(sh) == 0) {
		fcgi_escape(shown, sizeof(shown), c.data,
			    c.len < 64 ? c.len : 64);
		note(sh->raw, "bytes", "%zu: \"%s\"%s", c.len, shown,
		     c.len > 64 ? "..." : "");
		raw_write(sh, c.data, c.len);
	}
	fcgi_buf_fini(&c);
	return 0;
}

int sh_cmd_split(struct shell *sh, const struct sh_words *w)
{
	unsigned long n = 0, ms = SPLIT_DEFAULT_MS;
	int off;

	if (w->n < 2 || w->n > 3) {
		sh_err(sh, "split: %s; usage: split %s",
		       w->n < 2 ? "missing argument" : "too many arguments",
		       sh_cmd_find("split")->args);
		return -1;
	}
	off = strcmp(w->v[1].s, "off") == 0;
	if (off && w->n == 3) {
		sh_err(sh, "split: off takes no delay");
		return -1;
	}
	if (!off && parse_ulong(w->v[1].s, 1, 65535, &n) != 0) {
		sh_err(sh, "split: bad size '%s': expected 1 to 65535 or off",
		       w->v[1].s);
		return -1;
	}
	if (w->n == 3 && parse_ulong(w->v[2].s, 0, 60000, &ms) != 0) {
		sh_err(sh, "split: bad delay '%s': expected 0 to 60000 ms",
		       w->v[2].s);
		return -1;
	}
	if (sh->raw == NULL) {
		sh->raw = calloc(1, sizeof(*sh->raw));
		if (sh->raw == NULL)
			die(EXIT_IO, "out of memory");
		sh->raw->sh = sh;
	}
	sh->raw->split_n = n;
	sh->raw->split_ms = ms;
	sh_journal(sh, w, NULL);
	return 0;
}

/* ---- read ------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	struct sh_raw *raw = h->data;

	(void)hint;
	*b = uv_buf_init((char *)raw->rbuf, sizeof(raw->rbuf));
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct sh_raw *raw = s->data;
	ssize_t rc;

	if (n > 0) {
		rc = fcgi_conn_recv(raw->obs, FCGI_DIR_TO_WEB,
				    (const uint8_t *)b->base, (size_t)n);
		if (rc == FCGI_EPROTO) {
			/* Reported as a violation; nothing more to read. */
			raw->read_done = 1;
			return;
		}
		if (rc < 0)
			die(EXIT_IO, "cannot follow the connection: %s",
			    fcgi_strerror((int)rc));
		/* An answer, and no request left open: a good place to
		 * stop. */
		if (raw->conclusive && fcgi_conn_active(raw->obs) == 0)
			raw->read_done = 1;
		return;
	}
	if (n == 0)
		return;
	uv_read_stop(s);
	raw->reading = 0;
	if (n == UV_EOF) {
		fcgi_conn_eof(raw->obs, FCGI_DIR_TO_WEB);
		note(raw, "eof", "the server closed the connection");
	} else {
		raw->reset = 1;
		note(raw, "error", "reading failed: %s", uv_strerror((int)n));
	}
	raw->read_done = 1;
	sh_raw_close(raw->sh, 1);
}

int sh_cmd_read(struct shell *sh, const struct sh_words *w)
{
	struct sh_raw *raw = sh->raw;
	uint64_t ms = READ_DEFAULT_MS;
	int rc;

	if (w->n > 2) {
		sh_err(sh, "read: too many arguments; usage: read [SECONDS]");
		return -1;
	}
	if (w->n == 2 && parse_seconds_ms(w->v[1].s, &ms) != 0) {
		sh_err(sh, "read: bad time '%s': expected seconds", w->v[1].s);
		return -1;
	}
	sh_journal(sh, w, NULL);
	if (raw == NULL || raw->s == NULL) {
		sh_err(sh, "read: no raw connection is open");
		sh->status = EXIT_IO;
		return 0;
	}
	raw->read_done = 0;
	raw->conclusive = 0;
	raw->got = 0;
	raw->spec = 0;
	raw->reset = 0;
	raw->s->data = raw;
	rc = uv_read_start(raw->s, on_alloc, on_read);
	if (rc < 0) {
		sh_err(sh, "cannot read from '%s': %s", sh->addr_text,
		       uv_strerror(rc));
		sh->status = EXIT_IO;
		return 0;
	}
	raw->reading = 1;
	rc = sh_wait(sh, &raw->read_done, ms);
	if (raw->s != NULL && raw->reading)
		uv_read_stop(raw->s);
	raw->reading = 0;
	if (rc < 0)
		note(raw, "read", "interrupted");
	else if (rc == 0 && raw->got == 0)
		note(raw, "read", "nothing came in %llu ms",
		     (unsigned long long)ms);
	sh->status = raw->reset	     ? EXIT_IO
		     : raw->spec > 0 ? EXIT_PROTO
				     : EXIT_OK;
	return 0;
}

/* ---- abort ------------------------------------------------------------- */

int sh_cmd_abort(struct shell *sh, const struct sh_words *w)
{
	struct sh_raw *raw = sh->raw;
	unsigned long id, n = 0;
	uint8_t rec[FCGI_HEADER_LEN];
	struct fcgi_header h;

	if (w->n > 2) {
		sh_err(sh, "abort: too many arguments; usage: abort [ID]");
		return -1;
	}
	if (w->n == 2 && parse_ulong(w->v[1].s, 1, 65535, &id) != 0) {
		sh_err(sh, "abort: bad request id '%s'", w->v[1].s);
		return -1;
	}
	/* Without an id: the request sent with send -b, if one is in
	 * flight. */
	if (w->n == 1 && sh->bg != NULL) {
		sh_journal(sh, w, NULL);
		sh_bg_abort(sh);
		return 0;
	}
	if (raw == NULL || raw->s == NULL || raw->obs == NULL) {
		sh_err(sh, "abort: no request is in flight");
		return 0;
	}
	sh_journal(sh, w, NULL);
	memset(&h, 0, sizeof(h));
	h.version = FCGI_VERSION_1;
	h.type = FCGI_ABORT_REQUEST;
	for (unsigned long i = 1; i <= 65535 && raw->s != NULL; i++) {
		if (w->n == 2 ? i != id
			      : !fcgi_conn_is_active(raw->obs, (uint16_t)i))
			continue;
		h.request_id = (uint16_t)i;
		fcgi_header_encode(rec, &h);
		if (raw_write(sh, rec, sizeof(rec)) != 0)
			break;
		n++;
	}
	if (n == 0 && w->n == 1)
		sh_err(sh, "abort: no request is in flight");
	return 0;
}
