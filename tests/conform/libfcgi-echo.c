/* SPDX-License-Identifier: MIT */
/*
 * libfcgi-echo.c - a libfcgi application for the conform tests, built by
 * the tests with cc ... -lfcgi: it answers every request with a CGI header
 * and the request body, byte for byte.
 */
#include <fcgiapp.h>

int main(void)
{
	static char buf[65536];
	FCGX_Request r;
	int n;

	if (FCGX_Init() != 0 || FCGX_InitRequest(&r, 0, 0) != 0)
		return 1;
	while (FCGX_Accept_r(&r) >= 0) {
		FCGX_FPrintF(r.out, "Content-Type: application/octet-stream"
				    "\r\n\r\n");
		while ((n = FCGX_GetStr(buf, sizeof(buf), r.in)) > 0)
			FCGX_PutStr(buf, n, r.out);
		FCGX_Finish_r(&r);
	}
	return 0;
}
