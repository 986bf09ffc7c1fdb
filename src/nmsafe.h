/* nmsafe - notmuch's write calls with no C++ exception escaping.
 *
 * libnotmuch 0.37 catches Xapian's exceptions in most calls, but not in
 * the ones that write a document back (_notmuch_message_sync outside its
 * try blocks: notmuch_message_thaw, add/remove_tag on a message that is
 * not frozen, tags_to_maildir_flags, ...).  On a full disk Xapian throws
 * DatabaseError there, nothing catches it and the process aborts
 * ("terminate called after throwing an instance of 'Xapian::DatabaseError'",
 * exit 134).  Each function here calls its notmuch namesake inside
 * try/catch(...) (nmsafe.cc, the project's one C++ file) and answers
 * NOTMUCH_STATUS_XAPIAN_EXCEPTION instead; the store writer then closes
 * the database and reconciles, as for any Xapian error.  Only the store
 * writer's and the repair's write calls go through here. */
#ifndef MUTTLIKE_NMSAFE_H
#define MUTTLIKE_NMSAFE_H

#include <notmuch.h>

#ifdef __cplusplus
extern "C" {
#endif

notmuch_status_t nmsafe_message_freeze(notmuch_message_t *m);
notmuch_status_t nmsafe_message_thaw(notmuch_message_t *m);
notmuch_status_t nmsafe_message_add_tag(notmuch_message_t *m, const char *tag);
notmuch_status_t nmsafe_message_remove_tag(notmuch_message_t *m, const char *tag);
notmuch_status_t nmsafe_message_tags_to_maildir_flags(notmuch_message_t *m);
notmuch_status_t nmsafe_message_maildir_flags_to_tags(notmuch_message_t *m);
notmuch_status_t nmsafe_message_reindex(notmuch_message_t *m, notmuch_indexopts_t *io);
notmuch_status_t nmsafe_database_index_file(notmuch_database_t *db, const char *path, notmuch_indexopts_t *io,
					    notmuch_message_t **m);
notmuch_status_t nmsafe_database_remove_message(notmuch_database_t *db, const char *path);
notmuch_status_t nmsafe_database_begin_atomic(notmuch_database_t *db);
notmuch_status_t nmsafe_database_end_atomic(notmuch_database_t *db);
notmuch_status_t nmsafe_database_close(notmuch_database_t *db);
notmuch_status_t nmsafe_database_destroy(notmuch_database_t *db);

#ifdef __cplusplus
}
#endif

#endif
