/* SPDX-License-Identifier: MIT */
/*
 * pcap-stats.c - fcgitool pcap --stats: counts per record type, status
 * and finding, the slowest requests and latency percentiles, in memory
 * that does not grow with the capture (a log-scale histogram).
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "pcap.h"
#include "util.h"

double pv_us(double seconds)
{
	if (!(fabs(seconds) < 1e12))
		return seconds;
	return round(seconds * 1e6) / 1e6;
}

double pv_ms(double seconds)
{
	if (!(fabs(seconds) < 1e12))
		return seconds * 1e3;
	return round(seconds * 1e6) / 1e3;
}

void pv_stats_init(struct pv_ctx *x)
{
	fcgi_hist_init(&x->st.total);
	fcgi_hist_init(&x->st.ttfb);
}

/* Seconds as whole microseconds for the histograms. */
static uint64_t us(double seconds)
{
	return seconds > 0 ? (uint64_t)llround(seconds * 1e6) : 0;
}

void pv_stats_note(struct pv_ctx *x, const char *what)
{
	struct pv_stats *st = &x->st;
	size_t i;

	for (i = 0; i < PCAP_NOTE_KINDS && st->note_names[i] != NULL; i++)
		if (strcmp(st->note_names[i], what) == 0)
			break;
	if (i == PCAP_NOTE_KINDS)
		return;
	/* The session's note names are string constants. */
	st->note_names[i] = what;
	st->notes[i]++;
}

void pv_stats_request(struct pv_ctx *x, const struct cap_conn *c,
		      const struct preq *r)
{
	struct pv_stats *st = &x->st;
	double total = r->end - r->start;
	size_t i;

	st->requests++;
	if (!r->ended)
		st->unfinished++;
	if (preq_failed(r))
		st->failed++;
	st->status[r->status > 0 && r->status < 600 ? r->status : 0]++;
	if (!r->ended)
		return;
	fcgi_hist_add(&st->total, us(total));
	if (r->ttfb >= 0)
		fcgi_hist_add(&st->ttfb, us(r->ttfb));
	/* The slowest, slowest first. */
	i = st->nslow < PCAP_SLOWEST ? st->nslow : PCAP_SLOWEST - 1;
	if (st->nslow == PCAP_SLOWEST && total <= st->slow[i].total)
		return;
	while (i > 0 && st->slow[i - 1].total < total) {
		st->slow[i] = st->slow[i - 1];
		i--;
	}
	st->slow[i].total = total;
	snprintf(st->slow[i].conn, sizeof(st->slow[i].conn), "%s", c->label);
	st->slow[i].id = r->id;
	st->slow[i].status = r->status;
	st->slow[i].ts = r->start;
	snprintf(st->slow[i].method, sizeof(st->slow[i].method), "%s",
		 r->method);
	snprintf(st->slow[i].script, sizeof(st->slow[i].script), "%s",
		 r->script);
	if (st->nslow < PCAP_SLOWEST)
		st->nslow++;
}

static const char *type_label(size_t t)
{
	const char *n = t > 0 ? fcgi_type_name((unsigned)t) : NULL;

	return n != NULL ? n : "undefined";
}

/* Percentile p of h, in milliseconds. */
static double ms_at(const struct fcgi_hist *h, double p)
{
	return h->total == 0 ? 0 : (double)fcgi_hist_percentile(h, p) / 1e3;
}

static void json_hist(struct fcgi_json *j, const char *key,
		      const struct fcgi_hist *h)
{
	fcgi_json_obj_open(j, key);
	fcgi_json_uint(j, "count", h->total);
	fcgi_json_double(j, "p50", ms_at(h, 50));
	fcgi_json_double(j, "p90", ms_at(h, 90));
	fcgi_json_double(j, "p99", ms_at(h, 99));
	fcgi_json_double(j, "max", ms_at(h, 100));
	fcgi_json_obj_close(j);
}

static void print_json(struct pv_ctx *x, const struct cap_session_stats *ss)
{
	const struct pv_stats *st = &x->st;
	char esc[4 * 256 + 1];
	struct fcgi_json *j;
	size_t i;

	j = fcgi_render_obj_begin(x->render, NULL, -1, "stats");
	fcgi_json_uint(j, "packets", ss->frames);
	fcgi_json_uint(j, "tcpSegments", ss->tcp);
	fcgi_json_uint(j, "malformed", ss->bad);
	fcgi_json_uint(j, "fragments", ss->fragments);
	fcgi_json_uint(j, "connections", ss->conns);
	fcgi_json_uint(j, "requests", st->requests);
	fcgi_json_uint(j, "unfinished", st->unfinished);
	fcgi_json_uint(j, "failed", st->failed);
	fcgi_json_arr_open(j, "records");
	for (i = 1; i <= FCGI_MAXTYPE + 1; i++) {
		size_t t = i <= FCGI_MAXTYPE ? i : 0;

		if (st->records[t] == 0)
			continue;
		fcgi_json_obj_open(j, NULL);
		fcgi_json_str(j, "type", type_label(t));
		fcgi_json_uint(j, "count", st->records[t]);
		fcgi_json_obj_close(j);
	}
	fcgi_json_arr_close(j);
	fcgi_json_arr_open(j, "statuses");
	for (i = 0; i < 600; i++) {
		if (st->status[i] == 0)
			continue;
		fcgi_json_obj_open(j, NULL);
		if (i > 0)
			fcgi_json_uint(j, "status", i);
		else
			fcgi_json_null(j, "status");
		fcgi_json_uint(j, "count", st->status[i]);
		fcgi_json_obj_close(j);
	}
	fcgi_json_arr_close(j);
	fcgi_json_arr_open(j, "findings");
	for (i = 1; i < FCGI_V_COUNT; i++) {
		if (st->violations[i] == 0)
			continue;
		fcgi_json_obj_open(j, NULL);
		fcgi_json_str(j, "code", fcgi_vcode_name((enum fcgi_vcode)i));
		fcgi_json_uint(j, "count", st->violations[i]);
		fcgi_json_obj_close(j);
	}
	for (i = 0; i < PCAP_NOTE_KINDS && st->note_names[i] != NULL; i++) {
		fcgi_json_obj_open(j, NULL);
		fcgi_json_str(j, "code", st->note_names[i]);
		fcgi_json_uint(j, "count", st->notes[i]);
		fcgi_json_obj_close(j);
	}
	fcgi_json_arr_close(j);
	json_hist(j, "totalMs", &st->total);
	json_hist(j, "ttfbMs", &st->ttfb);
	fcgi_json_arr_open(j, "slowest");
	for (i = 0; i < st->nslow; i++) {
		fcgi_json_obj_open(j, NULL);
		fcgi_json_str(j, "conn", st->slow[i].conn);
		fcgi_json_uint(j, "id", st->slow[i].id);
		fcgi_json_double(j, "start", pv_us(st->slow[i].ts));
		fcgi_escape(esc, sizeof(esc),
			    (const uint8_t *)st->slow[i].method,
			    strlen(st->slow[i].method));
		fcgi_json_str(j, "method", esc);
		fcgi_escape(esc, sizeof(esc),
			    (const uint8_t *)st->slow[i].script,
			    strlen(st->slow[i].script));
		fcgi_json_str(j, "script", esc);
		if (st->slow[i].status > 0)
			fcgi_json_int(j, "status", st->slow[i].status);
		else
			fcgi_json_null(j, "status");
		fcgi_json_double(j, "totalMs", pv_ms(st->slow[i].total));
		fcgi_json_obj_close(j);
	}
	fcgi_json_arr_close(j);
	fcgi_render_obj_end(x->render);
}

static void text_hist(FILE *f, const char *name, const struct fcgi_hist *h)
{
	if (h->total == 0) {
		fprintf(f, "%-9s -\n", name);
		return;
	}
	fprintf(f, "%-9s p50=%.3fms p90=%.3fms p99=%.3fms max=%.3fms\n", name,
		ms_at(h, 50), ms_at(h, 90), ms_at(h, 99), ms_at(h, 100));
}

void pv_stats_print(struct pv_ctx *x, const struct cap_session_stats *ss)
{
	const struct pv_stats *st = &x->st;
	FILE *f = x->out;
	char esc[4 * 256 + 1], esc2[4 * 40 + 1];
	size_t i, n;

	if (x->json) {
		print_json(x, ss);
		return;
	}
	fprintf(f,
		"capture   %llu packets, %llu TCP segments, %llu malformed, "
		"%llu fragments\n",
		(unsigned long long)ss->frames, (unsigned long long)ss->tcp,
		(unsigned long long)ss->bad, (unsigned long long)ss->fragments);
	fprintf(f,
		"requests  %llu on %llu connections, %llu unfinished, "
		"%llu failed\n",
		(unsigned long long)st->requests, (unsigned long long)ss->conns,
		(unsigned long long)st->unfinished,
		(unsigned long long)st->failed);
	fputs("records  ", f);
	n = 0;
	for (i = 1; i <= FCGI_MAXTYPE + 1; i++) {
		size_t t = i <= FCGI_MAXTYPE ? i : 0;

		if (st->records[t] > 0)
			n += (size_t)fprintf(
				f, " %s=%llu", type_label(t),
				(unsigned long long)st->records[t]);
	}
	fputs(n == 0 ? " -\nstatus   " : "\nstatus   ", f);
	n = 0;
	for (i = 1; i < 600; i++)
		if (st->status[i] > 0)
			n += (size_t)fprintf(f, " %zu=%llu", i,
					     (unsigned long long)st->status[i]);
	if (st->status[0] > 0)
		n += (size_t)fprintf(f, " none=%llu",
				     (unsigned long long)st->status[0]);
	fputs(n == 0 ? " -\nfindings " : "\nfindings ", f);
	n = 0;
	for (i = 1; i < FCGI_V_COUNT; i++)
		if (st->violations[i] > 0)
			n += (size_t)fprintf(
				f, " %s=%llu",
				fcgi_vcode_name((enum fcgi_vcode)i),
				(unsigned long long)st->violations[i]);
	for (i = 0; i < PCAP_NOTE_KINDS && st->note_names[i] != NULL; i++)
		n += (size_t)fprintf(f, " %s=%llu", st->note_names[i],
				     (unsigned long long)st->notes[i]);
	fputs(n == 0 ? " -\n" : "\n", f);
	text_hist(f, "total", &st->total);
	text_hist(f, "ttfb", &st->ttfb);
	for (i = 0; i < st->nslow; i++) {
		fcgi_escape(esc, sizeof(esc),
			    (const uint8_t *)st->slow[i].script,
			    strlen(st->slow[i].script));
		fcgi_escape(esc2, sizeof(esc2),
			    (const uint8_t *)st->slow[i].method,
			    strlen(st->slow[i].method));
		fprintf(f, "%s %.6f %s id=%u %s %s status=",
			i == 0 ? "slowest  " : "         ", st->slow[i].ts,
			st->slow[i].conn, (unsigned)st->slow[i].id,
			esc2[0] ? esc2 : "-", esc[0] ? esc : "-");
		if (st->slow[i].status > 0)
			fprintf(f, "%d", st->slow[i].status);
		else
			fputc('-', f);
		fprintf(f, " total=%.3fms\n", st->slow[i].total * 1e3);
	}
}
