/* util.c - see util.h. */
#include "util.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/random.h>
#include <sys/statvfs.h>
#include <time.h>
#include <unistd.h>

void util_oom(void)
{
	static const char msg[] = "muttlike: out of memory\n";
	ssize_t r = write(STDERR_FILENO, msg, sizeof(msg) - 1);
	(void)r;
	abort();
}

void *xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		util_oom();
	return p;
}

void *xcalloc(size_t nmemb, size_t size)
{
	void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
	if (!p)
		util_oom();
	return p;
}

void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		util_oom();
	return q;
}

void *xreallocarray(void *p, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		util_oom();
	return xrealloc(p, nmemb * size);
}

char *xstrdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		util_oom();
	return p;
}

char *xstrndup(const char *s, size_t n)
{
	char *p = strndup(s, n);
	if (!p)
		util_oom();
	return p;
}

char *xstrndup_trim(const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s)) {
		s++;
		n--;
	}
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	return xstrndup(s, n);
}

char *xvasprintf(const char *fmt, va_list ap)
{
	va_list ap2;
	va_copy(ap2, ap);
	/* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_copy initialised it */
	int n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0)
		util_oom();
	char *p = xmalloc((size_t)n + 1);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	return p;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	return p;
}

void xfree(void *pp)
{
	void **p = pp;
	if (!p)
		return;
	free(*p);
	*p = NULL;
}

void util_wipe_free(char **secret)
{
	if (!secret || !*secret)
		return;
	/* volatile so the compiler cannot drop the wipe of a dying buffer */
	volatile char *v = *secret;
	while (*v)
		*v++ = '\0';
	free(*secret);
	*secret = NULL;
}

void strbuf_init(struct strbuf *b)
{
	b->s = NULL;
	b->len = 0;
	b->cap = 0;
}

static void strbuf_grow(struct strbuf *b, size_t extra)
{
	if (extra > SIZE_MAX - b->len - 1)
		util_oom();
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	b->s = xrealloc(b->s, cap);
	b->cap = cap;
}

void strbuf_add(struct strbuf *b, const char *data, size_t n)
{
	strbuf_grow(b, n);
	if (n)
		memcpy(b->s + b->len, data, n);
	b->len += n;
	b->s[b->len] = '\0';
}

void strbuf_addc(struct strbuf *b, char c)
{
	strbuf_add(b, &c, 1);
}

void strbuf_adds(struct strbuf *b, const char *s)
{
	strbuf_add(b, s, strlen(s));
}

void strbuf_addf(struct strbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *p = xvasprintf(fmt, ap);
	va_end(ap);
	strbuf_adds(b, p);
	free(p);
}

void strbuf_reset(struct strbuf *b)
{
	b->len = 0;
	if (b->s)
		b->s[0] = '\0';
}

char *strbuf_detach(struct strbuf *b)
{
	char *s = b->s ? b->s : xstrdup("");
	strbuf_init(b);
	return s;
}

void strbuf_free(struct strbuf *b)
{
	free(b->s);
	strbuf_init(b);
}

size_t util_edit_distance(const char *a, const char *b, size_t cap)
{
	size_t la = strlen(a), lb = strlen(b);
	if ((la > lb ? la - lb : lb - la) > cap)
		return cap + 1;
	size_t *row = xcalloc(lb + 1, sizeof(*row));
	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0], best = i;
		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
			size_t v = diag + cost;
			if (row[j] + 1 < v)
				v = row[j] + 1;
			if (row[j - 1] + 1 < v)
				v = row[j - 1] + 1;
			row[j] = v;
			diag = up;
			if (v < best)
				best = v;
		}
		if (best > cap) {
			free(row);
			return cap + 1;
		}
	}
	size_t d = row[lb];
	free(row);
	return d > cap ? cap + 1 : d;
}

bool util_parse_long(const char *s, long min, long max, long *out)
{
	if (!s || !*s)
		return false;
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || *end || v < min || v > max)
		return false;
	*out = v;
	return true;
}

const char *util_home(void)
{
	const char *h = getenv("HOME");
	if (h && *h)
		return h;
	struct passwd *pw = getpwuid(getuid());
	if (pw && pw->pw_dir)
		return pw->pw_dir;
	return "/";
}

/* Append the value of the variable named at *pp (after '$'); advance *pp. */
static void expand_var(struct strbuf *b, const char **pp)
{
	const char *p = *pp;
	bool brace = *p == '{';
	if (brace)
		p++;
	const char *start = p;
	while (*p == '_' || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
	       (*p >= '0' && *p <= '9'))
		p++;
	if (p == start || (brace && *p != '}')) {
		strbuf_addc(b, '$'); /* not a variable reference: keep literally */
		return;
	}
	char *name = xstrndup(start, (size_t)(p - start));
	const char *v = getenv(name);
	free(name);
	if (v)
		strbuf_adds(b, v);
	*pp = brace ? p + 1 : p;
}

char *util_expand_path(const char *in)
{
	struct strbuf b;
	strbuf_init(&b);
	const char *p = in;
	if (p[0] == '~' && (p[1] == '/' || p[1] == '\0')) {
		strbuf_adds(&b, util_home());
		p++;
	}
	while (*p) {
		if (*p == '$') {
			p++;
			expand_var(&b, &p);
			continue;
		}
		strbuf_addc(&b, *p++);
	}
	return strbuf_detach(&b);
}

int util_mkdirs(const char *path, unsigned mode)
{
	char *p = xstrdup(path);
	for (char *s = p + 1; *s; s++) {
		if (*s != '/')
			continue;
		*s = '\0';
		if (mkdir(p, (mode_t)mode) < 0 && errno != EEXIST) {
			int e = errno;
			free(p);
			errno = e;
			return -1;
		}
		*s = '/';
	}
	int r = mkdir(p, (mode_t)mode);
	int e = errno;
	free(p);
	if (r < 0 && e != EEXIST) {
		errno = e;
		return -1;
	}
	return 0;
}

char *xstrdup_null(const char *s)
{
	return s ? xstrdup(s) : NULL;
}

long long util_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void util_unlink_files(const char *dir, bool hidden)
{
	DIR *dh = opendir(dir);
	for (struct dirent *de; dh && (de = readdir(dh));) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0 || (!hidden && de->d_name[0] == '.'))
			continue;
		char *p = xasprintf("%s/%s", dir, de->d_name);
		unlink(p);
		free(p);
	}
	if (dh)
		closedir(dh);
}

int util_fsync_dir(const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	int rc = fsync(fd);
	int e = errno;
	close(fd);
	errno = e;
	return rc;
}

static int fsync_dir_of(const char *path)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (slash == dir)
		slash[1] = '\0';
	else if (slash)
		*slash = '\0';
	else
		strcpy(dir, ".");
	int r = util_fsync_dir(dir);
	free(dir);
	return r;
}

int util_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -1;
		if (w == 0) {
			errno = EIO; /* no progress: not retried forever */
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

char *util_read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct strbuf b;
	strbuf_init(&b);
	char buf[8192];
	size_t k;
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
		strbuf_add(&b, buf, k);
	int e = ferror(f) ? EIO : 0;
	fclose(f);
	if (e) {
		strbuf_free(&b);
		errno = e;
		return NULL;
	}
	*len = b.len;
	return b.s ? strbuf_detach(&b) : xstrdup("");
}

int util_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode)
{
	char *tmp = xasprintf("%s.tmp.%ld", path, (long)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
	if (fd < 0)
		goto fail;
	if (util_write_all(fd, data, len) < 0 || fsync(fd) < 0)
		goto fail_fd;
	if (close(fd) < 0)
		goto fail_unlink;
	if (rename(tmp, path) < 0)
		goto fail_unlink;
	free(tmp);
	return fsync_dir_of(path);
fail_fd: {
	int e = errno;
	close(fd);
	errno = e;
}
fail_unlink: {
	int e = errno;
	unlink(tmp);
	errno = e;
}
fail:
	free(tmp);
	return -1;
}

bool util_disk_low(const char *path)
{
	struct statvfs v;
	if (statvfs(path, &v) != 0)
		return false;
	return (unsigned long long)v.f_bavail * v.f_frsize < UTIL_DISK_LOW_BYTES;
}

void util_random_hex(char *out, size_t nbytes)
{
	unsigned char r[32];
	if (nbytes > sizeof(r))
		nbytes = sizeof(r);
	if (getrandom(r, nbytes, 0) != (ssize_t)nbytes) {
		/* no entropy source: still unique enough with time and pid */
		for (size_t i = 0; i < nbytes; i++)
			r[i] = (unsigned char)((unsigned)getpid() * 31u + (unsigned)time(NULL) + i * 7u);
	}
	static const char hx[] = "0123456789abcdef";
	for (size_t i = 0; i < nbytes; i++) {
		out[2 * i] = hx[r[i] >> 4];
		out[2 * i + 1] = hx[r[i] & 15];
	}
	out[2 * nbytes] = '\0';
}

int util_list_index(const char *list, const char *word)
{
	size_t wl = strlen(word);
	int idx = 0;
	for (const char *p = list; *p; idx++) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);
		if (len == wl && strncmp(p, word, len) == 0)
			return idx;
		if (!bar)
			break;
		p = bar + 1;
	}
	return -1;
}

char *util_list_pretty(const char *list)
{
	struct strbuf b;
	strbuf_init(&b);
	const char *last = strrchr(list, '|');
	for (const char *p = list; *p; p++) {
		if (*p != '|')
			strbuf_addc(&b, *p);
		else
			strbuf_adds(&b, p == last ? " or " : ", ");
	}
	return strbuf_detach(&b);
}
