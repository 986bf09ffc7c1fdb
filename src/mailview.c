/* mailview.c - read-only notmuch access for the reader, loaded lazily. */
#include "mailview.h"

#include <dirent.h>
#include <errno.h>
#include <notmuch.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "maildir.h"
#include "mime.h"
#include "text.h"
#include "util.h"

#define MV_TREE_MAX_DEPTH 64
/* Address completion reads To and Cc from the files: bound the scan so the
 * first Tab costs at most this much, however big the store. */
#define MV_ADDR_SCAN_MAX 5000
#define MV_ADDR_SCAN_MS 400
#define MV_ADDR_HEAD_MAX (64 * 1024)
/* Xapian readers see one revision; when the writer has committed twice
 * since, reading blocks of it fails (DatabaseModifiedError, which notmuch
 * reports as a failed call or a NULL entry) until the handle is reopened. */
#define MV_REOPEN_TRIES 3

/* Which commit of the store a handle sees: the Xapian version file,
 * which the writer replaces at every commit. */
struct mv_stamp {
	long long sec, nsec;
	unsigned long long ino, size;
};

struct mailview {
	notmuch_database_t *db; /* owned, read-only */
	char *path;             /* owned */
	char *version_file;     /* owned: .notmuch/xapian/iamglass */
	struct mv_stamp seen;   /* the version file when the handle was (re)opened */
	unsigned gen;           /* reopens so far */
	struct addr_list addrs; /* owned: completion cache, filled on first use */
	bool addrs_done;
};

struct mv_list {
	mailview_t *mv;            /* foreign */
	char *query_str;           /* owned */
	enum mv_mode mode;
	enum mv_sort sort;
	notmuch_query_t *query;    /* owned (talloc child of the db) */
	notmuch_threads_t *threads; /* owned by query */
	notmuch_messages_t *msgs;   /* owned by query */
	bool complete;
	bool failed;               /* the store changed under us: no more entries */
	unsigned gen;              /* mv->gen when opened: a list does not outlive a reopen */
	unsigned messages;
	struct mv_entry *v;        /* owned */
	size_t n, cap;
};

static notmuch_query_t *make_query(mailview_t *mv, const char *query, enum mv_sort sort);

static struct mv_stamp stamp_of(const char *file)
{
	struct stat st;
	struct mv_stamp t = { 0 };
	if (stat(file, &st) == 0) {
		t.sec = st.st_mtim.tv_sec;
		t.nsec = st.st_mtim.tv_nsec;
		t.ino = st.st_ino;
		t.size = (unsigned long long)st.st_size;
	}
	return t;
}

/* Has the writer committed since the handle was (re)opened?  Then a read
 * may meet blocks the writer has reused.  notmuch reports that as a
 * failed call or a NULL, except in notmuch_threads_get, which then hands
 * back a thread it has already freed (notmuch 0.37, thread.cc: the
 * thread's own search fails after the thread was allocated): so that is
 * never called on a store that moved. */
static bool store_moved(mailview_t *mv)
{
	/* One commit after the check is harmless: Xapian reuses the blocks of
	 * a revision only while writing the one after next. */
	struct mv_stamp now = stamp_of(mv->version_file);
	return memcmp(&now, &mv->seen, sizeof(now)) != 0;
}

static char *clean(const char *s)
{
	if (!s)
		return xstrdup("");
	return text_sanitize(s, strlen(s), false);
}

char *mailview_unreadable(const char *db_path, const char *why)
{
	char *w = xstrdup(why);
	w[strcspn(w, "\n")] = '\0';
	char *line = xasprintf("The index in %s/.notmuch cannot be read (%s); every message is in the Maildir: "
			       "run 'muttlike reindex' to rebuild it",
			       db_path, w);
	free(w);
	return line;
}

enum mv_status mailview_open(const char *db_path, mailview_t **out, char **err)
{
	*out = NULL;
	/* .notmuch without xapian/ is a damaged index, not a new one */
	char *nmdir = xasprintf("%s/.notmuch", db_path);
	struct stat st;
	bool exists = stat(nmdir, &st) == 0;
	free(nmdir);
	if (!exists) {
		if (err)
			*err = xasprintf("No mail yet: run a sync first (no store at %s)", db_path);
		return MV_ERR_NO_DB;
	}
	char *vfile = xasprintf("%s/.notmuch/xapian/iamglass", db_path);
	struct mv_stamp seen = stamp_of(vfile); /* before opening: a commit in between shows as a change */
	free(vfile);
	notmuch_database_t *db = NULL;
	char *msg = NULL;
	/* "" as the config path: ignore the user's own notmuch config */
	notmuch_status_t s = notmuch_database_open_with_config(db_path, NOTMUCH_DATABASE_MODE_READ_ONLY, "", NULL,
							       &db, &msg);
	if (s != NOTMUCH_STATUS_SUCCESS) {
		if (err)
			*err = mailview_unreadable(db_path, msg ? msg : notmuch_status_to_string(s));
		free(msg);
		if (db)
			notmuch_database_destroy(db);
		return MV_ERR_OPEN;
	}
	free(msg);
	mailview_t *mv = xcalloc(1, sizeof(*mv));
	mv->db = db;
	mv->path = xstrdup(db_path);
	mv->version_file = xasprintf("%s/.notmuch/xapian/iamglass", db_path);
	mv->seen = seen;
	addr_list_init(&mv->addrs);
	*out = mv;
	return MV_OK;
}

void mailview_free(mailview_t **pmv)
{
	mailview_t *mv = *pmv;
	if (!mv)
		return;
	notmuch_database_destroy(mv->db);
	free(mv->path);
	free(mv->version_file);
	addr_list_clear(&mv->addrs);
	free(mv);
	*pmv = NULL;
}

enum mv_status mailview_reopen(mailview_t *mv)
{
	/* a writer committing at this moment can make one attempt fail */
	notmuch_status_t s = NOTMUCH_STATUS_SUCCESS;
	/* lists opened before stay readable but stop growing: their thread
	 * iterators hold document ids of the old revision */
	mv->gen++;
	for (int attempt = 0; attempt < MV_REOPEN_TRIES; attempt++) {
		if (attempt)
			usleep(5000u << attempt);
		struct mv_stamp seen = stamp_of(mv->version_file);
		s = notmuch_database_reopen(mv->db, NOTMUCH_DATABASE_MODE_READ_ONLY);
		if (s == NOTMUCH_STATUS_SUCCESS) {
			mv->seen = seen;
			return MV_OK;
		}
	}
	log_warn("mailview: reopen failed: %s", notmuch_status_to_string(s));
	return MV_ERR_OPEN;
}

const char *mailview_path(const mailview_t *mv)
{
	return mv->path;
}

unsigned long mailview_revision(mailview_t *mv)
{
	return notmuch_database_get_revision(mv->db, NULL);
}

bool mailview_count(mailview_t *mv, const char *query, unsigned *count)
{
	notmuch_status_t s = NOTMUCH_STATUS_OUT_OF_MEMORY;
	for (int attempt = 0; attempt < 2; attempt++) {
		notmuch_query_t *q = notmuch_query_create(mv->db, query);
		if (!q)
			return false;
		s = notmuch_query_count_messages(q, count);
		notmuch_query_destroy(q);
		/* failed because the writer moved on: once more on its latest commit */
		if (s != NOTMUCH_STATUS_XAPIAN_EXCEPTION || !store_moved(mv) || mailview_reopen(mv) != MV_OK)
			break;
	}
	return s == NOTMUCH_STATUS_SUCCESS;
}

char **mailview_all_tags(mailview_t *mv)
{
	size_t n = 0;
	char **v = xcalloc(1, sizeof(*v));
	notmuch_tags_t *t = notmuch_database_get_all_tags(mv->db);
	for (; t && notmuch_tags_valid(t); notmuch_tags_move_to_next(t)) {
		v = xreallocarray(v, n + 2, sizeof(*v));
		v[n++] = clean(notmuch_tags_get(t));
		v[n] = NULL;
	}
	if (t)
		notmuch_tags_destroy(t);
	return v;
}

/* The entry of dir whose name has the stem of name (everything but the
 * flags), then ":2," or nothing (new path), or NULL. */
static char *find_same_base(const char *dir, const struct maildir_name *name)
{
	DIR *d = opendir(dir);
	char *found = NULL;
	for (struct dirent *de; d && !found && (de = readdir(d));) {
		struct maildir_name n;
		maildir_name_parse(de->d_name, &n);
		if (n.stem_len == name->stem_len && strncmp(n.base, name->base, n.stem_len) == 0 &&
		    (n.info || !n.base[n.stem_len]))
			found = xasprintf("%s/%s", dir, de->d_name);
	}
	if (d)
		closedir(d);
	return found;
}

char *mailview_current_file(const char *recorded)
{
	if (access(recorded, F_OK) == 0)
		return xstrdup(recorded);
	const char *slash = strrchr(recorded, '/');
	if (!slash || !slash[1])
		return NULL;
	struct maildir_name name;
	maildir_name_parse(slash + 1, &name);
	size_t dir_len = (size_t)(slash - recorded);
	char *dir = xasprintf("%.*s", (int)dir_len, recorded);
	char *found = find_same_base(dir, &name);
	/* a message in new/ moves to cur/ when it gets flags (and a sync may
	 * move it back): the folder's other directory */
	bool in_cur = dir_len >= 4 && strcmp(dir + dir_len - 4, "/cur") == 0;
	if (!found && (in_cur || (dir_len >= 4 && strcmp(dir + dir_len - 4, "/new") == 0))) {
		memcpy(dir + dir_len - 3, in_cur ? "new" : "cur", 3);
		found = find_same_base(dir, &name);
	}
	free(dir);
	return found;
}

char *mailview_message_file(mailview_t *mv, const char *message_id)
{
	notmuch_message_t *m = NULL;
	if (notmuch_database_find_message(mv->db, message_id, &m) != NOTMUCH_STATUS_SUCCESS || !m)
		return NULL;
	char *r = NULL, *first = NULL;
	notmuch_filenames_t *fs = notmuch_message_get_filenames(m);
	for (; fs && !r && notmuch_filenames_valid(fs); notmuch_filenames_move_to_next(fs)) {
		const char *f = notmuch_filenames_get(fs);
		if (!first)
			first = xstrdup(f);
		r = mailview_current_file(f);
	}
	if (fs)
		notmuch_filenames_destroy(fs);
	notmuch_message_destroy(m);
	if (r) {
		free(first);
		return r;
	}
	return first; /* gone for good: callers report it when they open it */
}

/* notmuch's query for query_str (Xapian syntax), newest first, and its
 * messages; MV_ERR_QUERY / MV_ERR_OPEN with *err as mailview_search says. */
static enum mv_status search_messages(mailview_t *mv, const char *query_str, notmuch_query_t **query,
				      notmuch_messages_t **ms, char **err)
{
	*ms = NULL;
	notmuch_status_t st = notmuch_query_create_with_syntax(mv->db, query_str, NOTMUCH_QUERY_SYNTAX_XAPIAN, query);
	if (st == NOTMUCH_STATUS_SUCCESS) {
		notmuch_query_set_sort(*query, NOTMUCH_SORT_NEWEST_FIRST);
		st = notmuch_query_search_messages(*query, ms);
	}
	if (st == NOTMUCH_STATUS_SUCCESS)
		return MV_OK;
	if (st == NOTMUCH_STATUS_XAPIAN_EXCEPTION) {
		*err = mailview_unreadable(mv->path, notmuch_status_to_string(st));
		return MV_ERR_OPEN;
	}
	*err = xstrdup(notmuch_status_to_string(st));
	return MV_ERR_QUERY;
}

enum mv_status mailview_search(mailview_t *mv, const char *query_str, mv_hit_fn fn, void *ud, char **err)
{
	*err = NULL;
	notmuch_query_t *query = NULL;
	notmuch_messages_t *ms = NULL;
	enum mv_status st = search_messages(mv, query_str, &query, &ms, err);
	for (; st == MV_OK && notmuch_messages_valid(ms); notmuch_messages_move_to_next(ms)) {
		notmuch_message_t *m = notmuch_messages_get(ms);
		struct mv_hit h = { .date = notmuch_message_get_date(m),
				    .from = notmuch_message_get_header(m, "from"),
				    .subject = notmuch_message_get_header(m, "subject"),
				    .file = notmuch_message_get_filename(m) };
		fn(&h, ud);
		notmuch_message_destroy(m);
	}
	if (query)
		notmuch_query_destroy(query);
	return st;
}

/* The header block of a message file: up to the first blank line, at
 * most MV_ADDR_HEAD_MAX bytes (new string), or NULL. */
static char *read_head(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct strbuf b;
	strbuf_init(&b);
	char line[4096];
	while (b.len < MV_ADDR_HEAD_MAX && fgets(line, sizeof(line), f)) {
		strbuf_adds(&b, line);
		if (line[0] == '\n' || (line[0] == '\r' && line[1] == '\n'))
			break;
	}
	fclose(f);
	*len = b.len;
	return b.s ? strbuf_detach(&b) : NULL;
}

/* From, To and Cc of one message, read by our MIME parser (decoded, and
 * safe on hostile input).  The file itself, not notmuch's header cache:
 * notmuch reads To and Cc from the recorded name, which a flag change
 * may have renamed (see mailview_current_file). */
static void add_file_addrs(struct addr_list *all, const char *recorded)
{
	static const enum mime_header hs[] = { MIME_H_FROM, MIME_H_TO, MIME_H_CC };
	char *path = mailview_current_file(recorded);
	size_t len = 0;
	char *head = path ? read_head(path, &len) : NULL;
	mime_msg_t *m = NULL;
	if (head && mime_msg_parse(head, len, &m) == MIME_OK) {
		for (size_t h = 0; h < ARRAY_SIZE(hs); h++) {
			const struct mime_addrlist *l = mime_msg_addrs(m, hs[h]);
			for (size_t i = 0; i < l->n; i++)
				if (*l->v[i].mailbox)
					addr_list_add(all, l->v[i].name, l->v[i].mailbox);
		}
	}
	mime_msg_free(&m);
	free(head);
	free(path);
}

static void collect_addresses(mailview_t *mv)
{
	notmuch_query_t *q = make_query(mv, "*", MV_NEWEST_FIRST);
	notmuch_messages_t *ms = NULL;
	if (!q || notmuch_query_search_messages(q, &ms) != NOTMUCH_STATUS_SUCCESS)
		ms = NULL;
	long start = util_now_ms();
	for (size_t k = 0; ms && notmuch_messages_valid(ms) && k < MV_ADDR_SCAN_MAX && mv->addrs.n < ADDR_MAX;
	     k++, notmuch_messages_move_to_next(ms)) {
		notmuch_message_t *m = notmuch_messages_get(ms);
		const char *f = m ? notmuch_message_get_filename(m) : NULL;
		if (f)
			add_file_addrs(&mv->addrs, f);
		if (m)
			notmuch_message_destroy(m);
		if (util_now_ms() - start > MV_ADDR_SCAN_MS)
			break;
	}
	if (q)
		notmuch_query_destroy(q);
}

const struct addr_list *mailview_addresses(mailview_t *mv)
{
	if (!mv->addrs_done) {
		collect_addresses(mv);
		mv->addrs_done = true;
	}
	return &mv->addrs;
}

unsigned mv_flags_from_tag(const char *tag)
{
	static const struct {
		const char *tag;
		unsigned flag;
	} map[] = { { "unread", MV_UNREAD },         { "flagged", MV_FLAGGED }, { "replied", MV_REPLIED },
		    { "attachment", MV_ATTACHMENT }, { "deleted", MV_DELETED }, { "passed", MV_PASSED },
		    { "inbox", MV_INBOX } };
	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (strcmp(tag, map[i].tag) == 0)
			return map[i].flag;
	return 0;
}

/* Split tags into flag bits and the rest (space-joined, sanitized). */
static void read_tags(notmuch_tags_t *t, struct mv_entry *e)
{
	struct strbuf b;
	strbuf_init(&b);
	for (; t && notmuch_tags_valid(t); notmuch_tags_move_to_next(t)) {
		const char *tag = notmuch_tags_get(t);
		/* notmuch's own crypto tags: marks in the index, and tags still */
		e->flags |= strcmp(tag, "signed") == 0 ? MV_SIGNED : strcmp(tag, "encrypted") == 0 ? MV_ENCRYPTED : 0;
		unsigned f = mv_flags_from_tag(tag);
		if (f) {
			e->flags |= f;
			continue;
		}
		if (strncmp(tag, "account:", 8) == 0)
			continue; /* the store's bookkeeping, not the user's */
		if (b.len)
			strbuf_addc(&b, ' ');
		strbuf_adds(&b, tag);
	}
	e->tags = text_sanitize(b.s ? b.s : "", b.len, false);
	strbuf_free(&b);
}

static struct mv_entry *push_entry(mv_list_t *l)
{
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->v = xreallocarray(l->v, l->cap, sizeof(*l->v));
	}
	struct mv_entry *e = &l->v[l->n++];
	memset(e, 0, sizeof(*e));
	return e;
}

/* notmuch_thread_get_authors joins the authors of matched messages with
 * ", " and puts "| " before those of the others ("Ann, Bob| Carol"); the
 * index lists them all alike.  notmuch writes the separator once, after
 * the matched authors, so the first "| " is it. */
static char *thread_authors(notmuch_thread_t *t)
{
	const char *a = notmuch_thread_get_authors(t);
	if (!a)
		return xstrdup("");
	const char *bar = strstr(a, "| ");
	if (!bar)
		return clean(a);
	char *joined = xasprintf("%.*s, %s", (int)(bar - a), a, bar + 2);
	char *out = clean(joined);
	free(joined);
	return out;
}

static void entry_from_thread(struct mv_entry *e, notmuch_thread_t *t)
{
	e->id = xstrdup(notmuch_thread_get_thread_id(t));
	e->from = thread_authors(t);
	e->subject = clean(notmuch_thread_get_subject(t));
	e->date = notmuch_thread_get_newest_date(t);
	e->total = (unsigned)notmuch_thread_get_total_messages(t);
	e->matched = (unsigned)notmuch_thread_get_matched_messages(t);
	notmuch_tags_t *tags = notmuch_thread_get_tags(t);
	read_tags(tags, e);
	if (tags)
		notmuch_tags_destroy(tags);
}

static void entry_from_message(struct mv_entry *e, notmuch_message_t *m)
{
	const char *id = notmuch_message_get_message_id(m);
	e->id = xstrdup(id ? id : "");
	const char *f = notmuch_message_get_filename(m);
	e->file = f ? xstrdup(f) : NULL;
	e->from = clean(notmuch_message_get_header(m, "from"));
	e->subject = clean(notmuch_message_get_header(m, "subject"));
	e->date = notmuch_message_get_date(m);
	e->total = e->matched = 1;
	notmuch_tags_t *tags = notmuch_message_get_tags(m);
	read_tags(tags, e);
	if (tags)
		notmuch_tags_destroy(tags);
	notmuch_bool_t match = FALSE;
	if (notmuch_message_get_flag_st(m, NOTMUCH_MESSAGE_FLAG_MATCH, &match) == NOTMUCH_STATUS_SUCCESS && match)
		e->flags |= MV_MATCH;
}

static notmuch_query_t *make_query(mailview_t *mv, const char *query, enum mv_sort sort)
{
	notmuch_query_t *q = notmuch_query_create(mv->db, query && *query ? query : "*");
	/* LAST_DATE reverses the newest-first list */
	if (q)
		notmuch_query_set_sort(q, sort == MV_OLDEST_FIRST ? NOTMUCH_SORT_OLDEST_FIRST
								  : NOTMUCH_SORT_NEWEST_FIRST);
	return q;
}

bool mv_sort_reorders(enum mv_sort sort)
{
	return sort != MV_NEWEST_FIRST && sort != MV_OLDEST_FIRST;
}

static notmuch_status_t list_search(mv_list_t *l)
{
	notmuch_status_t s = notmuch_query_count_messages(l->query, &l->messages);
	if (s == NOTMUCH_STATUS_SUCCESS)
		s = l->mode == MV_THREADS ? notmuch_query_search_threads(l->query, &l->threads)
					  : notmuch_query_search_messages(l->query, &l->msgs);
	return s;
}

mv_list_t *mv_list_open(mailview_t *mv, const char *query, enum mv_mode mode, enum mv_sort sort, char **err)
{
	if (store_moved(mv))
		mailview_reopen(mv); /* read the latest commit, not one that may be going away */
	notmuch_query_t *q = make_query(mv, query, sort);
	if (!q) {
		*err = xstrdup("out of memory creating the query");
		return NULL;
	}
	mv_list_t *l = xcalloc(1, sizeof(*l));
	l->mv = mv;
	l->query_str = xstrdup(query && *query ? query : "*");
	l->mode = mode;
	l->sort = sort;
	l->query = q;
	l->gen = mv->gen;
	notmuch_status_t s = list_search(l);
	if (s == NOTMUCH_STATUS_XAPIAN_EXCEPTION && store_moved(mv) && mailview_reopen(mv) == MV_OK) {
		/* most likely the writer moved on: once more on the latest revision */
		notmuch_query_destroy(l->query);
		l->query = make_query(mv, query, sort);
		l->gen = mv->gen;
		l->threads = NULL;
		l->msgs = NULL;
		s = l->query ? list_search(l) : NOTMUCH_STATUS_OUT_OF_MEMORY;
	}
	if (s == NOTMUCH_STATUS_XAPIAN_EXCEPTION) {
		*err = mailview_unreadable(mv->path, notmuch_status_to_string(s));
		mv_list_free(&l);
		return NULL;
	}
	if (s != NOTMUCH_STATUS_SUCCESS) {
		*err = xasprintf("query '%s' failed: %s", l->query_str, notmuch_status_to_string(s));
		mv_list_free(&l);
		return NULL;
	}
	return l;
}

static int cmp_subject(const void *a, const void *b)
{
	const struct mv_entry *x = a, *y = b;
	const char *sx = x->subject, *sy = y->subject;
	while (strncasecmp(sx, "re: ", 4) == 0)
		sx += 4;
	while (strncasecmp(sy, "re: ", 4) == 0)
		sy += 4;
	int c = strcasecmp(sx, sy);
	return c ? c : (x->date < y->date) - (x->date > y->date);
}

static int cmp_from(const void *a, const void *b)
{
	const struct mv_entry *x = a, *y = b;
	int c = strcasecmp(x->from, y->from);
	return c ? c : (x->date < y->date) - (x->date > y->date);
}

static void reverse(struct mv_entry *v, size_t n)
{
	for (size_t i = 0; i < n / 2; i++) {
		struct mv_entry t = v[i];
		v[i] = v[n - 1 - i];
		v[n - 1 - i] = t;
	}
}

static void finish_list(mv_list_t *l)
{
	l->complete = true;
	enum mv_sort s = l->sort;
	if (l->n && (s == MV_SORT_SUBJECT || s == MV_SORT_REVERSE_SUBJECT))
		qsort(l->v, l->n, sizeof(*l->v), cmp_subject);
	else if (l->n && (s == MV_SORT_FROM || s == MV_SORT_REVERSE_FROM))
		qsort(l->v, l->n, sizeof(*l->v), cmp_from);
	if (s == MV_SORT_REVERSE_SUBJECT || s == MV_SORT_REVERSE_FROM || s == MV_SORT_LAST_DATE)
		reverse(l->v, l->n);
}

static bool fill_one(mv_list_t *l)
{
	if (l->gen != l->mv->gen || store_moved(l->mv)) {
		l->failed = true;
		return false;
	}
	if (l->threads) {
		if (!notmuch_threads_valid(l->threads))
			return false;
		notmuch_thread_t *t = notmuch_threads_get(l->threads);
		if (!t) {
			l->failed = true; /* a Xapian exception: not the end of the list */
			return false;
		}
		entry_from_thread(push_entry(l), t);
		notmuch_thread_destroy(t);
		notmuch_threads_move_to_next(l->threads);
		return true;
	}
	if (!l->msgs || !notmuch_messages_valid(l->msgs))
		return false;
	notmuch_message_t *m = notmuch_messages_get(l->msgs);
	if (!m) {
		l->failed = true;
		return false;
	}
	entry_from_message(push_entry(l), m);
	notmuch_message_destroy(m);
	notmuch_messages_move_to_next(l->msgs);
	return true;
}

size_t mv_list_fill(mv_list_t *l, size_t max, int budget_ms)
{
	if (l->complete || l->failed)
		return 0;
	long start = budget_ms > 0 ? util_now_ms() : 0;
	size_t added = 0;
	while (added < max) {
		if (!fill_one(l)) {
			if (!l->failed)
				finish_list(l);
			break;
		}
		added++;
		if (budget_ms > 0 && (added & 7) == 0 && util_now_ms() - start >= budget_ms)
			break;
	}
	return added;
}

bool mv_list_complete(const mv_list_t *l)
{
	return l->complete;
}

bool mv_list_failed(const mv_list_t *l)
{
	return l->failed;
}

size_t mv_list_count(const mv_list_t *l)
{
	return l->n;
}

unsigned mv_list_messages(const mv_list_t *l)
{
	return l->messages;
}

struct mv_entry *mv_list_entry(mv_list_t *l, size_t i)
{
	return i < l->n ? &l->v[i] : NULL;
}

size_t mv_list_find(const mv_list_t *l, const char *id)
{
	for (size_t i = 0; id && i < l->n; i++)
		if (strcmp(l->v[i].id, id) == 0)
			return i;
	return (size_t)-1;
}

const char *mv_list_query(const mv_list_t *l)
{
	return l->query_str;
}

enum mv_mode mv_list_mode(const mv_list_t *l)
{
	return l->mode;
}

void mv_list_free(mv_list_t **pl)
{
	mv_list_t *l = *pl;
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		struct mv_entry *e = &l->v[i];
		free(e->id);
		free(e->file);
		free(e->from);
		free(e->subject);
		free(e->tags);
		free(e->tree);
	}
	free(l->v);
	if (l->query)
		notmuch_query_destroy(l->query);
	free(l->query_str);
	free(l);
	*pl = NULL;
}

/* ---- one thread, in reply order ---- */

static char *tree_prefix(const bool *more, int depth, bool last)
{
	struct strbuf b;
	strbuf_init(&b);
	for (int i = 1; i < depth; i++)
		strbuf_adds(&b, more[i] ? "\xe2\x94\x82 " : "  "); /* "│ " */
	if (depth > 0)
		strbuf_adds(&b, last ? "\xe2\x94\x94\xe2\x94\x80>" : "\xe2\x94\x9c\xe2\x94\x80>"); /* └─> ├─> */
	return strbuf_detach(&b);
}

static const char *const subject_prefixes[] = { "re", "aw", "sv", "fwd", "fw", NULL };

/* Depth-first walk with an explicit stack: a reply chain thousands deep
 * must not overflow the C stack.  Depth beyond the cap is shown at the cap. */
static void walk_thread(mv_list_t *l, notmuch_messages_t *top)
{
	notmuch_messages_t *stack[MV_TREE_MAX_DEPTH + 1];
	bool more[MV_TREE_MAX_DEPTH + 1] = { 0 };
	const char *subj[MV_TREE_MAX_DEPTH + 1] = { 0 }; /* each level's last subject, stripped (in l->v's strings) */
	int sp = 0;
	stack[0] = top;
	while (sp >= 0) {
		notmuch_messages_t *it = stack[sp];
		if (!it || !notmuch_messages_valid(it)) {
			sp--;
			continue;
		}
		notmuch_message_t *m = notmuch_messages_get(it);
		notmuch_messages_move_to_next(it);
		bool last = !notmuch_messages_valid(it);
		more[sp] = !last;
		struct mv_entry *e = push_entry(l);
		entry_from_message(e, m);
		e->depth = sp;
		e->last_child = last;
		e->tree = tree_prefix(more, sp, last);
		subj[sp] = text_subject_strip(e->subject, subject_prefixes);
		e->same_subject = sp > 0 && subj[sp - 1] && strcasecmp(subj[sp], subj[sp - 1]) == 0;
		notmuch_messages_t *replies = notmuch_message_get_replies(m);
		if (replies && notmuch_messages_valid(replies)) {
			if (sp < MV_TREE_MAX_DEPTH)
				stack[++sp] = replies;
			else
				stack[sp] = replies; /* keep the depth, drop the rest of this level */
		}
	}
}

mv_list_t *mv_list_thread(mailview_t *mv, const char *thread_id, const char *query, char **err)
{
	/* Match against the folder's query so the thread view can mark what matched. */
	char *q = query && *query && strcmp(query, "*") != 0 ? xasprintf("thread:%s and (%s)", thread_id, query)
							     : xasprintf("thread:%s", thread_id);
	mv_list_t *l = NULL;
	for (int attempt = 0; attempt < MV_REOPEN_TRIES; attempt++) {
		l = mv_list_open(mv, q, MV_THREADS, MV_OLDEST_FIRST, err);
		if (!l || !store_moved(mv))
			break;
		mv_list_free(&l); /* a commit since the open: see store_moved */
	}
	free(q);
	if (!l) {
		if (!*err)
			*err = xstrdup("the mail store kept changing while it was read; try again");
		return NULL;
	}
	l->mode = MV_MESSAGES;
	if (notmuch_threads_valid(l->threads)) {
		notmuch_thread_t *t = notmuch_threads_get(l->threads);
		if (t) {
			walk_thread(l, notmuch_thread_get_toplevel_messages(t));
			notmuch_thread_destroy(t);
		}
	}
	l->threads = NULL;
	l->complete = true;
	return l;
}
