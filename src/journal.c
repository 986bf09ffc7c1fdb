/* journal.c - append-only pending-operations log.
 *
 * Lines:
 *   a <seq> move <folder> <uid> <dest> <dest_file>
 *   a <seq> expunge <folder> <uid>
 *   d <seq>
 * Folder names and file names are %-escaped (space, %, control bytes) so a
 * line always splits on spaces.
 */
#include "journal.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

struct journal {
	char *path; /* owned */
};

enum journal_status journal_open(const char *path, journal_t **out)
{
	journal_t *j = xcalloc(1, sizeof(*j));
	j->path = xstrdup(path);
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash) {
		*slash = '\0';
		util_mkdirs(dir, 0700);
	}
	free(dir);
	*out = j;
	return JOURNAL_OK;
}

void journal_free(journal_t **jp)
{
	if (!*jp)
		return;
	free((*jp)->path);
	xfree(jp);
}

static void esc(struct strbuf *b, const char *s)
{
	if (!*s) {
		strbuf_adds(b, "%");
		return;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p <= ' ' || *p == '%' || *p == 0x7f)
			strbuf_addf(b, "%%%02X", *p);
		else
			strbuf_addc(b, (char)*p);
	}
}

static char *unesc(const char *s)
{
	if (strcmp(s, "%") == 0)
		return xstrdup("");
	struct strbuf b;
	strbuf_init(&b);
	for (const char *p = s; *p; p++) {
		if (*p == '%' && isxdigit((unsigned char)p[1]) && isxdigit((unsigned char)p[2])) {
			char hex[3] = { p[1], p[2], '\0' };
			strbuf_addc(&b, (char)strtoul(hex, NULL, 16));
			p += 2;
		} else {
			strbuf_addc(&b, *p);
		}
	}
	return strbuf_detach(&b);
}

/* Open for appending and take the lock; the fd or -1.  A compaction may
 * have replaced the file while we waited for the lock: then the inode we
 * hold is no longer the journal, so open again. */
static int open_locked(const char *path)
{
	for (;;) {
		int fd = open(path, O_RDWR | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (fd < 0)
			return -1;
		while (flock(fd, LOCK_EX) < 0) {
			if (errno != EINTR) {
				int e = errno;
				close(fd);
				errno = e;
				return -1;
			}
		}
		struct stat a, b;
		if (fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev)
			return fd;
		close(fd);
	}
}

static enum journal_status append_line(int fd, const char *line)
{
	size_t len = strlen(line);
	ssize_t w;
	do
		w = write(fd, line, len);
	while (w < 0 && errno == EINTR);
	if (w != (ssize_t)len || fsync(fd) < 0)
		return JOURNAL_ERR_IO;
	return JOURNAL_OK;
}

/* The highest seq in the file (0: empty). */
static uint64_t last_seq(int fd)
{
	FILE *f = fdopen(dup(fd), "r");
	if (!f)
		return 0;
	rewind(f);
	uint64_t max = 0;
	char *line = NULL;
	size_t cap = 0;
	while (getline(&line, &cap, f) > 0) {
		if (!line[0] || line[1] != ' ')
			continue;
		uint64_t s = strtoull(line + 2, NULL, 10);
		if (s > max)
			max = s;
	}
	free(line);
	fclose(f);
	return max;
}

enum journal_status journal_add(journal_t *j, struct journal_entry *e)
{
	int fd = open_locked(j->path);
	if (fd < 0)
		return JOURNAL_ERR_IO;
	e->seq = last_seq(fd) + 1;
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, "a %" PRIu64 " %s ", e->seq, e->op == JOURNAL_MOVE ? "move" : "expunge");
	esc(&b, e->folder);
	strbuf_addf(&b, " %" PRIu32, e->uid);
	if (e->op == JOURNAL_MOVE) {
		strbuf_addc(&b, ' ');
		esc(&b, e->dest ? e->dest : "");
		strbuf_addc(&b, ' ');
		esc(&b, e->dest_file ? e->dest_file : "");
	}
	strbuf_addc(&b, '\n');
	enum journal_status st = append_line(fd, b.s);
	int err = errno;
	strbuf_free(&b);
	close(fd);
	errno = err;
	return st;
}

enum journal_status journal_done(journal_t *j, uint64_t seq)
{
	int fd = open_locked(j->path);
	if (fd < 0)
		return JOURNAL_ERR_IO;
	char line[64];
	snprintf(line, sizeof(line), "d %" PRIu64 "\n", seq);
	enum journal_status st = append_line(fd, line);
	close(fd);
	return st;
}

static bool parse_add(char *line, struct journal_entry *e)
{
	char *tok[8];
	size_t n = 0;
	for (char *save = NULL, *t = strtok_r(line, " ", &save); t && n < ARRAY_SIZE(tok);
	     t = strtok_r(NULL, " ", &save))
		tok[n++] = t;
	if (n < 5)
		return false;
	memset(e, 0, sizeof(*e));
	e->seq = strtoull(tok[1], NULL, 10);
	unsigned long uid = strtoul(tok[4], NULL, 10);
	if (!e->seq || uid > UINT32_MAX)
		return false;
	e->uid = (uint32_t)uid;
	if (strcmp(tok[2], "move") == 0 && n == 7) {
		e->op = JOURNAL_MOVE;
		e->dest = unesc(tok[5]);
		e->dest_file = unesc(tok[6]);
	} else if (strcmp(tok[2], "expunge") == 0 && n == 5) {
		e->op = JOURNAL_EXPUNGE;
	} else {
		return false;
	}
	e->folder = unesc(tok[3]);
	return true;
}

static void entry_clear(struct journal_entry *e)
{
	free(e->folder);
	free(e->dest);
	free(e->dest_file);
}

enum journal_status journal_pending(journal_t *j, struct journal_entry **out, size_t *nout)
{
	*out = NULL;
	*nout = 0;
	int fd = open_locked(j->path);
	if (fd < 0)
		return JOURNAL_ERR_IO;
	FILE *f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return JOURNAL_ERR_IO;
	}
	struct journal_entry *v = NULL;
	size_t n = 0, cap = 0;
	char *line = NULL;
	size_t lcap = 0;
	ssize_t len;
	while ((len = getline(&line, &lcap, f)) > 0) {
		if (line[len - 1] != '\n')
			break; /* torn by a crash mid-write: never acknowledged */
		line[len - 1] = '\0';
		if (line[0] == 'd') {
			uint64_t seq = strtoull(line + 2, NULL, 10);
			for (size_t i = 0; i < n; i++) {
				if (v[i].seq == seq) {
					entry_clear(&v[i]);
					memmove(&v[i], &v[i + 1], (n - i - 1) * sizeof(*v));
					n--;
					break;
				}
			}
			continue;
		}
		struct journal_entry e;
		if (line[0] != 'a' || !parse_add(line, &e))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 16;
			v = xreallocarray(v, cap, sizeof(*v));
		}
		v[n++] = e;
	}
	free(line);
	fclose(f); /* also drops the lock */
	*out = v;
	*nout = n;
	return JOURNAL_OK;
}

void journal_entries_free(struct journal_entry **v, size_t n)
{
	if (!*v)
		return;
	for (size_t i = 0; i < n; i++)
		entry_clear(&(*v)[i]);
	xfree(v);
}

enum journal_status journal_compact(journal_t *j)
{
	struct journal_entry *v;
	size_t n;
	if (journal_pending(j, &v, &n) != JOURNAL_OK)
		return JOURNAL_ERR_IO;
	int fd = open_locked(j->path);
	if (fd < 0) {
		journal_entries_free(&v, n);
		return JOURNAL_ERR_IO;
	}
	struct strbuf b;
	strbuf_init(&b);
	for (size_t i = 0; i < n; i++) {
		struct journal_entry *e = &v[i];
		strbuf_addf(&b, "a %" PRIu64 " %s ", e->seq, e->op == JOURNAL_MOVE ? "move" : "expunge");
		esc(&b, e->folder);
		strbuf_addf(&b, " %" PRIu32, e->uid);
		if (e->op == JOURNAL_MOVE) {
			strbuf_addc(&b, ' ');
			esc(&b, e->dest);
			strbuf_addc(&b, ' ');
			esc(&b, e->dest_file);
		}
		strbuf_addc(&b, '\n');
	}
	/* Keep the sequence numbers growing after a compaction. */
	if (n == 0) {
		uint64_t s = last_seq(fd);
		if (s)
			strbuf_addf(&b, "a %" PRIu64 " expunge %% 0\nd %" PRIu64 "\n", s, s);
	}
	int rc = util_write_file_atomic(j->path, b.s, b.len, 0600);
	strbuf_free(&b);
	close(fd);
	journal_entries_free(&v, n);
	return rc < 0 ? JOURNAL_ERR_IO : JOURNAL_OK;
}
