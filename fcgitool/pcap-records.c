/* SPDX-License-Identifier: MIT */
/*
 * pcap-records.c - fcgitool pcap's session callbacks: records, findings
 * and notes through the renderer (the same lines proxy prints, with the
 * packet number beside findings), and the hand-off to the request views.
 */
#include <stdio.h>
#include <string.h>

#include "pcap.h"
#include "util.h"

static const char *const sender_name[2] = { "the web server", "the app" };

static bool tracking(const struct pv_ctx *x)
{
	return x->view >= VIEW_REQUESTS;
}

void pv_note(struct pv_ctx *x, const struct cap_conn *c, double ts,
	     uint64_t packet, const char *what, const char *detail)
{
	struct fcgi_json *j;
	char text[512];

	if (x->json) {
		j = fcgi_render_obj_begin(
			x->render, c != NULL ? c->label : NULL, ts, "note");
		fcgi_json_str(j, "what", what);
		if (detail != NULL)
			fcgi_json_str(j, "detail", detail);
		if (packet > 0)
			fcgi_json_uint(j, "packet", packet);
		fcgi_render_obj_end(x->render);
		return;
	}
	if (packet > 0) {
		snprintf(text, sizeof(text), "%s%s(packet %llu)",
			 detail != NULL ? detail : "",
			 detail != NULL ? " " : "", (unsigned long long)packet);
		detail = text;
	}
	fcgi_render_note(x->render, c != NULL ? c->label : NULL, ts, what,
			 detail);
}

static void show_violation(struct pv_ctx *x, const struct cap_conn *c,
			   const struct fcgi_violation *v)
{
	struct fcgi_violation t;
	struct fcgi_json *j;
	size_t n;

	if (x->json) {
		j = fcgi_render_obj_begin(x->render, c->label, c->ts,
					  "violation");
		fcgi_json_violation(j, v);
		fcgi_json_uint(j, "packet", c->packet);
		fcgi_render_obj_end(x->render);
		return;
	}
	t = *v;
	/* Room for the packet number, cutting a long message. */
	n = strnlen(t.message, sizeof(t.message));
	if (n > sizeof(t.message) - 32)
		n = sizeof(t.message) - 32;
	snprintf(t.message + n, sizeof(t.message) - n, " (packet %llu)",
		 (unsigned long long)c->packet);
	fcgi_render_violation(x->render, c->label, c->ts, &t);
}

static void on_open(void *arg, struct cap_conn *c)
{
	struct pv_ctx *x = arg;
	char detail[160];

	c->user = NULL;
	if (tracking(x))
		preq_open_conn(x, c);
	if (x->view != VIEW_RECORDS)
		return;
	snprintf(detail, sizeof(detail), "%s -> %s", c->web, c->app);
	pv_note(x, c, c->opened, c->packet, "open", detail);
}

static void on_record(void *arg, struct cap_conn *c, enum fcgi_dir dir,
		      const struct fcgi_record *rec)
{
	struct pv_ctx *x = arg;
	unsigned t = rec->h.type;

	if (x->view == VIEW_STATS)
		x->st.records[t >= 1 && t <= FCGI_MAXTYPE ? t : 0]++;
	else if (x->view == VIEW_RECORDS)
		fcgi_render_record(x->render, c->label, c->ts, dir, rec);
}

static void on_event(void *arg, struct cap_conn *c, const struct fcgi_event *ev)
{
	struct pv_ctx *x = arg;
	char detail[64];

	if (tracking(x))
		preq_event(x, c, ev);
	if (x->view == VIEW_RECORDS && ev->type == FCGI_EV_CLOSE) {
		snprintf(detail, sizeof(detail), "%s closed its half",
			 sender_name[ev->dir]);
		pv_note(x, c, c->ts, c->packet, "eof", detail);
	}
}

static void on_violation(void *arg, struct cap_conn *c,
			 const struct fcgi_violation *v)
{
	struct pv_ctx *x = arg;

	if (v->code > FCGI_V_NONE && v->code < FCGI_V_COUNT)
		x->st.violations[v->code]++;
	/* FCGI_SEV_SPEC is the most serious, the lowest number. */
	if (x->show_severity != 0 && v->severity > x->show_severity)
		return;
	if (tracking(x))
		preq_finding(x, c, v->request_id, fcgi_vcode_name(v->code),
			     v->severity != FCGI_SEV_NOTE);
	if (x->view == VIEW_RECORDS || x->view == VIEW_FINDINGS)
		show_violation(x, c, v);
}

/* Notes of the session that make the requests open on the connection
 * unreliable or failed. */
static bool harms_requests(const char *what)
{
	return strcmp(what, "gap") == 0 || strcmp(what, "overlap") == 0 ||
	       strcmp(what, "reset") == 0 || strcmp(what, "evicted") == 0 ||
	       strcmp(what, "memory") == 0;
}

static void on_note(void *arg, struct cap_conn *c, const char *what,
		    const char *detail)
{
	struct pv_ctx *x = arg;

	pv_stats_note(x, what);
	if (tracking(x) && c != NULL && harms_requests(what))
		preq_finding(x, c, 0, what, true);
	/* A name-value pair open across a gap cannot be finished. */
	if (c != NULL && strcmp(what, "gap") == 0)
		fcgi_render_forget(x->render, c->label);
	if (x->view != VIEW_RECORDS && x->view != VIEW_FINDINGS)
		return;
	if (c != NULL) {
		pv_note(x, c, c->ts, c->packet, what, detail);
		return;
	}
	/* Capture-wide notes name their packet in the detail. */
	pv_note(x, NULL, -1, 0, what, detail);
}

static void on_close(void *arg, struct cap_conn *c, const char *why)
{
	struct pv_ctx *x = arg;
	char detail[256];
	int n;

	if (tracking(x))
		preq_close_conn(x, c, why);
	if (x->view != VIEW_RECORDS)
		return;
	fcgi_render_forget(x->render, c->label);
	n = snprintf(detail, sizeof(detail),
		     "%s; to-app %llu bytes, to-web %llu bytes", why,
		     (unsigned long long)c->bytes[FCGI_DIR_TO_APP],
		     (unsigned long long)c->bytes[FCGI_DIR_TO_WEB]);
	if (c->lost[0] + c->lost[1] > 0 && n > 0 && (size_t)n < sizeof(detail))
		snprintf(detail + n, sizeof(detail) - (size_t)n,
			 " (%llu and %llu of them lost or skipped)",
			 (unsigned long long)c->lost[FCGI_DIR_TO_APP],
			 (unsigned long long)c->lost[FCGI_DIR_TO_WEB]);
	pv_note(x, c, c->ts, c->packet, "close", detail);
}

const struct cap_session_cbs pv_callbacks = {
	on_open, on_record, on_event, on_violation, on_note, on_close,
};
