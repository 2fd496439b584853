/* SPDX-License-Identifier: MIT */
/* pcap.h - what fcgitool pcap's files share (never lib/). */
#ifndef FCGITOOL_PCAP_H
#define FCGITOOL_PCAP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/queue.h>

#include "capture.h"
#include "fcgi-uv.h"

/* What is shown: one view per run. */
enum pv_view_kind {
	VIEW_RECORDS = 0, /* every record, finding and note (the default) */
	VIEW_FINDINGS,	  /* --quiet: findings and capture problems */
	VIEW_REQUESTS,	  /* --requests: a line per request */
	VIEW_ERRORS,	  /* --errors: a line per failed request */
	VIEW_STATS,	  /* --stats: one summary at the end */
	VIEW_FOLLOW	  /* --follow: one connection's requests, whole */
};

#define PCAP_FINDINGS_MAX 8 /* findings named per request */
#define PCAP_SLOWEST 10
#define PCAP_NOTE_KINDS 16

/* One request being stitched together from its records' events. */
struct preq {
	TAILQ_ENTRY(preq) link;
	struct pv_conn *pc;
	uint16_t id;
	uint64_t seq;	 /* its order in the connection, from 1 */
	uint64_t packet; /* of its BEGIN_REQUEST (or first record) */
	double start, ttfb, end;
	bool ended, partial, aborted, selected;
	uint16_t role;
	uint8_t flags;
	char method[40];
	char script[256];
	char uri[512];
	struct fcgi_cgi cgi;
	int status;	    /* 0: none (yet) */
	bool body_known;    /* the CGI header block ended: */
	uint64_t body_from; /* STDOUT offset of the body */
	uint64_t in, out, err, err_lines;
	bool err_mid_line;   /* STDERR's last byte was not a newline */
	char err_first[128]; /* the first STDERR line, escaped */
	bool err_first_done;
	uint32_t app_status;
	uint8_t pstatus;
	const char *findings[PCAP_FINDINGS_MAX];
	unsigned nfindings, more_findings;
	unsigned serious; /* findings that make it failed (not notes) */
	/* --follow */
	FILE *files[5]; /* params, stdin, stdout, stderr, body */
	uint64_t off[4];
	bool params_shown;
};

TAILQ_HEAD(preq_list, preq);

/* The CLI's state for one FastCGI connection (struct cap_conn.user). */
struct pv_conn {
	struct preq_list reqs;
	uint64_t nreq;
	bool followed;
};

struct pv_stats {
	uint64_t records[FCGI_MAXTYPE + 2]; /* [0]: undefined types */
	uint64_t requests, unfinished, failed;
	uint64_t status[600]; /* [0]: no status */
	uint64_t violations[FCGI_V_COUNT];
	const char *note_names[PCAP_NOTE_KINDS];
	uint64_t notes[PCAP_NOTE_KINDS];
	/* Latencies in microseconds: flat memory whatever the number of
	 * requests. */
	struct fcgi_hist total, ttfb;
	struct {
		double total;
		char conn[24];
		uint16_t id;
		int status;
		double ts;
		char method[40];
		char script[256];
	} slow[PCAP_SLOWEST];
	size_t nslow;
};

struct pv_ctx {
	enum pv_view_kind view;
	bool json;
	FILE *out;
	struct fcgi_render *render;
	/* --follow */
	char follow_conn[24];
	int follow_id; /* -1: every request of the connection */
	const char *extract;
	const char *const *redact;
	enum fcgi_severity show_severity; /* findings shown: this or worse */
	int follow_stream; /* the stream last shown (an event type), or 0 */
	const struct preq *follow_last; /* the request last shown */
	/* counters for the exit status and --stats */
	uint64_t listed; /* request lines printed */
	bool extract_failed;
	struct pv_stats st;
	struct cap_session *session;
};

/* pcap-records.c: the session's callbacks, dispatching to the views. */
extern const struct cap_session_cbs pv_callbacks;
/* A note in the output ("** what detail (packet N)"), ts and conn from
 * c (NULL: a capture-wide note at time ts). */
void pv_note(struct pv_ctx *x, const struct cap_conn *c, double ts,
	     uint64_t packet, const char *what, const char *detail);

/* pcap-requests.c: requests stitched from events. */
void preq_open_conn(struct pv_ctx *x, struct cap_conn *c);
void preq_event(struct pv_ctx *x, struct cap_conn *c,
		const struct fcgi_event *ev);
/* A finding about request id of c (0: every request open on it); serious
 * ones (not of severity note) make the request failed. */
void preq_finding(struct pv_ctx *x, struct cap_conn *c, uint16_t id,
		  const char *code, bool serious);
void preq_close_conn(struct pv_ctx *x, struct cap_conn *c, const char *why);
/* Whether a finished request counts as failed (--errors). */
bool preq_failed(const struct preq *r);

/* Seconds (or milliseconds) rounded to the microsecond, as the renderer
 * rounds ts, so that JSON carries no float noise. */
double pv_us(double seconds);
double pv_ms(double seconds);

/* pcap-stats.c */
void pv_stats_init(struct pv_ctx *x);
void pv_stats_request(struct pv_ctx *x, const struct cap_conn *c,
		      const struct preq *r);
void pv_stats_note(struct pv_ctx *x, const char *what);
void pv_stats_print(struct pv_ctx *x, const struct cap_session_stats *ss);

/* pcap-follow.c: --follow and --extract. */
int pv_follow_parse(struct pv_ctx *x, const char *arg);
bool pv_follow_match(const struct pv_ctx *x, const struct cap_conn *c,
		     uint16_t id);
void pv_follow_params(struct pv_ctx *x, const struct cap_conn *c,
		      struct preq *r, const struct fcgi_params *p);
void pv_follow_data(struct pv_ctx *x, const struct cap_conn *c, struct preq *r,
		    enum fcgi_event_type type, const uint8_t *data, size_t len);
void pv_follow_end(struct pv_ctx *x, const struct cap_conn *c, struct preq *r);

#endif
