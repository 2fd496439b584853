/* SPDX-License-Identifier: MIT */
/* nv.c - FastCGI name-value pairs: encoder and incremental decoder. */
#include <string.h>

#include "cursor.h"
#include "internal.h"

/* FastCGI 1.0, 3.4: lengths are at most 31 bits. */
#define NV_LEN_MAX 0x7fffffffu

/* Private decoder phases (struct fcgi_nv_decoder.phase). */
enum {
	NV_LENGTHS = 0, /* gathering nameLength and valueLength */
	NV_DATA,	/* gathering nameData and valueData */
	NV_ERR_LIMIT,	/* stopped by FCGI_ELIMIT */
	NV_ERR_NOMEM	/* stopped by FCGI_ENOMEM */
};

/* Bytes of the encoding of one length. */
static size_t len_size(size_t len)
{
	return len < 128 ? 1 : 4;
}

size_t fcgi_nv_size(size_t name_len, size_t value_len)
{
	size_t n = len_size(name_len) + len_size(value_len);

	/* Saturate rather than wrap, so a limit check on the result holds. */
	if (name_len > SIZE_MAX - n)
		return SIZE_MAX;
	n += name_len;
	if (value_len > SIZE_MAX - n)
		return SIZE_MAX;
	return n + value_len;
}

/* Write one length in its FastCGI 1.0, 3.4 form; returns its size. */
static size_t put_len(uint8_t *p, size_t len)
{
	if (len < 128) {
		p[0] = (uint8_t)len;
		return 1;
	}
	p[0] = (uint8_t)(0x80u | (len >> 24));
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	return 4;
}

int fcgi_nv_encode(struct fcgi_buf *out, const void *name, size_t name_len,
		   const void *value, size_t value_len)
{
	uint8_t lens[8];
	size_t n;
	int rc;

	if (out == NULL || name_len > NV_LEN_MAX || value_len > NV_LEN_MAX ||
	    (name_len > 0 && name == NULL) || (value_len > 0 && value == NULL))
		return FCGI_EINVAL;
	/* Reserve the whole pair first so a failure appends nothing. */
	rc = fcgi_buf_reserve(out, fcgi_nv_size(name_len, value_len));
	if (rc != 0)
		return rc;
	n = put_len(lens, name_len);
	n += put_len(lens + n, value_len);
	(void)fcgi_buf_append(out, lens, n);
	(void)fcgi_buf_append(out, name, name_len);
	(void)fcgi_buf_append(out, value, value_len);
	return 0;
}

void fcgi_nv_decoder_init(struct fcgi_nv_decoder *d, const struct fcgi_mem *mem,
			  size_t max_bytes, size_t max_pairs)
{
	memset(d, 0, sizeof(*d));
	fcgi_buf_init(&d->pair, mem, 0);
	d->max_bytes = max_bytes;
	d->max_pairs = max_pairs;
	d->phase = NV_LENGTHS;
}

void fcgi_nv_decoder_fini(struct fcgi_nv_decoder *d)
{
	fcgi_buf_fini(&d->pair);
}

/*
 * Judge a pair whose lengths are now known, before a byte of it is
 * stored: start is the stream offset of the pair, hdr the size of its two
 * lengths.  Returns 0 or FCGI_ELIMIT (the decoder is then stopped).
 */
static int check_limits(struct fcgi_nv_decoder *d, size_t start, size_t hdr,
			uint32_t nlen, uint32_t vlen)
{
	size_t size = hdr;

	if ((size_t)nlen > SIZE_MAX - size)
		size = SIZE_MAX;
	else
		size += nlen;
	if (size != SIZE_MAX && (size_t)vlen > SIZE_MAX - size)
		size = SIZE_MAX;
	else if (size != SIZE_MAX)
		size += vlen;
	if ((d->max_pairs != 0 && d->pairs >= d->max_pairs) ||
	    (d->max_bytes != 0 &&
	     (size > d->max_bytes || start > d->max_bytes - size))) {
		d->phase = NV_ERR_LIMIT;
		return FCGI_ELIMIT;
	}
	return 0;
}

/* Store a finished pair in out; returns 0, FCGI_ELIMIT or FCGI_ENOMEM,
 * stopping the decoder on an error. */
static int emit(struct fcgi_nv_decoder *d, struct fcgi_params *out,
		const uint8_t *name, size_t nlen, const uint8_t *value,
		size_t vlen)
{
	int rc = fcgi_params_add(out, name, nlen, value, vlen);

	if (rc != 0) {
		d->phase = rc == FCGI_ENOMEM ? NV_ERR_NOMEM : NV_ERR_LIMIT;
		return rc;
	}
	d->pairs++;
	return 0;
}

/* The sticky error of a stopped decoder, or 0. */
static int stopped(const struct fcgi_nv_decoder *d)
{
	if (d->phase == NV_ERR_LIMIT)
		return FCGI_ELIMIT;
	if (d->phase == NV_ERR_NOMEM)
		return FCGI_ENOMEM;
	return 0;
}

/* Take length bytes one at a time until both lengths are whole; returns
 * 1 when they are, 0 when the input ran out, or a negative code. */
static int gather_lengths(struct fcgi_nv_decoder *d, struct fcgi_cursor *c)
{
	struct fcgi_cursor lc;
	uint32_t nlen, vlen;
	size_t start;

	while (cur_left(c) > 0 && d->lenbuf_have < sizeof(d->lenbuf)) {
		(void)cur_u8(c, &d->lenbuf[d->lenbuf_have]);
		d->lenbuf_have++;
		d->total++;
		/* cur_nvlen decides whether the lengths are complete. */
		cur_init(&lc, d->lenbuf, d->lenbuf_have);
		if (cur_nvlen(&lc, &nlen) != 0 || cur_nvlen(&lc, &vlen) != 0)
			continue;
		start = d->total - d->lenbuf_have;
		if (check_limits(d, start, d->lenbuf_have, nlen, vlen) != 0)
			return FCGI_ELIMIT;
		d->name_len = nlen;
		d->value_len = vlen;
		d->have = 0;
		fcgi_buf_reset(&d->pair);
		d->phase = NV_DATA;
		return 1;
	}
	return 0;
}

/* Gather name and value bytes.  The buffer grows with the bytes that
 * actually arrive, never to the declared size up front, so a peer that
 * declares 2^31-1 bytes and sends ten costs ten bytes.  Returns 1 when
 * the pair is complete and stored, 0 when the input ran out, or a
 * negative code. */
static int gather_data(struct fcgi_nv_decoder *d, struct fcgi_cursor *c,
		       struct fcgi_params *out)
{
	size_t want = (size_t)d->name_len + d->value_len - d->have;
	size_t n = want < cur_left(c) ? want : cur_left(c);
	const uint8_t *view = NULL;
	int rc;

	(void)cur_bytes(c, n, &view);
	rc = fcgi_buf_append(&d->pair, view, n);
	if (rc != 0) {
		d->phase = NV_ERR_NOMEM;
		return FCGI_ENOMEM;
	}
	d->have += n;
	d->total += n;
	if (d->have < (size_t)d->name_len + d->value_len)
		return 0;
	rc = emit(d, out, d->pair.data, d->name_len,
		  d->pair.data != NULL ? d->pair.data + d->name_len : NULL,
		  d->value_len);
	if (rc != 0)
		return rc;
	d->lenbuf_have = 0;
	d->have = 0;
	d->phase = NV_LENGTHS;
	return 1;
}

/* Decode one pair that lies whole in the input, without copying it into
 * the decoder.  Returns 1 when done, 0 when the pair is not whole (the
 * cursor is then unmoved), or a negative code. */
static int whole_pair(struct fcgi_nv_decoder *d, struct fcgi_cursor *c,
		      struct fcgi_params *out)
{
	struct fcgi_cursor t = *c;
	const uint8_t *name, *value;
	uint32_t nlen, vlen;
	size_t hdr;
	int rc;

	/* FastCGI 1.0, 3.4: nameLength, valueLength, nameData,
	 * valueData. */
	if (cur_nvlen(&t, &nlen) != 0 || cur_nvlen(&t, &vlen) != 0)
		return 0;
	hdr = (size_t)(t.p - c->p);
	rc = check_limits(d, d->total, hdr, nlen, vlen);
	if (rc != 0)
		return rc;
	if (cur_bytes(&t, nlen, &name) != 0 || cur_bytes(&t, vlen, &value) != 0)
		return 0;
	rc = emit(d, out, name, nlen, value, vlen);
	if (rc != 0)
		return rc;
	d->total += (size_t)(t.p - c->p);
	*c = t;
	return 1;
}

int fcgi_nv_decoder_feed(struct fcgi_nv_decoder *d, const uint8_t *in,
			 size_t len, struct fcgi_params *out)
{
	struct fcgi_cursor c;
	int rc;

	rc = stopped(d);
	if (rc != 0)
		return rc;
	if (len == 0)
		return 0;
	/* A pair already begun is being continued by a new feed, i.e. it
	 * straddles two records (FastCGI 1.0, 3.4 allows it; some peers
	 * do not cope, see FASTCGI.md). */
	if (d->phase == NV_DATA || d->lenbuf_have > 0)
		d->split = 1;
	cur_init(&c, in, len);
	while (cur_left(&c) > 0) {
		if (d->phase == NV_LENGTHS && d->lenbuf_have == 0) {
			rc = whole_pair(d, &c, out);
			if (rc < 0)
				return rc;
			if (rc == 1)
				continue;
		}
		if (d->phase == NV_LENGTHS)
			rc = gather_lengths(d, &c);
		else
			rc = gather_data(d, &c, out);
		if (rc < 0)
			return rc;
	}
	/* A pair whose lengths are both zero completes without data. */
	if (d->phase == NV_DATA && d->name_len == 0 && d->value_len == 0) {
		rc = gather_data(d, &c, out);
		if (rc < 0)
			return rc;
	}
	return 0;
}

int fcgi_nv_decoder_finish(const struct fcgi_nv_decoder *d)
{
	int rc = stopped(d);

	if (rc != 0)
		return rc;
	/* FastCGI 1.0, 3.4: the stream holds whole pairs only. */
	if (d->phase != NV_LENGTHS || d->lenbuf_have > 0)
		return FCGI_EPROTO;
	return 0;
}

int fcgi_nv_decode_all(const uint8_t *in, size_t len, struct fcgi_params *out,
		       size_t max_bytes, size_t max_pairs)
{
	struct fcgi_nv_decoder d;
	int rc;

	fcgi_nv_decoder_init(&d, out->mem, max_bytes, max_pairs);
	rc = fcgi_nv_decoder_feed(&d, in, len, out);
	if (rc == 0)
		rc = fcgi_nv_decoder_finish(&d);
	fcgi_nv_decoder_fini(&d);
	return rc;
}
