/* oauth2_store.c - where the refresh token lives, and the lock around it.
 *
 * A command pair the user gives (oauth_store_cmd gets the token on stdin,
 * oauth_lookup_cmd prints it; secret.c runs them), else a 0600 file
 * data_dir/oauth2/ACCOUNT.token written atomically, with a warning: a
 * keyring is better.  The lock is flock(2) on data_dir/oauth2/ACCOUNT.lock,
 * held from reading the token to saving its successor (waited for up to
 * three request timeouts); flock locks belong
 * to an open file, so two contexts in one process exclude each other too. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "oauth2_private.h"
#include "secret.h"
#include "util.h"

const char *oauth2_store_file(const oauth2_t *ctx)
{
	return ctx->token_file;
}

static enum oauth2_status no_token(const oauth2_t *ctx, const char *why, char **err)
{
	*err = xasprintf("account %s: no OAuth2 refresh token (%s); run: muttlike setup --reauth %s", ctx->account,
			 why, ctx->account);
	return OAUTH2_ERR_REAUTH;
}

/* The first line of the token file, or OAUTH2_ERR_REAUTH when there is none. */
static enum oauth2_status file_load(oauth2_t *ctx, char **rt, char **err)
{
	int fd = open(ctx->token_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0 && errno == ENOENT)
		return no_token(ctx, "none stored yet", err);
	if (fd < 0) {
		*err = xasprintf("%s: %s", ctx->token_file, strerror(errno));
		return OAUTH2_ERR_STORE;
	}
	struct stat sb;
	if (fstat(fd, &sb) == 0 && (sb.st_mode & 077))
		log_warn("%s is readable by others; chmod 600 it", ctx->token_file);
	char *buf = xcalloc(1, SECRET_MAX + 1);
	size_t len = 0;
	ssize_t n;
	while (len < SECRET_MAX && ((n = read(fd, buf + len, SECRET_MAX - len)) > 0 || (n < 0 && errno == EINTR)))
		len += n > 0 ? (size_t)n : 0;
	close(fd);
	buf[strcspn(buf, "\r\n")] = '\0';
	enum oauth2_status st = OAUTH2_OK;
	*rt = NULL;
	if (*buf)
		*rt = xstrdup(buf);
	else
		st = no_token(ctx, "the token file is empty", err);
	explicit_bzero(buf, SECRET_MAX + 1);
	free(buf);
	return st;
}

enum oauth2_status oauth2_store_load(oauth2_t *ctx, char **rt, char **err)
{
	*rt = NULL;
	*err = NULL;
	if (ctx->token_file)
		return file_load(ctx, rt, err);
	char *why = NULL;
	if (secret_run("oauth_lookup_cmd", ctx->lookup_cmd, rt, &why) == SECRET_OK)
		return OAUTH2_OK;
	enum oauth2_status st = no_token(ctx, why, err);
	free(why);
	return st;
}

enum oauth2_status oauth2_store_save(oauth2_t *ctx, const char *rt, char **err)
{
	*err = NULL;
	if (!ctx->token_file) {
		if (secret_feed("oauth_store_cmd", ctx->store_cmd, rt, err) == SECRET_OK)
			return OAUTH2_OK;
		char *e = *err;
		*err = xasprintf("account %s: cannot store the OAuth2 refresh token: %s", ctx->account, e);
		free(e);
		return OAUTH2_ERR_STORE;
	}
	if (!ctx->warned_file) {
		log_warn("account %s: OAuth2 refresh token kept in %s (mode 0600); set oauth_store_cmd and "
			 "oauth_lookup_cmd to keep it in a keyring",
			 ctx->account, ctx->token_file);
		ctx->warned_file = true;
	}
	char *line = xasprintf("%s\n", rt);
	int r = util_write_file_atomic(ctx->token_file, line, strlen(line), 0600);
	int e = errno;
	util_wipe_free(&line);
	if (r == 0)
		return OAUTH2_OK;
	*err = xasprintf("%s: cannot write the OAuth2 refresh token: %s", ctx->token_file, strerror(e));
	return OAUTH2_ERR_STORE;
}

/* Wait for the lock, up to three request timeouts (the holder runs a
 * lookup, one request and a store): a holder that was stopped (^Z) or hangs
 * must not block a sync forever. */
static bool wait_lock(int fd, long wait_ms)
{
	long long end = util_now_ms() + wait_ms;
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return true;
		if ((errno != EWOULDBLOCK && errno != EINTR) || util_now_ms() >= end)
			return false;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

enum oauth2_status oauth2_lock(oauth2_t *ctx, char **err)
{
	*err = NULL;
	if (ctx->lock_fd >= 0)
		return OAUTH2_OK;
	int fd = open(ctx->lock_file, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*err = xasprintf("%s: %s", ctx->lock_file, strerror(errno));
		return OAUTH2_ERR_STORE;
	}
	if (!wait_lock(fd, 3 * ctx->timeout_ms)) {
		*err = errno == EWOULDBLOCK ? xasprintf("%s: another muttlike has held the OAuth2 lock for %ld s; try again",
							ctx->lock_file, 3 * ctx->timeout_ms / 1000)
					    : xasprintf("%s: cannot lock: %s", ctx->lock_file, strerror(errno));
		close(fd);
		return OAUTH2_ERR_STORE;
	}
	ctx->lock_fd = fd;
	return OAUTH2_OK;
}

void oauth2_unlock(oauth2_t *ctx)
{
	if (ctx->lock_fd < 0)
		return;
	close(ctx->lock_fd); /* drops the flock */
	ctx->lock_fd = -1;
}
