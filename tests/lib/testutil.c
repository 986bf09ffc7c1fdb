/* testutil.c - see testutil.h. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "conn.h"
#include "log.h"
#include "util.h"

/* TEST_FILTER=GLOB (SYNC_TEST_FILTER, its older name, too) runs only the
 * cases of a cmocka program whose names match it: every unit and
 * integration program links this file, so it holds for all of them. */
__attribute__((constructor)) static void tu_test_filter(void)
{
	const char *f = getenv("TEST_FILTER");
	if (!f || !*f)
		f = getenv("SYNC_TEST_FILTER");
	if (f && *f)
		cmocka_set_test_filter(f);
}

char *tu_tmpdir(void)
{
	const char *base = getenv("TMPDIR");
	char *tmpl = xasprintf("%s/muttlike-test.XXXXXX", base && *base ? base : "/tmp");
	if (!mkdtemp(tmpl))
		fail_msg("mkdtemp: %s", strerror(errno));
	return tmpl;
}

static int rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

void tu_rmtree(const char *path)
{
	nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

char *tu_write(const char *dir, const char *name, const char *text, unsigned mode)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, (mode_t)mode);
	if (fd < 0)
		fail_msg("open %s: %s", path, strerror(errno));
	size_t len = strlen(text);
	if (write(fd, text, len) != (ssize_t)len)
		fail_msg("write %s", path);
	fchmod(fd, (mode_t)mode);
	close(fd);
	return path;
}

char *tu_read(const char *path)
{
	size_t len;
	return util_read_file(path, &len);
}

const char *tu_env(const char *name)
{
	const char *v = getenv(name);
	if (!v || !*v)
		fail_msg("environment variable %s is not set (run this test through tests/run-all)", name);
	return v;
}

void tu_rig_conn(struct conn_params *p, const char *host, int port, bool implicit, const char *dir)
{
	memset(p, 0, sizeof(*p));
	p->host = xstrdup(host);
	p->port = port;
	p->implicit_tls = implicit;
	p->user = xstrdup(tu_env("RIG_USER"));
	p->pass = xstrdup(tu_env("RIG_PASS"));
	p->ca_file = xstrdup(tu_env("RIG_CA"));
	p->pin_file = xasprintf("%s/certs", dir);
	p->timeout_s = 10;
}

bool tu_rig_is(const char *server)
{
	const char *v = getenv("RIG_SERVER");
	return strcmp(v && *v ? v : "dovecot", server) == 0;
}

char *tu_server_folder(const char *name)
{
	const char *prefix = getenv("RIG_NS_PREFIX"), *sep = getenv("RIG_NS_SEP");
	bool inbox = strcmp(name, "INBOX") == 0 || strncmp(name, "INBOX/", 6) == 0;
	char *out = xasprintf("%s%s", inbox || !prefix ? "" : prefix, name);
	for (char *p = out; sep && *sep && *p; p++)
		if (*p == '/')
			*p = *sep;
	return out;
}

char *tu_run(int *status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *cmd = xvasprintf(fmt, ap);
	va_end(ap);
	char *full = xasprintf("(%s) 2>&1", cmd);
	FILE *p = popen(full, "r");
	free(full);
	free(cmd);
	if (!p)
		fail_msg("popen failed");
	struct strbuf b;
	strbuf_init(&b);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), p)) > 0)
		strbuf_add(&b, buf, n);
	int st = pclose(p);
	*status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
	return strbuf_detach(&b);
}

static struct strbuf captured;

static void capture_sink(enum log_level level, const char *line, void *ud)
{
	(void)ud;
	strbuf_addf(&captured, "%s: %s\n", log_level_name(level), line);
}

void tu_log_capture_start(void)
{
	strbuf_free(&captured);
	strbuf_adds(&captured, "");
	log_set_sink(capture_sink, NULL);
}

const char *tu_log_captured(void)
{
	return captured.s ? captured.s : "";
}

void tu_log_capture_stop(void)
{
	log_set_sink(NULL, NULL);
	strbuf_free(&captured);
}
