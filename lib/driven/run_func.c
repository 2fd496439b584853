/* SPDX-License-Identifier: MIT */
/*
 * run_func.c - the function runner (serve --fn): SCRIPT_FILENAME names a
 * responder function in a shared object or a table, which runs in a
 * pre-forked worker (run_pool.c) or, with FCGI_ISOLATE_REQUEST, in a child
 * forked for the request (see runner.c for why a child).
 */
#include <dlfcn.h>
#include <elf.h>
#include <link.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "runner.h"

struct fn_lib {
	char label[256];
	void *handle;			   /* dlopen()ed, or NULL */
	const struct fcgi_fn_entry *table; /* or a table */
	struct link_map *map;
};

struct func_runner {
	const struct fcgi_mem *mem;
	struct fn_lib *libs;
	size_t n;
	enum fcgi_isolate isolate;
	unsigned workers;	 /* pool size */
	struct fcgi_pool *pool;	 /* from the first pooled request on */
	struct fcgi_inline *inl; /* from the first inline request on */
	struct fcgi_watch *watch;
};

struct fn_call {
	fcgi_responder_fn fn;
	const struct fcgi_params *params;
};

static int func_start(void *self, const struct fcgi_run_info *info,
		      struct fcgi_run **run);
static void func_release(void *self);

static const struct fcgi_runner_ops func_ops = {
	.name = "function",
	.start = func_start,
	.release = func_release,
};

int fcgi_func_runner_new(struct fcgi_runner **out, const struct fcgi_mem *mem)
{
	struct func_runner *f;
	int rc;

	f = fcgi_mem_malloc(mem, sizeof(*f));
	if (f == NULL)
		return FCGI_ENOMEM;
	memset(f, 0, sizeof(*f));
	f->mem = mem;
	f->isolate = FCGI_ISOLATE_POOL;
	f->workers = fcgi_default_workers();
	rc = fcgi_runner_new(out, &func_ops, f, mem);
	if (rc != 0)
		fcgi_mem_free(mem, f);
	return rc;
}

static void func_release(void *self)
{
	struct func_runner *f = self;

	fcgi_pool_free(f->pool);
	fcgi_inline_free(f->inl);
	for (size_t i = 0; i < f->n; i++)
		if (f->libs[i].handle != NULL)
			dlclose(f->libs[i].handle);
	fcgi_mem_free(f->mem, f->libs);
	fcgi_mem_free(f->mem, f);
}

static struct fn_lib *add_slot(struct func_runner *f)
{
	struct fn_lib *libs;

	libs = fcgi_mem_realloc(f->mem, f->libs, (f->n + 1) * sizeof(*libs));
	if (libs == NULL)
		return NULL;
	f->libs = libs;
	memset(&libs[f->n], 0, sizeof(libs[f->n]));
	return &libs[f->n];
}

int fcgi_func_runner_add_lib(struct fcgi_runner *r, const char *path, char *err,
			     size_t errlen)
{
	struct func_runner *f;
	struct fn_lib *l;
	char local[PATH_MAX];
	const char *base, *open_path = path;
	void *h;
	const char *why;

	if (r == NULL || r->ops != &func_ops || path == NULL) {
		snprintf(err, errlen, "not a function runner");
		return FCGI_EINVAL;
	}
	f = r->self;
	if (f->pool != NULL) {
		snprintf(err, errlen, "the workers have started");
		return FCGI_EINVAL;
	}
	/* dlopen() looks for a bare name in the library path, not here;
	 * a file of that name here is what a user means. */
	if (strchr(path, '/') == NULL && access(path, F_OK) == 0) {
		if ((size_t)snprintf(local, sizeof(local), "./%s", path) >=
		    sizeof(local)) {
			snprintf(err, errlen, "path too long");
			return FCGI_EINVAL;
		}
		open_path = local;
	}
	l = add_slot(f);
	if (l == NULL) {
		snprintf(err, errlen, "%s", fcgi_strerror(FCGI_ENOMEM));
		return FCGI_ENOMEM;
	}
	dlerror();
	h = dlopen(open_path, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) {
		why = dlerror();
		snprintf(err, errlen, "%s",
			 why != NULL ? why : "dlopen failed");
		return FCGI_EIO;
	}
	if (dlinfo(h, RTLD_DI_LINKMAP, &l->map) != 0) {
		why = dlerror();
		snprintf(err, errlen, "%s",
			 why != NULL ? why : "dlinfo failed");
		dlclose(h);
		return FCGI_EIO;
	}
	base = strrchr(path, '/');
	snprintf(l->label, sizeof(l->label), "%s",
		 base != NULL ? base + 1 : path);
	l->handle = h;
	f->n++;
	return 0;
}

int fcgi_func_runner_add_table(struct fcgi_runner *r, const char *name,
			       const struct fcgi_fn_entry *table)
{
	struct func_runner *f;
	struct fn_lib *l;

	if (r == NULL || r->ops != &func_ops || name == NULL || table == NULL)
		return FCGI_EINVAL;
	f = r->self;
	if (f->pool != NULL)
		return FCGI_EINVAL;
	l = add_slot(f);
	if (l == NULL)
		return FCGI_ENOMEM;
	snprintf(l->label, sizeof(l->label), "%s", name);
	l->table = table;
	f->n++;
	return 0;
}

/* The responder called name in l, or NULL.  In a shared object only a
 * function the object defines itself counts: dlsym() also finds what the
 * object's dependencies define ("system", "exit"), and SCRIPT_FILENAME
 * comes from outside. */
static fcgi_responder_fn lib_find(const struct fn_lib *l, const char *name)
{
	void *sym;
	Dl_info info;
	struct link_map *map = NULL;
	const ElfW(Sym) *ent = NULL;
	void *extra = NULL;
	fcgi_responder_fn fn;

	if (l->table != NULL) {
		for (const struct fcgi_fn_entry *e = l->table; e->name != NULL;
		     e++)
			if (strcmp(e->name, name) == 0)
				return e->fn;
		return NULL;
	}
	dlerror();
	sym = dlsym(l->handle, name);
	if (sym == NULL)
		return NULL;
	if (dladdr1(sym, &info, (void **)&map, RTLD_DL_LINKMAP) == 0 ||
	    map != l->map)
		return NULL;
	if (dladdr1(sym, &info, &extra, RTLD_DL_SYMENT) == 0 ||
	    (ent = extra) == NULL || ELF64_ST_TYPE(ent->st_info) != STT_FUNC ||
	    info.dli_saddr != sym)
		return NULL;
	/* POSIX dlsym() hands functions out as void *. */
	memcpy(&fn, &sym, sizeof(fn));
	return fn;
}

unsigned fcgi_default_workers(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	if (n < 4)
		return 4;
	return n > 64 ? 64 : (unsigned)n;
}

int fcgi_func_runner_set_isolation(struct fcgi_runner *r,
				   enum fcgi_isolate isolate, unsigned workers)
{
	struct func_runner *f;

	if (r == NULL || r->ops != &func_ops ||
	    (isolate != FCGI_ISOLATE_POOL && isolate != FCGI_ISOLATE_REQUEST &&
	     isolate != FCGI_ISOLATE_INLINE) ||
	    workers > FCGI_WORKERS_MAX)
		return FCGI_EINVAL;
	f = r->self;
	if (f->pool != NULL || f->inl != NULL)
		return FCGI_EINVAL;
	f->isolate = isolate;
	f->workers = workers != 0 ? workers : fcgi_default_workers();
	return 0;
}

int fcgi_func_runner_set_watch(struct fcgi_runner *r, struct fcgi_watch *watch)
{
	struct func_runner *f;

	if (r == NULL || r->ops != &func_ops)
		return FCGI_EINVAL;
	f = r->self;
	if (f->inl != NULL)
		return FCGI_EINVAL;
	f->watch = watch;
	return 0;
}

/* Whether the request declares a body too large to hold in memory. */
static bool body_too_big(const struct fcgi_params *p)
{
	struct fcgi_nv nv;
	uint64_t v = 0;

	if (!fcgi_params_gets(p, "CONTENT_LENGTH", &nv) || nv.value_len == 0 ||
	    nv.value_len > 19)
		return false;
	for (size_t i = 0; i < nv.value_len; i++) {
		if (nv.value[i] < '0' || nv.value[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(nv.value[i] - '0');
	}
	return v > FCGI_INLINE_BODY_MAX;
}

static bool is_identifier(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
	      *s == '_'))
		return false;
	for (s++; *s != '\0'; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

static void fn_child(void *arg)
{
	struct fn_call *c = arg;
	FILE *in, *out, *err;
	int32_t v;
	int rc;

	in = fdopen(0, "r");
	out = fdopen(1, "w");
	err = fdopen(2, "w");
	if (in == NULL || out == NULL || err == NULL)
		_exit(127);
	setvbuf(err, NULL, _IOLBF, 0);
	rc = c->fn(c->params, in, out, err);
	fflush(NULL);
	v = (int32_t)rc;
	if (write(FCGI_RUN_STATUS_FD, &v, sizeof(v)) < 0)
		_exit(rc & 0xff);
	_exit(0);
}

/* Resolve SCRIPT_FILENAME into *fn, or write why not into msg and return
 * the HTTP status to answer with. */
static unsigned resolve(const struct func_runner *f,
			const struct fcgi_params *params, fcgi_responder_fn *fn,
			char *name, size_t namelen, char *msg, size_t msglen)
{
	struct fcgi_nv nv;
	char last[256], shown[256];
	const uint8_t *p;
	const char *label = NULL, *fname;
	char *colon;
	size_t len;
	const struct fn_lib *l;
	bool known_label = false;

	if (!fcgi_params_gets(params, "SCRIPT_FILENAME", &nv)) {
		snprintf(msg, msglen,
			 "fcgitool: no SCRIPT_FILENAME in the request\n");
		return 404;
	}
	p = NULL;
	for (size_t i = nv.value_len; i > 0; i--) {
		if (nv.value[i - 1] == '/') {
			p = nv.value + i;
			break;
		}
	}
	if (p == NULL)
		p = nv.value;
	len = nv.value_len - (size_t)(p - nv.value);
	if (len == 0 || len >= sizeof(last) || memchr(p, '\0', len) != NULL) {
		fcgi_escape(shown, sizeof(shown), nv.value, nv.value_len);
		snprintf(msg, msglen,
			 "fcgitool: SCRIPT_FILENAME '%s' names no function\n",
			 shown);
		return 404;
	}
	memcpy(last, p, len);
	last[len] = '\0';
	fname = last;
	colon = strrchr(last, ':');
	if (colon != NULL) {
		*colon = '\0';
		label = last;
		fname = colon + 1;
	}
	if (!is_identifier(fname)) {
		fcgi_escape(shown, sizeof(shown), nv.value, nv.value_len);
		snprintf(msg, msglen,
			 "fcgitool: SCRIPT_FILENAME '%s' names no function\n",
			 shown);
		return 404;
	}
	fcgi_copy_text(name, namelen, fname);
	for (size_t i = 0; i < f->n; i++) {
		l = &f->libs[i];
		if (label != NULL && strcmp(label, l->label) != 0)
			continue;
		known_label = true;
		*fn = lib_find(l, fname);
		if (*fn != NULL)
			return 0;
	}
	if (label != NULL && !known_label)
		snprintf(msg, msglen, "fcgitool: no function library '%s'\n",
			 label);
	else
		snprintf(msg, msglen, "fcgitool: no function '%s'%s%s\n", fname,
			 label != NULL ? " in " : "",
			 label != NULL ? label : "");
	return 404;
}

/* "function 'NAME'", for messages; made for every request, so without
 * printf. */
static void func_what(char *out, size_t n, const char *name)
{
	static const char pre[] = "function '";
	size_t len = strlen(name);

	if (sizeof(pre) + len + 1 > n)
		len = n - sizeof(pre) - 1;
	memcpy(out, pre, sizeof(pre) - 1);
	memcpy(out + sizeof(pre) - 1, name, len);
	out[sizeof(pre) - 1 + len] = '\'';
	out[sizeof(pre) + len] = '\0';
}

static int func_start(void *self, const struct fcgi_run_info *info,
		      struct fcgi_run **run)
{
	struct func_runner *f = self;
	struct fn_call call;
	char name[256], msg[1200], what[300];
	unsigned status;
	struct fcgi_run *r;
	int rc;

	call.fn = NULL;
	call.params = info->params;
	status = resolve(f, info->params, &call.fn, name, sizeof(name), msg,
			 sizeof(msg));
	if (status == 0)
		func_what(what, sizeof(what), name);
	if (status != 0) {
		/* 127: the shell's "command not found". */
		rc = fcgi_run_canned(&r, info, f->mem, status, msg, 127);
	} else if (f->isolate == FCGI_ISOLATE_REQUEST ||
		   (f->isolate == FCGI_ISOLATE_INLINE &&
		    body_too_big(info->params))) {
		rc = fcgi_proc_spawn(&r, info, f->mem, what, true, fn_child,
				     &call);
	} else if (f->isolate == FCGI_ISOLATE_INLINE) {
		if (f->inl == NULL) {
			rc = fcgi_inline_new(&f->inl, info->loop, f->mem,
					     f->watch);
			if (rc != 0)
				return rc;
		}
		if (fcgi_inline_loop(f->inl) != info->loop)
			return FCGI_EINVAL;
		rc = fcgi_inline_start(f->inl, info, what, call.fn, &r);
	} else {
		if (f->pool == NULL) {
			rc = fcgi_pool_new(&f->pool, info->loop, f->mem,
					   f->workers);
			if (rc != 0)
				return rc;
		}
		if (fcgi_pool_loop(f->pool) != info->loop)
			return FCGI_EINVAL;
		rc = fcgi_pool_submit(f->pool, info, what, call.fn, &r);
	}
	if (rc != 0)
		return rc;
	*run = r;
	return 0;
}
