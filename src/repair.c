/* repair.c - muttlike reindex and muttlike doctor, offline. */
#include "repair.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <notmuch.h>

#include "log.h"
#include "maildir.h"
#include "state.h"
#include "store.h"
#include "tagdump.h"
#include "nmsafe.h"
#include "util.h"

/* ---- paths and folders ---- */

struct paths {
	char *mail;  /* data_dir/mail: the Maildirs and .notmuch */
	char *state; /* data_dir/state */
};

static void paths_init(struct paths *p, const conf_t *c)
{
	char *data = conf_data_dir(c);
	p->mail = xasprintf("%s/mail", data);
	p->state = xasprintf("%s/state", data);
	free(data);
}

static void paths_clear(struct paths *p)
{
	free(p->mail);
	free(p->state);
}

/* One Maildir of an account, with the state its sync keeps. */
struct folder {
	char *acct_dir; /* owned: the account's directory name */
	char *account;  /* owned: the account's name (the account:<name> tag) */
	char *rel;      /* owned: "<acct_dir>/<folder relpath>", relative to the mail root */
	state_t *st;
	struct maildir_list files;
};

static void folder_clear(struct folder *f)
{
	free(f->acct_dir);
	free(f->account);
	free(f->rel);
	state_free(&f->st);
	maildir_list_clear(&f->files);
}

/* The keywords the state recorded for a file (NULL: none). */
static const char *file_keywords(const struct folder *f, const struct maildir_entry *e)
{
	const struct state_msg *m = e->has_uid && e->uid ? state_get(f->st, e->uid) : NULL;
	return m ? m->keywords : NULL;
}

/* Load the state and list the files of the Maildir root/rel. */
static void folder_load(struct folder *f, const struct paths *p, const char *acct_dir, const char *account,
			const char *rel)
{
	memset(f, 0, sizeof(*f));
	f->acct_dir = xstrdup(acct_dir);
	f->account = xstrdup(account);
	f->rel = xstrdup(rel);
	const char *frel = rel + strlen(acct_dir) + (rel[strlen(acct_dir)] == '/');
	char *sdir = xasprintf("%s/%s", p->state, acct_dir);
	char *sp = state_path(sdir, frel);
	if (state_load(sp, &f->st) != STATE_OK && state_count(f->st) == 0)
		log_debug("repair: no usable state %s", sp);
	free(sp);
	free(sdir);
	char *dir = xasprintf("%s/%s", p->mail, rel);
	if (maildir_scan(dir, &f->files) < 0)
		log_warn("repair: cannot list %s: %s", dir, strerror(errno));
	free(dir);
}

/* The Maildirs below one account directory ("<acct_dir>/...", the
 * account directory itself only if it is a Maildir). */
static void account_maildirs(const struct paths *p, const char *acct_dir, char ***dirs, size_t *n)
{
	*dirs = NULL;
	*n = 0;
	maildir_find_tree(p->mail, acct_dir, dirs, n);
}

/* The account directories under the mail root, with their names. */
struct acct {
	char *dir, *name;
};

static size_t every_account_dir(const struct paths *p, struct acct **out)
{
	*out = NULL;
	size_t n = 0;
	DIR *d = opendir(p->mail);
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *full = xasprintf("%s/%s", p->mail, de->d_name);
		struct stat st;
		bool dir = stat(full, &st) == 0 && S_ISDIR(st.st_mode);
		free(full);
		if (!dir)
			continue;
		*out = xreallocarray(*out, n + 1, sizeof(**out));
		char *name = maildir_component_name(de->d_name);
		(*out)[n].dir = xstrdup(de->d_name);
		(*out)[n].name = name ? name : xstrdup(de->d_name);
		n++;
	}
	if (d)
		closedir(d);
	return n;
}

static size_t conf_accounts(const conf_t *c, long account, struct acct **out)
{
	size_t first = account < 0 ? 0 : (size_t)account;
	size_t end = account < 0 ? conf_account_count(c) : first + 1;
	*out = xcalloc(end - first + 1, sizeof(**out));
	for (size_t i = first; i < end; i++) {
		(*out)[i - first].name = xstrdup(conf_account_name(c, i));
		(*out)[i - first].dir = maildir_safe_component((*out)[i - first].name);
	}
	return end - first;
}

static void accts_free(struct acct *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].dir);
		free(v[i].name);
	}
	free(v);
}

/* ---- the index as it is ---- */

enum index_health { INDEX_OK, INDEX_MISSING, INDEX_LOCKED, INDEX_BROKEN };

/* Whether another process holds Xapian's write lock (notmuch would wait
 * for it): Xapian takes an fcntl lock on xapian/flintlock. */
static bool index_locked(const char *mail)
{
	char *lock = xasprintf("%s/.notmuch/xapian/flintlock", mail);
	int fd = open(lock, O_RDWR | O_CLOEXEC);
	free(lock);
	if (fd < 0)
		return false;
	struct flock fl = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	bool held = fcntl(fd, F_OFD_GETLK, &fl) == 0 && fl.l_type != F_UNLCK;
	close(fd);
	return held;
}

/* Open the index for writing and read it through; with dump set, write
 * the tag dump from it while it can still be read. */
static enum index_health index_probe(const char *mail, const char *dump, char **why)
{
	*why = NULL;
	char *nm = xasprintf("%s/.notmuch", mail);
	bool exists = access(nm, F_OK) == 0;
	free(nm);
	if (!exists)
		return INDEX_MISSING;
	if (index_locked(mail)) {
		*why = xstrdup("another program holds its write lock");
		return INDEX_LOCKED;
	}
	notmuch_database_t *db = NULL;
	char *msg = NULL;
	notmuch_status_t st =
		notmuch_database_open_with_config(mail, NOTMUCH_DATABASE_MODE_READ_WRITE, "", NULL, &db, &msg);
	if (st != NOTMUCH_STATUS_SUCCESS) {
		*why = xasprintf("%s", msg ? msg : notmuch_status_to_string(st));
		size_t n = strlen(*why);
		if (n && (*why)[n - 1] == '\n')
			(*why)[n - 1] = '\0';
		free(msg);
		if (db)
			nmsafe_database_destroy(db);
		return INDEX_BROKEN;
	}
	free(msg);
	enum index_health h = INDEX_OK;
	notmuch_query_t *q = NULL;
	unsigned count = 0;
	if (notmuch_query_create_with_syntax(db, "*", NOTMUCH_QUERY_SYNTAX_XAPIAN, &q) != NOTMUCH_STATUS_SUCCESS ||
	    notmuch_query_count_messages(q, &count) != NOTMUCH_STATUS_SUCCESS)
		h = INDEX_BROKEN;
	if (q)
		notmuch_query_destroy(q);
	if (h == INDEX_OK && dump && tagdump_write(db, dump) < 0)
		h = INDEX_BROKEN;
	if (h == INDEX_BROKEN)
		*why = xstrdup("A Xapian exception occurred reading it");
	nmsafe_database_destroy(db);
	return h;
}

/* ---- reindex ---- */

struct reindex {
	const struct paths *p;
	store_t *store;
	repair_progress_fn progress;
	void *ud;
	size_t total, done;
	struct repair_reindex_result *r;
};

/* Queue every file of one account's Maildirs; in_place: index again
 * (tags kept) and drop entries whose file is gone. */
static void reindex_account(struct reindex *x, const struct acct *a, bool count_only, bool in_place)
{
	char **dirs;
	size_t n;
	account_maildirs(x->p, a->dir, &dirs, &n);
	for (size_t i = 0; i < n; i++) {
		struct folder f;
		folder_load(&f, x->p, a->dir, a->name, dirs[i]);
		if (count_only) {
			x->total += f.files.n;
		} else {
			x->r->folders++;
			for (size_t k = 0; k < f.files.n; k++) {
				char *path = xasprintf("%s/%s", f.rel, f.files.v[k].name);
				const char *kw = file_keywords(&f, &f.files.v[k]);
				if (in_place)
					store_reindex_file(x->store, path, f.account, kw);
				else
					store_add(x->store, path, f.account, kw);
				free(path);
				x->r->files++;
				if (x->progress && (++x->done % 64 == 0 || x->done == x->total))
					x->progress(x->done, x->total, x->ud);
			}
			if (in_place)
				store_prune(x->store, f.rel);
		}
		folder_clear(&f);
		free(dirs[i]);
	}
	free(dirs);
}

static void reindex_all(struct reindex *x, const struct acct *v, size_t n, bool in_place)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < n; i++)
			reindex_account(x, &v[i], pass == 0, in_place);
	if (x->progress && x->total)
		x->progress(x->total, x->total, x->ud);
}

/* Move the database aside and take the dump that will be restored out
 * of the store's way (the new store rewrites tags.dump as it goes).  A
 * rebuild cut short leaves tags.dump.rebuild: the next one restores it. */
static int set_aside(const struct paths *p, const char *dump, const char *pending, struct repair_reindex_result *r,
		     char **err)
{
	if (access(pending, F_OK) != 0 && access(dump, F_OK) == 0 && rename(dump, pending) < 0) {
		*err = xasprintf("cannot rename %s: %s", dump, strerror(errno));
		return -1;
	}
	char *nm = xasprintf("%s/.notmuch", p->mail);
	if (access(nm, F_OK) == 0) {
		char when[32];
		time_t now = time(NULL);
		struct tm tm;
		strftime(when, sizeof(when), "%Y%m%d-%H%M%S", localtime_r(&now, &tm));
		r->aside = xasprintf("%s/.notmuch.%s-%s", p->mail, r->was_readable ? "old" : "broken", when);
		for (int i = 2; access(r->aside, F_OK) == 0; i++) {
			free(r->aside);
			r->aside = xasprintf("%s/.notmuch.%s-%s-%d", p->mail, r->was_readable ? "old" : "broken", when, i);
		}
		if (rename(nm, r->aside) < 0) {
			*err = xasprintf("cannot move %s aside: %s", nm, strerror(errno));
			xfree(&r->aside);
			free(nm);
			return -1;
		}
	}
	free(nm);
	/* The markers describe the old database. */
	char *m = xasprintf("%s/store.dirty", p->state);
	unlink(m);
	free(m);
	m = xasprintf("%s/tags.dump.stamp", p->state);
	unlink(m);
	free(m);
	return 0;
}

static int rebuild(struct reindex *x, char **err)
{
	const struct paths *p = x->p;
	struct repair_reindex_result *r = x->r;
	char *dump = xasprintf("%s/tags.dump", p->state), *pending = xasprintf("%s/tags.dump.rebuild", p->state);
	int rc = -1;
	r->rebuilt = true;
	if (set_aside(p, dump, pending, r, err) < 0)
		goto out;
	char *e = NULL;
	if (store_open(p->mail, p->state, &x->store, &e) != STORE_OK) {
		*err = e;
		goto out;
	}
	struct acct *v;
	size_t n = every_account_dir(p, &v);
	reindex_all(x, v, n, false);
	accts_free(v, n);
	r->failed = store_flush(x->store);
	if (access(pending, F_OK) == 0) {
		struct tagdump_restored tr;
		r->dump_found = true;
		if (store_restore_tags(x->store, pending, &tr) == 0) {
			r->tags_restored = tr.messages;
			r->tags_missing = tr.missing;
		} else {
			r->failed++;
		}
	}
	if (store_close(&x->store) < 0) {
		*err = xasprintf("the new index in %s/.notmuch could not be committed (disk full?)", p->mail);
		goto out;
	}
	/* The store wrote the restored tags to tags.dump; until then the old
	 * dump is the only copy. */
	if (access(pending, F_OK) == 0 && r->failed == 0 && access(dump, F_OK) == 0)
		unlink(pending);
	rc = r->failed ? -1 : 0;
	if (rc < 0)
		*err = xasprintf("%zu files or tags could not be indexed (see the log); run muttlike reindex again",
				 r->failed);
out:
	free(dump);
	free(pending);
	return rc;
}

static int in_place(struct reindex *x, const conf_t *c, long account, char **err)
{
	x->r->rebuilt = false;
	char *e = NULL;
	if (store_open(x->p->mail, x->p->state, &x->store, &e) != STORE_OK) {
		*err = e;
		return -1;
	}
	struct acct *v;
	size_t n = conf_accounts(c, account, &v);
	reindex_all(x, v, n, true);
	accts_free(v, n);
	x->r->failed = store_flush(x->store);
	if (store_close(&x->store) < 0) {
		*err = xasprintf("the index in %s/.notmuch could not be committed (disk full?)", x->p->mail);
		return -1;
	}
	if (x->r->failed)
		*err = xasprintf("%zu files could not be indexed (see the log)", x->r->failed);
	return x->r->failed ? -1 : 0;
}

int repair_reindex(const conf_t *c, long account, repair_progress_fn progress, void *ud,
		   struct repair_reindex_result *r, char **err)
{
	memset(r, 0, sizeof(*r));
	*err = NULL;
	struct paths p;
	paths_init(&p, c);
	if (util_mkdirs(p.state, 0700) < 0) {
		*err = xasprintf("cannot create %s: %s", p.state, strerror(errno));
		paths_clear(&p);
		return -1;
	}
	struct reindex x = { .p = &p, .progress = progress, .ud = ud, .r = r };
	char *pending = xasprintf("%s/tags.dump.rebuild", p.state), *dump = xasprintf("%s/tags.dump", p.state);
	/* After a rebuild that did not finish, the index holds part of the
	 * mail and the dump to restore is tags.dump.rebuild: never dump
	 * the partial index over it. */
	bool resumed = access(pending, F_OK) == 0;
	char *why = NULL;
	enum index_health h = index_probe(p.mail, resumed || account >= 0 ? NULL : dump, &why);
	int rc = -1;
	if (h == INDEX_LOCKED) {
		*err = xasprintf("the index in %s/.notmuch is in use (%s); stop the sync or the reader and try again",
				 p.mail, why);
	} else {
		r->was_readable = h == INDEX_OK && !resumed;
		if (h == INDEX_BROKEN)
			log_warn("reindex: the index in %s/.notmuch cannot be read (%s); rebuilding it", p.mail, why);
		rc = account >= 0 && r->was_readable ? in_place(&x, c, account, err) : rebuild(&x, err);
	}
	free(why);
	free(pending);
	free(dump);
	paths_clear(&p);
	return rc;
}

void repair_reindex_result_clear(struct repair_reindex_result *r)
{
	xfree(&r->aside);
}

/* ---- doctor ---- */

struct doctor {
	const struct paths *p;
	store_t *store;   /* NULL: the index is not checked */
	repair_finding_fn fn;
	void *ud;
	struct repair_doctor_result *r;
	const struct acct *a;
};

static void found(struct doctor *d, enum repair_kind k, const char *folder, const char *what, unsigned long uid,
		  bool repaired)
{
	struct repair_finding f = { .kind = k, .account = d->a ? d->a->name : NULL, .folder = folder,
				    .what = what, .uid = uid, .repaired = repaired };
	d->r->found++;
	if (repaired)
		d->r->repaired++;
	d->fn(&f, d->ud);
}

static size_t list_tmp(const char *dir, char ***names)
{
	char *t = xasprintf("%s/tmp", dir);
	DIR *dh = opendir(t);
	free(t);
	size_t n = 0;
	*names = NULL;
	struct dirent *de;
	while (dh && (de = readdir(dh))) {
		if (de->d_name[0] == '.')
			continue;
		*names = xreallocarray(*names, n + 1, sizeof(**names));
		(*names)[n++] = xstrdup(de->d_name);
	}
	if (dh)
		closedir(dh);
	return n;
}

/* Stale tmp/ files: removed by the sync's own rule (maildir_clean_tmp). */
static void doctor_tmp(struct doctor *d, const struct folder *f)
{
	char *dir = xasprintf("%s/%s", d->p->mail, f->rel);
	char **names;
	size_t n = list_tmp(dir, &names);
	if (n && maildir_clean_tmp(dir, time(NULL))) {
		for (size_t i = 0; i < n; i++) {
			char *path = xasprintf("%s/tmp/%s", dir, names[i]);
			if (access(path, F_OK) != 0) {
				char *what = xasprintf("tmp/%s", names[i]);
				found(d, REPAIR_STALE_TMP, f->rel, what, 0, true);
				free(what);
			}
			free(path);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
	free(dir);
}

/* Files against the state: UIDs twice, UIDs the state lacks, state UIDs
 * without a file. */
static void doctor_state(struct doctor *d, struct folder *f)
{
	const struct maildir_list *l = &f->files;
	for (size_t i = 0; i < l->n; i++) {
		const struct maildir_entry *e = &l->v[i];
		if (!e->has_uid || !e->uid)
			continue; /* a local message waiting for upload, or an orphan */
		if (i + 1 < l->n && l->v[i + 1].has_uid && l->v[i + 1].uid == e->uid)
			found(d, REPAIR_DUPLICATE_UID, f->rel, l->v[i + 1].name, e->uid, false);
		if (!state_get(f->st, e->uid))
			found(d, REPAIR_NOT_IN_STATE, f->rel, e->name, e->uid, false);
	}
	for (size_t i = 0; i < state_count(f->st); i++) {
		uint32_t uid = state_at(f->st, i)->uid;
		if (!maildir_list_find(&f->files, uid))
			found(d, REPAIR_FILE_GONE, f->rel, NULL, uid, false);
	}
}

static int tagged_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, ((const struct store_tagged *)b)->path);
}

/* Files against the index: index what it lacks, drop what is gone. */
static void doctor_index(struct doctor *d, struct folder *f)
{
	struct store_tagged *t = NULL;
	size_t nt = 0;
	if (store_folder_tags(d->store, f->rel, &t, &nt) != 0) {
		found(d, REPAIR_INDEX_UNREADABLE, NULL, NULL, 0, false);
		d->store = NULL; /* said once */
		return;
	}
	for (size_t i = 0; i < f->files.n; i++) {
		char *path = xasprintf("%s/%s", f->rel, f->files.v[i].name);
		if (!nt || !bsearch(&path, t, nt, sizeof(*t), tagged_cmp)) {
			store_add(d->store, path, f->account, file_keywords(f, &f->files.v[i]));
			found(d, REPAIR_UNINDEXED, f->rel, f->files.v[i].name, f->files.v[i].uid, true);
		}
		free(path);
	}
	bool dead = false;
	for (size_t i = 0; i < nt; i++) {
		char *abs = xasprintf("%s/%s", d->p->mail, t[i].path);
		if (access(abs, F_OK) != 0 && errno == ENOENT) {
			found(d, REPAIR_DEAD_ENTRY, f->rel, t[i].path + strlen(f->rel) + 1, 0, true);
			dead = true;
		}
		free(abs);
	}
	if (dead)
		store_prune(d->store, f->rel);
	store_tagged_free(&t, nt);
}

/* The folders a state file names that have no Maildir here. */
static void doctor_stateless_dirs(struct doctor *d, char **dirs, size_t n)
{
	char *sdir = xasprintf("%s/%s", d->p->state, d->a->dir);
	DIR *dh = opendir(sdir);
	struct dirent *de;
	while (dh && (de = readdir(dh))) {
		size_t len = strlen(de->d_name);
		if (len <= 6 || strcmp(de->d_name + len - 6, ".state") != 0)
			continue;
		struct strbuf rel;
		strbuf_init(&rel);
		strbuf_addf(&rel, "%s/", d->a->dir);
		for (size_t i = 0; i < len - 6; i++) {
			if (strncmp(de->d_name + i, "%2F", 3) == 0) {
				strbuf_addc(&rel, '/');
				i += 2;
			} else {
				strbuf_addc(&rel, de->d_name[i]);
			}
		}
		bool known = false;
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(dirs[i], rel.s) == 0;
		if (!known) {
			struct folder f;
			folder_load(&f, d->p, d->a->dir, d->a->name, rel.s);
			doctor_state(d, &f);
			folder_clear(&f);
		}
		strbuf_free(&rel);
	}
	if (dh)
		closedir(dh);
	free(sdir);
}

static void doctor_account(struct doctor *d)
{
	char **dirs;
	size_t n;
	account_maildirs(d->p, d->a->dir, &dirs, &n);
	for (size_t i = 0; i < n; i++) {
		struct folder f;
		folder_load(&f, d->p, d->a->dir, d->a->name, dirs[i]);
		d->r->folders++;
		d->r->files += f.files.n;
		doctor_tmp(d, &f);
		doctor_state(d, &f);
		if (d->store)
			doctor_index(d, &f);
		folder_clear(&f);
	}
	doctor_stateless_dirs(d, dirs, n);
	for (size_t i = 0; i < n; i++)
		free(dirs[i]);
	free(dirs);
}

int repair_doctor(const conf_t *c, long account, repair_finding_fn fn, void *ud, struct repair_doctor_result *r,
		  char **err)
{
	memset(r, 0, sizeof(*r));
	*err = NULL;
	struct paths p;
	paths_init(&p, c);
	struct doctor d = { .p = &p, .fn = fn, .ud = ud, .r = r };
	char *why = NULL;
	enum index_health h = index_probe(p.mail, NULL, &why);
	int rc = 0;
	if (h == INDEX_LOCKED) {
		*err = xasprintf("the index in %s/.notmuch is in use (%s); run doctor when no sync or reader is running",
				 p.mail, why);
		rc = -1;
		goto out;
	}
	if (h == INDEX_BROKEN)
		found(&d, REPAIR_INDEX_UNREADABLE, NULL, NULL, 0, false);
	char *e = NULL;
	if (h != INDEX_BROKEN && store_open(p.mail, p.state, &d.store, &e) != STORE_OK) {
		log_error("doctor: %s", e);
		free(e);
		found(&d, REPAIR_INDEX_UNREADABLE, NULL, NULL, 0, false);
	}
	store_t *store = d.store;
	if (store && store_recovered(store))
		found(&d, REPAIR_RECOVERED, NULL, NULL, 0, true);
	struct acct *v;
	size_t n = conf_accounts(c, account, &v);
	for (size_t i = 0; i < n; i++) {
		d.a = &v[i];
		r->accounts++;
		doctor_account(&d);
	}
	accts_free(v, n);
	if (store) {
		r->repair_failed = store_flush(store);
		if (store_close(&store) < 0 && !r->repair_failed)
			r->repair_failed = 1;
	}
out:
	free(why);
	paths_clear(&p);
	return rc;
}
