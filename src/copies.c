/* copies - local copies of a message by Message-ID and size (copies.h). */
#include "copies.h"

#include <notmuch.h>
#include <stdbool.h>
#include <string.h>

#include "maildir.h"
#include "util.h"

struct copy {
	char *mid;  /* owned */
	size_t size;
	char *path; /* owned, absolute */
};

struct copies {
	char *mail_root;       /* owned */
	char *acct_root;       /* owned: mail_root/acct_dir/ */
	struct copy *v;        /* owned */
	size_t n, cap;
	notmuch_database_t *db; /* owned: read-only, opened at the first miss */
	bool db_tried;
};

copies_t *copies_new(const char *mail_root, const char *acct_dir)
{
	copies_t *c = xcalloc(1, sizeof(*c));
	c->mail_root = xstrdup(mail_root);
	c->acct_root = xasprintf("%s/%s/", mail_root, acct_dir);
	return c;
}

void copies_free(copies_t **cp)
{
	copies_t *c = *cp;
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].mid);
		free(c->v[i].path);
	}
	free(c->v);
	if (c->db)
		notmuch_database_destroy(c->db);
	free(c->mail_root);
	free(c->acct_root);
	free(c);
	*cp = NULL;
}

void copies_note(copies_t *c, const char *mid, size_t size, const char *path)
{
	if (!mid || !*mid)
		return;
	if (c->n == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 64;
		c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	c->v[c->n++] = (struct copy){ xstrdup(mid), size, xstrdup(path) };
}

/* The file's bytes (LF line ends, *lflen of them) when it is the message
 * asked for, else NULL.  size is the server's: the file has LF line ends,
 * or CRLF when an earlier version wrote it. */
static char *read_if_same(const char *path, const char *mid, size_t size, size_t *lflen)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return NULL;
	char *dir = xstrndup(path, (size_t)(slash - path));
	char *data = NULL;
	size_t len = 0;
	int rc = maildir_read(dir, slash + 1, &data, &len);
	free(dir);
	if (rc != 0)
		return NULL;
	char *id = maildir_crlf_size(data, len) == size ? maildir_message_id(data, len) : NULL;
	bool same = id && strcmp(id, mid) == 0;
	free(id);
	char *lf = same ? maildir_lf(data, len, lflen) : NULL;
	free(data);
	return lf;
}

static char *read_indexed(copies_t *c, const char *mid, size_t size, size_t *len)
{
	if (!c->db_tried) {
		c->db_tried = true;
		char *msg = NULL;
		if (notmuch_database_open_with_config(c->mail_root, NOTMUCH_DATABASE_MODE_READ_ONLY, "", NULL, &c->db,
						      &msg) != NOTMUCH_STATUS_SUCCESS)
			c->db = NULL;
		free(msg);
	}
	notmuch_message_t *m = NULL;
	if (!c->db || notmuch_database_find_message(c->db, mid, &m) != NOTMUCH_STATUS_SUCCESS || !m)
		return NULL;
	char *data = NULL;
	notmuch_filenames_t *f = notmuch_message_get_filenames(m);
	size_t rootlen = strlen(c->acct_root);
	for (; !data && notmuch_filenames_valid(f); notmuch_filenames_move_to_next(f)) {
		const char *p = notmuch_filenames_get(f);
		if (strncmp(p, c->acct_root, rootlen) == 0)
			data = read_if_same(p, mid, size, len);
	}
	notmuch_filenames_destroy(f);
	notmuch_message_destroy(m);
	return data;
}

char *copies_read(copies_t *c, const char *mid, size_t size, size_t *len)
{
	if (!mid || !*mid || !size)
		return NULL;
	for (size_t i = c->n; i-- > 0;)
		if (c->v[i].size == size && strcmp(c->v[i].mid, mid) == 0) {
			char *data = read_if_same(c->v[i].path, mid, size, len);
			if (data)
				return data;
		}
	return read_indexed(c, mid, size, len);
}
