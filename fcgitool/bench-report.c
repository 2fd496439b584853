/* SPDX-License-Identifier: MIT */
/*
 * bench-report.c - what fcgitool bench shows: the text report with a
 * latency histogram drawn in the terminal, the --json line (through the
 * renderer, kind "bench"), the --plot SVG of the percentile distribution
 * (on HdrHistogram's log scale of 1/(1-p), several runs overlaid) and
 * the --fail-if thresholds.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "bench.h"
#include "util.h"

#define HIST_BINS 16
#define BAR_WIDTH 40

/* The percentiles of the report and of the JSON line. */
static const struct {
	double p;
	const char *key;
	const char *label;
} pcts[] = {
	{ 50, "p50", "p50" },	   { 75, "p75", "p75" },
	{ 90, "p90", "p90" },	   { 99, "p99", "p99" },
	{ 99.9, "p999", "p99.9" }, { 99.99, "p9999", "p99.99" },
};
#define NPCTS (sizeof(pcts) / sizeof(pcts[0]))

/* A duration in ns, short ("812us", "1.25ms", "3.02s"). */
static const char *dur(char *buf, size_t n, double ns)
{
	if (ns < 1e3)
		snprintf(buf, n, "%.0fns", ns);
	else if (ns < 1e6)
		snprintf(buf, n, "%.0fus", ns / 1e3);
	else if (ns < 1e9)
		snprintf(buf, n, "%.2fms", ns / 1e6);
	else
		snprintf(buf, n, "%.2fs", ns / 1e9);
	return buf;
}

static void lat_row(FILE *f, const char *name, const struct fcgi_hist *h)
{
	char b[32];

	fprintf(f, "  %-18s", name);
	if (h->total == 0) {
		fputs("      -\n", f);
		return;
	}
	fprintf(f, " %8s", dur(b, sizeof(b), (double)h->min));
	fprintf(f, " %8s", dur(b, sizeof(b), fcgi_hist_mean(h)));
	fprintf(f, " %8s", dur(b, sizeof(b), fcgi_hist_stdev(h)));
	for (size_t i = 0; i < NPCTS; i++)
		fprintf(f, " %8s",
			dur(b, sizeof(b),
			    (double)fcgi_hist_percentile(h, pcts[i].p)));
	fprintf(f, " %8s\n", dur(b, sizeof(b), (double)h->max));
}

/* The total latency's distribution as bars over log-spaced bins. */
static void draw_hist(FILE *f, const struct fcgi_hist *h, bool color)
{
	uint64_t bins[HIST_BINS] = { 0 }, most = 0, lo, hi, cnt;
	double a, b, step;
	size_t i = 0;
	char l1[32], l2[32];

	if (h->total == 0)
		return;
	a = log((double)(h->min > 0 ? h->min : 1));
	b = log((double)(h->max > 1 ? h->max : 2));
	if (b - a < 1e-9)
		b = a + 1e-9;
	step = (b - a) / HIST_BINS;
	while ((i = fcgi_hist_next(h, i, &lo, &hi, &cnt)) != 0) {
		double mid = ((double)lo + (double)hi) / 2;
		long k = (long)((log(mid > 1 ? mid : 1) - a) / step);

		if (k < 0)
			k = 0;
		if (k >= HIST_BINS)
			k = HIST_BINS - 1;
		bins[k] += cnt;
	}
	for (i = 0; i < HIST_BINS; i++)
		if (bins[i] > most)
			most = bins[i];
	fputs("  histogram (total latency)\n", f);
	for (i = 0; i < HIST_BINS; i++) {
		size_t w = (size_t)((double)bins[i] * BAR_WIDTH /
				    (double)(most ? most : 1));

		fprintf(f, "  %9s - %-9s ",
			dur(l1, sizeof(l1), exp(a + step * (double)i)),
			dur(l2, sizeof(l2), exp(a + step * (double)(i + 1))));
		if (color)
			fputs("\033[36m", f);
		for (size_t k = 0; k < w; k++)
			fputs("\xe2\x96\x88", f); /* U+2588 FULL BLOCK */
		if (color)
			fputs("\033[0m", f);
		fprintf(f, "%*s %6.2f%%  %llu\n", (int)(BAR_WIDTH - w), "",
			100.0 * (double)bins[i] / (double)h->total,
			(unsigned long long)bins[i]);
	}
}

void bench_report_text(FILE *f, const struct bench_opts *o,
		       const struct bench_result *res, bool color)
{
	uint64_t errs = 0;
	bool no_status = true;

	fprintf(f,
		"fcgitool bench: %s %s: %u connection%s (%s), %u thread%s,"
		" mpx %u%s\n",
		o->addr_text, o->uri, o->conns, o->conns == 1 ? "" : "s",
		o->keep_conn ? "kept" : "new per request", o->threads,
		o->threads == 1 ? "" : "s", o->mpx,
		res->interrupted ? ", interrupted" : "");
	fprintf(f, "  %.2f s, %llu requests, %.1f requests/s", res->seconds,
		(unsigned long long)res->requests,
		(double)res->requests / res->seconds);
	if (o->rate > 0)
		fprintf(f, " (target %.1f/s)", o->rate);
	fprintf(f, ", %llu connects\n", (unsigned long long)res->connects);
	for (unsigned i = 0; i < BE_COUNT; i++)
		errs += res->errors[i];
	fprintf(f, "  ok %llu, errors %llu", (unsigned long long)res->ok,
		(unsigned long long)errs);
	for (unsigned i = 0, first = 1; i < BE_COUNT; i++) {
		if (res->errors[i] == 0)
			continue;
		fprintf(f, "%s %s %llu", first ? ":" : ",",
			bench_err_name((enum bench_err)i),
			(unsigned long long)res->errors[i]);
		first = 0;
	}
	fputc('\n', f);
	for (unsigned i = 0; i < 6; i++)
		if (res->status[i] != 0)
			no_status = false;
	if (!no_status) {
		fputs("  status", f);
		for (unsigned i = 1; i < 6; i++)
			if (res->status[i] != 0)
				fprintf(f, " %uxx %llu", i,
					(unsigned long long)res->status[i]);
		if (res->status[0] != 0)
			fprintf(f, " none %llu",
				(unsigned long long)res->status[0]);
		fputc('\n', f);
	}
	if (errs != 0 && res->first_error[0] != '\0')
		fprintf(f, "  first error: %s\n", res->first_error);
	fprintf(f, "  %-18s %8s %8s %8s", "latency", "min", "mean", "stdev");
	for (size_t i = 0; i < NPCTS; i++)
		fprintf(f, " %8s", pcts[i].label);
	fprintf(f, " %8s\n", "max");
	lat_row(f, o->rate > 0 ? "total (corrected)" : "total",
		&res->lat[BL_TOTAL]);
	if (o->rate > 0)
		lat_row(f, "total (uncorrected)", &res->lat[BL_TOTAL_RAW]);
	lat_row(f, "first byte", &res->lat[BL_FIRST_BYTE]);
	lat_row(f, "connect", &res->lat[BL_CONNECT]);
	draw_hist(f, &res->lat[BL_TOTAL], color);
}

/* The standard points of a percentile distribution: halving the
 * distance to 100% in four steps each, as HdrHistogram prints it. */
static size_t dist_points(double *p, size_t max, uint64_t total)
{
	size_t n = 0;

	for (int k = 0; n < max; k++) {
		double v = 100.0 * (1.0 - pow(2.0, -(double)k / 4.0));

		/* Beyond what the count can resolve, stop. */
		if (k > 0 && (100.0 - v) * (double)total / 100.0 < 1.0)
			break;
		p[n++] = v;
	}
	return n;
}

static void json_lat(struct fcgi_json *j, const char *key,
		     const struct fcgi_hist *h)
{
	fcgi_json_obj_open(j, key);
	fcgi_json_uint(j, "count", h->total);
	if (h->total != 0) {
		fcgi_json_double(j, "min", (double)h->min / 1e6);
		fcgi_json_double(j, "mean", fcgi_hist_mean(h) / 1e6);
		fcgi_json_double(j, "stdev", fcgi_hist_stdev(h) / 1e6);
		for (size_t i = 0; i < NPCTS; i++)
			fcgi_json_double(
				j, pcts[i].key,
				(double)fcgi_hist_percentile(h, pcts[i].p) /
					1e6);
		fcgi_json_double(j, "max", (double)h->max / 1e6);
	}
	fcgi_json_obj_close(j);
}

int bench_report_json(FILE *f, const struct bench_opts *o,
		      const struct bench_result *res)
{
	struct fcgi_render_opts ro;
	struct fcgi_render *r;
	struct fcgi_json *j;
	double pts[128];
	size_t n;

	fcgi_render_opts_default(&ro);
	ro.json = 1;
	r = render_open(f, &ro);
	if (r == NULL)
		return error("out of memory");
	j = fcgi_render_obj_begin(r, NULL, -1, "bench");
	fcgi_json_str(j, "address", o->addr_text);
	fcgi_json_str(j, "uri", o->uri);
	fcgi_json_uint(j, "connections", o->conns);
	fcgi_json_uint(j, "threads", o->threads);
	fcgi_json_uint(j, "mpx", o->mpx);
	fcgi_json_bool(j, "keepConn", o->keep_conn);
	if (o->rate > 0)
		fcgi_json_double(j, "rate", o->rate);
	fcgi_json_double(j, "seconds", res->seconds);
	fcgi_json_bool(j, "interrupted", res->interrupted);
	fcgi_json_uint(j, "requests", res->requests);
	fcgi_json_uint(j, "ok", res->ok);
	fcgi_json_double(j, "rps", (double)res->requests / res->seconds);
	fcgi_json_uint(j, "connects", res->connects);
	fcgi_json_uint(j, "sentBytes", res->bytes_out);
	fcgi_json_uint(j, "receivedBytes", res->bytes_in);
	fcgi_json_obj_open(j, "errors");
	for (unsigned i = 0; i < BE_COUNT; i++)
		fcgi_json_uint(j, bench_err_name((enum bench_err)i),
			       res->errors[i]);
	fcgi_json_obj_close(j);
	fcgi_json_obj_open(j, "status");
	fcgi_json_uint(j, "none", res->status[0]);
	fcgi_json_uint(j, "http1xx", res->status[1]);
	fcgi_json_uint(j, "http2xx", res->status[2]);
	fcgi_json_uint(j, "http3xx", res->status[3]);
	fcgi_json_uint(j, "http4xx", res->status[4]);
	fcgi_json_uint(j, "http5xx", res->status[5]);
	fcgi_json_obj_close(j);
	if (res->first_error[0] != '\0')
		fcgi_json_str(j, "firstError", res->first_error);
	fcgi_json_obj_open(j, "latencyMs");
	for (unsigned i = 0; i < BL_COUNT; i++)
		json_lat(j, bench_lat_name((enum bench_lat)i), &res->lat[i]);
	fcgi_json_obj_close(j);
	/* The total latency's percentile distribution, for --plot-with. */
	n = dist_points(pts, sizeof(pts) / sizeof(pts[0]),
			res->lat[BL_TOTAL].total);
	fcgi_json_arr_open(j, "distribution");
	for (size_t i = 0; i < n && res->lat[BL_TOTAL].total != 0; i++) {
		fcgi_json_obj_open(j, NULL);
		fcgi_json_double(j, "percentile", pts[i]);
		fcgi_json_double(j, "ms",
				 (double)fcgi_hist_percentile(
					 &res->lat[BL_TOTAL], pts[i]) /
					 1e6);
		fcgi_json_obj_close(j);
	}
	fcgi_json_arr_close(j);
	fcgi_render_obj_end(r);
	fcgi_render_free(r);
	return 0;
}

/* ---- the plot ---------------------------------------------------------- */

struct series {
	char *name;
	size_t n;
	double x[128], y[128]; /* percentile, ms */
};

/* Read the last "bench" line of a --json file into s. */
static int load_series(const char *path, struct series *s)
{
	uint8_t *data;
	size_t len;
	char *text, *line, *save = NULL;
	cJSON *found = NULL;
	int rc = -1;

	if (read_file(path, &data, &len) != 0)
		return error("--plot-with: cannot read '%s': %s", path,
			     strerror(errno));
	text = realloc(data, len + 1);
	if (text == NULL) {
		free(data);
		return error("out of memory");
	}
	text[len] = '\0';
	for (line = text; line != NULL && *line != '\0'; line = save) {
		char *nl = strchr(line, '\n');
		cJSON *j, *k;

		save = nl != NULL ? nl + 1 : NULL;
		if (nl != NULL)
			*nl = '\0';
		j = cJSON_Parse(line);
		k = cJSON_GetObjectItemCaseSensitive(j, "kind");
		if (cJSON_IsString(k) && strcmp(k->valuestring, "bench") == 0) {
			cJSON_Delete(found);
			found = j;
		} else {
			cJSON_Delete(j);
		}
	}
	if (found == NULL) {
		error("--plot-with: '%s' has no bench line "
		      "(make it with fcgitool bench --json)",
		      path);
	} else {
		cJSON *d =
			cJSON_GetObjectItemCaseSensitive(found, "distribution");
		cJSON *e;

		s->n = 0;
		cJSON_ArrayForEach(e, d)
		{
			cJSON *p = cJSON_GetObjectItemCaseSensitive(
				e, "percentile");
			cJSON *m = cJSON_GetObjectItemCaseSensitive(e, "ms");

			if (!cJSON_IsNumber(p) || !cJSON_IsNumber(m) ||
			    s->n == 128)
				continue;
			s->x[s->n] = p->valuedouble;
			s->y[s->n] = m->valuedouble;
			s->n++;
		}
		if (s->n == 0)
			error("--plot-with: '%s' has no distribution", path);
		else
			rc = 0;
	}
	cJSON_Delete(found);
	free(text);
	if (rc == 0) {
		const char *base = strrchr(path, '/');

		s->name = strdup(base != NULL ? base + 1 : path);
		if (s->name == NULL)
			rc = error("out of memory");
	}
	return rc;
}

/* x position of percentile p: log10(1 / (1 - p)), up to 6 nines. */
static double xpos(double p)
{
	double q = 1.0 - p / 100.0;

	if (q < 1e-6)
		q = 1e-6;
	return log10(1.0 / q);
}

static void svg_text(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

int bench_plot(const char *path, const struct bench_opts *o,
	       const struct bench_result *res, char **with, size_t nwith)
{
	static const char *const colors[] = { "#1f77b4", "#d62728", "#2ca02c",
					      "#ff7f0e", "#9467bd", "#8c564b" };
	static const char *const xlabels[] = { "0%",	  "90%",    "99%",
					       "99.9%",	  "99.99%", "99.999%",
					       "99.9999%" };
	const double W = 800, H = 480, L = 70, R = 180, T = 30, B = 50;
	struct series *s;
	size_t ns = nwith + 1;
	double ymax = 0, xmax = 0, step;
	FILE *f;
	int rc = 0;

	(void)o;
	s = calloc(ns, sizeof(*s));
	if (s == NULL)
		return error("out of memory");
	s[0].name = strdup("this run");
	s[0].n = dist_points(s[0].x, 128, res->lat[BL_TOTAL].total);
	for (size_t i = 0; i < s[0].n; i++)
		s[0].y[i] = (double)fcgi_hist_percentile(&res->lat[BL_TOTAL],
							 s[0].x[i]) /
			    1e6;
	if (res->lat[BL_TOTAL].total == 0)
		s[0].n = 0;
	for (size_t i = 0; i < nwith; i++)
		if (load_series(with[i], &s[i + 1]) != 0) {
			rc = EXIT_USAGE;
			goto out;
		}
	for (size_t i = 0; i < ns; i++)
		for (size_t k = 0; k < s[i].n; k++) {
			if (s[i].y[k] > ymax)
				ymax = s[i].y[k];
			if (xpos(s[i].x[k]) > xmax)
				xmax = xpos(s[i].x[k]);
		}
	xmax = ceil(xmax < 2 ? 2 : xmax);
	/* A round top for the latency axis: 1, 2 or 5 times a power of
	 * ten, in five steps. */
	step = pow(10, floor(log10(ymax > 0 ? ymax / 5 : 0.2)));
	if (ymax / step > 25)
		step *= 5;
	else if (ymax / step > 10)
		step *= 2;
	ymax = step * ceil((ymax > 0 ? ymax : 1) / step);
	f = fopen(path, "w");
	if (f == NULL) {
		rc = error("--plot: cannot write '%s': %s", path,
			   strerror(errno));
		rc = EXIT_IO;
		goto out;
	}
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%.0f\" "
		"height=\"%.0f\" font-family=\"sans-serif\" "
		"font-size=\"12\">\n"
		"<rect width=\"100%%\" height=\"100%%\" fill=\"white\"/>\n"
		"<text x=\"%.0f\" y=\"18\" font-size=\"14\">Latency by "
		"percentile distribution (fcgitool bench)</text>\n",
		W, H, L);
	for (int k = 0; k <= (int)xmax && k < 7; k++) {
		double x = L + (W - L - R) * k / xmax;

		fprintf(f,
			"<line x1=\"%.1f\" y1=\"%.0f\" x2=\"%.1f\" "
			"y2=\"%.0f\" stroke=\"#ddd\"/>\n"
			"<text x=\"%.1f\" y=\"%.0f\" "
			"text-anchor=\"middle\">%s</text>\n",
			x, T, x, H - B, x, H - B + 16, xlabels[k]);
	}
	for (double v = 0; v <= ymax + step / 2; v += step) {
		double y = H - B - (H - T - B) * v / ymax;

		fprintf(f,
			"<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" "
			"y2=\"%.1f\" stroke=\"#ddd\"/>\n"
			"<text x=\"%.0f\" y=\"%.1f\" "
			"text-anchor=\"end\">%g</text>\n",
			L, y, W - R, y, L - 6, y + 4, v);
	}
	fprintf(f,
		"<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"middle\">"
		"percentile</text>\n"
		"<text x=\"16\" y=\"%.0f\" text-anchor=\"middle\" "
		"transform=\"rotate(-90 16 %.0f)\">latency (ms)</text>\n",
		L + (W - L - R) / 2, H - 12, (H - B + T) / 2, (H - B + T) / 2);
	for (size_t i = 0; i < ns; i++) {
		const char *c = colors[i % 6];

		fprintf(f,
			"<polyline fill=\"none\" stroke=\"%s\" "
			"stroke-width=\"2\" points=\"",
			c);
		for (size_t k = 0; k < s[i].n; k++)
			fprintf(f, "%s%.1f,%.1f", k ? " " : "",
				L + (W - L - R) * xpos(s[i].x[k]) / xmax,
				H - B - (H - T - B) * s[i].y[k] / ymax);
		fprintf(f,
			"\"/>\n<rect x=\"%.0f\" y=\"%.0f\" width=\"12\" "
			"height=\"12\" fill=\"%s\"/>\n<text x=\"%.0f\" "
			"y=\"%.0f\">",
			W - R + 12, T + 20.0 * (double)i, c, W - R + 30,
			T + 20.0 * (double)i + 10);
		svg_text(f, s[i].name != NULL ? s[i].name : "?");
		fputs("</text>\n", f);
	}
	fputs("</svg>\n", f);
	if (fclose(f) != 0) {
		error("--plot: cannot write '%s': %s", path, strerror(errno));
		rc = EXIT_IO;
	}
out:
	for (size_t i = 0; i < ns; i++)
		free(s[i].name);
	free(s);
	return rc;
}

/* ---- thresholds -------------------------------------------------------- */

enum { M_PCT = 0, M_MIN, M_MEAN, M_MAX, M_RPS, M_ERRORS, M_ERROR_RATE };
enum { OP_GT = 0, OP_GE, OP_LT, OP_LE };

int bench_threshold_parse(struct bench_threshold *t, const char *text,
			  char *err, size_t errlen)
{
	const char *p = text;
	char name[32], *end;
	size_t n = 0;
	double unit = 1;
	bool latency;

	memset(t, 0, sizeof(*t));
	t->text = text;
	while (*p == ' ')
		p++;
	while ((p[n] >= 'a' && p[n] <= 'z') || (p[n] >= '0' && p[n] <= '9') ||
	       p[n] == '.' || p[n] == '-')
		n++;
	if (n == 0 || n >= sizeof(name)) {
		snprintf(err, errlen,
			 "no metric (try p99, mean, max, rps, "
			 "errors or error-rate)");
		return -1;
	}
	memcpy(name, p, n);
	name[n] = '\0';
	p += n;
	if (name[0] == 'p' && name[1] >= '0' && name[1] <= '9') {
		t->metric = M_PCT;
		errno = 0;
		t->pct = strtod(name + 1, &end);
		if (*end != '\0' || errno != 0 || !(t->pct > 0) ||
		    t->pct > 100) {
			snprintf(err, errlen, "bad percentile '%s'", name);
			return -1;
		}
	} else if (strcmp(name, "min") == 0) {
		t->metric = M_MIN;
	} else if (strcmp(name, "mean") == 0) {
		t->metric = M_MEAN;
	} else if (strcmp(name, "max") == 0) {
		t->metric = M_MAX;
	} else if (strcmp(name, "rps") == 0) {
		t->metric = M_RPS;
	} else if (strcmp(name, "errors") == 0) {
		t->metric = M_ERRORS;
	} else if (strcmp(name, "error-rate") == 0) {
		t->metric = M_ERROR_RATE;
	} else {
		snprintf(err, errlen,
			 "unknown metric '%s' (try p99, mean, "
			 "max, rps, errors or error-rate)",
			 name);
		return -1;
	}
	while (*p == ' ')
		p++;
	if (p[0] == '>' && p[1] == '=')
		t->op = OP_GE, p += 2;
	else if (p[0] == '<' && p[1] == '=')
		t->op = OP_LE, p += 2;
	else if (p[0] == '>')
		t->op = OP_GT, p++;
	else if (p[0] == '<')
		t->op = OP_LT, p++;
	else {
		snprintf(err, errlen,
			 "no comparison after '%s' (use > >= < <=)", name);
		return -1;
	}
	while (*p == ' ')
		p++;
	errno = 0;
	t->value = strtod(p, &end);
	if (end == p || errno != 0 || !isfinite(t->value) || t->value < 0) {
		snprintf(err, errlen, "bad number '%s'", p);
		return -1;
	}
	p = end;
	latency = t->metric <= M_MAX;
	if (latency) {
		/* Latencies in ms unless a unit says otherwise. */
		unit = 1e6;
		if (strcmp(p, "ns") == 0)
			unit = 1;
		else if (strcmp(p, "us") == 0)
			unit = 1e3;
		else if (strcmp(p, "ms") == 0 || *p == '\0')
			unit = 1e6;
		else if (strcmp(p, "s") == 0)
			unit = 1e9;
		else {
			snprintf(err, errlen, "bad unit '%s' (ns, us, ms or s)",
				 p);
			return -1;
		}
	} else if (t->metric == M_ERROR_RATE) {
		if (*p != '%' && *p != '\0') {
			snprintf(err, errlen, "bad unit '%s' (%%)", p);
			return -1;
		}
	} else if (*p != '\0') {
		snprintf(err, errlen, "'%s' takes no unit", name);
		return -1;
	}
	t->value *= unit;
	return 0;
}

int bench_threshold_check(const struct bench_threshold *t,
			  const struct bench_result *res, char *got, size_t n)
{
	const struct fcgi_hist *h = &res->lat[BL_TOTAL];
	double v = 0;
	uint64_t errs = 0;
	char b[32];

	for (unsigned i = 0; i < BE_COUNT; i++)
		errs += res->errors[i];
	switch (t->metric) {
	case M_PCT:
		v = (double)fcgi_hist_percentile(h, t->pct);
		break;
	case M_MIN:
		v = h->total != 0 ? (double)h->min : 0;
		break;
	case M_MEAN:
		v = fcgi_hist_mean(h);
		break;
	case M_MAX:
		v = (double)h->max;
		break;
	case M_RPS:
		v = (double)res->requests / res->seconds;
		break;
	case M_ERRORS:
		v = (double)errs;
		break;
	case M_ERROR_RATE:
		v = res->requests ? 100.0 * (double)errs / (double)res->requests
				  : 0;
		break;
	}
	if (t->metric <= M_MAX)
		snprintf(got, n, "%s", dur(b, sizeof(b), v));
	else if (t->metric == M_ERROR_RATE)
		snprintf(got, n, "%.3g%%", v);
	else
		snprintf(got, n, "%.10g", v);
	switch (t->op) {
	case OP_GT:
		return v > t->value;
	case OP_GE:
		return v >= t->value;
	case OP_LT:
		return v < t->value;
	default:
		return v <= t->value;
	}
}
