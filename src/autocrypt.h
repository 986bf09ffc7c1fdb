/* autocrypt.h - Autocrypt Level 1 (https://autocrypt.org/level1.html):
 * the Autocrypt: header of incoming mail, the peer state it updates and
 * the recommendation the compose screen shows.  Pure functions over
 * strings and times (no GnuPG, no files): the keyring under
 * data_dir/autocrypt/ and the peer table's storage use them.
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

#endif
