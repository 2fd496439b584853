/* SPDX-License-Identifier: MIT */
/*
 * conform-cases.h - what the case files share: a builder for requests
 * with every framing knob, common judges, and the quotes from the
 * specification (FastCGI 1.0, Open Market, 29 April 1996).
 */
#ifndef FCGITOOL_CONFORM_CASES_H
#define FCGITOOL_CONFORM_CASES_H

#include "conform.h"

/* One request, with every knob a case may turn. */
struct rq {
	uint16_t id, role;
	uint8_t flags;
	int pad;		 /* padding of non-empty records; -1: to 8 */
	int pad_empty;		 /* of the empty records ending streams */
	const uint8_t *padbytes; /* their content, repeated (NULL: 0) */
	size_t npadbytes;
	uint8_t version, reserved;	  /* of every header */
	const struct fcgi_params *params; /* NULL: cf_params_for() */
	const void *body;		  /* STDIN */
	size_t n;
	size_t chunk; /* STDIN record size (0: FCGI_CHUNK_MAX) */
	bool no_stdin, no_stdin_end, no_params_end;
	const void *data; /* DATA, for a Filter (with_data) */
	size_t ndata;
	bool with_data;
	bool no_echo;	 /* nothing is expected back */
	size_t echo_len; /* bytes expected back; SIZE_MAX: all of body */
};

/* Defaults: id 1, RESPONDER, no flags, padded to 8 (empty records: not
 * at all, as every web server sends them), version 1, no body. */
void rq_init(struct rq *q);
/* One record with q's header fields and padding. */
void rq_rec(struct cf_script *s, const struct rq *q, uint8_t type, uint16_t id,
	    const void *p, size_t n);
void rq_begin(struct cf_script *s, const struct rq *q);
void rq_params(struct cf_script *s, const struct rq *q);
void rq_stdin(struct cf_script *s, const struct rq *q);
/* The whole request: rq_begin, rq_params, rq_stdin (and DATA). */
void rq_build(struct cf_script *s, const struct rq *q);

/* Wait for END_REQUEST of id, then a short while for the close that a
 * request without KEEP_CONN brings (and anything after END_REQUEST). */
void b_finish(struct cf_script *s, uint16_t id);
/* A normal request (id 1, no KEEP_CONN), finished. */
void b_normal(struct cf_script *s);

/* Offset and lengths of the first pair named name in the encoding of p;
 * 1 if found. */
int cf_pair_at(const struct fcgi_params *p, const char *name, size_t *off,
	       size_t *name_len, size_t *value_len);

/* Judges shared by several files. */
/* 1 if the script sent a whole request (c, id) (one with an echo
 * entry). */
bool sent_request(const struct cf_script *s, uint8_t c, uint16_t id);
/* Pass when the server answered UNKNOWN_TYPE {T} with T the case's
 * type, remembered in s->arg. */
void j_unknown_type(struct cf_verdict *v, const struct cf_case *k,
		    const struct cf_script *s, const struct cf_outcome *o);
/* The server went on answering: nothing is required of the connections
 * the case closed; the probe decides. */
void j_survives(struct cf_verdict *v, const struct cf_case *k,
		const struct cf_script *s, const struct cf_outcome *o);
/* Nothing came for the ids the case used on purpose (2..9 on conn 0)
 * and request 1 was answered as the case's sets say. */
void j_ignored_then_answered(struct cf_verdict *v, const struct cf_case *k,
			     const struct cf_script *s,
			     const struct cf_outcome *o);

extern const struct cf_case cf_cases_rec[];
extern const size_t cf_ncases_rec;
extern const struct cf_case cf_cases_nv[];
extern const size_t cf_ncases_nv;
extern const struct cf_case cf_cases_conn[];
extern const size_t cf_ncases_conn;
extern const struct cf_case cf_cases_mgmt[];
extern const size_t cf_ncases_mgmt;
extern const struct cf_case cf_cases_req[];
extern const size_t cf_ncases_req;

/* ---- quotes ------------------------------------------------------------ */

#define Q_VERSION                                                 \
	"version: Identifies the FastCGI protocol version. This " \
	"specification documents FCGI_VERSION_1."
#define Q_PADDING                                                         \
	"The protocol allows senders to pad the records they send, and "  \
	"requires receivers to interpret the paddingLength and skip the " \
	"paddingData."
#define Q_PADDING_DATA \
	"paddingData: Between 0 and 255 bytes of data, which are ignored."
#define Q_CONTENT                                                      \
	"contentData: Between 0 and 65535 bytes of data, interpreted " \
	"according to the record type."
#define Q_RECORD                                                            \
	"A FastCGI record consists of a fixed-length prefix followed by a " \
	"variable number of content and padding bytes."
#define Q_ACTIVE                                                             \
	"A request ID R becomes active when the application receives a "     \
	"record {FCGI_BEGIN_REQUEST, R, ...} and becomes inactive when the " \
	"application sends a record {FCGI_END_REQUEST, R, ...} to the Web "  \
	"server."
#define Q_INACTIVE                                                            \
	"While a request ID R is inactive, the application ignores records "  \
	"with requestId == R, except for FCGI_BEGIN_REQUEST records as just " \
	"described."
#define Q_REUSE                                                               \
	"The Web server re-uses FastCGI request IDs; the application keeps "  \
	"track of the current state of each request ID on a given transport " \
	"connection."
#define Q_IDS                                                                 \
	"Management records have a requestId value of zero, also called the " \
	"null request ID. Application records have a nonzero requestId."
#define Q_STREAM                                                               \
	"The contentData components of a stream's records, when "              \
	"concatenated, form a byte sequence; this byte sequence is the value " \
	"of the stream. Therefore the value of a stream is independent of "    \
	"how many records it contains or how its bytes are divided among "     \
	"the non-empty records."
#define Q_STREAM_END                                                          \
	"A stream record is part of a stream, i.e. a series of zero or more " \
	"non-empty records (length != 0) of the stream type, followed by an " \
	"empty record (length == 0) of the stream type."
#define Q_MPX                                                                \
	"First, records multiplex the transport connection between several " \
	"independent FastCGI requests."
#define Q_NV_LEN                                                           \
	"Lengths of 127 bytes and less can be encoded in one byte, while " \
	"longer lengths are always encoded in four bytes."
#define Q_NV_BIT                                                               \
	"The high-order bit of the first byte of a length indicates the "      \
	"length's encoding. A high-order zero implies a one-byte encoding, a " \
	"one a four-byte encoding."
#define Q_NV_BINARY                                                          \
	"This name-value pair format allows the sender to transmit binary "  \
	"values without additional encoding, and enables the receiver to "   \
	"allocate the correct amount of storage immediately even for large " \
	"values."
#define Q_NUL                                                                \
	"When a role protocol uses FCGI_PARAMS to transmit textual values, " \
	"such as the values that CGI programs obtain from environment "      \
	"variables, the length of the value does not include the "           \
	"terminating null byte, and the value itself does not include a "    \
	"null byte."
#define Q_ERRORS                                                               \
	"On Unix, applications report lower-level errors, including FastCGI "  \
	"protocol errors and syntax errors in FastCGI environment variables, " \
	"to syslog. Depending upon the severity of the error, the "            \
	"application may either continue or exit with nonzero status."
#define Q_CONNS                                                   \
	"An application may accept several concurrent transport " \
	"connections, but it need not do so."
#define Q_LIFETIME                                                            \
	"The Web server controls the lifetime of transport connections. The " \
	"Web server can close a connection when no requests are active."
#define Q_ABORT_CLOSE                                                      \
	"When a Web server is not multiplexing requests over a transport " \
	"connection, the Web server can abort a request by closing the "   \
	"request's transport connection."
#define Q_KEEP_0                                                       \
	"flags & FCGI_KEEP_CONN: If zero, the application closes the " \
	"connection after responding to this request."
#define Q_KEEP_1                                                             \
	"If not zero, the application does not close the connection after "  \
	"responding to this request; the Web server retains responsibility " \
	"for the connection."
#define Q_FLAGS                                                        \
	"The flags component contains a bit that controls connection " \
	"shutdown."
#define Q_BEGIN_BODY                                                        \
	"The contentData component of a FCGI_BEGIN_REQUEST record has the " \
	"form: roleB1, roleB0, flags, reserved[5]."
#define Q_ROLE                                                         \
	"The role component sets the role the Web server expects the " \
	"application to play. The currently-defined roles are: "       \
	"FCGI_RESPONDER, FCGI_AUTHORIZER, FCGI_FILTER."
#define Q_UNKNOWN_ROLE                                                       \
	"FCGI_UNKNOWN_ROLE: rejecting a new request. This happens when the " \
	"Web server has specified a role that is unknown to the application."
#define Q_GV                                                                   \
	"The application responds by sending a record "                        \
	"{FCGI_GET_VALUES_RESULT, 0, ...} with the values supplied. If the "   \
	"application doesn't understand a variable name that was included in " \
	"the query, it omits that name from the response."
#define Q_GV_QUERY                                                        \
	"The contentData portion of a FCGI_GET_VALUES record contains a " \
	"sequence of name-value pairs with empty values."
#define Q_GV_ANYTIME \
	"An application may receive a FCGI_GET_VALUES record at any time."
#define Q_MAX_CONNS                                                   \
	"FCGI_MAX_CONNS: The maximum number of concurrent transport " \
	"connections this application will accept, e.g. \"1\" or \"10\"."
#define Q_MAX_REQS                                                       \
	"FCGI_MAX_REQS: The maximum number of concurrent requests this " \
	"application will accept, e.g. \"1\" or \"50\"."
#define Q_MPXS                                                           \
	"FCGI_MPXS_CONNS: \"0\" if this application does not multiplex " \
	"connections (i.e. handle concurrent requests over each "        \
	"connection), \"1\" otherwise."
#define Q_UNKNOWN_TYPE                                                      \
	"When an application receives a management record whose type T it " \
	"does not understand, the application responds with "               \
	"{FCGI_UNKNOWN_TYPE, 0, {T}}."
#define Q_PARAMS                                                              \
	"FCGI_PARAMS is a stream record type used in sending name-value "     \
	"pairs from the Web server to the application. The name-value pairs " \
	"are sent down the stream one after the other, in no specified "      \
	"order."
#define Q_STDIN                                                              \
	"FCGI_STDIN is a stream record type used in sending arbitrary data " \
	"from the Web server to the application."
#define Q_CL                                                               \
	"The application receives at most CONTENT_LENGTH bytes from this " \
	"stream before receiving the end-of-stream indication. (The "      \
	"application receives less than CONTENT_LENGTH bytes only if the " \
	"HTTP client fails to provide them, e.g. because the client "      \
	"crashed.)"
#define Q_CL_COMPARE                                                          \
	"A Responder performing an update, e.g. implementing a POST method, " \
	"should compare the number of bytes received on FCGI_STDIN with "     \
	"CONTENT_LENGTH and abort the update if the two numbers are not "     \
	"equal."
#define Q_ABORT                                                              \
	"After receiving {FCGI_ABORT_REQUEST, R}, the application responds " \
	"as soon as possible with {FCGI_END_REQUEST, R, "                    \
	"{FCGI_REQUEST_COMPLETE, appStatus}}."
#define Q_END                                                                \
	"The application sends a FCGI_END_REQUEST record to terminate a "    \
	"request, either because the application has processed the request " \
	"or because the application has rejected the request."
#define Q_END_BODY                                                        \
	"The contentData component of a FCGI_END_REQUEST record has the " \
	"form: appStatusB3, appStatusB2, appStatusB1, appStatusB0, "      \
	"protocolStatus, reserved[3]."
#define Q_CANT_MPX                                                           \
	"FCGI_CANT_MPX_CONN: rejecting a new request. This happens when a "  \
	"Web server sends concurrent requests over one connection to an "    \
	"application that is designed to process one request at a time per " \
	"connection."
#define Q_OVERLOADED                                                       \
	"FCGI_OVERLOADED: rejecting a new request. This happens when the " \
	"application runs out of some resource, e.g. database connections."
#define Q_STDERR                                                         \
	"If an application has no errors to report, it sends either no " \
	"FCGI_STDERR records or one zero-length FCGI_STDERR record."
#define Q_AT_LEAST_ONE                                                     \
	"When a role protocol calls for transmitting a stream other than " \
	"FCGI_STDERR, at least one record of the stream type is always "   \
	"transmitted, even if the stream is empty."
#define Q_WAIT_PARAMS                                                        \
	"The application must wait to finish reading FCGI_PARAMS before it " \
	"begins writing FCGI_STDOUT and FCGI_STDERR, but it needn't finish " \
	"reading from FCGI_STDIN before it begins writing these two streams."
#define Q_RESPONDER_END                                                      \
	"After sending all its stdout and stderr data, the Responder "       \
	"application sends a FCGI_END_REQUEST record. The application sets " \
	"the protocolStatus component to FCGI_REQUEST_COMPLETE and the "     \
	"appStatus component to the status code that the CGI program would " \
	"have returned via the exit system call."
#define Q_RESPONDER                                                         \
	"The Responder application receives CGI/1.1 environment variables " \
	"from the Web server over FCGI_PARAMS. Next the Responder "         \
	"application receives CGI/1.1 stdin data from the Web server over " \
	"FCGI_STDIN."
#define Q_STATUS                                                         \
	"FastCGI applications set response status using the Status and " \
	"Location CGI headers."
#define Q_AUTHORIZER                                                          \
	"The Authorizer application receives HTTP request information from "  \
	"the Web server on the FCGI_PARAMS stream, in the same format as a "  \
	"Responder. The Web server does not send CONTENT_LENGTH, PATH_INFO, " \
	"PATH_TRANSLATED, and SCRIPT_NAME headers."
#define Q_FILTER                                                           \
	"Next the Filter application receives the file data from the Web " \
	"server over FCGI_DATA. The application reads at most "            \
	"FCGI_DATA_LENGTH bytes from this stream before receiving the "    \
	"end-of-stream indication."
#define Q_SEQUENTIAL                                                           \
	"In a protocol with strictly sequential marshalling, the application " \
	"receives its first input, then its second, etc. until it has "        \
	"received them all."

#endif
