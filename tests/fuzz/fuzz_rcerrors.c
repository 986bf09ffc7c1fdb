/* fuzz_rcerrors.c - the rc error path (issue 17): whatever bytes an rc
 * holds (escape sequences, a binary read by mistake, NUL bytes, a hostile
 * name after `source`), every line muttlike would print about it -- the
 * errors as main() reports them, the warnings, the log -- passes the
 * sanitizer unchanged, and a run of errors from one file is cut to
 * CONF_REPORT_MAX_RUN lines and one "... and N more errors in FILE".
 *
 * Input: the first line is a name for conf_load_string(); all of the input
 * is also loaded as a file (a memfd, so NUL bytes stay in). */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"
#include "log.h"
#include "text.h"
#include "util.h"

static void must_be_clean(const char *line)
{
	if (!text_is_clean(line, strlen(line)) || strchr(line, '\n'))
		abort();
}

static void log_line(enum log_level level, const char *line, void *ud)
{
	(void)level;
	(void)ud;
	must_be_clean(line);
}

static void report_line(const char *line, void *ud)
{
	must_be_clean(line);
	(*(size_t *)ud)++;
}

/* Everything printed about c is clean; with one file, the cap holds. */
static void check_conf(const conf_t *c, bool one_file)
{
	size_t lines = 0;
	conf_report_errors(c, CONF_REPORT_MAX_RUN, report_line, &lines);
	if (lines > conf_error_count(c) || (one_file && lines > CONF_REPORT_MAX_RUN + 1))
		abort();
	for (size_t i = 0; i < conf_error_count(c); i++)
		must_be_clean(conf_error(c, i));
	for (size_t i = 0; i < conf_warning_count(c); i++)
		must_be_clean(conf_warning(c, i));
	/* what text_print() writes: one clean line per call */
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	for (size_t i = 0; i < conf_error_count(c) && i < 4; i++)
		text_print(f, "muttlike: %s", conf_error(c, i));
	fclose(f);
	for (char *p = buf, *nl; p < buf + len; p = nl + 1) {
		nl = memchr(p, '\n', (size_t)(buf + len - p));
		if (!nl)
			abort(); /* every line ends in '\n' */
		*nl = '\0';
		must_be_clean(p);
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_sink(log_line, NULL);
	log_set_level(LOG_TRACE);
	/* as a file: the loader reads every byte, NULs included */
	int fd = memfd_create("rc", MFD_CLOEXEC);
	if (fd < 0 || (size && write(fd, data, size) != (ssize_t)size))
		abort();
	char path[64];
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	conf_t *c = conf_new();
	conf_load_file(c, path);
	/* no `source`: every error is from this one file */
	check_conf(c, !memmem(data, size, "source", 6));
	conf_free(&c);
	close(fd);

	/* as a string under a name from the input (a hostile file name) */
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *nl = strchr(text, '\n');
	const char *name = nl ? text : "fuzz.rc";
	const char *body = nl ? nl + 1 : text;
	if (nl)
		*nl = '\0';
	c = conf_new();
	conf_load_string(c, name, body);
	conf_command(c, -1, body);
	check_conf(c, false);
	conf_free(&c);
	free(text);
	log_set_sink(NULL, NULL);
	return 0;
}
