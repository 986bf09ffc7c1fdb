/* rcwrite.c - see rcwrite.h.
 *
 * The rc language (conf.c) reads "..." with \n \t \r \e as escapes and \X
 * as X; everything else inside the quotes is literal, including '#', '='
 * and ';'.  So escaping \ and " and the line breaks is enough for any
 * value; the parse-back check in rcwrite_append_account is the second line
 * of defence, not the first.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "conf.h"
#include "rcwrite.h"
#include "util.h"

enum { MAX_RC = 4 * 1024 * 1024 };

char *rcwrite_quote(const char *value)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addc(&b, '"');
	for (const unsigned char *p = (const unsigned char *)value; *p; p++) {
		switch (*p) {
		case '\\': strbuf_adds(&b, "\\\\"); break;
		case '"': strbuf_adds(&b, "\\\""); break;
		case '\n': strbuf_adds(&b, "\\n"); break;
		case '\t': strbuf_adds(&b, "\\t"); break;
		case '\r': strbuf_adds(&b, "\\r"); break;
		case 0x1b: strbuf_adds(&b, "\\e"); break;
		default:
			if (*p < 0x20 || *p == 0x7f) {
				strbuf_free(&b);
				return NULL;
			}
			strbuf_addc(&b, (char)*p);
		}
	}
	strbuf_addc(&b, '"');
	return strbuf_detach(&b);
}

char *rcwrite_shell_quote(const char *s)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addc(&b, '\'');
	for (const char *p = s; *p; p++) {
		if (*p == '\'')
			strbuf_adds(&b, "'\\''");
		else
			strbuf_addc(&b, *p);
	}
	strbuf_addc(&b, '\'');
	return strbuf_detach(&b);
}

static bool name_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') || ch == '-' ||
	       ch == '_' || ch == '.';
}

static bool account_ok(const char *s)
{
	if (!*s || strlen(s) > 64 || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (const char *p = s; *p; p++)
		if (!name_char(*p))
			return false;
	return true;
}

char *rcwrite_block(const char *account, const struct rc_setting *set, size_t n, const char *comment,
		    char **err)
{
	*err = NULL;
	if (!account_ok(account)) {
		*err = xasprintf("account name '%s' may use only letters, digits, '-', '_' and '.'", account);
		return NULL;
	}
	struct strbuf b;
	strbuf_init(&b);
	if (comment) {
		for (const char *p = comment; *p; p++) /* one comment line, whatever it holds */
			if (*p == '\n' || *p == '\r')
				comment = "";
		strbuf_addf(&b, "# %s\n", comment);
	}
	strbuf_addf(&b, "account %s\n", account);
	for (size_t i = 0; i < n; i++) {
		const struct opt_def *o = conf_option(set[i].name);
		if (!o || o->scope != OPT_ACCOUNT) {
			*err = xasprintf("'%s' is not an account option", set[i].name);
			strbuf_free(&b);
			return NULL;
		}
		char *q = rcwrite_quote(set[i].value);
		if (!q) {
			*err = xasprintf("the value of %s holds a control character", set[i].name);
			strbuf_free(&b);
			return NULL;
		}
		strbuf_addf(&b, "set %s = %s\n", o->name, q);
		free(q);
	}
	return strbuf_detach(&b);
}

/* The whole file, or "" when it does not exist.  NULL with *err otherwise. */
static char *read_rc(const char *path, struct stat *st, bool *exists, char **err)
{
	*exists = false;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return xstrdup("");
		*err = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	struct strbuf b;
	strbuf_init(&b);
	char buf[8192];
	ssize_t r;
	while ((r = read(fd, buf, sizeof(buf))) > 0 && b.len <= MAX_RC)
		strbuf_add(&b, buf, (size_t)r);
	bool bad = r < 0 || fstat(fd, st) < 0 || b.len > MAX_RC || memchr(b.s ? b.s : "", '\0', b.len);
	int e = errno;
	close(fd);
	if (bad) {
		*err = xasprintf("%s: %s", path, r < 0 ? strerror(e) : "not a text file muttlike can extend");
		strbuf_free(&b);
		return NULL;
	}
	*exists = true;
	return b.s ? strbuf_detach(&b) : (strbuf_free(&b), xstrdup(""));
}

/* Parse the new text and check that it says exactly what we meant and
 * breaks nothing that parsed before. */
static bool verify(const char *path, const char *old, const char *new_text, const char *account,
		   const struct rc_setting *set, size_t n, char **err)
{
	conf_t *a = conf_new(), *b = conf_new();
	conf_load_string(a, path, old);
	conf_load_string(b, path, new_text);
	if (conf_account_find(a, account) >= 0) {
		*err = xasprintf("%s already has an account named '%s'; choose another name", path, account);
		conf_free(&a);
		conf_free(&b);
		return false;
	}
	long idx = conf_account_find(b, account);
	bool ok = idx >= 0 && conf_error_count(a) == conf_error_count(b) &&
		  conf_account_count(b) == conf_account_count(a) + 1;
	for (size_t i = 0; ok && i < n; i++) {
		const struct opt_def *o = conf_option(set[i].name);
		const char *got = conf_str(b, idx, (enum opt_id)(o - conf_options()));
		ok = got && strcmp(got, set[i].value) == 0;
	}
	if (!ok)
		*err = xasprintf("%s: the new account block did not read back as written; nothing was changed",
				 path);
	conf_free(&a);
	conf_free(&b);
	return ok;
}

/* path.bak, or path.bak.2 ... if taken. */
static int write_backup(const char *path, const char *text, unsigned mode, char **backup, char **err)
{
	char *b = xasprintf("%s.bak", path);
	for (int i = 2; access(b, F_OK) == 0 && i < 1000; i++) {
		free(b);
		b = xasprintf("%s.bak.%d", path, i);
	}
	if (util_write_file_atomic(b, text, strlen(text), mode) < 0) {
		*err = xasprintf("cannot write the backup %s: %s", b, strerror(errno));
		free(b);
		return -1;
	}
	*backup = b;
	return 0;
}

/* Follow a symlinked rc to the file it names, so the link survives. */
static char *real_target(const char *path)
{
	char buf[PATH_MAX];
	return realpath(path, buf) ? xstrdup(buf) : xstrdup(path);
}

static int ensure_dir(const char *path, char **err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		if (util_mkdirs(dir, 0700) < 0) {
			*err = xasprintf("cannot create %s: %s", dir, strerror(errno));
			rc = -1;
		}
	}
	free(dir);
	return rc;
}

static char *new_text(const char *old, const char *block)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, old);
	if (b.len && b.s[b.len - 1] != '\n')
		strbuf_addc(&b, '\n');
	/* a blank line ends any backslash continuation the old text left open */
	if (b.len)
		strbuf_addc(&b, '\n');
	strbuf_adds(&b, block);
	return strbuf_detach(&b);
}

int rcwrite_append_account(const char *path, const char *account, const struct rc_setting *set, size_t n,
			   char **backup, char **err)
{
	*backup = NULL;
	*err = NULL;
	char *target = real_target(path);
	struct stat st;
	bool exists;
	char *old = read_rc(target, &st, &exists, err);
	char *text = NULL, *block = NULL;
	int rc = -1;
	if (!old)
		goto out;
	char stamp[64];
	time_t now = time(NULL);
	strftime(stamp, sizeof(stamp), "added by muttlike setup on %Y-%m-%d %H:%M", localtime(&now));
	block = rcwrite_block(account, set, n, stamp, err);
	if (!block)
		goto out;
	text = new_text(old, block);
	if (!verify(target, old, text, account, set, n, err))
		goto out;
	unsigned mode = exists ? (unsigned)(st.st_mode & 07777) : 0600;
	if (exists ? write_backup(target, old, mode, backup, err) < 0 : ensure_dir(target, err) < 0)
		goto out;
	if (util_write_file_atomic(target, text, strlen(text), mode) < 0) {
		*err = xasprintf("cannot write %s: %s", target, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	free(target);
	free(old);
	free(block);
	free(text);
	return rc;
}

int rcwrite_secret_file(const char *path, const char *secret, char **err)
{
	*err = NULL;
	if (ensure_dir(path, err) < 0)
		return -1;
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		*err = xasprintf("cannot create %s: %s", path, strerror(errno));
		return -1;
	}
	size_t len = strlen(secret);
	bool ok = write(fd, secret, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	int e = errno;
	if (close(fd) < 0 || !ok) {
		*err = xasprintf("cannot write %s: %s", path, strerror(ok ? errno : e));
		unlink(path);
		return -1;
	}
	return 0;
}

char *rcwrite_free_account_name(const char *path, const char *base)
{
	struct strbuf b;
	strbuf_init(&b);
	for (const char *p = base; *p && b.len < 56; p++)
		strbuf_addc(&b, name_char(*p) ? *p : '-');
	if (!b.len || strcmp(b.s, ".") == 0 || strcmp(b.s, "..") == 0)
		strbuf_adds(&b, "mail");
	conf_t *c = conf_new();
	if (path && access(path, R_OK) == 0)
		conf_load_file(c, path);
	char *name = xstrdup(b.s);
	for (int i = 2; conf_account_find(c, name) >= 0; i++) {
		free(name);
		name = xasprintf("%s-%d", b.s, i);
	}
	conf_free(&c);
	strbuf_free(&b);
	return name;
}
