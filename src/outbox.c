/* outbox.c - see outbox.h. */
#include "outbox.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "addr.h"
#include "encode.h"
#include "log.h"
#include "maildir.h"
#include "util.h"

struct outbox {
	char *dir; /* owned */
};

static char *path_of(const outbox_t *o, const char *id, const char *ext)
{
	return xasprintf("%s/%s.%s", o->dir, id, ext);
}

outbox_t *outbox_open(const char *data_dir, const char *account, char **err)
{
	*err = NULL;
	char *acct = maildir_safe_component(account);
	char *dir = xasprintf("%s/state/%s/outbox", data_dir, acct);
	char *edit = xasprintf("%s/edit", dir);
	free(acct);
	if (util_mkdirs(edit, 0700) != 0) {
		*err = xasprintf("%s: %s", edit, strerror(errno));
		free(dir);
		free(edit);
		return NULL;
	}
	free(edit);
	outbox_t *o = xcalloc(1, sizeof(*o));
	o->dir = dir;
	return o;
}

void outbox_free(outbox_t **op)
{
	if (!*op)
		return;
	free((*op)->dir);
	free(*op);
	*op = NULL;
}

const char *outbox_dir(const outbox_t *o)
{
	return o->dir;
}

static char *new_id(void)
{
	unsigned char r[6];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r))
		memset(r, 0, sizeof(r));
	/* seconds, then nanoseconds at a fixed width: ids sort in the order
	 * they were made (entries of one second keep their order in the list) */
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return xasprintf("%lld.%09ld.%d.%02x%02x%02x%02x%02x%02x", (long long)ts.tv_sec, ts.tv_nsec, (int)getpid(),
			 r[0], r[1], r[2], r[3], r[4], r[5]);
}

/* The envelope file: one "key value" per line, values cleaned to one line
 * so nothing can forge a line of its own. */
static char *env_text(const struct outbox_entry *e)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, "from %s\n", e->from);
	for (size_t i = 0; e->rcpts[i]; i++)
		strbuf_addf(&b, "rcpt %s\n", e->rcpts[i]);
	if (e->answered)
		strbuf_addf(&b, "answered %s\n", e->answered);
	if (e->fcc && *e->fcc)
		strbuf_addf(&b, "fcc %s\n", e->fcc);
	else if (e->fcc)
		strbuf_adds(&b, "nofcc yes\n");
	strbuf_addf(&b, "created %lld\nattempts %d\n", (long long)e->created, e->attempts);
	if (e->error) {
		char *clean = encode_header_clean(e->error);
		strbuf_addf(&b, "error %s\n", clean);
		free(clean);
	}
	return strbuf_detach(&b);
}

static int write_env(outbox_t *o, const struct outbox_entry *e)
{
	char *p = path_of(o, e->id, "env");
	char *t = env_text(e);
	int r = util_write_file_atomic(p, t, strlen(t), 0600);
	free(t);
	free(p);
	return r;
}

static int write_part(outbox_t *o, const char *id, const char *ext, const char *data, size_t len, char **err)
{
	char *p = path_of(o, id, ext);
	int r = util_write_file_atomic(p, data, len, 0600);
	if (r != 0)
		*err = xasprintf("%s: %s", p, strerror(errno));
	free(p);
	return r;
}

static void unlink_parts(outbox_t *o, const char *id)
{
	static const char *const exts[] = { "env", "held", "sent", "copy", "eml" }; /* commit points first */
	for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
		char *p = path_of(o, id, exts[i]);
		unlink(p);
		free(p);
	}
}

char *outbox_add(outbox_t *o, const char *msg, size_t len, const char *copy, size_t copy_len, const char *from,
		 char *const *rcpts, const char *answered, const char *fcc, char **err)
{
	*err = NULL;
	if (fcc && strpbrk(fcc, "\r\n")) {
		/* refused, not dropped: the user asked for a copy there */
		*err = xstrdup("the Fcc folder's name has a line break");
		return NULL;
	}
	struct outbox_entry e = { 0 };
	e.id = new_id();
	e.from = (char *)from;
	e.rcpts = (char **)rcpts;
	/* a path with a line break cannot be ours; \Answered is not worth a forged line */
	e.answered = answered && !strpbrk(answered, "\r\n") ? (char *)answered : NULL;
	e.fcc = (char *)fcc;
	e.created = time(NULL);
	if (write_part(o, e.id, "eml", msg, len, err) != 0 ||
	    (copy && write_part(o, e.id, "copy", copy, copy_len, err) != 0)) {
		unlink_parts(o, e.id);
		free(e.id);
		return NULL;
	}
	if (write_env(o, &e) != 0) {
		*err = xasprintf("%s/%s.env: %s", o->dir, e.id, strerror(errno));
		unlink_parts(o, e.id);
		free(e.id);
		return NULL;
	}
	return e.id;
}

void outbox_entries_free(struct outbox_entry **vp, size_t n)
{
	struct outbox_entry *v = *vp;
	for (size_t i = 0; v && i < n; i++) {
		free(v[i].id);
		free(v[i].from);
		for (size_t k = 0; v[i].rcpts && v[i].rcpts[k]; k++)
			free(v[i].rcpts[k]);
		free(v[i].rcpts);
		free(v[i].answered);
		free(v[i].error);
		free(v[i].fcc);
	}
	free(v);
	*vp = NULL;
}

static void parse_env_line(struct outbox_entry *e, const char *line, size_t *nr)
{
	const char *sp = strchr(line, ' ');
	if (!sp)
		return;
	const char *v = sp + 1;
	size_t kl = (size_t)(sp - line);
	if (kl == 4 && strncmp(line, "from", 4) == 0 && !e->from) {
		e->from = xstrdup(v);
	} else if (kl == 4 && strncmp(line, "rcpt", 4) == 0) {
		e->rcpts = xreallocarray(e->rcpts, *nr + 2, sizeof(*e->rcpts));
		e->rcpts[(*nr)++] = xstrdup(v);
		e->rcpts[*nr] = NULL;
	} else if (kl == 8 && strncmp(line, "answered", 8) == 0 && !e->answered) {
		e->answered = xstrdup(v);
	} else if (kl == 3 && strncmp(line, "fcc", 3) == 0 && !e->fcc) {
		e->fcc = xstrdup(v);
	} else if (kl == 5 && strncmp(line, "nofcc", 5) == 0 && !e->fcc) {
		e->fcc = xstrdup("");
	} else if (kl == 7 && strncmp(line, "created", 7) == 0) {
		e->created = (time_t)strtoll(v, NULL, 10);
	} else if (kl == 8 && strncmp(line, "attempts", 8) == 0) {
		e->attempts = atoi(v);
	} else if (kl == 5 && strncmp(line, "error", 5) == 0 && !e->error) {
		e->error = xstrdup(v);
	}
}

static bool load_entry(outbox_t *o, const char *id, struct outbox_entry *e)
{
	memset(e, 0, sizeof(*e));
	char *p = path_of(o, id, "env");
	FILE *f = fopen(p, "r");
	free(p);
	if (!f) {
		p = path_of(o, id, "held");
		f = fopen(p, "r");
		free(p);
		e->held = f != NULL;
	}
	if (!f)
		return false;
	e->id = xstrdup(id);
	char *line = NULL;
	size_t cap = 0, nr = 0;
	while (getline(&line, &cap, f) > 0) {
		line[strcspn(line, "\n")] = '\0';
		parse_env_line(e, line, &nr);
	}
	free(line);
	fclose(f);
	if (!e->rcpts)
		e->rcpts = xcalloc(1, sizeof(*e->rcpts));
	if (!e->from)
		e->from = xstrdup("");
	char *sp = path_of(o, id, "sent");
	e->sent = access(sp, F_OK) == 0;
	free(sp);
	char *mp = path_of(o, id, "eml");
	struct stat st;
	e->size = stat(mp, &st) == 0 ? (size_t)st.st_size : 0;
	free(mp);
	return true;
}

static bool has_part(const outbox_t *o, const char *id, const char *ext)
{
	char *p = path_of(o, id, ext);
	bool r = access(p, F_OK) == 0;
	free(p);
	return r;
}

static int by_created(const void *a, const void *b)
{
	const struct outbox_entry *x = a, *y = b;
	if (x->created != y->created)
		return x->created < y->created ? -1 : 1;
	return strcmp(x->id, y->id);
}

size_t outbox_list(outbox_t *o, struct outbox_entry **out)
{
	*out = NULL;
	size_t n = 0;
	DIR *d = opendir(o->dir);
	if (!d)
		return 0;
	for (struct dirent *de; (de = readdir(d));) {
		size_t len = strlen(de->d_name);
		bool env = len >= 5 && strcmp(de->d_name + len - 4, ".env") == 0;
		bool held = len >= 6 && strcmp(de->d_name + len - 5, ".held") == 0;
		if (de->d_name[0] == '.' || !(env || held))
			continue;
		char *id = xstrndup(de->d_name, len - (env ? 4 : 5));
		*out = xreallocarray(*out, n + 1, sizeof(**out));
		/* a crash between the renames of hold/release leaves both: list it once */
		if ((env || !has_part(o, id, "env")) && load_entry(o, id, &(*out)[n]))
			n++;
		free(id);
	}
	closedir(d);
	if (n)
		qsort(*out, n, sizeof(**out), by_created);
	return n;
}

static bool id_ok(const char *id)
{
	return *id && strspn(id, "0123456789abcdef.") == strlen(id) && id[0] != '.';
}

enum outbox_status outbox_read(outbox_t *o, const char *id, char **msg, size_t *len)
{
	*msg = NULL;
	*len = 0;
	if (!id_ok(id))
		return OUTBOX_ERR_NOT_FOUND;
	char *p = path_of(o, id, "eml");
	*msg = util_read_file(p, len);
	free(p);
	if (!*msg)
		return errno == ENOENT ? OUTBOX_ERR_NOT_FOUND : OUTBOX_ERR_IO;
	return OUTBOX_OK;
}

static void entry_clear(struct outbox_entry *e)
{
	struct outbox_entry *heap = xmalloc(sizeof(*e));
	*heap = *e;
	outbox_entries_free(&heap, 1);
	memset(e, 0, sizeof(*e));
}

enum outbox_status outbox_set_error(outbox_t *o, const char *id, const char *reason)
{
	struct outbox_entry e;
	if (!id_ok(id) || !load_entry(o, id, &e))
		return OUTBOX_ERR_NOT_FOUND;
	free(e.error);
	e.error = xstrdup(reason ? reason : "unknown error");
	e.attempts++;
	int r = write_env(o, &e);
	entry_clear(&e);
	return r == 0 ? OUTBOX_OK : OUTBOX_ERR_IO;
}

/* The entry's lock: flock on ID.eml, which is written once and never
 * replaced (ID.env is, by every failed attempt).  fd, or -1 with errno
 * (EWOULDBLOCK: someone else has it). */
static int lock_entry(outbox_t *o, const char *id)
{
	char *p = path_of(o, id, "eml");
	int fd = open(p, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	free(p);
	if (fd < 0)
		return -1;
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void unlock_entry(int fd)
{
	if (fd >= 0)
		close(fd); /* drops the flock */
}

/* Lock an existing entry; status says why not. */
static enum outbox_status lock_existing(outbox_t *o, const char *id, int *fd)
{
	*fd = -1;
	if (!id_ok(id) || !(has_part(o, id, "env") || has_part(o, id, "held")))
		return OUTBOX_ERR_NOT_FOUND;
	/* a sender that only looks (and skips a held entry) has it for a
	 * moment; a send holds it for seconds */
	for (int i = 0; (*fd = lock_entry(o, id)) < 0 && errno == EWOULDBLOCK && i < 20; i++)
		usleep(5000);
	/* no ID.eml: nothing anyone could be sending, nothing to protect */
	if (*fd >= 0 || errno == ENOENT)
		return OUTBOX_OK;
	return errno == EWOULDBLOCK ? OUTBOX_ERR_BUSY : OUTBOX_ERR_IO;
}

enum outbox_status outbox_remove(outbox_t *o, const char *id)
{
	int fd;
	enum outbox_status st = lock_existing(o, id, &fd);
	if (st == OUTBOX_OK)
		unlink_parts(o, id);
	unlock_entry(fd);
	return st;
}

/* Rename ID.<from> to ID.<to> under the entry's lock. */
static enum outbox_status move_state(outbox_t *o, const char *id, const char *from, const char *to)
{
	int fd;
	enum outbox_status st = lock_existing(o, id, &fd);
	if (st != OUTBOX_OK)
		return st;
	char *a = path_of(o, id, from), *b = path_of(o, id, to);
	if (access(a, F_OK) != 0)
		st = access(b, F_OK) == 0 ? OUTBOX_OK : OUTBOX_ERR_NOT_FOUND; /* already there */
	else if (rename(a, b) != 0 || util_fsync_dir(o->dir) != 0)
		st = OUTBOX_ERR_IO;
	free(a);
	free(b);
	unlock_entry(fd);
	return st;
}

enum outbox_status outbox_hold(outbox_t *o, const char *id)
{
	return move_state(o, id, "env", "held");
}

enum outbox_status outbox_release(outbox_t *o, const char *id)
{
	return move_state(o, id, "held", "env");
}

bool outbox_busy(outbox_t *o, const char *id)
{
	int fd = id_ok(id) ? lock_entry(o, id) : -1;
	bool busy = fd < 0 && errno == EWOULDBLOCK;
	unlock_entry(fd);
	return busy;
}

char *outbox_message_file(outbox_t *o, const char *id)
{
	if (!id_ok(id))
		return NULL;
	char *p = path_of(o, id, "copy");
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	p = path_of(o, id, "eml");
	if (access(p, F_OK) == 0)
		return p;
	free(p);
	return NULL;
}

/* ---- local Maildir side ---- */

char *outbox_folder_dir(const char *data_dir, const char *account, const char *folder)
{
	char *acct = maildir_safe_component(account);
	char *rel = maildir_folder_relpath(folder && *folder ? folder : "Sent", '/');
	char *dir = xasprintf("%s/mail/%s/%s", data_dir, acct, rel ? rel : "Sent");
	free(acct);
	free(rel);
	return dir;
}

int outbox_deliver_local(const char *dir, const char *msg, size_t len, const char *flags, char **path_out)
{
	if (path_out)
		*path_out = NULL;
	if (maildir_create(dir) != 0)
		return -1;
	char *name = NULL;
	if (maildir_deliver(dir, msg, len, 0, false, maildir_flags_parse(flags), 0, &name) != 0)
		return -1;
	if (path_out)
		*path_out = xasprintf("%s/%s", dir, name);
	free(name);
	return 0;
}

int outbox_mark_answered(const char *path, char **new_path)
{
	if (new_path)
		*new_path = NULL;
	/* .../<folder>/{cur,new}/<base>: split into the Maildir and "cur/<base>" */
	const char *slash = strrchr(path, '/');
	if (!slash || slash - path < 4 || (strncmp(slash - 4, "/cur", 4) != 0 && strncmp(slash - 4, "/new", 4) != 0)) {
		errno = EINVAL;
		return -1;
	}
	char *dir = xstrndup(path, (size_t)(slash - 4 - path));
	char *name = xstrdup(slash - 3);
	struct maildir_name n;
	maildir_name_parse(name, &n);
	char *renamed = NULL;
	int r = maildir_rename(dir, name, n.has_uid, n.uid, n.flags | MAILDIR_F_REPLIED, &renamed);
	if (r == 0 && new_path)
		*new_path = xasprintf("%s/%s", dir, renamed);
	free(renamed);
	free(dir);
	free(name);
	return r;
}

/* ---- sending ---- */

/* After the server took it: the copy into sent_dir (none when NULL),
 * \Answered, then forget it.  A failure here keeps the entry (marked
 * sent, so it is never resent). */
static bool finish_in(outbox_t *o, const struct outbox_entry *e, const char *sent_dir)
{
	if (sent_dir) {
		char *msg = NULL;
		size_t len = 0;
		char *cp = path_of(o, e->id, "copy");
		bool have_copy = access(cp, F_OK) == 0;
		free(cp);
		if (have_copy) {
			char *p = path_of(o, e->id, "copy");
			FILE *f = fopen(p, "rb");
			free(p);
			struct strbuf b;
			strbuf_init(&b);
			char buf[8192];
			size_t k;
			while (f && (k = fread(buf, 1, sizeof(buf), f)) > 0)
				strbuf_add(&b, buf, k);
			if (f)
				fclose(f);
			len = b.len;
			msg = strbuf_detach(&b);
		} else if (outbox_read(o, e->id, &msg, &len) != OUTBOX_OK) {
			return false;
		}
		int r = outbox_deliver_local(sent_dir, msg, len, "S", NULL);
		free(msg);
		if (r != 0) {
			char *why = xasprintf("sent, but the copy to %s failed: %s", sent_dir, strerror(errno));
			outbox_set_error(o, e->id, why);
			free(why);
			return false;
		}
	}
	if (e->answered && outbox_mark_answered(e->answered, NULL) != 0)
		log_warn("could not mark %s as answered: %s", e->answered, strerror(errno));
	unlink_parts(o, e->id);
	return true;
}

/* finish_in() in the entry's Fcc folder: its own, none, or record. */
static bool finish(outbox_t *o, const struct outbox_entry *e, const struct outbox_after *after)
{
	char *own = e->fcc && *e->fcc && after && after->data_dir && after->account
			    ? outbox_folder_dir(after->data_dir, after->account, e->fcc)
			    : NULL;
	const char *dir = own ? own : e->fcc && !*e->fcc ? NULL : after ? after->sent_dir : NULL;
	bool ok = finish_in(o, e, dir);
	free(own);
	return ok;
}

static bool send_entry(outbox_t *o, const struct outbox_entry *e, smtp_t *s)
{
	char *msg;
	size_t len;
	if (outbox_read(o, e->id, &msg, &len) != OUTBOX_OK) {
		outbox_set_error(o, e->id, "the queued message cannot be read");
		return false;
	}
	enum smtp_status st = smtp_deliver(s, e->from, e->rcpts, msg, len);
	free(msg);
	if (st != SMTP_OK) {
		outbox_set_error(o, e->id, smtp_error(s));
		log_warn("outbox %s: %s", e->id, smtp_error(s));
		return false;
	}
	/* commit "sent" before anything else can fail: never send twice */
	char *p = path_of(o, e->id, "sent");
	if (util_write_file_atomic(p, "", 0, 0600) != 0)
		log_error("outbox %s: sent, but %s could not be written: %s", e->id, p, strerror(errno));
	free(p);
	return true;
}

size_t outbox_flush(outbox_t *o, smtp_t *s, const struct outbox_after *after, size_t *failed)
{
	struct outbox_entry *v;
	size_t n = outbox_list(o, &v), sent = 0, bad = 0;
	for (size_t i = 0; i < n; i++) {
		if (v[i].held)
			continue;
		int fd = lock_entry(o, v[i].id);
		struct outbox_entry e;
		/* locked (or without ID.eml, which send_entry reports): read it
		 * again, it may have been held or deleted since the list */
		if ((fd < 0 && errno != ENOENT) || !load_entry(o, v[i].id, &e)) {
			unlock_entry(fd);
			continue;
		}
		if (!e.held) {
			bool now = !e.sent && send_entry(o, &e, s), ok = e.sent || now;
			char *msg = NULL;
			size_t len = 0;
			if (now && after && after->on_sent && outbox_read(o, e.id, &msg, &len) == OUTBOX_OK)
				after->on_sent(after->ud, &e, msg, len);
			free(msg);
			if (ok && finish(o, &e, after))
				sent++;
			else
				bad++;
		}
		entry_clear(&e);
		unlock_entry(fd);
	}
	outbox_entries_free(&v, n);
	if (failed)
		*failed = bad;
	return sent;
}

/* ---- the editor's file ---- */

char *outbox_edit_file(outbox_t *o, const char *text, char **err)
{
	*err = NULL;
	char *id = new_id();
	char *p = xasprintf("%s/edit/%s.txt", o->dir, id);
	free(id);
	int fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	size_t len = strlen(text);
	bool ok = fd >= 0 && write(fd, text, len) == (ssize_t)len && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (!ok) {
		*err = xasprintf("%s: %s", p, strerror(errno));
		unlink(p);
		xfree(&p);
	}
	return p;
}

static int newest_first(const void *a, const void *b)
{
	return strcmp(*(char *const *)b, *(char *const *)a);
}

size_t outbox_edit_leftovers(outbox_t *o, char ***paths)
{
	*paths = NULL;
	size_t n = 0;
	char *dir = xasprintf("%s/edit", o->dir);
	DIR *d = opendir(dir);
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		*paths = xreallocarray(*paths, n + 2, sizeof(**paths));
		(*paths)[n++] = xasprintf("%s/%s", dir, de->d_name);
		(*paths)[n] = NULL;
	}
	if (d)
		closedir(d);
	free(dir);
	if (n)
		qsort(*paths, n, sizeof(**paths), newest_first);
	return n;
}
