/* SPDX-License-Identifier: MIT */
/*
 * shell-line.c - fcgitool shell's input: GNU readline on a terminal, in
 * its callback form so that the shell's libuv loop keeps running under
 * the prompt (^C, connections closing).  The only file that uses readline
 * (tests/check-deps.sh).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "shell.h"
#include "util.h"

struct sh_line {
	uv_poll_t poll;
	uv_signal_t winch;
	int at_prompt;
	int done;
	char *line;
	char prompt[700];
};

/* Readline's callbacks take no argument: the one shell at the prompt. */
static struct shell *cur;

/* ---- history -------------------------------------------------------- */

void sh_line_remember(struct shell *sh, const char *line)
{
	size_t i;

	if (sh->line == NULL)
		return;
	for (i = 0; line[i] == ' ' || line[i] == '\t'; i++)
		;
	if (line[i] != '\0')
		add_history(line);
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
	clear_history();
	uv_close((uv_handle_t *)&L->poll, NULL);
	uv_close((uv_handle_t *)&L->winch, NULL);
	/* Freed once the loop has let go of the handles. */
	uv_run(&sh->loop, UV_RUN_NOWAIT);
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
	make_prompt(sh);
	rl_set_prompt(L->prompt);
	rl_forced_update_display();
}
