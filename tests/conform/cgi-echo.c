/* SPDX-License-Identifier: MIT */
/*
 * cgi-echo.c - a CGI program for the conform tests under fcgiwrap: it
 * reads the whole body (CONTENT_LENGTH bytes, or to the end without it)
 * before it writes, because fcgiwrap feeds the body before it reads the
 * output, then answers it back after a CGI header.
 */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
	const char *cl = getenv("CONTENT_LENGTH");
	size_t want = cl != NULL && *cl != '\0' ? strtoul(cl, NULL, 10) : 0;
	size_t have = 0, cap = 65536;
	char *buf = malloc(cap);
	size_t n;

	if (buf == NULL)
		return 1;
	while (have < want) {
		if (have == cap) {
			char *nb = realloc(buf, cap * 2);

			if (nb == NULL)
				return 1;
			buf = nb;
			cap *= 2;
		}
		n = fread(buf + have, 1,
			  (want - have < cap - have ? want - have : cap - have),
			  stdin);
		if (n == 0)
			break;
		have += n;
	}
	printf("Content-Type: application/octet-stream\r\n\r\n");
	fwrite(buf, 1, have, stdout);
	free(buf);
	return 0;
}
