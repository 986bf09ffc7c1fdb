/* crypto_private.h - what the crypto_*.c files share; other modules use
 * crypto.h. */
#ifndef MUTTLIKE_CRYPTO_PRIVATE_H
#define MUTTLIKE_CRYPTO_PRIVATE_H

#include <gpgme.h>

#include "crypto.h"

struct crypto_watch;

struct crypto {
	char *home; /* owned or NULL */
	crypto_passphrase_fn passphrase;
	void *passphrase_ud;
	long timeout_ms;
	struct crypto_watch *watch; /* owned: the operation running, or NULL */
};

/* A new GPGME context for proto (home dir, loopback pinentry when the UI
 * answers passphrases), or NULL and *err. */
gpgme_ctx_t crypto_ctx(crypto_t *c, enum crypto_proto proto, char **err);
/* A data object reading s[0..n) (not copied: s must outlive it). */
gpgme_data_t crypto_data_in(const char *s, size_t n);
gpgme_data_t crypto_data_out(void);
/* Release d and return its bytes as a new NUL-terminated buffer (GPGME's
 * copy is wiped). */
char *crypto_data_take(gpgme_data_t d, size_t *len);
/* "what: GnuPG's error text", one line.  New string. */
char *crypto_err(const char *what, gpgme_error_t e);
/* Wipe and free n bytes at *p. */
void crypto_wipe(char **p, size_t n);
/* text_sanitize of a NULL-able string; NULL stays NULL. */
char *crypto_clean(const char *s);
/* The user id of key with address (case-insensitive), or NULL; a revoked
 * or invalid one only when any. */
gpgme_user_id_t crypto_uid_for(gpgme_key_t key, const char *address, bool any);
/* The key with this fingerprint, or the first with this exact address (or
 * other GnuPG pattern), secret or public; NULL. */
gpgme_key_t crypto_key_get(gpgme_ctx_t ctx, const char *key, bool secret);
/* Why key (and the user id that matched, or NULL) cannot be used to
 * encrypt to or sign with, or NULL when it can. */
const char *crypto_key_unusable(gpgme_key_t key, gpgme_user_id_t uid, bool encrypt);

/* Bound the GPGME operation about to run on ctx by c's timeout; stop
 * returns true when it was cancelled for taking too long. */
void crypto_watch_start(crypto_t *c, gpgme_ctx_t ctx);
bool crypto_watch_stop(crypto_t *c);
/* The UI's passphrase prompt runs (paused) or returned (the clock restarts). */
void crypto_watch_pause(crypto_t *c, bool paused);

#endif
