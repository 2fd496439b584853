/* SPDX-License-Identifier: MIT */
/*
 * run_child.c - the process runner (serve --exec): SCRIPT_FILENAME runs as
 * a CGI/1.1 program (RFC 3875), one child per request, after slowcgi's
 * exec_cgi(): pipes for 0/1/2, fork, environment from PARAMS, execve.
 * The script must lie under the document root once symbolic links are
 * resolved.  (A link swapped in between the check and the execve could
 * still escape; see CAVEATS in fcgitool-serve(1).)
 */
#include <sys/stat.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

struct exec_runner {
	const struct fcgi_mem *mem;
	char root[PATH_MAX];
	size_t rootlen;
};

struct exec_call {
	const char *path; /* resolved */
	char *const *argv;
	char *const *envp;
};

static int exec_start(void *self, const struct fcgi_run_info *info,
		      struct fcgi_run **run);
static void exec_release(void *self);

static const struct fcgi_runner_ops exec_ops = {
	.name = "exec",
	.start = exec_start,
	.release = exec_release,
};

int fcgi_exec_runner_new(struct fcgi_runner **out, const char *root,
			 const struct fcgi_mem *mem, char *err, size_t errlen)
{
	struct exec_runner *e;
	char real[PATH_MAX];
	struct stat st;
	int rc;

	if (root == NULL || realpath(root, real) == NULL) {
		snprintf(err, errlen, "%s", strerror(root ? errno : EINVAL));
		return FCGI_EINVAL;
	}
	if (stat(real, &st) != 0 || !S_ISDIR(st.st_mode)) {
		snprintf(err, errlen, "%s", strerror(ENOTDIR));
		return FCGI_EINVAL;
	}
	e = fcgi_mem_malloc(mem, sizeof(*e));
	if (e == NULL) {
		snprintf(err, errlen, "%s", fcgi_strerror(FCGI_ENOMEM));
		return FCGI_ENOMEM;
	}
	e->mem = mem;
	snprintf(e->root, sizeof(e->root), "%s", real);
	e->rootlen = strlen(e->root);
	rc = fcgi_runner_new(out, &exec_ops, e, mem);
	if (rc != 0) {
		fcgi_mem_free(mem, e);
		snprintf(err, errlen, "%s", fcgi_strerror(rc));
	}
	return rc;
}

static void exec_release(void *self)
{
	struct exec_runner *e = self;

	fcgi_mem_free(e->mem, e);
}

static bool has_dotdot(const char *p)
{
	const char *s = p;

	for (;;) {
		const char *slash = strchr(s, '/');
		size_t n = slash != NULL ? (size_t)(slash - s) : strlen(s);

		if (n == 2 && s[0] == '.' && s[1] == '.')
			return true;
		if (slash == NULL)
			return false;
		s = slash + 1;
	}
}

static bool under_root(const struct exec_runner *e, const char *real)
{
	if (e->rootlen == 1) /* "/" */
		return real[0] == '/';
	return strncmp(real, e->root, e->rootlen) == 0 &&
	       (real[e->rootlen] == '/' || real[e->rootlen] == '\0');
}

/* Check SCRIPT_FILENAME.  0 with the resolved path in real, or the HTTP
 * status to answer with, msg saying why and *app the appStatus. */
static unsigned check_script(const struct exec_runner *e,
			     const struct fcgi_params *params, char *real,
			     char *msg, size_t msglen, uint32_t *app)
{
	struct fcgi_nv nv;
	char path[PATH_MAX], want[PATH_MAX], shown[256];
	struct stat st;
	int n;

	*app = 127; /* the shell's "not found" */
	if (!fcgi_params_gets(params, "SCRIPT_FILENAME", &nv)) {
		snprintf(msg, msglen,
			 "fcgitool: no SCRIPT_FILENAME in the request\n");
		return 404;
	}
	fcgi_escape(shown, sizeof(shown), nv.value, nv.value_len);
	if (nv.value_len == 0 || nv.value_len >= sizeof(path) ||
	    memchr(nv.value, '\0', nv.value_len) != NULL) {
		snprintf(msg, msglen, "fcgitool: script '%s' not found\n",
			 shown);
		return 404;
	}
	memcpy(path, nv.value, nv.value_len);
	path[nv.value_len] = '\0';
	*app = 126; /* the shell's "cannot execute" */
	if (has_dotdot(path)) {
		snprintf(msg, msglen,
			 "fcgitool: script '%s' has a '..' component\n", shown);
		return 403;
	}
	if (path[0] == '/')
		n = snprintf(want, sizeof(want), "%s", path);
	else
		n = snprintf(want, sizeof(want), "%s/%s", e->root, path);
	if (n < 0 || (size_t)n >= sizeof(want) ||
	    realpath(want, real) == NULL) {
		*app = errno == EACCES ? 126 : 127;
		snprintf(msg, msglen, "fcgitool: script '%s' not found: %s\n",
			 shown,
			 strerror(n < 0 || (size_t)n >= sizeof(want)
					  ? ENAMETOOLONG
					  : errno));
		return *app == 126 ? 403 : 404;
	}
	if (!under_root(e, real)) {
		snprintf(msg, msglen,
			 "fcgitool: script '%s' is outside the document root "
			 "'%s'\n",
			 shown, e->root);
		return 403;
	}
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(msg, msglen,
			 "fcgitool: script '%s' is not a regular file\n",
			 shown);
		return 403;
	}
	if (access(real, X_OK) != 0) {
		snprintf(msg, msglen,
			 "fcgitool: script '%s' is not executable\n", shown);
		return 403;
	}
	return 0;
}

/* May this pair go into a CGI environment?  Not HTTP_PROXY ("httpoxy":
 * a client's Proxy: header would become the program's proxy), nothing
 * with a NUL, no name that is empty or holds '='. */
static bool env_ok(const struct fcgi_nv *nv)
{
	if (nv->name_len == 0 || memchr(nv->name, '\0', nv->name_len) ||
	    memchr(nv->name, '=', nv->name_len) ||
	    memchr(nv->value, '\0', nv->value_len))
		return false;
	return !(nv->name_len == 10 && memcmp(nv->name, "HTTP_PROXY", 10) == 0);
}

/* One allocation: the pointer array, then the strings.  NULL when memory
 * runs out. */
static char **build_env(const struct fcgi_mem *mem,
			const struct fcgi_params *params, uint16_t role)
{
	static const char def_path[] = "PATH=/usr/local/bin:/usr/bin:/bin";
	char role_env[40];
	size_t count = fcgi_params_count(params), n = 0, bytes = 0, nptr;
	struct fcgi_nv nv, tmp;
	char **env, *s;
	bool have_path = fcgi_params_gets(params, "PATH", &tmp);
	bool have_role = fcgi_params_gets(params, "FCGI_ROLE", &tmp);
	const char *rn = fcgi_role_name(role);

	snprintf(role_env, sizeof(role_env), "FCGI_ROLE=%s",
		 rn != NULL ? rn : "RESPONDER");
	for (size_t i = 0; i < count; i++) {
		fcgi_params_at(params, i, &nv);
		if (env_ok(&nv)) {
			n++;
			bytes += nv.name_len + nv.value_len + 2;
		}
	}
	bytes += sizeof(def_path) + sizeof(role_env);
	nptr = n + 3;
	env = fcgi_mem_malloc(mem, nptr * sizeof(*env) + bytes);
	if (env == NULL)
		return NULL;
	s = (char *)(env + nptr);
	n = 0;
	for (size_t i = 0; i < count; i++) {
		fcgi_params_at(params, i, &nv);
		if (!env_ok(&nv))
			continue;
		env[n++] = s;
		memcpy(s, nv.name, nv.name_len);
		s += nv.name_len;
		*s++ = '=';
		memcpy(s, nv.value, nv.value_len);
		s += nv.value_len;
		*s++ = '\0';
	}
	if (!have_role) {
		env[n++] = s;
		memcpy(s, role_env, strlen(role_env) + 1);
		s += strlen(role_env) + 1;
	}
	if (!have_path) {
		env[n++] = s;
		memcpy(s, def_path, sizeof(def_path));
	}
	env[n] = NULL;
	return env;
}

/* In the child: run the script from its own directory. */
static void exec_child(void *arg)
{
	const struct exec_call *c = arg;
	char dir[PATH_MAX], *slash;
	char out[512];
	int n, e;

	snprintf(dir, sizeof(dir), "%s", c->path);
	slash = strrchr(dir, '/');
	if (slash != NULL) {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (chdir(dir) != 0) {
			/* execve below reports what matters */
		}
	}
	execve(c->path, c->argv, c->envp);
	e = errno;
	n = snprintf(
		out, sizeof(out),
		"Status: 500 Internal Server Error\r\n"
		"Content-Type: text/plain\r\n\r\n500 Internal Server Error\n");
	if (n > 0 && write(1, out, (size_t)n) < 0)
		_exit(126);
	n = snprintf(out, sizeof(out), "fcgitool: cannot execute '%s': %s\n",
		     c->path, strerror(e));
	if (n > 0 && write(2, out, (size_t)n) < 0)
		_exit(126);
	_exit(e == ENOENT ? 127 : 126);
}

static int exec_start(void *self, const struct fcgi_run_info *info,
		      struct fcgi_run **run)
{
	struct exec_runner *e = self;
	char real[PATH_MAX], msg[PATH_MAX + 600], what[PATH_MAX + 16];
	char *argv[2];
	char **env;
	struct exec_call call;
	struct fcgi_run *r;
	unsigned status;
	uint32_t app;
	int rc;

	status = check_script(e, info->params, real, msg, sizeof(msg), &app);
	if (status != 0) {
		rc = fcgi_run_canned(&r, info, e->mem, status, msg, app);
		if (rc == 0)
			*run = r;
		return rc;
	}
	env = build_env(e->mem, info->params, info->role);
	if (env == NULL)
		return FCGI_ENOMEM;
	argv[0] = real;
	argv[1] = NULL;
	call.path = real;
	call.argv = argv;
	call.envp = env;
	snprintf(what, sizeof(what), "script '%s'", real);
	rc = fcgi_proc_spawn(&r, info, e->mem, what, false, exec_child, &call);
	fcgi_mem_free(e->mem, env);
	if (rc != 0)
		return rc;
	*run = r;
	return 0;
}
