/* watch.c - listening connections beside the sync session (watch.h). */
#include "watch.h"

#include <ctype.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "fault.h"
#include "imap.h"
#include "imapdrv.h"
#include "log.h"
#include "net.h"
#include "util.h"

/* RFC 2177: a server may end an IDLE after 30 minutes; renew before. */
#define RENEW_MS (25LL * 60 * 1000)
#define BACKOFF_MAX_S 300
#define SLICE_MS 1000
#define STABLE_MS (60 * 1000)

struct slot {
	watch_t *w;
	size_t idx;
	char *folder;          /* owned: raw name IDLEd on; NULL: the NOTIFY connection (or not decided) */
	pthread_t th;
	bool started;
	imap_t *imap;          /* under w->mu, for watch_stop */
	bool listening;        /* under w->mu */
};

struct watch {
	const conf_t *conf;
	long account;
	char *accept_once;     /* owned */
	char *(*ask_secret)(void *ud, const char *prompt);
	void *ask_ud;
	watch_fn changed;
	void *ud;
	char **folders;        /* owned */
	size_t nfolders;
	pthread_mutex_t mu;
	pthread_cond_t cond;   /* CLOCK_MONOTONIC: stop ends a back-off at once */
	bool stop;             /* under mu */
	bool notify;           /* under mu: the first connection listens with NOTIFY */
	size_t limit;          /* under mu: connections the server allows us */
	struct slot *slots;    /* nfolders + 1; slots[0] is the first connection */
	size_t nslots;         /* started (under mu) */
};

/* ---- pure helpers ---- */

static bool word_at(const char *p, const char *end, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(end - p) < n || strncasecmp(p, w, n) != 0)
		return false;
	return p + n == end || p[n] == ' ';
}

enum watch_news watch_parse_line(const char *line, size_t len, char **folder)
{
	*folder = NULL;
	const char *end = line + len;
	if (len >= 1 && line[0] == '+')
		return WATCH_NOTHING; /* a continuation: "+ idling" */
	if (len < 2 || line[0] != '*' || line[1] != ' ')
		return WATCH_BYE;     /* a tagged answer: IDLE ended without our DONE */
	const char *p = line + 2;
	if (word_at(p, end, "BYE"))
		return WATCH_BYE;
	if (word_at(p, end, "STATUS")) {
		struct imap_status_line st;
		if (!imap_parse_status_line(line, len, &st))
			return WATCH_ALL;
		*folder = st.mailbox;
		st.mailbox = NULL;
		imap_status_line_clear(&st);
		return WATCH_FOLDER;
	}
	if (word_at(p, end, "LIST") || word_at(p, end, "LSUB"))
		return WATCH_ALL;
	if (word_at(p, end, "OK") || word_at(p, end, "NO") || word_at(p, end, "BAD")) {
		/* RFC 5465: the server dropped news (NOTIFICATIONOVERFLOW) */
		const char *code = p + 3;
		return end - code >= 22 && memmem(code, (size_t)(end - code), "NOTIFICATIONOVERFLOW", 20) ? WATCH_ALL
											      : WATCH_NOTHING;
	}
	if (word_at(p, end, "VANISHED"))
		return WATCH_SELECTED;
	/* "* <n> EXISTS|EXPUNGE|FETCH|RECENT" */
	const char *q = p;
	int digits = 0;
	while (q < end && isdigit((unsigned char)*q) && digits < 11) {
		q++;
		digits++;
	}
	if (!digits || q >= end || *q != ' ')
		return WATCH_NOTHING; /* CAPABILITY, FLAGS, ENABLED, SEARCH ...: no news */
	q++;
	if (word_at(q, end, "EXISTS") || word_at(q, end, "EXPUNGE") || word_at(q, end, "FETCH"))
		return WATCH_SELECTED;
	return WATCH_NOTHING;
}

size_t watch_refusal_limit(const char *text, bool *is_limit)
{
	*is_limit = text && (strstr(text, "[LIMIT]") || strcasestr(text, "connections"));
	if (!*is_limit)
		return 0;
	/* Dovecot: "(mail_max_userip_connections=10)" */
	const char *p = strstr(text, "connections=");
	if (!p)
		return 0;
	p += strlen("connections=");
	size_t n = 0;
	for (int i = 0; isdigit((unsigned char)p[i]) && i < 6; i++)
		n = n * 10 + (size_t)(p[i] - '0');
	return n;
}

bool watch_clock_jumped(long long real0, long long mono0, long long real1, long long mono1)
{
	long long skew = (real1 - real0) - (mono1 - mono0);
	return skew > 3000 || skew < -3000;
}

void watch_clock_now(long long *real, long long *mono)
{
	/* fault "clock-jump" (fault.h): from its n-th look at the clocks on,
	 * the process sees the wall clock an hour ahead, as after a suspend */
	static long long skew;
	if (fault_hit("clock-jump"))
		__atomic_add_fetch(&skew, 3600000LL, __ATOMIC_SEQ_CST);
	struct timespec r, m;
	clock_gettime(CLOCK_REALTIME, &r);
	clock_gettime(CLOCK_MONOTONIC, &m);
	*real = (long long)r.tv_sec * 1000 + r.tv_nsec / 1000000 + __atomic_load_n(&skew, __ATOMIC_SEQ_CST);
	*mono = (long long)m.tv_sec * 1000 + m.tv_nsec / 1000000;
}

/* ---- one connection ---- */

struct clock {
	long long real, mono;
};

/* Has the wall clock jumped since the last look? */
static bool clock_check(struct clock *c)
{
	long long r, m;
	watch_clock_now(&r, &m);
	bool j = watch_clock_jumped(c->real, c->mono, r, m);
	c->real = r;
	c->mono = m;
	return j;
}

static bool stopped(watch_t *w)
{
	pthread_mutex_lock(&w->mu);
	bool s = w->stop;
	pthread_mutex_unlock(&w->mu);
	return s;
}

/* Wait secs (a back-off) in slices, ending early on stop or a clock
 * jump (then true: connect at once, the back-off starts again). */
static bool pause_s(watch_t *w, int secs, struct clock *c)
{
	for (int i = 0; i < secs && !stopped(w); i++) {
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += 1;
		pthread_mutex_lock(&w->mu);
		if (!w->stop)
			pthread_cond_timedwait(&w->cond, &w->mu, &ts);
		pthread_mutex_unlock(&w->mu);
		if (clock_check(c))
			return true;
	}
	return false;
}

/* After a wait of backoff seconds, the next one: doubled up to the cap,
 * or 1 after a clock jump. */
static int next_backoff(int backoff, bool jumped)
{
	if (jumped)
		return 1;
	return backoff * 2 > BACKOFF_MAX_S ? BACKOFF_MAX_S : backoff * 2;
}

static void set_imap(struct slot *sl, imap_t *m, bool listening)
{
	pthread_mutex_lock(&sl->w->mu);
	sl->imap = m;
	sl->listening = listening;
	pthread_mutex_unlock(&sl->w->mu);
}

/* Connect and log in; NULL on failure, with *refused set when the server
 * turned us away for too many connections (the budget is lowered). */
static imap_t *open_session(struct slot *sl, bool *refused)
{
	watch_t *w = sl->w;
	*refused = false;
	struct imap_params p = { 0 };
	char *err = NULL;
	if (!imap_params_from_conf(w->conf, w->account, &p, &err)) {
		free(err);
		imap_params_clear(&p);
		return NULL;
	}
	imap_t *m = imap_new(&p);
	imap_params_clear(&p);
	if (w->ask_secret)
		imap_set_ask_secret(m, w->ask_secret, w->ask_ud);
	if (w->accept_once)
		imap_set_accept_once(m, w->accept_once);
	set_imap(sl, m, false);
	enum imap_status st = stopped(w) ? IMAP_ERR_CANCELLED : imap_connect(m);
	if (st == IMAP_OK && !stopped(w))
		st = imap_login(m);
	if (st == IMAP_OK && !stopped(w))
		return m;
	bool lim = false;
	size_t n = st == IMAP_OK ? 0 : watch_refusal_limit(imap_error(m), &lim);
	if (lim) {
		*refused = true;
		pthread_mutex_lock(&w->mu);
		size_t open = 0;
		for (size_t i = 0; i < w->nslots; i++)
			open += w->slots[i].listening;
		/* the sync's own session needs one of the server's n */
		size_t cap = n > 1 ? n - 1 : open;
		w->limit = open < cap ? open : cap;
		pthread_mutex_unlock(&w->mu);
		log_info("watch: the server refused connection %zu (%s); %zu listen, the other folders are polled",
			 sl->idx + 1, imap_error(m), open);
	} else if (st != IMAP_ERR_CANCELLED) {
		log_debug("watch: %s", imap_error(m));
	}
	set_imap(sl, NULL, false);
	imap_disconnect(m);
	imap_free(&m);
	return NULL;
}

static void close_session(struct slot *sl, imap_t **m)
{
	set_imap(sl, NULL, false);
	imap_disconnect(*m);
	imap_free(m);
}

static void report(watch_t *w, const char *folder)
{
	if (w->changed)
		w->changed(w->ud, folder);
}

enum end { END_DROPPED, END_JUMP, END_SLOT };

/* IDLE until the connection drops, the clock jumps or the watch stops;
 * every RENEW_MS a new IDLE. */
static enum end idle_loop(struct slot *sl, imap_t *m, struct clock *c)
{
	watch_t *w = sl->w;
	while (!stopped(w)) {
		int fd;
		bool early;
		if (imapdrv_idle(m, &fd, &early) != IMAPDRV_OK) {
			log_debug("watch %zu: IDLE failed", sl->idx);
			return END_DROPPED;
		}
		if (early)
			report(w, sl->folder); /* news that raced the IDLE (NOTIFY: which folder is not kept) */
		long long start = net_now_ms();
		while (!stopped(w) && net_now_ms() - start < RENEW_MS) {
			const char *line;
			size_t len;
			if (imapdrv_idle_line(m, SLICE_MS, &line, &len) != IMAPDRV_OK) {
				log_debug("watch %zu: lost", sl->idx);
				return END_DROPPED;
			}
			if (clock_check(c))
				return END_JUMP;
			if (!line)
				continue;
			log_debug("watch %zu: %.*s", sl->idx, (int)(len > 200 ? 200 : len), line);
			char *folder = NULL;
			enum watch_news k = watch_parse_line(line, len, &folder);
			if (k == WATCH_BYE)
				return END_DROPPED;
			if (k == WATCH_FOLDER || k == WATCH_ALL)
				report(w, folder);
			else if (k == WATCH_SELECTED)
				report(w, sl->folder);
			free(folder);
		}
		uint32_t exists = 0;
		if (imapdrv_idle_done(m, &exists) != IMAPDRV_OK)
			return END_DROPPED;
	}
	return END_DROPPED;
}

static void *slot_main(void *arg);
static bool start_idle(struct slot *sl, imap_t *m);

/* Make m a listener: NOTIFY (no folder selected) or SELECT of the slot's
 * folder. */
static enum end listen_on(struct slot *sl, imap_t *m, struct clock *c)
{
	watch_t *w = sl->w;
	if (!sl->folder) {
		/* once per connection: Dovecot 2.3 goes silent after a second NOTIFY SET */
		enum imapdrv_rc rc = imapdrv_notify(m);
		if (rc == IMAPDRV_REFUSED) {
			log_info("watch: the server refused NOTIFY (%s): IDLE instead", imapdrv_server_text(m));
			return start_idle(sl, m) ? listen_on(sl, m, c) : END_SLOT;
		}
		if (rc != IMAPDRV_OK)
			return END_DROPPED;
	} else {
		struct imapdrv_selected sel;
		enum imapdrv_rc rc = imapdrv_select(m, sl->folder, false, NULL, &sel);
		imapdrv_selected_clear(&sel);
		if (rc == IMAPDRV_REFUSED) {
			report(w, NULL); /* the folder is gone: the next pass learns the new list */
			return END_SLOT;
		}
		if (rc != IMAPDRV_OK)
			return END_DROPPED;
		/* What arrived before this SELECT (since the pass that came
		 * before the watch, or while the connection was down) is for a
		 * pass of the folder; from here on IDLE tells. */
		report(w, sl->folder);
	}
	set_imap(sl, m, true);
	return idle_loop(sl, m, c);
}

/* IDLE on the first folder on this connection and on the next ones
 * (within the budget) on connections of their own.  False when there is
 * nothing to IDLE on. */
static bool start_idle(struct slot *sl, imap_t *m)
{
	watch_t *w = sl->w;
	if (!w->nfolders || !imap_has_cap(m, IMAP_CAP_IDLE))
		return false;
	sl->folder = xstrdup(w->folders[0]);
	pthread_mutex_lock(&w->mu);
	w->notify = false;
	size_t want = w->nfolders < w->limit ? w->nfolders : w->limit;
	for (size_t i = 1; i < want && !w->stop; i++) {
		struct slot *o = &w->slots[i];
		o->w = w;
		o->idx = i;
		o->folder = xstrdup(w->folders[i]);
		o->started = pthread_create(&o->th, NULL, slot_main, o) == 0;
		w->nslots = i + 1;
	}
	pthread_mutex_unlock(&w->mu);
	log_info("watch: IDLE on %zu folder(s) besides INBOX, %zu polled", want, w->nfolders - want);
	return true;
}

/* The first connection decides: NOTIFY when the server has it and the
 * account wants it (sl->folder stays NULL), else start_idle. */
static bool decide(struct slot *sl, imap_t *m)
{
	watch_t *w = sl->w;
	if (conf_bool(w->conf, w->account, OPT_ID_imap_notify) && imap_has_cap(m, IMAP_CAP_NOTIFY) &&
	    imap_has_cap(m, IMAP_CAP_IDLE)) {
		pthread_mutex_lock(&w->mu);
		w->notify = true;
		pthread_mutex_unlock(&w->mu);
		log_info("watch: NOTIFY on one connection for every folder");
		return true;
	}
	return start_idle(sl, m);
}

static void *slot_main(void *arg)
{
	struct slot *sl = arg;
	watch_t *w = sl->w;
	struct clock c;
	watch_clock_now(&c.real, &c.mono);
	int backoff = 1;
	bool gap = false, decided = sl->idx != 0;
	while (!stopped(w)) {
		bool refused;
		imap_t *m = open_session(sl, &refused);
		if (!m) {
			if (refused)
				break;
			backoff = next_backoff(backoff, pause_s(w, backoff, &c));
			gap = true;
			continue;
		}
		if (!decided) {
			decided = true;
			if (!decide(sl, m)) {
				close_session(sl, &m);
				break;
			}
		}
		if (gap) {
			log_info("watch: connection %zu is back", sl->idx + 1);
			if (!sl->folder)
				report(w, NULL); /* what happened while we were away (a folder's slot: after its SELECT) */
		}
		long long began = net_now_ms();
		enum end e = listen_on(sl, m, &c);
		close_session(sl, &m);
		if (e == END_SLOT)
			break;
		/* A connection that listened for a while starts the back-off
		 * again; one that keeps dropping at once (a server that ends it
		 * after the login) backs off further each time. */
		if (net_now_ms() - began > STABLE_MS)
			backoff = 1;
		if (e == END_JUMP) {
			log_info("watch: the wall clock jumped (a resume?): connecting again");
			backoff = 1;
		} else if (!stopped(w)) {
			backoff = next_backoff(backoff, pause_s(w, backoff, &c));
		}
		gap = true;
	}
	return NULL;
}

/* ---- the watch ---- */

watch_t *watch_start(const struct watch_options *o)
{
	watch_t *w = xcalloc(1, sizeof(*w));
	w->conf = o->conf;
	w->account = o->account;
	w->accept_once = o->accept_once ? xstrdup(o->accept_once) : NULL;
	w->ask_secret = o->ask_secret;
	w->ask_ud = o->ask_ud;
	w->changed = o->changed;
	w->ud = o->ud;
	w->nfolders = o->nfolders;
	w->folders = xcalloc(o->nfolders + 1, sizeof(*w->folders));
	for (size_t i = 0; i < o->nfolders; i++)
		w->folders[i] = xstrdup(o->folders[i]);
	w->limit = o->max_conns ? o->max_conns : 1;
	pthread_mutex_init(&w->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&w->cond, &ca);
	pthread_condattr_destroy(&ca);
	w->slots = xcalloc(o->nfolders + 1, sizeof(*w->slots));
	w->slots[0].w = w;
	w->nslots = 1;
	w->slots[0].started = pthread_create(&w->slots[0].th, NULL, slot_main, &w->slots[0]) == 0;
	return w;
}

void watch_stop(watch_t *w)
{
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	w->stop = true;
	for (size_t i = 0; i < w->nslots; i++)
		if (w->slots[i].imap)
			imap_cancel(w->slots[i].imap);
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->mu);
}

void watch_free(watch_t **pw)
{
	watch_t *w = *pw;
	if (!w)
		return;
	/* The first slot may start others until it sees stop: join it first.
	 * A cancel that came just before a connect reset it is repeated. */
	for (size_t i = 0;; i++) {
		pthread_mutex_lock(&w->mu);
		size_t n = w->nslots;
		pthread_mutex_unlock(&w->mu);
		if (i >= n)
			break;
		struct slot *sl = &w->slots[i];
		if (!sl->started)
			continue;
		for (;;) {
			watch_stop(w);
			struct timespec dl;
			clock_gettime(CLOCK_REALTIME, &dl);
			dl.tv_nsec += 100000000L;
			dl.tv_sec += dl.tv_nsec / 1000000000L;
			dl.tv_nsec %= 1000000000L;
			if (pthread_timedjoin_np(sl->th, NULL, &dl) == 0)
				break;
		}
	}
	for (size_t i = 0; i < w->nfolders + 1; i++)
		free(w->slots[i].folder);
	free(w->slots);
	for (size_t i = 0; i < w->nfolders; i++)
		free(w->folders[i]);
	free(w->folders);
	free(w->accept_once);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->mu);
	free(w);
	*pw = NULL;
}

size_t watch_limit(watch_t *w)
{
	pthread_mutex_lock(&w->mu);
	size_t n = w->limit;
	pthread_mutex_unlock(&w->mu);
	return n;
}

size_t watch_listening(watch_t *w)
{
	pthread_mutex_lock(&w->mu);
	size_t n = 0;
	for (size_t i = 0; i < w->nslots; i++)
		n += w->slots[i].listening;
	pthread_mutex_unlock(&w->mu);
	return n;
}

bool watch_uses_notify(watch_t *w)
{
	pthread_mutex_lock(&w->mu);
	bool n = w->notify;
	pthread_mutex_unlock(&w->mu);
	return n;
}
