/* actions.c - the functions that change mail: read/unread, flag, tags,
 * delete and undo, move, copy, archive, mark a thread read, pipe.  They
 * work on the view's targets (the current entry, or the selected ones
 * after tag-prefix) and go through the sync engine, which applies them to
 * the store at once and queues them for the server. */
#include "actions.h"
#include "addrbook.h"
#include "export.h"
#include "invite.h"
#include "lists.h"
#include "msgedit.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "composer/composer.h"
#include "conf.h"
#include "mailview.h"
#include "prompt.h"
#include "roles.h"
#include "runcmd.h"
#include "sidebar.h"
#include "status.h"
#include "syncglue.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

static char **targets(struct ui *u, struct view *v, size_t *n)
{
	*n = 0;
	char **ids = v->cls->targets ? v->cls->targets(u, v, n) : NULL;
	if (u->tag_prefix)
		u->tag_prefix = false;
	if (!*n)
		status_error(u, "No message selected.");
	return ids;
}

/* Does the message have this tag? */
bool action_has_tag(struct ui *u, const char *id, const char *tag)
{
	if (!u->mv)
		return false;
	struct strbuf q;
	strbuf_init(&q);
	strbuf_adds(&q, "id:\"");
	for (const char *p = id; *p; p++) {
		if (*p == '"')
			strbuf_addc(&q, '"');
		strbuf_addc(&q, *p);
	}
	strbuf_addf(&q, "\" and tag:%s", tag);
	unsigned c = 0;
	mailview_count(u->mv, q.s, &c);
	strbuf_free(&q);
	return c > 0;
}

static bool apply(struct ui *u, struct sync_req *r)
{
	char *err = NULL;
	if (!sync_glue_apply(u, r, &err)) {
		status_error(u, "%s", err ? err : "failed");
		free(err);
		return false;
	}
	ui_store_changed(u);
	return true;
}

/* Add (on) or remove one flag tag on the targets; -1 toggles by the first. */
static void flag_targets(struct ui *u, struct view *v, const char *flag_tag, const char *what, int on)
{
	size_t n;
	char **ids = targets(u, v, &n);
	if (!n)
		return;
	if (on < 0)
		on = !action_has_tag(u, ids[0], flag_tag);
	char *tags = xasprintf("%c%s", on ? '+' : '-', flag_tag);
	struct sync_req r = { .action = SA_TAGS, .ids = (const char *const *)ids, .nids = n, .tags = tags };
	if (apply(u, &r))
		status_message(u, "%zu message%s %s%s.", n, n == 1 ? "" : "s", on ? "" : "un", what);
	free(tags);
	ui_free_strv(ids, n);
}

/* The ids of the last delete (or move to Junk), for undelete-message. */
static char **last_deleted;
static size_t nlast_deleted;

/* spam_command / ham_command on each message's raw text (stdin), with
 * MUTTLIKE_SPAM=1 or 0 in the environment.  false when one failed. */
static bool learn(struct ui *u, char **ids, size_t n, bool spam)
{
	const char *cmd = conf_str(u->conf, -1, spam ? OPT_ID_spam_command : OPT_ID_ham_command);
	const char *env[] = { spam ? "MUTTLIKE_SPAM=1" : "MUTTLIKE_SPAM=0", NULL };
	bool ok = true;
	for (size_t i = 0; cmd && *cmd && ok && i < n; i++) {
		char *file = u->mv ? mailview_message_file(u->mv, ids[i]) : NULL, *err = NULL;
		size_t len = 0;
		char *raw = file ? util_read_file(file, &len) : NULL;
		struct runcmd r = { .what = spam ? "spam_command" : "ham_command", .cmd = cmd, .env = env,
				    .in = raw, .in_len = len, .output = RUNCMD_OUT_NULL, .timeout_ms = 30000 };
		ok = raw && runcmd_run(&r, NULL, NULL, &err) == RUNCMD_OK;
		if (!ok)
			status_error(u, "%s: %s", r.what, err ? err : "cannot read the message");
		free(err);
		free(raw);
		free(file);
	}
	return ok;
}

/* mark-as-spam: $Junk (not $NotJunk) on the server, the learner, then
 * to the account's Junk folder (u undoes the move, as for a delete).
 * mark-as-ham: $NotJunk (not $Junk), the learner, and out of the Junk
 * folder into the INBOX. */
static void mark_spam(struct ui *u, struct view *v, bool spam)
{
	size_t n;
	char **ids = targets(u, v, &n);
	struct sync_req t = { .action = SA_TAGS, .ids = (const char *const *)ids, .nids = n,
			      .tags = spam ? "+$Junk -$NotJunk" : "+$NotJunk -$Junk" };
	if (!n || !learn(u, ids, n, spam) || !apply(u, &t)) {
		ui_free_strv(ids, n);
		return;
	}
	if (spam) {
		struct sync_req r = { .action = SA_JUNK, .ids = (const char *const *)ids, .nids = n };
		if (apply(u, &r)) {
			ui_free_strv(last_deleted, nlast_deleted);
			last_deleted = ids;
			nlast_deleted = n;
			status_message(u, "%zu message%s marked as spam and moved to Junk (u to undo).", n,
				       n == 1 ? "" : "s");
			return;
		}
	} else {
		char *junk = roles_folder(u->conf, u->account, IMAP_SPECIAL_JUNK, NULL);
		size_t k = 0;
		for (size_t i = 0; i < n; i++) { /* only what is in Junk goes back to the INBOX */
			char *file = u->mv ? mailview_message_file(u->mv, ids[i]) : NULL;
			char *dir = file ? xasprintf("/%s/cur/", junk ? junk : "Junk") : NULL;
			if (file && strstr(file, dir)) {
				char *tmp = ids[k];
				ids[k++] = ids[i];
				ids[i] = tmp;
			}
			free(dir);
			free(file);
		}
		free(junk);
		struct sync_req r = { .action = SA_MOVE, .ids = (const char *const *)ids, .nids = k, .folder = "INBOX" };
		if (!k || apply(u, &r))
			status_message(u, "%zu message%s marked as not spam%s.", n, n == 1 ? "" : "s",
				       k ? ", back in the INBOX" : "");
	}
	ui_free_strv(ids, n);
}

static void op_mark_spam(struct ui *u, struct view *v) { mark_spam(u, v, true); }
static void op_mark_ham(struct ui *u, struct view *v) { mark_spam(u, v, false); }

static void op_toggle_new(struct ui *u, struct view *v) { flag_targets(u, v, "unread", "marked unread", -1); }
static void op_flag(struct ui *u, struct view *v) { flag_targets(u, v, "flagged", "flagged", -1); }

/* mutt's w / W: which flag is asked with one key (! flagged, N unread). */
static void set_or_clear_flag(struct ui *u, struct view *v, bool on)
{
	int k = prompt_choice(u, NULL, 0, on ? "Set flag (! flagged, N unread): " : "Clear flag (! flagged, N unread): ",
			      "!n", 0);
	if (k == '!')
		flag_targets(u, v, "flagged", "flagged", on);
	else if (k == 'n')
		flag_targets(u, v, "unread", "marked unread", on);
}

static void op_set_flag(struct ui *u, struct view *v) { set_or_clear_flag(u, v, true); }
static void op_clear_flag(struct ui *u, struct view *v) { set_or_clear_flag(u, v, false); }

static void op_modify_tags(struct ui *u, struct view *v)
{
	char *t = prompt_line(u, "Tags (+tag -tag): ", "", HIST_TAGS, COMPLETE_TAGS);
	if (!t || !*t) {
		free(t);
		return;
	}
	size_t n;
	char **ids = targets(u, v, &n);
	if (n) {
		struct sync_req r = { .action = SA_TAGS, .ids = (const char *const *)ids, .nids = n, .tags = t };
		if (apply(u, &r))
			status_message(u, "Tags changed on %zu message%s.", n, n == 1 ? "" : "s");
	}
	ui_free_strv(ids, n);
	free(t);
}


static void op_delete(struct ui *u, struct view *v)
{
	size_t n;
	char **ids = targets(u, v, &n);
	if (n)
		action_delete(u, ids, n);
}

void action_delete(struct ui *u, char **ids, size_t n)
{
	enum quad q = conf_quad(u->conf, -1, OPT_ID_confirm_delete);
	char *question = xasprintf("Delete %zu message%s?", n, n == 1 ? "" : "s");
	bool go = q == QUAD_NO || ui_yesno(u, question, q != QUAD_ASK_NO);
	free(question);
	struct sync_req r = { .action = SA_DELETE, .ids = (const char *const *)ids, .nids = n };
	if (go && apply(u, &r)) {
		ui_free_strv(last_deleted, nlast_deleted);
		last_deleted = ids;
		nlast_deleted = n;
		status_message(u, "%zu message%s moved to Trash (u to undo).", n, n == 1 ? "" : "s");
		return;
	}
	ui_free_strv(ids, n);
}

/* edit-message (ui/msgedit.c) on the current message; u brings the old one back. */
static void op_edit_message(struct ui *u, struct view *v)
{
	size_t n;
	char **ids = targets(u, v, &n);
	if (n && msgedit_edit(u, ids[0])) {
		ui_free_strv(last_deleted, nlast_deleted);
		for (size_t i = 1; i < n; i++)
			free(ids[i]);
		last_deleted = ids;
		nlast_deleted = 1;
		return;
	}
	ui_free_strv(ids, n);
}

static void op_undelete(struct ui *u, struct view *v)
{
	(void)v;
	if (!nlast_deleted) {
		status_error(u, "Nothing to undo.");
		return;
	}
	struct sync_req r = { .action = SA_MOVE, .ids = (const char *const *)last_deleted, .nids = nlast_deleted,
			      .folder = NULL };
	if (apply(u, &r)) {
		status_message(u, "Restored %zu message%s.", nlast_deleted, nlast_deleted == 1 ? "" : "s");
		ui_free_strv(last_deleted, nlast_deleted);
		last_deleted = NULL;
		nlast_deleted = 0;
	}
}

static void move_or_copy(struct ui *u, struct view *v, enum sync_action act)
{
	char *typed = prompt_line(u, act == SA_MOVE ? "Move to folder: " : "Copy to folder: ", "", HIST_FOLDER,
				  COMPLETE_FOLDER);
	if (typed && export_is_path(typed)) { /* a file or directory outside the mirror */
		size_t n;
		char **ids = targets(u, v, &n);
		export_save(u, ids, n, typed, false);
		ui_free_strv(ids, n);
		free(typed);
		return;
	}
	char *f = typed && *typed ? sidebar_dest_folder(u, typed) : NULL;
	free(typed);
	if (!f)
		return;
	size_t n;
	char **ids = targets(u, v, &n);
	if (n) {
		struct sync_req r = { .action = act, .ids = (const char *const *)ids, .nids = n, .folder = f };
		if (apply(u, &r))
			status_message(u, "%zu message%s %s to %s.", n, n == 1 ? "" : "s",
			               act == SA_MOVE ? "moved" : "copied", f);
	}
	ui_free_strv(ids, n);
	free(f);
}

static void op_save(struct ui *u, struct view *v) { move_or_copy(u, v, SA_MOVE); }
static void op_copy(struct ui *u, struct view *v) { move_or_copy(u, v, SA_COPY); }

static void op_archive(struct ui *u, struct view *v)
{
	size_t n;
	char **ids = targets(u, v, &n);
	struct sync_req r = { .action = SA_ARCHIVE, .ids = (const char *const *)ids, .nids = n };
	if (n && apply(u, &r))
		status_message(u, "%zu message%s archived.", n, n == 1 ? "" : "s");
	ui_free_strv(ids, n);
}

/* Every unread message of the current thread (in the index: of the line). */
static void op_read_thread(struct ui *u, struct view *v)
{
	bool prefix = u->tag_prefix;
	u->tag_prefix = false;
	size_t n;
	char **ids = v->cls->targets ? v->cls->targets(u, v, &n) : NULL;
	u->tag_prefix = prefix;
	if (!ids || !n) {
		status_error(u, "No message selected.");
		return;
	}
	char *err = NULL;
	struct strbuf q;
	strbuf_init(&q);
	strbuf_adds(&q, "id:\"");
	for (const char *p = ids[0]; *p; p++) {
		if (*p == '"')
			strbuf_addc(&q, '"');
		strbuf_addc(&q, *p);
	}
	strbuf_adds(&q, "\"");
	ui_free_strv(ids, n);
	/* thread of the message, all its unread messages */
	mv_list_t *l = u->mv ? mv_list_open(u->mv, q.s, MV_THREADS, MV_NEWEST_FIRST, &err) : NULL;
	strbuf_free(&q);
	struct mv_entry *t = l && mv_list_fill(l, 1, 0) ? mv_list_entry(l, 0) : NULL;
	mv_list_t *msgs = t ? mv_list_thread(u->mv, t->id, "tag:unread", &err) : NULL;
	char **un = NULL;
	size_t nu = 0;
	for (size_t i = 0; msgs && i < mv_list_count(msgs); i++) {
		struct mv_entry *m = mv_list_entry(msgs, i);
		if (!(m->flags & MV_UNREAD))
			continue;
		un = xreallocarray(un, nu + 1, sizeof(char *));
		un[nu++] = xstrdup(m->id);
	}
	mv_list_free(&msgs);
	mv_list_free(&l);
	free(err);
	struct sync_req r = { .action = SA_TAGS, .ids = (const char *const *)un, .nids = nu, .tags = "-unread" };
	if (!nu)
		status_message(u, "The thread has no unread messages.");
	else if (apply(u, &r))
		status_message(u, "%zu message%s marked read.", nu, nu == 1 ? "" : "s");
	ui_free_strv(un, nu);
}

void action_seen(struct ui *u, const char *msgid)
{
	if (!msgid || !*msgid || !sync_glue_available(u) || !action_has_tag(u, msgid, "unread"))
		return;
	const char *ids[1] = { msgid };
	struct sync_req r = { .action = SA_TAGS, .ids = ids, .nids = 1, .tags = "-unread" };
	char *err = NULL;
	if (!sync_glue_apply(u, &r, &err))
		status_error(u, "Cannot mark read: %s", err ? err : "?");
	free(err);
}

static void op_attachments(struct ui *u, struct view *v)
{
	size_t n;
	char **ids = targets(u, v, &n);
	char *file = n && u->mv ? mailview_message_file(u->mv, ids[0]) : NULL;
	ui_free_strv(ids, n);
	if (file)
		ui_push(u, u->views->attach(u, file));
	free(file);
}

const struct op action_ops[] = {
	{ "toggle-new", op_toggle_new },
	{ "flag-message", op_flag },
	{ "set-flag", op_set_flag },
	{ "clear-flag", op_clear_flag },
	{ "modify-tags", op_modify_tags },
	{ "delete-message", op_delete },
	{ "undelete-message", op_undelete },
	{ "save-message", op_save },
	{ "copy-message", op_copy },
	{ "archive-message", op_archive },
	{ "mark-as-spam", op_mark_spam },
	{ "mark-as-ham", op_mark_ham },
	{ "read-thread", op_read_thread },
	{ "pipe-message", export_op_pipe }, /* ui/export.c */
	{ "decode-save", export_op_decode_save }, /* ui/export.c */
	{ "export-thread", export_op_thread }, /* ui/export.c */
	{ "print-message", export_op_print }, /* ui/export.c */
	{ "view-attachments", op_attachments },
	{ "edit-message", op_edit_message },
	{ "mail", compose_op_mail }, /* ui/compose.c */
	{ "create-alias", addrbook_op_create_alias }, /* ui/addrbook.c */
	{ "query", addrbook_op_query }, /* ui/addrbook.c */
	{ "list-unsubscribe", lists_op_unsubscribe }, /* ui/lists.c */
	{ "list-subscribe", lists_op_subscribe }, /* ui/lists.c */
	{ "list-post", lists_op_post }, /* ui/lists.c */
	{ "list-help", lists_op_help }, /* ui/lists.c */
	{ "accept", invite_op_accept }, /* ui/invite.c */
	{ "tentative", invite_op_tentative }, /* ui/invite.c */
	{ "decline", invite_op_decline }, /* ui/invite.c */
	{ "reply", compose_op_reply }, /* ui/compose.c */
	{ "group-reply", compose_op_group_reply }, /* ui/compose.c */
	{ "list-reply", compose_op_list_reply }, /* ui/compose.c */
	{ "forward-message", compose_op_forward }, /* ui/compose.c */
	{ "bounce-message", compose_op_bounce }, /* ui/compose.c */
	{ "edit-as-new", compose_op_edit_as_new }, /* ui/compose.c */
	{ "recall-message", compose_op_recall }, /* ui/compose.c */
	{ NULL, NULL },
};
