/* mbox.c - mboxrd files and Maildirs outside the mirror (mbox.h). */
#include "mbox.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"

#define MBOX_LOCK_TRIES 50 /* 50 x 100 ms: mutt waits about as long */

/* ---- the From line ---- */

/* The unfolded value of header name in m's header block, or NULL.  New string. */
static char *header(const struct mbox_msg *m, const char *name)
{
	size_t nl = strlen(name);
	const char *p = m->data, *end = m->data + m->len;
	while (p < end && *p != '\n' && *p != '\r') {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		eol = eol ? eol : end;
		if ((size_t)(eol - p) > nl && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			struct strbuf b;
			strbuf_init(&b);
			strbuf_add(&b, p + nl + 1, (size_t)(eol - p - nl - 1));
			while (eol + 1 < end && (eol[1] == ' ' || eol[1] == '\t')) {
				const char *next = memchr(eol + 1, '\n', (size_t)(end - eol - 1));
				next = next ? next : end;
				strbuf_add(&b, eol + 1, (size_t)(next - eol - 1));
				eol = next;
			}
			for (size_t i = 0; i < b.len; i++)
				if (b.s[i] == '\r' || b.s[i] == '\n' || b.s[i] == '\t')
					b.s[i] = ' ';
			return strbuf_detach(&b);
		}
		p = eol + 1;
	}
	return NULL;
}

/* The envelope sender: Return-Path, else the first From: mailbox. */
static char *sender(const struct mbox_msg *m)
{
	char *v = header(m, "Return-Path");
	char *s = NULL;
	if (v) {
		char *lt = strchr(v, '<');
		if (lt && lt[1] != '>')
			s = xstrndup(lt + 1, strcspn(lt + 1, ">"));
		free(v);
	}
	if (!s && (v = header(m, "From")) != NULL) {
		struct addr_list l;
		addr_list_init(&l);
		char *err = NULL;
		addr_parse(v, &l, &err);
		if (l.n)
			s = xstrdup(l.v[0].mailbox);
		free(err);
		addr_list_clear(&l);
		free(v);
	}
	if (!s || !*s) {
		free(s);
		s = xstrdup("MAILER-DAEMON");
	}
	for (char *c = s; *c; c++)
		if ((unsigned char)*c <= ' ' || (unsigned char)*c >= 127)
			*c = '_';
	return s;
}

/* The Date: header as a time, or now. */
static time_t message_time(const struct mbox_msg *m)
{
	char *v = header(m, "Date");
	time_t t = time(NULL);
	if (!v)
		return t;
	static const char *const fmts[] = { "%a, %d %b %Y %H:%M:%S %z", "%d %b %Y %H:%M:%S %z",
					    "%a, %d %b %Y %H:%M %z", "%d %b %Y %H:%M %z" };
	const char *s = v;
	while (isspace((unsigned char)*s))
		s++;
	for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
		struct tm tm = { 0 };
		if (strptime(s, fmts[i], &tm)) {
			long off = tm.tm_gmtoff;
			t = timegm(&tm) - off;
			break;
		}
	}
	free(v);
	return t;
}

char *mbox_from_line(const struct mbox_msg *m)
{
	char *s = sender(m);
	time_t t = message_time(m);
	struct tm tm;
	char date[64];
	gmtime_r(&t, &tm);
	strftime(date, sizeof(date), "%a %b %e %H:%M:%S %Y", &tm);
	char *line = xasprintf("From %s %s\n", s, date);
	free(s);
	return line;
}

/* ---- writing ---- */

/* ^>*From  */
static bool is_from_line(const char *p, size_t n)
{
	size_t i = 0;
	while (i < n && p[i] == '>')
		i++;
	return n - i >= 5 && memcmp(p + i, "From ", 5) == 0;
}

/* The message with LF line ends, escaped or not, ending in one LF. */
static void add_body(struct strbuf *out, const struct mbox_msg *m, bool escape)
{
	const char *p = m->data, *end = m->data + m->len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p) : (size_t)(end - p);
		if (n && p[n - 1] == '\r')
			n--;
		if (escape && is_from_line(p, n))
			strbuf_addc(out, '>');
		strbuf_add(out, p, n);
		strbuf_addc(out, '\n');
		p = eol ? eol + 1 : end;
	}
}

void mbox_format(struct strbuf *out, const struct mbox_msg *m)
{
	char *from = mbox_from_line(m);
	strbuf_adds(out, from);
	free(from);
	add_body(out, m, true);
	strbuf_addc(out, '\n');
}

void mbox_pipe_data(const struct mbox_msg *msgs, size_t n, char **out, size_t *len)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "");
	for (size_t i = 0; i < n; i++) {
		if (n == 1)
			add_body(&b, &msgs[i], false);
		else
			mbox_format(&b, &msgs[i]);
	}
	*len = b.len;
	*out = strbuf_detach(&b);
}

/* ---- target kind ---- */

static bool is_maildir(const char *dir)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char *p = xasprintf("%s/%s", dir, subs[i]);
		struct stat st;
		bool ok = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
		free(p);
		if (!ok)
			return false;
	}
	return true;
}

static bool dir_empty(const char *dir)
{
	DIR *d = opendir(dir);
	if (!d)
		return false;
	struct dirent *e;
	bool empty = true;
	while (empty && (e = readdir(d)) != NULL)
		empty = strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0;
	closedir(d);
	return empty;
}

static bool looks_like_mbox(const char *path, char **err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return false;
	}
	char head[5];
	ssize_t n = read(fd, head, sizeof(head));
	close(fd);
	if (n == 0 || (n == 5 && memcmp(head, "From ", 5) == 0))
		return true;
	*err = xasprintf("%s exists and is not an mbox (it does not start with \"From \"); choose another name", path);
	return false;
}

enum mbox_kind mbox_target_kind(const char *path, char **err)
{
	*err = NULL;
	size_t n = strlen(path);
	struct stat st;
	if (n == 0) {
		*err = xstrdup("no file name given");
		return MBOX_KIND_ERROR;
	}
	if (stat(path, &st) != 0)
		return path[n - 1] == '/' ? MBOX_KIND_MAILDIR : MBOX_KIND_MBOX;
	if (S_ISDIR(st.st_mode)) {
		if (is_maildir(path) || dir_empty(path))
			return MBOX_KIND_MAILDIR;
		*err = xasprintf("%s is a directory but not a Maildir (no cur/, new/, tmp/)", path);
		return MBOX_KIND_ERROR;
	}
	if (path[n - 1] == '/') {
		*err = xasprintf("%s is a file, not a Maildir", path);
		return MBOX_KIND_ERROR;
	}
	return looks_like_mbox(path, err) ? MBOX_KIND_MBOX : MBOX_KIND_ERROR;
}

/* ---- mbox append with locks ---- */

/* mutt's dotlock: a unique file linked to PATH.lock (atomic on NFS too). */
static bool dotlock(const char *path, char **err)
{
	char rnd[17];
	util_random_hex(rnd, 8);
	char *lock = xasprintf("%s.lock", path), *tmp = xasprintf("%s.%s.%ld", lock, rnd, (long)getpid());
	bool ok = false;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		*err = xasprintf("cannot create a lock file next to %s: %s", path, strerror(errno));
	} else {
		close(fd);
		for (int i = 0; i < MBOX_LOCK_TRIES && !ok; i++) {
			struct stat st;
			ok = link(tmp, lock) == 0 || (stat(tmp, &st) == 0 && st.st_nlink == 2);
			if (!ok && errno != EEXIST)
				break;
			if (!ok)
				poll(NULL, 0, 100); /* another writer holds it: mutt retries the same way */
		}
		if (!ok)
			*err = xasprintf("%s is locked (%s exists); try again, or remove it if no program is writing",
					 path, lock);
		unlink(tmp);
	}
	free(tmp);
	free(lock);
	return ok;
}

static void dotunlock(const char *path)
{
	char *lock = xasprintf("%s.lock", path);
	unlink(lock);
	free(lock);
}

/* What an existing mbox needs so that its last message ends in the blank
 * line before the next "From ": "", "\n" or "\n\n". */
static const char *separator(int fd, off_t size)
{
	char tail[2] = { '\n', '\n' };
	if (size == 0)
		return "";
	if (size == 1 ? pread(fd, tail + 1, 1, 0) != 1 : pread(fd, tail, 2, size - 2) != 2)
		return "\n\n";
	return tail[1] != '\n' ? "\n\n" : tail[0] != '\n' ? "\n" : "";
}

/* Append data under the fcntl lock; on a failed write the file is cut
 * back to its old size. */
static bool append_locked(int fd, const char *path, const struct strbuf *data, char **err)
{
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	int i = 0;
	while (fcntl(fd, F_SETLK, &fl) < 0 && (errno == EACCES || errno == EAGAIN) && ++i < MBOX_LOCK_TRIES)
		poll(NULL, 0, 100); /* another writer holds it: mutt retries the same way */
	if (i == MBOX_LOCK_TRIES) {
		*err = xasprintf("%s is locked by another program; try again", path);
		return false;
	}
	struct stat st;
	bool ok = fstat(fd, &st) == 0;
	off_t size = ok ? st.st_size : 0;
	const char *sep = ok ? separator(fd, size) : "";
	ok = ok && (util_write_all(fd, sep, strlen(sep)) == 0);
	ok = ok && (util_write_all(fd, data->s, data->len) == 0) && fsync(fd) == 0;
	if (!ok) {
		*err = xasprintf("cannot write to %s: %s", path, strerror(errno));
		if (ftruncate(fd, size) == 0)
			fsync(fd);
	}
	fl.l_type = F_UNLCK;
	fcntl(fd, F_SETLK, &fl);
	return ok;
}

static bool save_mbox(const char *path, const struct mbox_msg *msgs, size_t n, char **err)
{
	struct strbuf data;
	strbuf_init(&data);
	for (size_t i = 0; i < n; i++)
		mbox_format(&data, &msgs[i]);
	bool ok = false;
	int fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0 && errno == ELOOP) {
		char real[PATH_MAX];
		if (realpath(path, real))
			fd = open(real, O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
	}
	if (fd < 0)
		*err = xasprintf("cannot open %s: %s", path, strerror(errno));
	else if (dotlock(path, err)) {
		ok = append_locked(fd, path, &data, err);
		dotunlock(path);
	}
	if (fd >= 0)
		close(fd);
	strbuf_free(&data);
	return ok;
}

/* ---- Maildir ---- */

static bool mkdir_ok(const char *p)
{
	return mkdir(p, 0700) == 0 || errno == EEXIST;
}

static bool maildir_make(const char *dir, char **err)
{
	static const char *const subs[] = { "cur", "new", "tmp" };
	bool ok = util_mkdirs(dir, 0700) == 0;
	for (size_t i = 0; ok && i < ARRAY_SIZE(subs); i++) {
		char *p = xasprintf("%s/%s", dir, subs[i]);
		ok = mkdir_ok(p);
		free(p);
	}
	if (!ok)
		*err = xasprintf("cannot create the Maildir %s: %s", dir, strerror(errno));
	return ok;
}

/* Write one message into dir/tmp under a unique name, fsync, rename into new/. */
static bool maildir_put(const char *dir, const struct mbox_msg *m, char **err)
{
	static unsigned counter;
	char host[256] = "localhost", rnd[17];
	gethostname(host, sizeof(host) - 1);
	for (char *c = host; *c; c++)
		if (*c == '/' || *c == ':')
			*c = '_';
	util_random_hex(rnd, 8);
	char *base = xasprintf("%lld.P%ldQ%uR%s.%s", (long long)time(NULL), (long)getpid(), ++counter, rnd, host);
	char *tmp = xasprintf("%s/tmp/%s", dir, base), *dst = xasprintf("%s/new/%s", dir, base);
	struct strbuf b;
	strbuf_init(&b);
	add_body(&b, m, false);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	bool ok = fd >= 0 && (util_write_all(fd, b.s, b.len) == 0) && fsync(fd) == 0;
	if (fd >= 0 && close(fd) != 0)
		ok = false;
	ok = ok && rename(tmp, dst) == 0;
	if (!ok) {
		*err = xasprintf("cannot write a message into %s: %s", dir, strerror(errno));
		unlink(tmp);
	}
	strbuf_free(&b);
	free(tmp);
	free(dst);
	free(base);
	return ok;
}

static bool save_maildir(const char *dir, const struct mbox_msg *msgs, size_t n, char **err)
{
	if (!maildir_make(dir, err))
		return false;
	bool ok = true;
	for (size_t i = 0; ok && i < n; i++)
		ok = maildir_put(dir, &msgs[i], err);
	char *nd = xasprintf("%s/new", dir);
	if (util_fsync_dir(nd) != 0 && ok) {
		*err = xasprintf("cannot sync %s: %s", nd, strerror(errno));
		ok = false;
	}
	free(nd);
	return ok;
}

bool mbox_save(const char *path, const struct mbox_msg *msgs, size_t n, char **err)
{
	*err = NULL;
	switch (mbox_target_kind(path, err)) {
	case MBOX_KIND_MBOX:
		return save_mbox(path, msgs, n, err);
	case MBOX_KIND_MAILDIR:
		return save_maildir(path, msgs, n, err);
	default:
		return false;
	}
}

/* ---- reading ---- */

static bool starts_message(const char *text, const char *p, const char *end)
{
	return end - p >= 5 && memcmp(p, "From ", 5) == 0 && (p == text || (p - text >= 2 && p[-1] == '\n' && p[-2] == '\n'));
}

/* One message's lines [p, end), without the separator's blank line, un-escaped. */
static void read_body(struct mbox_read_msg *m, const char *p, const char *end)
{
	if (end > p && end[-1] == '\n' && end - p >= 2 && end[-2] == '\n')
		end--;
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "");
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		size_t n = eol ? (size_t)(eol - p + 1) : (size_t)(end - p);
		bool esc = n > 1 && p[0] == '>' && is_from_line(p + 1, n - 1);
		strbuf_add(&b, p + esc, n - esc);
		p += n;
	}
	m->len = b.len;
	m->data = strbuf_detach(&b);
}

size_t mbox_read(const char *text, size_t len, struct mbox_read_msg **out)
{
	size_t n = 0;
	*out = NULL;
	const char *p = text, *end = text + len;
	while (p < end && !starts_message(text, p, end)) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		p = eol ? eol + 1 : end;
	}
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		const char *body = eol ? eol + 1 : end, *q = body;
		while (q < end && !starts_message(text, q, end)) {
			const char *e = memchr(q, '\n', (size_t)(end - q));
			q = e ? e + 1 : end;
		}
		*out = xreallocarray(*out, n + 1, sizeof(**out));
		(*out)[n].from_line = xstrndup(p, (size_t)((eol ? eol : end) - p));
		read_body(&(*out)[n++], body, q);
		p = q;
	}
	return n;
}

void mbox_read_free(struct mbox_read_msg **v, size_t n)
{
	for (size_t i = 0; *v && i < n; i++) {
		free((*v)[i].from_line);
		free((*v)[i].data);
	}
	xfree(v);
}
