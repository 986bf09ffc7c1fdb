/* roles - which folder plays which part (Sent, Drafts, Trash, Archive,
 * Junk) for an account, so that every writer of mail agrees offline.
 *
 * The sync records the SPECIAL-USE attributes (RFC 6154) that LIST gave in
 * data_dir/state/<account>/roles; the reader and the sender resolve a role
 * through roles_folder(): the account's option (record, postponed, trash,
 * archive) when set, else the server's special-use folder, else the
 * conventional name. */
#ifndef MUTTLIKE_ROLES_H
#define MUTTLIKE_ROLES_H

#include <stddef.h>

#include "conf.h"
#include "imap.h"

/* The folder of a LIST result that plays role: the one called name when
 * name is set (the user's option), else the one with the SPECIAL-USE mark,
 * else the shortest whose last component is that name or the role's usual
 * name, without case ("INBOX.Trash" on Courier and classic Cyrus, which
 * have no marks).  NULL when none; \Noselect folders never count. */
const struct imap_folder *roles_find(const struct imap_folder *f, size_t n, enum imap_special role, const char *name);

/* Write state_dir/roles from a LIST result (atomically; untouched when it
 * is already the same): per role, roles_find()'s folder, else, when the
 * server has a personal namespace prefix ("INBOX." with delimiter '.'),
 * the usual name inside it, so that what the reader files there is
 * created in the namespace.  0, or -1 with errno. */
int roles_save(const char *state_dir, const struct imap_folder *f, size_t n, const char *prefix, char delim,
	       bool labels);

/* Did the last sync find a Gmail-shaped account (X-GM-EXT-1 and an \All
 * folder: roles_save with labels)?  Then its other folders are labels. */
bool roles_labels(const conf_t *c, long account);
/* Is the local folder rel (relative directory) a label of such an
 * account: not INBOX, not a role folder?  Deleting there removes the
 * label (an expunge from that folder); the message stays in All Mail. */
bool roles_is_label(const conf_t *c, long account, const char *rel);

/* The folder for role (IMAP_SPECIAL_SENT, _DRAFTS, _TRASH, _ARCHIVE,
 * _JUNK) of account: the local relative directory (as
 * maildir_folder_relpath gives it), a new string.  When name_out is not
 * NULL it gets the folder's UTF-8 name with '/' as separator (new string). */
char *roles_folder(const conf_t *c, long account, enum imap_special role, char **name_out);

#endif
