// nmsafe - notmuch write calls inside try/catch (nmsafe.h).
#include "nmsafe.h"

#define GUARD(call)                                                                                          \
	try {                                                                                                \
		return call;                                                                                 \
	} catch (...) {                                                                                      \
		return NOTMUCH_STATUS_XAPIAN_EXCEPTION;                                                      \
	}

notmuch_status_t nmsafe_message_freeze(notmuch_message_t *m) { GUARD(notmuch_message_freeze(m)) }
notmuch_status_t nmsafe_message_thaw(notmuch_message_t *m) { GUARD(notmuch_message_thaw(m)) }
notmuch_status_t nmsafe_message_add_tag(notmuch_message_t *m, const char *tag) { GUARD(notmuch_message_add_tag(m, tag)) }
notmuch_status_t nmsafe_message_remove_tag(notmuch_message_t *m, const char *tag)
{
	GUARD(notmuch_message_remove_tag(m, tag))
}
notmuch_status_t nmsafe_message_tags_to_maildir_flags(notmuch_message_t *m)
{
	GUARD(notmuch_message_tags_to_maildir_flags(m))
}
notmuch_status_t nmsafe_message_maildir_flags_to_tags(notmuch_message_t *m)
{
	GUARD(notmuch_message_maildir_flags_to_tags(m))
}
notmuch_status_t nmsafe_message_reindex(notmuch_message_t *m, notmuch_indexopts_t *io)
{
	GUARD(notmuch_message_reindex(m, io))
}
notmuch_status_t nmsafe_database_index_file(notmuch_database_t *db, const char *path, notmuch_indexopts_t *io,
					    notmuch_message_t **m)
{
	GUARD(notmuch_database_index_file(db, path, io, m))
}
notmuch_status_t nmsafe_database_remove_message(notmuch_database_t *db, const char *path)
{
	GUARD(notmuch_database_remove_message(db, path))
}
notmuch_status_t nmsafe_database_begin_atomic(notmuch_database_t *db) { GUARD(notmuch_database_begin_atomic(db)) }
notmuch_status_t nmsafe_database_end_atomic(notmuch_database_t *db) { GUARD(notmuch_database_end_atomic(db)) }
notmuch_status_t nmsafe_database_close(notmuch_database_t *db) { GUARD(notmuch_database_close(db)) }
notmuch_status_t nmsafe_database_destroy(notmuch_database_t *db) { GUARD(notmuch_database_destroy(db)) }
