/* hookrun.c - mutt's hooks at the reader's points (see hookrun.h). */
#include "hookrun.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "conf.h"
#include "log.h"
#include "mailview.h"
#include "mime.h"
#include "status.h"
#include "uistate.h"
#include "util.h"

static size_t run(struct ui *u, enum hook_type t, const struct hook_ctx *ctx)
{
	size_t n = 0;
	const char **cmds = hooks_collect(conf_hooks(u->conf), t, ctx, &n);
	/* the strings are the table's: a command may change the table */
	char **copy = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		copy[i] = xstrdup(cmds[i]);
	free(cmds);
	for (size_t i = 0; i < n; i++) {
		if (conf_command(u->conf, u->account, copy[i]))
			status_error(u, "%s: %s", hooks_type_name(t), conf_error(u->conf, conf_error_count(u->conf) - 1));
		free(copy[i]);
	}
	free(copy);
	return n;
}

size_t hookrun_named(struct ui *u, enum hook_type t, const char *name)
{
	return run(u, t, &(struct hook_ctx){ .name = name });
}

struct qm {
	struct ui *u;
	const char *msgid;
};

/* message-hook: does the message match this notmuch query? */
static bool query_match(void *ud, const char *query)
{
	struct qm *q = ud;
	if (!q->u->mv || !q->msgid)
		return false;
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "id:\"");
	for (const char *p = q->msgid; *p; p++) {
		if (*p == '"')
			strbuf_addc(&b, '"');
		strbuf_addc(&b, *p);
	}
	strbuf_adds(&b, "\" and (");
	strbuf_adds(&b, query);
	strbuf_adds(&b, ")");
	unsigned count = 0;
	bool ok = mailview_count(q->u->mv, b.s, &count) && count > 0;
	strbuf_free(&b);
	return ok;
}

size_t hookrun_msg(struct ui *u, enum hook_type t, const struct hook_msg *m, const char *msgid)
{
	struct hook_msg with = *m;
	with.lists = conf_lists(u->conf);
	struct qm q = { u, msgid };
	return run(u, t, &(struct hook_ctx){ .msg = &with, .query_match = query_match, .ud = &q });
}

static void to_list(struct addr_list *l, const struct mime_addrlist *m)
{
	addr_list_init(l);
	for (size_t i = 0; i < m->n; i++)
		addr_list_add(l, m->v[i].name, m->v[i].mailbox);
}

size_t hookrun_file(struct ui *u, enum hook_type t, const char *file, const char *msgid)
{
	mime_msg_t *m = NULL;
	if (!file || mime_msg_parse_file(file, &m) != MIME_OK)
		return 0;
	struct addr_list from, to, cc;
	to_list(&from, mime_msg_addrs(m, MIME_H_FROM));
	to_list(&to, mime_msg_addrs(m, MIME_H_TO));
	to_list(&cc, mime_msg_addrs(m, MIME_H_CC));
	struct hook_msg hm = { .from = &from, .to = &to, .cc = &cc, .subject = mime_msg_header(m, MIME_H_SUBJECT) };
	size_t n = hookrun_msg(u, t, &hm, msgid);
	addr_list_clear(&from);
	addr_list_clear(&to);
	addr_list_clear(&cc);
	mime_msg_free(&m);
	return n;
}

/* ---- new-mail-hook ---- */

struct hookrun_mail {
	unsigned *seen; /* unread in each account's INBOX when last looked */
	size_t n;
	bool primed;
};

struct event_job {
	char **cmds; /* NULL-terminated */
	char *env[4];
};

static void *event_thread(void *arg)
{
	struct event_job *j = arg;
	for (char **c = j->cmds; *c; c++) {
		char *err = NULL;
		if (!hooks_run_event(*c, (const char *const *)j->env, NULL, 0, 60000, &err))
			log_warn("new-mail-hook: %s", err ? err : "failed");
		free(err);
		free(*c);
	}
	free(j->cmds);
	for (size_t i = 0; j->env[i]; i++)
		free(j->env[i]);
	free(j);
	return NULL;
}

/* Run the new-mail-hooks on a detached worker: the data only in the environment. */
static void new_mail(struct ui *u, const char *account, const char *folder, unsigned count)
{
	size_t n = 0;
	const char **cmds = hooks_collect(conf_hooks(u->conf), HOOK_NEW_MAIL, &(struct hook_ctx){ 0 }, &n);
	if (!n) {
		free(cmds);
		return;
	}
	struct event_job *j = xcalloc(1, sizeof(*j));
	j->cmds = xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		j->cmds[i] = xstrdup(cmds[i]);
	free(cmds);
	j->env[0] = xasprintf("MUTTLIKE_ACCOUNT=%s", account);
	j->env[1] = xasprintf("MUTTLIKE_FOLDER=%s", folder);
	j->env[2] = xasprintf("MUTTLIKE_NEW=%u", count);
	pthread_t th;
	pthread_attr_t at;
	pthread_attr_init(&at);
	pthread_attr_setdetachstate(&at, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&th, &at, event_thread, j) != 0)
		event_thread(j); /* no thread: run them here */
	pthread_attr_destroy(&at);
}

struct hookrun_mail *hookrun_mail_new(void) { return xcalloc(1, sizeof(struct hookrun_mail)); }

void hookrun_mail_free(struct hookrun_mail **m)
{
	if (*m)
		free((*m)->seen);
	xfree(m);
}

void hookrun_mail_check(struct ui *u, void *data)
{
	struct hookrun_mail *m = data;
	size_t na = conf_account_count(u->conf);
	if (!u->mv || !na)
		return;
	if (m->n != na) {
		m->seen = xreallocarray(m->seen, na, sizeof(unsigned));
		memset(m->seen, 0, na * sizeof(unsigned));
		m->n = na;
		m->primed = false;
	}
	for (size_t a = 0; a < na; a++) {
		const char *acc = conf_account_name(u->conf, a);
		char *q = xasprintf("folder:\"%s/INBOX\" and tag:unread", acc);
		unsigned c = 0;
		if (mailview_count(u->mv, q, &c)) {
			if (m->primed && c > m->seen[a])
				new_mail(u, acc, "INBOX", c - m->seen[a]);
			m->seen[a] = c;
		}
		free(q);
	}
	m->primed = true;
}
