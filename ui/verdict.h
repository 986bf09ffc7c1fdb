/* verdict.h - what GnuPG says about a message, for the pager: the
 * signature and decryption results (src/crypto.h) drawn on rows of their
 * own above the body, and the render hook that shows what was verified or
 * decrypted in place of the parts, with lines of ours around the parts no
 * signature covers.
 *
 * A leaf: it draws and asks for a passphrase (prompt.h), nothing more. */
#ifndef MUTTLIKE_UI_VERDICT_H
#define MUTTLIKE_UI_VERDICT_H

#include "crypto.h"
#include "mime.h"
#include "uistate.h"

struct verdict;

/* Verify and decrypt the signed and encrypted parts of m (blocks while
 * GnuPG works; a passphrase comes through gpg-agent's pinentry, the
 * screen left meanwhile, or with crypt_pinentry_loopback through our own
 * masked prompt).  NULL when m has nothing signed or encrypted.  m must
 * outlive the verdict. */
struct verdict *verdict_new(struct ui *u, const mime_msg_t *m);
void verdict_free(struct verdict **v);
/* Loopback passphrases (crypt_pinentry_loopback): the caller's, living as
 * long as the crypto_t. */
struct verdict_ask {
	struct ui *u;
	bool asked;   /* the prompt was shown */
	bool was_bad; /* set by the caller before retrying: say the last answer was wrong */
};
/* A GnuPG context that asks for passphrases the way the user chose; NULL
 * with "what: why" on the message line. */
crypto_t *verdict_crypto(struct ui *u, const char *what, struct verdict_ask *ask);
/* Leave the screen to gpg-agent's pinentry while GnuPG may ask (may_ask,
 * and crypt_pinentry_loopback off); true when it was left.  Then
 * verdict_screen_back with that answer. */
bool verdict_screen_leave(struct ui *u, bool may_ask);
void verdict_screen_back(bool left);
/* crypto_process on m with the user's way of asking for passphrases
 * (loopback: asked again after a wrong answer); secret: m has encrypted
 * parts (the screen may be left to pinentry).  NULL with "what: why" on
 * the message line when GnuPG cannot be used. */
struct crypto_report *verdict_process(struct ui *u, const mime_msg_t *m, bool secret, const char *what);
/* Rows the verdict takes above the body (0 for NULL). */
int verdict_rows(const struct verdict *v);
/* Draw them from row y on, in at most max rows. */
void verdict_draw(struct ui *u, const struct verdict *v, int y, int max);
/* The index's V mark: every signature of msgid's message was good, by a
 * valid key of its From: address, when the pager opened it in this run
 * (kept in memory only; the index never calls GnuPG). */
void verdict_remember(struct ui *u, const struct verdict *v, const char *msgid);
bool verdict_seen(const struct ui *u, const char *msgid);
void verdict_forget(struct ui *u);
/* Hook v into the rendering of its message (nothing for NULL). */
void verdict_render_opts(struct verdict *v, struct mime_render_opts *o);
/* autocrypt (of the account file lies in): the message file's Autocrypt:
 * header into the account's peer table and keyring (autocrypt.h); a
 * table that cannot be written is said on the message line. */
void verdict_autocrypt(struct ui *u, const char *file);

#endif
