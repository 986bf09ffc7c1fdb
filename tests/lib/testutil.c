/* testutil.c - see testutil.h. */
#include "testutil.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
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

/* The imapctl.py server of this process: its end of a socket pair, its
 * pid, the rig it talks to (RIG_IMAPS_PORT) and our pid (a fork's child
 * must not share the pipe). */
static struct {
	int fd;
	pid_t pid, owner;
	char port[16];
} ictl = { .fd = -1 };

static void ictl_stop(void)
{
	if (ictl.fd < 0)
		return;
	close(ictl.fd); /* EOF: it ends */
	waitpid(ictl.pid, NULL, 0);
	ictl.fd = -1;
}

static bool ictl_start(const char *port)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) < 0)
		return false;
	char *script = xasprintf("%s/tests/integration/imapctl.py", tu_env("MUTTLIKE_SRCDIR"));
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(sv[1], 0);
		dup2(sv[1], 1);
		execlp("python3", "python3", script, "serve", (char *)NULL);
		_exit(127);
	}
	free(script);
	close(sv[1]);
	if (pid < 0) {
		close(sv[0]);
		return false;
	}
	ictl.fd = sv[0];
	ictl.pid = pid;
	ictl.owner = getpid();
	snprintf(ictl.port, sizeof(ictl.port), "%s", port);
	return true;
}

/* One request line and its answer ("STATUS LENGTH\n" and the output);
 * NULL when the server is gone. */
static char *ictl_call(int *status, const char *args)
{
	char *line = xasprintf("%s\n", args);
	size_t len = strlen(line), off = 0;
	while (off < len) {
		ssize_t n = send(ictl.fd, line + off, len - off, MSG_NOSIGNAL);
		if (n <= 0) {
			free(line);
			return NULL;
		}
		off += (size_t)n;
	}
	free(line);
	char head[64];
	size_t h = 0;
	while (h < sizeof(head) - 1 && read(ictl.fd, head + h, 1) == 1 && head[h] != '\n')
		h++;
	head[h] = '\0';
	size_t want = 0;
	if (sscanf(head, "%d %zu", status, &want) != 2)
		return NULL;
	char *out = xmalloc(want + 1);
	for (off = 0; off < want;) {
		ssize_t n = read(ictl.fd, out + off, want - off);
		if (n <= 0) {
			free(out);
			return NULL;
		}
		off += (size_t)n;
	}
	out[want] = '\0';
	return out;
}

char *tu_imapctl(int *status, const char *args)
{
	const char *port = getenv("RIG_IMAPS_PORT") ? getenv("RIG_IMAPS_PORT") : "";
	if (ictl.fd >= 0 && (ictl.owner != getpid() || strcmp(ictl.port, port) != 0)) {
		if (ictl.owner == getpid())
			ictl_stop(); /* another rig now */
		else
			ictl.fd = -1; /* a fork's child: the parent's server is not ours */
	}
	if (ictl.fd < 0 && !ictl_start(port))
		fail_msg("cannot start imapctl.py serve: %s", strerror(errno));
	char *out = ictl_call(status, args);
	if (!out)
		fail_msg("imapctl.py serve ended (python3 missing?) during: %s", args);
	return out;
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
