/* SPDX-License-Identifier: MIT */
/* shell.h - what fcgitool shell's files share (never lib/). */
#ifndef FCGITOOL_SHELL_H
#define FCGITOOL_SHELL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "request.h"
#include "shell-parse.h"

/* ---- the request being built (shell-req.c) ---- */

enum sh_body { SH_BODY_NONE = 0, SH_BODY_TEXT, SH_BODY_FILE };

struct sh_req {
	char *uri;	/* never NULL */
	char *method;	/* NULL: GET, or POST with a body */
	char **headers; /* "Name: value", in order */
	size_t nheaders;
	struct request_param *params; /* set and unset, in order */
	size_t nparams;
	enum sh_body body_kind;
	uint8_t *body; /* SH_BODY_TEXT */
	size_t body_len;
	char *body_file; /* SH_BODY_FILE */
	char *data_file; /* the DATA stream (FILTER), or NULL */
	char *root;	 /* NULL: the current directory */
	uint16_t role;
	int keep_conn, env, no_default_params;
	uint64_t max_time_ms, connect_timeout_ms, idle_timeout_ms;
};

/* A request made ready to send: the request_opts view request-params.c
 * and request-out.c take, its bodies opened and its params built. */
struct sh_built {
	struct request_opts o;
	const char **headers;
	struct request_body in, data;
	struct fcgi_params params;
};

void sh_req_init(struct sh_req *r);
void sh_req_fini(struct sh_req *r);
/* 0, or -1 when memory runs out. */
int sh_req_copy(struct sh_req *dst, const struct sh_req *src);
/* The request fcgitool request's options describe (request -I). */
void sh_req_from_opts(struct sh_req *r, const struct request_opts *o);
void sh_req_set(struct sh_req *r, const char *name, size_t nlen,
		const char *value, size_t vlen, int del);
/* "Name: value" replaces a header of that name; "Name:" removes it. */
void sh_req_header(struct sh_req *r, const char *h);
void sh_req_body_text(struct sh_req *r, const void *p, size_t len);
void sh_req_body_file(struct sh_req *r, const char *path);
/* Open the bodies and build the params; 0, or an exit status after
 * saying why.  Free with sh_built_free() either way. */
int sh_req_build(const struct sh_req *r, const char *address,
		 struct sh_built *b);
void sh_built_free(struct sh_built *b);
/* The request as shell commands that rebuild it from "reset". */
void sh_req_script(const struct sh_req *r, struct fcgi_buf *out);
/* The fcgitool request command line that sends it. */
void sh_req_cmdline(const struct sh_req *r, const char *address,
		    struct fcgi_buf *out);

/* ---- the shell (cmd-shell.c) ---- */

struct sh_raw;
struct sh_line;
struct sh_bg;

struct shell {
	uv_loop_t loop;
	char address[512];
	struct fcgi_addr addr;
	char addr_text[300];
	struct sh_req req;  /* being built */
	struct sh_req last; /* as last sent, for again */
	int have_last;
	/* Requests go through the client; its kept connections are
	 * followed through the trace's notes, for the prompt. */
	struct fcgi_client *client;
	int client_keep;
	uint64_t client_connect_ms, client_idle_ms;
	struct fcgi_client_trace trace;
	unsigned open[16];
	size_t nopen;
	int trace_on;	 /* render the client's records now */
	double trace_t0; /* the client's clock when the command began */
	struct fcgi_client_req *inflight;
	struct sh_bg *bg; /* send -b in flight, or done but not reaped */
	struct sh_raw *raw;
	FILE *out;
	struct fcgi_render *render;
	const char **redact; /* NULL-terminated: the defaults and --redact */
	size_t nredact;
	int interactive, color, verbose;
	int status; /* of the last request (fcgitool request's statuses) */
	int busy;   /* a command runs: ^C interrupts it */
	int interrupted;
	uv_signal_t sigint;
	uv_timer_t timer;
	int timer_fired;
	struct fcgi_buf journal; /* the session, for save */
	struct fcgi_buf jstate;	 /* the request as the journal last built */
	int depth;		 /* source nesting */
	const char *where;	 /* script name for messages, or NULL */
	unsigned long lineno;
	int quit;
	struct sh_line *line;
};

/* "fcgitool shell: [where:line: ]message" on stderr. */
void sh_err(struct shell *sh, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Run the loop until *flag is set (1), ms pass (0; ms 0: no limit) or
 * ^C (-1). */
int sh_wait(struct shell *sh, const int *flag, uint64_t ms);
/* Run the loop until *flag is set, whatever ^C does meanwhile. */
void sh_wait_flag(struct shell *sh, const int *flag);
/* Change the target; 0, or -1 after saying why. */
int sh_set_address(struct shell *sh, const char *text);
/* The prompt's text ("127.0.0.1:9000 [open]> ") into out. */
void sh_prompt(const struct shell *sh, char *out, size_t n);
int sh_is_secret(const struct shell *sh, const char *name, size_t len);

/* ---- commands (shell-cmds.c) ---- */

enum sh_comp {
	SH_COMP_NONE = 0,
	SH_COMP_CMD,
	SH_COMP_PARAM,
	SH_COMP_PARAM_EQ, /* NAME= (raw -n) */
	SH_COMP_HEADER,
	SH_COMP_ROLE,
	SH_COMP_TYPE,
	SH_COMP_ONOFF,
	SH_COMP_PRESET,
	SH_COMP_METHOD,
	SH_COMP_FILE,
	SH_COMP_BODY, /* edit, @file */
	SH_COMP_VALUES,
	SH_COMP_TIMEOUT
};

struct sh_cmd {
	const char *name;
	const char *args;    /* the hint, e.g. "NAME VALUE" */
	const char *summary; /* for help */
	int (*fn)(struct shell *sh, const struct sh_words *w);
	const char *opt_args; /* options that take a value ("LPRV") */
	enum sh_comp comp[3]; /* words 1, 2, and 3 on (after options) */
};

extern const struct sh_cmd sh_cmds[];
const struct sh_cmd *sh_cmd_find(const char *name);
/* Run one line.  0, or -1 for a bad command (said why). */
int sh_exec(struct shell *sh, const char *line);
/* Note a command in the session's journal (save), after the request it
 * sends as commands when state is given and differs from the last. */
void sh_journal(struct shell *sh, const struct sh_words *w,
		const struct sh_req *state);
void sh_journal_str(struct shell *sh, const char *line);
/* Run every line of f; 0, or -1 at the first bad command when not
 * interactive. */
int sh_run_file(struct shell *sh, FILE *f, const char *name);

/* Helpers of the shell's files: allocation and appends that die when
 * memory runs out, and the count of a command's operands (0, or -1
 * after saying why). */
void *sh_xmalloc(size_t n);
void sh_bput(struct fcgi_buf *b, const void *p, size_t n);
void sh_bputs(struct fcgi_buf *b, const char *s);
int sh_nargs(struct shell *sh, const struct sh_words *w, size_t min,
	     size_t max);
/* 0 if word i holds no NUL (it goes where C strings go), or -1 after
 * saying why. */
int sh_text(struct shell *sh, const struct sh_words *w, size_t i);

/* ---- building the request (shell-edit.c) ---- */

int sh_cmd_set(struct shell *sh, const struct sh_words *w);
int sh_cmd_unset(struct shell *sh, const struct sh_words *w);
int sh_cmd_header(struct shell *sh, const struct sh_words *w);
int sh_cmd_method(struct shell *sh, const struct sh_words *w);
int sh_cmd_uri(struct shell *sh, const struct sh_words *w);
int sh_cmd_body(struct shell *sh, const struct sh_words *w);
int sh_cmd_data(struct shell *sh, const struct sh_words *w);
int sh_cmd_role(struct shell *sh, const struct sh_words *w);
int sh_cmd_keep_conn(struct shell *sh, const struct sh_words *w);
int sh_cmd_defaults(struct shell *sh, const struct sh_words *w);
int sh_cmd_env(struct shell *sh, const struct sh_words *w);
int sh_cmd_root(struct shell *sh, const struct sh_words *w);
int sh_cmd_timeout(struct shell *sh, const struct sh_words *w);
int sh_cmd_reset(struct shell *sh, const struct sh_words *w);
int sh_cmd_preset(struct shell *sh, const struct sh_words *w);
int sh_cmd_params(struct shell *sh, const struct sh_words *w);
int sh_cmd_show(struct shell *sh, const struct sh_words *w);
int sh_cmd_show_cmd(struct shell *sh, const struct sh_words *w);
/* The words from i on, joined by single spaces (malloc'd). */
char *sh_join(const struct sh_words *w, size_t i);

/* ---- what is kept of a line (shell-hist.c) ---- */

/* Append w as a line that sh_split() reads back with the same meaning;
 * with mask, raw -n pairs of secret params show *** as their value. */
void sh_words_line(struct fcgi_buf *b, const struct sh_words *w,
		   const struct shell *mask);
/* Whether a "Name: value" header becomes a secret param. */
int sh_secret_header(const struct shell *sh, const char *h, size_t len);
/* The line as history keeps it (malloc'd), with secret values masked,
 * or NULL to keep nothing. */
char *sh_history_line(const struct shell *sh, const char *line);
/* Names for completion: the CGI params a web server sends (nginx's
 * fastcgi_params, PHP-FPM's extras), HTTP_* of common headers, the
 * common headers themselves; NULL-terminated. */
extern const char *const sh_param_names[];
extern const char *const sh_header_names[];

/* ---- sending (shell-send.c) ---- */

int sh_cmd_send(struct shell *sh, const struct sh_words *w);
int sh_cmd_again(struct shell *sh, const struct sh_words *w);
int sh_cmd_repeat(struct shell *sh, const struct sh_words *w);
int sh_cmd_get_values(struct shell *sh, const struct sh_words *w);
/* Send b (built from sh->req) collecting the answer, and put it in view
 * as lines to compare, timings left out (the caller frees it).  Its exit
 * status, or -1 when it could not be sent (said why). */
int sh_send_view(struct shell *sh, struct sh_built *b, struct fcgi_buf *view);

/* ---- watch (shell-watch.c) ---- */

int sh_cmd_watch(struct shell *sh, const struct sh_words *w);

int sh_cmd_wait(struct shell *sh, const struct sh_words *w);
/* The background request: free it once done; 0, or -1 after saying
 * that cmd cannot run while it is in flight; abort it and wait for its
 * end (1 if there was one); at the end of the shell, wait for it or
 * abort it. */
void sh_bg_reap(struct shell *sh);
int sh_bg_busy(struct shell *sh, const char *cmd);
int sh_bg_abort(struct shell *sh);
void sh_bg_finish(struct shell *sh, int abort);
/* Close the client and its connections. */
void sh_client_close(struct shell *sh);
/* ^C: abort what the client has in flight. */
void sh_client_interrupt(struct shell *sh);

/* ---- raw records (shell-raw.c) ---- */

int sh_cmd_raw(struct shell *sh, const struct sh_words *w);
int sh_cmd_bytes(struct shell *sh, const struct sh_words *w);
int sh_cmd_split(struct shell *sh, const struct sh_words *w);
int sh_cmd_read(struct shell *sh, const struct sh_words *w);
int sh_cmd_abort(struct shell *sh, const struct sh_words *w);
/* Open the raw connection; 0 or -1 (said why, status 3). */
int sh_raw_open(struct shell *sh);
int sh_raw_is_open(const struct shell *sh);
void sh_raw_close(struct shell *sh, int quiet);
/* Free what is left once the loop has let go of it. */
void sh_raw_free(struct shell *sh);

/* ---- line input (shell-line.c, the only user of readline) ---- */

/* Set up editing, history and completion when interactive. */
int sh_line_open(struct shell *sh);
void sh_line_close(struct shell *sh);
/* The next line typed (malloc'd), or NULL at the end of input. */
char *sh_line_get(struct shell *sh);
/* Remember a line in the history (masked as sh_history_line says). */
void sh_line_remember(struct shell *sh, const char *line);
/* ^C at the prompt: drop the line being edited. */
void sh_line_interrupt(struct shell *sh);
/* The prompt changed (a connection opened or closed). */
void sh_line_refresh(struct shell *sh);
/* Output that comes while the prompt is shown (send -b): hide the prompt
 * and the line being edited, print, then show them again (after a line
 * end when newline is set).  Nothing when not at the prompt. */
void sh_line_hide(struct shell *sh);
void sh_line_show(struct shell *sh, int newline);

/* The shell, from fcgitool shell or fcgitool request -I (o is the
 * request to start with, or NULL); returns the exit status. */
int shell_main(const char *address, const struct request_opts *o,
	       const char *const *redact, size_t nredact, int verbose);

#endif
