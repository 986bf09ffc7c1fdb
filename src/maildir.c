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

/* s[0, len) as a number: digits only, at most max. */
static bool parse_num(const char *s, size_t len, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned d = (unsigned)(s[i] - '0');
		if (!isdigit((unsigned char)s[i]) || v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return len > 0;
}

/* One field of a stem, f[0, len) after its ','. */
static void name_field(struct maildir_name *n, const char *f, size_t len)
{
	uint64_t v = 0;
	if (len < 2 || f[1] != '=')
		return;
	bool ok = parse_num(f + 2, len - 2, f[0] == 'S' ? UINT64_MAX : UINT32_MAX, &v);
	if (f[0] == 'U') {
		n->has_uid = ok;
		n->uid = ok ? (uint32_t)v : 0;
	} else if (f[0] == 'S') {
		n->has_size = ok;
		n->size = ok ? v : 0;
	} else if (f[0] == 'A') {
		n->append = ok ? (uint32_t)v : 0;
	}
}

/* The end of the field of n's stem that starts (at its ',') at i. */
static size_t field_end(const struct maildir_name *n, size_t i)
{
	size_t j = i + 1;
	while (j < n->stem_len && n->base[j] != ',')
		j++;
	return j;
}

bool maildir_name_parse(const char *name, struct maildir_name *out)
{
	memset(out, 0, sizeof(*out));
	const char *slash = strrchr(name, '/');
	const char *b = slash ? slash + 1 : name;
	const char *info = strstr(b, ":2,");
	out->base = b;
	out->stem_len = info ? (size_t)(info - b) : strcspn(b, ":");
	out->unique_len = strcspn(b, ",:");
	if (out->unique_len > out->stem_len)
		out->unique_len = out->stem_len;
	for (size_t i = out->unique_len; i < out->stem_len;) {
		size_t j = field_end(out, i);
		name_field(out, b + i + 1, j - i - 1);
		i = j;
	}
	if (info) {
		out->info = info + 3;
		out->flags = maildir_flags_parse(info + 3);
	}
	return *b && !strchr(".,:", *b);
}

char *maildir_name_stem(const struct maildir_name *n)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_add(&b, n->base, n->unique_len);
	for (size_t i = n->unique_len; i < n->stem_len;) {
		size_t j = field_end(n, i);
		if (!(j - i >= 3 && strncmp(n->base + i, ",U=", 3) == 0))
			strbuf_add(&b, n->base + i, j - i);
		i = j;
	}
	return strbuf_detach(&b);
}

char *maildir_name_format(const char *stem, bool has_uid, uint32_t uid, unsigned flags)
{
	char fl[8];
	maildir_flags_format(flags, fl);
	if (has_uid)
		return xasprintf("%s,U=%u:2,%s", stem, uid, fl);
	return xasprintf("%s:2,%s", stem, fl);
}

bool maildir_is_index_copy_name(const char *base)
{
	struct maildir_name n;
	maildir_name_parse(base, &n);
	return n.info && n.has_uid;
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
		struct maildir_name mn;
		maildir_name_parse(de->d_name, &mn);
		e->has_uid = mn.has_uid;
		e->uid = mn.uid;
		e->flags = mn.flags;
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
	char *base = maildir_name_format(stem, has_uid, uid, flags);
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
	out->base = maildir_name_format(stem, has_uid, uid, flags);
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
	struct maildir_name n;
	maildir_name_parse(name, &n);
	/* other tools' fields (",S=<size>") stay */
	char *stem = maildir_name_stem(&n);
	char *nb = maildir_name_format(stem, has_uid, uid, flags);
	*name_out = xasprintf("cur/%s", nb);
	free(nb);
	free(stem);
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

char *maildir_lf(const char *data, size_t len, size_t *outlen)
{
	char *out = xmalloc(len + 1);
	size_t k = 0;
	for (size_t i = 0; i < len; i++)
		if (data[i] != '\r' || i + 1 >= len || data[i + 1] != '\n')
			out[k++] = data[i];
	out[k] = '\0';
	*outlen = k;
	return out;
}

uint64_t maildir_crlf_size(const char *data, size_t len)
{
	uint64_t n = len;
	for (size_t i = 0; i < len; i++)
		if (data[i] == '\n' && (i == 0 || data[i - 1] != '\r'))
			n++;
	return n;
}
