/* sync.c - the per-account sync engine: the pass and its entry points (see sync.h for
 * the algorithm, sync_int.h for the other files). */
#include "sync_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "copies.h"
#include "net.h"
#include "roles.h"
#include "watch.h"

static void guards_clear(sync_t *s)
{
	for (size_t i = 0; i < s->nguards; i++)
		free(s->guards[i].folder);
	xfree(&s->guards);
	s->nguards = 0;
}

size_t sync_guards(const sync_t *s, const struct sync_guard **out)
{
	*out = s->guards;
	return s->nguards;
}

void sync_set_allow_deletes(sync_t *s, const char *const *names, size_t n)
{
	for (size_t i = 0; i < s->n_allow; i++)
		free(s->allow[i]);
	free(s->allow);
	s->n_allow = n;
	s->allow = xcalloc(n + 1, sizeof(*s->allow));
	for (size_t i = 0; i < n; i++)
		s->allow[i] = xstrdup(names[i]);
}

/* ---- the account pass ---- */

sync_t *sync_new(const struct sync_options *o)
{
	sync_t *s = xcalloc(1, sizeof(*s));
	s->conf = o->conf;
	s->acct = o->account;
	s->account = xstrdup(conf_account_name(o->conf, (size_t)o->account));
	s->acct_dir = maildir_safe_component(s->account);
	char *data = conf_data_dir(o->conf);
	s->mail_root = xasprintf("%s/mail", data);
	s->mail_dir = xasprintf("%s/%s", s->mail_root, s->acct_dir);
	s->state_dir = xasprintf("%s/state/%s", data, s->acct_dir);
	free(data);
	s->store = o->store;
	s->verify = o->verify;
	s->n_allow = o->n_allow;
	s->allow = xcalloc(o->n_allow + 1, sizeof(*s->allow));
	for (size_t i = 0; i < o->n_allow; i++)
		s->allow[i] = xstrdup(o->allow_deletes[i]);
	s->event = o->event;
	s->event_ud = o->event_ud;
	s->ask_secret = o->ask_secret;
	s->ask_ud = o->ask_ud;
	s->wake = net_cancel_new();
	s->error = xstrdup("");
	return s;
}

/* Every imap_t of this sync_t so far, the current one too. */
static void wire_total(const sync_t *s, struct imap_wire_stats *t)
{
	*t = s->wire_closed;
	if (!s->imap)
		return;
	struct imap_wire_stats c;
	imap_wire_stats(s->imap, &c);
	t->wire_in += c.wire_in;
	t->wire_out += c.wire_out;
	t->plain_in += c.plain_in;
	t->plain_out += c.plain_out;
	t->commands += c.commands;
	t->round_trips += c.round_trips;
}

void sync_disconnect(sync_t *s)
{
	if (s->imap) {
		wire_total(s, &s->wire_closed);
		imap_disconnect(s->imap);
		imap_free(&s->imap);
	}
	imap_folders_free(&s->folders, s->nfolders);
	s->nfolders = 0;
}

void sync_free(sync_t **sp)
{
	sync_t *s = *sp;
	if (!s)
		return;
	sync_disconnect(s);
	for (size_t i = 0; i < s->n_allow; i++)
		free(s->allow[i]);
	free(s->allow);
	free(s->trash_raw);
	free(s->account);
	free(s->acct_dir);
	free(s->mail_root);
	free(s->mail_dir);
	free(s->state_dir);
	free(s->error);
	free(s->accept_once);
	free(s->stamps_old);
	strbuf_free(&s->stamps_new);
	foldercounts_clear(&s->counts);
	free(s->counts_path);
	tls_cert_info_free(&s->refused);
	guards_clear(s);
	sync_held_clear(s);
	net_cancel_free(&s->wake);
	free(s);
	*sp = NULL;
}

void sync_cancel(sync_t *s)
{
	__atomic_store_n(&s->cancelled, true, __ATOMIC_SEQ_CST);
	if (s->imap)
		imap_cancel(s->imap);
}

void sync_set_store(sync_t *s, store_t *store)
{
	s->store = store;
}

const struct sync_stats *sync_get_stats(const sync_t *s) { return &s->stats; }
const char *sync_error(const sync_t *s) { return s->error; }
const char *sync_account(const sync_t *s) { return s->account; }

/* Could a tag have changed since the last complete pass?  Reading every
 * folder's tags costs an index open and a query per folder, which would
 * triple a no-op resync; a tag change leaves no trace in the Maildir, but
 * it does in the index files (another process's commit changes the
 * stamp) or in our own store (store_tag() generation).  Our own writes in
 * a pass set tags to the merged keywords, which the state records, so
 * they need no second look.  When unsure, look. */
static void tags_check_start(sync_t *s)
{
	s->tags_unchanged = false;
	store_index_stamp(s->store, s->tags_stamp);
	s->tags_gen_now = store_tag_generation(s->store);
	if (!s->tags_stamp[0])
		return;
	bool gen_same = s->tags_seen ? s->tags_gen_now == s->tags_gen : s->tags_gen_now == 0;
	char *path = xasprintf("%s/index.stamp", s->state_dir);
	FILE *f = gen_same ? fopen(path, "re") : NULL;
	if (f) {
		char old[96];
		size_t n = fread(old, 1, sizeof(old) - 1, f);
		old[n] = '\0';
		s->tags_unchanged = strcmp(old, s->tags_stamp) == 0;
		fclose(f);
	}
	free(path);
}

/* Remember the stamp only after a complete pass: a pass that stopped may
 * have left a keyword change unmerged, which must be looked at again. */
static void tags_check_end(sync_t *s, bool complete)
{
	char *path = xasprintf("%s/index.stamp", s->state_dir);
	if (complete && s->tags_stamp[0]) {
		if (!s->tags_unchanged)
			util_write_file_atomic(path, s->tags_stamp, strlen(s->tags_stamp), 0600);
		s->tags_seen = true;
		s->tags_gen = s->tags_gen_now;
	} else {
		unlink(path);
		s->tags_seen = false;
	}
	free(path);
}

void sync_set_accept_once(sync_t *s, const char *sha256hex)
{
	free(s->accept_once);
	s->accept_once = sha256hex && *sha256hex ? xstrdup(sha256hex) : NULL;
}

const struct tls_cert_info *sync_refused_cert(const sync_t *s) { return s->refused; }
bool sync_auth_refused(const sync_t *s) { return s->auth_refused; }

enum sync_status sync_connect_login(sync_t *s)
{
	if (imapdrv_connected(s->imap))
		return SYNC_OK;
	sync_disconnect(s);
	tls_cert_info_free(&s->refused);
	s->auth_refused = false;
	struct imap_params p = { 0 };
	char *err = NULL;
	if (!imap_params_from_conf(s->conf, s->acct, &p, &err)) {
		sync_set_error(s, "%s: %s", s->account, err ? err : "bad imap_url");
		free(err);
		imap_params_clear(&p);
		return SYNC_ERR_CONFIG;
	}
	sync_emit(s, SYNC_EV_CONNECT, NULL, 0, 0, NULL);
	s->imap = imap_new(&p);
	imap_params_clear(&p);
	if (s->ask_secret)
		imap_set_ask_secret(s->imap, s->ask_secret, s->ask_ud);
	if (s->accept_once)
		imap_set_accept_once(s->imap, s->accept_once);
	enum imap_status st = imap_connect(s->imap);
	if (st == IMAP_OK)
		st = imap_login(s->imap);
	if (st != IMAP_OK) {
		if (st == IMAP_ERR_CERT && imap_cert(s->imap))
			s->refused = tls_cert_info_dup(imap_cert(s->imap));
		s->auth_refused = st == IMAP_ERR_AUTH;
		sync_set_error(s, "%s: %s", s->account, imap_error(s->imap));
		sync_disconnect(s);
		return st == IMAP_ERR_CONFIG ? SYNC_ERR_CONFIG : st == IMAP_ERR_CANCELLED ? SYNC_ERR_CANCELLED : SYNC_ERR_NET;
	}
	if (imap_warning(s->imap))
		sync_warn(s, NULL, "%s: %s", s->account, imap_warning(s->imap));
	return SYNC_OK;
}

/* INBOX first (new mail is most wanted), then LIST order, and the Trash
 * last, so that what this pass moved there arrives in the same pass. */
static int folder_order(const sync_t *s, const struct imap_folder *f)
{
	if (f->special == IMAP_SPECIAL_INBOX || strcasecmp(f->raw, "INBOX") == 0)
		return 0;
	return s->trash_raw && strcmp(f->raw, s->trash_raw) == 0 ? 2 : 1;
}

/* A local folder the sync does not mirror (left out by sync_folders, or
 * one the server would not create) is still the user's mail: its files
 * are indexed like any other, so that the reader counts and shows them,
 * and entries whose file is gone are dropped.  One index query per such
 * folder and pass. */
static void index_local_only(sync_t *s, char *const *rels, size_t nrels)
{
	const char *patterns = conf_str(s->conf, s->acct, OPT_ID_sync_folders);
	for (size_t k = 0; k < nrels; k++) {
		if (!rels[k])
			continue; /* a folder sync_create_local_folders could not move */
		const struct imap_folder *f = sync_folder_by_rel(s, rels[k]);
		bool mirrored = f && !(f->flags & IMAP_FOLDER_NOSELECT) && sync_folder_selected(patterns, f->name);
		char *prefix = xasprintf("%s/%s", s->acct_dir, rels[k]), *dir = xasprintf("%s/%s", s->mail_dir, rels[k]);
		struct maildir_list l = { 0 };
		struct store_tagged *t = NULL;
		size_t nt = 0, added = 0;
		if (!mirrored && maildir_scan(dir, &l) == 0 && store_folder_tags(s->store, prefix, &t, &nt) == 0) {
			for (size_t i = 0; i < l.n; i++) {
				char *p = xasprintf("%s/%s", prefix, l.v[i].name);
				if (!nt || !bsearch(p, t, nt, sizeof(*t), sync_tagged_path_cmp)) {
					store_add(s->store, p, s->account, NULL);
					added++;
				}
				free(p);
			}
			if (nt + added != l.n)
				store_prune(s->store, prefix);
			if (added)
				log_info("%s: %s: indexed %zu file(s) of this local-only folder", s->account, rels[k], added);
		}
		store_tagged_free(&t, nt);
		maildir_list_clear(&l);
		free(prefix);
		free(dir);
	}
}

/* LIST, and what the pass learns from it: the Trash, the roles, whether
 * the account is Gmail-shaped (copies). */
static enum sync_status list_folders(sync_t *s)
{
	imap_folders_free(&s->folders, s->nfolders);
	s->nfolders = 0;
	enum imap_status ist = imap_list(s->imap, &s->folders, &s->nfolders);
	if (ist != IMAP_OK) {
		sync_set_error(s, "%s: LIST failed: %s", s->account, imap_error(s->imap));
		sync_disconnect(s);
		return SYNC_ERR_NET;
	}
	sync_pick_trash(s);
	copies_free(&s->copies);
	if (sync_has_all_folder(s))
		s->copies = copies_new(s->mail_root, s->acct_dir);
	if (roles_save(s->state_dir, s->folders, s->nfolders, imap_namespace_prefix(s->imap),
		       imap_namespace_delim(s->imap), imap_has_cap(s->imap, IMAP_CAP_GMAIL) && sync_has_all_folder(s)) != 0)
		sync_warn(s, NULL, "%s: cannot record the special-use folders: %s", s->account, strerror(errno));
	return SYNC_OK;
}

/* One walk of the local tree serves both: folders made here, then the
 * local-only ones (after the moves into the namespace). */
static void local_folders(sync_t *s)
{
	char **rels = NULL;
	size_t nrels = 0;
	sync_find_maildirs(s->mail_dir, &rels, &nrels);
	if (nrels)
		qsort(rels, nrels, sizeof(*rels), sync_str_cmp); /* parents first */
	sync_create_local_folders(s, rels, nrels);
	index_local_only(s, rels, nrels);
	for (size_t k = 0; k < nrels; k++)
		free(rels[k]);
	free(rels);
}

/* How the folders of a pass went. */
static enum sync_status folders_status(const sync_t *s)
{
	if (s->cancelled)
		return SYNC_ERR_CANCELLED;
	if (s->net_failed)
		return SYNC_ERR_NET;
	return s->stats.folder_errors ? SYNC_ERR_FOLDER : SYNC_OK;
}

/* Every selected folder, in folder_order. */
static enum sync_status folders_pass(sync_t *s)
{
	const char *patterns = conf_str(s->conf, s->acct, OPT_ID_sync_folders);
	for (int pass = 0; pass < 3 && !s->net_failed; pass++) {
		for (size_t i = 0; i < s->nfolders && !s->net_failed && !s->cancelled; i++) {
			const struct imap_folder *f = &s->folders[i];
			if (folder_order(s, f) != pass || (f->flags & IMAP_FOLDER_NOSELECT))
				continue;
			if (!sync_folder_selected(patterns, f->name))
				continue;
			sync_folder(s, f);
		}
	}
	return folders_status(s);
}

/* After the pass: the index flushed, the dirstamps saved, the error and
 * the events. */
static enum sync_status pass_end(sync_t *s, enum sync_status st)
{
	size_t unindexed = store_flush(s->store);
	if (unindexed && st == SYNC_OK) {
		if (util_disk_low(s->mail_dir))
			sync_set_error(s, "%s: disk full at %s: %zu changes not indexed; free space and run sync again",
				       s->account, s->mail_dir, unindexed);
		else
			sync_set_error(s, "%s: %zu changes could not be indexed (see the log); run sync again", s->account,
				       unindexed);
		st = SYNC_ERR_STORE;
	}
	sync_counts_end(s);
	if (s->stamps_active) {
		for (size_t i = 0; i < s->nrecheck && (st == SYNC_OK || st == SYNC_ERR_FOLDER); i++)
			sync_record_if_consistent(s, s->recheck[i]);
		sync_stamps_save(s);
	}
	copies_free(&s->copies);
	for (size_t i = 0; i < s->nrecheck; i++)
		free(s->recheck[i]);
	xfree(&s->recheck);
	s->nrecheck = 0;
	if (st == SYNC_ERR_FOLDER && !*s->error)
		sync_set_error(s, "%s: %zu folder(s) not fully synced", s->account, s->stats.folder_errors);
	if (st != SYNC_OK && st != SYNC_ERR_FOLDER)
		sync_emit(s, SYNC_EV_ERROR, NULL, 0, 0, s->error);
	struct imap_wire_stats w;
	wire_total(s, &w);
	s->stats.wire_in = w.wire_in - s->wire_start.wire_in;
	s->stats.wire_out = w.wire_out - s->wire_start.wire_out;
	s->stats.plain_in = w.plain_in - s->wire_start.plain_in;
	s->stats.plain_out = w.plain_out - s->wire_start.plain_out;
	s->stats.commands = w.commands - s->wire_start.commands;
	s->stats.round_trips = w.round_trips - s->wire_start.round_trips;
	s->stats.compressed = s->imap && imap_compressed(s->imap);
	sync_emit(s, SYNC_EV_DONE, NULL, 0, 0, NULL);
	return st;
}

static void pass_begin(sync_t *s)
{
	memset(&s->stats, 0, sizeof(s->stats));
	wire_total(s, &s->wire_start);
	guards_clear(s);
	sync_held_clear(s);
	s->pass_bytes = 0;
	s->net_failed = false;
	s->server_written = false;
	s->pass_start_ms = net_now_ms();
	s->commit_ms = s->commit_gap_ms = 0;
	free(s->error);
	s->error = xstrdup("");
}

enum sync_status sync_run(sync_t *s)
{
	pass_begin(s);
	enum sync_status st = sync_connect_login(s);
	if (st == SYNC_OK)
		st = list_folders(s);
	if (st != SYNC_OK)
		return pass_end(s, st);
	sync_replay_journal(s);
	sync_follow_gone_folders(s);
	local_folders(s);
	sync_counts_begin(s);
	tags_check_start(s);
	sync_stamps_load(s);
	st = folders_pass(s);
	tags_check_end(s, st == SYNC_OK);
	if (s->net_failed)
		sync_disconnect(s);
	return pass_end(s, st);
}

/* The synced folder of this raw name, or NULL. */
static const struct imap_folder *synced_folder(sync_t *s, const char *raw)
{
	const char *patterns = conf_str(s->conf, s->acct, OPT_ID_sync_folders);
	for (size_t i = 0; i < s->nfolders; i++) {
		const struct imap_folder *f = &s->folders[i];
		if (strcmp(f->raw, raw) == 0)
			return (f->flags & IMAP_FOLDER_NOSELECT) || !sync_folder_selected(patterns, f->name) ? NULL : f;
	}
	return NULL;
}

enum sync_status sync_run_folders(sync_t *s, const char *const *raw, size_t n)
{
	pass_begin(s);
	enum sync_status st = sync_connect_login(s);
	if (st == SYNC_OK && !s->nfolders)
		st = list_folders(s); /* a new session */
	if (st != SYNC_OK)
		return pass_end(s, st);
	/* The reader's actions first, as in a full pass: a move or a flag
	 * the journal holds is replayed, not seen by the merge as a local
	 * deletion or an old flag (a message moved to Trash twice). */
	sync_replay_journal(s);
	/* Neither the dirstamps nor the tag stamp of a full pass: the other
	 * folders were not looked at.  The keyword merge reads the tags. */
	xfree(&s->stamps_old);
	strbuf_free(&s->stamps_new);
	s->tags_unchanged = false;
	for (size_t k = 0; k < n && !s->net_failed && !s->cancelled; k++) {
		const struct imap_folder *f = synced_folder(s, raw[k]);
		if (f)
			sync_folder(s, f);
	}
	st = folders_status(s);
	if (s->net_failed)
		sync_disconnect(s);
	return pass_end(s, st);
}

size_t sync_watch_folders(sync_t *s, const char *patterns, char ***out)
{
	*out = xcalloc(s->nfolders + 1, sizeof(**out));
	size_t n = 0;
	if (!patterns || !*patterns)
		return 0; /* none (sync_folder_selected would read "" as every folder) */
	for (int pass = 1; pass < 3; pass++) { /* not INBOX (0): the sync's own session IDLEs on it */
		for (size_t i = 0; i < s->nfolders; i++) {
			const struct imap_folder *f = &s->folders[i];
			if (folder_order(s, f) != pass || !synced_folder(s, f->raw) ||
			    !sync_folder_selected(patterns, f->name))
				continue;
			(*out)[n++] = xstrdup(f->raw);
		}
	}
	return n;
}

bool sync_has_notify(const sync_t *s)
{
	return s->imap && imap_has_cap(s->imap, IMAP_CAP_NOTIFY);
}

void sync_wake(sync_t *s)
{
	if (s->wake)
		net_cancel_trigger(s->wake);
}

static bool watch(sync_t *s, int timeout_s)
{
	if (s->wake && net_cancel_is_set(s->wake))
		return false;
	if (!imapdrv_connected(s->imap) || !imap_has_cap(s->imap, IMAP_CAP_IDLE)) {
		for (int i = 0; i < timeout_s * 10 && !s->cancelled && !(s->wake && net_cancel_is_set(s->wake)); i++) {
			struct timespec ts = { 0, 100L * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		return false;
	}
	struct imapdrv_selected sel;
	enum imapdrv_rc rc = imapdrv_select(s->imap, "INBOX", false, NULL, &sel);
	uint32_t before = sel.exists, after = before;
	/* mail that came between the pass's SELECT and this one */
	bool missed = rc == IMAPDRV_OK && s->inbox_uidnext && sel.uidnext > s->inbox_uidnext;
	if (missed)
		s->inbox_uidnext = sel.uidnext; /* said once, whatever the pass then does */
	imapdrv_selected_clear(&sel);
	if (missed)
		return true;
	int fd = -1;
	bool news = false;
	if (rc != IMAPDRV_OK || imapdrv_idle(s->imap, &fd, &news) != IMAPDRV_OK)
		return false;
	if (imap_wait_input(s->imap, 0) == NET_OK)
		news = true; /* already here, behind the continuation */
	long long end = net_now_ms() + (long long)timeout_s * 1000;
	long long real0, mono0, real1, mono1;
	watch_clock_now(&real0, &mono0);
	while (!news && !s->cancelled && net_now_ms() < end && fd >= 0) {
		/* A 1 s slice keeps SIGINT/cancel responsive. */
		enum net_status ns = net_wait(fd, false, 1000, s->wake); /* sync_wake: at once */
		if (ns == NET_OK) {
			news = true;
			break;
		}
		if (ns != NET_ERR_TIMEOUT)
			break;
		watch_clock_now(&real1, &mono1);
		if (watch_clock_jumped(real0, mono0, real1, mono1)) {
			/* resumed from suspend: the connection is most likely dead */
			sync_disconnect(s);
			return true;
		}
		real0 = real1;
		mono0 = mono1;
	}
	if (imapdrv_idle_done(s->imap, &after) != IMAPDRV_OK) {
		sync_disconnect(s);
		return true;
	}
	if (after != before)
		news = true;
	return news;
}

bool sync_watch(sync_t *s, int timeout_s)
{
	bool news = watch(s, timeout_s);
	if (s->wake) /* a wake that came meanwhile ends this watch, not the next */
		net_cancel_reset(s->wake);
	return news;
}
