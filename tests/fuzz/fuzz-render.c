/* SPDX-License-Identifier: MIT */
/*
 * fuzz-render.c - libFuzzer target for the renderer, which decodes
 * name-value records as streams across records and keeps the pairs left
 * open per (label, dir, id, type).
 *
 * Input: one byte of options (body and pair limits, open_max, params
 * shown), then records, each as a byte of flags (direction; label: none,
 * "a", "b", or forget the label instead of a record), a type byte, a
 * request id byte (0 to 7, so that streams meet), a length byte and that
 * many content bytes.  Every record goes to a text renderer and a JSON
 * renderer.  Each event must be whole lines; each JSON line must be
 * one object of UTF-8 text without control bytes.  Any mismatch aborts;
 * ASan finds leaks and overruns.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fcgi.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void text_write(void *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;

	(void)ctx;
	check(len > 0 && p[len - 1] == '\n');
}

static void json_write(void *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;

	(void)ctx;
	check(len >= 3 && p[0] == '{' && p[len - 2] == '}' &&
	      p[len - 1] == '\n');
	for (size_t i = 0; i + 1 < len; i++)
		check(p[i] >= 0x20);
	check(fcgi_utf8_valid(p, len - 1));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const labels[] = { NULL, "a", "b" };
	struct fcgi_sink ts = { text_write, NULL }, js = { json_write, NULL };
	struct fcgi_render_opts o;
	struct fcgi_render *tr, *jr;
	struct fcgi_record rec;
	uint64_t offset[2] = { 0, 0 }, number[2] = { 0, 0 };
	size_t pos = 1;

	if (size < 1)
		return 0;
	fcgi_render_opts_default(&o);
	o.body_limit = (size_t)(data[0] & 3) * 8 + 1;
	o.pair_limit = (size_t)(data[0] >> 2 & 3) * 16 + 4;
	o.open_max = (size_t)(data[0] >> 4 & 3) + 1;
	o.show_params = (data[0] & 0x40) == 0;
	check(fcgi_render_new(&tr, &ts, &o) == 0);
	o.json = true;
	check(fcgi_render_new(&jr, &js, &o) == 0);
	while (size - pos >= 4) {
		uint8_t flags = data[pos], len = data[pos + 3];
		enum fcgi_dir dir =
			flags & 1 ? FCGI_DIR_TO_WEB : FCGI_DIR_TO_APP;
		const char *label = labels[(flags >> 1 & 3) % 3];

		if ((flags >> 1 & 3) == 3) {
			fcgi_render_forget(tr, labels[flags >> 3 & 1]);
			fcgi_render_forget(jr, labels[flags >> 3 & 1]);
			pos += 1;
			continue;
		}
		if (len > size - pos - 4)
			len = (uint8_t)(size - pos - 4);
		memset(&rec, 0, sizeof(rec));
		rec.h.version = 1;
		rec.h.type = data[pos + 1] % 16;
		rec.h.request_id = data[pos + 2] & 7;
		rec.h.content_length = len;
		rec.content = data + pos + 4;
		rec.offset = offset[dir];
		rec.number = ++number[dir];
		offset[dir] += 8u + len;
		fcgi_render_record(tr, label, -1, dir, &rec);
		fcgi_render_record(jr, label, (double)pos, dir, &rec);
		pos += 4u + len;
	}
	fcgi_render_free(tr);
	fcgi_render_free(jr);
	return 0;
}
