/* SPDX-License-Identifier: MIT */
/*
 * mock.c - serve --mock's responder: picks the route and the response for
 * each request, moves sequences and scenarios on, builds the play, writes
 * the journal, and at exit says what was expected and did not happen.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mock.h"
#include "play.h"
#include "rng.h"

/* A plan and the requests still answered from it (a reload swaps the
 * plan while older requests go on). */
struct plan_ref {
	struct fcgi_mock_plan *plan;
	unsigned refs;
};

struct unmatched {
	char label[32];
	char what[200];	   /* "GET /x" */
	char closest[128]; /* a route's name; "" when there are none */
	unsigned held, total;
	char diff[600];
};

struct mock {
	struct plan_ref *cur;
	struct mock_opts o;
	struct mock_rng rng;
	uint64_t seed;
	struct fcgi_mock_responder resp;
	uint64_t requests;
	/* The verdict's state, for the current plan. */
	size_t order_next;
	struct unmatched *um;
	size_t num;
	uint64_t num_total;
};

/* One request's state (fcgi_mock_req.user). */
struct mreq {
	struct plan_ref *pr;
	int route; /* -1: the default answer */
	size_t resp;
	bool committed;
	struct mock_play play;
};

static void ref_drop(struct plan_ref *pr)
{
	if (pr == NULL || --pr->refs > 0)
		return;
	fcgi_mock_plan_free(pr->plan);
	free(pr);
}

static struct plan_ref *ref_new(struct fcgi_mock_plan *plan)
{
	struct plan_ref *pr = malloc(sizeof(*pr));

	if (pr == NULL)
		return NULL;
	pr->plan = plan;
	pr->refs = 1;
	return pr;
}

static void reseed(struct mock *m)
{
	const struct fcgi_mock_plan *p = m->cur->plan;

	m->seed = m->o.seed_given ? m->o.seed
		  : p->has_seed	  ? p->seed
				  : m->o.seed;
	mock_rng_seed(&m->rng, m->seed);
}

static void to_req(const struct fcgi_mock_req *q, struct mock_req *r)
{
	r->role = q->role;
	r->flags = q->flags;
	r->params = q->params;
	r->body = q->body;
	r->body_len = q->body_len;
	r->body_total = q->body_total;
	r->body_done = q->body_done;
}

static double ts_of(const struct mock *m, uint64_t ms)
{
	return ms >= m->o.t0_ms ? (double)(ms - m->o.t0_ms) / 1000.0 : 0;
}

/* "c3" of "c3#1". */
static const char *conn_of(const char *label, char *buf, size_t n)
{
	const char *hash = strchr(label, '#');
	size_t k = hash != NULL ? (size_t)(hash - label) : strlen(label);

	if (k >= n)
		k = n - 1;
	memcpy(buf, label, k);
	buf[k] = '\0';
	return buf;
}

/* A param's value escaped, or "". */
static void param_text(const struct fcgi_params *p, const char *name, char *out,
		       size_t n)
{
	struct fcgi_nv nv;

	out[0] = '\0';
	if (p != NULL && fcgi_params_gets(p, name, &nv))
		fcgi_escape(out, n, nv.value, nv.value_len);
}

/* ---- choosing ---- */

static bool state_ok(const struct fcgi_mock_plan *p,
		     const struct mock_route *rt)
{
	return rt->scenario < 0 || rt->when_state == NULL ||
	       strcmp(p->scen[rt->scenario].state, rt->when_state) == 0;
}

/* The first route that takes r: its index, -1 for none, or -2 when only
 * the body can tell. */
static int choose(const struct fcgi_mock_plan *p, const struct mock_req *r)
{
	enum mock_verdict v;

	for (size_t i = 0; i < p->nroutes; i++) {
		const struct mock_route *rt = &p->routes[i];

		if (!state_ok(p, rt))
			continue;
		v = mock_match(rt->match, r);
		if (v == MOCK_NEED_BODY)
			return -2;
		if (v == MOCK_YES)
			return (int)i;
	}
	return -1;
}

static size_t response_index(const struct mock_route *rt)
{
	if (rt->hits < rt->nresp)
		return (size_t)rt->hits;
	return rt->cycle ? (size_t)(rt->hits % rt->nresp) : rt->nresp - 1;
}

/* The route that came closest to taking r, and what differed. */
static void closest(const struct fcgi_mock_plan *p, const struct mock_req *r,
		    struct unmatched *u)
{
	struct mock_explain e;
	char diff[sizeof(u->diff)];
	int best = -1;

	u->closest[0] = '\0';
	u->diff[0] = '\0';
	for (size_t i = 0; i < p->nroutes; i++) {
		const struct mock_route *rt = &p->routes[i];

		memset(&e, 0, sizeof(e));
		e.text = diff;
		e.n = sizeof(diff);
		diff[0] = '\0';
		mock_explain(rt->match, r, &e);
		if (!state_ok(p, rt)) {
			e.total++;
			if (e.len > 0 && e.len + 2 < e.n)
				e.len += (size_t)snprintf(diff + e.len,
							  e.n - e.len, "; ");
			snprintf(diff + e.len, e.n - e.len,
				 "scenario '%s' is in state '%s', not '%s'",
				 p->scen[rt->scenario].name,
				 p->scen[rt->scenario].state, rt->when_state);
		} else if (rt->scenario >= 0) {
			e.total++;
			e.held++;
		}
		if (best < 0 || e.held > u->held) {
			best = (int)i;
			u->held = e.held;
			u->total = e.total;
			snprintf(u->closest, sizeof(u->closest), "%s",
				 rt->name);
			memcpy(u->diff, diff, sizeof(diff));
		}
	}
}

static void note_unmatched(struct mock *m, const struct fcgi_mock_req *q,
			   const struct mock_req *r)
{
	const struct fcgi_mock_plan *p = m->cur->plan;
	struct unmatched *u;
	char meth[64], uri[128];

	m->num_total++;
	if (m->num >= MOCK_UNMATCHED_KEPT)
		return;
	u = &m->um[m->num++];
	memset(u, 0, sizeof(*u));
	snprintf(u->label, sizeof(u->label), "%s", q->label);
	param_text(q->params, "REQUEST_METHOD", meth, sizeof(meth));
	param_text(q->params, "REQUEST_URI", uri, sizeof(uri));
	if (uri[0] == '\0')
		param_text(q->params, "SCRIPT_NAME", uri, sizeof(uri));
	if (uri[0] == '\0')
		param_text(q->params, "SCRIPT_FILENAME", uri, sizeof(uri));
	snprintf(u->what, sizeof(u->what), "%s%s%s", meth,
		 meth[0] != '\0' && uri[0] != '\0' ? " " : "", uri);
	closest(p, r, u);
}

static void check_order(struct mock *m, int route, const struct mock_req *r)
{
	const struct fcgi_mock_plan *p = m->cur->plan;
	const struct mock_order *o;

	if (m->order_next >= p->norder)
		return;
	o = &p->order[m->order_next];
	if (o->route >= 0 ? o->route == route
			  : mock_match(o->match, r) == MOCK_YES)
		m->order_next++;
}

static void trace_decision(struct mock *m, const struct fcgi_mock_req *q,
			   const struct mreq *mr)
{
	const struct fcgi_mock_plan *p = mr->pr->plan;
	char detail[512], conn[32];
	size_t n = 0;
	int k;

	if (m->o.trace == NULL)
		return;
	if (mr->route >= 0)
		k = snprintf(detail, sizeof(detail),
			     "request %u: route '%s', response %zu of %zu",
			     (unsigned)q->request_id, p->routes[mr->route].name,
			     mr->resp + 1, p->routes[mr->route].nresp);
	else
		k = snprintf(detail, sizeof(detail),
			     "request %u: no route matches: default answer",
			     (unsigned)q->request_id);
	if (k > 0)
		n = (size_t)k < sizeof(detail) ? (size_t)k : sizeof(detail) - 1;
	for (size_t i = 0; i < mr->play.nfaults && n + 1 < sizeof(detail);
	     i++) {
		k = snprintf(detail + n, sizeof(detail) - n, "%s%s",
			     i == 0 ? "; faults: " : ", ", mr->play.faults[i]);
		if (k > 0)
			n += (size_t)k < sizeof(detail) - n
				     ? (size_t)k
				     : sizeof(detail) - n - 1;
	}
	fcgi_render_note(m->o.trace, conn_of(q->label, conn, sizeof(conn)),
			 ts_of(m, q->start_ms), "mock", detail);
}

/* Take the route: move its sequence and scenario on, build the play. */
static int commit(struct mock *m, struct fcgi_mock_req *q, struct mreq *mr,
		  int route, const struct mock_req *r)
{
	struct fcgi_mock_plan *p = mr->pr->plan;
	struct mock_response *resp = &p->deflt;
	struct mock_route *rt = NULL;
	const char *state;
	char *s;
	int rc;

	mr->route = route;
	if (route >= 0) {
		rt = &p->routes[route];
		mr->resp = response_index(rt);
		resp = &rt->resp[mr->resp];
		rt->hits++;
		state = resp->set_state != NULL ? resp->set_state
						: rt->set_state;
		if (rt->scenario >= 0 && state != NULL &&
		    (s = strdup(state)) != NULL) {
			free(p->scen[rt->scenario].state);
			p->scen[rt->scenario].state = s;
		}
	}
	if (mr->pr == m->cur) {
		check_order(m, route, r);
		if (route < 0)
			note_unmatched(m, q, r);
	}
	rc = mock_play_build(&mr->play, resp, r, q->request_id, &m->rng);
	if (rc != 0)
		return rc;
	mr->committed = true;
	trace_decision(m, q, mr);
	return 0;
}

static int decide(void *arg, struct fcgi_mock_req *q, bool peek,
		  const struct fcgi_mock_play **play)
{
	struct mock *m = arg;
	struct mreq *mr = q->user;
	struct mock_req r;
	const struct mock_response *resp;
	int route, rc;

	if (mr == NULL) {
		mr = calloc(1, sizeof(*mr));
		if (mr == NULL)
			return FCGI_ENOMEM;
		mr->pr = m->cur;
		mr->pr->refs++;
		mr->route = -1;
		q->user = mr;
	}
	if (!mr->committed) {
		to_req(q, &r);
		route = choose(mr->pr->plan, &r);
		if (route == -2)
			return FCGI_EPARTIAL;
		resp = route >= 0
			       ? &mr->pr->plan->routes[route]
					  .resp[response_index(
						  &mr->pr->plan->routes[route])]
			       : &mr->pr->plan->deflt;
		/* A function or a program reads the body itself. */
		if (peek &&
		    (!(resp->early || resp->delegate != MOCK_DELEGATE_NONE) ||
		     mock_response_uses_body(resp)))
			return FCGI_EPARTIAL;
		rc = commit(m, q, mr, route, &r);
		if (rc != 0)
			return rc;
	}
	*play = &mr->play.play;
	return 0;
}

static void hex(char *out, const uint8_t *p, size_t n)
{
	static const char digits[] = "0123456789abcdef";

	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = '\0';
}

static void journal(struct mock *m, const struct fcgi_mock_req *q,
		    const struct mreq *mr)
{
	const struct fcgi_mock_plan *p = mr->pr->plan;
	struct fcgi_json *j;
	char conn[32], sha[65];

	j = fcgi_render_obj_begin(m->o.journal,
				  conn_of(q->label, conn, sizeof(conn)),
				  ts_of(m, q->start_ms), "journal");
	if (j == NULL)
		return;
	fcgi_json_uint(j, "id", q->request_id);
	fcgi_json_str(j, "role", fcgi_role_name(q->role));
	fcgi_json_bool(j, "keepConn", (q->flags & FCGI_KEEP_CONN) != 0);
	fcgi_json_params(j, "params", q->params, NULL);
	fcgi_json_uint(j, "bodyBytes", q->body_total);
	if (q->body_done) {
		hex(sha, q->body_sha256, sizeof(q->body_sha256));
		fcgi_json_str(j, "bodySha256", sha);
	} else {
		fcgi_json_null(j, "bodySha256");
	}
	fcgi_json_bool(j, "matched", mr->committed && mr->route >= 0);
	if (mr->committed && mr->route >= 0) {
		fcgi_json_str(j, "route", p->routes[mr->route].name);
		fcgi_json_uint(j, "response", mr->resp);
	} else {
		fcgi_json_null(j, "route");
		fcgi_json_null(j, "response");
	}
	fcgi_json_arr_open(j, "faults");
	for (size_t i = 0; i < mr->play.nfaults; i++)
		fcgi_json_str(j, NULL, mr->play.faults[i]);
	fcgi_json_arr_close(j);
	fcgi_json_double(j, "ms",
			 q->end_ms >= q->start_ms
				 ? (double)(q->end_ms - q->start_ms)
				 : 0);
	fcgi_json_bool(j, "aborted", q->aborted);
	fcgi_render_obj_end(m->o.journal);
}

static void end(void *arg, struct fcgi_mock_req *q)
{
	struct mock *m = arg;
	struct mreq *mr = q->user;

	if (mr == NULL)
		return;
	journal(m, q, mr);
	mock_play_free(&mr->play);
	ref_drop(mr->pr);
	free(mr);
	q->user = NULL;
	m->requests++;
	if (m->o.on_end != NULL)
		m->o.on_end(m->o.arg, m->requests);
}

/* ---- GET_VALUES ---- */

static int values(void *arg, const struct fcgi_params *names,
		  struct fcgi_buf *out)
{
	struct mock *m = arg;
	struct mock_values *v = &m->cur->plan->values;
	struct fcgi_buf c;
	const char *what = "";
	int rc = 0;

	(void)names;
	if (v->mode == MOCK_VALUES_SERVER)
		return 0;
	v->seen++;
	if (v->first_n != 0 && v->seen > v->first_n)
		return 0;
	if (v->probability < 1 && !(mock_rng_unit(&m->rng) < v->probability))
		return 0;
	fcgi_buf_init(&c, NULL, FCGI_MAX_CONTENT);
	switch (v->mode) {
	case MOCK_VALUES_PAIRS:
		what = "the script's values";
		for (size_t i = 0; i < v->n && rc == 0; i++)
			rc = fcgi_nv_encode(&c, v->names[i].data,
					    v->names[i].len, v->values[i].data,
					    v->values[i].len);
		break;
	case MOCK_VALUES_MALFORMED:
		/* FastCGI 1.0, 3.4: a pair whose value length (100) runs
		 * past the end of its record. */
		what = "a malformed pair";
		rc = fcgi_buf_append(&c,
				     "\x0f\x64"
				     "FCGI_MPXS_CONNS1",
				     17);
		break;
	case MOCK_VALUES_RAW:
		what = "the script's bytes";
		rc = fcgi_buf_append(&c, v->raw.data, v->raw.len);
		break;
	default:
		what = "nothing (ignored)";
		break;
	}
	if (rc == 0 && v->mode != MOCK_VALUES_IGNORE)
		rc = fcgi_record_encode(out, FCGI_GET_VALUES_RESULT,
					FCGI_NULL_REQUEST_ID, c.data, c.len);
	fcgi_buf_fini(&c);
	if (rc != 0)
		return rc;
	if (m->o.trace != NULL)
		fcgi_render_note(m->o.trace, NULL, -1, "mock",
				 v->mode == MOCK_VALUES_IGNORE
					 ? "GET_VALUES: no answer"
					 : what);
	return 1;
}

/* ---- the verdict ---- */

static void unmet_json(struct fcgi_render *json, const char *what,
		       const char *route, const struct mock_route *rt,
		       const char *msg)
{
	struct fcgi_json *j =
		fcgi_render_obj_begin(json, NULL, -1, "mockUnmet");

	if (j == NULL)
		return;
	fcgi_json_str(j, "what", what);
	fcgi_json_str(j, "route", route);
	if (rt != NULL) {
		fcgi_json_uint(j, "atLeast", rt->expect_min);
		if (rt->expect_max == UINT64_MAX)
			fcgi_json_null(j, "atMost");
		else
			fcgi_json_uint(j, "atMost", rt->expect_max);
		fcgi_json_uint(j, "got", rt->hits);
	}
	fcgi_json_str(j, "message", msg);
	fcgi_render_obj_end(json);
}

static void expect_text(const struct mock_route *rt, char *out, size_t n)
{
	unsigned long long lo = rt->expect_min, hi = rt->expect_max;

	if (hi == 0)
		snprintf(out, n, "no request");
	else if (lo == hi)
		snprintf(out, n, "exactly %llu request%s", lo,
			 lo == 1 ? "" : "s");
	else if (rt->expect_max == UINT64_MAX)
		snprintf(out, n, "at least %llu request%s", lo,
			 lo == 1 ? "" : "s");
	else if (lo == 0)
		snprintf(out, n, "at most %llu request%s", hi,
			 hi == 1 ? "" : "s");
	else
		snprintf(out, n, "%llu to %llu requests", lo, hi);
}

size_t mock_verdict(struct mock *m, void (*say)(void *arg, const char *line),
		    void *arg, struct fcgi_render *json)
{
	const struct fcgi_mock_plan *p = m->cur->plan;
	char line[1200], want[64], conn[32];
	struct fcgi_json *j;
	size_t bad = 0;

	for (size_t i = 0; i < p->nroutes; i++) {
		const struct mock_route *rt = &p->routes[i];

		if (!rt->has_expect ||
		    (rt->hits >= rt->expect_min && rt->hits <= rt->expect_max))
			continue;
		expect_text(rt, want, sizeof(want));
		snprintf(line, sizeof(line), "route '%s' expected %s, got %llu",
			 rt->name, want, (unsigned long long)rt->hits);
		say(arg, line);
		unmet_json(json, "expect", rt->name, rt, line);
		bad++;
	}
	if (m->order_next < p->norder) {
		const struct mock_order *o = &p->order[m->order_next];

		if (o->route >= 0)
			snprintf(line, sizeof(line),
				 "expectOrder[%zu] (route '%s') did not come: "
				 "%zu of %zu expected requests came in order",
				 m->order_next, p->routes[o->route].name,
				 m->order_next, p->norder);
		else
			snprintf(line, sizeof(line),
				 "expectOrder[%zu] (a match) did not come: "
				 "%zu of %zu expected requests came in order",
				 m->order_next, m->order_next, p->norder);
		say(arg, line);
		unmet_json(json, "order",
			   o->route >= 0 ? p->routes[o->route].name : NULL,
			   NULL, line);
		bad++;
	}
	for (size_t i = 0; i < m->num; i++) {
		const struct unmatched *u = &m->um[i];

		if (u->closest[0] != '\0')
			snprintf(line, sizeof(line),
				 "unmatched request %s (%s): closest route "
				 "'%s': %s",
				 u->label, u->what, u->closest,
				 u->diff[0] != '\0' ? u->diff : "it matches");
		else
			snprintf(line, sizeof(line),
				 "unmatched request %s (%s): the script has no "
				 "routes",
				 u->label, u->what);
		say(arg, line);
		j = fcgi_render_obj_begin(json,
					  conn_of(u->label, conn, sizeof(conn)),
					  -1, "mockUnmatched");
		if (j != NULL) {
			fcgi_json_str(j, "request", u->label);
			fcgi_json_str(j, "what", u->what);
			fcgi_json_str(j, "closest",
				      u->closest[0] != '\0' ? u->closest
							    : NULL);
			fcgi_json_uint(j, "held", u->held);
			fcgi_json_uint(j, "total", u->total);
			fcgi_json_str(j, "differences", u->diff);
			fcgi_render_obj_end(json);
		}
	}
	if (m->num_total > m->num) {
		snprintf(line, sizeof(line), "%llu more unmatched requests",
			 (unsigned long long)(m->num_total - m->num));
		say(arg, line);
	}
	return bad + (size_t)m->num_total;
}

/* ---- life ---- */

int mock_new(struct mock **out, struct fcgi_mock_plan *plan,
	     const struct mock_opts *o)
{
	struct mock *m = calloc(1, sizeof(*m));

	*out = NULL;
	if (m == NULL || (m->cur = ref_new(plan)) == NULL ||
	    (m->um = calloc(MOCK_UNMATCHED_KEPT, sizeof(*m->um))) == NULL) {
		if (m != NULL)
			free(m->cur);
		free(m);
		fcgi_mock_plan_free(plan);
		return FCGI_ENOMEM;
	}
	m->o = *o;
	reseed(m);
	m->resp.decide = decide;
	m->resp.end = end;
	m->resp.values = values;
	m->resp.arg = m;
	*out = m;
	return 0;
}

void mock_free(struct mock *m)
{
	if (m == NULL)
		return;
	ref_drop(m->cur);
	free(m->um);
	free(m);
}

const struct fcgi_mock_responder *mock_responder(struct mock *m)
{
	return &m->resp;
}

void mock_set_plan(struct mock *m, struct fcgi_mock_plan *plan)
{
	struct plan_ref *pr = ref_new(plan);

	if (pr == NULL) {
		fcgi_mock_plan_free(plan);
		return;
	}
	ref_drop(m->cur);
	m->cur = pr;
	m->order_next = 0;
	m->num = 0;
	m->num_total = 0;
	reseed(m);
}

const struct fcgi_mock_plan *mock_plan(const struct mock *m)
{
	return m->cur->plan;
}

uint64_t mock_seed(const struct mock *m)
{
	return m->seed;
}

uint64_t mock_requests(const struct mock *m)
{
	return m->requests;
}
