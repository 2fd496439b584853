/* SPDX-License-Identifier: MIT */
/*
 * conform.h - fcgitool conform: the case table, the scripts the cases
 * build, what came back (the outcome), the judges and the verdicts.
 *
 * The pure parts (conform-script.c, conform-judge.c, conform-cases*.c,
 * conform-list.c) do no I/O and are unit-tested and fuzzed without
 * sockets; conform-run.c drives a target over a socket and
 * conform-client.c plays the application for a web server.  Every byte a
 * peer sends is decoded by a struct fcgi_conn in OBSERVER mode (DESIGN
 * rule 1): what we send is fed as to-app, the answer as to-web.
 */
#ifndef FCGITOOL_CONFORM_H
#define FCGITOOL_CONFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "fcgi.h"

/* ---- grades and levels --------------------------------------------- */

/* In order of badness; a case's grade is the worst of its runs. */
enum cf_grade { CF_PASS, CF_INFO, CF_SKIP, CF_WARN, CF_FAIL };

/* What the spec says about the behaviour a case checks.  A MUST broken
 * fails, a SHOULD or an interop risk warns, a MAY is information. */
enum cf_level { CF_MUST, CF_SHOULD, CF_MAY, CF_INTEROP };

const char *cf_grade_name(enum cf_grade g); /* "pass" */
const char *cf_level_name(enum cf_level l); /* "MUST" */

/* ---- answers ---------------------------------------------------------- */

/* How one request was answered (bits, so that a case can accept sets). */
enum {
	A_OK = 1u << 0,	      /* REQUEST_COMPLETE, a CGI response with the
			       * normal status, the body echoed (--echo) */
	A_STATUS = 1u << 1,   /* REQUEST_COMPLETE, another CGI status */
	A_BODY = 1u << 2,     /* REQUEST_COMPLETE, the body not echoed */
	A_NOCGI = 1u << 3,    /* REQUEST_COMPLETE, no CGI response */
	A_CANT_MPX = 1u << 4, /* END_REQUEST CANT_MPX_CONN */
	A_OVERLOADED = 1u << 5,
	A_UNKNOWN_ROLE = 1u << 6,
	A_BAD_PSTATUS = 1u << 7, /* protocolStatus above 3 */
	A_CLOSED = 1u << 8,	 /* the server closed without END_REQUEST */
	A_SILENT = 1u << 9	 /* nothing by the deadline */
};
#define A_COMPLETE (A_OK | A_STATUS | A_BODY | A_NOCGI)
#define A_REFUSED (A_CANT_MPX | A_OVERLOADED | A_UNKNOWN_ROLE)
#define A_ANY_END (A_COMPLETE | A_REFUSED | A_BAD_PSTATUS)

/* "answered", "END_REQUEST UNKNOWN_ROLE or close": the kinds in set,
 * joined with "or", into out.  Returns out. */
const char *cf_kinds_text(unsigned set, char *out, size_t n);

/* ---- the target and the run context -------------------------------- */

struct cf_ctx {
	struct fcgi_params base; /* the normal request's params */
	bool echo;		 /* the target echoes the request body */
	int normal_status;	 /* CGI status of the normal request */
	int mpxs;		 /* FCGI_MPXS_CONNS: 0, 1, or -1 unknown */
	long max_reqs;		 /* FCGI_MAX_REQS, or -1 */
	long max_conns;		 /* FCGI_MAX_CONNS, or -1 */
	bool values_answered;	 /* GET_VALUES got a result */
	uint64_t timeout_ms;	 /* an answer's deadline */
	uint64_t quiet_ms;	 /* how long silence is watched */
	uint64_t idle_ms;	 /* how long an idle connection is watched */
};

/* Fill ctx with defaults: no params, echo off, status 200, values
 * unknown, 2 s / 0.3 s / 1 s. */
void cf_ctx_init(struct cf_ctx *ctx);
void cf_ctx_fini(struct cf_ctx *ctx);

/* ---- scripts: the bytes a case sends, and when ---------------------- */

enum cf_op {
	OP_SEND,       /* write bytes[off, off+len) on conn */
	OP_PAUSE,      /* sleep ms, reading what comes */
	OP_SLEEP,      /* sleep ms without reading (a slow reader) */
	OP_WAIT_END,   /* read until END_REQUEST for id, a close or the
			* answer deadline (ms 0) */
	OP_WAIT_MGMT,  /* read until a management record, a close or the
			* deadline */
	OP_WAIT_CLOSE, /* read until the server closes or ms (0: the quiet
			* time) passes */
	OP_QUIET,      /* read for ms (0: the quiet time) */
	OP_IDLE,       /* read until a close or the idle time */
	OP_SHUT_WR,    /* shutdown(SHUT_WR) */
	OP_CLOSE,      /* close */
	OP_RESET,      /* close with SO_LINGER 0 (a TCP reset) */
	OP_CONNECT     /* open conn (conn 0 is opened first by itself) */
};

#define CF_MAX_STEPS 160
#define CF_MAX_CONNS 8
#define CF_MAX_ECHO 16

struct cf_step {
	enum cf_op op;
	uint8_t conn;
	uint16_t id;
	uint32_t ms;
	size_t off, len; /* OP_SEND: the bytes */
};

struct cf_echo {
	uint8_t conn;
	uint16_t id;
	size_t off, len; /* into expect */
};

struct cf_script {
	struct fcgi_buf bytes;	/* everything that is sent */
	struct fcgi_buf expect; /* bodies the target should echo */
	size_t mark;		/* bytes before it belong to a step */
	uint8_t conn;		/* connection of the steps being added */
	unsigned opened;	/* bit c: conn c has an OP_CONNECT */
	struct cf_step step[CF_MAX_STEPS];
	size_t nsteps;
	struct cf_echo echo[CF_MAX_ECHO];
	size_t necho;
	uint16_t main_id; /* the request the generic judge looks at */
	unsigned arg;	  /* for the case's judge (a record type, ...) */
	int err;	  /* first building error (FCGI_ENOMEM, ...) */
	const struct cf_ctx *ctx;
};

void cf_script_init(struct cf_script *s, const struct cf_ctx *ctx);
void cf_script_fini(struct cf_script *s);

/* Building (conform-script.c).  Failures are sticky in s->err. */
void sb_raw(struct cf_script *s, const void *p, size_t n);
/* A header with every field given, then content, then pad bytes of
 * value padbyte. */
void sb_hdr(struct cf_script *s, uint8_t version, uint8_t type, uint16_t id,
	    uint16_t clen, uint8_t plen, uint8_t reserved);
void sb_rec_pad(struct cf_script *s, uint8_t type, uint16_t id, const void *p,
		size_t n, uint8_t pad);
/* Padded to a multiple of 8, as nginx and PHP-FPM send. */
void sb_rec(struct cf_script *s, uint8_t type, uint16_t id, const void *p,
	    size_t n);
void sb_begin(struct cf_script *s, uint16_t id, uint16_t role, uint8_t flags);
/* The pairs of p in PARAMS records of at most FCGI_CHUNK_MAX bytes, cut
 * between pairs unless one pair alone is larger; then the empty
 * record. */
void sb_params(struct cf_script *s, uint16_t id, const struct fcgi_params *p);
/* The encoded pairs of p cut into records at the given offsets of the
 * encoding (ascending), then the empty record. */
void sb_params_cut(struct cf_script *s, uint16_t id,
		   const struct fcgi_params *p, const size_t *cuts,
		   size_t ncuts);
/* Records of one stream type with p[0..n) cut at FCGI_CHUNK_MAX, without
 * the empty record. */
void sb_stream_chunks(struct cf_script *s, uint8_t type, uint16_t id,
		      const void *p, size_t n);
/* STDIN (or DATA) records of at most chunk bytes (0: FCGI_CHUNK_MAX),
 * then the empty record. */
void sb_stream(struct cf_script *s, uint8_t type, uint16_t id, const void *p,
	       size_t n, size_t chunk);
/* ctx->base for a request with a body of n bytes: POST with
 * CONTENT_LENGTH n, or GET with empty CONTENT_LENGTH when n is 0.
 * Returns 0 or a negative FCGI_E*; p must be freed. */
int cf_params_for(const struct cf_ctx *ctx, struct fcgi_params *p, size_t n);
/* A whole normal request: BEGIN_REQUEST (RESPONDER, flags), the params
 * for a body of n bytes, STDIN.  The body is expected back (--echo). */
void sb_request(struct cf_script *s, uint16_t id, uint8_t flags,
		const void *body, size_t n);
/* Expect body back as the answer to (current conn, id) with --echo. */
void sb_expect_echo(struct cf_script *s, uint16_t id, const void *body,
		    size_t n);

/* Steps.  sb_send() turns the bytes added since the last step into a
 * SEND on the current connection. */
void sb_send(struct cf_script *s);
void sb_step(struct cf_script *s, enum cf_op op, uint16_t id, uint32_t ms);
#define sb_wait_end(s, id) sb_step((s), OP_WAIT_END, (id), 0)
#define sb_wait_mgmt(s) sb_step((s), OP_WAIT_MGMT, 0, 0)
#define sb_wait_close(s) sb_step((s), OP_WAIT_CLOSE, 0, 0)
#define sb_quiet(s) sb_step((s), OP_QUIET, 0, 0)
#define sb_pause(s, ms) sb_step((s), OP_PAUSE, 0, (ms))
/* Switch to connection c (opening it with OP_CONNECT unless it is 0). */
void sb_conn(struct cf_script *s, uint8_t c);

/* What s sends, for people: one line per record or step ("  PARAMS id 1,
 * 412 bytes"), runs of equal lines folded ("(x200)"), appended to out.
 * Crafted headers are shown as they are.  0 or FCGI_ENOMEM. */
int cf_describe_script(const struct cf_script *s, struct fcgi_buf *out);

/* ---- outcome: what came back ---------------------------------------- */

enum cf_close { CL_OPEN, CL_EOF, CL_RESET };

/* One request's answer on one connection.  gen counts the BEGIN_REQUESTs
 * we sent for the id before this one, so that a reused id has one entry
 * per request. */
struct cf_req {
	uint8_t conn;
	uint16_t id;
	unsigned gen;
	struct fcgi_buf out; /* STDOUT bytes, up to CF_OUT_MAX */
	uint64_t out_bytes, err_bytes;
	unsigned out_records, err_records;
	bool out_ended, err_ended;
	unsigned ends; /* END_REQUEST records */
	uint32_t app_status;
	uint8_t pstatus;
	uint16_t end_len;   /* content length of the first END_REQUEST */
	unsigned after_end; /* records after the first END_REQUEST */
	int first_step;	    /* step during which the first record came */
	int end_step;
};

#define CF_OUT_MAX (4u << 20)
#define CF_MAX_REQS 64
#define CF_MAX_VIOL 16

struct cf_viol {
	enum fcgi_vcode code;
	enum fcgi_severity severity;
	char message[160];
};

struct cf_conn_out {
	bool opened;
	enum cf_close closed; /* by the server */
	int close_step;
	bool we_closed;	   /* a step closed or reset it */
	bool write_failed; /* the server stopped taking bytes */
	int write_fail_step;
	size_t unsent; /* bytes of the script not written */
	uint64_t bytes_in;
	unsigned values; /* GET_VALUES_RESULT records */
	struct fcgi_params vals;
	unsigned unknown; /* UNKNOWN_TYPE records */
	uint8_t unknown_type[8];
	unsigned mgmt_records; /* any record with id 0 */
	int first_mgmt_step;
	struct cf_viol viol[CF_MAX_VIOL]; /* to-web violations */
	size_t nviol;
	bool toapp_stopped; /* our own bytes were not FastCGI */
	bool toweb_stopped; /* the answer was not FastCGI */
	struct fcgi_conn *obs;
	struct cf_outcome *o;
	uint8_t index;
};

struct cf_begun {
	uint8_t conn;
	uint16_t id;
	unsigned begins;
};

struct cf_outcome {
	struct cf_conn_out conn[CF_MAX_CONNS];
	struct cf_req req[CF_MAX_REQS];
	size_t nreq;
	struct cf_begun begun[CF_MAX_REQS]; /* BEGIN_REQUESTs we sent */
	size_t nbegun;
	int step; /* the step being run */
	int err;  /* FCGI_ENOMEM while recording */
	bool probe_run, probe_ok;
	char probe_got[200];
};

/* 0 or FCGI_ENOMEM (then cf_outcome_fini() is still safe). */
int cf_outcome_init(struct cf_outcome *o);
void cf_outcome_fini(struct cf_outcome *o);
/* Make conn c's observer; 0 or FCGI_ENOMEM. */
int cf_outcome_open(struct cf_outcome *o, uint8_t c);
/* Bytes we sent on conn c, and bytes that came back on it. */
void cf_outcome_sent(struct cf_outcome *o, uint8_t c, const uint8_t *p,
		     size_t n);
void cf_outcome_recv(struct cf_outcome *o, uint8_t c, const uint8_t *p,
		     size_t n);
/* The server closed conn c (how: CL_EOF or CL_RESET). */
void cf_outcome_closed(struct cf_outcome *o, uint8_t c, enum cf_close how);
/* We closed (or half-closed) conn c. */
void cf_outcome_we_closed(struct cf_outcome *o, uint8_t c);
/* The answer to the last request (conn, id), or NULL when nothing came
 * for it; _gen: to request gen (0 the first) with that id. */
const struct cf_req *cf_outcome_req(const struct cf_outcome *o, uint8_t c,
				    uint16_t id);
const struct cf_req *cf_outcome_req_gen(const struct cf_outcome *o, uint8_t c,
					uint16_t id, unsigned gen);
/* 1 when OP_WAIT_END / OP_WAIT_MGMT can stop. */
bool cf_outcome_has_end(const struct cf_outcome *o, uint8_t c, uint16_t id);
bool cf_outcome_has_mgmt(const struct cf_outcome *o, uint8_t c);

/* The CGI status of an answer's STDOUT, or -1 when it is not a CGI
 * response. */
int cf_answer_status(const struct cf_req *r);

/* ---- verdicts and judges -------------------------------------------- */

struct cf_verdict {
	enum cf_grade grade;
	char expected[200];
	char got[300];
};

/* Classify the answer to (conn, id), its request gen (-1: the last):
 * one A_* bit, and a description of it in got (e.g. "END_REQUEST
 * REQUEST_COMPLETE, status 200"). */
unsigned cf_classify(const struct cf_script *s, const struct cf_outcome *o,
		     uint8_t c, uint16_t id, int gen, char *got, size_t n);
/* Set v's grade to g when g is worse, and then got to the message. */
void cf_verdict_set(struct cf_verdict *v, enum cf_grade g, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* The grade a case's level gives to a deviation. */
enum cf_grade cf_level_grade(enum cf_level l);

struct cf_case;
/* Judge answer (c, id): pass set, warn set, anything else by level. */
void cf_judge_answer(struct cf_verdict *v, const struct cf_case *k,
		     const struct cf_script *s, const struct cf_outcome *o,
		     uint8_t c, uint16_t id, unsigned pass, unsigned warn);
/* The checks every case gets after its own judge: to-web violations
 * (spec: fail, interop: warn) and the probe. */
void cf_judge_common(struct cf_verdict *v, const struct cf_case *k,
		     const struct cf_script *s, const struct cf_outcome *o);
/* Run case k's judge (its own, or cf_judge_answer on main_id with its
 * sets), then the common checks. */
void cf_judge(struct cf_verdict *v, const struct cf_case *k,
	      const struct cf_script *s, const struct cf_outcome *o);

/* ---- cases ------------------------------------------------------------ */

enum {
	CF_ONCE = 1u << 0,	   /* one run only: splitting changes nothing */
	CF_NEEDS_MPX = 1u << 1,	   /* skip unless FCGI_MPXS_CONNS is 1 */
	CF_NEEDS_NO_MPX = 1u << 2, /* skip unless FCGI_MPXS_CONNS is 0 */
	CF_NEEDS_ECHO = 1u << 3,   /* skip unless the target echoes */
	CF_NEEDS_MAXREQS = 1u << 4, /* skip unless FCGI_MAX_REQS is small */
	CF_ANSWERS_OK = 1u << 5	    /* answers nobody asked for are judged
				     * by the case (no "unexpected") */
};

struct cf_case {
	const char *id; /* "fcgi-3.3-version-2": never renamed */
	enum cf_level level;
	const char *desc;    /* one line */
	const char *quote;   /* the requirement, quoted from the spec */
	const char *why;     /* why it matters, for the catalogue */
	const char *accepts; /* the answers that pass, for people; NULL:
			      * from pass */
	unsigned pass, warn; /* answer kinds for the generic judge */
	unsigned flags;
	void (*build)(struct cf_script *s);
	/* NULL: cf_judge_answer on s->main_id with pass and warn. */
	void (*judge)(struct cf_verdict *v, const struct cf_case *k,
		      const struct cf_script *s, const struct cf_outcome *o);
};

/* The table, in catalogue order; *n gets its length. */
const struct cf_case *cf_cases(size_t *n);
/* The case with this id, or NULL. */
const struct cf_case *cf_case_find(const char *id);
/* "3.3" from "fcgi-3.3-version-2" into out; the section's title
 * ("Records") or "" . */
const char *cf_case_section(const struct cf_case *k, char *out, size_t n);
const char *cf_section_title(const char *section);
/* Why a case does not apply to this target, or NULL. */
const char *cf_case_skip_reason(const struct cf_case *k,
				const struct cf_ctx *ctx);

/* ---- selection and baselines (conform-list.c) ------------------------ */

/* A list of ids or prefixes ("fcgi-5.4", "fcgi-3.3-version-2"). */
struct cf_pattern_list {
	char **item;
	size_t n;
};

/* Add the comma-separated items of text.  0, or -1 when memory runs
 * out. */
int cf_patterns_add(struct cf_pattern_list *l, const char *text);
void cf_patterns_free(struct cf_pattern_list *l);
/* 1 if id equals an item or starts with an item followed by '-' or
 * '.'. */
bool cf_patterns_match(const struct cf_pattern_list *l, const char *id);
/* The first item that matches no case id, or NULL. */
const char *cf_patterns_unknown(const struct cf_pattern_list *l);

/* A baseline: known results, one "ID GRADE" per line, '#' comments. */
struct cf_baseline_entry {
	char *id;
	enum cf_grade grade; /* CF_WARN or CF_FAIL */
};
struct cf_baseline {
	struct cf_baseline_entry *e;
	size_t n;
};

/*
 * Parse a baseline from text[0..len).  0, or -1 with "line N: why" in
 * err (an unknown id, a grade other than warn or fail, a duplicate, a
 * malformed line, or no memory).
 */
int cf_baseline_parse(struct cf_baseline *b, const char *text, size_t len,
		      char *err, size_t errlen);
void cf_baseline_free(struct cf_baseline *b);
/* The entry for id, or NULL. */
const struct cf_baseline_entry *cf_baseline_find(const struct cf_baseline *b,
						 const char *id);

/* ---- running (conform-run.c) ---------------------------------------- */

enum { SPLIT_WHOLE = 1u << 0, SPLIT_BYTES = 1u << 1, SPLIT_RANDOM = 1u << 2 };

/* "whole", "bytes" or "random" for one SPLIT_* bit. */
const char *cf_split_name(unsigned split);

struct cf_run_opts {
	const char *target;  /* the address as given */
	uint64_t connect_ms; /* connect deadline */
	size_t byte_budget;  /* bytes per step written one at a time */
	uint64_t seed;	     /* for SPLIT_RANDOM */
	bool probe;	     /* a normal request after every case */
};

/* A connected non-blocking socket to target (an fcgitool address), or -1
 * with err set; ms is the deadline. */
int cf_connect(const char *target, uint64_t ms, char *err, size_t errlen);

/*
 * Run script s once with one split mode against target, recording into o
 * (initialised by the caller).  0, or -1 with err set when the first
 * connection could not be made (the target is unreachable).
 */
int cf_run_script(const struct cf_run_opts *ro, const struct cf_script *s,
		  unsigned split, uint64_t seed, struct cf_outcome *o,
		  char *err, size_t errlen);
/* A normal request on a new connection; true when it got REQUEST_COMPLETE
 * (got describes what came otherwise). */
bool cf_probe(const struct cf_run_opts *ro, const struct cf_ctx *ctx, char *got,
	      size_t n);
/*
 * Ask the target for FCGI_MAX_CONNS, FCGI_MAX_REQS and FCGI_MPXS_CONNS and
 * send it a normal request, filling ctx.  0; -1 with err when it cannot
 * be reached (exit 3); -2 with err when it does not answer a normal
 * request.
 */
int cf_discover(const struct cf_run_opts *ro, struct cf_ctx *ctx, char *err,
		size_t errlen);

/* One case's result. */
struct cf_result {
	const struct cf_case *k;
	enum cf_grade grade; /* after baseline and --strict */
	enum cf_grade raw;   /* the worst run */
	char expected[200];
	char got[300];
	const char *split; /* the run the grade came from, or NULL */
	const char *note;  /* "known failure (baseline)", ... or NULL */
	uint64_t ms;	   /* how long the case took */
	struct {
		const char *split;
		enum cf_grade grade;
		char got[300];
	} run[3];
	unsigned nrun;
};

#endif
