/* autocrypt.h - Autocrypt Level 1 (https://autocrypt.org/level1.html):
 * the Autocrypt: header of incoming mail, the peer state it updates and
 * the recommendation the compose screen shows.  Pure functions over
 * strings and times (no GnuPG, no files) in autocrypt.c; the peer table's
 * file and the keyring under data_dir/autocrypt/ in autocrypt_peers.c.
 */
#ifndef MUTTLIKE_AUTOCRYPT_H
#define MUTTLIKE_AUTOCRYPT_H

#include <stdbool.h>
#include <time.h>

/* A valid Autocrypt: header.  Strings owned. */
struct autocrypt_header {
	char *addr;          /* lower-cased addr-spec */
	bool prefer_encrypt; /* prefer-encrypt=mutual */
	char *keydata;       /* base64 of the OpenPGP key, whitespace removed */
};

/* Parse one header value ("addr=...; prefer-encrypt=mutual; keydata=...").
 * false when it is not valid by Level 1: addr or keydata missing or
 * given twice, keydata not base64, an unknown attribute not starting with
 * '_' (critical), prefer-encrypt other than "mutual" is ignored as the
 * spec says (nopreference). */
bool autocrypt_header_parse(const char *value, struct autocrypt_header *out);
void autocrypt_header_clear(struct autocrypt_header *h);

/* The peer state of one address (the spec's table). */
struct autocrypt_peer {
	time_t last_seen;           /* newest Date of any mail from it */
	time_t autocrypt_timestamp; /* newest Date of a mail with a valid header */
	char *public_key;           /* base64 keydata, owned, NULL: none */
	bool prefer_encrypt;        /* mutual */
};
void autocrypt_peer_clear(struct autocrypt_peer *p);

/* A message from from_addr dated date, with the value of its one
 * Autocrypt: header (NULL: none; several: pass NULL, the spec treats
 * the message as having none).  The header counts only when it parses
 * and its addr is from_addr (case-insensitive); a message not newer
 * than autocrypt_timestamp changes nothing, one older than last_seen
 * only its header.  true when p changed. */
bool autocrypt_peer_update(struct autocrypt_peer *p, const char *from_addr, time_t date, const char *header);

enum autocrypt_rec {
	AUTOCRYPT_DISABLE,
	AUTOCRYPT_DISCOURAGE,
	AUTOCRYPT_AVAILABLE,
	AUTOCRYPT_ENCRYPT,
};
/* The recommendation for one recipient (Level 1, "Provide a
 * recommendation"): no key: disable; a key whose header was last seen more
 * than 35 days before the newest mail: discourage; both sides
 * prefer-encrypt=mutual (me_mutual): encrypt; else available. */
enum autocrypt_rec autocrypt_recommend(const struct autocrypt_peer *p, bool me_mutual);
/* Several recipients: the weakest of theirs (disable < discourage <
 * available < encrypt). */
enum autocrypt_rec autocrypt_recommend_all(const enum autocrypt_rec *v, int n);
const char *autocrypt_rec_name(enum autocrypt_rec r); /* "disable", ... */

/* Our own header: "addr=me; [prefer-encrypt=mutual; ]keydata=..." folded
 * for the wire (CRLF SP every 76 characters of keydata).  New string. */
char *autocrypt_header_make(const char *addr, bool prefer_encrypt, const char *keydata);

/* ---- storage (autocrypt_peers.c) ----
 *
 * One directory per account, data_dir/autocrypt/<account>: the peer
 * table "peers" (a line per address: addr, last_seen,
 * autocrypt_timestamp, mutual|nopreference, the key's fingerprint in the
 * keyring, keydata; "-" for none; rewritten atomically, 0600) and the
 * keyring, a GnuPG home of its own ("gnupg", 0700) that keys from
 * headers are imported into, never the user's. */
typedef struct autocrypt_peers autocrypt_peers_t;

/* data_dir/autocrypt/<account, made a safe path component>.  New string. */
char *autocrypt_dir(const char *data_dir, const char *account);
/* dir/gnupg.  New string. */
char *autocrypt_gnupg_home(const char *dir);
/* The table of dir (empty when there is none; bad lines are skipped).
 * Never NULL. */
autocrypt_peers_t *autocrypt_peers_load(const char *dir);
/* Write it back atomically (creating dir).  0, or -1 and *err. */
int autocrypt_peers_save(const autocrypt_peers_t *t, char **err);
void autocrypt_peers_free(autocrypt_peers_t **t);
/* The state of addr (case-insensitive), or NULL; *fpr (when fpr is not
 * NULL) the fingerprint of its key in the keyring, or NULL.  Lent by t. */
const struct autocrypt_peer *autocrypt_peers_find(const autocrypt_peers_t *t, const char *addr, const char **fpr);
/* The recommendation for the NULL-terminated addrs (every one must have a
 * key in the keyring; none: disable). */
enum autocrypt_rec autocrypt_peers_recommend(const autocrypt_peers_t *t, const char *const *addrs, bool me_mutual);

/* The Autocrypt: fields in a message's header block raw[0..n) (up to the
 * empty line): their number, and when exactly one, *value its unfolded
 * value (new string; else NULL). */
size_t autocrypt_header_find(const char *raw, size_t n, char **value);
/* A message from `from' dated date with header (the value of its one
 * Autocrypt: field, or NULL): update t as autocrypt_peer_update says and
 * import a new key into the keyring (refused by GnuPG: the peer has no
 * key, *err says why).  1 when t changed (save it), 0 when not. */
int autocrypt_learn(autocrypt_peers_t *t, const char *from, time_t date, const char *header, char **err);
/* The same for the message file at path (only its header block is
 * read; one From: address and a Date needed, reports ignored), the table
 * of dir loaded and saved.  1 changed, 0 not, -1 and *err when the table
 * could not be written. */
int autocrypt_learn_file(const char *dir, const char *path, char **err);

#endif
