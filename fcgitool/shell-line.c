/* SPDX-License-Identifier: MIT */
/*
 * shell-line.c - fcgitool shell's input: GNU readline on a terminal, in
 * its callback form so that the shell's libuv loop keeps running under
 * the prompt (^C, connections closing), with history in
 * $XDG_STATE_HOME/fcgitool/history, completion and a hint after the
 * cursor; plain lines from anything else.  The only file that uses
 * readline (tests/check-deps.sh).
 */
#include <sys/stat.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "shell.h"
#include "util.h"

#define HISTORY_MAX 1000

struct sh_line {
	uv_poll_t poll;
	uv_signal_t winch;
	int at_prompt;
	int done;
	char *line;
	char prompt[700];
	size_t prompt_width;
	char *hist_path;
	int hint_shown;
	int hidden;	  /* sh_line_hide() took the line away */
	int stale;	  /* ... and the prompt changed meanwhile */
	char *saved_line; /* ... this line */
	int saved_point;
};

/* Readline's callbacks take no argument: the one shell at the prompt. */
static struct shell *cur;

/* ---- history -------------------------------------------------------- */

/* mkdir -p for the directories of path (mode 0700); 0 or -1. */
static int make_dirs(char *path)
{
	char *s;

	for (s = strchr(path + 1, '/'); s != NULL; s = strchr(s + 1, '/')) {
		*s = '\0';
		if (mkdir(path, 0700) != 0 && errno != EEXIST) {
			*s = '/';
			return -1;
		}
		*s = '/';
	}
	return 0;
}

/* $XDG_STATE_HOME/fcgitool/history, or ~/.local/state/...; NULL when
 * neither is known.  The file is made (mode 0600) if need be. */
static char *history_path(void)
{
	const char *state = getenv("XDG_STATE_HOME"), *home = getenv("HOME");
	char path[PATH_MAX];
	int fd, n;

	/* The XDG spec: a relative path is to be ignored. */
	if (state != NULL && state[0] == '/')
		n = snprintf(path, sizeof(path), "%s/fcgitool/history", state);
	else if (home != NULL && home[0] == '/')
		n = snprintf(path, sizeof(path),
			     "%s/.local/state/fcgitool/history", home);
	else
		return NULL;
	if (n < 0 || (size_t)n >= sizeof(path) || make_dirs(path) != 0)
		return NULL;
	fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	close(fd);
	return strdup(path);
}

void sh_line_remember(struct shell *sh, const char *line)
{
	struct sh_line *L = sh->line;
	HIST_ENTRY *last;
	char *h;
	size_t i;

	if (L == NULL)
		return;
	for (i = 0; line[i] == ' ' || line[i] == '\t'; i++)
		;
	if (line[i] == '\0')
		return;
	/* Secret values never reach the history (masked or left out). */
	h = sh_history_line(sh, line);
	if (h == NULL)
		return;
	last = history_length > 0
		       ? history_get(history_base + history_length - 1)
		       : NULL;
	if (last == NULL || strcmp(last->line, h) != 0) {
		add_history(h);
		if (L->hist_path != NULL)
			append_history(1, L->hist_path);
	}
	free(h);
}

/* ---- completion ------------------------------------------------------- */

static char **cands;
static size_t ncands;
static size_t cand_next;

static void cand_add(const char *prefix, const char *s)
{
	char **n;
	size_t pl = strlen(prefix), sl = strlen(s);

	n = realloc(cands, (ncands + 1) * sizeof(*cands));
	if (n == NULL)
		return;
	cands = n;
	cands[ncands] = malloc(pl + sl + 1);
	if (cands[ncands] == NULL)
		return;
	memcpy(cands[ncands], prefix, pl);
	memcpy(cands[ncands] + pl, s, sl + 1);
	ncands++;
}

static void cand_list(const char *const *list, const char *suffix)
{
	char buf[128];

	for (; *list != NULL; list++) {
		snprintf(buf, sizeof(buf), "%s%s", *list, suffix);
		cand_add("", buf);
	}
}

static void cand_free(void)
{
	size_t i;

	for (i = 0; i < ncands; i++)
		free(cands[i]);
	free(cands);
	cands = NULL;
	ncands = 0;
}

static char *cand_gen(const char *text, int state)
{
	size_t n = strlen(text);

	if (state == 0)
		cand_next = 0;
	while (cand_next < ncands) {
		const char *c = cands[cand_next++];

		if (strncmp(c, text, n) == 0)
			return strdup(c);
	}
	return NULL;
}

/* File names after '@': readline's, with the '@' put back. */
static char *at_file_gen(const char *text, int state)
{
	char *f = rl_filename_completion_function(text + 1, state), *r;

	if (f == NULL)
		return NULL;
	r = malloc(strlen(f) + 2);
	if (r != NULL) {
		r[0] = '@';
		memcpy(r + 1, f, strlen(f) + 1);
	}
	free(f);
	return r;
}

/* Readline stats a match to mark directories: without the '@'. */
static int at_stat_hook(char **name)
{
	if ((*name)[0] == '@')
		memmove(*name, *name + 1, strlen(*name));
	return 1;
}

static const char *const roles[] = { "responder", "authorizer", "filter",
				     NULL };
static const char *const onoff[] = { "on", "off", NULL };
static const char *const presets[] = { "nginx", "php-fpm-status",
				       "php-fpm-ping", NULL };
static const char *const methods[] = { "GET",  "POST",	  "PUT",   "DELETE",
				       "HEAD", "OPTIONS", "PATCH", NULL };
static const char *const values[] = { "FCGI_MAX_CONNS", "FCGI_MAX_REQS",
				      "FCGI_MPXS_CONNS", NULL };
static const char *const timeouts[] = { "total", "connect", "idle", NULL };

/* What to offer for the word at start: a kind from the command's table,
 * counting its operands and skipping its options. */
static enum sh_comp comp_kind(const struct sh_words *w,
			      const struct sh_cmd **cmd)
{
	const struct sh_cmd *c;
	size_t i, pos = 0;

	*cmd = NULL;
	if (w->n == 0)
		return SH_COMP_CMD;
	c = sh_cmd_find(w->v[0].s);
	if (c == NULL)
		return SH_COMP_NONE;
	*cmd = c;
	for (i = 1; i < w->n; i++) {
		if (!w->v[i].lit && w->v[i].s[0] == '-' && w->v[i].len == 2) {
			if (strchr(c->opt_args, w->v[i].s[1]) != NULL)
				i++;
			continue;
		}
		pos++;
	}
	return c->comp[pos < 2 ? pos : 2];
}

static char **complete(const char *text, int start, int end)
{
	const struct sh_cmd *c;
	struct sh_words w;
	enum sh_comp kind;
	char err[64], **m = NULL;
	size_t i;
	int t;

	(void)end;
	rl_attempted_completion_over = 1;
	rl_filename_stat_hook = NULL;
	if (sh_split(rl_line_buffer, (size_t)start, &w, err, sizeof(err)) != 0)
		return NULL;
	kind = comp_kind(&w, &c);
	sh_words_free(&w);
	if (text[0] == '@' && (kind == SH_COMP_BODY || kind == SH_COMP_FILE)) {
		rl_filename_stat_hook = at_stat_hook;
		return rl_completion_matches(text, at_file_gen);
	}
	switch (kind) {
	case SH_COMP_CMD:
		for (c = sh_cmds; c->name != NULL; c++)
			cand_add("", c->name);
		break;
	case SH_COMP_PARAM:
	case SH_COMP_PARAM_EQ:
		cand_list(sh_param_names, kind == SH_COMP_PARAM_EQ ? "=" : "");
		for (i = 0; i < cur->req.nparams; i++)
			if (memchr(cur->req.params[i].name, '\0',
				   cur->req.params[i].name_len) == NULL)
				cand_add("", cur->req.params[i].name);
		if (kind == SH_COMP_PARAM_EQ)
			rl_completion_append_character = '\0';
		break;
	case SH_COMP_HEADER:
		cand_list(sh_header_names, "");
		break;
	case SH_COMP_ROLE:
		cand_list(roles, "");
		break;
	case SH_COMP_TYPE:
		for (t = 1; t <= FCGI_MAXTYPE; t++)
			cand_add("", fcgi_type_name((unsigned)t));
		break;
	case SH_COMP_ONOFF:
		cand_list(onoff, "");
		break;
	case SH_COMP_PRESET:
		cand_list(presets, "");
		break;
	case SH_COMP_METHOD:
		cand_list(methods, "");
		break;
	case SH_COMP_VALUES:
		cand_list(values, "");
		break;
	case SH_COMP_TIMEOUT:
		cand_list(timeouts, "");
		break;
	case SH_COMP_BODY:
		cand_add("", "edit");
		break;
	case SH_COMP_FILE:
		if (c != NULL && strcmp(c->name, "data") == 0)
			break;
		rl_attempted_completion_over = 0;
		return NULL;
	case SH_COMP_NONE:
		break;
	}
	if (ncands != 0)
		m = rl_completion_matches(text, cand_gen);
	cand_free();
	return m;
}

/* ---- the hint ------------------------------------------------------------ */

/* The words of args still to type, after skip of them (a [...] group
 * is one word); into out. */
static void hint_rest(const char *args, size_t skip, char *out, size_t n)
{
	const char *p = args;
	int depth = 0;

	while (*p != '\0' && skip > 0) {
		if (*p == '[')
			depth++;
		else if (*p == ']')
			depth--;
		else if (*p == ' ' && depth == 0)
			skip--;
		p++;
	}
	snprintf(out, n, "%s", skip == 0 ? p : "");
}

/* The hint for the line: what the command takes after what is typed. */
static void hint_for(char *out, size_t n)
{
	const struct sh_cmd *c;
	struct sh_words w;
	char err[64], rest[200];
	int blank;

	out[0] = '\0';
	if (rl_end == 0 ||
	    sh_split(rl_line_buffer, (size_t)rl_end, &w, err, sizeof(err)) != 0)
		return;
	blank = rl_line_buffer[rl_end - 1] == ' ';
	if (w.n == 0 || (w.n == 1 && !blank) ||
	    (c = sh_cmd_find(w.v[0].s)) == NULL) {
		sh_words_free(&w);
		return;
	}
	hint_rest(c->args, w.n - 1, rest, sizeof(rest));
	if (rest[0] != '\0')
		snprintf(out, n, "%s%s", blank ? "" : " ", rest);
	sh_words_free(&w);
}

/* readline's own redisplay, then the hint in dim text after the end of
 * the line, the cursor left where it was (as redis-cli shows them). */
static void redisplay(void)
{
	struct sh_line *L = cur->line;
	char hint[220];
	int rows, cols, i;

	rl_redisplay();
	if (!cur->color)
		return;
	hint_for(hint, sizeof(hint));
	rl_get_screen_size(&rows, &cols);
	for (i = 0; i < rl_end; i++)
		if ((unsigned char)rl_line_buffer[i] < 0x20 ||
		    (unsigned char)rl_line_buffer[i] >= 0x7f)
			hint[0] = '\0';
	/* Only on one screen line: a wrapped line is readline's alone. */
	if (L->prompt_width + (size_t)rl_end + strlen(hint) + 1 >=
	    (size_t)cols) {
		hint[0] = '\0';
		if (L->prompt_width + (size_t)rl_end + 1 >= (size_t)cols)
			L->hint_shown = 0;
	}
	if (hint[0] == '\0' && !L->hint_shown)
		return;
	fputs("\0337", rl_outstream);
	if (rl_end > rl_point)
		fprintf(rl_outstream, "\033[%dC", rl_end - rl_point);
	fputs("\033[K", rl_outstream);
	if (hint[0] != '\0')
		fprintf(rl_outstream, "\033[2m%s\033[0m", hint);
	fputs("\0338", rl_outstream);
	fflush(rl_outstream);
	L->hint_shown = hint[0] != '\0';
}

/* Return: wipe the hint before the line is accepted. */
static int accept_line(int count, int key)
{
	struct sh_line *L = cur->line;

	if (L->hint_shown) {
		fputs("\0337", rl_outstream);
		if (rl_end > rl_point)
			fprintf(rl_outstream, "\033[%dC", rl_end - rl_point);
		fputs("\033[K\0338", rl_outstream);
		fflush(rl_outstream);
		L->hint_shown = 0;
	}
	return rl_newline(count, key);
}

/* ---- the prompt and the loop ------------------------------------------- */

static void on_line(char *line)
{
	struct sh_line *L = cur->line;

	rl_callback_handler_remove();
	L->at_prompt = 0;
	L->line = line;
	L->done = 1;
	if (line == NULL)
		fputc('\n', rl_outstream);
}

static void on_readable(uv_poll_t *p, int status, int events)
{
	(void)p;
	(void)status;
	(void)events;
	rl_callback_read_char();
}

static void on_winch(uv_signal_t *s, int signum)
{
	(void)s;
	(void)signum;
	rl_resize_terminal();
}

static void make_prompt(struct shell *sh)
{
	struct sh_line *L = sh->line;

	sh_prompt(sh, L->prompt, sizeof(L->prompt));
	L->prompt_width = strlen(L->prompt);
}

int sh_line_open(struct shell *sh)
{
	struct sh_line *L = calloc(1, sizeof(*L));

	if (L == NULL)
		die(EXIT_IO, "out of memory");
	sh->line = L;
	cur = sh;
	rl_readline_name = "fcgitool";
	/* The loop owns the signals: ^C and window changes. */
	rl_catch_signals = 0;
	rl_catch_sigwinch = 0;
	rl_attempted_completion_function = complete;
	rl_completer_word_break_characters = " \t";
	rl_redisplay_function = redisplay;
	rl_bind_key('\r', accept_line);
	rl_bind_key('\n', accept_line);
	L->hist_path = history_path();
	if (L->hist_path != NULL)
		read_history(L->hist_path);
	uv_poll_init(&sh->loop, &L->poll, STDIN_FILENO);
	uv_signal_init(&sh->loop, &L->winch);
	uv_signal_start(&L->winch, on_winch, SIGWINCH);
	return 0;
}

void sh_line_close(struct shell *sh)
{
	struct sh_line *L = sh->line;

	if (L == NULL)
		return;
	if (L->at_prompt)
		rl_callback_handler_remove();
	if (L->hist_path != NULL)
		history_truncate_file(L->hist_path, HISTORY_MAX);
	clear_history();
	uv_close((uv_handle_t *)&L->poll, NULL);
	uv_close((uv_handle_t *)&L->winch, NULL);
	/* Freed once the loop has let go of the handles. */
	uv_run(&sh->loop, UV_RUN_NOWAIT);
	free(L->hist_path);
	free(L);
	sh->line = NULL;
	cur = NULL;
}

char *sh_line_get(struct shell *sh)
{
	struct sh_line *L = sh->line;

	if (L == NULL)
		return NULL;
	make_prompt(sh);
	L->done = 0;
	L->line = NULL;
	L->hint_shown = 0;
	fflush(sh->out);
	rl_callback_handler_install(L->prompt, on_line);
	L->at_prompt = 1;
	uv_poll_start(&L->poll, UV_READABLE, on_readable);
	while (!L->done)
		uv_run(&sh->loop, UV_RUN_ONCE);
	uv_poll_stop(&L->poll);
	return L->line;
}

void sh_line_interrupt(struct shell *sh)
{
	struct sh_line *L = sh->line;

	if (L == NULL || !L->at_prompt)
		return;
	/* As bash does: the line is dropped, a new prompt comes. */
	rl_callback_sigcleanup();
	rl_replace_line("", 0);
	rl_point = rl_end = 0;
	L->hint_shown = 0;
	fputs("^C", rl_outstream);
	rl_crlf();
	rl_on_new_line();
	rl_redisplay();
}

void sh_line_refresh(struct shell *sh)
{
	struct sh_line *L = sh->line;

	if (L == NULL || !L->at_prompt)
		return;
	if (L->hidden) {
		L->stale = 1;
		return;
	}
	make_prompt(sh);
	rl_set_prompt(L->prompt);
	/* The prompt changed length: draw the line again from column 0. */
	fputs("\r\033[K", rl_outstream);
	L->hint_shown = 0;
	rl_on_new_line();
	rl_redisplay();
}

void sh_line_hide(struct shell *sh)
{
	struct sh_line *L = sh->line;

	if (L == NULL || !L->at_prompt || L->hidden)
		return;
	L->saved_point = rl_point;
	L->saved_line = rl_copy_text(0, rl_end);
	rl_save_prompt();
	rl_replace_line("", 0);
	rl_redisplay();
	/* The hint is past what readline knows it drew. */
	fputs("\r\033[K", rl_outstream);
	fflush(rl_outstream);
	L->hint_shown = 0;
	L->hidden = 1;
}

void sh_line_show(struct shell *sh, int newline)
{
	struct sh_line *L = sh->line;

	if (L == NULL || !L->hidden)
		return;
	fflush(sh->out);
	fflush(stderr);
	if (newline)
		fputc('\n', rl_outstream);
	rl_restore_prompt();
	if (L->stale) {
		make_prompt(sh);
		rl_set_prompt(L->prompt);
		L->stale = 0;
	}
	rl_replace_line(L->saved_line != NULL ? L->saved_line : "", 0);
	rl_point = L->saved_point <= rl_end ? L->saved_point : rl_end;
	free(L->saved_line);
	L->saved_line = NULL;
	L->hidden = 0;
	rl_on_new_line();
	rl_redisplay();
}
