/* listhdr.h - mailing-list headers: RFC 2369, RFC 2919, RFC 8058, RFC 6068.
 *
 * For list-unsubscribe, list-subscribe, list-post, list-help and the list
 * name shown in the index.  Header values come from hostile messages:
 * every parser here is linear, caps what it keeps (LISTHDR_MAX_URIS URIs
 * of at most LISTHDR_MAX_URI bytes) and never returns CR or LF in a value
 * that could become a header.
 */
#ifndef MUTTLIKE_LISTHDR_H
#define MUTTLIKE_LISTHDR_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

#define LISTHDR_MAX_URIS 8
#define LISTHDR_MAX_URI 2048

/* The URIs of a List-* header: "<mailto:x?subject=y>, (comment) <https://...>".
 * Whitespace inside <> is dropped (RFC 2369 lets long URIs fold). */
struct listhdr_uris {
	char *v[LISTHDR_MAX_URIS]; /* owned */
	size_t n;
	bool no;                   /* List-Post: NO (posting not allowed) */
};

/* Parse a List-Unsubscribe/-Subscribe/-Post/-Help/-Owner/-Archive value
 * (unfolded or not) into out (fresh).  URIs without a scheme, with
 * controls or too long are skipped. */
void listhdr_parse_uris(const char *value, struct listhdr_uris *out);
void listhdr_uris_clear(struct listhdr_uris *u);

/* The first URI of u with this scheme ("mailto", "https"), lent, or NULL. */
const char *listhdr_first(const struct listhdr_uris *u, const char *scheme);

/* List-Id (RFC 2919): "Name <id.example.org>".  *id gets the id (new
 * string, lower-case), *name the phrase (new string, "" when none, may be
 * NULL).  false when there is no <id>. */
bool listhdr_list_id(const char *value, char **id, char **name);

/* RFC 8058: does List-Unsubscribe-Post say "List-Unsubscribe=One-Click"
 * and does List-Unsubscribe hold an https URI?  *url (lent from u) gets it. */
bool listhdr_one_click_ok(const char *unsubscribe_post, const struct listhdr_uris *u, const char **url);

/* A mailto: URI (RFC 6068) as a message to prepare. */
struct listhdr_mailto {
	struct addr_list to, cc; /* owned */
	char *subject;           /* owned: "" when none; no CR/LF */
	char *body;              /* owned: "" when none; LF line ends */
};

/* Parse uri ("mailto:a@b,c@d?subject=x&body=y&cc=e@f"), percent-decoding
 * each part.  Header fields other than to, cc, subject and body (bcc,
 * in-reply-to, anything else) are ignored, as RFC 6068 section 7 advises.
 * false + *err (new string) when it is not mailto: or has no valid
 * recipient. */
bool listhdr_mailto_parse(const char *uri, struct listhdr_mailto *out, char **err);
void listhdr_mailto_clear(struct listhdr_mailto *m);

/* RFC 8058 one-click unsubscribe: POST "List-Unsubscribe=One-Click" to url
 * over HTTPS with the certificate verified against the system store plus
 * ca_file (may be NULL), host name checked, TLS 1.2 or newer, no
 * redirects followed, 30 s timeout.  http: and anything but https: are
 * refused before any connection.  true when the server answered 2xx;
 * false + *err (new string) naming what failed. */
bool listhdr_one_click(const char *url, const char *ca_file, char **err);

#endif
