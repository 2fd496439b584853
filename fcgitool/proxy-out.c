/* SPDX-License-Identifier: MIT */
/*
 * proxy-out.c - what fcgitool proxy prints besides the records: one
 * summary line per request and per connection (text or JSON), and the
 * pcapng capture of what it forwards.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "proxy.h"
#include "pcapng.h"
#include "util.h"

static const char *end_name(enum fcgi_proxy_end e)
{
	switch (e) {
	case FCGI_PROXY_EOF:
		return "eof";
	case FCGI_PROXY_RESET:
		return "reset";
	case FCGI_PROXY_CUT:
		return "cut";
	default:
		return "open";
	}
}

static void hex(char out[65], const uint8_t d[32])
{
	static const char digits[] = "0123456789abcdef";
	int i;

	for (i = 0; i < 32; i++) {
		out[2 * i] = digits[d[i] >> 4];
		out[2 * i + 1] = digits[d[i] & 15];
	}
	out[64] = '\0';
}

/* "%.6f label " as the renderer starts its lines. */
static void text_prefix(struct proxy_out *po, double ts, const char *label)
{
	fprintf(po->log, "%.6f %s ", ts, label);
}

void proxy_out_request(void *arg, const struct fcgi_proxy_request_info *ri)
{
	struct proxy_out *po = arg;
	const char *ps = fcgi_pstatus_name(ri->protocol_status);
	double ts = ri->start + ri->total;
	struct fcgi_json *j;

	if (!po->summary)
		return;
	if (!po->json) {
		text_prefix(po, ts, ri->label);
		fprintf(po->log,
			"request id=%u %s %s status=", (unsigned)ri->id,
			ri->method[0] ? ri->method : "-",
			ri->script[0] ? ri->script : "-");
		if (ri->status != 0)
			fprintf(po->log, "%d", ri->status);
		else
			putc('-', po->log);
		fprintf(po->log,
			" stdin=%llu stdout=%llu stderr=%llu "
			"stderr-lines=%llu",
			(unsigned long long)ri->stdin_bytes,
			(unsigned long long)ri->stdout_bytes,
			(unsigned long long)ri->stderr_bytes,
			(unsigned long long)ri->stderr_lines);
		if (ri->ended && ps != NULL)
			fprintf(po->log, " app-status=%lu %s",
				(unsigned long)ri->app_status, ps);
		else if (ri->ended)
			fprintf(po->log, " app-status=%lu protocol-status=%u",
				(unsigned long)ri->app_status,
				(unsigned)ri->protocol_status);
		else
			fputs(" unfinished", po->log);
		if (ri->timed_out)
			fputs(" timed-out", po->log);
		if (ri->ttfb >= 0)
			fprintf(po->log, " ttfb=%.3fms", ri->ttfb * 1e3);
		else
			fputs(" ttfb=-", po->log);
		fprintf(po->log, " total=%.3fms\n", ri->total * 1e3);
		return;
	}
	j = fcgi_render_obj_begin(po->render, ri->label, ts, "request");
	fcgi_json_uint(j, "id", ri->id);
	fcgi_json_str(j, "method", ri->method);
	fcgi_json_str(j, "script", ri->script);
	if (ri->status != 0)
		fcgi_json_int(j, "status", ri->status);
	else
		fcgi_json_null(j, "status");
	fcgi_json_uint(j, "stdinBytes", ri->stdin_bytes);
	fcgi_json_uint(j, "stdoutBytes", ri->stdout_bytes);
	fcgi_json_uint(j, "stderrBytes", ri->stderr_bytes);
	fcgi_json_uint(j, "stderrLines", ri->stderr_lines);
	fcgi_json_bool(j, "ended", ri->ended);
	if (ri->ended) {
		fcgi_json_uint(j, "appStatus", ri->app_status);
		if (ps != NULL)
			fcgi_json_str(j, "protocolStatus", ps);
		fcgi_json_uint(j, "protocolStatusCode", ri->protocol_status);
	}
	fcgi_json_bool(j, "timedOut", ri->timed_out);
	if (ri->ttfb >= 0)
		fcgi_json_double(j, "ttfbMs", ri->ttfb * 1e3);
	else
		fcgi_json_null(j, "ttfbMs");
	fcgi_json_double(j, "totalMs", ri->total * 1e3);
	fcgi_render_obj_end(po->render);
}

static void json_dir(struct fcgi_json *j, const char *key,
		     const struct fcgi_proxy_dir_stats *d)
{
	char h[65];

	fcgi_json_obj_open(j, key);
	fcgi_json_uint(j, "read", d->read);
	fcgi_json_uint(j, "written", d->written);
	fcgi_json_uint(j, "injected", d->injected);
	fcgi_json_str(j, "end", end_name(d->end));
	hex(h, d->sha256_read);
	fcgi_json_str(j, "sha256Read", h);
	hex(h, d->sha256_written);
	fcgi_json_str(j, "sha256Written", h);
	fcgi_json_obj_close(j);
}

/* " to-app: read=N written=N end=eof sha256=..." */
static void text_dir(char *out, size_t n, const char *name,
		     const struct fcgi_proxy_dir_stats *d, int sums)
{
	char hr[65], hw[65];
	int k;

	k = snprintf(out, n, " %s: read=%llu written=%llu", name,
		     (unsigned long long)d->read,
		     (unsigned long long)d->written);
	if (k < 0 || (size_t)k >= n)
		return;
	if (d->injected > 0)
		k += snprintf(out + k, n - (size_t)k, " injected=%llu",
			      (unsigned long long)d->injected);
	if ((size_t)k >= n)
		return;
	k += snprintf(out + k, n - (size_t)k, " end=%s", end_name(d->end));
	if (!sums || (size_t)k >= n)
		return;
	hex(hr, d->sha256_read);
	hex(hw, d->sha256_written);
	if (strcmp(hr, hw) == 0)
		snprintf(out + k, n - (size_t)k, " sha256=%s", hr);
	else
		snprintf(out + k, n - (size_t)k,
			 " sha256-read=%s sha256-written=%s", hr, hw);
}

void proxy_out_conn_end(void *arg, const struct fcgi_proxy_conn_info *ci)
{
	struct proxy_out *po = arg;
	char detail[768], a[320], w[320];
	struct fcgi_json *j;

	/* Name-value pairs its records left open die with it. */
	fcgi_render_forget(po->render, ci->label);
	if (po->quiet)
		return;
	if (po->summary && po->json) {
		j = fcgi_render_obj_begin(po->render, ci->label, ci->closed,
					  "connection");
		fcgi_json_str(j, "peer", ci->peer);
		fcgi_json_double(j, "opened", ci->opened);
		fcgi_json_uint(j, "requests", ci->requests);
		fcgi_json_uint(j, "violations", ci->violations);
		fcgi_json_str(j, "reason", ci->reason);
		json_dir(j, "toApp", &ci->dir[FCGI_DIR_TO_APP]);
		json_dir(j, "toWeb", &ci->dir[FCGI_DIR_TO_WEB]);
		fcgi_render_obj_end(po->render);
		return;
	}
	text_dir(a, sizeof(a), "to-app", &ci->dir[FCGI_DIR_TO_APP],
		 po->summary);
	text_dir(w, sizeof(w), "to-web", &ci->dir[FCGI_DIR_TO_WEB],
		 po->summary);
	snprintf(detail, sizeof(detail),
		 "peer=%s requests=%llu violations=%zu reason=%s;%s;%s",
		 ci->peer, (unsigned long long)ci->requests, ci->violations,
		 ci->reason, a, w);
	if (po->summary) {
		text_prefix(po, ci->closed, ci->label);
		fprintf(po->log, "connection %s\n", detail);
	} else {
		fcgi_render_note(po->render, ci->label, ci->closed, "close",
				 detail);
	}
}

static uint64_t wall_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* The capture failed: say so once and stop capturing. */
static void pcap_failed(struct proxy_out *po)
{
	if (po->pcap_failed)
		return;
	po->pcap_failed = true;
	warn("--pcap: '%s': %s", po->pcap_path,
	     cap_pcapng_error(po->pcap) != NULL ? cap_pcapng_error(po->pcap)
						: "write failed");
}

/* Each connection becomes one synthetic TCP flow: the web server is the
 * client (side 0), the app the server (side 1). */
void proxy_out_tap(void *arg, const struct fcgi_proxy_tap *t)
{
	struct proxy_out *po = arg;
	struct cap_tcpflow *f = *t->user;
	uint64_t ts;
	char comment[160];
	int rc = 0;

	if (po->pcap == NULL)
		return;
	if (t->kind == FCGI_TAP_CLOSE) {
		if (f != NULL && !po->pcap_failed) {
			ts = wall_us();
			rc = cap_pcapng_flow_fin(po->pcap, f, 0, ts);
			if (rc == 0)
				rc = cap_pcapng_flow_fin(po->pcap, f, 1, ts);
			if (rc == 0)
				rc = cap_pcapng_flush(po->pcap);
		}
		free(f);
		*t->user = NULL;
		if (rc != 0)
			pcap_failed(po);
		return;
	}
	if (po->pcap_failed)
		return;
	ts = wall_us();
	switch (t->kind) {
	case FCGI_TAP_OPEN:
		f = calloc(1, sizeof(*f));
		if (f == NULL) {
			warn("--pcap: out of memory; %s is not captured",
			     t->label);
			return;
		}
		*t->user = f;
		snprintf(comment, sizeof(comment), "fcgitool proxy %s from %s",
			 t->label, t->peer);
		rc = cap_pcapng_flow_open(po->pcap, f, t->conn, ts, comment);
		break;
	case FCGI_TAP_DATA:
		if (f != NULL)
			rc = cap_pcapng_flow_data(po->pcap, f, t->dir, t->data,
						  t->len, ts);
		break;
	case FCGI_TAP_FIN:
		if (f != NULL)
			rc = cap_pcapng_flow_fin(po->pcap, f, t->dir, ts);
		break;
	case FCGI_TAP_RESET:
		if (f != NULL)
			rc = cap_pcapng_flow_rst(po->pcap, f, t->dir, ts);
		break;
	default:
		break;
	}
	if (rc != 0)
		pcap_failed(po);
}
