/* imapcmd - the one place that writes IMAP command lines by hand.
 *
 * libetpan builds most commands itself; the few it cannot build (SELECT
 * with QRESYNC parameters, LIST ... RETURN (...)) are assembled here token
 * by token, so that the line is exactly RFC 3501/9051 syntax: one space
 * between tokens, none after "(" or before ")", none at the end (Cyrus
 * answers a trailing space with BAD), strings quoted with '"' and '\'
 * escaped.  A string that would need a literal (CR, LF, NUL or 8-bit
 * bytes) or a malformed atom or set makes the whole command invalid: the
 * caller then uses libetpan's own command instead.
 *
 *	struct imapcmd c;
 *	imapcmd_init(&c, "SELECT");
 *	imapcmd_astring(&c, "INBOX");
 *	imapcmd_open(&c); imapcmd_atom(&c, "QRESYNC"); ...; imapcmd_close(&c);
 *	char *line = imapcmd_finish(&c);   // NULL when invalid; caller frees
 */
#ifndef MUTTLIKE_IMAPCMD_H
#define MUTTLIKE_IMAPCMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

struct imapcmd {
	struct strbuf b; /* owned: the line so far, without tag and CRLF */
	int depth;       /* open parentheses */
	bool bad;        /* a token could not be written: finish gives NULL */
};

/* Start a command with its verb (an atom, e.g. "SELECT"). */
void imapcmd_init(struct imapcmd *c, const char *verb);
/* An atom (RFC 3501 ATOM-CHAR: no space, parentheses, '{', '%', '*',
 * '"', '\', ']', controls or 8-bit), or a flag such as "\Seen". */
void imapcmd_atom(struct imapcmd *c, const char *atom);
/* A string, always quoted (a quoted string is an astring, a mailbox and a
 * list-mailbox alike). */
void imapcmd_string(struct imapcmd *c, const char *s);
void imapcmd_number(struct imapcmd *c, uint64_t n);
/* A sequence set of numbers, ':' ranges, ',' and '*' ("1:5,9"). */
void imapcmd_set(struct imapcmd *c, const char *set);
void imapcmd_open(struct imapcmd *c);
void imapcmd_close(struct imapcmd *c);
/* The finished line (caller frees), or NULL when a token was invalid or a
 * parenthesis is left open.  c is reset either way. */
char *imapcmd_finish(struct imapcmd *c);

/* The commands muttlike writes itself (new strings, or NULL when the
 * mailbox name needs a literal, known_uids is not a set or an item is no
 * atom):
 *   SELECT "<raw>" (QRESYNC (<uidvalidity> <modseq>[ <known_uids>]))   RFC 7162
 *   LIST "" "*" RETURN ([SPECIAL-USE][ STATUS (MESSAGES UIDNEXT UIDVALIDITY HIGHESTMODSEQ)])   RFC 5258/5819/6154
 *   STATUS "<raw>" (<item> ...)   RFC 3501, for items libetpan cannot write (MAILBOXID, RFC 8474)
 *   UID FETCH <set> (<att> ...[ BODY.PEEK[<section>]])   RFC 3501; section "" (the whole
 *     message), "HEADER" or "HEADER.FIELDS (<atom> ...)"
 *   UID STORE <set> +FLAGS.SILENT|-FLAGS.SILENT (<flag> ...)   RFC 3501
 * The last two are written by hand so that imapdrv can send several
 * without waiting for each answer (pipelining). */
char *imapcmd_select_qresync(const char *raw, uint32_t uidvalidity, uint64_t modseq, const char *known_uids);
char *imapcmd_list_return(bool special_use, bool status);
char *imapcmd_status(const char *raw, const char *const *items, size_t n);
char *imapcmd_uid_fetch(const char *set, const char *const *atts, size_t n, const char *section);
char *imapcmd_uid_store(const char *set, bool add, const char *const *flags, size_t n);

#endif
