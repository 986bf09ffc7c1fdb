/* account_int.h - what the parts of the account manager share (account.h):
 * account.c (the manager, its workers and their schedule), account_ask.c
 * (the questions for the user) and account_actions.c (the local half of
 * the reader's actions and the journal).  Not for other modules. */
#ifndef MUTTLIKE_ACCOUNT_INT_H
#define MUTTLIKE_ACCOUNT_INT_H

#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include "account.h"
#include "store.h"
#include "sync.h"
#include "watch.h"

struct worker {
	account_mgr_t *m;
	long idx;
	sync_t *sync;
	pthread_t th;
	bool running;
	pthread_mutex_t pass_mu;   /* held during a pass; actions that move files take it */
	unsigned long passes;      /* completed passes (under pass_mu) */
	long long due_ms;          /* next pass (under m->mu) */
	int backoff_s;
	struct account_status st;  /* under m->mu */
	char *error;               /* last ERROR event of this pass (under m->mu) */
	char *acct_dir;            /* safe component of the account name */
	/* decisions (under m->mu) */
	char *pass;                /* secret: the IMAP password typed this session */
	char *smtp_pass;           /* secret: the SMTP one, when asked separately */
	bool smtp_own;             /* SMTP refused the IMAP password: ask for its own */
	bool pass_declined;        /* Escape at the prompt: not asked again until sync-now */
	bool smtp_declined;
	bool gave_pass;            /* this pass's login got a typed password */
	char *login_note;          /* why the password is asked again */
	bool cert_rejected;
	char *accept_once;         /* for the worker to hand to its sync before the next pass */
	char *imap_once;           /* the last IMAP accept-once: SMTP trusts the same SHA-256 */
	char *smtp_once;           /* the sender's accept-once (SHA-256), for the session */
	char *smtp_rejected;       /* the SMTP certificate rejected (not asked again until a send) */
	char **allow_next;         /* folders whose deletions the next pass applies */
	size_t nallow_next;
	struct sync_guard *kept;   /* guard stops the user answered "no" to (folder owned) */
	size_t nkept;
	/* between passes */
	bool connected;            /* the last pass left the session open: wait in IDLE */
	bool woken;                /* sync_wake() was called for a command (under m->mu) */
	/* push (watch.h): the worker starts, restarts and frees the watch */
	watch_t *watch;            /* under m->mu (account_mgr_stop stops it) */
	char *watch_key;           /* the IDLE folders it was started with */
	size_t watch_limit;        /* connections the server allowed the last watch */
	char **dirty;              /* under m->mu: folders the watch heard of (raw names) */
	size_t ndirty;
	bool dirty_all;            /* under m->mu: anything may have changed: a full pass */
	long long clk_real, clk_mono; /* the clocks at the last look (a resume from suspend) */
};

/* A question for the user (account.h).  Password questions are answered
 * into the question, which the asking thread then frees. */
struct question {
	struct question *next;
	struct account_question q;
	bool linked;               /* still in the manager's list */
	bool answered;
	char *secret;
	bool trusted;              /* SMTP_CERT: the answer */
};

struct account_mgr {
	const conf_t *conf;
	int notify_fd;
	pthread_mutex_t mu;
	pthread_cond_t cond;
	bool stop;
	bool changed;
	bool unclosed;              /* the writer changed the index since it was opened (under mu) */
	char *news;
	struct worker *w;
	size_t n;
	char *mail_root, *state_root;
	/* the shared writer, opened while a pass or an action uses it */
	pthread_mutex_t store_mu;
	store_t *store;
	unsigned users;
	struct question *questions; /* oldest first (under mu) */
	unsigned long next_qid;
	bool no_asking;
	bool headless;              /* `muttlike sync`: run says what to do */
	/* OAuth2 authorization again (account_oauth.c), under mu */
	struct account_reauth re;
	pthread_t re_th;
	bool re_cancel;
	struct oauth2 *re_ctx;      /* the account's shared context (conn_oauth_ctx) */
	struct account_run run;
};

/* Write one byte to notify_fd (the UI then looks). */
static inline void account_notify(account_mgr_t *m)
{
	int fd = __atomic_load_n(&m->notify_fd, __ATOMIC_ACQUIRE);
	if (fd < 0)
		return;
	/* A full pipe already says "look": EAGAIN is fine. */
	ssize_t r = write(fd, "a", 1);
	(void)r;
}

/* Under m->mu: msg (owned) is the news the UI shows next. */
static inline void account_set_news(account_mgr_t *m, char *msg)
{
	free(m->news);
	m->news = msg;
}

/* account.c */
/* The shared store writer, opened for the first user; NULL with *err
 * (caller frees; err may be NULL) when it cannot be opened. */
store_t *account_store_acquire(account_mgr_t *m, char **err);
/* The last user closes it, so `notmuch tag` and other writers get their
 * turn; false when the index could not be committed then. */
bool account_store_release(account_mgr_t *m);

/* Under m->mu: run the account's next pass now. */
static inline void account_due_now(account_mgr_t *m, struct worker *w)
{
	w->due_ms = 0;
	w->backoff_s = 5;
	w->woken = true;
	sync_wake(w->sync);
	pthread_cond_broadcast(&m->cond);
}

/* account_ask.c */
/* The sync's password callback (sync_options.ask_secret), ud the worker. */
char *account_ask_imap_secret(void *ud, const char *prompt);
/* Under m->mu, after a pass: queue what the user must decide. */
void account_after_pass(struct worker *w);
/* Free every waiting question (the manager is going away). */
void account_questions_free(account_mgr_t *m);
/* Under m->mu: the question queue, for account_oauth.c. */
struct question *account_q_post(account_mgr_t *m, long account, enum account_ask kind);
bool account_q_pending(account_mgr_t *m, long account, enum account_ask kind, const char *folder);
struct question *account_q_take(account_mgr_t *m, unsigned long id, enum account_ask kind);
void account_q_free(struct question *q);

/* account_oauth.c */
/* The manager is going away: stop the flow and wait for its thread. */
void account_reauth_stop(account_mgr_t *m);

#endif
