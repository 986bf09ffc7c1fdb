/* composer.c - start writing (new, reply, forward, bounce, edit as new,
 * recall, edit a queued message): build the draft, run the first edit
 * (compose_edit.c), open the compose screen (compose_screen.c).
 *
 * The editor's file lives in the outbox (outbox_edit_file), never in
 * /tmp: an editor that fails or a crash leaves it there, and the next
 * compose offers to continue it.  It is removed only once the text is
 * safe elsewhere (queued, postponed) or the user threw it away. */
#include "composer.h"

#include <errno.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "alias.h"
#include "compose.h"

#include "conf.h"
#include "hookrun.h"
#include "mailview.h"
#include "outbox.h"

#include "postponed.h"
#include "prompt.h"

#include "status.h"

#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

static const struct {
	const char *function;
	enum compose_kind kind;
	bool needs_orig;
} kinds[] = {
	{ "mail", COMPOSE_NEW, false },
	{ "reply", COMPOSE_REPLY, true },
	{ "group-reply", COMPOSE_GROUP_REPLY, true },
	{ "list-reply", COMPOSE_LIST_REPLY, true },
	{ "forward-message", COMPOSE_FORWARD, true },
	{ "bounce-message", COMPOSE_BOUNCE, true },
	{ "edit-as-new", COMPOSE_EDIT_AS_NEW, true },
	{ "recall-message", COMPOSE_RECALL, true },
};

static const char *account_name(struct ui *u)
{
	return u->account >= 0 ? conf_account_name(u->conf, (size_t)u->account) : NULL;
}

/* ---- starting ---- */

/* Offer the newest text an editor left behind.  Returns a draft built
 * from it (and its file in *edit_file), or NULL. */
static compose_t *recover_leftover(struct ui *u, const struct compose_identity *id, char **edit_file)
{
	outbox_t *ob = compose_open_outbox(u, u->account);
	char **paths = NULL;
	size_t n = ob ? outbox_edit_leftovers(ob, &paths) : 0;
	outbox_free(&ob);
	compose_t *c = NULL;
	char *q = n ? xasprintf("Continue the unsent message you were writing%s?",
				n > 1 ? " (the newest of several)" : "")
		    : NULL;
	if (n && ui_yesno(u, q, true)) {
		char *err = NULL, *text = compose_read_text_file(paths[0], &err);
		if (text && compose_build(COMPOSE_NEW, NULL, id, &c, &err) == COMPOSE_OK &&
		    !compose_from_editable(c, text, conf_bool(u->conf, -1, OPT_ID_edit_headers), &err))
			status_error(u, "%s (press e to fix it).", err);
		else if (!c)
			status_error(u, "Cannot recover %s: %s", paths[0], err ? err : "?");
		if (c && !err)
			status_message(u, "Continuing the unsent message.");
		if (c)
			*edit_file = xstrdup(paths[0]);
		free(text);
		free(err);
	} else if (n && ui_yesno(u, "Throw that unsent text away for good?", false)) {
		unlink(paths[0]);
	}
	free(q);
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
	return c;
}

static void run_bounce(struct ui *u, compose_t *c)
{
	char *to = prompt_line(u, "Bounce message to: ", "", HIST_CMD, COMPLETE_ADDRESS), *err = NULL;
	bool sending;
	if (!to || !*to) {
		free(to);
		return;
	}
	char *expanded = alias_expand_format(conf_aliases(u->conf), to, &err);
	if (!expanded || !compose_set_addrs(c, CF_TO, expanded, &err))
		status_error(u, "%s", err ? err : "bad address");
	else if (ui_yesno(u, "Bounce the message?", true) && compose_queue(u, c, NULL, NULL, &sending) && sending)
		status_message(u, "Message bounced; sending in the background.");
	free(err);
	free(expanded);
	free(to);
}

/* Build the draft the function asks for; NULL with the reason shown. */
static compose_t *build(struct ui *u, enum compose_kind kind, const char *orig_file,
			const struct compose_identity *id)
{
	struct compose_orig o = { 0 };
	char *err = NULL;
	compose_t *c = NULL;
	bool with_atts = kind == COMPOSE_EDIT_AS_NEW || kind == COMPOSE_RECALL;
	bool quotes = kind != COMPOSE_BOUNCE && kind != COMPOSE_FORWARD_ATTACH;
	if (orig_file && compose_orig_load(orig_file, with_atts, &o, &err) != COMPOSE_OK)
		status_error(u, "Cannot read the message: %s", err ? err : "?");
	else if (orig_file && quotes && !compose_crypt_orig(u, &o, with_atts))
		; /* the reason is on the message line */
	else if (compose_build(kind, orig_file ? &o : NULL, id, &c, &err) != COMPOSE_OK)
		status_error(u, "%s", err ? err : "Cannot start the message.");
	compose_orig_clear(&o);
	free(err);
	if (c)
		compose_set_flowed(c, conf_bool(u->conf, -1, OPT_ID_text_flowed));
	return c;
}

/* The first editor run: an unchanged new message or reply is probably a
 * slip (abort_unmodified); a failed editor keeps the file and stops. */
static bool first_edit(struct ui *u, compose_t *c, char **edit_file, bool *file_ahead, bool may_abort)
{
	enum compose_edit_result r = compose_edit(u, c, edit_file, *file_ahead);
	*file_ahead = r == EDIT_BAD;
	if (r == EDIT_FAILED)
		return false;
	enum quad q = conf_quad(u->conf, -1, OPT_ID_abort_unmodified);
	if (r == EDIT_UNCHANGED && may_abort && q != QUAD_NO &&
	    (q == QUAD_YES || ui_yesno(u, "The message was not changed. Abort it?", q == QUAD_ASK_YES))) {
		unlink(*edit_file);
		status_message(u, "Message not changed: aborted.");
		return false;
	}
	return true;
}

static void start(struct ui *u, const char *function, const char *orig_file, const struct compose_prefill *pre);

void compose_run(struct ui *u, const char *function, const char *orig_file)
{
	start(u, function, orig_file, NULL);
}

/* A new message with fields filled in (query's pick, a list's mailto:). */
void compose_mail_prefilled(struct ui *u, const struct compose_prefill *pre)
{
	start(u, "mail", NULL, pre);
}

static bool prefill(struct ui *u, compose_t *c, const struct compose_prefill *pre);

bool compose_send_prepared(struct ui *u, const struct compose_prefill *pre, const char *att_name,
			   const char *att_type, const char *att_data, size_t att_len)
{
	if (!account_name(u)) {
		status_error(u, "No account is configured.");
		return false;
	}
	struct compose_identity id;
	char *sig;
	compose_identity_of(u, &id, &sig);
	id.signature = NULL; /* an automatic answer carries no signature */
	compose_t *c = build(u, COMPOSE_NEW, NULL, &id);
	bool sending = false, ok = c && prefill(u, c, pre);
	if (ok && att_data)
		compose_attach_data(c, att_name, att_type, att_data, att_len);
	ok = ok && compose_queue(u, c, NULL, NULL, &sending);
	compose_free(&c);
	free(sig);
	return ok;
}

static bool prefill(struct ui *u, compose_t *c, const struct compose_prefill *pre)
{
	char *err = NULL;
	bool ok = (!pre->to || compose_set_addrs(c, CF_TO, pre->to, &err)) &&
		  (!pre->cc || compose_set_addrs(c, CF_CC, pre->cc, &err));
	if (!ok)
		status_error(u, "%s", err ? err : "bad address");
	free(err);
	if (ok && pre->subject)
		compose_set_subject(c, pre->subject);
	if (ok && pre->body) { /* before the signature */
		char *b = xasprintf("%s\n%s", pre->body, compose_body(c));
		compose_set_body(c, b);
		free(b);
	}
	return ok;
}

static compose_t *build_prefilled(struct ui *u, enum compose_kind kind, const char *orig_file,
				  const struct compose_prefill *pre, const struct compose_identity *id)
{
	compose_t *c = build(u, kind, orig_file, id);
	if (c && pre && !prefill(u, c, pre))
		compose_free(&c);
	return c;
}

/* mutt's order: reply-hooks on the message replied to, then send-hooks on
 * the draft's headers; when any ran, the draft is built again with the
 * options they set (from, signature, attribution ...). */
static compose_t *build_with_hooks(struct ui *u, enum compose_kind kind, const char *orig_file,
				   const struct compose_prefill *pre, struct compose_identity *id, char **sig)
{
	compose_t *c = build_prefilled(u, kind, orig_file, pre, id);
	if (!c)
		return NULL;
	size_t ran = 0;
	if (orig_file && (kind == COMPOSE_REPLY || kind == COMPOSE_GROUP_REPLY || kind == COMPOSE_LIST_REPLY))
		ran += hookrun_file(u, HOOK_REPLY, orig_file, NULL);
	struct hook_msg m = { .from = compose_addrs(c, CF_FROM), .to = compose_addrs(c, CF_TO),
			      .cc = compose_addrs(c, CF_CC), .subject = compose_subject(c) };
	ran += hookrun_msg(u, HOOK_SEND, &m, NULL);
	if (!ran)
		return c;
	compose_free(&c);
	free(*sig);
	compose_identity_of(u, id, sig);
	return build_prefilled(u, kind, orig_file, pre, id);
}

static void start(struct ui *u, const char *function, const char *orig_file, const struct compose_prefill *pre)
{
	size_t k = 0;
	while (k < ARRAY_SIZE(kinds) && strcmp(kinds[k].function, function) != 0)
		k++;
	if (k == ARRAY_SIZE(kinds) || !account_name(u)) {
		status_error(u,
		             k == ARRAY_SIZE(kinds) ? "%s: not a compose function." : "%s: no account is configured.",
		             function);
		return;
	}
	if (kinds[k].needs_orig && !orig_file) {
		status_error(u, "No message selected.");
		return;
	}
	enum compose_kind kind = kinds[k].kind;
	struct compose_identity id;
	char *sig, *edit_file = NULL;
	compose_identity_of(u, &id, &sig);
	/* a bounce writes nothing, so it never picks up a leftover */
	compose_t *c = kind == COMPOSE_BOUNCE ? NULL : recover_leftover(u, &id, &edit_file);
	bool recovered = c != NULL, file_ahead = recovered; /* a recovered file holds the newest text */
	if (!c && kind == COMPOSE_FORWARD && ui_yesno(u, "Forward as attachment?", false))
		kind = COMPOSE_FORWARD_ATTACH;
	if (!c)
		c = build_with_hooks(u, kind, orig_file, pre, &id, &sig);
	free(sig);
	struct compose_hooked hooked = { 0 };
	if (c)
		compose_hooked_take(u, c, NULL, &hooked);
	if (c && kind == COMPOSE_BOUNCE && !edit_file) {
		run_bounce(u, c);
	} else if (c && first_edit(u, c, &edit_file, &file_ahead,
				   !recovered && kind != COMPOSE_RECALL && kind != COMPOSE_EDIT_AS_NEW)) {
		/* the editor changed the recipients: the send-hooks again */
		compose_rehook(u, c, &hooked, NULL);
		compose_hooked_clear(&hooked);
		/* a recalled draft goes once its text is safe; a recovered
		 * leftover replaced the recall, so the draft stays */
		struct compose_origin o = { .account = u->account };
		if (kind == COMPOSE_RECALL && !recovered)
			o.draft_file = xstrdup(orig_file);
		ui_push(u, compose_view_new(u, c, edit_file, file_ahead, &o, NULL));
		return; /* the screen owns both now */
	}
	compose_hooked_clear(&hooked);
	compose_free(&c);
	free(edit_file);
}

/* Is it a bounce (Resent-* on top of someone else's message)?  That is
 * not text to edit: delete it and bounce again. */
static bool is_bounce(const char *file)
{
	char *err = NULL, *head = compose_read_text_file(file, &err);
	bool r = false;
	for (const char *p = head; p && *p && *p != '\r' && *p != '\n';) {
		r |= strncasecmp(p, "Resent-From:", 12) == 0;
		const char *nl = strchr(p, '\n');
		p = nl ? nl + 1 : "";
	}
	free(head);
	free(err);
	return r;
}

void compose_edit_queued(struct ui *u, const char *qid)
{
	outbox_t *ob = compose_open_outbox(u, u->account);
	if (!ob)
		return;
	struct outbox_entry *v = NULL;
	size_t n = outbox_list(ob, &v), i = 0;
	while (i < n && strcmp(v[i].id, qid) != 0)
		i++;
	char *file = i < n ? outbox_message_file(ob, qid) : NULL;
	enum outbox_status st = OUTBOX_ERR_NOT_FOUND;
	if (!file)
		status_error(u, "That message is no longer in the outbox.");
	else if (v[i].sent)
		status_error(u,
		             "The server has this message already (only its Sent copy is left); it cannot be edited.");
	else if (is_bounce(file))
		status_error(u, "A bounce cannot be edited: delete it and bounce the message again.");
	else if ((st = outbox_hold(ob, qid)) == OUTBOX_ERR_BUSY)
		status_error(u, "The message is being sent right now; try again when that is done.");
	else if (st != OUTBOX_OK)
		status_error(u, "Cannot take the message out of the outbox: %s", strerror(errno));
	compose_t *c = NULL;
	char *edit_file = NULL;
	bool file_ahead = false;
	if (st == OUTBOX_OK) {
		struct compose_identity id;
		char *sig;
		compose_identity_of(u, &id, &sig);
		id.signature = NULL; /* the text has its signature already */
		c = build(u, COMPOSE_RECALL, file, &id);
		free(sig);
		if (c)
			compose_set_orig_path(c, v[i].answered); /* \Answered still goes to the original */
	}
	if (c && first_edit(u, c, &edit_file, &file_ahead, false)) {
		struct compose_origin o = { .outbox_id = xstrdup(qid), .account = u->account };
		ui_push(u, compose_view_new(u, c, edit_file, file_ahead, &o, v[i].fcc)); /* its Fcc stays */
		c = NULL;
		edit_file = NULL;
	} else if (st == OUTBOX_OK) {
		/* back in the queue as it was; a failed editor's file stays too
		 * (the message line says where), so nothing typed is lost */
		outbox_release(ob, qid);
	}
	compose_free(&c);
	free(edit_file);
	free(file);
	outbox_entries_free(&v, n);
	outbox_free(&ob);
}

/* ---- the functions as reader ops ---- */

/* The current message's file, as op_attachments finds it. */
static char *current_file(struct ui *u, struct view *v)
{
	size_t n = 0;
	char **ids = v->cls->targets ? v->cls->targets(u, v, &n) : NULL;
	u->tag_prefix = false; /* one message at a time: the prefix is spent */
	/* the store's name may predate a flag change: mailview finds the file */
	char *file = n && u->mv ? mailview_message_file(u->mv, ids[0]) : NULL;
	ui_free_strv(ids, n);
	if (file && access(file, F_OK) != 0) {
		free(file); /* really gone */
		file = NULL;
	}
	return file;
}

static void run_on_current(struct ui *u, struct view *v, const char *function)
{
	char *file = current_file(u, v);
	if (!file)
		status_error(u, "No message selected.");
	else
		compose_run(u, function, file);
	free(file);
}

void compose_op_mail(struct ui *u, struct view *v)
{
	(void)v;
	compose_run(u, "mail", NULL);
}

void compose_op_reply(struct ui *u, struct view *v) { run_on_current(u, v, "reply"); }
void compose_op_group_reply(struct ui *u, struct view *v) { run_on_current(u, v, "group-reply"); }
void compose_op_list_reply(struct ui *u, struct view *v) { run_on_current(u, v, "list-reply"); }
void compose_op_forward(struct ui *u, struct view *v) { run_on_current(u, v, "forward-message"); }
void compose_op_bounce(struct ui *u, struct view *v) { run_on_current(u, v, "bounce-message"); }
void compose_op_edit_as_new(struct ui *u, struct view *v) { run_on_current(u, v, "edit-as-new"); }
static void recall(struct ui *u, const char *file)
{
	compose_run(u, "recall-message", file);
}

/* A draft is recalled from the postponed folder only (anything else is
 * edit-as-new): the current message when it is one, else the postponed
 * messages to choose from, as mutt offers them. */
void compose_op_recall(struct ui *u, struct view *v)
{
	if (!account_name(u)) {
		status_error(u, "No account is configured.");
		return;
	}
	char *dir = compose_folder_dir(u, IMAP_SPECIAL_DRAFTS), *file = current_file(u, v);
	size_t n = strlen(dir);
	if (file && strncmp(file, dir, n) == 0 && file[n] == '/')
		compose_run(u, "recall-message", file);
	else
		postponed_offer(u, dir, recall);
	free(file);
	free(dir);
}
