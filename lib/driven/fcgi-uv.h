/* SPDX-License-Identifier: MIT */
/*
 * fcgi-uv.h - the driven half of libfcgitool: addresses, sockets, timers,
 * the client, the server and its runners, and the proxy, on libuv.
 *
 * It includes fcgi.h, the pure half (codec, conn, CGI reader, renderer),
 * which does no I/O and needs no libuv.  A program that only decodes
 * includes fcgi.h alone and links libfcgitool-pure.a (or libfcgitool).
 */
#ifndef FCGI_UV_H
#define FCGI_UV_H

#include <stdio.h>

#include <uv.h>

#include "fcgi.h"

#ifdef __cplusplus
extern "C" {
#endif
/* ------------------------------------------------------------------ */
/* Sinks on stdio                                                      */
/* ------------------------------------------------------------------ */

/* A sink (fcgi.h) that writes to f with fwrite(3); f is borrowed. */
void fcgi_sink_file(struct fcgi_sink *s, FILE *f);

/* ------------------------------------------------------------------ */
/* Addresses                                                           */
/* ------------------------------------------------------------------ */

/* unix:/path or any text containing '/': a unix socket; host:port;
 * [v6addr]:port; :port (loopback).  Host names are resolved elsewhere. */
struct fcgi_addr {
	int family; /* AF_UNIX, AF_INET or AF_INET6 */
	char path[108];
	char host[256]; /* as given, brackets removed */
	uint16_t port;
};

/* 0, or FCGI_EADDR with a reason in err. */
int fcgi_addr_parse(struct fcgi_addr *a, const char *text, char *err,
		    size_t errlen);
/* "unix:/run/x.sock", "127.0.0.1:9000", "[::1]:9000". */
const char *fcgi_addr_format(const struct fcgi_addr *a, char *out, size_t n);

/* ------------------------------------------------------------------ */
/* Driven half: I/O and deadlines on libuv (io.c)                      */
/* ------------------------------------------------------------------ */

/* The one timer code: client, server, runner and proxy deadlines all use
 * it.  A timer lives inside its owner; close it with fcgi_timer_close()
 * and free the owner only after the closed callback ran. */
struct fcgi_timer {
	uv_timer_t handle;
	void (*cb)(struct fcgi_timer *t);
	void (*closed)(struct fcgi_timer *t);
	void *data;
	bool armed;
};

int fcgi_timer_init(uv_loop_t *loop, struct fcgi_timer *t,
		    void (*cb)(struct fcgi_timer *t), void *data);
/* Fire cb once, ms milliseconds from now (re-arming replaces the old
 * deadline).  ms 0 disarms. */
void fcgi_timer_arm(struct fcgi_timer *t, uint64_t ms);
void fcgi_timer_stop(struct fcgi_timer *t);
/* Close; closed (may be NULL) runs from the loop once libuv let go. */
void fcgi_timer_close(struct fcgi_timer *t,
		      void (*closed)(struct fcgi_timer *t));

/* Milliseconds on the loop's monotonic clock. */
uint64_t fcgi_now_ms(uv_loop_t *loop);

/* Streams: a uv_tcp_t or uv_pipe_t allocated here, freed by
 * fcgi_io_close().  stream->data belongs to the caller. */
typedef void (*fcgi_connect_cb)(uv_stream_t *s, int status, void *arg);
/* Connect to a; host names are resolved (blocking) first.  On success cb
 * gets the stream and status 0; on failure a NULL stream and a negative
 * libuv status (uv_strerror() explains it).  Returns 0 when the attempt
 * started, or a negative libuv code (no callback then). */
int fcgi_io_connect(uv_loop_t *loop, const struct fcgi_addr *a,
		    fcgi_connect_cb cb, void *arg);
/* Connect to a unix socket within the call, as connect(2) on one ends
 * at once: no round of the loop waits for it.  0 with the stream in *out;
 * UV_EAFNOSUPPORT when a is not a unix socket address (then use
 * fcgi_io_connect()); or the negative libuv code that fcgi_io_connect()
 * would have reported through its callback (UV_ENOENT, UV_ECONNREFUSED,
 * UV_EAGAIN when the listener's backlog is full, ...). */
int fcgi_io_connect_now(uv_loop_t *loop, const struct fcgi_addr *a,
			uv_stream_t **out);
/* Listen on a.  A unix socket gets mode unix_mode (0 means 0600), and a
 * stale socket file (nobody accepting) is removed first; a live one is
 * an error.  *out is the listening stream.  0 or a negative libuv code,
 * with a reason in err. */
int fcgi_io_listen(uv_loop_t *loop, const struct fcgi_addr *a, int backlog,
		   unsigned unix_mode, uv_connection_cb cb, void *data,
		   uv_stream_t **out, char *err, size_t errlen);
/* Listen on an inherited listening socket (FCGI_LISTENSOCK_FILENO 0). */
int fcgi_io_listen_fd(uv_loop_t *loop, int fd, int backlog, uv_connection_cb cb,
		      void *data, uv_stream_t **out, char *err, size_t errlen);
/* Listen on a without a loop: the socket itself, for processes that
 * share it (fcgi_prefork_run()), made as fcgi_io_listen() makes it.  0
 * and *fd, or a negative libuv code with the reason in err. */
int fcgi_io_listen_socket(const struct fcgi_addr *a, int backlog,
			  unsigned unix_mode, int *fd, char *err,
			  size_t errlen);
/* Describe the local address of socket fd, as fcgi_io_sockname(). */
const char *fcgi_io_fd_sockname(int fd, char *out, size_t n);
/* Whether fd is a listening socket (the way a web server starts an
 * app). */
bool fcgi_io_fd_is_listener(int fd);

/* Accept one connection from a listening stream into *out: 0,
 * FCGI_ENOMEM, or FCGI_EIO when libuv cannot set it up or accept it. */
int fcgi_io_accept(uv_stream_t **out, uv_stream_t *server);
/* Close and free; cb (may be NULL) runs when done. */
void fcgi_io_close(uv_stream_t *s, void (*cb)(void *arg), void *arg);
/* Describe the peer of s ("unix", "127.0.0.1:51234") into out. */
const char *fcgi_io_peername(uv_stream_t *s, char *out, size_t n);
/* Describe the local address of s ("unix:/run/x.sock", "127.0.0.1:9000",
 * "[::1]:9000"), e.g. to learn the port after binding port 0. */
const char *fcgi_io_sockname(uv_stream_t *s, char *out, size_t n);

/* ------------------------------------------------------------------ */
/* Client (client.c): the web server's half, on libuv                  */
/* ------------------------------------------------------------------ */

/*
 * A client sends requests to one address, in the shape of FastCGI.jl:
 * create a client on an address, hand it requests (fcgi_client_process),
 * then wait for each to be done (fcgi_client_wait), or do both at once
 * (fcgi_client_run).  Every byte from the server goes through a struct
 * fcgi_conn in FCGI_MODE_WEB, so the result carries the same violations
 * that proxy, pcap and conform report.  Connections are opened on demand,
 * kept and reused when keep_conn is set, and carry several requests at
 * once when multiplexing is on and the server allows it.
 */
struct fcgi_client;
struct fcgi_client_req;

/* How many requests one connection carries at once. */
enum fcgi_client_mpx {
	FCGI_CLIENT_MPX_OFF = 0, /* one at a time (request id 1, as nginx) */
	FCGI_CLIENT_MPX_ON,	 /* up to max_mpx, without asking */
	FCGI_CLIENT_MPX_ASK	 /* GET_VALUES FCGI_MPXS_CONNS and
				    FCGI_MAX_REQS on the first connection;
				    up to max_mpx only if it says "1" */
};

/* Where a connection-level event happened, for tracing.  conn is the
 * 1-based number of the client's connection; ts is seconds since the
 * client was created. */
struct fcgi_client_trace {
	/* Every record, in both directions: TO_APP as it is written to the
	 * socket, TO_WEB as it is decoded.  rec is valid during the call. */
	void (*on_record)(void *arg, unsigned conn, double ts,
			  enum fcgi_dir dir, const struct fcgi_record *rec);
	/* Each violation by the server that the conn reports. */
	void (*on_violation)(void *arg, unsigned conn, double ts,
			     const struct fcgi_violation *v);
	/* Connection life: what is "connect", "connected", "reuse",
	 * "close", "eof", "timeout", "abort", "mpx", "linger" (the server
	 * kept the connection after END_REQUEST) or "stall" (see
	 * stall_check_ms); detail is a short text. */
	void (*on_note)(void *arg, unsigned conn, double ts, const char *what,
			const char *detail);
	void *arg;
};

struct fcgi_client_opts {
	struct fcgi_conn_opts conn;  /* limits and allocator of each conn */
	uint64_t connect_timeout_ms; /* per connection attempt; 0: none */
	/* Silence from the server while a request is open on a connection:
	 * its requests are aborted with FCGI_ETIMEDOUT.  0: none. */
	uint64_t idle_timeout_ms;
	/* Default total time of one request, from fcgi_client_process() to
	 * END_REQUEST; 0: none.  A request may set its own. */
	uint64_t timeout_ms;
	/* After an ABORT_REQUEST sent because of a timeout or an
	 * interruption, how long to wait for END_REQUEST before the
	 * connection is closed (default 500). */
	uint64_t abort_grace_ms;
	/* FCGI_CLIENT_MPX_ASK: how long to wait for GET_VALUES_RESULT
	 * before taking the answer as "no" (default 1000). */
	uint64_t probe_timeout_ms;
	/* How often a connection with bytes to send is checked for a
	 * write or a body read under way (default 1000).  None is a lost
	 * wake-up, a bug of the client's: it is noted ("stall"), counted
	 * in the result and repaired.  A slow server is not timed out by
	 * it.  0: never. */
	uint64_t stall_check_ms;
	/* After END_REQUEST on a connection that is not kept, how long to
	 * read on until the server closes it (FastCGI 1.0, 5.1), so that
	 * what it sends after END_REQUEST counts with the request: a
	 * second END_REQUEST, more records, bytes that are not FastCGI.
	 * The request is done at the close or after linger_ms; the total
	 * timeout still applies.  0: close at once, as nginx does. */
	uint64_t linger_ms;
	bool keep_conn; /* set FCGI_KEEP_CONN and reuse connections */
	enum fcgi_client_mpx mpx;
	unsigned max_mpx;      /* requests at once when multiplexing (16) */
	unsigned max_conns;    /* connections open at once (1) */
	size_t body_max;       /* collected body bytes kept (64 MiB) */
	size_t stderr_max;     /* collected STDERR bytes kept (1 MiB) */
	size_t max_violations; /* kept per request and per client (64) */
	const struct fcgi_client_trace *trace; /* borrowed; may be NULL */
};

/* Defaults as noted above; no timeouts, no keep-alive, no multiplexing,
 * and fcgi_conn_opts_default() for the conns. */
void fcgi_client_opts_default(struct fcgi_client_opts *o);

/*
 * Create a client for addr (copied).  loop NULL gives the client a loop
 * of its own, which fcgi_client_wait() and fcgi_client_free() run; with
 * the caller's loop the caller runs it.  opts may be NULL (defaults);
 * opts->trace is borrowed for the client's life.  Nothing is connected
 * until a request is processed; a host name is resolved at each connect.
 * Returns 0 and *out, FCGI_EINVAL (a NULL argument, an address that
 * fcgi_addr_parse() cannot have made) or FCGI_ENOMEM.
 */
int fcgi_client_new(struct fcgi_client **out, uv_loop_t *loop,
		    const struct fcgi_addr *addr,
		    const struct fcgi_client_opts *opts);
/* The loop the client runs on. */
uv_loop_t *fcgi_client_loop(struct fcgi_client *c);
/* Seconds since the client was created: the clock of the trace's ts. */
double fcgi_client_elapsed(const struct fcgi_client *c);
/*
 * Abort every request still open (ABORT_REQUEST where one was sent; they
 * end with FCGI_ECANCELED and their on_done runs), close every
 * connection and free the client.  With its own loop the loop is run
 * until every handle is closed and then closed; with the caller's loop
 * the memory is released from close callbacks while the caller runs the
 * loop.  Requests not yet freed stay valid until fcgi_client_req_free().
 * Never call it from one of the client's callbacks.  NULL is ignored.
 */
void fcgi_client_free(struct fcgi_client *c);
/* Violations by the server on any of the client's connections so far,
 * including those outside any request (a kept connection closed while
 * idle); *n gets the count kept (at most opts.max_violations).  Valid
 * until the next loop iteration. */
const struct fcgi_violation *fcgi_client_violations(const struct fcgi_client *c,
						    size_t *n);

/* A STDIN or DATA body. */
enum fcgi_client_body_kind {
	FCGI_BODY_NONE = 0, /* an empty stream (only its end is sent) */
	FCGI_BODY_MEM,	    /* data[0..len), borrowed until done */
	FCGI_BODY_FD	    /* read from fd until end of file; not closed */
};

/* A regular file is read with positional reads from offset, so the same
 * descriptor can serve several requests at once; a pipe, socket or
 * terminal is read as a stream (once) and offset is ignored.  Bytes are
 * read only as the connection drains, so a body is never loaded whole. */
struct fcgi_client_body {
	enum fcgi_client_body_kind kind;
	const void *data;
	size_t len;
	int fd;
	int64_t offset;
};

/* The timings of one request, in milliseconds. */
struct fcgi_client_timing {
	double connect_ms;    /* connecting; 0 on a reused connection */
	double first_byte_ms; /* BEGIN_REQUEST sent to its first answer byte;
				 -1 when nothing came */
	double total_ms;      /* fcgi_client_process() to done */
};

/*
 * What happened to one request.  Owned by the request; pointers are valid
 * until fcgi_client_req_free().  Fields fill in as the exchange goes on
 * and are final when the request is done.
 */
struct fcgi_client_result {
	/* 0, or why the request failed: FCGI_ECONNECT, FCGI_EIO,
	 * FCGI_ETIMEDOUT, FCGI_ECLOSED (the server closed the connection
	 * before END_REQUEST), FCGI_EPROTO (the server's bytes cannot be
	 * decoded, it answered another request id, or its answer is no CGI
	 * response: see cgi_error), FCGI_ECANCELED (fcgi_client_abort()
	 * with an error, or fcgi_client_free()), FCGI_ENOMEM. */
	int error;
	char error_msg[320]; /* one line, "" when error is 0 */
	uint16_t request_id; /* 0 for a GET_VALUES query */
	unsigned conn;	     /* the client's connection number (1-based) */
	bool reused;	     /* sent on a connection used before */
	bool aborted;	     /* an ABORT_REQUEST was sent */
	bool ended;	     /* END_REQUEST arrived */
	uint32_t app_status;
	uint8_t protocol_status;
	/* The CGI response in the STDOUT stream. */
	bool headers_done; /* the header block is complete */
	int status;	   /* Status, 302 for Location, else 200; 0 if none */
	char reason[64];
	const struct fcgi_params *headers; /* as sent, in order */
	struct fcgi_buf raw_headers; /* the header block's bytes as sent */
	/* The rule of RFC 3875 that STDOUT broke, when it was no CGI
	 * response (FCGI_CGI_EMPTY: no STDOUT byte came), or FCGI_CGI_OK.
	 * The message says why and where; every STDOUT byte, headers
	 * included, went to the body.  Not judged for a request that was
	 * aborted or answered with a protocolStatus other than
	 * REQUEST_COMPLETE.  It makes the error FCGI_EPROTO. */
	enum fcgi_cgi_error cgi_error;
	char cgi_error_msg[256];
	unsigned cgi_error_line;   /* the 1-based header line, or 0 */
	uint64_t cgi_error_offset; /* where in the STDOUT stream */
	/* Collected streams (req opts.collect), at most body_max and
	 * stderr_max bytes; the *_truncated flags say that more came. */
	struct fcgi_buf body;
	struct fcgi_buf err;
	bool body_truncated, err_truncated;
	uint64_t stdout_bytes, stderr_bytes; /* stream bytes received */
	uint64_t body_bytes;		     /* STDOUT bytes after headers */
	uint64_t stdin_bytes, data_bytes;    /* body bytes sent */
	/* A GET_VALUES query: the answer (empty until it comes), and
	 * whether the server answered UNKNOWN_TYPE instead. */
	const struct fcgi_params *values;
	bool values_unknown;
	struct fcgi_client_timing t;
	/* Times the stall check found this request's connection with bytes
	 * to send and nothing under way, and resumed it: a bug of the
	 * client's, never the server's doing (0). */
	unsigned stalls;
	/* Violations by the server concerning this request (its id, or the
	 * connection while the request was open on it). */
	const struct fcgi_violation *violations;
	size_t n_violations;
	size_t violations_dropped; /* past opts.max_violations */
	/* How many fcgi_client_violations() there were when the request
	 * ended: later ones (a kept connection closed after the last
	 * answer) happened after it. */
	size_t client_violations;
};

/*
 * Calls for one request; every one may be NULL.  on_headers, on_body and
 * on_stderr run while bytes are being decoded: they may read the result
 * and call fcgi_client_abort(), nothing else of the client.  on_done runs
 * once, from the loop, when the result is final; it may do anything,
 * including fcgi_client_req_free(r) and processing new requests.
 */
struct fcgi_client_req_cb {
	void (*on_headers)(struct fcgi_client_req *r,
			   const struct fcgi_client_result *res, void *arg);
	/* STDOUT bytes after the CGI header block (all of them when
	 * res->cgi_error is set), as they arrive; valid during the call. */
	void (*on_body)(struct fcgi_client_req *r, const uint8_t *data,
			size_t len, void *arg);
	void (*on_stderr)(struct fcgi_client_req *r, const uint8_t *data,
			  size_t len, void *arg);
	void (*on_done)(struct fcgi_client_req *r,
			const struct fcgi_client_result *res, void *arg);
};

struct fcgi_client_req_opts {
	uint16_t role; /* FCGI_RESPONDER (also for 0), _AUTHORIZER, _FILTER */
	const struct fcgi_params *params; /* copied; NULL: none */
	struct fcgi_client_body in;	  /* the STDIN stream */
	struct fcgi_client_body data;	  /* the DATA stream (FILTER only) */
	/* Non-NULL: this request is a GET_VALUES query for these names
	 * (copied, values ignored); role, params and bodies are unused. */
	const struct fcgi_params *get_values;
	uint64_t timeout_ms;	 /* total; 0: the client's timeout_ms */
	uint64_t abort_after_ms; /* send ABORT_REQUEST this long after
				    processing began, then go on reading;
				    0: never */
	bool collect;		 /* keep body and STDERR in the result */
	const struct fcgi_client_req_cb *cb; /* borrowed; may be NULL */
	void *arg;
};

/* Zero everything; role FCGI_RESPONDER. */
void fcgi_client_req_opts_default(struct fcgi_client_req_opts *o);

/*
 * A new request for client c from o (params and names copied, bodies
 * borrowed).  It does nothing until processed.  Returns 0 and *out,
 * FCGI_EINVAL (unknown role; a DATA body without FCGI_FILTER; an FD body
 * with a negative fd) or FCGI_ENOMEM.
 */
int fcgi_client_req_new(struct fcgi_client_req **out, struct fcgi_client *c,
			const struct fcgi_client_req_opts *o);
/*
 * Free a request.  A request still open is first aborted with
 * FCGI_ECANCELED and freed once it is done (its on_done does not run).
 * The memory goes when its timers and reads have let go, from the loop.
 * NULL is ignored.
 */
void fcgi_client_req_free(struct fcgi_client_req *r);

/*
 * Queue r on its client: a connection is opened or reused as soon as the
 * loop runs, then BEGIN_REQUEST, PARAMS and the bodies are sent as the
 * socket drains.  Its timeouts start now.  Returns 0, or FCGI_ESTATE if r
 * was processed before.
 */
int fcgi_client_process(struct fcgi_client_req *r);
/*
 * Run the client's loop until r is done (its on_done has run).  Returns
 * the result's error (0 when END_REQUEST or the GET_VALUES answer came),
 * or FCGI_ESTATE when r was never processed.
 */
int fcgi_client_wait(struct fcgi_client_req *r);
/* fcgi_client_process() then fcgi_client_wait(): the simple blocking
 * call for one request. */
int fcgi_client_run(struct fcgi_client_req *r);
/* Run the loop until no request of the client is open.  0. */
int fcgi_client_wait_all(struct fcgi_client *c);

/*
 * Abort r.  Not sent yet: it ends at once.  Sent: ABORT_REQUEST goes out
 * (once) and reading goes on.  error 0 lets the request end as the
 * server decides (END_REQUEST); a negative FCGI_E* (FCGI_ECANCELED for an
 * interruption) becomes the result's error, and the connection is closed
 * if END_REQUEST has not come within abort_grace_ms.  Returns 0, or
 * FCGI_ESTATE when r is done or was never processed.  Safe from the
 * request's callbacks and from signal watchers on the loop.
 */
int fcgi_client_abort(struct fcgi_client_req *r, int error);
/* fcgi_client_abort() on every open request of c. */
void fcgi_client_abort_all(struct fcgi_client *c, int error);

/* The result (never NULL); see struct fcgi_client_result. */
const struct fcgi_client_result *
fcgi_client_req_result(const struct fcgi_client_req *r);
/* Whether r is done (its on_done has run). */
bool fcgi_client_req_is_done(const struct fcgi_client_req *r);

/* ---- server (server.c) and runners (runner.c, run_*.c) ---- */

/*
 * A FastCGI application server, after FastCGI.jl: create a server, choose
 * its runner, listen on addresses, process.  Each accepted connection gets
 * one APP-mode struct fcgi_conn, which does all the parsing; each request
 * whose PARAMS stream is complete is handed to the runner.  The server
 * answers GET_VALUES with its real limits, UNKNOWN_ROLE for roles it does
 * not take, CANT_MPX_CONN when multiplexing is off, OVERLOADED past its
 * limits, and stops a request's runner on ABORT_REQUEST, on a closed
 * connection and at the one deadline (DESIGN rule 3).  A request whose
 * PARAMS break the limits is not run: it gets "Status: 431".  A
 * connection error (an application record with request id 0, a
 * BEGIN_REQUEST whose body is not 8 bytes, a bad version) closes the
 * connection after what is queued; a GET_VALUES with a request id other
 * than 0 is not answered; a second BEGIN_REQUEST for an active id stops
 * the request running under it and is refused with CANT_MPX_CONN.  Each
 * is reported as a violation to opts.trace.
 *
 * The caller must ignore SIGPIPE (a runner's pipe or a peer's socket may
 * close while bytes are queued for it); libuv writes with write(2).
 */

/* ---- responders: the function type behind --fn ---- */

/*
 * A responder function.  It runs in a process of its own, never exec'd:
 * a pre-forked worker that runs one request after another
 * (FCGI_ISOLATE_POOL, the default; see fcgi_func_runner_set_isolation),
 * or a child forked for the request.  So a crash or an endless loop
 * cannot take the server down, and the one timeout can stop it by killing
 * the process group (a killed worker is replaced).
 *  params  the request's params (borrowed; valid for the whole call).
 *  in      the request body (the STDIN stream); EOF at its end.
 *  out     becomes STDOUT records: a CGI response (headers, blank line,
 *          body), e.g. "Content-Type: text/plain\r\n\r\nhi\n".
 *  err     becomes STDERR records.
 * Returns the exit code that becomes END_REQUEST's appStatus (converted
 * to uint32_t).  A child that dies of a signal instead gets appStatus
 * 128 + the signal number, a STDERR line saying so and, when it wrote no
 * output, a "Status: 500" response.  The streams are flushed and closed
 * when the function returns (and a forked child exits); they are the
 * caller's, so the function must not fclose them.
 */
typedef int (*fcgi_responder_fn)(const struct fcgi_params *params, FILE *in,
				 FILE *out, FILE *err);

/* One named responder; tables end with { NULL, NULL }. */
struct fcgi_fn_entry {
	const char *name;
	fcgi_responder_fn fn;
};

/* ---- runners: one interface for --fn, --exec and scripted mocks ---- */

/*
 * The server hands each request whose PARAMS stream is complete to its
 * runner (struct fcgi_runner), whose start() makes a run: the state of
 * that one request.  Every run begins with a pointer to the operations
 * table of its kind (struct fcgi_run_ops): a child process ("child",
 * --fn under --isolate request and --exec), a pool worker ("pool", --fn),
 * a canned answer ("canned": an unknown function or script), a scripted
 * mock ("mock").  The server calls a run's operations through that
 * pointer and never asks which kind it is, so one runner may start runs
 * of several kinds (the function runner answers an unknown name with a
 * canned run) and a runner may start another runner's runs as its own (a
 * mock route that names a function).
 *
 * A run's life:
 *  1. start() returns it.  The run then streams:
 *  2. the body: write_stdin() for each STDIN record's bytes (at most
 *     CONTENT_LENGTH of them unless the server is told otherwise),
 *     close_stdin() at its end (at once for an Authorizer: FastCGI 1.0,
 *     6.3).  write_stdin() returns what the run still holds; above the
 *     server's stdin_high the server stops reading the connection until
 *     on_stdin_drained() says the run took it all (backpressure).
 *  3. output: on_stdout() and on_stderr() as it comes (the server frames
 *     it in STDOUT and STDERR records); pause(true) while the web server
 *     does not read what the connection already holds, pause(false) when
 *     it has drained.  A run may also queue raw bytes on the connection
 *     (on_raw: crafted records, garbage) or close it (on_close_conn).
 *  4. the end: on_done(appStatus, protocolStatus), exactly once, after
 *     which the run holds no handle and no process; the server sends
 *     END_REQUEST (ending STDOUT and, if used, STDERR first) unless the
 *     request was answered already, and calls destroy() from on_done or
 *     later.
 * abort() may come at any time before on_done: ABORT_REQUEST, the web
 * server closing the connection, the request's deadline, the server
 * stopping.  The run stops at once (a process group gets SIGTERM, then
 * SIGKILL after kill_grace_ms), drops its output, and still ends with
 * on_done.  Past the deadline the server itself sends the timeout answer
 * (fcgi_timeout_answer(), DESIGN rule 3) before it aborts the run.
 *
 * A run never calls the server back from inside one of its own
 * operations, start() included: only later, from the loop.
 */

struct fcgi_run;

/* How a run closes its connection (on_close_conn). */
enum fcgi_close {
	FCGI_CLOSE_FLUSH, /* write what is queued, then FIN */
	FCGI_CLOSE_RESET  /* drop what is queued; RST on TCP */
};

/* How a run reports to the server.  arg is fcgi_run_info.arg. */
struct fcgi_run_cbs {
	/* Output for the request's STDOUT or STDERR stream (copied). */
	void (*on_stdout)(void *arg, const uint8_t *data, size_t len);
	void (*on_stderr)(void *arg, const uint8_t *data, size_t len);
	/* Every byte given to write_stdin has been taken (or dropped
	 * because the run stopped reading). */
	void (*on_stdin_drained)(void *arg);
	/* Queue bytes on the connection exactly as they are (copied): the
	 * way a scripted run crafts records (another request id, a bad
	 * version, an early END_REQUEST, garbage).  The server's conn
	 * follows them as it follows its own records: an END_REQUEST for
	 * this request sent this way ends it on the wire, and on_done then
	 * sends nothing more.  Dropped once the request has been answered
	 * by the server or its connection is gone. */
	void (*on_raw)(void *arg, const uint8_t *bytes, size_t len);
	/* Close the connection: FCGI_CLOSE_FLUSH writes what is queued,
	 * then shuts the socket down (FIN); FCGI_CLOSE_RESET drops what is
	 * queued and resets it (RST on TCP).  Every other request on the
	 * connection is aborted; this one is not (it goes on to on_done
	 * by itself), but its output goes nowhere any more. */
	void (*on_close_conn)(void *arg, enum fcgi_close how);
	/* The run's raw bytes answered the request in a way the conn cannot
	 * follow (END_REQUEST under another request id, or after bytes that
	 * are not FastCGI): on_done then sends nothing for it either. */
	void (*on_answered)(void *arg);
	/* The run is over and holds no resources any more; nothing else is
	 * called after it, and the server calls destroy from here or later.
	 * app_status and protocol_status go into END_REQUEST (unless the
	 * request was already answered, e.g. at its deadline). */
	void (*on_done)(void *arg, uint32_t app_status,
			uint8_t protocol_status);
	/* Whether every byte queued on the request's connection has been
	 * written, so that its stream is at a record boundary (a run that
	 * blocks its loop tells its supervisor so).  May be NULL. */
	bool (*out_idle)(void *arg);
};

/* What start() gets.  All of it is borrowed: params and label only for
 * the duration of start(), loop and cb for the run's whole life. */
struct fcgi_run_info {
	uv_loop_t *loop;
	uint16_t request_id;
	uint16_t role; /* FCGI_RESPONDER or FCGI_AUTHORIZER */
	uint8_t flags; /* BEGIN_REQUEST's flags (FCGI_KEEP_CONN) */
	const struct fcgi_params *params; /* the complete PARAMS stream */
	const struct fcgi_run_cbs *cb;
	void *arg;		/* first argument of every cb */
	uint64_t kill_grace_ms; /* SIGTERM to SIGKILL, 0 = 1000 */
	const char *label;	/* "c3#1", for messages */
	/* For a run that blocks its loop and is watched from outside
	 * (FCGI_ISOLATE_INLINE under fcgi_prefork_run()): the connection's
	 * socket (-1: none), the request's deadline in fcgi_now_ms() time
	 * (0: none) and the status of the timeout answer. */
	int conn_fd;
	uint64_t deadline_ms;
	unsigned timeout_status;
};

/*
 * The operations of one kind of run.  Each gets the run start() made.
 *  write_stdin  queue request body bytes (copied); returns the bytes
 *               still held inside the run (on_stdin_drained follows when
 *               that reaches 0) or a negative FCGI_E*.  Bytes after the
 *               run stopped reading are dropped.
 *  close_stdin  the body is complete (EOF once the queue drains).
 *  pause        true: stop producing output; false: resume.
 *  abort        stop now (see above).  Output after it is not reported;
 *               on_done still follows, from the loop.
 *  destroy      free the run; only after on_done.
 */
struct fcgi_run_ops {
	const char *name; /* "child", "pool", "canned", "mock" */
	ssize_t (*write_stdin)(struct fcgi_run *run, const uint8_t *data,
			       size_t len);
	void (*close_stdin)(struct fcgi_run *run);
	void (*pause)(struct fcgi_run *run, bool paused);
	void (*abort)(struct fcgi_run *run);
	void (*destroy)(struct fcgi_run *run);
};

/* The head of every run: a run kind's own struct begins with it. */
struct fcgi_run {
	const struct fcgi_run_ops *ops;
};

/*
 * A runner: what makes runs (a set of libraries, a document root, a mock
 * plan).  self is its configuration.
 *  start    begin one request.  0 and *run, or a negative FCGI_E*
 *           (FCGI_ENOMEM; FCGI_ELIMIT when no process can be made;
 *           FCGI_EINVAL on a second loop, below), in which case no
 *           callback follows and the server answers OVERLOADED.  A
 *           request the runner refuses (no such function or script)
 *           still starts: its run answers with a CGI error response and
 *           a STDERR line.
 *  release  free self (fcgi_runner_free).  May be NULL.
 *  values   FCGI_GET_VALUES asking names: 1 with the bytes to send
 *           instead of the server's answer appended to raw (none: no
 *           answer at all), 0 for the server's own answer, or a negative
 *           FCGI_E*.  May be NULL: the server answers.
 * The function and process runners reap their children from one SIGCHLD
 * watcher: their runs may live on one loop per process at a time (start
 * fails with FCGI_EINVAL on a second loop while the first has runs).  A
 * function runner's pool of workers belongs to the loop of its first
 * request for the runner's life; the loop must run once after
 * fcgi_runner_free, to close the pool's handles.
 */
struct fcgi_runner_ops {
	const char *name; /* "function", "exec", "mock" */
	int (*start)(void *self, const struct fcgi_run_info *info,
		     struct fcgi_run **run);
	void (*release)(void *self);
	int (*values)(void *self, const struct fcgi_params *names,
		      struct fcgi_buf *raw);
};

/* A configured runner: an implementation and its state. */
struct fcgi_runner {
	const struct fcgi_runner_ops *ops;
	void *self;
	const struct fcgi_mem *mem;
};

/* A runner made of ops (borrowed: they must outlive it) and self (owned:
 * ops->release frees it with the runner).  0 and *out, FCGI_EINVAL (no
 * ops or no start), FCGI_ENOMEM (self is not released then). */
int fcgi_runner_new(struct fcgi_runner **out, const struct fcgi_runner_ops *ops,
		    void *self, const struct fcgi_mem *mem);
/* Frees r and its state (ops->release); NULL is ignored. */
void fcgi_runner_free(struct fcgi_runner *r);

/*
 * The function runner (--fn).  SCRIPT_FILENAME names the function: its
 * last path component ("/srv/www/hello" calls "hello"), or "LIB:name"
 * there to pick the library whose label is LIB (a library's label is
 * its file name, e.g. "greet.so", or a table's name, e.g. "builtin").
 * Without a label the libraries and tables are searched in the order
 * they were added.  A name that is not a C identifier, or that no
 * library defines as a function of its own (a symbol the library merely
 * imports, such as "system", does not count), gets "Status: 404", a
 * STDERR line and appStatus 127.
 * 0, FCGI_ENOMEM.
 */
int fcgi_func_runner_new(struct fcgi_runner **out, const struct fcgi_mem *mem);
/* Load a shared object (dlopen, RTLD_NOW | RTLD_LOCAL); it stays loaded
 * until the runner is freed.  0, FCGI_EINVAL (r is not a function
 * runner), FCGI_ENOMEM, FCGI_EIO with dlerror()'s text in err. */
int fcgi_func_runner_add_lib(struct fcgi_runner *r, const char *path, char *err,
			     size_t errlen);
/* Add a table of responders under the label name (both borrowed: they
 * must outlive the runner).  0, FCGI_EINVAL, FCGI_ENOMEM. */
int fcgi_func_runner_add_table(struct fcgi_runner *r, const char *name,
			       const struct fcgi_fn_entry *table);

/* How the function runner keeps requests apart. */
enum fcgi_isolate {
	/* A pool of pre-forked workers, each running one request at a
	 * time and then the next: a crash or a timeout costs only its
	 * request (the worker is killed and replaced), but what a function
	 * leaves in memory persists in its worker (the default). */
	FCGI_ISOLATE_POOL = 0,
	/* A child forked for each request: nothing can leak from one
	 * request into another, at the price of a fork per request. */
	FCGI_ISOLATE_REQUEST = 1,
	/* In the process that runs the loop, from the loop: no process
	 * and no pipe, so a request costs only its connection's reads and
	 * writes; but a function that crashes takes that process along,
	 * and while one runs the loop does nothing else.  For functions
	 * one trusts, or in the workers of fcgi_prefork_run(), whose
	 * supervisor answers for a function that crashes or hangs.  The
	 * body is gathered in memory first (at most FCGI_INLINE_BODY_MAX
	 * bytes: a request that declares more in CONTENT_LENGTH runs in a
	 * child forked for it, and a longer body without one gets
	 * "Status: 413"), and the output is held in memory until the
	 * function returns (at most FCGI_INLINE_OUT_MAX bytes; the rest is
	 * dropped, with a STDERR line).  The function must write to its
	 * streams, not to the process's standard output. */
	FCGI_ISOLATE_INLINE = 2
};
#define FCGI_WORKERS_MAX 1024
#define FCGI_INLINE_BODY_MAX (16u << 20)
#define FCGI_INLINE_OUT_MAX (64u << 20)

/* Choose r's isolation and, for FCGI_ISOLATE_POOL, how many workers
 * (1 to FCGI_WORKERS_MAX; 0: fcgi_default_workers()).  Only before the
 * first request.  0, FCGI_EINVAL (not a function runner, a bad value,
 * or the workers have started). */
int fcgi_func_runner_set_isolation(struct fcgi_runner *r,
				   enum fcgi_isolate isolate, unsigned workers);
/* The number of online CPUs, at least 4 and at most 64. */
unsigned fcgi_default_workers(void);

struct fcgi_watch;
/* Inline runs of r report to watch (a worker's slot, fcgi_prefork_run()),
 * so that its supervisor can answer for a function that crashes or hangs.
 * Only before the first request.  0, FCGI_EINVAL. */
int fcgi_func_runner_set_watch(struct fcgi_runner *r, struct fcgi_watch *watch);

/*
 * The process runner (--exec): runs SCRIPT_FILENAME as a CGI/1.1 program
 * (RFC 3875), one child per request, as fcgiwrap does.  Its environment is
 * the params, except HTTP_PROXY and pairs with a NUL or an '=' in the
 * name, plus FCGI_ROLE and a default PATH when the params have none; its
 * standard input is the request body, its stdout and stderr stream back as
 * STDOUT and STDERR records, its exit status becomes appStatus.  It runs in
 * its own session, in the script's directory.  The script must resolve
 * (symbolic links followed) to a file under root; a name with a ".."
 * component or one that resolves outside root gets "Status: 403", a
 * missing one "Status: 404" (appStatus 127), a non-executable one
 * "Status: 403" (appStatus 126), each with a STDERR line saying why.
 * A relative SCRIPT_FILENAME is taken relative to root.
 * 0, FCGI_EINVAL (root is not a directory; reason in err), FCGI_ENOMEM.
 */
int fcgi_exec_runner_new(struct fcgi_runner **out, const char *root,
			 const struct fcgi_mem *mem, char *err, size_t errlen);

/* ---- the scripted runner (run_mock.c, serve --mock) ---- */

/*
 * The mock runner plays, for each request, a list of steps that a
 * responder (mock/, from a script) hands it as plain data: bytes framed
 * into STDOUT or STDERR records with any record size, padding, version or
 * request id, crafted bytes, delays, a pace for what follows, closes and
 * resets.  It writes everything itself through on_raw, so what reaches
 * the wire is exactly what the steps say, and tells the server through
 * on_answered when a step wrote END_REQUEST, whatever its request id, so
 * that the server adds none.  A step may also hand the request to the
 * function or process runner, which then runs under the same timeout.
 * One exception to "never from inside an op": abort() writes the rest of
 * a record already begun (on_raw), so that what the server sends after
 * it starts on a record boundary.
 */

enum fcgi_mock_op {
	FCGI_MOCK_STREAM = 1, /* data, then gen generated bytes, as records
				 of type, cut at record_size content bytes
				 (len 0 and gen 0: one empty record) */
	FCGI_MOCK_WRITE,      /* data as it is */
	FCGI_MOCK_DELAY,      /* wait ms */
	FCGI_MOCK_PACE,	      /* later bytes go out n at a time, every ms
				 (n 0: at once; ms 0: each on a later loop
				 turn); or, with rate, at rate bytes/s */
	FCGI_MOCK_ANSWERED,   /* END_REQUEST is out: the server sends none */
	FCGI_MOCK_CLOSE,      /* close the connection (after what is
				 written so far) */
	FCGI_MOCK_RESET,      /* close with SO_LINGER 0: RST on TCP */
	FCGI_MOCK_HANG,	      /* send nothing more: wait for the abort, the
				 timeout or the connection's end */
	FCGI_MOCK_ON_ABORT,   /* from here an abort does abort (see below),
				 ms after it for FCGI_MOCK_ABORT_LATE */
	FCGI_MOCK_DELEGATE    /* hand the request to the function (runner
				 0) or process (runner 1) runner, with
				 SCRIPT_FILENAME set to name */
};

enum fcgi_mock_abort {
	FCGI_MOCK_ABORT_STOP = 0, /* stop playing; the server ends it */
	FCGI_MOCK_ABORT_IGNORE,	  /* go on playing as if nothing came */
	FCGI_MOCK_ABORT_LATE	  /* stop, and end it ms later */
};

/* One step; which fields count depends on op. */
struct fcgi_mock_step {
	enum fcgi_mock_op op;
	const uint8_t *data; /* STREAM, WRITE (borrowed from the play) */
	size_t len;
	uint64_t gen;		    /* STREAM: generated bytes, see below */
	uint8_t type;		    /* STREAM: FCGI_STDOUT or FCGI_STDERR */
	uint8_t version;	    /* STREAM: the header's version byte */
	uint16_t request_id;	    /* STREAM */
	uint32_t record_size;	    /* STREAM: 1..65535 content bytes */
	int padding;		    /* STREAM: 0..255, or -1 to align to 8 */
	uint64_t n, ms, rate;	    /* PACE; DELAY and ON_ABORT use ms */
	enum fcgi_mock_abort abort; /* ON_ABORT */
	unsigned runner;	    /* DELEGATE: 0 function, 1 process */
	const char *name;	    /* DELEGATE */
};

/* Generated bytes: byte i of the generated part is
 * FCGI_MOCK_GEN_LINE[i % 64], a 64-byte line ending in '\n'. */
#define FCGI_MOCK_GEN_LINE \
	"0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ.\n"

/* What to play for one request.  early: start before the request body is
 * complete (else the body is read to its end first). */
struct fcgi_mock_play {
	const struct fcgi_mock_step *steps;
	size_t n;
	bool early;
};

/* One request as the mock runner knows it; passed to every responder
 * call for that request, with the fields filled in so far. */
struct fcgi_mock_req {
	const char *label; /* "c3#1" */
	uint16_t request_id;
	uint16_t role;
	uint8_t flags;
	const struct fcgi_params *params;
	const uint8_t *body;	   /* the first body_len bytes of the body */
	size_t body_len;	   /* at most opts.body_max */
	uint64_t body_total;	   /* bytes received so far */
	bool body_done;		   /* the body is complete */
	uint8_t body_sha256[32];   /* of the whole body, once complete */
	uint64_t start_ms, end_ms; /* fcgi_now_ms() at start and end */
	bool aborted;		   /* the server aborted the run */
	bool answered;		   /* END_REQUEST was written by a step */
	void *user;		   /* the responder's, NULL at first */
};

/* The responder: where plays come from.  Every function may keep state
 * in req->user. */
struct fcgi_mock_responder {
	/* The play for req (borrowed until end), or FCGI_EPARTIAL to be
	 * asked again once the body is complete (never returned then), or
	 * FCGI_ENOMEM.  peek: only say whether an early play is due; nothing
	 * may change (counters, states) unless it is. */
	int (*decide)(void *arg, struct fcgi_mock_req *req, bool peek,
		      const struct fcgi_mock_play **play);
	/* The run is over (req->end_ms, aborted, answered set); free what
	 * req->user holds.  Runs for every request decide saw. */
	void (*end)(void *arg, struct fcgi_mock_req *req);
	/* FCGI_GET_VALUES asking names: 1 with the bytes to send instead of
	 * the server's answer appended to out (none at all is fine: no
	 * answer), or 0 to let the server answer.  May be NULL. */
	int (*values)(void *arg, const struct fcgi_params *names,
		      struct fcgi_buf *out);
	void *arg;
};

struct fcgi_mock_runner_opts {
	const struct fcgi_mem *mem;
	size_t body_max; /* body bytes kept per request (16 MiB) */
	/* Runners a DELEGATE step hands requests to (borrowed; may be NULL:
	 * such a request gets "Status: 500"). */
	struct fcgi_runner *fn, *exec;
};

/*
 * A mock runner that asks resp (copied; resp->arg borrowed) what to play.
 * opts may be NULL (defaults).  0, FCGI_EINVAL, FCGI_ENOMEM.
 */
int fcgi_mock_runner_new(struct fcgi_runner **out,
			 const struct fcgi_mock_responder *resp,
			 const struct fcgi_mock_runner_opts *opts);

/* ---- the server ---- */

struct fcgi_server_opts {
	struct fcgi_limits limits; /* per connection (max_requests unused) */
	const struct fcgi_mem *mem;
	unsigned max_conns;  /* FCGI_MAX_CONNS (1024); past it: OVERLOADED */
	unsigned max_reqs;   /* FCGI_MAX_REQS (1024), all connections */
	bool mpx;	     /* FCGI_MPXS_CONNS (true); false: CANT_MPX_CONN */
	unsigned roles;	     /* bits (1 << role) run; others UNKNOWN_ROLE */
	uint64_t timeout_ms; /* per request from BEGIN; 0 = none */
	unsigned timeout_status;  /* 408: Status and appStatus at timeout */
	uint64_t read_timeout_ms; /* BEGIN to the end of STDIN (30 s) */
	/* A connection on which nothing arrives this long after accept is
	 * closed (5 s); 0: only idle_timeout_ms applies. */
	uint64_t first_byte_timeout_ms;
	uint64_t idle_timeout_ms; /* no request open, or no write progress
				   * (60 s) */
	uint64_t kill_grace_ms;	  /* SIGTERM to SIGKILL (1 s) */
	uint64_t shutdown_ms;	  /* a stop waits this long for requests
				   * to finish before aborting them (10 s) */
	size_t out_high;   /* output queued per connection that pauses its
			    * runners and its reading (256 KiB) */
	size_t out_low;	   /* ... and resumes them when drained (64 KiB) */
	size_t stdin_high; /* body queued in one runner that pauses reading
			    * the connection (256 KiB) */
	/* false (the default): a run gets at most CONTENT_LENGTH bytes of
	 * body, when that is a decimal number, and the end of its body
	 * when it has them; what STDIN holds beyond is dropped (the conn
	 * reports the mismatch).  true: STDIN as it comes. */
	bool raw_stdin;
	int backlog;	     /* listen(2) backlog (511; at least max_conns) */
	unsigned unix_mode;  /* mode of unix sockets (0600) */
	bool handle_signals; /* SIGINT and SIGTERM stop gracefully; a
			      * second one aborts what is left */
	/* Every record both ways, violations and notes, or NULL (borrowed;
	 * must outlive the server). */
	struct fcgi_render *trace;
	/* Diagnostics ("cannot fork: ..."), one line each, or NULL. */
	void (*log)(void *arg, const char *msg);
	void *log_arg;
	/* The number of each new connection's label ("c7"); NULL: the
	 * server's own count from 1.  Servers in several processes share
	 * one count this way (fcgi_watch_next_conn()). */
	uint64_t (*next_conn)(void *arg);
	void *next_conn_arg;
};

/* Fill o with the defaults given in the field comments. */
void fcgi_server_opts_default(struct fcgi_server_opts *o);

struct fcgi_server;

/* A server on loop (borrowed; it must outlive the server).  opts is
 * copied; NULL means the defaults.  0, FCGI_EINVAL, FCGI_ENOMEM. */
int fcgi_server_new(struct fcgi_server **out, uv_loop_t *loop,
		    const struct fcgi_server_opts *opts);
/* Choose the runner (borrowed; it must outlive the server).  Without one
 * every request gets "Status: 500" and a STDERR line. */
void fcgi_server_set_runner(struct fcgi_server *s, struct fcgi_runner *r);
/* Listen on a (unix sockets get opts.unix_mode; a stale socket file is
 * removed first, and the file is removed again when the server stops).
 * 0 or FCGI_EADDR with the reason in err. */
int fcgi_server_listen(struct fcgi_server *s, const struct fcgi_addr *a,
		       char *err, size_t errlen);
/* Listen on an inherited listening socket, e.g. fd 0 as a web server,
 * spawn-fcgi or cgi-fcgi -start pass it.  0 or FCGI_EADDR with err. */
int fcgi_server_listen_fd(struct fcgi_server *s, int fd, char *err,
			  size_t errlen);
/* How many listeners there are, and listener i's bound address ("unix:
 * /x.sock", "127.0.0.1:40123" with the real port when 0 was asked). */
size_t fcgi_server_listener_count(const struct fcgi_server *s);
const char *fcgi_server_listener_name(const struct fcgi_server *s, size_t i,
				      char *out, size_t n);
/* Run the loop until the server has stopped and every connection and
 * runner is gone.  0, FCGI_EINVAL (no listener). */
int fcgi_server_process(struct fcgi_server *s);
/* Stop: close the listeners, let open requests finish for up to
 * opts.shutdown_ms, then abort them.  Called twice, aborts at once.
 * Safe from any loop callback. */
void fcgi_server_stop(struct fcgi_server *s);
/* Counters, for tests and the trace. */
struct fcgi_server_stats {
	unsigned conns;	     /* open connections */
	unsigned reqs;	     /* requests open on the wire */
	unsigned runs;	     /* runners not yet done (incl. dying ones) */
	uint64_t accepted;   /* connections, all time */
	uint64_t completed;  /* END_REQUEST sent, all time */
	uint64_t timeouts;   /* requests answered at their deadline */
	uint64_t overloaded; /* OVERLOADED answers */
};
void fcgi_server_stats(const struct fcgi_server *s,
		       struct fcgi_server_stats *st);
/* Free a server that is not processing (after fcgi_server_process
 * returned, or before it was called).  NULL is ignored. */
void fcgi_server_free(struct fcgi_server *s);

/* ---- pre-forked workers (prefork.c) ---- */

/*
 * Workers that own their connections, after php-fpm and libfcgi: each is
 * a fork of the caller (made after the caller opened its listening
 * sockets) that runs worker(arg, watch), typically a server on a loop of
 * its own that accepts on the inherited sockets and calls its functions
 * inline (FCGI_ISOLATE_INLINE, fcgi_func_runner_set_watch()).  The
 * caller's process becomes their supervisor, on no loop: it replaces a
 * worker that dies; for a function still running at its deadline it
 * stops the worker, takes the connection over (pidfd_getfd(2)), kills
 * the worker's process group and sends the timeout answer
 * (fcgi_timeout_answer()); for a function that crashes (a fatal signal
 * whose handler the function left alone) or calls exit() it sends
 * "Status: 500", a STDERR line and appStatus 128 + the signal (or the
 * exit status).  That connection is then closed, and the other
 * connections of the worker end with it, their open requests
 * unanswered.  SIGTERM and SIGINT are passed on to every worker (a
 * second one kills the workers inside a function, whose loops cannot
 * hear it); the call returns once all have exited.  Blocks SIGCHLD,
 * SIGTERM and SIGINT while it runs.  Workers die with the caller's
 * process (PR_SET_PDEATHSIG).
 */
struct fcgi_prefork_opts {
	unsigned workers;  /* 1 to FCGI_WORKERS_MAX */
	uint64_t watch_ms; /* how often deadlines are checked (50) */
	/* After SIGTERM or SIGINT, how long the workers may take to finish
	 * what they hold (10 s; as fcgi_server_opts.shutdown_ms); workers
	 * still there two seconds later are killed. */
	uint64_t stop_ms;
	/* In each worker; its return value is the worker's exit status.
	 * watch is the worker's slot. */
	int (*worker)(void *arg, struct fcgi_watch *watch);
	void *arg;
	/* The supervisor's diagnostics, one line each, or NULL. */
	void (*log)(void *arg, const char *msg);
	void *log_arg;
};

/* 0 once every worker has exited after SIGTERM or SIGINT; FCGI_EINVAL,
 * FCGI_ENOMEM, FCGI_ELIMIT (not one worker could be forked). */
int fcgi_prefork_run(const struct fcgi_prefork_opts *o);
/* The next connection number, shared by all the workers of one
 * supervisor (for fcgi_server_opts.next_conn). */
uint64_t fcgi_watch_next_conn(struct fcgi_watch *watch);

/* ---- proxy (proxy.c) ---- */

/*
 * A byte-exact FastCGI proxy.  It accepts the web server's connections on
 * one address and opens one upstream connection (to the app) for each,
 * then forwards bytes both ways unchanged: in order, nothing re-framed,
 * an end of input passed on as shutdown(SHUT_WR), a reset passed on as a
 * close with SO_LINGER 0.  Beside the forwarding, one FCGI_MODE_OBSERVER
 * conn per connection decodes both directions; its records, violations
 * and notes go to a renderer and its events become one summary per
 * request.  Forwarding never depends on decoding: a direction that cannot
 * be decoded (bad version) stops being decoded, with a violation, while
 * its bytes keep flowing, unless strict is set.
 *
 * Reading one side stops while more than max_pending bytes wait to be
 * written to the other, and resumes when half of them are written, so a
 * slow reader slows its peer and a connection buffers at most about
 * 2 * (max_pending + read_size) bytes plus what its observer holds (one
 * partial record per direction and the PARAMS limit).
 */
struct fcgi_proxy;

/* How one direction ended. */
enum fcgi_proxy_end {
	FCGI_PROXY_OPEN = 0, /* not ended (yet) */
	FCGI_PROXY_EOF,	     /* its sender closed: shutdown passed on */
	FCGI_PROXY_RESET,    /* its sender reset or failed: reset passed on */
	FCGI_PROXY_CUT	     /* the proxy ended it (see the reason) */
};

/* The bytes of one direction, as seen on each of its two sockets. */
struct fcgi_proxy_dir_stats {
	uint64_t read;	   /* read from the sender */
	uint64_t written;  /* written to the receiver (injected included) */
	uint64_t injected; /* written by the proxy itself (timeout answer) */
	/* SHA-256 of the bytes read and of the bytes written, when
	 * opts.checksums is set (else zero). */
	uint8_t sha256_read[32];
	uint8_t sha256_written[32];
	enum fcgi_proxy_end end;
};

/* One proxied connection, at its end.  Pointers are valid during the
 * callback only. */
struct fcgi_proxy_conn_info {
	uint64_t conn;	   /* 1, 2, ... in the order of accepting */
	const char *label; /* "c1" */
	const char *peer;  /* the web server's address ("unix", "[::1]:5") */
	double opened;	   /* seconds since the proxy started */
	double closed;
	struct fcgi_proxy_dir_stats dir[2]; /* indexed by enum fcgi_dir */
	uint64_t requests;		    /* BEGIN_REQUEST records seen */
	size_t violations;		    /* reported by the observer */
	const char *reason; /* how it ended: "closed", "reset by the app",
			       "strict: record-too-large", ... */
};

/* One request, when its END_REQUEST went by or its connection ended.
 * Pointers are valid during the callback only. */
struct fcgi_proxy_request_info {
	uint64_t conn;
	const char *label;
	uint16_t id;
	const char *method; /* REQUEST_METHOD, escaped; "" if none */
	const char *script; /* SCRIPT_FILENAME, else SCRIPT_NAME, else
			       REQUEST_URI, escaped; "" if none */
	int status;	    /* the CGI response's HTTP status; 0: none */
	uint64_t stdin_bytes;
	uint64_t stdout_bytes;
	uint64_t stderr_bytes;
	uint64_t stderr_lines; /* a last line without newline counts */
	int ended;	       /* END_REQUEST seen */
	uint32_t app_status;
	uint8_t protocol_status;
	int timed_out; /* the proxy answered it (upstream timeout) */
	double start;  /* BEGIN_REQUEST, seconds since the proxy started */
	double ttfb;   /* BEGIN_REQUEST to the first STDOUT byte; -1: none */
	double total;  /* BEGIN_REQUEST to END_REQUEST or connection end */
};

/* What a tap sees: the bytes as they are forwarded, and the ends. */
enum fcgi_proxy_tap_kind {
	FCGI_TAP_OPEN = 1, /* a web server connected (peer set) */
	FCGI_TAP_DATA,	   /* dir, data, len: bytes forwarded */
	FCGI_TAP_FIN,	   /* dir's sender closed its half */
	FCGI_TAP_RESET,	   /* dir's sender reset the connection */
	FCGI_TAP_CLOSE	   /* the connection is gone */
};

struct fcgi_proxy_tap {
	enum fcgi_proxy_tap_kind kind;
	uint64_t conn;
	const char *label;
	const char *peer;
	enum fcgi_dir dir;
	const uint8_t *data; /* valid during the callback */
	size_t len;
	/* A slot per connection for the tap's own state: NULL at OPEN; the
	 * tap frees what it put there at CLOSE. */
	void **user;
};

struct fcgi_proxy_opts {
	struct fcgi_addr listen;   /* where web servers connect */
	struct fcgi_addr upstream; /* the app */
	struct fcgi_limits limits; /* for the observers */
	/* Records, violations and notes go here (borrowed; must outlive the
	 * proxy), or nowhere when NULL. */
	struct fcgi_render *render;
	/* What is rendered: FCGI_PROXY_LOG_RECORDS (every record, and notes
	 * when connections open and upstreams connect) or
	 * FCGI_PROXY_LOG_FINDINGS (violations and the notes that explain a
	 * connection's end: strict, timeout, connect failure). */
	int log;
	/* Close a connection at its first violation of severity
	 * FCGI_SEV_SPEC or FCGI_SEV_INTEROP.  Bytes are then forwarded a
	 * whole record at a time, once the observer has judged it, so that
	 * the offending record and what follows it are held back. */
	int strict;
	int checksums;		      /* SHA-256 each direction (costs CPU) */
	uint64_t upstream_timeout_ms; /* 0: none */
	unsigned timeout_status;      /* status of the timeout answer (504) */
	size_t max_pending;	      /* see above (256 KiB) */
	size_t read_size;	      /* bytes per read (64 KiB) */
	int backlog;		      /* listen(2) backlog (511) */
	unsigned unix_mode;	      /* mode of a unix listen socket (0600) */
	/* Each connection at its end, after which it is freed. */
	void (*on_conn_end)(void *arg, const struct fcgi_proxy_conn_info *ci);
	/* Each request, once.  NULL: none, and the method, script, status
	 * and stderr lines that only it reports are not worked out. */
	void (*on_request)(void *arg, const struct fcgi_proxy_request_info *ri);
	/* Every forwarded byte and every end, in order (e.g. for pcapng). */
	void (*on_tap)(void *arg, const struct fcgi_proxy_tap *t);
	void *arg;
};

#define FCGI_PROXY_LOG_FINDINGS 0
#define FCGI_PROXY_LOG_RECORDS 1

/* Fill o with the defaults given in the field comments: no addresses, no
 * renderer, no callbacks, fcgi_limits_default(), no timeout. */
void fcgi_proxy_opts_default(struct fcgi_proxy_opts *o);

/*
 * Create a proxy on loop (borrowed; it must outlive the proxy) and start
 * listening on opts->listen (opts is copied).  Upstream connections are
 * made as web servers connect; an upstream that cannot be reached gets
 * the web server's connection closed, with a note.  Returns 0 and *out,
 * FCGI_EINVAL (a NULL argument, max_pending or read_size 0),
 * FCGI_ENOMEM, or FCGI_EADDR with the reason in err ("cannot listen:
 * Address already in use").
 */
int fcgi_proxy_new(struct fcgi_proxy **out, uv_loop_t *loop,
		   const struct fcgi_proxy_opts *opts, char *err,
		   size_t errlen);
/*
 * Stop: close the listener and every connection at once (each reported
 * through on_conn_end with reason "proxy stopped"); done (may be NULL)
 * runs from the loop when every handle is closed.  A second call does
 * nothing.  Safe from any loop callback, e.g. a uv_signal_t watcher.
 */
void fcgi_proxy_stop(struct fcgi_proxy *p, void (*done)(void *arg), void *arg);
/* Counters. */
struct fcgi_proxy_stats {
	uint64_t accepted;   /* connections, all time */
	unsigned open;	     /* connections now */
	uint64_t requests;   /* BEGIN_REQUEST records seen, all time */
	uint64_t violations; /* all time */
	uint64_t timeouts;   /* requests answered by the proxy */
	uint64_t bytes[2];   /* written, by direction, all time */
};
void fcgi_proxy_stats(const struct fcgi_proxy *p, struct fcgi_proxy_stats *st);
/* Free a stopped proxy once its done callback ran (or one whose loop is
 * no longer run).  NULL is ignored. */
void fcgi_proxy_free(struct fcgi_proxy *p);

#ifdef __cplusplus
}
#endif

#endif /* FCGI_UV_H */
