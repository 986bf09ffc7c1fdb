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
#include "ui.h"
#include "uistate.h"
#include "util.h"

/* mutt's `push KEYS` and `exec FUNCTION...` in a hook: queued as keys
 * (functions as <name>), run once the loop reads keys again. */
static bool keys_line(struct ui *u, const char *line)
{
	line += strspn(line, " \t");
	bool push = strncmp(line, "push ", 5) == 0, exec = strncmp(line, "exec ", 5) == 0;
	if (!push && !exec)
		return false;
	const char *arg = line + 5 + strspn(line + 5, " \t");
	size_t len = strlen(arg);
	struct strbuf b;
	strbuf_init(&b);
	if (push && len >= 2 && (arg[0] == '"' || arg[0] == '\'') && arg[len - 1] == arg[0]) {
		strbuf_add(&b, arg + 1, len - 2);
	} else if (push) {
		strbuf_adds(&b, arg);
	} else {
		char *copy = xstrdup(arg), *save = NULL;
		for (char *fn = strtok_r(copy, " ", &save); fn; fn = strtok_r(NULL, " ", &save))
			strbuf_addf(&b, "<%s>", fn);
		free(copy);
	}
	if (b.len)
		ui_push_keys(u, b.s);
	strbuf_free(&b);
	return true;
}

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
		if (!keys_line(u, copy[i]) && conf_command(u->conf, u->account, copy[i]))
			status_error(u, "%s: %s", hooks_type_name(t), conf_error(u->conf, conf_error_count(u->conf) - 1));
		free(copy[i]);
	}
	free(copy);
	/* as after a `:` command: bindings, colours, mouse.  Not for the
	 * message and compose hooks: the views are reloaded by it, and the
	 * pager is in the middle of loading */
	if (n && (t == HOOK_FOLDER || t == HOOK_ACCOUNT || t == HOOK_STARTUP))
		ui_reload_config(u);
	return n;
}

void hookrun_folder(struct ui *u, const char *title)
{
	hookrun_named(u, HOOK_FOLDER, title);
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
	if (!file || !hooks_count(conf_hooks(u->conf), t) || mime_msg_parse_file(file, &m) != MIME_OK)
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
	char ***seen; /* per account: sorted ids of unread INBOX messages seen in this session */
	size_t *nseen;
	size_t n;
	bool primed;
};

#define HOOKRUN_MAX_SCAN 5000 /* unread INBOX messages looked at per check */

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

static void seen_clear(struct hookrun_mail *m)
{
	for (size_t a = 0; a < m->n; a++) {
		for (size_t i = 0; i < m->nseen[a]; i++)
			free(m->seen[a][i]);
		free(m->seen[a]);
	}
	free(m->seen);
	free(m->nseen);
	m->seen = NULL;
	m->nseen = NULL;
	m->n = 0;
}

void hookrun_mail_free(struct hookrun_mail **m)
{
	if (*m)
		seen_clear(*m);
	xfree(m);
}

static int by_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* How many of the account's unread INBOX messages were not seen before;
 * they join the seen set (a message moved out and back is not new). */
static size_t unseen(struct hookrun_mail *m, size_t a, mv_list_t *l)
{
	size_t fresh = 0, n = mv_list_count(l), old = m->nseen[a];
	for (size_t i = 0; i < n; i++) {
		const char *id = mv_list_entry(l, i)->id;
		if (old && bsearch(&id, m->seen[a], old, sizeof(char *), by_str))
			continue;
		m->seen[a] = xreallocarray(m->seen[a], m->nseen[a] + 1, sizeof(char *));
		m->seen[a][m->nseen[a]++] = xstrdup(id);
		fresh++;
	}
	qsort(m->seen[a], m->nseen[a], sizeof(char *), by_str);
	return fresh;
}

void hookrun_mail_check(struct ui *u, void *data)
{
	struct hookrun_mail *m = data;
	size_t na = conf_account_count(u->conf);
	if (!u->mv || !na || !hooks_count(conf_hooks(u->conf), HOOK_NEW_MAIL))
		return;
	if (m->n != na) {
		seen_clear(m);
		m->seen = xcalloc(na, sizeof(char **));
		m->nseen = xcalloc(na, sizeof(size_t));
		m->n = na;
		m->primed = false;
	}
	for (size_t a = 0; a < na; a++) {
		const char *acc = conf_account_name(u->conf, a);
		char *q = xasprintf("folder:\"%s/INBOX\" and tag:unread", acc), *err = NULL;
		mv_list_t *l = mv_list_open(u->mv, q, MV_MESSAGES, MV_NEWEST_FIRST, &err);
		if (l) {
			mv_list_fill(l, HOOKRUN_MAX_SCAN, 0);
			size_t fresh = unseen(m, a, l);
			if (m->primed && fresh)
				new_mail(u, acc, "INBOX", (unsigned)fresh);
		}
		mv_list_free(&l);
		free(err);
		free(q);
	}
	m->primed = true;
}
