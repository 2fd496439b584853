/* SPDX-License-Identifier: MIT */
/*
 * fakepeer.c - a scriptable, misbehaving FastCGI server for tests.
 *
 *   fakepeer [-b backlog] [-l log] [-n conns] [-w bytes] listen script
 *
 * Listens on an address (a unix socket path, or 127.0.0.1:0 to let the
 * kernel pick a port, which is then printed on stdout), accepts conns
 * connections (default 1; 0 means until killed) one after another, and
 * runs the script once for each.  What arrives is decoded by the library's
 * struct fcgi_conn in APP mode (no parsing here), and what the script
 * sends is queued through the same conn, so that its idea of which
 * requests are open follows the wire.  With -l every request read is
 * logged, one event per line, for tests to check what a client sent.
 * With -w every write(2) carries at most that many bytes, 1 ms apart, so
 * that a client reads an answer in pieces (-w 1: a byte at a time).
 *
 * Script lines (blank lines and lines starting with # are skipped):
 *   read-request          read until the empty STDIN record of a request
 *   read-data             read until the empty DATA record of a request
 *   read-record [TYPE]    read one record (TYPE: warn when it differs)
 *   read N                read N bytes
 *   read-eof              read until the client closes
 *   send-hex HEX...       send bytes (blanks between digits are ignored)
 *   send-file PATH        send a file's bytes
 *   send-record TYPE ID [HEX...]   one record, padded to 8
 *   send-text TYPE ID TEXT         one record of C-escaped text
 *   send-values NAME=VALUE...      GET_VALUES_RESULT
 *   echo ID               STDOUT records: a CGI header, then the STDIN
 *                         bytes request ID sent, then the empty STDOUT
 *   end-request ID [APP [PSTATUS]] END_REQUEST
 *   sleep MS              pause
 *   shut-wr               shutdown(SHUT_WR)
 *   close                 close the connection now
 *   reset                 close with SO_LINGER 0 (a TCP reset)
 * The connection is closed when the script ends.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "fcgi-uv.h"

#define MAX_LINES 4096
#define MAX_IDS 64
#define ECHO_MAX (256u * 1024 * 1024)

enum op {
	OP_READ_REQUEST,
	OP_READ_DATA,
	OP_READ_RECORD,
	OP_READ,
	OP_READ_EOF,
	OP_SEND_HEX,
	OP_SEND_FILE,
	OP_SEND_RECORD,
	OP_SEND_TEXT,
	OP_SEND_VALUES,
	OP_ECHO,
	OP_END_REQUEST,
	OP_SLEEP,
	OP_SHUT_WR,
	OP_CLOSE,
	OP_RESET
};

static const struct {
	const char *name;
	enum op op;
} ops[] = {
	{ "read-request", OP_READ_REQUEST },
	{ "read-data", OP_READ_DATA },
	{ "read-record", OP_READ_RECORD },
	{ "read", OP_READ },
	{ "read-eof", OP_READ_EOF },
	{ "send-hex", OP_SEND_HEX },
	{ "send-file", OP_SEND_FILE },
	{ "send-record", OP_SEND_RECORD },
	{ "send-text", OP_SEND_TEXT },
	{ "send-values", OP_SEND_VALUES },
	{ "echo", OP_ECHO },
	{ "end-request", OP_END_REQUEST },
	{ "sleep", OP_SLEEP },
	{ "shut-wr", OP_SHUT_WR },
	{ "close", OP_CLOSE },
	{ "reset", OP_RESET },
};

struct line {
	enum op op;
	unsigned lineno;
	char *args; /* the rest of the line, blanks trimmed */
	uint8_t type;
	uint16_t id;
	unsigned long num, num2, num3;
	int has_num2, has_num3;
	struct fcgi_buf bytes; /* decoded HEX, TEXT or values */
};

static struct line lines[MAX_LINES];
static size_t nlines;
static const char *script_path;
static FILE *logfp;
static int backlog = 64;
static size_t write_max; /* -w: bytes per write(2); 0: no limit */

/* Per-connection state, reset for each connection. */
struct peer {
	int fd;
	struct fcgi_conn *conn;
	unsigned stdin_ends, stdin_taken;
	unsigned data_ends, data_taken;
	int last_type; /* type of the last record read */
	int eof;
	struct {
		uint16_t id;
		int used;
		struct fcgi_buf in;
	} ids[MAX_IDS];
};

static void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void msg(const char *fmt, ...)
{
	va_list ap;

	fputs("fakepeer: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static void logline(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void logline(const char *fmt, ...)
{
	va_list ap;

	if (logfp == NULL)
		return;
	va_start(ap, fmt);
	vfprintf(logfp, fmt, ap);
	va_end(ap);
	fputc('\n', logfp);
	fflush(logfp);
}

/* ---- script parsing ------------------------------------------------- */

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v > max)
		return -1;
	*out = v;
	return 0;
}

static int parse_type(const char *s, uint8_t *type)
{
	unsigned long v;
	int t;

	if (parse_num(s, 255, &v) == 0) {
		*type = (uint8_t)v;
		return 0;
	}
	t = fcgi_type_lookup(s);
	if (t < 0)
		return -1;
	*type = (uint8_t)t;
	return 0;
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Hex digits with optional blanks between byte pairs. */
static int parse_hex(const char *s, struct fcgi_buf *out)
{
	int hi, lo;

	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			return 0;
		hi = hexval((unsigned char)s[0]);
		lo = s[1] != '\0' ? hexval((unsigned char)s[1]) : -1;
		if (hi < 0 || lo < 0)
			return -1;
		if (fcgi_buf_append_u8(out, (uint8_t)(hi << 4 | lo)) != 0)
			return -1;
		s += 2;
	}
}

/* C escapes: \n \r \t \0 \\ \xHH. */
static int parse_text(const char *s, struct fcgi_buf *out)
{
	uint8_t c;
	int hi, lo;

	for (; *s != '\0'; s++) {
		c = (uint8_t)*s;
		if (c == '\\') {
			s++;
			switch (*s) {
			case 'n':
				c = '\n';
				break;
			case 'r':
				c = '\r';
				break;
			case 't':
				c = '\t';
				break;
			case '0':
				c = 0;
				break;
			case '\\':
				c = '\\';
				break;
			case 'x':
				hi = s[1] != '\0' ? hexval((unsigned char)s[1])
						  : -1;
				lo = hi >= 0 && s[2] != '\0'
					     ? hexval((unsigned char)s[2])
					     : -1;
				if (hi < 0 || lo < 0)
					return -1;
				c = (uint8_t)(hi << 4 | lo);
				s += 2;
				break;
			default:
				return -1;
			}
		}
		if (fcgi_buf_append_u8(out, c) != 0)
			return -1;
	}
	return 0;
}

/* Split off the first blank-separated word of *s. */
static char *word(char **s)
{
	char *w, *p = *s;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '\0') {
		*s = p;
		return NULL;
	}
	w = p;
	while (*p != '\0' && *p != ' ' && *p != '\t')
		p++;
	if (*p != '\0')
		*p++ = '\0';
	*s = p;
	return w;
}

static int bad(unsigned lineno, const char *what, const char *arg)
{
	fprintf(stderr, "fakepeer: %s:%u: %s '%s'\n", script_path, lineno, what,
		arg != NULL ? arg : "");
	return -1;
}

static int parse_line(struct line *l, char *text)
{
	char *rest = text, *cmd, *w, *eq;
	size_t i;

	cmd = word(&rest);
	for (i = 0; i < sizeof(ops) / sizeof(ops[0]); i++)
		if (strcmp(ops[i].name, cmd) == 0)
			break;
	if (i == sizeof(ops) / sizeof(ops[0]))
		return bad(l->lineno, "unknown command", cmd);
	l->op = ops[i].op;
	fcgi_buf_init(&l->bytes, NULL, 0);
	switch (l->op) {
	case OP_READ_RECORD:
		w = word(&rest);
		l->type = 0;
		if (w != NULL && parse_type(w, &l->type) != 0)
			return bad(l->lineno, "unknown record type", w);
		break;
	case OP_READ:
	case OP_SLEEP:
		w = word(&rest);
		if (w == NULL || parse_num(w, 1UL << 30, &l->num) != 0)
			return bad(l->lineno, "bad number", w);
		break;
	case OP_SEND_HEX:
		if (parse_hex(rest, &l->bytes) != 0)
			return bad(l->lineno, "bad hex", rest);
		break;
	case OP_SEND_FILE:
		while (*rest == ' ' || *rest == '\t')
			rest++;
		if (*rest == '\0')
			return bad(l->lineno, "missing path", rest);
		l->args = strdup(rest);
		break;
	case OP_SEND_RECORD:
	case OP_SEND_TEXT:
		w = word(&rest);
		if (w == NULL || parse_type(w, &l->type) != 0)
			return bad(l->lineno, "unknown record type", w);
		w = word(&rest);
		if (w == NULL || parse_num(w, 65535, &l->num) != 0)
			return bad(l->lineno, "bad request id", w);
		l->id = (uint16_t)l->num;
		if (l->op == OP_SEND_RECORD && parse_hex(rest, &l->bytes) != 0)
			return bad(l->lineno, "bad hex", rest);
		if (l->op == OP_SEND_TEXT) {
			if (*rest == ' ' || *rest == '\t')
				rest++;
			if (parse_text(rest, &l->bytes) != 0)
				return bad(l->lineno, "bad text", rest);
		}
		if (l->bytes.len > FCGI_MAX_CONTENT)
			return bad(l->lineno, "content over 65535 bytes", "");
		break;
	case OP_SEND_VALUES:
		while ((w = word(&rest)) != NULL) {
			eq = strchr(w, '=');
			if (eq == NULL)
				return bad(l->lineno, "expected NAME=VALUE", w);
			if (fcgi_nv_encode(&l->bytes, w, (size_t)(eq - w),
					   eq + 1, strlen(eq + 1)) != 0)
				return bad(l->lineno, "bad pair", w);
		}
		break;
	case OP_ECHO:
	case OP_END_REQUEST:
		w = word(&rest);
		if (w == NULL || parse_num(w, 65535, &l->num) != 0)
			return bad(l->lineno, "bad request id", w);
		l->id = (uint16_t)l->num;
		if (l->op == OP_ECHO)
			break;
		w = word(&rest);
		if (w != NULL) {
			if (parse_num(w, 0xffffffffUL, &l->num2) != 0)
				return bad(l->lineno, "bad appStatus", w);
			l->has_num2 = 1;
			w = word(&rest);
			if (w != NULL) {
				if (parse_num(w, 255, &l->num3) != 0)
					return bad(l->lineno,
						   "bad protocolStatus", w);
				l->has_num3 = 1;
			}
		}
		break;
	default:
		break;
	}
	if (l->op != OP_SEND_HEX && l->op != OP_SEND_FILE &&
	    l->op != OP_SEND_TEXT && l->op != OP_SEND_RECORD &&
	    (w = word(&rest)) != NULL)
		return bad(l->lineno, "unexpected argument", w);
	return 0;
}

static int load_script(const char *path)
{
	FILE *f;
	char buf[70000], *p;
	size_t n;
	unsigned lineno = 0;

	f = fopen(path, "r");
	if (f == NULL) {
		msg("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	while (fgets(buf, sizeof(buf), f) != NULL) {
		lineno++;
		n = strlen(buf);
		while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
			buf[--n] = '\0';
		p = buf;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0' || *p == '#')
			continue;
		if (nlines == MAX_LINES) {
			fclose(f);
			return bad(lineno, "too many lines", "");
		}
		lines[nlines].lineno = lineno;
		if (parse_line(&lines[nlines], p) != 0) {
			fclose(f);
			return -1;
		}
		nlines++;
	}
	fclose(f);
	return 0;
}

/* ---- the connection ------------------------------------------------- */

static struct fcgi_buf *id_buf(struct peer *p, uint16_t id)
{
	size_t i;

	for (i = 0; i < MAX_IDS; i++)
		if (p->ids[i].used && p->ids[i].id == id)
			return &p->ids[i].in;
	for (i = 0; i < MAX_IDS; i++) {
		if (!p->ids[i].used) {
			p->ids[i].used = 1;
			p->ids[i].id = id;
			fcgi_buf_init(&p->ids[i].in, NULL, ECHO_MAX);
			return &p->ids[i].in;
		}
	}
	return NULL;
}

static void log_bytes(const char *what, uint16_t id, const uint8_t *name,
		      size_t nlen, const uint8_t *value, size_t vlen)
{
	char *n, *v;

	if (logfp == NULL)
		return;
	n = malloc(nlen * 4 + 1);
	v = malloc(vlen * 4 + 1);
	if (n != NULL && v != NULL) {
		fcgi_escape(n, nlen * 4 + 1, name, nlen);
		fcgi_escape(v, vlen * 4 + 1, value, vlen);
		logline("%s %u %s=%s", what, (unsigned)id, n, v);
	}
	free(n);
	free(v);
}

static int on_event(void *arg, const struct fcgi_event *ev)
{
	struct peer *p = arg;
	struct fcgi_buf *b;
	struct fcgi_nv nv;
	size_t i;

	switch (ev->type) {
	case FCGI_EV_BEGIN:
		logline("begin %u %s keep-conn=%d", (unsigned)ev->request_id,
			fcgi_role_name(ev->role) ? fcgi_role_name(ev->role)
						 : "?",
			(ev->flags & FCGI_KEEP_CONN) != 0);
		b = id_buf(p, ev->request_id);
		if (b != NULL)
			fcgi_buf_reset(b);
		break;
	case FCGI_EV_PARAMS:
		for (i = 0; i < fcgi_params_count(ev->params); i++) {
			fcgi_params_at(ev->params, i, &nv);
			log_bytes("param", ev->request_id, nv.name, nv.name_len,
				  nv.value, nv.value_len);
		}
		break;
	case FCGI_EV_STDIN:
		b = id_buf(p, ev->request_id);
		if (ev->len == 0) {
			logline("stdin %u %zu", (unsigned)ev->request_id,
				b != NULL ? b->len : 0);
			p->stdin_ends++;
		} else if (b != NULL &&
			   fcgi_buf_append(b, ev->data, ev->len) != 0) {
			msg("request %u: STDIN over %u bytes not kept",
			    (unsigned)ev->request_id, ECHO_MAX);
		}
		break;
	case FCGI_EV_DATA:
		if (ev->len == 0) {
			logline("data %u end", (unsigned)ev->request_id);
			p->data_ends++;
		} else {
			logline("data %u %zu", (unsigned)ev->request_id,
				ev->len);
		}
		break;
	case FCGI_EV_ABORT:
		logline("abort %u", (unsigned)ev->request_id);
		break;
	case FCGI_EV_GET_VALUES:
		for (i = 0; i < fcgi_params_count(ev->params); i++) {
			fcgi_params_at(ev->params, i, &nv);
			log_bytes("get-values", 0, nv.name, nv.name_len,
				  nv.value, nv.value_len);
		}
		break;
	default:
		break;
	}
	return 0;
}

static void on_record(void *arg, enum fcgi_dir dir,
		      const struct fcgi_record *rec)
{
	struct peer *p = arg;

	if (dir == FCGI_DIR_TO_APP)
		p->last_type = rec->h.type;
}

static void on_violation(void *arg, const struct fcgi_violation *v)
{
	(void)arg;
	if (v->dir == FCGI_DIR_TO_APP)
		logline("violation %s %s", fcgi_vcode_name(v->code),
			v->message);
}

/* Read exactly n bytes into buf and feed them to the conn: 0, or -1 at
 * end of input or on an error (logged). */
static int read_exact(struct peer *p, uint8_t *buf, size_t n)
{
	size_t got = 0;
	ssize_t r;

	while (got < n) {
		r = read(p->fd, buf + got, n - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			if (r < 0)
				msg("read: %s", strerror(errno));
			if (!p->eof) {
				p->eof = 1;
				logline("eof");
			}
			if (got > 0)
				(void)fcgi_conn_recv(p->conn, FCGI_DIR_TO_APP,
						     buf, got);
			return -1;
		}
		got += (size_t)r;
	}
	if (fcgi_conn_recv(p->conn, FCGI_DIR_TO_APP, buf, n) < 0)
		msg("the conn stopped decoding");
	return 0;
}

/* Read one whole record (its header says how long it is). */
static int read_record(struct peer *p)
{
	static uint8_t
		buf[FCGI_HEADER_LEN + FCGI_MAX_CONTENT + FCGI_MAX_PADDING];
	struct fcgi_header h;

	if (read_exact(p, buf, FCGI_HEADER_LEN) != 0)
		return -1;
	fcgi_header_decode(&h, buf, FCGI_HEADER_LEN);
	p->last_type = h.type;
	return read_exact(p, buf + FCGI_HEADER_LEN,
			  (size_t)h.content_length + h.padding_length);
}

static void sleep_ms(unsigned long ms);

/* Queue bytes through the conn (so its state follows) and write them. */
static int send_bytes(struct peer *p, const void *data, size_t len)
{
	const uint8_t *out;
	size_t n;
	ssize_t w;

	if (len > 0 && fcgi_conn_send_raw(p->conn, data, len) != 0) {
		msg("cannot queue %zu bytes", len);
		return -1;
	}
	while ((n = fcgi_conn_send(p->conn, &out)) > 0) {
		if (write_max != 0) {
			if (n > write_max)
				n = write_max;
			sleep_ms(1);
		}
		w = write(p->fd, out, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			msg("write: %s", strerror(errno));
			return -1;
		}
		fcgi_conn_sent(p->conn, (size_t)w);
	}
	return 0;
}

static int send_record(struct peer *p, uint8_t type, uint16_t id,
		       const void *content, size_t len)
{
	struct fcgi_buf b;
	int rc;

	fcgi_buf_init(&b, NULL, 0);
	rc = fcgi_record_encode(&b, type, id, content, len) == 0
		     ? send_bytes(p, b.data, b.len)
		     : -1;
	fcgi_buf_fini(&b);
	return rc;
}

static int send_file(struct peer *p, const char *path)
{
	uint8_t buf[65536];
	ssize_t n;
	int fd, rc = 0;

	fd = open(path, O_RDONLY);
	if (fd < 0) {
		msg("cannot open '%s': %s", path, strerror(errno));
		return -1;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (send_bytes(p, buf, (size_t)n) != 0) {
			rc = -1;
			break;
		}
	close(fd);
	return rc;
}

static int do_echo(struct peer *p, uint16_t id)
{
	static const char head[] =
		"Content-Type: application/octet-stream\r\n\r\n";
	struct fcgi_buf *in = id_buf(p, id);
	size_t off, n;

	if (send_record(p, FCGI_STDOUT, id, head, sizeof(head) - 1) != 0)
		return -1;
	for (off = 0; in != NULL && off < in->len; off += n) {
		n = in->len - off < FCGI_CHUNK_MAX ? in->len - off
						   : FCGI_CHUNK_MAX;
		if (send_record(p, FCGI_STDOUT, id, in->data + off, n) != 0)
			return -1;
	}
	return send_record(p, FCGI_STDOUT, id, NULL, 0);
}

static void sleep_ms(unsigned long ms)
{
	struct timespec ts;

	ts.tv_sec = (time_t)(ms / 1000);
	ts.tv_nsec = (long)(ms % 1000) * 1000000L;
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Run the script on one connection; returns when it ends. */
static void run_script(struct peer *p)
{
	struct line *l;
	struct fcgi_end_body end;
	uint8_t body[8], tmp[65536];
	struct linger lg;
	size_t i, n;
	unsigned long left;

	for (i = 0; i < nlines; i++) {
		l = &lines[i];
		switch (l->op) {
		case OP_READ_REQUEST:
			while (p->stdin_ends <= p->stdin_taken)
				if (read_record(p) != 0) {
					msg("%s:%u: read-request: connection "
					    "closed",
					    script_path, l->lineno);
					return;
				}
			p->stdin_taken++;
			break;
		case OP_READ_DATA:
			while (p->data_ends <= p->data_taken)
				if (read_record(p) != 0) {
					msg("%s:%u: read-data: connection "
					    "closed",
					    script_path, l->lineno);
					return;
				}
			p->data_taken++;
			break;
		case OP_READ_RECORD:
			if (read_record(p) != 0) {
				msg("%s:%u: read-record: connection closed",
				    script_path, l->lineno);
				return;
			}
			if (l->type != 0 && p->last_type != l->type)
				msg("%s:%u: expected a %s record, got type %d",
				    script_path, l->lineno,
				    fcgi_type_name(l->type), p->last_type);
			break;
		case OP_READ:
			for (left = l->num; left > 0; left -= n) {
				n = left < sizeof(tmp) ? left : sizeof(tmp);
				if (read_exact(p, tmp, n) != 0)
					return;
			}
			break;
		case OP_READ_EOF:
			while (!p->eof) {
				ssize_t r = read(p->fd, tmp, sizeof(tmp));

				if (r < 0 && errno == EINTR)
					continue;
				if (r <= 0) {
					p->eof = 1;
					logline("eof");
					break;
				}
				(void)fcgi_conn_recv(p->conn, FCGI_DIR_TO_APP,
						     tmp, (size_t)r);
			}
			break;
		case OP_SEND_HEX:
			if (send_bytes(p, l->bytes.data, l->bytes.len) != 0)
				return;
			break;
		case OP_SEND_FILE:
			if (send_file(p, l->args) != 0)
				return;
			break;
		case OP_SEND_RECORD:
		case OP_SEND_TEXT:
			if (send_record(p, l->type, l->id, l->bytes.data,
					l->bytes.len) != 0)
				return;
			break;
		case OP_SEND_VALUES:
			if (send_record(p, FCGI_GET_VALUES_RESULT, 0,
					l->bytes.data, l->bytes.len) != 0)
				return;
			break;
		case OP_ECHO:
			if (do_echo(p, l->id) != 0)
				return;
			break;
		case OP_END_REQUEST:
			end.app_status = (uint32_t)(l->has_num2 ? l->num2 : 0);
			end.protocol_status =
				(uint8_t)(l->has_num3 ? l->num3 : 0);
			fcgi_end_body_encode(body, &end);
			if (send_record(p, FCGI_END_REQUEST, l->id, body, 8) !=
			    0)
				return;
			break;
		case OP_SLEEP:
			sleep_ms(l->num);
			break;
		case OP_SHUT_WR:
			shutdown(p->fd, SHUT_WR);
			break;
		case OP_CLOSE:
			return;
		case OP_RESET:
			lg.l_onoff = 1;
			lg.l_linger = 0;
			setsockopt(p->fd, SOL_SOCKET, SO_LINGER, &lg,
				   sizeof(lg));
			return;
		}
	}
}

/* ---- listening ------------------------------------------------------ */

static int listen_on(const char *text)
{
	struct fcgi_addr a;
	struct sockaddr_storage ss;
	struct sockaddr_un *sun = (struct sockaddr_un *)&ss;
	struct sockaddr_in *sin = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;
	socklen_t len;
	char err[256], out[300], tmp[160];
	int fd, on = 1;

	if (fcgi_addr_parse(&a, text, err, sizeof(err)) != 0) {
		msg("bad address '%s': %s", text, err);
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	switch (a.family) {
	case AF_UNIX:
		/* Bind to a temporary name and rename once listening, so
		 * that the path never exists without a listener. */
		snprintf(tmp, sizeof(tmp), "%s.%ld", a.path, (long)getpid());
		if (strlen(tmp) >= sizeof(sun->sun_path)) {
			msg("'%s': path too long", text);
			return -1;
		}
		unlink(tmp);
		sun->sun_family = AF_UNIX;
		memcpy(sun->sun_path, tmp, strlen(tmp) + 1);
		len = sizeof(*sun);
		break;
	case AF_INET:
		sin->sin_family = AF_INET;
		sin->sin_port = htons(a.port);
		if (inet_pton(AF_INET, a.host, &sin->sin_addr) != 1) {
			msg("'%s': give a numeric address", text);
			return -1;
		}
		len = sizeof(*sin);
		break;
	case AF_INET6:
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a.port);
		if (inet_pton(AF_INET6, a.host, &sin6->sin6_addr) != 1) {
			msg("'%s': give a numeric address", text);
			return -1;
		}
		len = sizeof(*sin6);
		break;
	default:
		msg("'%s': give a numeric address", text);
		return -1;
	}
	fd = socket(a.family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		msg("socket: %s", strerror(errno));
		return -1;
	}
	if (a.family != AF_UNIX)
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (bind(fd, (struct sockaddr *)&ss, len) != 0 ||
	    listen(fd, backlog) != 0) {
		msg("cannot listen on '%s': %s", text, strerror(errno));
		close(fd);
		return -1;
	}
	if (a.family == AF_UNIX && rename(tmp, a.path) != 0) {
		msg("cannot rename '%s': %s", tmp, strerror(errno));
		close(fd);
		return -1;
	}
	if (a.family != AF_UNIX && a.port == 0) {
		len = sizeof(ss);
		getsockname(fd, (struct sockaddr *)&ss, &len);
		a.port = ntohs(a.family == AF_INET ? sin->sin_port
						   : sin6->sin6_port);
		printf("%s\n", fcgi_addr_format(&a, out, sizeof(out)));
		fflush(stdout);
	}
	return fd;
}

static void serve(int lfd, unsigned conn_no)
{
	struct fcgi_callbacks cb;
	struct peer p;
	size_t i;

	memset(&p, 0, sizeof(p));
	do
		p.fd = accept(lfd, NULL, NULL);
	while (p.fd < 0 && errno == EINTR);
	if (p.fd < 0) {
		msg("accept: %s", strerror(errno));
		return;
	}
	memset(&cb, 0, sizeof(cb));
	cb.on_event = on_event;
	cb.on_record = on_record;
	cb.on_violation = on_violation;
	(void)fcgi_conn_new(&p.conn, FCGI_MODE_APP, NULL, &cb, &p);
	if (p.conn == NULL) {
		msg("out of memory");
		close(p.fd);
		return;
	}
	logline("conn %u", conn_no);
	run_script(&p);
	close(p.fd);
	fcgi_conn_free(p.conn);
	for (i = 0; i < MAX_IDS; i++)
		if (p.ids[i].used)
			fcgi_buf_fini(&p.ids[i].in);
}

static void usage(void)
{
	fputs("usage: fakepeer [-b backlog] [-l log] [-n conns] [-w bytes] "
	      "listen script\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	unsigned long conns = 1, i, v;
	const char *logpath = NULL;
	int c, lfd;

	while ((c = getopt(argc, argv, "b:l:n:w:")) != -1) {
		switch (c) {
		case 'b':
			if (parse_num(optarg, 1024, &v) != 0)
				usage();
			backlog = (int)v;
			break;
		case 'l':
			logpath = optarg;
			break;
		case 'n':
			if (parse_num(optarg, 1000000, &conns) != 0)
				usage();
			break;
		case 'w':
			if (parse_num(optarg, 1UL << 20, &v) != 0 || v == 0)
				usage();
			write_max = v;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	signal(SIGPIPE, SIG_IGN);
	script_path = argv[optind + 1];
	if (load_script(script_path) != 0)
		return 2;
	if (logpath != NULL) {
		logfp = fopen(logpath, "a");
		if (logfp == NULL) {
			msg("cannot open '%s': %s", logpath, strerror(errno));
			return 2;
		}
	}
	lfd = listen_on(argv[optind]);
	if (lfd < 0)
		return 1;
	for (i = 1; conns == 0 || i <= conns; i++)
		serve(lfd, (unsigned)i);
	close(lfd);
	for (i = 0; i < nlines; i++) {
		fcgi_buf_fini(&lines[i].bytes);
		free(lines[i].args);
	}
	if (logfp != NULL)
		fclose(logfp);
	return 0;
}
