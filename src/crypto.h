/* crypto.h - OpenPGP and S/MIME for reading and writing mail, through GPGME.
 *
 * Every cryptographic operation is GnuPG's (gpg, gpgsm, gpg-agent) reached
 * through GPGME; this module only finds the parts to hand over, maps the
 * answers to a structured result and builds the MIME around what GPGME
 * produces.  It never runs gpg itself and never writes plaintext to disk.
 *
 * Reading: crypto_process() walks a parsed message and returns one
 * struct crypto_result per signed or encrypted part.  The UI draws these
 * on its own status line; nothing is merged into the body text, so a
 * message cannot imitate a verdict.  See doc/crypto.md for the hostile
 * cases ("Johnny, You Are Fired!", EFAIL) and what each yields.
 *
 * Writing: crypto_sign/crypto_encrypt build the MIME entity that replaces
 * a message's body (PGP/MIME, RFC 3156; S/MIME, RFC 8551).
 *
 * A crypto_t may be used from one thread at a time; several crypto_t may
 * live in different threads.  Strings in results are UTF-8 and went
 * through text_sanitize() (they come from keys and messages: untrusted).
 */
#ifndef MUTTLIKE_CRYPTO_H
#define MUTTLIKE_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>

#include "mime.h"

/* Bigger signed, encrypted or key material is refused before GPGME sees
 * it: bounded time and memory for hostile input (huge key packets, a
 * message encrypted to thousands of keys). */
#define CRYPTO_MAX_INPUT ((size_t)32 * 1024 * 1024)
/* Nesting of decrypted/verified content and forwarded messages we follow. */
#define CRYPTO_MAX_DEPTH 8
/* Signed/encrypted parts reported per message (the rest is not processed). */
#define CRYPTO_MAX_RESULTS 64
/* Inline PGP blocks looked at per text part. */
#define CRYPTO_MAX_INLINE 16
/* Time GnuPG may work on one operation before it is cancelled (the UI's
 * passphrase prompt not counted). */
#define CRYPTO_TIMEOUT_MS 60000
/* The outer Subject of a message with protected headers. */
#define CRYPTO_HIDDEN_SUBJECT "..."

typedef struct crypto crypto_t;

enum crypto_proto { CRYPTO_OPENPGP, CRYPTO_SMIME };

/* The UI's masked prompt for loopback pinentry.  uid_hint names the key
 * (untrusted text, sanitized), prev_bad is true after a wrong passphrase.
 * Return a new string (wiped and freed by crypto), or NULL to cancel. */
typedef char *(*crypto_passphrase_fn)(void *ud, const char *uid_hint, bool prev_bad);

struct crypto_opts {
	const char *gnupg_home;          /* NULL: GnuPG's default ($GNUPGHOME, ~/.gnupg) */
	crypto_passphrase_fn passphrase; /* NULL: gpg-agent's own pinentry */
	void *passphrase_ud;
	long timeout_ms;                 /* 0: CRYPTO_TIMEOUT_MS */
};

/* NULL with *err (new string) when GPGME or an engine is missing. */
crypto_t *crypto_new(const struct crypto_opts *opts, char **err);
void crypto_free(crypto_t **c);

/* ---- reading ---- */

enum crypto_kind {
	CRYPTO_PGP_MIME_SIGNED,    /* multipart/signed, application/pgp-signature */
	CRYPTO_PGP_MIME_ENCRYPTED, /* multipart/encrypted, application/pgp-encrypted */
	CRYPTO_PGP_INLINE_SIGNED,  /* -----BEGIN PGP SIGNED MESSAGE----- in a text part */
	CRYPTO_PGP_INLINE_ENCRYPTED, /* -----BEGIN PGP MESSAGE----- in a text part */
	CRYPTO_SMIME_SIGNED,       /* multipart/signed, application/pkcs7-signature */
	CRYPTO_SMIME_OPAQUE,       /* application/pkcs7-mime; smime-type=signed-data */
	CRYPTO_SMIME_ENVELOPED,    /* application/pkcs7-mime; smime-type=enveloped-data */
};
const char *crypto_kind_name(enum crypto_kind k);

enum crypto_status {
	CRYPTO_NONE,        /* encrypted, not signed: no signature to judge */
	CRYPTO_GOOD,        /* a valid signature (see validity for who made it) */
	CRYPTO_BAD,         /* the signature does not match the content */
	CRYPTO_UNKNOWN_KEY, /* no public key or certificate for the signature */
	CRYPTO_EXPIRED_KEY, /* made by an expired key (or the signature expired) */
	CRYPTO_REVOKED_KEY, /* made by a revoked key or certificate */
	CRYPTO_ERROR,       /* could not verify or decrypt: see error */
};
const char *crypto_status_name(enum crypto_status s);

/* GnuPG's validity of the signer's key (how sure the key is theirs). */
enum crypto_validity {
	CRYPTO_V_UNKNOWN,
	CRYPTO_V_UNDEFINED,
	CRYPTO_V_NEVER,
	CRYPTO_V_MARGINAL,
	CRYPTO_V_FULL,
	CRYPTO_V_ULTIMATE,
};
const char *crypto_validity_name(enum crypto_validity v);

struct crypto_result {
	char *path;              /* owned: "3" is part 3 (mime_part_number) of the message; "3/2" is
				    part 2 of what part 3 decrypted or verified to; "3>2" is part 2 of
				    the message forwarded as part 3 (message/rfc822) */
	size_t part;             /* mime_part_number() of the part in the message it lies in */
	enum crypto_kind kind;
	enum crypto_status status;
	bool is_signed;          /* a signature was found (status judges it) */
	bool encrypted;          /* the part was encrypted */
	bool decrypted;          /* ... and decrypted: content holds the plaintext */
	bool integrity;          /* the ciphertext was integrity protected (OpenPGP MDC/AEAD) */
	bool whole;              /* covers the whole message as shown, not one part of it */
	bool forwarded;          /* lies inside a forwarded message/rfc822 */
	bool text_outside;       /* inline PGP: the text part holds more than this block */
	char *signer;            /* owned or NULL: the signer's user id (the one matching From: if any) */
	char *fingerprint;       /* owned or NULL */
	enum crypto_validity validity;
	bool from_matches;       /* a user id of the signer's key has the From: address (of the
				    message the part lies in) */
	char *error;             /* owned or NULL: one line, what failed */
	size_t inline_start, inline_len; /* inline PGP: the block's bytes in the decoded text part */
	char *content;           /* owned or NULL: what was verified or decrypted (memory only; wiped
				    on free).  A MIME entity for PGP/MIME and S/MIME, text for inline */
	size_t content_len;
	mime_msg_t *inner;       /* owned or NULL: content parsed (PGP/MIME, S/MIME): what the pager
				    should show for this part instead of the part itself */
};

struct crypto_report {
	struct crypto_result *v; /* owned */
	size_t n;
	size_t unprotected;      /* leaf parts of the message outside every signed/encrypted part */
	bool truncated;          /* CRYPTO_MAX_RESULTS or CRYPTO_MAX_DEPTH was hit */
};

/* Process every signed or encrypted part of m (blocks while GnuPG works;
 * may ask for a passphrase).  Never NULL. */
struct crypto_report *crypto_process(crypto_t *c, const mime_msg_t *m);
void crypto_report_free(struct crypto_report **r);
/* One line for the status line: "part 3: PGP/MIME signed: good signature
 * from Alice <a@example.org> (FPR, validity full), matches From:; only
 * this part".  New string. */
char *crypto_result_line(const struct crypto_result *r);

/* ---- writing ---- */

enum crypto_keysel_status {
	CRYPTO_KEY_OK,        /* exactly one usable key: fpr */
	CRYPTO_KEY_AMBIGUOUS, /* several usable keys: the caller chooses among fprs */
	CRYPTO_KEY_MISSING,   /* no key for this address */
	CRYPTO_KEY_UNUSABLE,  /* keys exist but none is usable: reason */
};
struct crypto_keysel {
	enum crypto_keysel_status status;
	char *fpr;      /* owned: CRYPTO_KEY_OK */
	char **fprs;    /* owned: every usable key (also for OK) */
	char **uids;    /* owned: the matching user id of each, sanitized */
	size_t n;
	char *reason;   /* owned: one line for MISSING/UNUSABLE, names the address */
};
/* Keys for encrypting to (encrypt) or signing as (!encrypt) address. */
void crypto_key_for(crypto_t *c, enum crypto_proto proto, const char *address, bool encrypt,
		    struct crypto_keysel *out);
void crypto_keysel_clear(struct crypto_keysel *k);

struct crypto_write {
	enum crypto_proto proto;
	bool sign, encrypt;
	const char *signer;           /* fingerprint (or address) of the signing key */
	const char *const *recipients; /* fingerprints chosen with crypto_key_for */
	size_t nrecipients;
	const char *self;             /* fingerprint encrypted to as well (drafts, Fcc); NULL: none */
	const char *subject;          /* protected headers: the real Subject (UTF-8) goes inside the
					 encrypted part and the caller sends CRYPTO_HIDDEN_SUBJECT
					 outside; NULL: none */
};

/* Wrap a MIME entity (its header fields, an empty line, its body; 7-bit:
 * encode the body as quoted-printable or base64 first) into the signed
 * and/or encrypted entity that replaces it.  0 and *out (new string,
 * CRLF line ends) and *out_len, or -1 and *err (new string, one line). */
int crypto_wrap(crypto_t *c, const struct crypto_write *w, const char *entity, size_t len, char **out,
		size_t *out_len, char **err);

/* My public key as an attachable part ("application/pgp-keys", armored),
 * for key (fingerprint or address).  0 and *out, or -1 and *err. */
int crypto_key_part(crypto_t *c, const char *key, char **out, size_t *out_len, char **err);
/* My OpenPGP public key (fingerprint or address), minimal, as the base64
 * keydata of an Autocrypt header (one line).  0 with *keydata and *fpr
 * (new strings), or -1 and *err. */
int crypto_export_keydata(crypto_t *c, const char *key, char **keydata, char **fpr, char **err);
/* Import the one OpenPGP key of an Autocrypt header's keydata (base64,
 * autocrypt.h) into c's keyring (the Autocrypt one: a crypto_t whose
 * gnupg_home is data_dir/autocrypt/<account>/gnupg).  0 and *fpr, or -1 and *err
 * (not exactly one key). */
int crypto_import_keydata(crypto_t *c, const char *keydata, char **fpr, char **err);

/* ---- the parsing around GPGME (exposed for tests and fuzzing) ---- */

enum crypto_armor { CRYPTO_ARMOR_SIGNED, CRYPTO_ARMOR_MESSAGE };
/* The first armored block at or after *pos in s[0..n): a line starting
 * "-----BEGIN PGP SIGNED MESSAGE-----" up to the line "-----END PGP
 * SIGNATURE-----", or "-----BEGIN PGP MESSAGE-----" to "-----END PGP
 * MESSAGE-----" (end lines included).  false when none; else *start, *len
 * and the kind, and *pos moves past it. */
bool crypto_armor_find(const char *s, size_t n, size_t *pos, size_t *start, size_t *len, enum crypto_armor *kind);

/* Split the body of a multipart/signed entity at its boundary: the exact
 * bytes of the first part (from after the first delimiter line to before
 * the CRLF that precedes the second delimiter) and of the second part.
 * The same delimiter rule as mime.c.  false when there are not two parts. */
bool crypto_signed_split(const char *body, size_t n, const char *boundary, const char **signed_part,
			 size_t *signed_len, const char **sig_part, size_t *sig_len);

/* s with every line end made CRLF (RFC 3156 canonical form).  New buffer
 * (NUL after *out_len). */
char *crypto_canon_crlf(const char *s, size_t n, size_t *out_len);

#endif
