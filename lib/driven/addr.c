/* SPDX-License-Identifier: MIT */
/*
 * addr.c - the one address syntax (DESIGN.md, Addresses): unix:/path or a
 * path containing '/', host:port, [v6addr]:port, :port for loopback.
 * Parsing only; io.c resolves host names and binds.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "driven.h"

/* Write "<what> '<text>'<tail>" (or just what) into err; FCGI_EADDR. */
static int fail(char *err, size_t errlen, const char *what, const char *text,
		const char *tail)
{
	if (err == NULL || errlen == 0)
		return FCGI_EADDR;
	if (text != NULL)
		snprintf(err, errlen, "%s '%s'%s", what, text, tail);
	else
		snprintf(err, errlen, "%s", what);
	return FCGI_EADDR;
}

/* Parse a decimal port 0..65535 from s[0..n). */
static int parse_port(const char *s, size_t n, uint16_t *port)
{
	unsigned long v = 0;
	size_t i;

	if (n == 0 || n > 5)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (unsigned long)(s[i] - '0');
	}
	if (v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

int fcgi_addr_parse(struct fcgi_addr *a, const char *text, char *err,
		    size_t errlen)
{
	const char *colon, *host, *close;
	size_t hostlen, len;
	unsigned char tmp[16];

	memset(a, 0, sizeof(*a));
	if (text == NULL || *text == '\0')
		return fail(err, errlen, "empty address", NULL, "");
	len = strlen(text);
	if (strncmp(text, "unix:", 5) == 0 || strchr(text, '/') != NULL) {
		const char *path =
			strncmp(text, "unix:", 5) == 0 ? text + 5 : text;
		if (*path == '\0')
			return fail(err, errlen, "empty unix socket path", NULL,
				    "");
		if (strlen(path) >= sizeof(a->path))
			return fail(err, errlen,
				    "unix socket path too long (at most 107 "
				    "bytes)",
				    NULL, "");
		a->family = AF_UNIX;
		memcpy(a->path, path, strlen(path) + 1);
		return 0;
	}
	if (text[0] == '[') {
		close = strchr(text, ']');
		if (close == NULL)
			return fail(err, errlen, "missing ']' in", text, "");
		host = text + 1;
		hostlen = (size_t)(close - host);
		if (close[1] != ':')
			return fail(err, errlen, "missing port in", text, "");
		colon = close + 1;
	} else {
		colon = strrchr(text, ':');
		if (colon == NULL)
			return fail(err, errlen, "missing port in", text,
				    " (use HOST:PORT, :PORT or a socket "
				    "path)");
		if (memchr(text, ':', (size_t)(colon - text)) != NULL)
			return fail(err, errlen,
				    "IPv6 address needs brackets in", text,
				    " (like [::1]:9000)");
		host = text;
		hostlen = (size_t)(colon - text);
	}
	if (parse_port(colon + 1, len - (size_t)(colon + 1 - text), &a->port) !=
	    0)
		return fail(err, errlen, "bad port in", text, " (0 to 65535)");
	if (hostlen == 0) {
		if (text[0] == '[')
			return fail(err, errlen, "empty host in", text, "");
		memcpy(a->host, "127.0.0.1", sizeof("127.0.0.1"));
		a->family = AF_INET;
		return 0;
	}
	if (hostlen >= sizeof(a->host))
		return fail(err, errlen, "host name too long in", text, "");
	memcpy(a->host, host, hostlen);
	a->host[hostlen] = '\0';
	if (text[0] == '[') {
		if (inet_pton(AF_INET6, a->host, tmp) != 1)
			return fail(err, errlen, "bad IPv6 address in", text,
				    "");
		a->family = AF_INET6;
	} else if (inet_pton(AF_INET, a->host, tmp) == 1) {
		a->family = AF_INET;
	} else {
		a->family = AF_UNSPEC; /* a name, resolved when used */
	}
	return 0;
}

const char *fcgi_addr_format(const struct fcgi_addr *a, char *out, size_t n)
{
	if (n == 0)
		return out;
	if (a->family == AF_UNIX)
		snprintf(out, n, "unix:%s", a->path);
	else if (a->family == AF_INET6)
		snprintf(out, n, "[%s]:%u", a->host, (unsigned)a->port);
	else
		snprintf(out, n, "%s:%u", a->host, (unsigned)a->port);
	return out;
}
