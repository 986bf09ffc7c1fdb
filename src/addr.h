/* addr.h - e-mail addresses: parse what the user typed, validate, format.
 *
 * Input comes from the user (the editor's header block, compose prompts)
 * and from hostile messages (List-Post, addresses the mime module already
 * parsed).  The parser is linear in its input, has no recursion, and caps
 * the number of addresses (ADDR_MAX) and the input length (ADDR_MAX_INPUT),
 * so "To: ;;;;..." with 100k separators costs one pass and yields nothing.
 *
 * Every string stored in an addr_list is free of CR, LF and other control
 * characters: a display name with a newline in it can never become a new
 * header line when formatted.  Mailboxes are ASCII (no SMTPUTF8): a
 * non-ASCII local part or domain is rejected with a clear message.
 */
#ifndef MUTTLIKE_ADDR_H
#define MUTTLIKE_ADDR_H

#include <stdbool.h>
#include <stddef.h>

#include "util.h"

#define ADDR_MAX 1000
#define ADDR_MAX_INPUT (256 * 1024)
#define ADDR_MAX_MAILBOX 254

struct addr {
	char *name;    /* owned: display name in UTF-8, "" when none; no controls */
	char *mailbox; /* owned: local@domain, ASCII, validated */
};

struct addr_list {
	struct addr *v; /* owned */
	size_t n, cap;
};

void addr_list_init(struct addr_list *l);
void addr_list_clear(struct addr_list *l);
/* dst (initialized) becomes a copy of src. */
void addr_list_copy(struct addr_list *dst, const struct addr_list *src);

/* Append a copy of (name, mailbox) unless the mailbox is already in the
 * list (compared case-insensitively) or invalid.  name may be NULL; its
 * controls become spaces.  Returns true when added. */
bool addr_list_add(struct addr_list *l, const char *name, const char *mailbox);
/* Append every address of src not yet in l. */
void addr_list_merge(struct addr_list *l, const struct addr_list *src);
bool addr_list_contains(const struct addr_list *l, const char *mailbox);
/* Remove the entries whose mailbox is in drop. */
void addr_list_remove(struct addr_list *l, const struct addr_list *drop);

/* Is this a mailbox we can send to: dot-atom or quoted local part, '@',
 * a host name or a [literal]; ASCII; at most ADDR_MAX_MAILBOX bytes. */
bool addr_mailbox_valid(const char *mailbox);

/* Parse a comma-separated list as a user writes it ("Name <a@b>",
 * "a@b (comment)", "\"Last, First\" <a@b>", groups "team: a@b, c@d;")
 * and append its addresses to out.  On a bad entry returns false with
 * *err (caller frees) naming it; out then holds the entries before it.
 * Empty input is a valid empty list. */
bool addr_parse(const char *in, struct addr_list *out, char **err);

/* "Name <a@b>" or "a@b", in UTF-8, for the editor and the screen (not
 * for a header: see addr_list_encode).  New string. */
char *addr_format(const struct addr *a);
/* addr_format of each, joined by ", ".  New string. */
char *addr_list_format(const struct addr_list *l);

/* The list as a header value: display names quoted when they hold
 * specials, RFC 2047-encoded when they are not ASCII; entries joined by
 * ", ".  Pure ASCII, no CR or LF; fold it with encode_fold_header(). */
char *addr_list_encode(const struct addr_list *l);

/* The first "mailto:" address of a List-Post value ("<mailto:l@x?subject=y>,
 * <http://...>"), or NULL ("NO" or none).  New string. */
char *addr_from_list_post(const char *value);

#endif
