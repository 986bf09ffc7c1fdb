/* maildir.c - Maildir files named with their IMAP UID, written crash-safely. */
#include "maildir.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "util.h"

static const char flag_letters[] = "DFPRST";

unsigned maildir_flags_parse(const char *letters)
{
	unsigned f = 0;
	for (const char *p = letters; p && *p; p++) {
		const char *hit = strchr(flag_letters, *p);
		if (hit && *p)
			f |= 1u << (hit - flag_letters);
	}
	return f;
}

void maildir_flags_format(unsigned flags, char out[8])
{
	size_t n = 0;
	for (size_t i = 0; i < 6; i++)
		if (flags & (1u << i))
			out[n++] = flag_letters[i];
	out[n] = '\0';
}

char *maildir_safe_component(const char *name)
{
	struct strbuf b;
	strbuf_init(&b);
	if (!*name) {
		strbuf_adds(&b, "%00");
		return strbuf_detach(&b);
	}
	bool reserved = strcmp(name, "cur") == 0 || strcmp(name, "new") == 0 || strcmp(name, "tmp") == 0;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		bool esc = *p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\' || *p == '%' ||
			   (p == (const unsigned char *)name && (*p == '.' || reserved));
		if (esc)
			strbuf_addf(&b, "%%%02X", *p);
		else
			strbuf_addc(&b, (char)*p);
	}
	return strbuf_detach(&b);
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

char *maildir_component_name(const char *component)
{
	struct strbuf b;
	strbuf_init(&b);
	for (const char *p = component; *p; p++) {
		if (*p != '%') {
			strbuf_addc(&b, *p);
			continue;
		}
		int hi = hexval((unsigned char)p[1]), lo = hi < 0 ? -1 : hexval((unsigned char)p[2]);
		if (lo < 0) {
			strbuf_free(&b);
			return NULL;
		}
		if (hi || lo)
			strbuf_addc(&b, (char)(hi * 16 + lo));
		p += 2;
	}
	char *name = strbuf_detach(&b);
	/* Only the one spelling maildir_safe_component() gives: anything else
	 * would come back from the server as another directory. */
	char *again = maildir_safe_component(name);
	bool same = strcmp(again, component) == 0;
	free(again);
	if (!same) {
		free(name);
		return NULL;
	}
	return name;
}

char *maildir_folder_relpath(const char *name, char delim)
{
	if (!name || !*name)
		return NULL;
	struct strbuf b;
	strbuf_init(&b);
	const char *p = name;
	for (;;) {
		const char *end = delim ? strchr(p, delim) : NULL;
		char *part = end ? xstrndup(p, (size_t)(end - p)) : xstrdup(p);
		char *safe = maildir_safe_component(part);
		if (b.len)
			strbuf_addc(&b, '/');
		strbuf_adds(&b, safe);
		free(safe);
		free(part);
		if (!end)
			break;
		p = end + 1;
	}
	return strbuf_detach(&b);
}

int maildir_create(const char *dir)
{
	static const char *const sub[] = { "cur", "new", "tmp" };
	for (size_t i = 0; i < ARRAY_SIZE(sub); i++) {
		char *p = xasprintf("%s/%s", dir, sub[i]);
		int rc = util_mkdirs(p, 0700);
		free(p);
		if (rc < 0)
			return -1;
	}
	return 0;
}

/* Parse ",U=<digits>" before the ":2," info of a base name. */
static bool parse_uid(const char *base, uint32_t *uid)
{
	const char *colon = strstr(base, ":2,");
	size_t stem = colon ? (size_t)(colon - base) : strlen(base);
	const char *u = NULL;
	for (const char *p = base; p + 3 <= base + stem; p++)
		if (p[0] == ',' && p[1] == 'U' && p[2] == '=')
			u = p + 3;
	if (!u)
		return false;
	unsigned long long v = 0;
	const char *p = u;
	for (; p < base + stem && isdigit((unsigned char)*p); p++) {
		v = v * 10 + (unsigned)(*p - '0');
		if (v > UINT32_MAX)
			return false;
	}
	if (p == u || (p < base + stem && *p != ','))
		return false;
	*uid = (uint32_t)v;
	return true;
}

bool maildir_is_index_copy_name(const char *base)
{
	uint32_t uid;
	return strstr(base, ":2,") && parse_uid(base, &uid);
}

static int entry_cmp(const void *a, const void *b)
{
	const struct maildir_entry *x = a, *y = b;
	if (x->uid != y->uid)
		return x->uid < y->uid ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int scan_sub(const char *dir, const char *sub, struct maildir_list *out, size_t *cap)
{
	char *path = xasprintf("%s/%s", dir, sub);
	DIR *d = opendir(path);
	free(path);
	if (!d)
		return errno == ENOENT ? 0 : -1;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		if (strcmp(sub, "new") == 0 && maildir_is_index_copy_name(de->d_name))
			continue; /* the store's, in flight or left by a crash */
		if (out->n == *cap) {
			*cap = *cap ? *cap * 2 : 256;
			out->v = xreallocarray(out->v, *cap, sizeof(*out->v));
		}
		struct maildir_entry *e = &out->v[out->n++];
		memset(e, 0, sizeof(*e));
		e->name = xasprintf("%s/%s", sub, de->d_name);
		e->has_uid = parse_uid(de->d_name, &e->uid);
		const char *info = strstr(de->d_name, ":2,");
		e->flags = info ? maildir_flags_parse(info + 3) : 0;
	}
	closedir(d);
	return 0;
}

int maildir_scan(const char *dir, struct maildir_list *out)
{
	out->v = NULL;
	out->n = 0;
	size_t cap = 0;
	if (scan_sub(dir, "cur", out, &cap) < 0 || scan_sub(dir, "new", out, &cap) < 0) {
		int e = errno;
		maildir_list_clear(out);
		errno = e;
		return -1;
	}
	if (out->n)
		qsort(out->v, out->n, sizeof(*out->v), entry_cmp);
	return 0;
}

void maildir_list_clear(struct maildir_list *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i].name);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

struct maildir_entry *maildir_list_find(struct maildir_list *l, uint32_t uid)
{
	size_t lo = 0, hi = l->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (l->v[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	/* Skip files without a UID (sorted first, uid 0). */
	while (lo < l->n && l->v[lo].uid == uid && !l->v[lo].has_uid)
		lo++;
	return lo < l->n && l->v[lo].uid == uid && l->v[lo].has_uid ? &l->v[lo] : NULL;
}

static void host_name(char *host, size_t n)
{
	snprintf(host, n, "localhost");
	gethostname(host, n - 1);
	host[n - 1] = '\0';
	for (char *p = host; *p; p++)
		if (*p == '/' || *p == ':' || *p == ',')
			*p = '_';
}

/* The writer's pid of one of our tmp names, or 0 when it is not ours. */
static long our_writer(const char *name, const char *host)
{
	long long secs;
	long usecs, pid;
	unsigned q;
	int used = 0;
	if (sscanf(name, "%lld.M%ldP%ldQ%u.%n", &secs, &usecs, &pid, &q, &used) != 4 || used == 0)
		return 0;
	return strcmp(name + used, host) == 0 && pid > 0 ? pid : 0;
}

size_t maildir_clean_tmp(const char *dir, time_t now)
{
	char *tmp = xasprintf("%s/tmp", dir);
	DIR *d = opendir(tmp);
	size_t removed = 0;
	char host[256];
	host_name(host, sizeof(host));
	for (struct dirent *de; d && (de = readdir(d));) {
		if (de->d_name[0] == '.')
			continue;
		struct stat st;
		if (fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
			continue;
		long pid = our_writer(de->d_name, host);
		bool orphan = pid && pid != (long)getpid() && kill((pid_t)pid, 0) < 0 && errno == ESRCH;
		if ((orphan || now - st.st_mtime > MAILDIR_TMP_MAX_AGE) && unlinkat(dirfd(d), de->d_name, 0) == 0)
			removed++;
	}
	if (d)
		closedir(d);
	free(tmp);
	return removed;
}

/* A unique stem: time, microseconds, pid, a counter and the host name,
 * as the Maildir spec asks, with the host's '/' and ':' replaced. */
static char *unique_stem(void)
{
	static unsigned counter;
	struct timeval tv;
	gettimeofday(&tv, NULL);
	char host[256];
	host_name(host, sizeof(host));
	unsigned n = __atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED);
	return xasprintf("%lld.M%ldP%ldQ%u.%s", (long long)tv.tv_sec, (long)tv.tv_usec, (long)getpid(), n,
			 host);
}

static char *make_base(const char *stem, bool has_uid, uint32_t uid, unsigned flags)
{
	char fl[8];
	maildir_flags_format(flags, fl);
	if (has_uid)
		return xasprintf("%s,U=%u:2,%s", stem, uid, fl);
	return xasprintf("%s:2,%s", stem, fl);
}

static int deliver(const char *dir, const void *data, size_t len, uint32_t uid, bool has_uid, unsigned flags,
		   time_t mtime, char **name_out, bool sync_dir)
{
	char *stem = unique_stem();
	char *tmp = xasprintf("%s/tmp/%s", dir, stem);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT && maildir_create(dir) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		goto fail;
	if (util_write_all(fd, data, len) < 0 || fsync(fd) < 0) {
		int e = errno;
		close(fd);
		unlink(tmp);
		errno = e;
		goto fail;
	}
	if (close(fd) < 0) {
		unlink(tmp);
		goto fail;
	}
	if (mtime) {
		struct timeval tv[2] = { { mtime, 0 }, { mtime, 0 } };
		utimes(tmp, tv);
	}
	char *base = make_base(stem, has_uid, uid, flags);
	char *dst = xasprintf("%s/cur/%s", dir, base);
	int rc = rename(tmp, dst);
	free(dst);
	if (rc < 0) {
		int e = errno;
		unlink(tmp);
		free(base);
		errno = e;
		goto fail;
	}
	if (sync_dir)
		maildir_sync(dir);
	*name_out = xasprintf("cur/%s", base);
	free(base);
	free(tmp);
	free(stem);
	return 0;
fail: {
	int e = errno;
	free(tmp);
	free(stem);
	errno = e;
	return -1;
}
}

int maildir_deliver(const char *dir, const void *data, size_t len, uint32_t uid, bool has_uid,
		    unsigned flags, time_t mtime, char **name_out)
{
	return deliver(dir, data, len, uid, has_uid, flags, mtime, name_out, true);
}

int maildir_deliver_nosync(const char *dir, const void *data, size_t len, uint32_t uid, bool has_uid,
			   unsigned flags, time_t mtime, char **name_out)
{
	return deliver(dir, data, len, uid, has_uid, flags, mtime, name_out, false);
}

int maildir_sync(const char *dir)
{
	char *cur = xasprintf("%s/cur", dir);
	int rc = util_fsync_dir(cur);
	free(cur);
	return rc;
}

int maildir_stage(const char *dir, const void *data, size_t len, uint32_t uid, bool has_uid, unsigned flags,
		  time_t mtime, struct maildir_staged *out)
{
	char *stem = unique_stem();
	char *tmp = xasprintf("%s/tmp/%s", dir, stem);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 && errno == ENOENT && maildir_create(dir) == 0)
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0 || util_write_all(fd, data, len) < 0) {
		int e = errno;
		if (fd >= 0) {
			close(fd);
			unlink(tmp);
		}
		free(tmp);
		free(stem);
		errno = e;
		return -1;
	}
	if (mtime) {
		struct timespec ts[2] = { { mtime, 0 }, { mtime, 0 } };
		futimens(fd, ts);
	}
	/* Start the write-back now, so that by maildir_commit() the blocks
	 * of the whole batch are allocated in one journal transaction and
	 * the fdatasync()s there mostly find their data already on disk. */
	sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE);
	out->fd = fd;
	out->tmp = tmp;
	out->base = make_base(stem, has_uid, uid, flags);
	free(stem);
	return 0;
}

void maildir_staged_discard(struct maildir_staged *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (v[i].fd >= 0)
			close(v[i].fd);
		if (v[i].tmp)
			unlink(v[i].tmp);
		free(v[i].tmp);
		free(v[i].base);
		v[i].fd = -1;
		v[i].tmp = v[i].base = NULL;
	}
}

int maildir_commit(const char *dir, struct maildir_staged *v, size_t n, char **names)
{
	for (size_t i = 0; i < n; i++)
		names[i] = NULL;
	/* Every file's bytes durable before any of them is renamed. */
	for (size_t i = 0; i < n; i++) {
		int rc = fdatasync(v[i].fd);
		int e = errno;
		if (close(v[i].fd) < 0 && rc == 0) {
			rc = -1;
			e = errno;
		}
		v[i].fd = -1;
		if (rc < 0) {
			maildir_staged_discard(v, n);
			errno = e;
			return -1;
		}
	}
	int rc = 0, e = 0;
	for (size_t i = 0; i < n; i++) {
		char *dst = xasprintf("%s/cur/%s", dir, v[i].base);
		if (rename(v[i].tmp, dst) == 0) {
			names[i] = xasprintf("cur/%s", v[i].base);
			free(v[i].tmp);
			v[i].tmp = NULL; /* nothing left to unlink */
		} else if (!rc) {
			rc = -1;
			e = errno;
		}
		free(dst);
	}
	if (maildir_sync(dir) < 0 && !rc) {
		rc = -1;
		e = errno;
	}
	maildir_staged_discard(v, n);
	if (rc < 0) {
		/* Renamed files stay (their names carry their UIDs); the
		 * caller records none of this batch. */
		for (size_t i = 0; i < n; i++)
			xfree(&names[i]);
		errno = e;
	}
	return rc;
}

int maildir_rename(const char *dir, const char *name, bool has_uid, uint32_t uid, unsigned flags,
		   char **name_out)
{
	const char *slash = strchr(name, '/');
	const char *base = slash ? slash + 1 : name;
	/* The stem is the base name without ",U=..." and ":2,...". */
	size_t stem_len = strcspn(base, ":");
	const char *u = NULL;
	for (const char *p = base; p + 3 <= base + stem_len; p++)
		if (p[0] == ',' && p[1] == 'U' && p[2] == '=')
			u = p;
	if (u) {
		/* Keep anything after the UID field (",S=<size>" of other tools). */
		const char *after = u + 3;
		while (after < base + stem_len && isdigit((unsigned char)*after))
			after++;
		char *stem = xasprintf("%.*s%.*s", (int)(u - base), base, (int)(base + stem_len - after), after);
		char *nb = make_base(stem, has_uid, uid, flags);
		free(stem);
		*name_out = xasprintf("cur/%s", nb);
		free(nb);
	} else {
		char *stem = xstrndup(base, stem_len);
		char *nb = make_base(stem, has_uid, uid, flags);
		free(stem);
		*name_out = xasprintf("cur/%s", nb);
		free(nb);
	}
	if (strcmp(*name_out, name) == 0)
		return 0;
	char *from = xasprintf("%s/%s", dir, name);
	char *to = xasprintf("%s/%s", dir, *name_out);
	int rc = rename(from, to);
	int e = errno;
	free(from);
	free(to);
	if (rc < 0) {
		xfree(name_out);
		errno = e;
		return -1;
	}
	return 0;
}

int maildir_remove(const char *dir, const char *name)
{
	char *p = xasprintf("%s/%s", dir, name);
	int rc = unlink(p);
	if (rc < 0 && errno == ENOENT)
		rc = 0;
	int e = errno;
	free(p);
	if (rc == 0) {
		char *sub = xstrndup(name, strcspn(name, "/"));
		char *d = xasprintf("%s/%s", dir, sub);
		util_fsync_dir(d);
		free(d);
		free(sub);
	}
	errno = e;
	return rc;
}

static bool is_dir_at(const char *root, const char *rel, const char *leaf)
{
	char *p = xasprintf("%s%s%s%s%s", root, *rel ? "/" : "", rel, leaf ? "/" : "", leaf ? leaf : "");
	struct stat st;
	bool yes = stat(p, &st) == 0 && S_ISDIR(st.st_mode);
	free(p);
	return yes;
}

static void find_tree(const char *root, const char *rel, int depth, char ***out, size_t *n)
{
	if (depth > 64)
		return;
	if (is_dir_at(root, rel, "cur")) {
		*out = xreallocarray(*out, *n + 1, sizeof(**out));
		(*out)[(*n)++] = xstrdup(rel);
	}
	char *abs = *rel ? xasprintf("%s/%s", root, rel) : xstrdup(root);
	DIR *dh = opendir(abs);
	free(abs);
	if (!dh)
		return;
	struct dirent *de;
	while ((de = readdir(dh))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "cur") == 0 || strcmp(de->d_name, "new") == 0 ||
		    strcmp(de->d_name, "tmp") == 0)
			continue;
		if (de->d_type != DT_DIR && de->d_type != DT_UNKNOWN && de->d_type != DT_LNK)
			continue; /* a file: no stat needed */
		char *sub = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		if (is_dir_at(root, sub, NULL))
			find_tree(root, sub, depth + 1, out, n);
		free(sub);
	}
	closedir(dh);
}

void maildir_find_tree(const char *root, const char *rel, char ***out, size_t *n)
{
	find_tree(root, rel ? rel : "", 0, out, n);
}

int maildir_read(const char *dir, const char *name, char **data, size_t *len)
{
	char *p = xasprintf("%s/%s", dir, name);
	int fd = open(p, O_RDONLY | O_CLOEXEC);
	free(p);
	if (fd < 0)
		return -1;
	struct strbuf b;
	strbuf_init(&b);
	char buf[65536];
	for (;;) {
		ssize_t r = read(fd, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			strbuf_free(&b);
			errno = e;
			return -1;
		}
		if (r == 0)
			break;
		strbuf_add(&b, buf, (size_t)r);
	}
	close(fd);
	*len = b.len;
	*data = strbuf_detach(&b);
	return 0;
}

char *maildir_message_id(const char *data, size_t len)
{
	const char *p = data, *end = data + len;
	while (p < end) {
		const char *eol = memchr(p, '\n', (size_t)(end - p));
		if (!eol)
			eol = end;
		size_t ll = (size_t)(eol - p);
		if (ll == 0 || (ll == 1 && p[0] == '\r'))
			break; /* end of header */
		if (ll > 11 && strncasecmp(p, "Message-ID:", 11) == 0) {
			/* Unfold: the value may continue on following indented lines. */
			struct strbuf v;
			strbuf_init(&v);
			strbuf_add(&v, p + 11, ll - 11);
			const char *q = eol + 1;
			while (q < end && (*q == ' ' || *q == '\t')) {
				const char *e2 = memchr(q, '\n', (size_t)(end - q));
				if (!e2)
					e2 = end;
				strbuf_add(&v, q, (size_t)(e2 - q));
				q = e2 + 1;
			}
			char *lt = strchr(v.s, '<');
			char *gt = lt ? strchr(lt, '>') : NULL;
			char *id = NULL;
			if (lt && gt && gt > lt + 1) {
				id = xstrndup(lt + 1, (size_t)(gt - lt - 1));
			} else {
				char *s = v.s;
				while (*s && isspace((unsigned char)*s))
					s++;
				size_t n = strlen(s);
				while (n && isspace((unsigned char)s[n - 1]))
					n--;
				if (n)
					id = xstrndup(s, n);
			}
			strbuf_free(&v);
			return id;
		}
		p = eol + 1;
	}
	return NULL;
}
