/* log.c - see log.h. */
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "text.h"

static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static log_sink_fn sink_fn;
static void *sink_ud;
static enum log_level max_level = LOG_INFO;
static FILE *log_file;

static const char *const level_names[] = { "error", "warn", "info", "debug", "trace" };

const char *log_level_name(enum log_level level)
{
	if ((size_t)level >= ARRAY_SIZE(level_names))
		return "?";
	return level_names[level];
}

void log_set_sink(log_sink_fn fn, void *ud)
{
	pthread_mutex_lock(&log_lock);
	sink_fn = fn;
	sink_ud = ud;
	pthread_mutex_unlock(&log_lock);
}

void log_set_level(enum log_level level)
{
	__atomic_store_n(&max_level, level, __ATOMIC_RELAXED);
}

enum log_level log_get_level(void)
{
	return __atomic_load_n(&max_level, __ATOMIC_RELAXED);
}

bool log_enabled(enum log_level level)
{
	return level <= log_get_level();
}

static void file_sink(enum log_level level, const char *line, void *ud)
{
	(void)ud;
	if (!log_file)
		return;
	char ts[32];
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	strftime(ts, sizeof(ts), "%Y-%m-%d %H:%M:%S", &tm);
	fprintf(log_file, "%s [%s] %s\n", ts, log_level_name(level), line);
	fflush(log_file);
}

void log_get_sink(log_sink_fn *fn, void **ud)
{
	pthread_mutex_lock(&log_lock);
	*fn = sink_fn;
	*ud = sink_ud;
	pthread_mutex_unlock(&log_lock);
}

void log_msg(enum log_level level, const char *fmt, ...)
{
	if (!log_enabled(level))
		return;
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	/* the log is shown (stderr, a pager on data_dir/log): server and
	 * file text in it goes through the sanitizer like everything else */
	char *line = text_sanitize(raw, strlen(raw), false);
	free(raw);
	pthread_mutex_lock(&log_lock);
	if (sink_fn)
		sink_fn(level, line, sink_ud);
	else
		fprintf(stderr, "muttlike: %s\n", line);
	pthread_mutex_unlock(&log_lock);
	free(line);
}

int log_open_file(const char *path)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return -1;
	FILE *f = fdopen(fd, "a");
	if (!f) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	pthread_mutex_lock(&log_lock);
	if (log_file)
		fclose(log_file);
	log_file = f;
	sink_fn = file_sink;
	sink_ud = NULL;
	pthread_mutex_unlock(&log_lock);
	return 0;
}

void log_close_file(void)
{
	pthread_mutex_lock(&log_lock);
	if (log_file)
		fclose(log_file);
	log_file = NULL;
	if (sink_fn == file_sink)
		sink_fn = NULL;
	pthread_mutex_unlock(&log_lock);
}

bool log_file_is_open(void)
{
	pthread_mutex_lock(&log_lock);
	bool open = log_file && sink_fn == file_sink;
	pthread_mutex_unlock(&log_lock);
	return open;
}

/* Does word w (length n) equal s, ignoring case? */
static bool word_is(const char *w, size_t n, const char *s)
{
	return strlen(s) == n && strncasecmp(w, s, n) == 0;
}

char *log_redact_line(const char *line, bool from_client, bool *in_auth)
{
	if (!from_client) {
		if (line[0] != '+')
			*in_auth = false;
		return xstrdup(line);
	}
	if (*in_auth)
		return xstrdup("<redacted>");
	const char *words[3];
	size_t lens[3];
	int nw = 0;
	const char *p = line;
	while (*p && nw < 3) {
		while (*p == ' ')
			p++;
		words[nw] = p;
		while (*p && *p != ' ')
			p++;
		lens[nw] = (size_t)(p - words[nw]);
		if (lens[nw])
			nw++;
	}
	/* "TAG LOGIN user pass", "TAG AUTHENTICATE MECH [ir]", SMTP "AUTH MECH [ir]" */
	int cmd;
	if (nw >= 2 && (word_is(words[1], lens[1], "LOGIN") || word_is(words[1], lens[1], "AUTHENTICATE")))
		cmd = 1;
	else if (nw >= 1 && word_is(words[0], lens[0], "AUTH"))
		cmd = 0;
	else
		return xstrdup(line);
	bool is_login = word_is(words[cmd], lens[cmd], "LOGIN");
	*in_auth = !is_login;
	size_t keep = (size_t)(words[cmd] - line) + lens[cmd];
	if (!is_login && cmd + 1 < nw) /* the mechanism name is not secret */
		keep = (size_t)(words[cmd + 1] - line) + lens[cmd + 1];
	if (keep >= strlen(line))
		return xstrdup(line);
	return xasprintf("%.*s <redacted>", (int)keep, line);
}
