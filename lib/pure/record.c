/* SPDX-License-Identifier: MIT */
/* record.c - FastCGI record headers, fixed bodies and the record decoder. */
#include <stdio.h>
#include <string.h>

#include "cursor.h"
#include "internal.h"

/* Private decoder phases (struct fcgi_decoder.phase). */
enum {
	PH_HEADER = 0, /* gathering the 8 header bytes */
	PH_CONTENT,    /* gathering contentData */
	PH_PADDING,    /* skipping paddingData */
	PH_STOPPED     /* a fatal error; no more input is taken */
};

/* Stands in for the content of empty records, so content is never NULL. */
static const uint8_t empty_content[1];

int fcgi_header_decode(struct fcgi_header *h, const uint8_t *in, size_t len)
{
	struct fcgi_cursor c;

	if (len < FCGI_HEADER_LEN)
		return FCGI_EPARTIAL;
	/* FastCGI 1.0, 3.3: version, type, requestIdB1/B0,
	 * contentLengthB1/B0, paddingLength, reserved.  The length check
	 * above makes every read below succeed. */
	cur_init(&c, in, len);
	(void)cur_u8(&c, &h->version);
	(void)cur_u8(&c, &h->type);
	(void)cur_be16(&c, &h->request_id);
	(void)cur_be16(&c, &h->content_length);
	(void)cur_u8(&c, &h->padding_length);
	(void)cur_u8(&c, &h->reserved);
	return 0;
}

void fcgi_header_encode(uint8_t out[FCGI_HEADER_LEN],
			const struct fcgi_header *h)
{
	out[0] = h->version;
	out[1] = h->type;
	out[2] = (uint8_t)(h->request_id >> 8);
	out[3] = (uint8_t)h->request_id;
	out[4] = (uint8_t)(h->content_length >> 8);
	out[5] = (uint8_t)h->content_length;
	out[6] = h->padding_length;
	out[7] = h->reserved;
}

uint8_t fcgi_padding_for(size_t content_length, unsigned align)
{
	size_t rem;

	if (align <= 1 || align > 256)
		return 0;
	rem = (FCGI_HEADER_LEN + content_length % align) % align;
	return (uint8_t)(rem == 0 ? 0 : align - rem);
}

int fcgi_record_encode(struct fcgi_buf *out, uint8_t type, uint16_t id,
		       const void *content, size_t len)
{
	/* FastCGI 1.0, 3.3: "We recommend that records be placed on
	 * boundaries that are multiples of eight bytes." */
	return fcgi_record_encode_padded(out, type, id, content, len,
					 fcgi_padding_for(len, 8));
}

int fcgi_record_encode_padded(struct fcgi_buf *out, uint8_t type, uint16_t id,
			      const void *content, size_t len, uint8_t padding)
{
	static const uint8_t zeros[FCGI_MAX_PADDING];
	struct fcgi_header h;
	uint8_t hdr[FCGI_HEADER_LEN];
	int rc;

	/* FastCGI 1.0, 3.3: contentLength is a 16-bit field. */
	if (out == NULL || len > FCGI_MAX_CONTENT ||
	    (len > 0 && content == NULL))
		return FCGI_EINVAL;
	/* Reserve first so that a failure appends nothing at all. */
	rc = fcgi_buf_reserve(out, FCGI_HEADER_LEN + len + padding);
	if (rc != 0)
		return rc;
	h.version = FCGI_VERSION_1;
	h.type = type;
	h.request_id = id;
	h.content_length = (uint16_t)len;
	h.padding_length = padding;
	h.reserved = 0;
	fcgi_header_encode(hdr, &h);
	(void)fcgi_buf_append(out, hdr, sizeof(hdr));
	(void)fcgi_buf_append(out, content, len);
	(void)fcgi_buf_append(out, zeros, padding);
	return 0;
}

void fcgi_begin_body_encode(uint8_t out[8], const struct fcgi_begin_body *b)
{
	/* FastCGI 1.0, 5.1: roleB1, roleB0, flags, reserved[5]. */
	memset(out, 0, 8);
	out[0] = (uint8_t)(b->role >> 8);
	out[1] = (uint8_t)b->role;
	out[2] = b->flags;
}

void fcgi_end_body_encode(uint8_t out[8], const struct fcgi_end_body *b)
{
	/* FastCGI 1.0, 5.5: appStatusB3..B0, protocolStatus, reserved[3]. */
	memset(out, 0, 8);
	out[0] = (uint8_t)(b->app_status >> 24);
	out[1] = (uint8_t)(b->app_status >> 16);
	out[2] = (uint8_t)(b->app_status >> 8);
	out[3] = (uint8_t)b->app_status;
	out[4] = b->protocol_status;
}

void fcgi_unknown_body_encode(uint8_t out[8], uint8_t type)
{
	/* FastCGI 1.0, 4.2: type, reserved[7]. */
	memset(out, 0, 8);
	out[0] = type;
}

int fcgi_begin_body_decode(struct fcgi_begin_body *b, const uint8_t *in,
			   size_t len)
{
	struct fcgi_cursor c;

	/* FastCGI 1.0, 5.1: the body is exactly 8 bytes; reserved bytes are
	 * not judged here. */
	if (len != 8)
		return FCGI_EPROTO;
	cur_init(&c, in, len);
	if (cur_be16(&c, &b->role) != 0 || cur_u8(&c, &b->flags) != 0)
		return FCGI_EPROTO;
	return 0;
}

int fcgi_end_body_decode(struct fcgi_end_body *b, const uint8_t *in, size_t len)
{
	struct fcgi_cursor c;

	/* FastCGI 1.0, 5.5: the body is exactly 8 bytes. */
	if (len != 8)
		return FCGI_EPROTO;
	cur_init(&c, in, len);
	if (cur_be32(&c, &b->app_status) != 0 ||
	    cur_u8(&c, &b->protocol_status) != 0)
		return FCGI_EPROTO;
	return 0;
}

int fcgi_unknown_body_decode(uint8_t *type, const uint8_t *in, size_t len)
{
	struct fcgi_cursor c;

	/* FastCGI 1.0, 4.2: the body is exactly 8 bytes. */
	if (len != 8)
		return FCGI_EPROTO;
	cur_init(&c, in, len);
	return cur_u8(&c, type) != 0 ? FCGI_EPROTO : 0;
}

/* ---- incremental decoder ------------------------------------------- */

void fcgi_decoder_init(struct fcgi_decoder *d, const struct fcgi_mem *mem)
{
	memset(d, 0, sizeof(*d));
	d->mem = mem;
	/* At most one record's content is ever held (FastCGI 1.0, 3.3:
	 * contentLength is 16 bits); padding is counted, never stored. */
	fcgi_buf_init(&d->content, mem, FCGI_MAX_CONTENT);
	d->state = FCGI_DEC_OK;
	d->phase = PH_HEADER;
}

void fcgi_decoder_fini(struct fcgi_decoder *d)
{
	fcgi_buf_fini(&d->content);
}

/* Fill *rec from the record just completed in the decoder's own storage
 * and get ready for the next header; returns 1 (a record). */
static int yield_buffered(struct fcgi_decoder *d, struct fcgi_record *rec)
{
	rec->h = d->h;
	rec->content =
		d->h.content_length > 0 ? d->content.data : empty_content;
	rec->offset = d->rec_offset;
	rec->number = ++d->records;
	d->hdr_have = 0;
	d->phase = PH_HEADER;
	return 1;
}

/* How many of the avail bytes to take when need more are wanted. */
static size_t take(size_t need, size_t avail)
{
	return need < avail ? need : avail;
}

int fcgi_decoder_feed(struct fcgi_decoder *d, const uint8_t *in, size_t len,
		      size_t *consumed, struct fcgi_record *rec)
{
	struct fcgi_cursor c;
	const uint8_t *view = NULL;
	size_t n;
	int rc;

	*consumed = 0;
	if (d->phase == PH_STOPPED)
		return FCGI_EPROTO;
	/* fcgi_decoder_finish() spoke too early: more input did come. */
	d->state = FCGI_DEC_OK;
	if (in == NULL)
		in = empty_content; /* no arithmetic on a null pointer */
	cur_init(&c, in, len);
	for (;;) {
		switch (d->phase) {
		case PH_HEADER:
			if (d->hdr_have == 0) {
				if (cur_left(&c) == 0)
					goto out_all;
				d->rec_offset = d->offset;
				/* FastCGI 1.0, 3.3: version is FCGI_VERSION_1.
				 * Judged on the first byte, so that e.g. an
				 * HTTP request sent to a FastCGI port is named
				 * at once rather than as a short header. */
				if (c.p[0] != FCGI_VERSION_1) {
					(void)cur_u8(&c, &d->hdr[0]);
					d->hdr_have = 1;
					d->offset++;
					d->state = FCGI_DEC_BAD_VERSION;
					d->phase = PH_STOPPED;
					*consumed = (size_t)(c.p - in);
					return FCGI_EPROTO;
				}
				/* A whole record in the input: no copy. */
				if (fcgi_header_decode(&d->h, c.p,
						       cur_left(&c)) == 0 &&
				    cur_left(&c) - FCGI_HEADER_LEN >=
					    (size_t)d->h.content_length +
						    d->h.padding_length) {
					(void)cur_skip(&c, FCGI_HEADER_LEN);
					(void)cur_bytes(&c, d->h.content_length,
							&view);
					(void)cur_skip(&c, d->h.padding_length);
					d->offset +=
						FCGI_HEADER_LEN +
						(size_t)d->h.content_length +
						d->h.padding_length;
					rec->h = d->h;
					rec->content = view;
					rec->offset = d->rec_offset;
					rec->number = ++d->records;
					*consumed = (size_t)(c.p - in);
					return 1;
				}
			}
			n = take(FCGI_HEADER_LEN - d->hdr_have, cur_left(&c));
			if (cur_bytes(&c, n, &view) != 0)
				return FCGI_EPROTO; /* cannot happen */
			memcpy(d->hdr + d->hdr_have, view, n);
			d->hdr_have += n;
			d->offset += n;
			if (d->hdr_have < FCGI_HEADER_LEN)
				goto out_all;
			(void)fcgi_header_decode(&d->h, d->hdr, d->hdr_have);
			fcgi_buf_reset(&d->content);
			rc = fcgi_buf_reserve(&d->content, d->h.content_length);
			if (rc != 0) {
				/* The header stays gathered; a later call
				 * with the rest of the input retries. */
				*consumed = (size_t)(c.p - in);
				return rc == FCGI_ELIMIT ? FCGI_EPROTO : rc;
			}
			d->content_have = 0;
			d->pad_have = 0;
			d->phase = PH_CONTENT;
			break;
		case PH_CONTENT:
			n = take(d->h.content_length - d->content_have,
				 cur_left(&c));
			if (cur_bytes(&c, n, &view) != 0)
				return FCGI_EPROTO; /* cannot happen */
			/* Reserved above: this append cannot fail. */
			(void)fcgi_buf_append(&d->content, view, n);
			d->content_have += n;
			d->offset += n;
			if (d->content_have < d->h.content_length)
				goto out_all;
			d->phase = PH_PADDING;
			break;
		case PH_PADDING:
			/* FastCGI 1.0, 3.3: the receiver ignores
			 * paddingData; it is counted, not kept. */
			n = take(d->h.padding_length - d->pad_have,
				 cur_left(&c));
			(void)cur_skip(&c, n);
			d->pad_have += n;
			d->offset += n;
			if (d->pad_have < d->h.padding_length)
				goto out_all;
			*consumed = (size_t)(c.p - in);
			return yield_buffered(d, rec);
		default:
			return FCGI_EPROTO;
		}
	}
out_all:
	*consumed = (size_t)(c.p - in);
	return 0;
}

void fcgi_decoder_skip(struct fcgi_decoder *d, uint64_t len)
{
	/* The bytes of a partial record are dropped: what follows the
	 * skipped ones is read as a new header. */
	d->hdr_have = 0;
	d->content_have = 0;
	d->pad_have = 0;
	fcgi_buf_reset(&d->content);
	d->offset += len;
	d->rec_offset = d->offset;
	d->state = FCGI_DEC_OK;
	d->phase = PH_HEADER;
}

int fcgi_decoder_finish(struct fcgi_decoder *d)
{
	if (d->phase == PH_STOPPED)
		return FCGI_EPROTO;
	switch (d->phase) {
	case PH_HEADER:
		if (d->hdr_have == 0) {
			d->state = FCGI_DEC_OK;
			return 0;
		}
		if (d->hdr_have < FCGI_HEADER_LEN) {
			d->state = FCGI_DEC_TRUNC_HEADER;
			return FCGI_EPROTO;
		}
		/* A whole header whose content buffer could not be
		 * allocated: nothing of the content arrived. */
		(void)fcgi_header_decode(&d->h, d->hdr, d->hdr_have);
		d->content_have = 0;
		d->pad_have = 0;
		d->state = d->h.content_length > 0 ? FCGI_DEC_TRUNC_CONTENT
						   : FCGI_DEC_TRUNC_PADDING;
		return FCGI_EPROTO;
	case PH_CONTENT:
		d->state = FCGI_DEC_TRUNC_CONTENT;
		return FCGI_EPROTO;
	default:
		d->state = FCGI_DEC_TRUNC_PADDING;
		return FCGI_EPROTO;
	}
}

const char *fcgi_decoder_error(const struct fcgi_decoder *d, char *msg,
			       size_t n)
{
	unsigned long long off = d->rec_offset;
	unsigned long long num = d->records + 1;

	if (msg == NULL || n == 0)
		return msg;
	switch (d->state) {
	case FCGI_DEC_BAD_VERSION:
		snprintf(msg, n, "bad version %u at offset %llu (record %llu)",
			 (unsigned)d->hdr[0], off, num);
		break;
	case FCGI_DEC_TRUNC_HEADER:
		snprintf(msg, n,
			 "truncated header: %zu of %d bytes at offset %llu "
			 "(record %llu)",
			 d->hdr_have, FCGI_HEADER_LEN, off, num);
		break;
	case FCGI_DEC_TRUNC_CONTENT:
		snprintf(msg, n,
			 "truncated content: %zu of %u bytes at offset %llu "
			 "(record %llu)",
			 d->content_have, (unsigned)d->h.content_length, off,
			 num);
		break;
	case FCGI_DEC_TRUNC_PADDING:
		snprintf(msg, n,
			 "truncated padding: %zu of %u bytes at offset %llu "
			 "(record %llu)",
			 d->pad_have, (unsigned)d->h.padding_length, off, num);
		break;
	default:
		snprintf(msg, n, "no error");
		break;
	}
	return msg;
}
