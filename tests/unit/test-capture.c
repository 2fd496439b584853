/* SPDX-License-Identifier: MIT */
/* test-capture.c - reading captures through libpcap (pcap/capture.c):
 * frames and their numbers, a filter, a truncated file, gzip, and files
 * that are not captures. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "capture.h"

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

/* A classic pcap of raw IPv4 frames: TCP to port 9000 and 80 in turn,
 * frame i at i seconds and i * 1000 microseconds.  Returns its size. */
static size_t write_pcap(const char *path, int frames)
{
	uint8_t hdr[24] = { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0 };
	uint8_t rec[16], f[40];
	size_t size = 24;
	FILE *fp = fopen(path, "wb");

	assert_non_null(fp);
	le32(hdr + 16, 65535);
	le32(hdr + 20, CAP_LINKTYPE_RAW);
	assert_int_equal(fwrite(hdr, 1, 24, fp), 24);
	for (int i = 0; i < frames; i++) {
		memset(f, 0, sizeof(f));
		f[0] = 0x45;
		f[3] = 40;
		f[9] = 6;
		f[22] = (uint8_t)((i % 2 ? 80 : 9000) >> 8);
		f[23] = (uint8_t)(i % 2 ? 80 : 9000);
		f[32] = 5 << 4;
		le32(rec, (uint32_t)i);
		le32(rec + 4, (uint32_t)i * 1000);
		le32(rec + 8, 40);
		le32(rec + 12, 40);
		assert_int_equal(fwrite(rec, 1, 16, fp), 16);
		assert_int_equal(fwrite(f, 1, 40, fp), 40);
		size += 56;
	}
	assert_int_equal(fclose(fp), 0);
	return size;
}

static char *tmp(const char *suffix)
{
	static char paths[4][64];
	static int next;
	char *p = paths[next++ % 4];

	snprintf(p, 64, "/tmp/test-capture.%ld%s", (long)getpid(), suffix);
	return p;
}

static void test_capture_frames(void **state)
{
	struct cap_source *s;
	struct cap_frame fr;
	char err[512];
	char *path = tmp(".pcap");
	uint64_t size = write_pcap(path, 6);
	int n = 0;

	(void)state;
	s = cap_source_file(path, NULL, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(cap_source_linktype(s), CAP_DLT_RAW);
	assert_int_equal(cap_source_size(s), size);
	while (cap_source_next(s, &fr) == 1) {
		assert_int_equal(fr.number, (uint64_t)n + 1);
		assert_int_equal(fr.caplen, 40);
		/* Frame n at n seconds and n milliseconds. */
		assert_true(fr.ts - 1.001 * n < 1e-6 &&
			    1.001 * n - fr.ts < 1e-6);
		n++;
	}
	assert_int_equal(n, 6);
	assert_int_equal(cap_source_dropped(s), 0);
	assert_int_equal(cap_source_close(s, err, sizeof(err)), 0);
	/* A filter keeps the frames' numbers in the file. */
	s = cap_source_file(path, "tcp port 80", err, sizeof(err));
	assert_non_null(s);
	n = 0;
	while (cap_source_next(s, &fr) == 1)
		assert_int_equal(fr.number, (uint64_t)2 * ++n);
	assert_int_equal(n, 3);
	assert_int_equal(cap_source_close(s, err, sizeof(err)), 0);
	assert_null(cap_source_file(path, "port port", err, sizeof(err)));
	assert_non_null(strstr(err, "bad filter 'port port'"));
	unlink(path);
}

static void test_capture_damaged(void **state)
{
	struct cap_source *s;
	struct cap_frame fr;
	char err[512], want[512];
	char *path = tmp(".pcap");
	size_t size = write_pcap(path, 3);

	(void)state;
	/* Cut inside the third frame. */
	assert_int_equal(truncate(path, (off_t)(size - 10)), 0);
	s = cap_source_file(path, NULL, err, sizeof(err));
	assert_non_null(s);
	assert_int_equal(cap_source_next(s, &fr), 1);
	assert_int_equal(cap_source_next(s, &fr), 1);
	assert_int_equal(cap_source_next(s, &fr), -1);
	snprintf(want, sizeof(want),
		 "'%s': packet 3 at offset 136: truncated dump file; tried to "
		 "read 40 captured bytes, only got 30",
		 path);
	assert_string_equal(cap_source_error(s), want);
	assert_int_equal(cap_source_close(s, err, sizeof(err)), 0);
	/* Not a capture, empty, missing. */
	assert_int_equal(truncate(path, 0), 0);
	assert_null(cap_source_file(path, NULL, err, sizeof(err)));
	snprintf(want, sizeof(want), "'%s': empty file, not a capture", path);
	assert_string_equal(err, want);
	unlink(path);
	assert_null(cap_source_file(path, NULL, err, sizeof(err)));
	snprintf(want, sizeof(want),
		 "cannot open '%s': No such file or directory", path);
	assert_string_equal(err, want);
}

static void test_capture_gzip(void **state)
{
	struct cap_source *s;
	struct cap_frame fr;
	char err[512], cmd[256];
	char *path = tmp(".pcap");
	int n = 0;

	(void)state;
	(void)write_pcap(path, 4);
	snprintf(cmd, sizeof(cmd), "gzip -f %s", path);
	if (system(cmd) != 0)
		skip();
	snprintf(cmd, sizeof(cmd), "%s.gz", path);
	s = cap_source_file(cmd, NULL, err, sizeof(err));
	assert_non_null(s);
	while (cap_source_next(s, &fr) == 1)
		n++;
	assert_int_equal(n, 4);
	assert_int_equal(cap_source_size(s), 0); /* unknown through a pipe */
	assert_int_equal(cap_source_close(s, err, sizeof(err)), 0);
	unlink(cmd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_capture_frames),
		cmocka_unit_test(test_capture_damaged),
		cmocka_unit_test(test_capture_gzip),
	};

	return cmocka_run_group_tests_name("capture", tests, NULL, NULL);
}
