/* SPDX-License-Identifier: MIT */
/* proxy.h - what cmd-proxy.c and proxy-out.c share. */
#ifndef FCGITOOL_CMD_PROXY_H
#define FCGITOOL_CMD_PROXY_H

#include <stdbool.h>
#include <stdio.h>

#include "fcgi-uv.h"

struct cap_pcapng;

/* The outputs of one proxy run. */
struct proxy_out {
	FILE *log; /* records, findings and summary lines */
	struct fcgi_render *render;
	bool json;
	bool summary;		 /* a line per request and per connection */
	bool quiet;		 /* findings only */
	struct cap_pcapng *pcap; /* NULL: no capture */
	const char *pcap_path;
	bool pcap_failed; /* reported once; the capture stops */
};

/* The callbacks of struct fcgi_proxy_opts; arg is a struct proxy_out. */
void proxy_out_request(void *arg, const struct fcgi_proxy_request_info *ri);
void proxy_out_conn_end(void *arg, const struct fcgi_proxy_conn_info *ci);
void proxy_out_tap(void *arg, const struct fcgi_proxy_tap *t);

#endif
