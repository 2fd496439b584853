/* SPDX-License-Identifier: MIT */
/*
 * fcgi.h - libfcgitool's pure half, a FastCGI 1.0 library: record codec,
 * name-value pairs, params, the per-connection conversation state machine
 * (struct fcgi_conn), the CGI response reader and the renderer.
 *
 * Conventions: functions return 0 (or a count) on success and a negative
 * FCGI_E* code on failure.  Byte strings are (pointer, length) pairs and may
 * hold NUL or non-UTF-8 bytes.  Nothing here exits, prints, reads a clock
 * or the environment, or touches a file or socket: the renderer writes
 * through a sink the caller gives it (struct fcgi_sink).
 *
 * This header is the pure half and needs no libuv; fcgi-uv.h, the driven
 * half (addresses, client, server, runners, proxy), includes it.
 */
#ifndef FCGI_H
#define FCGI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------------ */
/* Protocol constants (FastCGI 1.0, section 8)                         */
/* ------------------------------------------------------------------ */

#define FCGI_VERSION_1 1
#define FCGI_HEADER_LEN 8
#define FCGI_MAX_CONTENT 65535
#define FCGI_MAX_PADDING 255
#define FCGI_NULL_REQUEST_ID 0
/* Largest stream chunk a sender puts in one record: 65528 is a multiple
 * of 8, so no padding is needed and contentLength + paddingLength stays
 * within 65535, which PHP-FPM requires. */
#define FCGI_CHUNK_MAX 65528

enum fcgi_type {
	FCGI_BEGIN_REQUEST = 1,
	FCGI_ABORT_REQUEST = 2,
	FCGI_END_REQUEST = 3,
	FCGI_PARAMS = 4,
	FCGI_STDIN = 5,
	FCGI_STDOUT = 6,
	FCGI_STDERR = 7,
	FCGI_DATA = 8,
	FCGI_GET_VALUES = 9,
	FCGI_GET_VALUES_RESULT = 10,
	FCGI_UNKNOWN_TYPE = 11,
	FCGI_MAXTYPE = FCGI_UNKNOWN_TYPE
};

enum fcgi_role { FCGI_RESPONDER = 1, FCGI_AUTHORIZER = 2, FCGI_FILTER = 3 };

#define FCGI_KEEP_CONN 1

enum fcgi_protocol_status {
	FCGI_REQUEST_COMPLETE = 0,
	FCGI_CANT_MPX_CONN = 1,
	FCGI_OVERLOADED = 2,
	FCGI_UNKNOWN_ROLE = 3
};

/* Names from the spec without the FCGI_ prefix ("BEGIN_REQUEST",
 * "RESPONDER", "REQUEST_COMPLETE"), or NULL for a value the spec does not
 * define. */
const char *fcgi_type_name(unsigned type);
const char *fcgi_role_name(unsigned role);
const char *fcgi_pstatus_name(unsigned pstatus);
/* The reverse lookups, case-insensitive, with or without "FCGI_";
 * return the value or -1. */
int fcgi_type_lookup(const char *name);
int fcgi_role_lookup(const char *name);
int fcgi_pstatus_lookup(const char *name);
/* 1 for the management types (GET_VALUES, GET_VALUES_RESULT,
 * UNKNOWN_TYPE), 0 otherwise. */
int fcgi_type_is_management(unsigned type);

/* ------------------------------------------------------------------ */
/* Errors                                                              */
/* ------------------------------------------------------------------ */

enum fcgi_error {
	FCGI_OK = 0,
	FCGI_EPARTIAL = -1, /* more input needed; nothing was consumed */
	FCGI_EPROTO = -2,   /* the input breaks the protocol */
	FCGI_ENOMEM = -3,   /* an allocation failed */
	FCGI_ELIMIT = -4,   /* a configured limit would be exceeded */
	FCGI_EINVAL = -5,   /* a bad argument from the caller */
	FCGI_EIO = -6,	    /* a read or write failed */
	FCGI_ETIMEDOUT = -7,
	FCGI_ECLOSED = -8,  /* the peer closed the connection */
	FCGI_ECONNECT = -9, /* connecting failed */
	FCGI_EADDR = -10,   /* an address could not be parsed or bound */
	FCGI_ESTATE = -11,  /* the call does not fit the conversation's state */
	FCGI_ECANCELED = -12
};

/* A static description of an FCGI_E* code; never NULL. */
const char *fcgi_strerror(int code);

/* ------------------------------------------------------------------ */
/* Memory                                                              */
/* ------------------------------------------------------------------ */

/* Allocator hook.  A NULL struct fcgi_mem pointer anywhere means the C
 * library's malloc/realloc/free.  realloc must behave like realloc(3). */
struct fcgi_mem {
	void *(*malloc)(size_t size, void *ud);
	void *(*realloc)(void *ptr, size_t size, void *ud);
	void (*free)(void *ptr, void *ud);
	void *ud;
};

void *fcgi_mem_malloc(const struct fcgi_mem *mem, size_t size);
void *fcgi_mem_realloc(const struct fcgi_mem *mem, void *ptr, size_t size);
void fcgi_mem_free(const struct fcgi_mem *mem, void *ptr);

/* ------------------------------------------------------------------ */
/* Growable byte buffer                                                */
/* ------------------------------------------------------------------ */

/* data[0..len) holds bytes; max, if non-zero, caps len (FCGI_ELIMIT). */
struct fcgi_buf {
	uint8_t *data;
	size_t len;
	size_t cap;
	size_t max;
	const struct fcgi_mem *mem;
};

void fcgi_buf_init(struct fcgi_buf *b, const struct fcgi_mem *mem, size_t max);
/* Ensure room for n more bytes.  0, FCGI_ENOMEM or FCGI_ELIMIT. */
int fcgi_buf_reserve(struct fcgi_buf *b, size_t n);
int fcgi_buf_append(struct fcgi_buf *b, const void *p, size_t n);
int fcgi_buf_append_u8(struct fcgi_buf *b, uint8_t v);
/* Drop the first n bytes (n <= len). */
void fcgi_buf_consume(struct fcgi_buf *b, size_t n);
void fcgi_buf_reset(struct fcgi_buf *b); /* len = 0, memory kept */
void fcgi_buf_fini(struct fcgi_buf *b);

/* ------------------------------------------------------------------ */
/* Limits                                                              */
/* ------------------------------------------------------------------ */

struct fcgi_limits {
	size_t params_max_bytes;  /* encoded bytes of one PARAMS stream */
	size_t params_max_pairs;  /* pairs in one PARAMS stream */
	size_t values_max_bytes;  /* GET_VALUES(_RESULT) content */
	size_t headers_max_bytes; /* CGI response header block */
	unsigned max_requests;	  /* request ids active at once per conn */
};

/* Defaults: 1 MiB and 8192 pairs of params, 64 KiB of values, 64 KiB of
 * CGI headers, 1024 active requests. */
void fcgi_limits_default(struct fcgi_limits *l);

/* ------------------------------------------------------------------ */
/* Record codec (pure)                                                 */
/* ------------------------------------------------------------------ */

struct fcgi_header {
	uint8_t version;
	uint8_t type;
	uint16_t request_id;
	uint16_t content_length;
	uint8_t padding_length;
	uint8_t reserved;
};

/* Decode 8 header bytes.  0, or FCGI_EPARTIAL if len < 8.  Does not judge
 * the fields. */
int fcgi_header_decode(struct fcgi_header *h, const uint8_t *in, size_t len);
void fcgi_header_encode(uint8_t out[FCGI_HEADER_LEN],
			const struct fcgi_header *h);

/* Padding that brings 8 + content_length to a multiple of align (a power
 * of two from 1 to 256); align 0 or 1 means none. */
uint8_t fcgi_padding_for(size_t content_length, unsigned align);

/* Append one record to out: header, content, then padding (zero bytes) to
 * a multiple of 8.  len must be <= 65535.  0, FCGI_EINVAL, FCGI_ENOMEM or
 * FCGI_ELIMIT. */
int fcgi_record_encode(struct fcgi_buf *out, uint8_t type, uint16_t id,
		       const void *content, size_t len);
/* The same with explicit padding length (0..255), for crafting records. */
int fcgi_record_encode_padded(struct fcgi_buf *out, uint8_t type, uint16_t id,
			      const void *content, size_t len, uint8_t padding);

/* Fixed bodies (8 bytes each). */
struct fcgi_begin_body {
	uint16_t role;
	uint8_t flags;
};
struct fcgi_end_body {
	uint32_t app_status;
	uint8_t protocol_status;
};
void fcgi_begin_body_encode(uint8_t out[8], const struct fcgi_begin_body *b);
void fcgi_end_body_encode(uint8_t out[8], const struct fcgi_end_body *b);
void fcgi_unknown_body_encode(uint8_t out[8], uint8_t type);
/* 0, or FCGI_EPROTO if len != 8. */
int fcgi_begin_body_decode(struct fcgi_begin_body *b, const uint8_t *in,
			   size_t len);
int fcgi_end_body_decode(struct fcgi_end_body *b, const uint8_t *in,
			 size_t len);
int fcgi_unknown_body_decode(uint8_t *type, const uint8_t *in, size_t len);

/* A decoded record.  content is valid until the next call on the decoder
 * that produced it (it may point into the caller's input or into the
 * decoder's own buffer). */
struct fcgi_record {
	struct fcgi_header h;
	const uint8_t *content;
	uint64_t offset; /* stream offset of the header's first byte */
	uint64_t number; /* 1-based record count in this stream */
};

/* Why a decoder stopped; see fcgi_decoder_error(). */
enum fcgi_decoder_state {
	FCGI_DEC_OK = 0,
	FCGI_DEC_BAD_VERSION,	/* fatal: the stream is not FastCGI 1 */
	FCGI_DEC_TRUNC_HEADER,	/* at end of input */
	FCGI_DEC_TRUNC_CONTENT, /* at end of input */
	FCGI_DEC_TRUNC_PADDING	/* at end of input */
};

/* Incremental record decoder: takes bytes in chunks of any size and yields
 * whole records.  It buffers at most one partial record (8 + 65535 + 255
 * bytes); a record that arrives whole in the input is not copied. */
struct fcgi_decoder {
	const struct fcgi_mem *mem;
	uint8_t hdr[FCGI_HEADER_LEN];
	size_t hdr_have;
	struct fcgi_header h;
	struct fcgi_buf content;
	size_t content_have;
	size_t pad_have;
	uint64_t offset;  /* bytes consumed so far */
	uint64_t records; /* records yielded so far */
	uint64_t rec_offset;
	int state; /* enum fcgi_decoder_state */
	int phase; /* private */
};

void fcgi_decoder_init(struct fcgi_decoder *d, const struct fcgi_mem *mem);
void fcgi_decoder_fini(struct fcgi_decoder *d);
/*
 * Consume bytes from in[0..len).  Returns 1 when a record is complete
 * (*rec filled, *consumed bytes used, which may be fewer than len: call
 * again with the rest), 0 when all input was consumed without completing a
 * record, or a negative code: FCGI_EPROTO (bad version, judged on the
 * header's first byte; the decoder is stopped, *consumed counts up to and
 * including that byte, fcgi_decoder_error() says why, and later feeds
 * return FCGI_EPROTO), FCGI_ENOMEM (*consumed bytes were taken; calling
 * again with the rest retries).
 */
int fcgi_decoder_feed(struct fcgi_decoder *d, const uint8_t *in, size_t len,
		      size_t *consumed, struct fcgi_record *rec);
/* Some bytes of the stream will never come (lost from a capture, or
 * skipped to find a record header): drop a partial record, count len
 * more bytes in the offset, and read the next byte fed as the start of a
 * header.  A decoder stopped by a bad version decodes again. */
void fcgi_decoder_skip(struct fcgi_decoder *d, uint64_t len);
/* At end of input: 0 if the decoder stopped between records, otherwise
 * FCGI_EPROTO with the state set to one of the TRUNC_* values. */
int fcgi_decoder_finish(struct fcgi_decoder *d);
/* Explain the decoder's state in msg, e.g. "truncated content: 100 of 2000
 * bytes at offset 16 (record 2)" or "bad version 3 at offset 0 (record
 * 1)".  Returns msg. */
const char *fcgi_decoder_error(const struct fcgi_decoder *d, char *msg,
			       size_t n);

/* ------------------------------------------------------------------ */
/* Name-value pairs and params (pure)                                  */
/* ------------------------------------------------------------------ */

/* A view of one pair; pointers borrow the owner's memory. */
struct fcgi_nv {
	const uint8_t *name;
	size_t name_len;
	const uint8_t *value;
	size_t value_len;
};

/* Append one pair (FastCGI 1.0, 3.4): 1-byte lengths below 128, else 4
 * bytes with the top bit set.  FCGI_EINVAL if a length exceeds 2^31-1. */
int fcgi_nv_encode(struct fcgi_buf *out, const void *name, size_t name_len,
		   const void *value, size_t value_len);
/* Size of the encoding of one pair. */
size_t fcgi_nv_size(size_t name_len, size_t value_len);

/* Ordered params: duplicates kept, bytes copied in. */
struct fcgi_params {
	const struct fcgi_mem *mem;
	struct fcgi_buf store; /* name and value bytes */
	struct fcgi_params_ent *ent;
	size_t n, cap;
	size_t max_bytes; /* 0 = no limit on stored name+value bytes */
	size_t max_pairs; /* 0 = no limit */
};

void fcgi_params_init(struct fcgi_params *p, const struct fcgi_mem *mem);
void fcgi_params_fini(struct fcgi_params *p);
void fcgi_params_clear(struct fcgi_params *p);
/* Copy in one pair at the end.  0, FCGI_ENOMEM, FCGI_ELIMIT. */
int fcgi_params_add(struct fcgi_params *p, const void *name, size_t name_len,
		    const void *value, size_t value_len);
/* Make dst a copy of src (dst's limits apply; what it held goes).  0,
 * FCGI_ENOMEM, FCGI_ELIMIT (dst is then empty), FCGI_EINVAL. */
int fcgi_params_copy(struct fcgi_params *dst, const struct fcgi_params *src);
/* Remove every pair with this name, then add one.  Where the first one
 * was, if any; else at the end. */
int fcgi_params_set(struct fcgi_params *p, const void *name, size_t name_len,
		    const void *value, size_t value_len);
/* Remove every pair with this name; returns how many were removed. */
size_t fcgi_params_del(struct fcgi_params *p, const void *name,
		       size_t name_len);
/* The first pair with this name: 1 and *out filled, or 0. */
int fcgi_params_get(const struct fcgi_params *p, const void *name,
		    size_t name_len, struct fcgi_nv *out);
/* The same for a NUL-terminated name. */
int fcgi_params_gets(const struct fcgi_params *p, const char *name,
		     struct fcgi_nv *out);
size_t fcgi_params_count(const struct fcgi_params *p);
/* Pair i in order (i < count); views are valid until the params change. */
void fcgi_params_at(const struct fcgi_params *p, size_t i, struct fcgi_nv *out);
/* Append every pair, encoded, to out. */
int fcgi_params_encode(const struct fcgi_params *p, struct fcgi_buf *out);

/* Incremental name-value decoder over a stream split into records at any
 * byte, including inside a 4-byte length.  Limits are checked against the
 * declared lengths before anything is allocated. */
struct fcgi_nv_decoder {
	uint8_t lenbuf[8];
	size_t lenbuf_have;
	uint32_t name_len, value_len;
	size_t have; /* bytes of name+value gathered */
	struct fcgi_buf pair;
	size_t total;	  /* encoded bytes consumed */
	size_t max_bytes; /* 0 = unlimited */
	size_t max_pairs; /* 0 = unlimited */
	size_t pairs;
	int phase;
	int split; /* a pair was split across feeds (records) */
};

void fcgi_nv_decoder_init(struct fcgi_nv_decoder *d, const struct fcgi_mem *mem,
			  size_t max_bytes, size_t max_pairs);
void fcgi_nv_decoder_fini(struct fcgi_nv_decoder *d);
/* Decode in[0..len), appending whole pairs to out.  0, FCGI_ELIMIT (a
 * declared length or the pair count exceeds a limit), FCGI_ENOMEM. */
int fcgi_nv_decoder_feed(struct fcgi_nv_decoder *d, const uint8_t *in,
			 size_t len, struct fcgi_params *out);
/* At end of stream: 0, or FCGI_EPROTO if a pair is incomplete.  After a
 * feed failed, feed and finish keep returning that error. */
int fcgi_nv_decoder_finish(const struct fcgi_nv_decoder *d);
/* Decode a complete buffer in one go. */
int fcgi_nv_decode_all(const uint8_t *in, size_t len, struct fcgi_params *out,
		       size_t max_bytes, size_t max_pairs);

/* ------------------------------------------------------------------ */
/* Violations                                                          */
/* ------------------------------------------------------------------ */

enum fcgi_severity {
	FCGI_SEV_SPEC = 1, /* breaks FastCGI 1.0 */
	FCGI_SEV_INTEROP =
		2,	  /* legal, but a real peer rejects or misreads it */
	FCGI_SEV_NOTE = 3 /* a "should" of the spec not followed */
};

enum fcgi_dir {
	FCGI_DIR_TO_APP = 0, /* web server -> app (client -> server) */
	FCGI_DIR_TO_WEB = 1  /* app -> web server */
};

/* Stable codes; fcgi_vcode_name() gives the stable kebab-case name used in
 * text and JSON output.  Never renumber; append only. */
enum fcgi_vcode {
	FCGI_V_NONE = 0,
	FCGI_V_BAD_VERSION,	  /* version != 1; the direction stops */
	FCGI_V_UNKNOWN_TYPE,	  /* type outside 1..11 */
	FCGI_V_WRONG_DIRECTION,	  /* e.g. STDOUT sent by the web server */
	FCGI_V_MGMT_NONZERO_ID,	  /* management record with id != 0 */
	FCGI_V_APP_NULL_ID,	  /* application record with id 0 */
	FCGI_V_BAD_BODY_LENGTH,	  /* BEGIN/END/UNKNOWN_TYPE body != 8,
				     ABORT_REQUEST body not empty */
	FCGI_V_UNKNOWN_ROLE,	  /* BEGIN_REQUEST role not 1..3 */
	FCGI_V_DUPLICATE_BEGIN,	  /* BEGIN_REQUEST for an active id */
	FCGI_V_NO_BEGIN,	  /* record for an id with no BEGIN_REQUEST */
	FCGI_V_STREAM_AFTER_END,  /* data after a stream's empty record */
	FCGI_V_OUT_OF_ORDER,	  /* e.g. STDIN before PARAMS ended */
	FCGI_V_NV_TRUNCATED,	  /* name-value stream ended inside a pair */
	FCGI_V_NV_LIMIT,	  /* params or values exceed the limits */
	FCGI_V_END_OPEN_STREAMS,  /* END_REQUEST before STDOUT (or a used
				   * STDERR) ended */
	FCGI_V_RECORD_TOO_LARGE,  /* contentLength + paddingLength > 65535 */
	FCGI_V_NV_SPLIT,	  /* a pair split across PARAMS records */
	FCGI_V_UNALIGNED,	  /* record not padded to a multiple of 8 */
	FCGI_V_TRUNC_HEADER,	  /* input ended inside a header */
	FCGI_V_TRUNC_CONTENT,	  /* input ended inside content */
	FCGI_V_TRUNC_PADDING,	  /* input ended inside padding */
	FCGI_V_AFTER_END_REQUEST, /* record for an id after its END_REQUEST */
	FCGI_V_CLOSED_KEEP_CONN,  /* app closed a KEEP_CONN connection */
	FCGI_V_EOF_MID_REQUEST,	  /* connection ended with a request open */
	FCGI_V_CONTENT_LENGTH,	  /* STDIN bytes != CONTENT_LENGTH, or
				     CONTENT_LENGTH not a number */
	FCGI_V_BAD_PSTATUS,	  /* END_REQUEST protocolStatus > 3 */
	FCGI_V_VALUES_NOT_EMPTY,  /* GET_VALUES with non-empty values */
	FCGI_V_TOO_MANY_REQUESTS, /* more active ids than the limit */
	FCGI_V_UNEXPECTED,	  /* an answer nobody asked for */
	FCGI_V_COUNT
};

struct fcgi_violation {
	enum fcgi_vcode code;
	enum fcgi_severity severity;
	enum fcgi_dir dir;
	uint64_t offset; /* byte offset in that direction's stream */
	uint64_t record; /* 1-based record number in that direction */
	uint16_t request_id;
	char message[160]; /* one line, no trailing newline */
};

const char *fcgi_vcode_name(enum fcgi_vcode code);    /* "bad-version" */
const char *fcgi_severity_name(enum fcgi_severity s); /* "spec" */
const char *fcgi_dir_name(enum fcgi_dir d);	      /* "to-app" / "to-web" */

/* ------------------------------------------------------------------ */
/* Conversation state machine (pure)                                   */
/* ------------------------------------------------------------------ */

enum fcgi_conn_mode {
	FCGI_MODE_APP,	   /* we are the app: recv() takes to-app bytes */
	FCGI_MODE_WEB,	   /* we are the web server: recv() takes to-web */
	FCGI_MODE_OBSERVER /* both directions fed, nothing is sent */
};

enum fcgi_event_type {
	FCGI_EV_BEGIN = 1, /* role, flags */
	FCGI_EV_PARAMS,	   /* params: the whole set, at the empty PARAMS */
	FCGI_EV_STDIN,	   /* data, len; len 0: end of stream */
	FCGI_EV_DATA,
	FCGI_EV_STDOUT,
	FCGI_EV_STDERR,
	FCGI_EV_END, /* app_status, protocol_status */
	FCGI_EV_ABORT,
	FCGI_EV_GET_VALUES,	   /* params: the names asked */
	FCGI_EV_GET_VALUES_RESULT, /* params: the answers */
	FCGI_EV_UNKNOWN_TYPE,	   /* unknown_type */
	FCGI_EV_UNKNOWN_RECORD,	   /* a record of a type outside 1..11 */
	FCGI_EV_CLOSE		   /* the direction reached end of input */
};

struct fcgi_event {
	enum fcgi_event_type type;
	enum fcgi_dir dir;
	uint16_t request_id;
	uint64_t offset; /* offset of the record that caused it */
	uint64_t record;
	uint16_t role;
	uint8_t flags;
	const struct fcgi_params *params;
	const uint8_t *data;
	size_t len;
	uint32_t app_status;
	uint8_t protocol_status;
	uint8_t unknown_type;
};

/*
 * Every callback may be NULL.  on_event may return non-zero to stop the
 * current fcgi_conn_recv() call, which then returns FCGI_ECANCELED.
 *
 * on_record sees every record first, before it is judged: received ones
 * and, in APP and WEB mode, also each record this conn queues (dir = the
 * sending direction), at the moment it is queued.  Then violations, then
 * the events of that record.  Pointers in a record or event (content,
 * data, params) are valid during the callback only.  Events carry dir,
 * request_id, offset and record of the record that caused them; the
 * end-of-input items (FCGI_EV_CLOSE, eof-mid-request, closed-keep-conn,
 * truncated-*) carry the stream length as offset (truncated-*: the partial
 * record's offset) and the number of records decoded plus one.
 *
 * Callbacks may call the sending functions and fcgi_conn_send/sent(),
 * but not fcgi_conn_recv(), fcgi_conn_eof() (FCGI_ESTATE) or
 * fcgi_conn_free(); on_record for a record being queued may not send
 * either (FCGI_ESTATE).
 */
struct fcgi_callbacks {
	void (*on_record)(void *arg, enum fcgi_dir dir,
			  const struct fcgi_record *rec);
	int (*on_event)(void *arg, const struct fcgi_event *ev);
	void (*on_violation)(void *arg, const struct fcgi_violation *v);
};

struct fcgi_conn_opts {
	struct fcgi_limits limits;
	const struct fcgi_mem *mem;
	/* App mode: answer unknown management types with UNKNOWN_TYPE by
	 * itself (default on). */
	int auto_unknown_type;
};

/* Default limits, libc memory, auto_unknown_type on.  The conn keeps the
 * mem pointer: the struct fcgi_mem must outlive it. */
void fcgi_conn_opts_default(struct fcgi_conn_opts *o);

struct fcgi_conn;

/* A new conn in *out (NULL on failure).  opts and cb may be NULL; opts
 * is copied, cb copied, arg borrowed.  0, FCGI_EINVAL (an unknown mode,
 * out NULL), FCGI_ENOMEM. */
int fcgi_conn_new(struct fcgi_conn **out, enum fcgi_conn_mode mode,
		  const struct fcgi_conn_opts *opts,
		  const struct fcgi_callbacks *cb, void *arg);
/* Free c and all it holds; NULL is ignored. */
void fcgi_conn_free(struct fcgi_conn *c);

/*
 * Feed bytes that arrived, in chunks of any size: the events and
 * violations do not depend on where the chunks are cut.  In APP and WEB
 * mode dir must be the direction toward us (TO_APP for APP mode, TO_WEB
 * for WEB mode); OBSERVER takes both, each fed in its own order.  Borrows
 * in; the conn keeps at most one partial record per direction.
 *
 * Returns len (all consumed), or:
 *  FCGI_ECANCELED  on_event returned non-zero.  The record that caused
 *                  it was consumed whole; fcgi_conn_last_consumed() says
 *                  how many bytes of in were used; call again with the
 *                  rest to go on.
 *  FCGI_EPROTO     the direction cannot be decoded any further (bad
 *                  version, reported as a violation); later calls for
 *                  that direction return FCGI_EPROTO at once.  In APP
 *                  mode also a connection error, after which an app
 *                  cannot trust the framing of what follows: an
 *                  application record with request id 0, a
 *                  BEGIN_REQUEST whose body is not 8 bytes (reported;
 *                  the app closes).  An APP-mode conn does not answer a
 *                  GET_VALUES whose request id is not 0 (reported).
 *  FCGI_ENOMEM     memory ran out; last_consumed bytes were used, the
 *                  rest may be fed again (the conn may also be freed).
 *  FCGI_EINVAL     wrong direction for the mode, or in NULL with len > 0.
 *  FCGI_ESTATE     after fcgi_conn_eof() on dir, or called from a
 *                  callback.
 * Protocol violations other than a bad version are reported through
 * on_violation and decoding goes on.
 */
ssize_t fcgi_conn_recv(struct fcgi_conn *c, enum fcgi_dir dir,
		       const uint8_t *in, size_t len);
/* Why dir is no longer decoded (fcgi_conn_recv() returned FCGI_EPROTO):
 * FCGI_V_BAD_VERSION, or for an app the connection error,
 * FCGI_V_APP_NULL_ID or FCGI_V_BAD_BODY_LENGTH; FCGI_V_NONE while it is
 * decoded. */
enum fcgi_vcode fcgi_conn_stopped(const struct fcgi_conn *c, enum fcgi_dir dir);
/* Bytes of in used by the last fcgi_conn_recv() (on success, len). */
size_t fcgi_conn_last_consumed(const struct fcgi_conn *c);
/*
 * The direction reached end of input: reports a partial record
 * (truncated-*), and on to-web, unless to-app reached its end first,
 * each request still open (eof-mid-request) or, with none open, a last
 * BEGIN_REQUEST with KEEP_CONN (closed-keep-conn); then an FCGI_EV_CLOSE
 * event.  End of the to-app direction is how web servers abort every
 * request on the connection, so open requests are no violation there,
 * nor when the app closes afterwards.  In APP and WEB mode, eof on our
 * own sending direction just notes that we closed it (WEB mode: call it
 * when shutting down or closing, so that the app's close that follows
 * is not judged).
 * 0, FCGI_ECANCELED (on_event asked to stop), FCGI_ESTATE (called twice or
 * from a callback), FCGI_EINVAL.
 */
int fcgi_conn_eof(struct fcgi_conn *c, enum fcgi_dir dir);
/*
 * OBSERVER mode: len bytes of dir will never be seen (packets lost from a
 * capture, or bytes skipped to find a record header; len may be 0, for a
 * stream that was joined in the middle).  The partial record of dir is
 * dropped, the direction's offset moves on by len, and the next byte fed
 * is read as the start of a record header; a direction stopped by a bad
 * version decodes again.  From then on the conn is lenient where lost
 * records would make it wrong: a record for a request whose start it has
 * not seen (an unknown id, or an id whose request or stream had ended
 * before the gap) begins a new request, announced by an FCGI_EV_BEGIN
 * event with role 0 and without params decoding; requests known at the
 * gap are not judged for missing stream ends, order, CONTENT_LENGTH, a
 * repeated BEGIN_REQUEST or being open at the end, and answers without a
 * question are not reported.  0, FCGI_EINVAL (not OBSERVER mode, bad
 * dir), FCGI_ESTATE (after fcgi_conn_eof() on dir, or from a callback).
 */
int fcgi_conn_gap(struct fcgi_conn *c, enum fcgi_dir dir, uint64_t len);

/* Sending (APP and WEB mode).  Each call appends framed records to the
 * output queue; nothing is written anywhere.  Streams are cut into
 * FCGI_CHUNK_MAX pieces; params are cut only between pairs unless one
 * pair alone exceeds a record.  Every record is padded to a multiple of
 * 8 with contentLength + paddingLength <= 65535.  FCGI_ESTATE when the
 * call does not fit (e.g. STDOUT from the web side, a stream after its
 * end, an id that is not active, STDIN before the params were sent, any
 * call in OBSERVER mode).  A call that fails queues nothing.  Queued
 * records update the request state exactly as received ones would: a
 * BEGIN_REQUEST we send makes the id active, an END_REQUEST frees it. */
int fcgi_conn_begin(struct fcgi_conn *c, uint16_t id, uint16_t role,
		    uint8_t flags);
/* Encodes all params, then the empty PARAMS record. */
int fcgi_conn_params(struct fcgi_conn *c, uint16_t id,
		     const struct fcgi_params *p);
/* A stream record: type STDIN, DATA (web) or STDOUT, STDERR (app).
 * len 0 ends the stream. */
int fcgi_conn_stream(struct fcgi_conn *c, uint16_t id, uint8_t type,
		     const void *data, size_t len);
/* App: end open STDOUT/STDERR streams (STDERR only if it was used), then
 * END_REQUEST.  The request id becomes free. */
int fcgi_conn_end(struct fcgi_conn *c, uint16_t id, uint32_t app_status,
		  uint8_t protocol_status);
int fcgi_conn_abort(struct fcgi_conn *c, uint16_t id);
/* App: the timeout answer (fcgi_timeout_answer()) for active request id,
 * shaped by what of its STDOUT and STDERR was queued so far; the id
 * becomes free.  body as there.  FCGI_ESTATE when id is not active. */
int fcgi_conn_timeout_answer(struct fcgi_conn *c, uint16_t id, unsigned status,
			     const char *body);
/* Web: GET_VALUES with these names (values ignored). */
int fcgi_conn_get_values(struct fcgi_conn *c, const struct fcgi_params *names);
/* App: GET_VALUES_RESULT with these pairs. */
int fcgi_conn_values_result(struct fcgi_conn *c,
			    const struct fcgi_params *values);
/* Queue raw bytes as they are (for crafted records).  They are decoded
 * like every queued record, so a crafted BEGIN_REQUEST also makes its id
 * active; bytes that are not FastCGI stop that tracking for good. */
int fcgi_conn_send_raw(struct fcgi_conn *c, const void *bytes, size_t len);

/* Output queue: *out points at the bytes ready to write (valid until the
 * next call on c); returns their count.  fcgi_conn_sent() drops n bytes
 * that were written. */
size_t fcgi_conn_send(struct fcgi_conn *c, const uint8_t **out);
void fcgi_conn_sent(struct fcgi_conn *c, size_t n);

/* Queries. */
enum fcgi_conn_mode fcgi_conn_mode(const struct fcgi_conn *c);
unsigned fcgi_conn_active(const struct fcgi_conn *c); /* open request ids */
bool fcgi_conn_is_active(const struct fcgi_conn *c, uint16_t id);
/* The CONTENT_LENGTH param of request id, once its PARAMS stream ended,
 * when it is a decimal number: true and *n.  false when there is none,
 * it is empty or it is not a number (reported as content-length). */
bool fcgi_conn_content_length(const struct fcgi_conn *c, uint16_t id,
			      uint64_t *n);
/* The KEEP_CONN flag of the last BEGIN_REQUEST seen or sent. */
bool fcgi_conn_keep(const struct fcgi_conn *c);
/* Bytes decoded so far in dir (for our sending direction: queued). */
uint64_t fcgi_conn_offset(const struct fcgi_conn *c, enum fcgi_dir dir);
/* Violations reported so far. */
size_t fcgi_conn_violation_count(const struct fcgi_conn *c);

/* ------------------------------------------------------------------ */
/* CGI response reader (pure)                                          */
/* ------------------------------------------------------------------ */

/* Why a STDOUT stream is no CGI response: one code per rule of RFC 3875,
 * 6, so that request, proxy, pcap and conform name the same thing. */
enum fcgi_cgi_error {
	FCGI_CGI_OK = 0,
	FCGI_CGI_NO_HEADER_BLOCK, /* the first line is no header line */
	FCGI_CGI_NO_COLON,	  /* a later header line without a colon */
	FCGI_CGI_BAD_NAME,	  /* an empty field name, or a byte that is
				   * not a token character in it */
	FCGI_CGI_BAD_BYTE,	  /* a control byte in a header line: NUL, a
				   * CR not before LF, ... (HT is fine) */
	FCGI_CGI_BAD_STATUS,	  /* Status is not a code 100..599 [reason] */
	FCGI_CGI_DUP_STATUS,	  /* a second Status */
	FCGI_CGI_TOO_BIG,	  /* the header block exceeds the limit */
	FCGI_CGI_UNTERMINATED,	  /* STDOUT ended inside the header block */
	FCGI_CGI_EMPTY,		  /* STDOUT ended with no byte at all */
	FCGI_CGI_NOMEM
};

/* "no-colon", "bad-status", ...; "unknown" for other values. */
const char *fcgi_cgi_error_name(enum fcgi_cgi_error e);

/* Splits a CGI response (the STDOUT stream) into its header block and
 * body wherever record boundaries fall; LF or CRLF line ends.  Fields
 * are read-only for the caller. */
struct fcgi_cgi {
	struct fcgi_params headers; /* in order, names as sent */
	int status;		    /* Status, or 302 for Location, or 200 */
	char reason[64];	    /* reason phrase from Status, may be "" */
	bool done;		    /* the header block is complete */
	bool saw_status;
	struct fcgi_buf line; /* private: partial header line */
	size_t header_bytes;  /* STDOUT bytes read as header lines */
	size_t max_header_bytes;
	uint64_t line_start; /* stream offset of the line being read */
	unsigned lines;	     /* header lines read whole, blank one included */
	/* Once the reader stopped: the rule broken, the 1-based header
	 * line and the stream offset where (of the line, or of the bad
	 * byte for BAD_NAME and BAD_BYTE), the byte for BAD_NAME and
	 * BAD_BYTE (0: an empty name), and an escaped excerpt of the line
	 * or value at fault ("" if none). */
	enum fcgi_cgi_error error;
	unsigned error_line;
	uint64_t error_offset;
	uint8_t error_byte;
	char error_text[168];
	int err; /* private: the error that stopped the reader, or 0 */
};

void fcgi_cgi_init(struct fcgi_cgi *r, const struct fcgi_mem *mem,
		   size_t max_header_bytes);
void fcgi_cgi_fini(struct fcgi_cgi *r);
/*
 * Feed STDOUT bytes.  Before the header block is complete the bytes are
 * header lines; returns the number of bytes used as headers (<= len).
 * When the block completes r->done is set and in[ret..len) is body.  Once
 * done, returns 0: every byte is body.  Negative: FCGI_EPROTO (a rule of
 * RFC 3875 broken, r->error says which), FCGI_ELIMIT (FCGI_CGI_TOO_BIG),
 * FCGI_ENOMEM.  Values are kept with surrounding blanks trimmed; an error
 * is sticky (later feeds return it again).  The result does not depend on
 * where the input is cut.
 */
ssize_t fcgi_cgi_feed(struct fcgi_cgi *r, const uint8_t *in, size_t len);
/* STDOUT has ended (its empty record, END_REQUEST or the connection's
 * end): 0 if the header block was complete, else FCGI_EPROTO with
 * r->error FCGI_CGI_EMPTY or FCGI_CGI_UNTERMINATED, or the earlier
 * error. */
int fcgi_cgi_end(struct fcgi_cgi *r);
/* Say what r->error means, where and what, in one line without a
 * trailing newline ("header line 2 has no colon: \"Hello\" (offset
 * 27)"), into out (n > 0: always terminated).  Returns the length. */
size_t fcgi_cgi_message(const struct fcgi_cgi *r, char *out, size_t n);

/* The reason phrase of an HTTP status ("Request Timeout" for 408), or of
 * its class ("Client Error") for a status without a common phrase; never
 * NULL. */
const char *fcgi_http_reason(unsigned status);

/* ------------------------------------------------------------------ */
/* Latency histogram (pure; after HdrHistogram)                        */
/* ------------------------------------------------------------------ */

/* Values below 128 are counted exactly; above, a bucket spans less than
 * 1/64 of its values, so percentiles are within 1.6%.  Fixed size (about
 * 30 KiB), any uint64_t value (e.g. nanoseconds). */
#define FCGI_HIST_BUCKETS 3776

struct fcgi_hist {
	uint64_t counts[FCGI_HIST_BUCKETS];
	uint64_t total;
	uint64_t min, max; /* min is UINT64_MAX while empty */
	double sum, sumsq;
};

void fcgi_hist_init(struct fcgi_hist *h);
void fcgi_hist_add(struct fcgi_hist *h, uint64_t v);
/* Add src's counts to dst. */
void fcgi_hist_merge(struct fcgi_hist *dst, const struct fcgi_hist *src);
/* The value at or below which p percent (0..100) of the values lie, as
 * the highest value of its bucket, clamped to [min, max]; 0 if empty.
 * p <= 0 gives min, p >= 100 max. */
uint64_t fcgi_hist_percentile(const struct fcgi_hist *h, double p);
double fcgi_hist_mean(const struct fcgi_hist *h);
double fcgi_hist_stdev(const struct fcgi_hist *h);
/* Walk the non-empty buckets: start with i = 0; returns the next i to
 * pass, or 0 at the end, with the bucket's range and count. */
size_t fcgi_hist_next(const struct fcgi_hist *h, size_t i, uint64_t *low,
		      uint64_t *high, uint64_t *count);

/* ------------------------------------------------------------------ */
/* Answers made on an application's behalf (pure)                      */
/* ------------------------------------------------------------------ */

/* Append a CGI response, "Status: N Reason\r\nContent-Type: text/plain
 * \r\n\r\n" then body (copied; NULL: "N Reason\n"), to out.  0, or
 * FCGI_EINVAL (status outside 100..999), FCGI_ENOMEM, FCGI_ELIMIT (out's
 * ceiling), in which case nothing is appended. */
int fcgi_cgi_error_response(struct fcgi_buf *out, unsigned status,
			    const char *body);

/* One request's answer made at its deadline by a server or a proxy in
 * the app's place, and what of the real answer already went out. */
struct fcgi_timeout_answer {
	uint16_t request_id; /* not 0 */
	unsigned status;     /* the HTTP status and the appStatus (408) */
	const char *body;    /* the response body; NULL: "408 Request
				Timeout\n" for 408 */
	bool stdout_started; /* STDOUT bytes went out: no CGI response */
	bool stdout_ended;   /* the empty STDOUT record went out */
	bool stderr_started; /* STDERR records went out ... */
	bool stderr_ended;   /* ... and the empty one too */
};

/*
 * Append the timeout answer of DESIGN rule 3 to out, as records of
 * a->request_id padded to 8: when no STDOUT went out yet, a CGI response
 * with "Status: <status> <reason>" (fcgi_cgi_error_response(), in
 * STDOUT records); the empty STDOUT record unless it went out; the
 * empty STDERR record when STDERR was used and not ended; END_REQUEST
 * with appStatus status and FCGI_REQUEST_COMPLETE.  0, or FCGI_EINVAL
 * (id 0, a status outside 100..999), FCGI_ENOMEM, FCGI_ELIMIT, in which
 * case nothing is appended.
 */
int fcgi_timeout_answer(struct fcgi_buf *out,
			const struct fcgi_timeout_answer *a);

/* ------------------------------------------------------------------ */
/* JSON writer (the one producer of JSON; fcgitool-trace(5))           */
/* ------------------------------------------------------------------ */

/* 1 if in[0..len) is well-formed UTF-8 (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF) and holds no NUL. */
bool fcgi_utf8_valid(const uint8_t *in, size_t len);
/* RFC 4648 base64 of in[0..len) into out, which must hold
 * 4 * ((len + 2) / 3) bytes; no NUL is added.  Returns the bytes written. */
size_t fcgi_base64_encode(char *out, const uint8_t *in, size_t len);

#define FCGI_JSON_DEPTH 16

/*
 * One JSON object appended to a buffer as it is built.  Keys are
 * lowerCamelCase ASCII constants.  A function called inside an array takes
 * key NULL.  Nothing is checked but nesting: the first failed append sets
 * oom and later ones are skipped; end() reports it.  Fields are private.
 */
struct fcgi_json {
	struct fcgi_buf *out;
	unsigned depth;
	bool kind[FCGI_JSON_DEPTH];  /* true: an array */
	bool first[FCGI_JSON_DEPTH]; /* no item yet at this level */
	bool oom, overflow;
};

/* Start an object: appends "{" to out (borrowed until end). */
void fcgi_json_begin(struct fcgi_json *j, struct fcgi_buf *out);
/* Close every open array and object.  0, FCGI_ENOMEM (an append failed),
 * FCGI_EINVAL (nesting deeper than FCGI_JSON_DEPTH, or a close that did not
 * match its open). */
int fcgi_json_end(struct fcgi_json *j);
void fcgi_json_obj_open(struct fcgi_json *j, const char *key);
void fcgi_json_obj_close(struct fcgi_json *j);
void fcgi_json_arr_open(struct fcgi_json *j, const char *key);
void fcgi_json_arr_close(struct fcgi_json *j);
/* Text: a NUL-terminated string (NULL: null).  Text that is not UTF-8 is
 * written with C escapes (fcgi_escape), so the line stays valid. */
void fcgi_json_str(struct fcgi_json *j, const char *key, const char *s);
/* Bytes, the one rule for byte strings: "key":"text" when UTF-8 without
 * NUL, otherwise "keyB64":"base64" (in an array: the base64 string). */
void fcgi_json_bytes(struct fcgi_json *j, const char *key, const void *data,
		     size_t len);
void fcgi_json_int(struct fcgi_json *j, const char *key, int64_t v);
void fcgi_json_uint(struct fcgi_json *j, const char *key, uint64_t v);
/* Integral values as integers, others with 15 significant digits;
 * NaN and infinities as null. */
void fcgi_json_double(struct fcgi_json *j, const char *key, double v);
void fcgi_json_bool(struct fcgi_json *j, const char *key, bool v);
void fcgi_json_null(struct fcgi_json *j, const char *key);
/* An array of {"name","value"} objects (bytes rule for both); a name in
 * redact (NULL-terminated, may be NULL) gets "redacted":true and
 * "valueLength" instead of its value. */
void fcgi_json_params(struct fcgi_json *j, const char *key,
		      const struct fcgi_params *p, const char *const *redact);
/* A violation's fields into the current object: code, severity, dir,
 * offset, record, id, message. */
void fcgi_json_violation(struct fcgi_json *j, const struct fcgi_violation *v);

/* ------------------------------------------------------------------ */
/* SHA-256 (FIPS 180-4)                                                */
/* ------------------------------------------------------------------ */

/* An incremental digest; the fields are private. */
struct fcgi_sha256 {
	uint32_t h[8];
	uint64_t len; /* bytes hashed */
	uint8_t buf[64];
	size_t n; /* bytes in buf */
};

void fcgi_sha256_init(struct fcgi_sha256 *s);
void fcgi_sha256_update(struct fcgi_sha256 *s, const uint8_t *p, size_t len);
/* The digest of everything given; s must be initialised again to be
 * used again. */
void fcgi_sha256_final(struct fcgi_sha256 *s, uint8_t out[32]);
/* The compression function runs on the CPU's SHA extensions where it
 * has them (x86 SHA-NI, chosen at the first use), else in portable C;
 * both give the same digests.  For tests: force_portable(true) makes
 * every later update use the portable code; accelerated() says whether
 * the extensions are in use. */
bool fcgi_sha256_accelerated(void);
void fcgi_sha256_force_portable(bool on);

/* ------------------------------------------------------------------ */
/* Renderer (the one printer of records, events and violations)        */
/* ------------------------------------------------------------------ */

/* Where rendered bytes go.  write(ctx, data, len) is called once per
 * event (a record, a violation, a note), with the event's whole text or
 * JSON line, newline included; data is valid during the call. */
struct fcgi_sink {
	void (*write)(void *ctx, const void *data, size_t len);
	void *ctx;
};

struct fcgi_render_opts {
	bool json;	     /* JSON lines instead of text */
	bool color;	     /* ANSI colour in text mode */
	size_t body_limit;   /* bytes of each stream record shown; 0 = 64 */
	unsigned only_types; /* bit (1 << type); 0 = all types */
	const char *const *redact; /* NULL-terminated param names to mask */
	bool show_params;	   /* list each param of PARAMS (default on) */
	/* Encoded bytes of one pair split across records that are kept to
	 * show it whole; a larger one shows the first body_limit bytes (at
	 * most pair_limit) of its name and of its value.  0 = the default
	 * params_max_bytes (1 MiB). */
	size_t pair_limit;
	/* Pairs kept open at once per connection label (the least recently
	 * fed one is forgotten past it).  0 = the default max_requests of
	 * struct fcgi_limits (1024), as many as a conn allows. */
	size_t open_max;
	/* Violations shown: those of this severity or a more serious one
	 * (FCGI_SEV_SPEC is the most serious); 0 = every one. */
	enum fcgi_severity show_severity;
	const struct fcgi_mem *mem; /* the renderer's allocator (NULL: libc) */
};

/* Defaults: text, no colour, body_limit 64, all types, show_params on,
 * redact = fcgi_render_redact_default(), pair_limit 1 MiB, open_max
 * 1024, every violation shown. */
void fcgi_render_opts_default(struct fcgi_render_opts *o);
/* The names masked by default: HTTP_AUTHORIZATION, HTTP_COOKIE
 * (NULL-terminated, static). */
const char *const *fcgi_render_redact_default(void);
/* Formats: fcgitool-trace(5).  new() copies the sink and opts (NULL:
 * defaults) but borrows the redact list and opts->mem, which must outlive
 * the renderer.  Colour is opts->color: the caller decides it (the CLI
 * from the terminal and NO_COLOR).  Sets *out and returns 0;
 * FCGI_EINVAL when sink has no write function, FCGI_ENOMEM.  A renderer
 * is not thread-safe. */
struct fcgi_render;
int fcgi_render_new(struct fcgi_render **out, const struct fcgi_sink *sink,
		    const struct fcgi_render_opts *opts);
void fcgi_render_free(struct fcgi_render *r);
/* conn_label: a short name for the connection ("c1") or NULL.  ts: seconds
 * since some start, or a negative number to leave it out.  Records whose
 * type only_types excludes print nothing; notes always print, and the
 * violations that show_severity lets through.  rec->content is borrowed
 * for the call.  Name-value records are decoded with the codec as one
 * stream per (conn_label, dir, request id, type): a pair split across
 * records is shown in the record that completes it.  Open pairs are kept
 * until then, or until the stream ends, a BEGIN_REQUEST of their request
 * comes, or fcgi_render_forget() names their label; at most
 * opts->open_max per label (the least recently fed one is forgotten
 * first).  Write errors are the sink's to handle. */
void fcgi_render_record(struct fcgi_render *r, const char *conn_label,
			double ts, enum fcgi_dir dir,
			const struct fcgi_record *rec);
/* The connection conn_label ended: forget the pairs its records left
 * open.  Call it when a labelled connection closes, so that a renderer
 * that outlives many connections holds nothing for the dead ones. */
void fcgi_render_forget(struct fcgi_render *r, const char *conn_label);
void fcgi_render_violation(struct fcgi_render *r, const char *conn_label,
			   double ts, const struct fcgi_violation *v);
/* A free-form note in the same stream ("connected to ..."). */
void fcgi_render_note(struct fcgi_render *r, const char *conn_label, double ts,
		      const char *what, const char *detail);
/*
 * Objects of any kind through the renderer, for every --json output that
 * is not a record, violation or note (request results, proxy summaries,
 * pcap requests, conform verdicts, mock journals, bench reports): begin
 * gives a JSON writer holding {"ts":..,"conn":..,"kind":kind, to which the
 * caller adds its fields; end closes it and writes it to the sink as one
 * line.  ts < 0 and conn_label NULL leave those keys out.  The writer is
 * the renderer's and valid until end.  NULL when r is NULL.
 */
struct fcgi_json *fcgi_render_obj_begin(struct fcgi_render *r,
					const char *conn_label, double ts,
					const char *kind);
void fcgi_render_obj_end(struct fcgi_render *r);

/* Write bytes with unprintable ones escaped as C escapes (\r \n \t \xNN,
 * and backslash and double quote preceded by a backslash) into out[0..n),
 * always NUL-terminated when n > 0.  Stops before an escape that would
 * not fit, never splitting one.  Returns the bytes written, without the
 * NUL.  4 * len + 1 bytes always suffice. */
size_t fcgi_escape(char *out, size_t n, const uint8_t *in, size_t len);
/* v with places (at most 6 for the quick way) digits after the point,
 * exactly as snprintf(out, n, "%.*f", places, v) writes it, without
 * printf on the common values (not negative, below 10^15).  Returns the
 * bytes written, without the NUL (n - 1 at most). */
size_t fcgi_fmt_fixed(char *out, size_t n, double v, unsigned places);

#ifdef __cplusplus
}
#endif

#endif /* FCGI_H */
