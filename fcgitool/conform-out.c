/* SPDX-License-Identifier: MIT */
/*
 * conform-out.c - conform's results as text (one line per case and a
 * summary), TAP, JUnit XML, JSON lines through the renderer, or a
 * baseline; and the catalogue of cases as text, JSON or a man page.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conform-client.h"
#include "conform-out.h"
#include "util.h"

/* The date of the catalogue page: change it with the cases. */
#define CATALOGUE_DATE "November 26, 2026"

struct cf_out {
	FILE *f;
	enum cf_format fmt;
	struct fcgi_render *render;
	struct cf_result *all; /* JUnit: kept to the end */
	size_t n, cap;
	size_t index;
	const char *target;
};

struct cf_out *cf_out_new(FILE *f, enum cf_format fmt)
{
	struct fcgi_render_opts ro;
	struct cf_out *o = calloc(1, sizeof(*o));

	if (o == NULL)
		return NULL;
	o->f = f;
	o->fmt = fmt;
	if (fmt == CF_FMT_JSON) {
		fcgi_render_opts_default(&ro);
		ro.json = 1;
		o->render = render_open(f, &ro);
		if (o->render == NULL) {
			free(o);
			return NULL;
		}
	}
	return o;
}

void cf_out_free(struct cf_out *o)
{
	if (o == NULL)
		return;
	fcgi_render_free(o->render);
	free(o->all);
	free(o);
}

static const char *pretty_level(enum cf_level l)
{
	return cf_level_name(l);
}

void cf_out_begin(struct cf_out *o, size_t n, const struct cf_ctx *ctx,
		  const char *target, const char *profile)
{
	struct fcgi_json *j;

	o->target = target;
	switch (o->fmt) {
	case CF_FMT_TAP:
		fprintf(o->f, "TAP version 13\n1..%zu\n", n);
		break;
	case CF_FMT_JSON:
		j = fcgi_render_obj_begin(o->render, NULL, -1, "conformTarget");
		fcgi_json_str(j, "target", target);
		fcgi_json_str(j, "profile", profile);
		fcgi_json_int(j, "normalStatus", ctx->normal_status);
		fcgi_json_bool(j, "valuesAnswered", ctx->values_answered);
		if (ctx->max_conns >= 0)
			fcgi_json_int(j, "maxConns", ctx->max_conns);
		if (ctx->max_reqs >= 0)
			fcgi_json_int(j, "maxReqs", ctx->max_reqs);
		if (ctx->mpxs >= 0)
			fcgi_json_int(j, "mpxsConns", ctx->mpxs);
		fcgi_json_uint(j, "cases", n);
		fcgi_render_obj_end(o->render);
		break;
	default:
		break;
	}
}

/* ---- text ---------------------------------------------------------------- */

static void text_line(FILE *f, const struct cf_result *r)
{
	fprintf(f, "%-4s %s: ", cf_grade_name(r->grade), r->k->id);
	if (r->grade == CF_SKIP && r->raw == CF_SKIP) {
		fprintf(f, "%s\n", r->got);
		return;
	}
	if (r->grade == CF_PASS || r->grade == CF_INFO ||
	    (r->grade == CF_SKIP && r->raw <= CF_INFO))
		fprintf(f, "%s", r->got);
	else
		fprintf(f, "expected %s; got %s", r->expected, r->got);
	if (r->split != NULL && r->raw > CF_INFO)
		fprintf(f, " [%s writes]", r->split);
	if (r->note != NULL)
		fprintf(f, " (%s)", r->note);
	fputc('\n', f);
}

/* ---- TAP -------------------------------------------------------------------- */

static void tap_line(struct cf_out *o, const struct cf_result *r)
{
	size_t i = ++o->index;

	switch (r->grade) {
	case CF_FAIL:
		fprintf(o->f, "not ok %zu - %s\n", i, r->k->id);
		fprintf(o->f, "  ---\n  expected: \"%s\"\n  got: \"%s\"\n",
			r->expected, r->got);
		if (r->split != NULL)
			fprintf(o->f, "  writes: %s\n", r->split);
		fprintf(o->f, "  ...\n");
		break;
	case CF_SKIP:
		fprintf(o->f, "ok %zu - %s # SKIP %s\n", i, r->k->id,
			r->note != NULL ? r->note : r->got);
		break;
	case CF_WARN:
		fprintf(o->f, "ok %zu - %s # warn: expected %s; got %s\n", i,
			r->k->id, r->expected, r->got);
		break;
	default:
		fprintf(o->f, "ok %zu - %s # %s: %s\n", i, r->k->id,
			cf_grade_name(r->grade), r->got);
		break;
	}
}

/* ---- JUnit ------------------------------------------------------------------ */

/* Text made safe for XML: markup escaped, other bytes outside printable
 * ASCII as '?' (the text is ours, already escaped where it quotes a
 * peer). */
static void xml(FILE *f, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '&':
			fputs("&amp;", f);
			break;
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		default:
			fputc((unsigned char)*s >= 0x20 &&
					      (unsigned char)*s < 0x7f
				      ? *s
				      : '?',
			      f);
		}
	}
}

static void junit_end(struct cf_out *o, const unsigned counts[5])
{
	const struct cf_result *r;
	size_t i;
	char sec[16];

	fprintf(o->f, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	fprintf(o->f,
		"<testsuites name=\"fcgitool conform\" tests=\"%zu\" "
		"failures=\"%u\" skipped=\"%u\">\n",
		o->n, counts[CF_FAIL], counts[CF_SKIP]);
	fprintf(o->f, "<testsuite name=\"");
	xml(o->f, o->target != NULL ? o->target : "");
	fprintf(o->f, "\" tests=\"%zu\" failures=\"%u\" skipped=\"%u\">\n",
		o->n, counts[CF_FAIL], counts[CF_SKIP]);
	for (i = 0; i < o->n; i++) {
		r = &o->all[i];
		fprintf(o->f, "<testcase classname=\"fcgi-%s\" name=\"%s\"",
			cf_case_section(r->k, sec, sizeof(sec)), r->k->id);
		if (r->grade == CF_PASS || r->grade == CF_INFO) {
			fprintf(o->f, "/>\n");
			continue;
		}
		fprintf(o->f, ">");
		if (r->grade == CF_FAIL) {
			fprintf(o->f, "<failure type=\"%s\" message=\"",
				cf_level_name(r->k->level));
			xml(o->f, r->got);
			fprintf(o->f, "\">expected: ");
			xml(o->f, r->expected);
			fprintf(o->f, "\ngot: ");
			xml(o->f, r->got);
			if (r->split != NULL)
				fprintf(o->f, "\nwrites: %s", r->split);
			fprintf(o->f, "</failure>");
		} else if (r->grade == CF_SKIP) {
			fprintf(o->f, "<skipped message=\"");
			xml(o->f, r->note != NULL ? r->note : r->got);
			fprintf(o->f, "\"/>");
		} else {
			fprintf(o->f, "<system-out>warn: expected ");
			xml(o->f, r->expected);
			fprintf(o->f, "; got ");
			xml(o->f, r->got);
			fprintf(o->f, "</system-out>");
		}
		fprintf(o->f, "</testcase>\n");
	}
	fprintf(o->f, "</testsuite>\n</testsuites>\n");
}

/* ---- JSON ------------------------------------------------------------------- */

static void json_result(struct cf_out *o, const struct cf_result *r)
{
	struct fcgi_json *j;
	char sec[16];
	unsigned i;

	j = fcgi_render_obj_begin(o->render, NULL, -1, "verdict");
	fcgi_json_str(j, "id", r->k->id);
	fcgi_json_str(j, "section", cf_case_section(r->k, sec, sizeof(sec)));
	fcgi_json_str(j, "level", cf_level_name(r->k->level));
	fcgi_json_str(j, "grade", cf_grade_name(r->grade));
	fcgi_json_str(j, "result", cf_grade_name(r->raw));
	fcgi_json_str(j, "expected", r->expected);
	fcgi_json_str(j, "got", r->got);
	if (r->split != NULL)
		fcgi_json_str(j, "writes", r->split);
	if (r->note != NULL)
		fcgi_json_str(j, "note", r->note);
	fcgi_json_uint(j, "ms", r->ms);
	fcgi_json_arr_open(j, "runs");
	for (i = 0; i < r->nrun; i++) {
		fcgi_json_obj_open(j, NULL);
		fcgi_json_str(j, "writes", r->run[i].split);
		fcgi_json_str(j, "grade", cf_grade_name(r->run[i].grade));
		fcgi_json_str(j, "got", r->run[i].got);
		fcgi_json_obj_close(j);
	}
	fcgi_json_arr_close(j);
	fcgi_render_obj_end(o->render);
}

void cf_out_result(struct cf_out *o, const struct cf_result *r)
{
	struct cf_result *na;

	switch (o->fmt) {
	case CF_FMT_TEXT:
		text_line(o->f, r);
		fflush(o->f);
		break;
	case CF_FMT_TAP:
		tap_line(o, r);
		fflush(o->f);
		break;
	case CF_FMT_JSON:
		json_result(o, r);
		break;
	case CF_FMT_BASELINE:
		if (r->raw == CF_FAIL || r->raw == CF_WARN ||
		    (r->grade == CF_SKIP && r->note != NULL))
			fprintf(o->f, "%s %s\n", r->k->id,
				cf_grade_name(r->raw));
		break;
	case CF_FMT_JUNIT:
		if (o->n == o->cap) {
			o->cap = o->cap != 0 ? o->cap * 2 : 64;
			na = realloc(o->all, o->cap * sizeof(*na));
			if (na == NULL)
				die(EXIT_IO, "out of memory");
			o->all = na;
		}
		o->all[o->n++] = *r;
		break;
	default:
		break;
	}
}

void cf_out_end(struct cf_out *o, const unsigned counts[5])
{
	struct fcgi_json *j;
	unsigned passed = counts[CF_PASS] + counts[CF_INFO];

	switch (o->fmt) {
	case CF_FMT_TEXT:
		fprintf(o->f, "%u passed, %u failed, %u warned, %u skipped\n",
			passed, counts[CF_FAIL], counts[CF_WARN],
			counts[CF_SKIP]);
		break;
	case CF_FMT_TAP:
		fprintf(o->f, "# %u passed, %u failed, %u warned, %u skipped\n",
			passed, counts[CF_FAIL], counts[CF_WARN],
			counts[CF_SKIP]);
		break;
	case CF_FMT_JUNIT:
		junit_end(o, counts);
		break;
	case CF_FMT_JSON:
		j = fcgi_render_obj_begin(o->render, NULL, -1,
					  "conformSummary");
		fcgi_json_uint(j, "passed", passed);
		fcgi_json_uint(j, "failed", counts[CF_FAIL]);
		fcgi_json_uint(j, "warned", counts[CF_WARN]);
		fcgi_json_uint(j, "skipped", counts[CF_SKIP]);
		fcgi_json_uint(j, "info", counts[CF_INFO]);
		fcgi_render_obj_end(o->render);
		break;
	default:
		break;
	}
	fflush(o->f);
}

/* ---- the catalogue ----------------------------------------------------------- */

/* What case k sends, built with ctx; a malloc'd string or NULL. */
static char *sends_text(const struct cf_case *k, const struct cf_ctx *ctx)
{
	struct cf_script s;
	struct fcgi_buf out;
	char *text = NULL;

	fcgi_buf_init(&out, NULL, 0);
	cf_script_init(&s, ctx);
	k->build(&s);
	if (s.err == 0 && cf_describe_script(&s, &out) == 0 &&
	    fcgi_buf_append_u8(&out, 0) == 0) {
		text = (char *)out.data;
		out.data = NULL;
	}
	fcgi_buf_fini(&out);
	cf_script_fini(&s);
	return text;
}

static const char *accepts_text(const struct cf_case *k, char *buf, size_t n)
{
	if (k->accepts != NULL)
		return k->accepts;
	return cf_kinds_text(k->pass, buf, n);
}

/* Text for a man page: backslashes escaped, a new line after each
 * sentence (mandoc's style check wants one sentence a line) and lines
 * kept under 80 bytes by breaking at spaces. */
static void roff(FILE *f, const char *s)
{
	size_t col = 0;

	for (; *s != '\0'; s++) {
		if (col == 0 && (*s == '.' || *s == '\''))
			col += (size_t)fprintf(f, "\\&");
		if (*s == '\\') {
			col += (size_t)fprintf(f, "\\e");
		} else if ((*s == '.' || *s == '?' || *s == '!') &&
			   s[1] == ' ' && s[2] >= 'A' && s[2] <= 'Z') {
			fputc(*s, f);
			fputc('\n', f);
			s++;
			col = 0;
		} else if (*s == ' ' && col > 60 &&
			   strchr(s + 1, ' ') != NULL &&
			   (size_t)(strchr(s + 1, ' ') - s) + col > 72) {
			fputc('\n', f);
			col = 0;
		} else if (*s == ' ' && col > 66) {
			fputc('\n', f);
			col = 0;
		} else {
			fputc(*s, f);
			col++;
		}
	}
	fputc('\n', f);
}

/* What web-server case c answers to request 1; malloc'd, or NULL. */
static char *answer_text(const struct cl_case *c)
{
	struct cf_script s;
	struct fcgi_buf out;
	char *text = NULL;

	fcgi_buf_init(&out, NULL, 0);
	cf_script_init(&s, NULL);
	c->answer(&s, 1, 0);
	if (s.nsteps == 0)
		(void)fcgi_buf_append(
			&out, "  nothing: the answer is withheld\n", 34);
	if (s.err == 0 && cf_describe_script(&s, &out) == 0 &&
	    fcgi_buf_append_u8(&out, 0) == 0) {
		text = (char *)out.data;
		out.data = NULL;
	}
	fcgi_buf_fini(&out);
	cf_script_fini(&s);
	return text;
}

/* One case of the page; sends is what it sends (taken), under the
 * heading what. */
static void man_entry(FILE *f, const struct cf_case *k, char *sends,
		      const char *what)
{
	char acc[200];
	char *line, *nl;

	fprintf(f, ".It Sy %s\n", k->id);
	roff(f, k->desc);
	if (k->level == CF_INTEROP)
		fprintf(f, ".Pp\nInterop; the specification says:\n");
	else
		fprintf(f, ".Pp\n.Sy %s :\n", cf_level_name(k->level));
	fprintf(f, ".Bd -ragged -offset indent\n");
	roff(f, k->quote != NULL ? k->quote : "The specification is silent.");
	fprintf(f, ".Ed\n.Pp\n");
	roff(f, k->why);
	fprintf(f, ".Pp\nAccepts: ");
	roff(f, accepts_text(k, acc, sizeof(acc)));
	if (k->flags &
	    (CF_NEEDS_MPX | CF_NEEDS_NO_MPX | CF_NEEDS_ECHO | CF_NEEDS_MAXREQS))
		fprintf(f, ".Pp\nRuns only %s.\n",
			(k->flags & CF_NEEDS_MPX)
				? "when the target multiplexes"
			: (k->flags & CF_NEEDS_NO_MPX)
				? "when the target does not "
				  "multiplex"
			: (k->flags & CF_NEEDS_ECHO)
				? "with --echo"
				: "with a small FCGI_MAX_REQS");
	if (k->flags & CF_ONCE)
		fprintf(f, ".Pp\nRuns once, with whole writes.\n");
	if (sends == NULL)
		return;
	fprintf(f, ".Pp\n%s:\n.Bd -literal -offset indent\n", what);
	for (line = sends; *line != '\0'; line = nl + 1) {
		nl = strchr(line, '\n');
		if (nl == NULL)
			break;
		*nl = '\0';
		roff(f, line + 2);
	}
	fprintf(f, ".Ed\n");
	free(sends);
}

static void man_case(FILE *f, const struct cf_case *k, const struct cf_ctx *ctx)
{
	man_entry(f, k, sends_text(k, ctx), "Sends");
}

static void man_web(FILE *f)
{
	const struct cl_case *web;
	size_t n, i;

	web = cl_cases(&n);
	fprintf(f,
		".Sh WEB SERVER CASES\n"
		"With\n.Fl \\-client ,\n.Nm fcgitool Cm conform\n"
		"is the application and these %zu cases judge the web "
		"server.\n"
		"The observations are made on every request the web server "
		"sends;\nthe other cases each answer one request, for the "
		"URI\n.Pa /conform/ Ns Ar id ,\n"
		"with the records shown.\n"
		".Bl -tag -width Ds\n",
		n);
	for (i = 0; i < n; i++) {
		if (web[i].answer == NULL)
			man_entry(f, &web[i].k, NULL, "");
		else
			man_entry(f, &web[i].k, answer_text(&web[i]),
				  "Answers request 1 with");
	}
	fprintf(f, ".El\n");
}

static void man_page(FILE *f, const struct cf_case *all, size_t n,
		     const struct cf_ctx *ctx)
{
	static const char *const secs[] = { "3.2", "3.3", "3.4", "3.5", "4.1",
					    "4.2", "5.1", "5.2", "5.3", "5.4",
					    "5.5", "6.1", "6.2", "6.3", "6.4" };
	char sec[16];
	size_t i, j, count;

	fprintf(f,
		".\\\" SPDX-License-Identifier: MIT\n"
		".\\\" Generated by 'fcgitool conform --list --format man';\n"
		".\\\" do not edit: change the cases in "
		"fcgitool/conform-cases*.c.\n"
		".Dd %s\n.Dt FCGITOOL-CONFORM-CASES 7\n.Os\n"
		".Sh NAME\n.Nm fcgitool-conform-cases\n"
		".Nd the cases of fcgitool conform\n"
		".Sh DESCRIPTION\n"
		"These are the %zu cases that\n.Xr fcgitool-conform 1\n"
		"runs against a FastCGI application, by section of the "
		"FastCGI 1.0 specification.\n"
		"Each has an id that never changes, the level of the "
		"requirement it checks\n.Po Sy MUST , SHOULD , MAY ,\n"
		"or interop where the specification is silent and real peers "
		"differ\n.Pc ,\nthe requirement in the words of the "
		"specification,\nwhy it matters, the answers that pass, and "
		"the records it sends.\n"
		".Pp\nThe records are shown for the normal request of the "
		"default profile;\n"
		"with other profiles, or with\n.Fl p\nand\n.Fl \\-script ,\n"
		"the params records differ in size.\n",
		CATALOGUE_DATE, n);
	for (i = 0; i < sizeof(secs) / sizeof(secs[0]); i++) {
		count = 0;
		for (j = 0; j < n; j++)
			if (strcmp(cf_case_section(&all[j], sec, sizeof(sec)),
				   secs[i]) == 0)
				count++;
		if (count == 0)
			continue;
		fprintf(f, ".Ss %s %s\n.Bl -tag -width Ds\n", secs[i],
			cf_section_title(secs[i]));
		for (j = 0; j < n; j++)
			if (strcmp(cf_case_section(&all[j], sec, sizeof(sec)),
				   secs[i]) == 0)
				man_case(f, &all[j], ctx);
		fprintf(f, ".El\n");
	}
	man_web(f);
	fprintf(f, ".Sh SEE ALSO\n.Xr fcgitool 1 ,\n.Xr fcgitool-conform 1\n"
		   ".Sh STANDARDS\n.Rs\n.%%A Mark R. Brown\n"
		   ".%%T FastCGI Specification\n.%%I Open Market, Inc.\n"
		   ".%%D April 29, 1996\n.Re\n");
}

int cf_list(FILE *f, enum cf_format fmt, const struct cf_ctx *ctx, bool client,
	    const struct cf_pattern_list *only,
	    const struct cf_pattern_list *skip)
{
	const struct cf_case *all, *k;
	const struct cl_case *web;
	struct fcgi_render_opts ro;
	struct fcgi_render *render;
	struct fcgi_json *j;
	char sec[16], acc[200];
	size_t n, nweb, i;

	all = cf_cases(&n);
	if (fmt == CF_FMT_MAN) {
		man_page(f, all, n, ctx);
		return 0;
	}
	web = cl_cases(&nweb);
	if (client)
		n = nweb;
	render = NULL;
	if (fmt == CF_FMT_JSON) {
		fcgi_render_opts_default(&ro);
		ro.json = 1;
		render = render_open(f, &ro);
		if (render == NULL)
			return -1;
	}
	for (i = 0; i < n; i++) {
		k = client ? &web[i].k : &all[i];
		if (only->n > 0 && !cf_patterns_match(only, k->id))
			continue;
		if (cf_patterns_match(skip, k->id))
			continue;
		if (render == NULL) {
			fprintf(f, "%-34s %-7s %s\n", k->id,
				pretty_level(k->level), k->desc);
			continue;
		}
		j = fcgi_render_obj_begin(render, NULL, -1, "case");
		fcgi_json_str(j, "id", k->id);
		fcgi_json_str(j, "section",
			      cf_case_section(k, sec, sizeof(sec)));
		fcgi_json_str(j, "level", cf_level_name(k->level));
		fcgi_json_str(j, "description", k->desc);
		fcgi_json_str(j, "requirement", k->quote);
		fcgi_json_str(j, "why", k->why);
		fcgi_json_str(j, "accepts", accepts_text(k, acc, sizeof(acc)));
		fcgi_render_obj_end(render);
	}
	fcgi_render_free(render);
	return 0;
}
