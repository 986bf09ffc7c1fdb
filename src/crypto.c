/* crypto.c - the GPGME context, data buffers and passphrases shared by
 * crypto_read.c (verify, decrypt) and crypto_write.c (sign, encrypt). */
#include <locale.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "crypto_private.h"
#include "log.h"
#include "text.h"
#include "util.h"

static pthread_once_t init_once = PTHREAD_ONCE_INIT;
static const char *gpgme_version;

static void init_gpgme(void)
{
	gpgme_version = gpgme_check_version(NULL);
	gpgme_set_locale(NULL, LC_CTYPE, setlocale(LC_CTYPE, NULL));
}

crypto_t *crypto_new(const struct crypto_opts *opts, char **err)
{
	*err = NULL;
	pthread_once(&init_once, init_gpgme);
	gpgme_error_t e = gpgme_version ? gpgme_engine_check_version(GPGME_PROTOCOL_OpenPGP)
					: gpg_error(GPG_ERR_NOT_SUPPORTED);
	if (e) {
		*err = crypto_err("GnuPG (gpg) is not usable; install gnupg", e);
		return NULL;
	}
	crypto_t *c = xcalloc(1, sizeof(*c));
	c->home = xstrdup_null(opts ? opts->gnupg_home : NULL);
	c->passphrase = opts ? opts->passphrase : NULL;
	c->passphrase_ud = opts ? opts->passphrase_ud : NULL;
	c->timeout_ms = opts && opts->timeout_ms > 0 ? opts->timeout_ms : CRYPTO_TIMEOUT_MS;
	log_debug("crypto: GPGME %s", gpgme_version);
	return c;
}

void crypto_free(crypto_t **c)
{
	if (!*c)
		return;
	free((*c)->home);
	xfree(c);
}

/* GPGME's passphrase callback: ask the UI, write the answer to gpg-agent's
 * loopback fd, wipe it. */
static gpgme_error_t passphrase_cb(void *hook, const char *uid_hint, const char *info, int prev_bad, int fd)
{
	(void)info;
	crypto_t *c = hook;
	char *hint = crypto_clean(uid_hint ? uid_hint : "");
	crypto_watch_pause(c, true);
	char *pw = c->passphrase(c->passphrase_ud, hint, prev_bad != 0);
	crypto_watch_pause(c, false);
	free(hint);
	if (!pw)
		return gpg_error(GPG_ERR_CANCELED);
	int bad = gpgme_io_writen(fd, pw, strlen(pw)) != 0 || gpgme_io_writen(fd, "\n", 1) != 0;
	util_wipe_free(&pw);
	return bad ? gpg_error(GPG_ERR_CANCELED) : 0;
}

gpgme_ctx_t crypto_ctx(crypto_t *c, enum crypto_proto proto, char **err)
{
	gpgme_protocol_t p = proto == CRYPTO_SMIME ? GPGME_PROTOCOL_CMS : GPGME_PROTOCOL_OpenPGP;
	gpgme_ctx_t ctx = NULL;
	gpgme_error_t e = gpgme_engine_check_version(p);
	if (!e)
		e = gpgme_new(&ctx);
	if (!e)
		e = gpgme_set_protocol(ctx, p);
	if (!e && c->home)
		e = gpgme_ctx_set_engine_info(ctx, p, NULL, c->home);
	if (!e && c->passphrase) {
		e = gpgme_set_pinentry_mode(ctx, GPGME_PINENTRY_MODE_LOOPBACK);
		gpgme_set_passphrase_cb(ctx, passphrase_cb, c);
	}
	if (e) {
		*err = crypto_err(proto == CRYPTO_SMIME ? "gpgsm" : "gpg", e);
		gpgme_release(ctx);
		return NULL;
	}
	gpgme_set_offline(ctx, 1); /* no CRL/OCSP or keyserver fetches while reading mail */
	return ctx;
}

gpgme_data_t crypto_data_in(const char *s, size_t n)
{
	gpgme_data_t d = NULL;
	if (gpgme_data_new_from_mem(&d, s, n, 0))
		util_oom();
	return d;
}

gpgme_data_t crypto_data_out(void)
{
	gpgme_data_t d = NULL;
	if (gpgme_data_new(&d))
		util_oom();
	return d;
}

char *crypto_data_take(gpgme_data_t d, size_t *len)
{
	size_t n = 0;
	char *m = gpgme_data_release_and_get_mem(d, &n);
	char *out = xmalloc(n + 1);
	if (n)
		memcpy(out, m, n);
	out[n] = '\0';
	if (m) {
		explicit_bzero(m, n);
		gpgme_free(m);
	}
	*len = n;
	return out;
}

char *crypto_err(const char *what, gpgme_error_t e)
{
	return xasprintf("%s: %s", what, gpgme_strerror(e));
}

void crypto_wipe(char **p, size_t n)
{
	if (*p)
		explicit_bzero(*p, n);
	xfree(p);
}

char *crypto_clean(const char *s)
{
	return s ? text_sanitize(s, strlen(s), false) : NULL;
}

/* Is email (as GPGME gives it: X.509 ones in angle brackets) address? */
static bool email_is(const char *email, const char *address)
{
	size_t n = strlen(email), al = strlen(address);
	if (n >= 2 && email[0] == '<' && email[n - 1] == '>')
		return n - 2 == al && strncasecmp(email + 1, address, al) == 0;
	return strcasecmp(email, address) == 0;
}

gpgme_user_id_t crypto_uid_for(gpgme_key_t key, const char *address, bool any)
{
	for (gpgme_user_id_t u = key ? key->uids : NULL; u && address && *address; u = u->next)
		if (u->email && (any || (!u->revoked && !u->invalid)) && email_is(u->email, address))
			return u;
	return NULL;
}

gpgme_key_t crypto_key_get(gpgme_ctx_t ctx, const char *key, bool secret)
{
	gpgme_key_t k = NULL;
	if (!key || !*key)
		return NULL;
	if (strspn(key, "0123456789abcdefABCDEF") == strlen(key) && !gpgme_get_key(ctx, key, &k, secret))
		return k; /* a fingerprint or key id (gpgme_get_key matches anything else as a substring) */
	/* an address matches exactly ("<a@b>"), not as a substring (malice@b) */
	char *pattern = strchr(key, '@') && !strchr(key, '<') ? xasprintf("<%s>", key) : xstrdup(key);
	gpgme_keylist_mode_t mode = gpgme_get_keylist_mode(ctx);
	gpgme_set_keylist_mode(ctx, mode | GPGME_KEYLIST_MODE_VALIDATE);
	if (!gpgme_op_keylist_start(ctx, pattern, secret) && gpgme_op_keylist_next(ctx, &k))
		k = NULL;
	gpgme_op_keylist_end(ctx);
	gpgme_set_keylist_mode(ctx, mode);
	free(pattern);
	return k;
}
