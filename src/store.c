/* store.c - the notmuch writer thread. */
#include "store.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <notmuch.h>

#include "fault.h"
#include "log.h"
#include "maildir.h"
#include "mime.h"
#include "tagdump.h"
#include "nmsafe.h"
#include "util.h"

/* How many operations one atomic section holds, and how many may wait:
 * big enough to amortize Xapian's per-transaction cost, small enough that
 * the index follows the fetch closely and memory stays flat. */
#define BATCH_MAX 256
#define QUEUE_MAX 2048
/* Xapian keeps every unflushed change in memory and notmuch commits only
 * on close (or after database.autocommit = 8000 transactions), so a first
 * sync of a big account would hold the whole index in memory.  Xapian
 * flushes by itself after XAPIAN_FLUSH_THRESHOLD changed documents; this
 * value keeps the writer near 50 MB and costs less than reopening the
 * database (measured: 117 MB -> 48 MB on 3,000 messages, no slower). */
#define FLUSH_THRESHOLD "2000"

enum op_kind {
	OP_ADD,
	OP_RENAME,
	OP_REMOVE,
	OP_PRUNE,
	OP_FLAGS,
	OP_TAG,
	OP_RETAG,
	OP_QUERY,
	OP_REINDEX,
	OP_RESTORE,
	OP_COMMIT,
};

struct tag_query {
	struct store_tagged *v;
	size_t n, cap;
	bool ok;
};

struct op {
	enum op_kind kind;
	char *path;     /* owned */
	char *old_path; /* owned, RENAME */
	char *account;  /* owned */
	char *keywords; /* owned or NULL */
	unsigned flags; /* OP_FLAGS: MAILDIR_F_* wanted */
	struct tag_query *query; /* OP_QUERY: foreign, filled by the writer */
	struct tagdump_restored *restored; /* OP_RESTORE: foreign, filled by the writer */
	struct op *next;
};

struct store {
	char *root;        /* owned */
	char *dirty;       /* owned: marker path */
	notmuch_database_t *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv_work; /* writer waits for ops */
	pthread_cond_t cv_done; /* producers wait for room / flush */
	struct op *head, *tail;
	size_t queued;
	size_t inflight;   /* taken by the writer, not yet applied */
	bool stop;
	size_t failures;
	size_t added;
	bool recovered;    /* reconcile() ran: tags may predate a crash */
	bool reopened;     /* drop_db() ran: the next open reconciles */
	bool marked;       /* this run wrote the dirty marker (under mu) */
	bool unindexed;    /* a file could not be indexed: the marker stays (writer thread only) */
	bool took;         /* the writer took an operation (writer thread only) */
	size_t store_errors; /* Xapian errors that closed the handle */
	char *state_dir;   /* owned */
	char *dump;        /* owned: state_dir/tags.dump (tagdump.h) */
	char *dump_stamp;  /* owned: state_dir/tags.dump.stamp, the index stamp the dump is current for */
	bool tags_dirty;   /* tags changed since the dump was written (writer thread only) */
	char open_stamp[96]; /* store_index_stamp() when the database was opened */
	unsigned long open_gen; /* store_tag_generation() then */
	store_changed_fn changed;
	void *changed_ud;
	bool index_decrypt; /* crypt_index_decrypted (atomic access) */
	/* MUTTLIKE_TIMING: where the time goes (logged at close). */
	long long t_idle_us, t_busy_us, t_full_us; /* writer waiting, writer applying, producers waiting for room */
	size_t n_batches;
	size_t n_commits;      /* store_commit()s done (writer thread) */
	long long t_commit_us;
};

static long long now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void op_free(struct op *o)
{
	free(o->path);
	free(o->old_path);
	free(o->account);
	free(o->keywords);
	free(o);
}

static void add_keyword_tags(notmuch_message_t *m, const char *keywords)
{
	if (!keywords)
		return;
	char *copy = xstrdup(keywords);
	for (char *save = NULL, *k = strtok_r(copy, " ", &save); k; k = strtok_r(NULL, " ", &save))
		nmsafe_message_add_tag(m, k);
	free(copy);
}

/* Make the tags follow the file names' flags; T (\Deleted) is ours. */
static void sync_tags(notmuch_message_t *m, const char *account, const char *keywords)
{
	nmsafe_message_freeze(m);
	nmsafe_message_maildir_flags_to_tags(m);
	bool trashed = false;
	notmuch_filenames_t *fns = notmuch_message_get_filenames(m);
	for (; notmuch_filenames_valid(fns); notmuch_filenames_move_to_next(fns)) {
		struct maildir_name n;
		maildir_name_parse(notmuch_filenames_get(fns), &n);
		if (n.flags & MAILDIR_F_TRASHED)
			trashed = true;
	}
	notmuch_filenames_destroy(fns);
	if (trashed)
		nmsafe_message_add_tag(m, "deleted");
	else
		nmsafe_message_remove_tag(m, "deleted");
	if (account) {
		char *t = xasprintf("account:%s", account);
		nmsafe_message_add_tag(m, t);
		free(t);
	}
	add_keyword_tags(m, keywords);
	nmsafe_message_thaw(m);
}

/* Forget file names of m that are gone from disk (renamed or deleted by
 * a tool that did not tell notmuch).  The names are collected first:
 * removing while iterating would invalidate the iterator. */
static void prune_message(store_t *s, notmuch_message_t *m)
{
	struct strbuf gone;
	strbuf_init(&gone);
	notmuch_filenames_t *fns = notmuch_message_get_filenames(m);
	for (; notmuch_filenames_valid(fns); notmuch_filenames_move_to_next(fns)) {
		const char *fn = notmuch_filenames_get(fns);
		if (access(fn, F_OK) != 0 && errno == ENOENT) {
			strbuf_adds(&gone, fn);
			strbuf_addc(&gone, '\n');
		}
	}
	notmuch_filenames_destroy(fns);
	for (char *save = NULL, *fn = gone.s ? strtok_r(gone.s, "\n", &save) : NULL; fn; fn = strtok_r(NULL, "\n", &save))
		nmsafe_database_remove_message(s->db, fn);
	strbuf_free(&gone);
}

/* ---- header-only indexing ----
 *
 * notmuch reads a file through GMime, which builds the whole part tree
 * and holds every word of the text: a million empty parts cost 1.3 GB.
 * It has no option to index the headers only, and no call that adds a
 * file name to a message without reading the file.  What it has:
 * nmsafe_message_tags_to_maildir_flags() renames a known file from new/
 * to cur/ and moves the name in the index without reading anything; and
 * rename(2) between two links of one file does nothing and succeeds.  So
 * for cur/NAME over the caps (mime_scan_file()):
 *   1. a copy of its header is written as new/NAME and indexed;
 *   2. new/NAME is replaced by a second link to cur/NAME;
 *   3. the tags are set to NAME's flags and notmuch "renames" new/NAME to
 *      cur/NAME: the same file, nothing moves, and the index now names
 *      the real file;
 *   4. the extra link is removed.
 * All inside the batch's atomic section, so no reader sees the copy.  A
 * crash leaves new/NAME (the copy or a link): maildir_scan() does not list
 * it, and the reconcile after the crash removes it. */

#define INDEX_COPY_MARK "X-Muttlike-Index-Copy: headers only\r\n"

/* flags the tags can carry; T is ours (the deleted tag) */
static const struct { const char *tag; unsigned bit; bool inverse; } flag_tags[] = {
	{ "draft", MAILDIR_F_DRAFT, false },   { "flagged", MAILDIR_F_FLAGGED, false },
	{ "passed", MAILDIR_F_PASSED, false }, { "replied", MAILDIR_F_REPLIED, false },
	{ "unread", MAILDIR_F_SEEN, true },
};
#define TAG_FLAGS (MAILDIR_F_DRAFT | MAILDIR_F_FLAGGED | MAILDIR_F_PASSED | MAILDIR_F_REPLIED | MAILDIR_F_SEEN)

static void set_flag_tags(notmuch_message_t *m, unsigned flags)
{
	nmsafe_message_freeze(m);
	for (size_t i = 0; i < ARRAY_SIZE(flag_tags); i++) {
		bool on = ((flags & flag_tags[i].bit) != 0) != flag_tags[i].inverse;
		if (on)
			nmsafe_message_add_tag(m, flag_tags[i].tag);
		else
			nmsafe_message_remove_tag(m, flag_tags[i].tag);
	}
	nmsafe_message_thaw(m);
}

/* Flags as notmuch reads them from a name (new/ without info: none);
 * -1 when the name is not in a Maildir. */
static int name_flags(const char *fn)
{
	const char *slash = strrchr(fn, '/');
	if (!slash || slash - fn < 4 || (strncmp(slash - 4, "/cur/", 5) != 0 && strncmp(slash - 4, "/new/", 5) != 0))
		return -1;
	struct maildir_name n;
	maildir_name_parse(slash, &n);
	return (int)n.flags;
}

/* 1: abs is already a name of m; 0: m's other files would keep their
 * names when the tags become flags; -1: a file with other flags would be
 * renamed (notmuch gives every file of a message the message's flags). */
static int siblings_check(notmuch_message_t *m, const char *abs, const char *copy, unsigned flags)
{
	int r = 0;
	notmuch_filenames_t *fns = notmuch_message_get_filenames(m);
	for (; notmuch_filenames_valid(fns) && r == 0; notmuch_filenames_move_to_next(fns)) {
		const char *fn = notmuch_filenames_get(fns);
		int fl = name_flags(fn);
		if (strcmp(fn, abs) == 0)
			r = 1;
		else if (strcmp(fn, copy) != 0 && fl >= 0 && access(fn, F_OK) == 0 &&
			 ((unsigned)fl & TAG_FLAGS) != (flags & TAG_FLAGS))
			r = -1;
	}
	notmuch_filenames_destroy(fns);
	return r;
}

static bool has_filename(notmuch_message_t *m, const char *abs)
{
	bool found = false;
	notmuch_filenames_t *fns = notmuch_message_get_filenames(m);
	for (; notmuch_filenames_valid(fns) && !found; notmuch_filenames_move_to_next(fns))
		found = strcmp(notmuch_filenames_get(fns), abs) == 0;
	notmuch_filenames_destroy(fns);
	return found;
}

/* Write the header copy as path (which must not exist). */
static int write_copy(const char *path, const struct strbuf *header)
{
	FILE *f = fopen(path, "wxe");
	if (!f)
		return -1;
	bool ok = fputs(INDEX_COPY_MARK, f) >= 0 && fwrite(header->s ? header->s : "", 1, header->len, f) == header->len;
	if (fclose(f) != 0 || !ok) {
		unlink(path);
		return -1;
	}
	return 0;
}

/* Index abs (".../cur/NAME") by the header in header, as above.  *out is
 * the message, or NULL with SUCCESS when the file is left unindexed for
 * now (renamed meanwhile, or a copy elsewhere with other flags). */
static notmuch_status_t index_headers_only(store_t *s, const char *abs, const struct strbuf *header,
					   notmuch_message_t **out)
{
	*out = NULL;
	const char *slash = strrchr(abs, '/');
	struct maildir_name n;
	maildir_name_parse(abs, &n);
	if (name_flags(abs) < 0 || strncmp(slash - 4, "/cur/", 5) != 0 || !n.info) {
		log_warn("store: %s is over the MIME caps and not a cur/ file with flags; not indexed", abs);
		return NOTMUCH_STATUS_SUCCESS;
	}
	unsigned flags = n.flags;
	char *copy = xasprintf("%.*s/new%s", (int)(slash - 4 - abs), abs, slash);
	unlink(copy); /* a crash's leftover: the scan never lists it */
	if (write_copy(copy, header) < 0) {
		log_error("store: cannot write %s: %s", copy, strerror(errno));
		free(copy);
		return NOTMUCH_STATUS_FILE_ERROR;
	}
	notmuch_message_t *m = NULL;
	notmuch_status_t st = nmsafe_database_index_file(s->db, copy, NULL, &m);
	if (st != NOTMUCH_STATUS_SUCCESS && st != NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID) {
		unlink(copy);
		free(copy);
		return st;
	}
	bool moved = false;
	int sib = siblings_check(m, abs, copy, flags);
	if (sib < 0)
		log_warn("store: %s is over the MIME caps and another copy of the message has other flags; "
			 "not indexed (the other copy is)", abs);
	struct stat ls;
	if (sib == 0) {
		set_flag_tags(m, flags);
		/* Step 2; a failed link means abs was renamed meanwhile: the
		 * queued operation for its new name indexes it. */
		if (unlink(copy) == 0 && link(abs, copy) == 0 && stat(copy, &ls) == 0) {
			nmsafe_message_tags_to_maildir_flags(m);
			moved = has_filename(m, abs);
		}
		struct stat as;
		if (access(copy, F_OK) != 0 && stat(abs, &as) == 0 && as.st_ino == ls.st_ino && as.st_dev == ls.st_dev)
			unlink(abs); /* abs vanished before step 3, which put our link back in its place */
	}
	unlink(copy);
	if (!moved || has_filename(m, copy)) {
		notmuch_message_destroy(m);
		m = NULL;
		nmsafe_database_remove_message(s->db, copy);
	}
	free(copy);
	*out = m;
	return m ? st : NOTMUCH_STATUS_SUCCESS;
}

/* crypt_index_decrypted: notmuch's own decryption policy (it decrypts in
 * memory, indexes the text and keeps the session key in the database);
 * else NULL, notmuch's defaults.  Destroy with notmuch_indexopts_destroy. */
static notmuch_indexopts_t *index_opts(store_t *s)
{
	if (!__atomic_load_n(&s->index_decrypt, __ATOMIC_ACQUIRE))
		return NULL;
	notmuch_indexopts_t *io = notmuch_database_get_default_indexopts(s->db);
	if (io && notmuch_indexopts_set_decrypt_policy(io, NOTMUCH_DECRYPT_TRUE) != NOTMUCH_STATUS_SUCCESS)
		log_warn("store: notmuch refused its decryption policy; encrypted mail is indexed undecrypted");
	return io;
}

/* nmsafe_database_index_file(), or the header-only way when the file is
 * over the caps (*oversized). */
static notmuch_status_t index_file(store_t *s, const char *abs, notmuch_message_t **m, bool *oversized)
{
	struct mime_scan sc;
	struct strbuf header;
	strbuf_init(&header);
	*oversized = false;
	notmuch_status_t st;
	if (mime_scan_file(abs, &sc, &header) != MIME_OK)
		st = NOTMUCH_STATUS_FILE_ERROR;
	else if (!sc.limits) {
		notmuch_indexopts_t *io = index_opts(s);
		st = nmsafe_database_index_file(s->db, abs, io, m);
		if (io)
			notmuch_indexopts_destroy(io);
	} else {
		*oversized = true;
		log_info("store: %s is over the MIME caps (%zu parts, depth %d, %zu header bytes, %zu words, ~%zu "
			 "distinct); indexed by its headers only",
			 abs, sc.parts, sc.depth, sc.header_bytes, sc.words, sc.terms);
		st = index_headers_only(s, abs, &header, m);
	}
	strbuf_free(&header);
	return st;
}

static bool apply_add(store_t *s, const char *rel, const char *account, const char *keywords)
{
	char *abs = xasprintf("%s/%s", s->root, rel);
	notmuch_message_t *m = NULL;
	bool oversized;
	notmuch_status_t st = index_file(s, abs, &m, &oversized);
	bool ok = st == NOTMUCH_STATUS_SUCCESS || st == NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID;
	if (ok && !m) {
		/* left unindexed for now (index_headers_only said why) */
	} else if (ok) {
		if (st == NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID)
			prune_message(s, m);
		sync_tags(m, account, keywords);
		if (oversized)
			nmsafe_message_add_tag(m, STORE_TAG_OVERSIZED);
		notmuch_message_destroy(m);
		if (st == NOTMUCH_STATUS_SUCCESS)
			s->added++;
	} else if (access(abs, F_OK) != 0 && errno == ENOENT) {
		/* Renamed again before we got to it: a later operation in the
		 * queue indexes the new name. */
		ok = true;
	} else if (st == NOTMUCH_STATUS_FILE_NOT_EMAIL) {
		log_warn("store: %s is not an email; not indexed", rel);
		ok = true; /* nothing a retry would change */
	} else {
		log_error("store: cannot index %s: %s", rel, notmuch_status_to_string(st));
	}
	free(abs);
	return ok;
}

static bool apply_remove(store_t *s, const char *rel)
{
	char *abs = xasprintf("%s/%s", s->root, rel);
	notmuch_status_t st = nmsafe_database_remove_message(s->db, abs);
	free(abs);
	if (st == NOTMUCH_STATUS_SUCCESS || st == NOTMUCH_STATUS_DUPLICATE_MESSAGE_ID)
		return true;
	log_error("store: cannot remove %s from the index: %s", rel, notmuch_status_to_string(st));
	return false;
}

/* Drop the index entries of a query's messages whose files are gone;
 * false if the query cannot run. */
static bool drop_vanished(store_t *s, const char *query_string)
{
	notmuch_query_t *query = NULL;
	if (notmuch_query_create_with_syntax(s->db, query_string, NOTMUCH_QUERY_SYNTAX_XAPIAN, &query) !=
	    NOTMUCH_STATUS_SUCCESS)
		return false;
	notmuch_messages_t *ms = NULL;
	struct strbuf gone;
	strbuf_init(&gone);
	if (notmuch_query_search_messages(query, &ms) == NOTMUCH_STATUS_SUCCESS) {
		for (; notmuch_messages_valid(ms); notmuch_messages_move_to_next(ms)) {
			notmuch_message_t *m = notmuch_messages_get(ms);
			notmuch_filenames_t *fns = notmuch_message_get_filenames(m);
			for (; notmuch_filenames_valid(fns); notmuch_filenames_move_to_next(fns)) {
				const char *fn = notmuch_filenames_get(fns);
				if (access(fn, F_OK) != 0 && errno == ENOENT) {
					strbuf_adds(&gone, fn);
					strbuf_addc(&gone, '\n');
				}
			}
			notmuch_filenames_destroy(fns);
			notmuch_message_destroy(m);
		}
	}
	notmuch_query_destroy(query);
	/* Remove after the iteration: changing the index under a live query
	 * is not allowed. */
	for (char *save = NULL, *fn = gone.s ? strtok_r(gone.s, "\n", &save) : NULL; fn; fn = strtok_r(NULL, "\n", &save))
		nmsafe_database_remove_message(s->db, fn);
	strbuf_free(&gone);
	return true;
}

/* Drop every vanished file name under one folder ("<account>/<rel>"). */
static bool apply_prune(store_t *s, const char *folder)
{
	struct strbuf q;
	strbuf_init(&q);
	strbuf_adds(&q, "folder:\"");
	for (const char *p = folder; *p; p++) {
		if (*p == '"')
			strbuf_addc(&q, '"');
		strbuf_addc(&q, *p);
	}
	strbuf_addc(&q, '"');
	bool ok = drop_vanished(s, q.s);
	strbuf_free(&q);
	return ok;
}

/* Rename the file ourselves and re-index it: for files notmuch does not
 * know yet, and for T, which notmuch's flag table leaves alone. */
static bool flags_by_rename(store_t *s, struct op *o)
{
	const char *cur = strstr(o->path, "/cur/");
	if (!cur)
		cur = strstr(o->path, "/new/");
	if (!cur)
		return false;
	char *dir = xasprintf("%s/%.*s", s->root, (int)(cur - o->path), o->path);
	const char *name = cur + 1;
	struct maildir_name n;
	maildir_name_parse(name, &n);
	char *nn = NULL;
	bool ok = false;
	if (maildir_rename(dir, name, n.has_uid, n.uid, o->flags, &nn) == 0) {
		char *np = xasprintf("%.*s/%s", (int)(cur - o->path), o->path, nn);
		ok = apply_add(s, np, o->account, o->keywords);
		if (ok && strcmp(np, o->path) != 0)
			apply_remove(s, o->path);
		free(np);
		free(nn);
	} else if (errno == ENOENT) {
		ok = true; /* renamed or deleted meanwhile: a later pass sees it */
	}
	free(dir);
	return ok;
}

/* Give a file new flags through notmuch: set the tags, then let
 * nmsafe_message_tags_to_maildir_flags() rename the file and update the
 * index, which is far cheaper than indexing the renamed file again (it
 * re-reads the whole message). */
static bool apply_flags(store_t *s, struct op *o)
{
	char *abs = xasprintf("%s/%s", s->root, o->path);
	notmuch_message_t *m = NULL;
	notmuch_status_t st = notmuch_database_find_message_by_filename(s->db, abs, &m);
	struct maildir_name n;
	maildir_name_parse(o->path, &n);
	unsigned now = n.flags;
	bool trash_changes = ((now ^ o->flags) & MAILDIR_F_TRASHED) != 0;
	free(abs);
	if (st != NOTMUCH_STATUS_SUCCESS || !m || trash_changes) {
		if (m)
			notmuch_message_destroy(m);
		return flags_by_rename(s, o);
	}
	static const struct { const char *tag; unsigned bit; bool inverse; } map[] = {
		{ "draft", MAILDIR_F_DRAFT, false },   { "flagged", MAILDIR_F_FLAGGED, false },
		{ "passed", MAILDIR_F_PASSED, false }, { "replied", MAILDIR_F_REPLIED, false },
		{ "unread", MAILDIR_F_SEEN, true },
	};
	nmsafe_message_freeze(m);
	for (size_t i = 0; i < ARRAY_SIZE(map); i++) {
		bool on = ((o->flags & map[i].bit) != 0) != map[i].inverse;
		if (on)
			nmsafe_message_add_tag(m, map[i].tag);
		else
			nmsafe_message_remove_tag(m, map[i].tag);
	}
	add_keyword_tags(m, o->keywords);
	nmsafe_message_thaw(m);
	st = nmsafe_message_tags_to_maildir_flags(m);
	notmuch_message_destroy(m);
	if (st != NOTMUCH_STATUS_SUCCESS) {
		log_error("store: cannot rename %s for new flags: %s", o->path, notmuch_status_to_string(st));
		return false;
	}
	return true;
}

/* The reader's tag change on one message (o->path holds the Message-ID,
 * o->keywords the "+tag -tag" list): tags first, then the file names
 * follow (tags_to_maildir_flags), which is what the sync then pushes.
 * "+deleted" / "-deleted" are \Deleted, i.e. the T flag, which notmuch's
 * flag table does not cover, so those renames are done here. */
static bool apply_tag(store_t *s, struct op *o)
{
	notmuch_message_t *m = NULL;
	if (notmuch_database_find_message(s->db, o->path, &m) != NOTMUCH_STATUS_SUCCESS || !m) {
		log_warn("store: no message %s to tag", o->path);
		return true; /* gone meanwhile: nothing to do */
	}
	int trash = 0; /* +1 set T, -1 clear T */
	nmsafe_message_freeze(m);
	char *copy = xstrdup(o->keywords ? o->keywords : "");
	for (char *save = NULL, *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if ((*t != '+' && *t != '-') || !t[1])
			continue;
		if (strcmp(t + 1, "deleted") == 0)
			trash = *t == '+' ? 1 : -1;
		if (*t == '+')
			nmsafe_message_add_tag(m, t + 1);
		else
			nmsafe_message_remove_tag(m, t + 1);
	}
	free(copy);
	nmsafe_message_thaw(m);
	notmuch_status_t st = nmsafe_message_tags_to_maildir_flags(m);
	if (trash) {
		/* Collect first: renaming changes the message's file list. */
		struct strbuf names;
		strbuf_init(&names);
		notmuch_filenames_t *fns = notmuch_message_get_filenames(m);
		for (; notmuch_filenames_valid(fns); notmuch_filenames_move_to_next(fns)) {
			strbuf_adds(&names, notmuch_filenames_get(fns));
			strbuf_addc(&names, '\n');
		}
		notmuch_filenames_destroy(fns);
		size_t rl = strlen(s->root);
		for (char *save = NULL, *fn = names.s ? strtok_r(names.s, "\n", &save) : NULL; fn;
		     fn = strtok_r(NULL, "\n", &save)) {
			if (strncmp(fn, s->root, rl) != 0 || fn[rl] != '/')
				continue;
			struct maildir_name n;
			maildir_name_parse(fn, &n);
			unsigned fl = n.flags;
			fl = trash > 0 ? fl | MAILDIR_F_TRASHED : fl & ~MAILDIR_F_TRASHED;
			struct op fo = { .kind = OP_FLAGS, .path = fn + rl + 1, .flags = fl };
			flags_by_rename(s, &fo);
		}
		strbuf_free(&names);
	}
	notmuch_message_destroy(m);
	return st == NOTMUCH_STATUS_SUCCESS;
}

/* The sync's keyword change on one file's message (see store_retag). */
static bool apply_retag(store_t *s, struct op *o)
{
	char *abs = xasprintf("%s/%s", s->root, o->path);
	notmuch_message_t *m = NULL;
	notmuch_status_t st = notmuch_database_find_message_by_filename(s->db, abs, &m);
	free(abs);
	if (st != NOTMUCH_STATUS_SUCCESS || !m)
		return true; /* renamed or gone meanwhile: the next pass merges again */
	nmsafe_message_freeze(m);
	char *copy = xstrdup(o->keywords ? o->keywords : "");
	for (char *save = NULL, *t = strtok_r(copy, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		if ((*t != '+' && *t != '-') || !t[1])
			continue;
		if (*t == '+')
			nmsafe_message_add_tag(m, t + 1);
		else
			nmsafe_message_remove_tag(m, t + 1);
	}
	free(copy);
	nmsafe_message_thaw(m);
	notmuch_message_destroy(m);
	return true;
}

/* Index a file's new content again.  nmsafe_message_reindex() keeps the
 * tags, which removing and adding the file would lose (the message
 * document goes away with its last file name). */
static bool apply_reindex(store_t *s, struct op *o)
{
	char *abs = xasprintf("%s/%s", s->root, o->path);
	notmuch_message_t *m = NULL;
	notmuch_status_t st = notmuch_database_find_message_by_filename(s->db, abs, &m);
	struct mime_scan sc;
	bool over = mime_scan_file(abs, &sc, NULL) == MIME_OK && sc.limits;
	free(abs);
	if (st != NOTMUCH_STATUS_SUCCESS || !m)
		return apply_add(s, o->path, o->account, o->keywords); /* not indexed yet: a plain add */
	if (over) {
		/* nmsafe_message_reindex() would read the whole file: keep
		 * what the index has (the stub's header) and say so. */
		log_info("store: %s is over the MIME caps; not indexed again (its headers are)", o->path);
		nmsafe_message_add_tag(m, STORE_TAG_OVERSIZED);
		notmuch_message_destroy(m);
		return true;
	}
	notmuch_indexopts_t *io = index_opts(s);
	if (!io)
		io = notmuch_database_get_default_indexopts(s->db);
	st = nmsafe_message_reindex(m, io);
	if (io)
		notmuch_indexopts_destroy(io);
	notmuch_message_destroy(m);
	if (st != NOTMUCH_STATUS_SUCCESS) {
		log_error("store: cannot index %s again: %s", o->path, notmuch_status_to_string(st));
		return false;
	}
	return true;
}

/* Collect path -> tags for every file of one folder into o->query. */
static bool apply_query(store_t *s, struct op *o)
{
	struct tag_query *r = o->query;
	struct strbuf q;
	strbuf_init(&q);
	strbuf_adds(&q, "folder:\"");
	for (const char *p = o->path; *p; p++) {
		if (*p == '"')
			strbuf_addc(&q, '"');
		strbuf_addc(&q, *p);
	}
	strbuf_addc(&q, '"');
	notmuch_query_t *query = NULL;
	notmuch_status_t st = notmuch_query_create_with_syntax(s->db, q.s, NOTMUCH_QUERY_SYNTAX_XAPIAN, &query);
	strbuf_free(&q);
	if (st != NOTMUCH_STATUS_SUCCESS)
		return false;
	notmuch_messages_t *ms = NULL;
	size_t rl = strlen(s->root);
	size_t fl = strlen(o->path);
	if (notmuch_query_search_messages(query, &ms) == NOTMUCH_STATUS_SUCCESS) {
		r->ok = true;
		for (; notmuch_messages_valid(ms); notmuch_messages_move_to_next(ms)) {
			notmuch_message_t *m = notmuch_messages_get(ms);
			struct strbuf tags;
			strbuf_init(&tags);
			notmuch_tags_t *ts = notmuch_message_get_tags(m);
			for (; notmuch_tags_valid(ts); notmuch_tags_move_to_next(ts)) {
				if (tags.len)
					strbuf_addc(&tags, ' ');
				strbuf_adds(&tags, notmuch_tags_get(ts));
			}
			notmuch_tags_destroy(ts);
			notmuch_filenames_t *fns = notmuch_message_get_filenames(m);
			for (; notmuch_filenames_valid(fns); notmuch_filenames_move_to_next(fns)) {
				const char *fn = notmuch_filenames_get(fns);
				/* Only this folder's own files (the message may
				 * have copies elsewhere). */
				if (strncmp(fn, s->root, rl) != 0 || fn[rl] != '/' || strncmp(fn + rl + 1, o->path, fl) != 0 ||
				    fn[rl + 1 + fl] != '/')
					continue;
				if (r->n == r->cap) {
					r->cap = r->cap ? r->cap * 2 : 256;
					r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
				}
				r->v[r->n].path = xstrdup(fn + rl + 1);
				r->v[r->n].tags = xstrdup(tags.s ? tags.s : "");
				r->n++;
			}
			notmuch_filenames_destroy(fns);
			strbuf_free(&tags);
			notmuch_message_destroy(m);
		}
	}
	notmuch_query_destroy(query);
	return r->ok;
}

/* Tags a rebuilt index gets from elsewhere than the dump: the flag tags
 * from the file names (the source of truth for flags), account:<name>
 * from the path, and the tags notmuch derives from the content. */
static bool tag_not_from_dump(const char *t)
{
	static const char *const derived[] = { "unread", "flagged", "replied", "draft", "passed", "deleted",
					       "attachment", "signed", "encrypted" };
	for (size_t i = 0; i < ARRAY_SIZE(derived); i++)
		if (strcmp(t, derived[i]) == 0)
			return true;
	return strncmp(t, "account:", 8) == 0;
}

static bool apply_restore(store_t *s, struct op *o)
{
	if (tagdump_restore(s->db, o->path, tag_not_from_dump, o->restored) < 0) {
		log_error("store: cannot read the tag dump %s: %s", o->path, strerror(errno));
		return false;
	}
	return true;
}

static bool apply(store_t *s, struct op *o)
{
	switch (o->kind) {
	case OP_ADD:
		return apply_add(s, o->path, o->account, o->keywords);
	case OP_RENAME: {
		/* Add the new name first so the message (and its tags) never
		 * disappears from the index in between. */
		bool ok = apply_add(s, o->path, o->account, o->keywords);
		if (ok && strcmp(o->old_path, o->path) != 0)
			ok = apply_remove(s, o->old_path);
		return ok;
	}
	case OP_REMOVE:
		return apply_remove(s, o->path);
	case OP_PRUNE:
		return apply_prune(s, o->path);
	case OP_FLAGS:
		return apply_flags(s, o);
	case OP_TAG:
		return apply_tag(s, o);
	case OP_RETAG:
		return apply_retag(s, o);
	case OP_QUERY:
		return apply_query(s, o);
	case OP_REINDEX:
		return apply_reindex(s, o);
	case OP_RESTORE:
		return apply_restore(s, o);
	case OP_COMMIT:
		return true; /* after the batch's atomic section: see commit_now */
	}
	return false;
}

static int ensure_db(store_t *s, char **err);
static void drop_db(store_t *s);

static notmuch_status_t open_rw(const char *root, notmuch_database_t **db, char **msg)
{
	return notmuch_database_open_with_config(root, NOTMUCH_DATABASE_MODE_READ_WRITE, "", NULL, db, msg);
}

static pthread_once_t env_once = PTHREAD_ONCE_INIT;

static void set_flush_threshold(void)
{
	setenv("XAPIAN_FLUSH_THRESHOLD", FLUSH_THRESHOLD, 0); /* the user's value wins */
}

void store_global_init(void)
{
	pthread_once(&env_once, set_flush_threshold);
}

/* After a Xapian error (a full disk, a write error) the handle is not
 * trusted any more: close it (what was committed stays; an open atomic
 * section is cancelled by notmuch) and forget it.  The dirty marker stays,
 * so the next ensure_db() reopens the database and reconciles it with the
 * Maildirs, which re-adds whatever this batch lost. */
static void drop_db(store_t *s)
{
	if (!s->db)
		return;
	notmuch_status_t st = nmsafe_database_close(s->db);
	if (st != NOTMUCH_STATUS_SUCCESS)
		log_error("store: closing the notmuch database after an error: %s", notmuch_status_to_string(st));
	nmsafe_database_destroy(s->db);
	s->db = NULL;
	s->reopened = true;
	s->store_errors++;
}

/* store_commit(): notmuch has no commit call and commits an atomic
 * section only every database.autocommit (8000) sections, so what a
 * batch wrote stays invisible to other handles (the reader's) until the
 * database is closed.  Closing commits; the database is opened again at
 * once.  The dirty marker stays (we still write), and so does the stamp
 * we opened on (advance_stamps compares with it at the end). */
static void commit_now(store_t *s)
{
	long long t0 = now_us();
	notmuch_status_t st = nmsafe_database_close(s->db);
	nmsafe_database_destroy(s->db);
	s->db = NULL;
	char *msg = NULL;
	if (st == NOTMUCH_STATUS_SUCCESS)
		st = open_rw(s->root, &s->db, &msg);
	free(msg);
	if (st != NOTMUCH_STATUS_SUCCESS) {
		/* as after any Xapian error: the next batch reopens and
		 * reconciles with the Maildirs */
		log_error("store: committing the index: %s", notmuch_status_to_string(st));
		s->db = NULL;
		s->reopened = true;
		s->store_errors++;
	}
	s->n_commits++;
	s->t_commit_us += now_us() - t0;
}

/* Under s->mu: take up to BATCH_MAX queued operations; *n counts them. */
static struct op *take_batch(store_t *s, size_t *n)
{
	struct op *batch = s->head, *last = batch;
	*n = 1;
	while (last->next && *n < BATCH_MAX) {
		last = last->next;
		(*n)++;
	}
	s->head = last->next;
	if (!s->head)
		s->tail = NULL;
	last->next = NULL;
	s->queued -= *n;
	s->inflight = *n;
	pthread_cond_broadcast(&s->cv_done);
	return batch;
}

/* Apply a batch of n in one atomic section of the database (without
 * s->mu) and free it; *failed counts what failed.  false when there was
 * no database to apply it to (all failed). */
static bool apply_batch(store_t *s, struct op *batch, size_t n, size_t *failed)
{
	if (!s->db)
		ensure_db(s, NULL);
	notmuch_status_t st = NOTMUCH_STATUS_SUCCESS;
	if (s->db && (st = nmsafe_database_begin_atomic(s->db)) != NOTMUCH_STATUS_SUCCESS) {
		log_error("store: notmuch could not start a batch: %s", notmuch_status_to_string(st));
		drop_db(s);
	}
	*failed = s->db ? 0 : n;
	bool commit = false;
	for (struct op *o = batch, *nx; o; o = nx) {
		nx = o->next;
		commit |= o->kind == OP_COMMIT;
		if (s->db && !apply(s, o)) {
			(*failed)++;
			/* a file the index may lack: the next open reconciles */
			s->unindexed |= o->kind == OP_ADD || o->kind == OP_RENAME || o->kind == OP_REINDEX;
		}
		/* What the Maildir and the state cannot give back after a
		 * rebuild: the reader's tags, the merged keywords, a
		 * restored dump. */
		if (s->db && (o->kind == OP_TAG || o->kind == OP_RETAG || o->kind == OP_RESTORE))
			s->tags_dirty = true;
		op_free(o);
	}
	if (!s->db)
		return false;
	fault_point("store-batch");
	st = nmsafe_database_end_atomic(s->db);
	if (st != NOTMUCH_STATUS_SUCCESS) {
		/* Nothing of the batch is committed, and the handle is not
		 * usable any more (notmuch keeps the section open): start
		 * again from disk. */
		log_error("store: notmuch commit failed: %s", notmuch_status_to_string(st));
		*failed = n;
		drop_db(s);
	} else if (s->tags_dirty && tagdump_write(s->db, s->dump) >= 0) {
		s->tags_dirty = false;
	}
	if (commit && s->db)
		commit_now(s);
	if (s->changed)
		s->changed(s->changed_ud);
	return true;
}

static void *writer_main(void *arg)
{
	store_t *s = arg;
	pthread_mutex_lock(&s->mu);
	for (;;) {
		long long t0 = now_us();
		while (!s->head && !s->stop)
			pthread_cond_wait(&s->cv_work, &s->mu);
		long long t1 = now_us();
		s->t_idle_us += t1 - t0;
		if (!s->head && s->stop)
			break;
		size_t n;
		struct op *batch = take_batch(s, &n);
		s->took = true;
		pthread_mutex_unlock(&s->mu);
		if (fault_hit("writer-stall"))
			for (;;)
				pause(); /* tests: a fault_point() ends the process */
		size_t failed;
		bool applied = apply_batch(s, batch, n, &failed);
		pthread_mutex_lock(&s->mu);
		if (applied) {
			s->t_busy_us += now_us() - t1;
			s->n_batches++;
		}
		s->failures += failed;
		s->inflight = 0;
		pthread_cond_broadcast(&s->cv_done);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

static void enqueue(store_t *s, struct op *o)
{
	pthread_mutex_lock(&s->mu);
	if (s->queued >= QUEUE_MAX) {
		long long t0 = now_us();
		while (s->queued >= QUEUE_MAX)
			pthread_cond_wait(&s->cv_done, &s->mu);
		s->t_full_us += now_us() - t0;
	}
	if (s->tail)
		s->tail->next = o;
	else
		s->head = o;
	s->tail = o;
	s->queued++;
	pthread_cond_signal(&s->cv_work);
	pthread_mutex_unlock(&s->mu);
}

static struct op *op_new(enum op_kind k, const char *path, const char *account, const char *keywords)
{
	struct op *o = xcalloc(1, sizeof(*o));
	o->kind = k;
	o->path = xstrdup(path);
	o->account = account ? xstrdup(account) : NULL;
	o->keywords = keywords && *keywords ? xstrdup(keywords) : NULL;
	return o;
}

void store_add(store_t *s, const char *path, const char *account, const char *keywords)
{
	enqueue(s, op_new(OP_ADD, path, account, keywords));
}

void store_rename(store_t *s, const char *old_path, const char *new_path, const char *account,
		  const char *keywords)
{
	struct op *o = op_new(OP_RENAME, new_path, account, keywords);
	o->old_path = xstrdup(old_path);
	enqueue(s, o);
}

void store_remove(store_t *s, const char *path)
{
	enqueue(s, op_new(OP_REMOVE, path, NULL, NULL));
}

void store_set_flags(store_t *s, const char *path, unsigned flags, const char *account, const char *keywords)
{
	struct op *o = op_new(OP_FLAGS, path, account, keywords);
	o->flags = flags;
	enqueue(s, o);
}

/* store_tag() calls in this process, over every store: process-wide, so
 * that a store closed and another opened at the same address can never
 * look unchanged. */
static unsigned long tag_gen;

void store_tag(store_t *s, const char *message_id, const char *changes)
{
	__atomic_add_fetch(&tag_gen, 1, __ATOMIC_SEQ_CST);
	enqueue(s, op_new(OP_TAG, message_id, NULL, changes));
}

void store_commit(store_t *s)
{
	enqueue(s, op_new(OP_COMMIT, "", NULL, NULL));
}

void store_prune(store_t *s, const char *folder)
{
	enqueue(s, op_new(OP_PRUNE, folder, NULL, NULL));
}

void store_retag(store_t *s, const char *path, const char *changes)
{
	enqueue(s, op_new(OP_RETAG, path, NULL, changes));
}

void store_reindex(store_t *s, const char *path)
{
	enqueue(s, op_new(OP_REINDEX, path, NULL, NULL));
}

void store_reindex_file(store_t *s, const char *path, const char *account, const char *keywords)
{
	enqueue(s, op_new(OP_REINDEX, path, account, keywords));
}

int store_restore_tags(store_t *s, const char *dump, struct tagdump_restored *out)
{
	struct op *o = op_new(OP_RESTORE, dump, NULL, NULL);
	out->messages = (size_t)-1; /* stays so when the writer could not run it */
	o->restored = out;
	enqueue(s, o);
	return store_flush(s) == 0 && out->messages != (size_t)-1 ? 0 : -1;
}

const char *store_dump_path(const store_t *s)
{
	return s->dump;
}

static int tagged_cmp(const void *a, const void *b)
{
	return strcmp(((const struct store_tagged *)a)->path, ((const struct store_tagged *)b)->path);
}

int store_folder_tags(store_t *s, const char *folder, struct store_tagged **out, size_t *n)
{
	struct tag_query *q = xcalloc(1, sizeof(*q));
	struct op *o = op_new(OP_QUERY, folder, NULL, NULL);
	o->query = q;
	enqueue(s, o);
	/* Wait without taking the failure count, which belongs to
	 * store_flush()'s caller. */
	pthread_mutex_lock(&s->mu);
	while (s->head || s->inflight)
		pthread_cond_wait(&s->cv_done, &s->mu);
	if (!q->ok && s->failures)
		s->failures--; /* a failed query is reported here, not as a lost write */
	pthread_mutex_unlock(&s->mu);
	*out = NULL;
	*n = 0;
	if (!q->ok) {
		store_tagged_free(&q->v, q->n);
		free(q);
		return -1;
	}
	if (q->n > 1)
		qsort(q->v, q->n, sizeof(*q->v), tagged_cmp);
	*out = q->v;
	*n = q->n;
	free(q);
	return 0;
}

void store_tagged_free(struct store_tagged **v, size_t n)
{
	if (!*v)
		return;
	for (size_t i = 0; i < n; i++) {
		free((*v)[i].path);
		free((*v)[i].tags);
	}
	free(*v);
	*v = NULL;
}

unsigned long store_tag_generation(const store_t *s)
{
	(void)s;
	return __atomic_load_n(&tag_gen, __ATOMIC_SEQ_CST);
}

void store_index_stamp(const store_t *s, char out[96])
{
	char *p = xasprintf("%s/.notmuch/xapian/iamglass", s->root);
	struct stat st;
	out[0] = '\0';
	if (stat(p, &st) == 0)
		snprintf(out, 96, "%llu:%llu:%lld.%09ld", (unsigned long long)st.st_ino,
			 (unsigned long long)st.st_size, (long long)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
	free(p);
}

bool store_recovered(const store_t *s)
{
	return s->recovered;
}

size_t store_flush(store_t *s)
{
	pthread_mutex_lock(&s->mu);
	while (s->head || s->inflight)
		pthread_cond_wait(&s->cv_done, &s->mu);
	size_t f = s->failures;
	s->failures = 0;
	pthread_mutex_unlock(&s->mu);
	return f;
}

size_t store_added(const store_t *s)
{
	return s->added;
}

void store_set_index_decrypt(store_t *s, bool on)
{
	__atomic_store_n(&s->index_decrypt, on, __ATOMIC_RELEASE);
}

void store_set_changed(store_t *s, store_changed_fn fn, void *ud)
{
	s->changed = fn;
	s->changed_ud = ud;
}

/* ---- reconciling after a crash ---- */

/* new/NAME left by a crash during header-only indexing: the header copy
 * (it starts with INDEX_COPY_MARK) or a second link to cur/NAME.  Anything
 * else of that name is left alone (and never listed by the sync). */
static void remove_index_copy(store_t *s, const char *rel, const char *name)
{
	char *p = xasprintf("%s/%s/new/%s", s->root, rel, name);
	struct stat st;
	char head[sizeof(INDEX_COPY_MARK) - 1];
	bool ours = false;
	FILE *f = fopen(p, "re");
	if (f) {
		ours = fread(head, 1, sizeof(head), f) == sizeof(head) && memcmp(head, INDEX_COPY_MARK, sizeof(head)) == 0;
		fclose(f);
	}
	if (!ours && stat(p, &st) == 0 && st.st_nlink > 1)
		ours = true; /* removing one of two links loses nothing */
	if (ours) {
		nmsafe_database_remove_message(s->db, p);
		unlink(p);
		log_info("store: removed %s/new/%s, left by an interrupted header-only indexing", rel, name);
	} else {
		log_warn("store: %s/new/%s looks like a header-only indexing copy but is not one; left alone", rel, name);
	}
	free(p);
}

/* Index every file of one Maildir (dir relative to root) that the
 * database does not know. */
static void reconcile_maildir(store_t *s, const char *rel, const char *account)
{
	static const char *const subs[] = { "cur", "new" };
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char *d = xasprintf("%s/%s/%s", s->root, rel, subs[i]);
		DIR *dh = opendir(d);
		free(d);
		if (!dh)
			continue;
		struct dirent *de;
		while ((de = readdir(dh))) {
			if (de->d_name[0] == '.')
				continue;
			if (i == 1 && maildir_is_index_copy_name(de->d_name)) {
				remove_index_copy(s, rel, de->d_name);
				continue;
			}
			char *frel = xasprintf("%s/%s/%s", rel, subs[i], de->d_name);
			char *abs = xasprintf("%s/%s", s->root, frel);
			notmuch_message_t *m = NULL;
			if (notmuch_database_find_message_by_filename(s->db, abs, &m) == NOTMUCH_STATUS_SUCCESS &&
			    m)
				notmuch_message_destroy(m);
			else if (!apply_add(s, frel, account, NULL))
				s->unindexed = true;
			free(abs);
			free(frel);
		}
		closedir(dh);
	}
}

/* Drop index entries whose files are gone. */
static void reconcile_vanished(store_t *s)
{
	drop_vanished(s, "*");
}

static void reconcile(store_t *s)
{
	log_info("store: the last sync did not finish; checking the index against the Maildirs");
	s->recovered = true;
	if (nmsafe_database_begin_atomic(s->db) != NOTMUCH_STATUS_SUCCESS) {
		drop_db(s);
		return;
	}
	char **dirs = NULL;
	size_t n = 0;
	maildir_find_tree(s->root, "", &dirs, &n); /* "<account>/<folder...>" */
	for (size_t i = 0; i < n; i++) {
		size_t al = strcspn(dirs[i], "/");
		char *account = xstrndup(dirs[i], al);
		if (*dirs[i]) /* not data_dir/mail itself */
			reconcile_maildir(s, dirs[i], account);
		free(account);
		free(dirs[i]);
	}
	free(dirs);
	reconcile_vanished(s);
	notmuch_status_t st = nmsafe_database_end_atomic(s->db);
	if (st != NOTMUCH_STATUS_SUCCESS) {
		log_error("store: notmuch could not commit the reconciled index: %s", notmuch_status_to_string(st));
		drop_db(s); /* tried again at the next batch */
		return;
	}
	s->reopened = false;
}

/* A stamp file's content ("" when it cannot be read). */
static void read_stamp(const char *path, char out[96])
{
	out[0] = '\0';
	FILE *f = fopen(path, "re");
	if (!f)
		return;
	size_t n = fread(out, 1, 95, f);
	out[n] = '\0';
	fclose(f);
}

static int write_marker(const char *path)
{
	return util_write_file_atomic(path, "1\n", 2, 0600);
}

int store_mark_dirty(store_t *s)
{
	pthread_mutex_lock(&s->mu);
	int r = 0;
	if (!s->marked) {
		/* present already: left by a crash, and reconciled at the open */
		if (access(s->dirty, F_OK) == 0 || write_marker(s->dirty) == 0)
			s->marked = true;
		else
			r = -1;
	}
	int e = errno;
	pthread_mutex_unlock(&s->mu);
	errno = e;
	return r;
}

/* Why the database cannot be opened for writing, in words the user can act
 * on: a read-only place is not "another writer". */
static char *open_error(const char *root, notmuch_status_t st, const char *msg)
{
	char *xapian = xasprintf("%s/.notmuch/xapian", root);
	const char *ro = access(root, W_OK) != 0 ? root : access(xapian, W_OK) != 0 && errno != ENOENT ? xapian : NULL;
	char *e = ro ? xasprintf("%s is not writable (%s); muttlike keeps its mail and notmuch index there: make "
				 "it writable or set data_dir to a writable place",
				 ro, strerror(errno))
		     : xasprintf("cannot open the notmuch database in %s for writing (%s%s%s); is another "
				 "muttlike or notmuch writing to it?",
				 root, notmuch_status_to_string(st), msg ? ": " : "", msg ? msg : "");
	free(xapian);
	return e;
}

/* Open (or create) the database if not open yet; on the first open of a
 * run, reconcile after a crash or leave the dirty marker.  0, or -1 with
 * *err (caller frees) when err is not NULL. */
static int ensure_db(store_t *s, char **err)
{
	if (s->db)
		return 0;
	char *msg = NULL;
	char *nmdir = xasprintf("%s/.notmuch", s->root);
	bool exists = access(nmdir, F_OK) == 0;
	free(nmdir);
	/* notmuch reports a missing database as a generic file error. */
	notmuch_status_t st = NOTMUCH_STATUS_NO_DATABASE;
	if (exists)
		st = open_rw(s->root, &s->db, &msg);
	if (st == NOTMUCH_STATUS_NO_DATABASE) {
		free(msg);
		msg = NULL;
		st = notmuch_database_create_with_config(s->root, "", NULL, &s->db, &msg);
	}
	if (st != NOTMUCH_STATUS_SUCCESS) {
		char *e = open_error(s->root, st, msg);
		size_t n = strlen(e);
		if (n && e[n - 1] == '\n')
			e[n - 1] = '\0';
		log_error("store: %s", e);
		if (err)
			*err = e;
		else
			free(e);
		free(msg);
		s->db = NULL;
		return -1;
	}
	free(msg);
	/* While we hold the database for writing nobody else commits, so the
	 * stamp now tells what the index was before our writes (see
	 * advance_stamps). */
	store_index_stamp(s, s->open_stamp);
	s->open_gen = store_tag_generation(s);
	/* Someone else (notmuch tag, a store that could not finish) wrote
	 * since the dump was current: write it after the next batch. */
	char dumped[96];
	read_stamp(s->dump_stamp, dumped);
	if (!s->open_stamp[0] || strcmp(dumped, s->open_stamp) != 0)
		s->tags_dirty = true;
	pthread_mutex_lock(&s->mu);
	bool ours = s->marked;
	pthread_mutex_unlock(&s->mu);
	if (s->reopened || (!ours && access(s->dirty, F_OK) == 0))
		reconcile(s);
	else if (store_mark_dirty(s) < 0) {
		/* Without the marker a crash would go unnoticed: no writes. */
		log_error("store: cannot write %s: %s", s->dirty, strerror(errno));
		if (err)
			*err = xasprintf("cannot write %s: %s", s->dirty, strerror(errno));
		nmsafe_database_destroy(s->db);
		s->db = NULL;
		return -1;
	}
	return s->db ? 0 : -1;
}

static void store_free(store_t *s)
{
	free(s->root);
	free(s->dirty);
	free(s->state_dir);
	free(s->dump);
	free(s->dump_stamp);
	free(s);
}

enum store_status store_open(const char *mail_root, const char *state_dir, store_t **out, char **err)
{
	*out = NULL;
	*err = NULL;
	if (util_mkdirs(mail_root, 0700) < 0 || util_mkdirs(state_dir, 0700) < 0) {
		*err = xasprintf("cannot create %s: %s", mail_root, strerror(errno));
		return STORE_ERR_IO;
	}
	store_global_init();
	store_t *s = xcalloc(1, sizeof(*s));
	s->root = xstrdup(mail_root);
	s->dirty = xasprintf("%s/store.dirty", state_dir);
	s->state_dir = xstrdup(state_dir);
	s->dump = xasprintf("%s/tags.dump", state_dir);
	s->dump_stamp = xasprintf("%s/tags.dump.stamp", state_dir);
	/* The database is opened now only when it must be created or a crash
	 * left it unreconciled; otherwise on the first write, so that a
	 * no-op sync never opens it (and never takes its lock). */
	char *nmdir = xasprintf("%s/.notmuch", mail_root);
	bool exists = access(nmdir, F_OK) == 0;
	free(nmdir);
	pthread_mutex_init(&s->mu, NULL); /* ensure_db() takes it */
	pthread_cond_init(&s->cv_work, NULL);
	pthread_cond_init(&s->cv_done, NULL);
	if (!exists || access(s->dirty, F_OK) == 0) {
		if (ensure_db(s, err) < 0) {
			store_free(s);
			return STORE_ERR_DB;
		}
	}
	if (pthread_create(&s->thread, NULL, writer_main, s) != 0) {
		*err = xstrdup("cannot start the store writer thread");
		if (s->db)
			nmsafe_database_destroy(s->db);
		store_free(s);
		return STORE_ERR_IO;
	}
	*out = s;
	return STORE_OK;
}

/* Our commit changed the index stamp.  An account whose sync recorded
 * the stamp we opened on (state_dir/<account>/index.stamp: "no unmerged
 * tag change at this stamp") is still clean afterwards if nothing but the
 * sync wrote in between (no store_tag(), no crash recovery): the sync's
 * own writes set tags to what its state records.  Carry the stamp forward,
 * so that the pass after a writing pass need not read every tag again. */
static void advance_stamps(store_t *s)
{
	if (!s->open_stamp[0] || s->recovered || store_tag_generation(s) != s->open_gen)
		return;
	char now[96];
	store_index_stamp(s, now);
	if (!now[0] || strcmp(now, s->open_stamp) == 0)
		return;
	DIR *dh = opendir(s->state_dir);
	struct dirent *de;
	while (dh && (de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		char *p = xasprintf("%s/%s/index.stamp", s->state_dir, de->d_name);
		char old[96];
		read_stamp(p, old);
		if (old[0] && strcmp(old, s->open_stamp) == 0)
			util_write_file_atomic(p, now, strlen(now), 0600);
		free(p);
	}
	if (dh)
		closedir(dh);
}

/* After a clean commit: the dump holds every tag the Maildir and the
 * state cannot give back as of this commit, unless a change is not in it
 * yet (its write failed).  Without a valid stamp the next open dumps. */
static void record_dump_stamp(store_t *s)
{
	char now[96];
	store_index_stamp(s, now);
	if (!s->tags_dirty && now[0] && access(s->dump, F_OK) == 0)
		util_write_file_atomic(s->dump_stamp, now, strlen(now), 0600);
	else
		unlink(s->dump_stamp);
}

int store_close(store_t **sp)
{
	store_t *s = *sp;
	int result = 0;
	if (!s)
		return 0;
	pthread_mutex_lock(&s->mu);
	s->stop = true;
	pthread_cond_signal(&s->cv_work);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->thread, NULL);
	long long tc = now_us();
	/* Only a clean commit proves the index matches the Maildirs (and a
	 * store that never opened the database changed nothing). */
	if (s->db) {
		notmuch_status_t st = nmsafe_database_close(s->db);
		nmsafe_database_destroy(s->db);
		if (st == NOTMUCH_STATUS_SUCCESS) {
			/* After a failed index write the marker stays, so the
			 * next open indexes those files (reconcile). */
			if (!s->unindexed)
				unlink(s->dirty);
			advance_stamps(s);
			record_dump_stamp(s);
		} else {
			/* The marker stays: the next open reconciles. */
			log_error("store: notmuch could not commit the index in %s: %s", s->root,
				  notmuch_status_to_string(st));
			result = -1;
		}
	} else if (s->marked && !s->took) {
		unlink(s->dirty); /* store_mark_dirty(), then nothing to write */
	}
	if (s->store_errors)
		result = -1;
	if (getenv("MUTTLIKE_TIMING"))
		log_info("store: timing: writer busy %.2f s in %zu batches, idle %.2f s; producers waited %.2f s for "
			 "room; close %.2f s; %zu added; %zu commits before the close took %.2f s",
			 s->t_busy_us / 1e6, s->n_batches, s->t_idle_us / 1e6, s->t_full_us / 1e6,
			 (now_us() - tc) / 1e6, s->added, s->n_commits, s->t_commit_us / 1e6);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->cv_work);
	pthread_cond_destroy(&s->cv_done);
	store_free(s);
	*sp = NULL;
	return result;
}
