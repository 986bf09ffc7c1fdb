/* sync_int.h - private to the sync engine (sync*.c): the account and folder
 * contexts and the functions its files share.  Not for other modules. */
#ifndef MUTTLIKE_SYNC_INT_H
#define MUTTLIKE_SYNC_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "copies.h"
#include "foldercounts.h"
#include "imap.h"
#include "imapdrv.h"
#include "log.h"
#include "maildir.h"
#include "state.h"
#include "sync.h"
#include "util.h"

struct sync {
	const conf_t *conf;   /* foreign */
	bool verify;          /* sync --verify: compare and repair every folder */
	long acct;
	char *account;        /* owned: the account name */
	char *acct_dir;       /* owned: safe component for paths */
	char *mail_root;      /* owned: data_dir/mail */
	char *mail_dir;       /* owned: mail_root/acct_dir */
	char *state_dir;      /* owned: data_dir/state/acct_dir */
	store_t *store;  /* foreign */
	char **allow;         /* owned copies */
	size_t n_allow;
	sync_event_fn event;
	void *event_ud;
	imap_t *imap;         /* owned */
	struct imap_wire_stats wire_closed; /* of the imap_t already freed */
	struct imap_wire_stats wire_start;  /* the total when the pass began */
	struct imap_folder *folders; /* owned */
	size_t nfolders;
	char *trash_raw;      /* owned or NULL */
	struct sync_stats stats;
	char *error;          /* owned */
	bool cancelled;
	bool net_failed;      /* the connection broke: stop the pass */
	uint64_t pass_bytes;
	long long pass_start_ms;
	/* Skipping the tag query of the keyword merge when no tag can have
	 * changed since the last complete pass (see tags_maybe_changed). */
	bool tags_unchanged;          /* this pass: the index is as we left it */
	bool tags_seen;               /* tags_gen is from a complete pass */
	unsigned long tags_gen;       /* store_tag_generation() then */
	char tags_stamp[96];          /* the index stamp at the start of this pass */
	unsigned long tags_gen_now;
	/* Skipping the Maildir listing of folders nothing touched (see
	 * folder_key): state_dir/dirstamps as read at the start of the pass,
	 * and what this pass found true. */
	char *stamps_old;             /* owned, or NULL */
	struct strbuf stamps_new;
	bool stamps_active;           /* sync_stamps_load() ran this pass */
	bool server_written;          /* this pass changed something on the server */
	char **held;                       /* owned: "rel\nuid" of moves not confirmed this pass */
	size_t nheld;
	char **recheck;               /* owned: folders synced in full this pass */
	size_t nrecheck;
	/* the reader's decisions (sync.h, near sync_connect_login) */
	char *(*ask_secret)(void *ud, const char *prompt);
	void *ask_ud;
	char *accept_once;            /* owned: hex SHA-256 accepted for the session */
	struct tls_cert_info *refused; /* owned: the certificate the last connect refused */
	bool auth_refused;
	struct sync_guard *guards;    /* owned: the guard stops of this pass */
	size_t nguards;
	net_cancel_t *wake;      /* owned: sync_wake() ends a sync_watch() */
	uint32_t inbox_uidnext;  /* INBOX's UIDNEXT at the last pass's SELECT (0: unknown) */
	/* A Gmail-shaped account (an \All folder): the files of this pass by
	 * Message-ID, so that a message in several folders is downloaded
	 * once (copies.h).  NULL otherwise. */
	copies_t *copies;        /* owned, for one pass */
	/* A first sync: the server's counts for the reader (foldercounts.h),
	 * while any folder's first sync is unfinished; else empty. */
	struct foldercounts counts;
	char *counts_path;       /* owned */
	bool counts_changed;     /* a pending folder was done this pass */
	/* store_commit() for the reader during long downloads (sync_fetch.c) */
	long long commit_ms, commit_gap_ms;
};

/* The first line of a header-only stub (sync_max_size): "<this><size>". */
#define STUB_HEADER "X-Muttlike-Stub: "

/* ---- keywords ---- */

/* A keyword set: the words of a space-separated string (a copy). */
struct kwset {
	char *buf;
	char **v;
	size_t n;
};

/* ---- one folder ---- */

struct folder_ctx {
	const struct imap_folder *f;
	const char *name;     /* UTF-8, for messages */
	char *rel;            /* owned: relpath inside the account */
	char *dir;            /* owned: absolute Maildir */
	char *store_prefix;   /* owned: acct_dir/rel, for store paths */
	char *state_path;     /* owned */
	state_t *st;     /* owned */
	struct maildir_list local;
	bool allow_deletes;
	bool kw_ok;           /* PERMANENTFLAGS has \*: new keywords can be stored */
	bool tags_known;      /* tagged holds the index's view of this folder */
	bool recovered;       /* the store reconciled after a crash (store_recovered) */
	struct store_tagged *tagged; /* owned, sorted by path */
	size_t ntagged;
	bool scan_deferred;   /* local not listed yet: see folder_key */
	bool verify;          /* compare with the server's full UID list this pass */
	bool repair;          /* sync --verify: a missing file is damage, fetched again */
	bool mailboxid_new;   /* the state learned its MAILBOXID this pass */
	uint32_t *gone;       /* owned, sorted: UIDs this pass removed from the server */
	size_t ngone;
	char key[320];        /* folder_key() at the start ("" when unknown) */
	int64_t prev_verified; /* the state's verify time before this pass */
};

/* What sync_learn_remote() found out about the server's side of a folder. */
struct remote {
	struct imapdrv_flist r; /* the flags of its messages (sorted) */
	bool complete;          /* r lists every message, else only the changed ones */
	uint32_t *alluids;      /* owned: every UID on the server, when asked; else NULL */
	size_t nall;
	uint32_t uidvalidity, uidnext;
	uint64_t modseq;
	bool noop;              /* nothing changed on the server */
};

/* sync.c */
enum sync_status sync_connect_login(sync_t *s);

/* sync_util.c */
void sync_emit(sync_t *s, enum sync_event_kind k, const char *folder, size_t done, size_t total,
	       const char *msg);
void sync_folder_error(sync_t *s, const char *folder, const char *fmt, ...) ML_PRINTF(3, 4);
void sync_warn(sync_t *s, const char *folder, const char *fmt, ...) ML_PRINTF(3, 4);
void sync_set_error(sync_t *s, const char *fmt, ...) ML_PRINTF(2, 3);
void sync_imap_failed(sync_t *s, enum imapdrv_rc r, const char *folder, const char *what);
enum imapdrv_rc sync_uid_store(sync_t *s, const uint32_t *uids, size_t n, unsigned flags, bool add);
int sync_u32_cmp(const void *a, const void *b);
char *sync_store_path(struct folder_ctx *c, const char *name);
int sync_tagged_path_cmp(const void *key, const void *elem);
int sync_save_state(sync_t *s, struct folder_ctx *c);
int sync_scan_local(sync_t *s, struct folder_ctx *c);
void sync_held_clear(sync_t *s);
bool sync_held(const sync_t *s, const char *rel, uint32_t uid);
int sync_str_cmp(const void *a, const void *b);
void sync_store_rename(sync_t *s, const char *rel, const char *from, const char *to);
int sync_will_change_local(sync_t *s, const char *folder);

/* sync_folders.c */
bool sync_has_all_folder(const sync_t *s);
void sync_pick_trash(sync_t *s);
const struct imap_folder *sync_folder_by_rel(sync_t *s, const char *rel);
char sync_server_delim(sync_t *s);
bool sync_has_state(sync_t *s, const char *rel);
bool sync_relist(sync_t *s);
bool sync_is_dir_at(const char *root, const char *rel, const char *leaf);
void sync_follow_gone_folders(sync_t *s);
void sync_find_maildirs(const char *root, char ***out, size_t *n);
char *sync_server_name_of(const char *rel, char delim, const char **why);
bool sync_in_namespace(const char *name, const char *prefix);
void sync_create_local_folders(sync_t *s, char **rels, size_t nrels);
void sync_counts_begin(sync_t *s);
void sync_counts_done(sync_t *s, const char *rel);
void sync_counts_end(sync_t *s);

/* sync_folder.c */
void sync_stamps_load(sync_t *s);
void sync_record_if_consistent(sync_t *s, const char *rel);
void sync_stamps_save(sync_t *s);
int sync_folder(sync_t *s, const struct imap_folder *f);

/* sync_remote.c */
enum imapdrv_rc sync_search_all(sync_t *s, uint32_t **out, size_t *n);
void sync_remote_clear(struct remote *rm);
size_t sync_state_unmirrored(const struct folder_ctx *c, const uint32_t *alluids, size_t nall,
			     const struct imapdrv_flist *r);
int sync_learn_remote(sync_t *s, struct folder_ctx *c, struct remote *rm);

/* sync_merge.c */
int sync_merge_and_apply(sync_t *s, struct folder_ctx *c, const struct remote *rm, uint32_t **fetch,
			 size_t *nfetch);

/* sync_keywords.c */
char *sync_kw_minus(const char *a, const char *b, const char *prefix);
bool sync_kw_equal(const char *a, const char *b);
char *sync_local_keywords(struct folder_ctx *c, const struct maildir_entry *e, const char *base_kw,
			  const char *remote_kw, char **raw);

/* sync_fetch.c */
int sync_fetch_new(sync_t *s, struct folder_ctx *c, const uint32_t *uids, size_t n);

/* sync_upload.c */
int sync_append_new(sync_t *s, struct folder_ctx *c, uint32_t uidvalidity, uint32_t uidnext);

/* sync_replay.c */
void sync_replay_journal(sync_t *s);

#endif
