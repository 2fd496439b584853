/* SPDX-License-Identifier: MIT */
/* shell-version.h - the version of readline, for fcgitool --version. */
#ifndef FCGITOOL_SHELL_VERSION_H
#define FCGITOOL_SHELL_VERSION_H

/* The readline fcgitool runs with (rl_library_version, "8.2"). */
const char *shell_rl_version(void);
/* The readline fcgitool was compiled against (its header's
 * RL_VERSION_MAJOR and RL_VERSION_MINOR, "8.2"). */
const char *shell_rl_built(void);

#endif
