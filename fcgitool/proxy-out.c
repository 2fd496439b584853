/* SPDX-License-Identifier: MIT */
/*
 * proxy-out.c - what fcgitool proxy prints besides the records: one
 * summary line per request and per connection (text or JSON), and the
 * pcapng capture of what it forwards.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

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

/* Print o as one JSON line and free it. */
static void json_line(struct proxy_out *po, cJSON *o)
{
	char *s = o != NULL ? cJSON_PrintUnformatted(o) : NULL;

	if (s == NULL) {
		fputs("{\"kind\":\"error\",\"message\":\"out of memory\"}\n",
		      po->log);
	} else {
		fputs(s, po->log);
		putc('\n', po->log);
	}
	cJSON_free(s);
	cJSON_Delete(o);
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
	cJSON *o;

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
	o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "ts", ts);
	cJSON_AddStringToObject(o, "conn", ri->label);
	cJSON_AddStringToObject(o, "kind", "request");
	cJSON_AddNumberToObject(o, "id", ri->id);
	cJSON_AddStringToObject(o, "method", ri->method);
	cJSON_AddStringToObject(o, "script", ri->script);
	if (ri->status != 0)
		cJSON_AddNumberToObject(o, "status", ri->status);
	else
		cJSON_AddNullToObject(o, "status");
	cJSON_AddNumberToObject(o, "stdinBytes", (double)ri->stdin_bytes);
	cJSON_AddNumberToObject(o, "stdoutBytes", (double)ri->stdout_bytes);
	cJSON_AddNumberToObject(o, "stderrBytes", (double)ri->stderr_bytes);
	cJSON_AddNumberToObject(o, "stderrLines", (double)ri->stderr_lines);
	cJSON_AddBoolToObject(o, "ended", ri->ended);
	if (ri->ended) {
		cJSON_AddNumberToObject(o, "appStatus", ri->app_status);
		if (ps != NULL)
			cJSON_AddStringToObject(o, "protocolStatus", ps);
		cJSON_AddNumberToObject(o, "protocolStatusCode",
					ri->protocol_status);
	}
	cJSON_AddBoolToObject(o, "timedOut", ri->timed_out);
	if (ri->ttfb >= 0)
		cJSON_AddNumberToObject(o, "ttfbMs", ri->ttfb * 1e3);
	else
		cJSON_AddNullToObject(o, "ttfbMs");
	cJSON_AddNumberToObject(o, "totalMs", ri->total * 1e3);
	json_line(po, o);
}

static cJSON *json_dir(const struct fcgi_proxy_dir_stats *d, int sums)
{
	cJSON *o = cJSON_CreateObject();
	char h[65];

	cJSON_AddNumberToObject(o, "read", (double)d->read);
	cJSON_AddNumberToObject(o, "written", (double)d->written);
	cJSON_AddNumberToObject(o, "injected", (double)d->injected);
	cJSON_AddStringToObject(o, "end", end_name(d->end));
	if (sums) {
		hex(h, d->sha256_read);
		cJSON_AddStringToObject(o, "sha256Read", h);
		hex(h, d->sha256_written);
		cJSON_AddStringToObject(o, "sha256Written", h);
	}
	return o;
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
	cJSON *o;

	if (po->quiet)
		return;
	if (po->summary && po->json) {
		o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "ts", ci->closed);
		cJSON_AddStringToObject(o, "conn", ci->label);
		cJSON_AddStringToObject(o, "kind", "connection");
		cJSON_AddStringToObject(o, "peer", ci->peer);
		cJSON_AddNumberToObject(o, "opened", ci->opened);
		cJSON_AddNumberToObject(o, "requests", (double)ci->requests);
		cJSON_AddNumberToObject(o, "violations",
					(double)ci->violations);
		cJSON_AddStringToObject(o, "reason", ci->reason);
		cJSON_AddItemToObject(o, "toApp",
				      json_dir(&ci->dir[FCGI_DIR_TO_APP], 1));
		cJSON_AddItemToObject(o, "toWeb",
				      json_dir(&ci->dir[FCGI_DIR_TO_WEB], 1));
		json_line(po, o);
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
	po->pcap_failed = 1;
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
