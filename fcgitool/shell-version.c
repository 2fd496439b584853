/* SPDX-License-Identifier: MIT */
/* shell-version.c - the version of readline, asked here because readline
 * belongs to the shell (tests/check-deps.sh allows it in shell*.o). */
#include <stdio.h>

#include <readline/readline.h>

#include "shell-version.h"

#define STR_(x) #x
#define STR(x) STR_(x)

const char *shell_rl_version(void)
{
	return rl_library_version != NULL ? rl_library_version : "unknown";
}

const char *shell_rl_built(void)
{
	return STR(RL_VERSION_MAJOR) "." STR(RL_VERSION_MINOR);
}
