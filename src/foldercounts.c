/* foldercounts.c - the server's folder counts during a first sync (see
 * foldercounts.h). */
#include "foldercounts.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

char *foldercounts_path(const char *account_state_dir)
{
	return xasprintf("%s/folder-counts", account_state_dir);
}

void foldercounts_clear(struct foldercounts *fc)
{
	for (size_t i = 0; i < fc->n; i++)
		free(fc->v[i].rel);
	xfree(&fc->v);
	fc->n = 0;
}

struct foldercount *foldercounts_find(const struct foldercounts *fc, const char *rel)
{
	for (size_t i = 0; i < fc->n; i++)
		if (strcmp(fc->v[i].rel, rel) == 0)
			return &fc->v[i];
	return NULL;
}

void foldercounts_put(struct foldercounts *fc, const char *rel, long messages, long unseen, bool pending)
{
	struct foldercount *e = foldercounts_find(fc, rel);
	if (!e) {
		fc->v = xreallocarray(fc->v, fc->n + 1, sizeof(*fc->v));
		e = &fc->v[fc->n++];
		e->rel = xstrdup(rel);
	}
	e->messages = messages;
	e->unseen = unseen;
	e->pending = pending;
}

bool foldercounts_pending(const struct foldercounts *fc)
{
	for (size_t i = 0; i < fc->n; i++)
		if (fc->v[i].pending)
			return true;
	return false;
}

size_t foldercounts_total(const struct foldercounts *fc)
{
	size_t t = 0;
	for (size_t i = 0; i < fc->n; i++)
		if (fc->v[i].messages > 0)
			t += (size_t)fc->v[i].messages;
	return t;
}

/* "<messages> <unseen> <p|d> <rel>"; false when malformed. */
static bool parse_line(char *line, struct foldercounts *fc)
{
	long m, u;
	char st;
	int off = 0;
	if (sscanf(line, "%ld %ld %c %n", &m, &u, &st, &off) != 3 || !off || (st != 'p' && st != 'd') || m < 0 ||
	    u < -1 || !line[off] || line[off] == '/' || strstr(line + off, ".."))
		return false;
	foldercounts_put(fc, line + off, m, u, st == 'p');
	return true;
}

bool foldercounts_load(const char *path, struct foldercounts *fc)
{
	foldercounts_clear(fc);
	size_t len = 0;
	char *data = util_read_file(path, &len);
	if (!data)
		return false;
	for (char *p = data, *nl; p < data + len && *p; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl)
			break; /* a torn last line */
		*nl = '\0';
		parse_line(p, fc);
	}
	free(data);
	return true;
}

int foldercounts_save(const char *path, const struct foldercounts *fc)
{
	if (!foldercounts_pending(fc))
		return unlink(path) == 0 || errno == ENOENT ? 0 : -1;
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < fc->n; i++)
		strbuf_addf(&b, "%ld %ld %c %s\n", fc->v[i].messages, fc->v[i].unseen, fc->v[i].pending ? 'p' : 'd',
			    fc->v[i].rel);
	int r = util_write_file_atomic(path, b.s ? b.s : "", b.len, 0600);
	strbuf_free(&b);
	return r;
}
