/* compose_edit.c - the draft's life after it is started (composer.c) and
 * while it is on the compose screen (compose_screen.c): the $EDITOR round
 * trip, handing a finished message to the outbox or to Drafts, and
 * cleaning up where its text came from.
 *
 * The editor's file lives in the outbox (outbox_edit_file), never in
 * /tmp: an editor that fails or a crash leaves it there, and the next
 * compose offers to continue it.  It is removed only once the text is
 * safe elsewhere (queued, postponed) or the user threw it away. */
#include "composer.h"

#include <errno.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include "alias.h"
#include "compose.h"

#include "conf.h"
#include "hookrun.h"
#include "outbox.h"

#include "roles.h"
#include "status.h"
#include "syncglue.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"

#define EDIT_FILE_MAX (64L * 1024 * 1024)

/* ---- small helpers ---- */

/* A whole file as a string (the editor may have written NULs: they end
 * the text, as any text tool would see it). */
char *compose_read_text_file(const char *path, char **err)
{
	FILE *f = fopen(path, "rb");
	if (!f) {
		*err = xasprintf("%s: %s", path, strerror(errno));
		return NULL;
	}
	struct strbuf b;
	strbuf_init(&b);
	char buf[8192];
	size_t k;
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0 && b.len < (size_t)EDIT_FILE_MAX)
		strbuf_add(&b, buf, k);
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		*err = xasprintf("%s: read error", path);
		strbuf_free(&b);
		return NULL;
	}
	strbuf_addc(&b, '\0');
	return strbuf_detach(&b);
}

static const char *account_name(struct ui *u)
{
	return u->account >= 0 ? conf_account_name(u->conf, (size_t)u->account) : NULL;
}

outbox_t *compose_open_outbox(struct ui *u, long account)
{
	if (account < 0 || (size_t)account >= conf_account_count(u->conf)) {
		status_error(u, "No account is configured: writing mail needs one (muttlike setup).");
		return NULL;
	}
	char *data = conf_data_dir(u->conf), *err = NULL;
	outbox_t *ob = outbox_open(data, conf_account_name(u->conf, (size_t)account), &err);
	if (!ob)
		status_error(u, "Cannot open the outbox: %s", err ? err : "?");
	free(err);
	free(data);
	return ob;
}

static outbox_t *open_outbox(struct ui *u)
{
	return compose_open_outbox(u, u->account);
}

/* The account's folder for sent mail or drafts, as a Maildir path. */
char *compose_folder_dir(struct ui *u, enum imap_special role)
{
	char *name = NULL;
	free(roles_folder(u->conf, u->account, role, &name));
	char *data = conf_data_dir(u->conf);
	char *dir = outbox_folder_dir(data, account_name(u), name);
	free(data);
	free(name);
	return dir;
}

void compose_identity_of(struct ui *u, struct compose_identity *id, char **sig)
{
	long a = u->account;
	*id = (struct compose_identity){
		.from = conf_str(u->conf, a, OPT_ID_from),
		.real_name = conf_str(u->conf, a, OPT_ID_real_name),
		.attribution = conf_str(u->conf, -1, OPT_ID_attribution),
		.quote_prefix = conf_str(u->conf, -1, OPT_ID_quote_prefix),
		.date_format = conf_str(u->conf, -1, OPT_ID_date_format),
	};
	id->lists = conf_lists(u->conf);
	id->my_hdr = conf_my_hdr(u->conf);
	const char *alt = conf_str(u->conf, a, OPT_ID_alternates);
	id->alternates = alt && *alt ? alt : NULL;
	*sig = NULL;
	char *path = conf_path(u->conf, a, OPT_ID_signature), *err = NULL;
	if (path && *path) {
		*sig = compose_read_text_file(path, &err);
		if (!*sig)
			status_error(u, "signature: %s", err);
	}
	id->signature = *sig;
	free(err);
	free(path);
}

/* The From an identity gives a new message, as the user would edit it. */
static char *identity_from(struct ui *u)
{
	struct compose_identity id;
	char *sig, *err = NULL, *from = NULL;
	compose_identity_of(u, &id, &sig);
	id.signature = NULL;
	compose_t *c = NULL;
	if (compose_build(COMPOSE_NEW, NULL, &id, &c, &err) == COMPOSE_OK)
		from = compose_addrs_text(c, CF_FROM);
	compose_free(&c);
	free(err);
	free(sig);
	return from ? from : xstrdup("");
}

char *compose_record_folder(struct ui *u)
{
	char *name = NULL;
	free(roles_folder(u->conf, u->account, IMAP_SPECIAL_SENT, &name));
	return name ? name : xstrdup("Sent");
}

/* To, Cc and Bcc in one string, to see whether they changed. */
static char *rcpts_key(const compose_t *c)
{
	char *to = compose_addrs_text(c, CF_TO), *cc = compose_addrs_text(c, CF_CC), *bcc = compose_addrs_text(c, CF_BCC);
	char *k = xasprintf("%s\n%s\n%s", to, cc, bcc);
	free(to);
	free(cc);
	free(bcc);
	return k;
}

static char *my_hdr_lines(struct ui *u)
{
	struct strbuf b;
	strbuf_init(&b);
	for (const char *const *l = conf_my_hdr(u->conf); *l; l++)
		strbuf_addf(&b, "%s\n", *l);
	return b.s ? strbuf_detach(&b) : xstrdup("");
}

/* The send-hooks changed my_hdr: the headers it no longer names go, the
 * ones it names now are set (From follows the options as below). */
static bool follow_my_hdr(struct ui *u, compose_t *c, struct compose_hooked *h)
{
	char *now = my_hdr_lines(u);
	bool changed = !h->my_hdr || strcmp(now, h->my_hdr) != 0;
	if (changed) {
		for (const char *p = h->my_hdr ? h->my_hdr : ""; *p; p += strcspn(p, "\n") + 1)
			compose_remove_header(c, p);
		for (const char *const *l = conf_my_hdr(u->conf); *l; l++) {
			char *err = NULL;
			if (strncasecmp(*l, "From:", 5) != 0)
				compose_add_header(c, *l, &err);
			free(err);
		}
	}
	free(h->my_hdr);
	h->my_hdr = now;
	return changed;
}

void compose_hooked_take(struct ui *u, const compose_t *c, const char *fcc, struct compose_hooked *h)
{
	compose_hooked_clear(h);
	h->rcpts = rcpts_key(c);
	h->from = identity_from(u);
	h->fcc = fcc ? xstrdup(fcc) : compose_record_folder(u);
	h->my_hdr = my_hdr_lines(u);
}

void compose_hooked_clear(struct compose_hooked *h)
{
	xfree(&h->rcpts);
	xfree(&h->from);
	xfree(&h->fcc);
	xfree(&h->my_hdr);
}

bool compose_rehook(struct ui *u, compose_t *c, struct compose_hooked *h, char **fcc)
{
	char *now = rcpts_key(c), *err = NULL;
	if (h->rcpts && strcmp(now, h->rcpts) == 0) {
		free(now);
		return false;
	}
	free(h->rcpts);
	h->rcpts = now;
	struct hook_msg m = { .from = compose_addrs(c, CF_FROM), .to = compose_addrs(c, CF_TO),
			      .cc = compose_addrs(c, CF_CC), .subject = compose_subject(c) };
	if (!hookrun_msg(u, HOOK_SEND, &m, NULL))
		return false;
	/* what the hooks decide replaces only what the user did not change */
	char *from = identity_from(u), *cur = compose_addrs_text(c, CF_FROM);
	bool changed = follow_my_hdr(u, c, h);
	if (h->from && strcmp(cur, h->from) == 0 && strcmp(from, cur) != 0)
		changed = compose_set_addrs(c, CF_FROM, from, &err);
	free(h->from);
	h->from = from;
	char *rec = compose_record_folder(u);
	if (fcc && *fcc && h->fcc && strcmp(*fcc, h->fcc) == 0 && strcmp(*fcc, rec) != 0) {
		free(*fcc);
		*fcc = xstrdup(rec);
		changed = true;
	}
	free(h->fcc);
	h->fcc = rec;
	free(cur);
	free(err);
	return changed;
}

/* `editor`, else $VISUAL, $EDITOR, vi. */
static const char *editor_command(struct ui *u)
{
	const char *e = conf_str(u->conf, -1, OPT_ID_editor);
	if (!e || !*e)
		e = getenv("VISUAL");
	if (!e || !*e)
		e = getenv("EDITOR");
	return e && *e ? e : "vi";
}

/* The user's editor command comes from their own config and may hold
 * arguments, so the shell parses it; the file name is "$1", never part of
 * the command text. */
static int run_editor(struct ui *u, const char *command, const char *path)
{
	char *cmd = xasprintf("%s \"$1\"", command);
	char *argv[] = { "/bin/sh", "-c", cmd, "sh", (char *)path, NULL };
	int st = ui_run_external(u, argv, -1, false);
	free(cmd);
	return st;
}

int compose_run_editor(struct ui *u, const char *path)
{
	return run_editor(u, editor_command(u), path);
}

/* ---- the editor round trip ---- */

/* Write the draft as the editor shows it into a new file under the outbox,
 * replacing the old one only once the new one is safely on disk. */
static bool write_edit_file(struct ui *u, compose_t *c, char **edit_file)
{
	outbox_t *ob = open_outbox(u);
	if (!ob)
		return false;
	char *text = compose_to_editable(c, conf_bool(u->conf, -1, OPT_ID_edit_headers)), *err = NULL;
	char *p = outbox_edit_file(ob, text, &err);
	free(text);
	outbox_free(&ob);
	if (!p) {
		status_error(u, "Cannot write the editor's file: %s", err ? err : "?");
		free(err);
		return false;
	}
	if (*edit_file)
		unlink(*edit_file);
	free(*edit_file);
	*edit_file = p;
	return true;
}

bool compose_save_file(struct ui *u, compose_t *c, char **edit_file)
{
	return write_edit_file(u, c, edit_file);
}

enum compose_edit_result compose_edit(struct ui *u, compose_t *c, char **edit_file, bool file_ahead)
{
	return compose_edit_with(u, c, edit_file, file_ahead, editor_command(u));
}

enum compose_edit_result compose_edit_with(struct ui *u, compose_t *c, char **edit_file, bool file_ahead,
					   const char *command)
{
	if ((!*edit_file || !file_ahead) && !write_edit_file(u, c, edit_file))
		return EDIT_FAILED;
	char *err = NULL;
	char *before = compose_read_text_file(*edit_file, &err);
	int st = run_editor(u, command, *edit_file);
	char *after = st == 0 ? compose_read_text_file(*edit_file, &err) : NULL;
	bool headers = conf_bool(u->conf, -1, OPT_ID_edit_headers);
	char *expanded = !after ? NULL : headers ? alias_expand_header_block(conf_aliases(u->conf), after) : xstrdup(after);
	enum compose_edit_result r = EDIT_OK;
	if (st != 0) {
		status_error(u, "%s failed (%s %d); your text is kept in %s.",
		             strcmp(command, editor_command(u)) == 0 ? "The editor" : command,
		             st < 0 ? "signal or" : "status", st, *edit_file);
		r = EDIT_FAILED;
	} else if (!after) {
		status_error(u, "Cannot read the editor's file: %s", err ? err : "?");
		r = EDIT_FAILED;
	} else if (!compose_from_editable(c, expanded, headers, &err)) {
		status_error(u, "%s (press e to fix it; nothing was changed).", err ? err : "bad header");
		r = EDIT_BAD;
	} else if (before && strcmp(before, after) == 0) {
		r = EDIT_UNCHANGED;
	}
	free(before);
	free(after);
	free(expanded);
	free(err);
	return r;
}

/* ---- queueing and postponing ---- */

static bool render_for_send(struct ui *u, compose_t *c, char **msg, size_t *len, char **copy, size_t *clen)
{
	struct compose_render_opts o = { .date = time(NULL), .user_agent = "muttlike/" MUTTLIKE_VERSION };
	char *err = NULL;
	enum compose_status st;
	*copy = NULL;
	*clen = 0;
	if (compose_kind(c) == COMPOSE_BOUNCE) {
		st = compose_render_bounce(c, &o, msg, len, &err);
	} else {
		st = compose_render(c, &o, false, msg, len, &err);
		o.include_bcc = true; /* same Date and Message-ID: one message, two copies */
		if (st == COMPOSE_OK && compose_addrs(c, CF_BCC)->n)
			st = compose_render(c, &o, false, copy, clen, &err);
	}
	if (st != COMPOSE_OK) {
		status_error(u, "%s", err ? err : "The message cannot be written.");
		free(*msg);
		*msg = NULL;
	}
	free(err);
	return st == COMPOSE_OK;
}

bool compose_queue(struct ui *u, compose_t *c, const struct compose_crypt *cc, const char *fcc, bool *sending)
{
	*sending = false;
	char *sender = NULL, **rcpts = NULL, *err = NULL, *msg = NULL, *copy = NULL;
	size_t len = 0, clen = 0;
	if (compose_envelope(c, &sender, &rcpts, &err) != COMPOSE_OK) {
		status_error(u, "%s", err ? err : "No recipients.");
		free(err);
		return false;
	}
	outbox_t *ob = NULL;
	char *id = NULL;
	if (render_for_send(u, c, &msg, &len, &copy, &clen) &&
	    (!cc || compose_crypt_apply(u, cc, c, false, &msg, &len, &copy, &clen)) && (ob = open_outbox(u))) {
		id = outbox_add(ob, msg, len, copy, clen, sender, rcpts, compose_orig_path(c), fcc, &err);
		if (!id)
			status_error(u, "Cannot queue the message: %s", err ? err : "?");
	}
	outbox_free(&ob);
	free(msg);
	free(copy);
	free(sender);
	free(err);
	compose_strv_free(&rcpts);
	if (!id)
		return false;
	free(id);
	*sending = compose_send_kick(u);
	return true;
}

bool compose_postpone(struct ui *u, compose_t *c, const struct compose_crypt *cc)
{
	struct compose_render_opts o = { .include_bcc = true, .user_agent = "muttlike/" MUTTLIKE_VERSION };
	char *msg = NULL, *err = NULL;
	size_t len = 0;
	if (!account_name(u)) {
		status_error(u, "No account is configured.");
		return false;
	}
	if (compose_render(c, &o, true, &msg, &len, &err) != COMPOSE_OK) {
		status_error(u, "%s", err ? err : "The draft cannot be written.");
		free(err);
		return false;
	}
	if (cc && !compose_crypt_apply(u, cc, c, true, &msg, &len, NULL, NULL)) {
		free(msg);
		return false;
	}
	char *dir = compose_folder_dir(u, IMAP_SPECIAL_DRAFTS), *file = NULL;
	bool ok = outbox_deliver_local(dir, msg, len, "DS", &file) == 0;
	/* indexed now, online or not: the folder list and recall see it */
	if (ok && !sync_glue_index_file(u, file, &err))
		status_error(u, "Message postponed to %s, but %s.", dir, err ? err : "?");
	else if (ok)
		status_message(u, "Message postponed to %s (uploaded at the next sync).", dir);
	else
		status_error(u, "Cannot save the draft in %s: %s", dir, strerror(errno));
	free(err);
	free(file);
	free(dir);
	free(msg);
	return ok;
}

/* ---- where the text came from ---- */

void compose_origin_done(struct ui *u, struct compose_origin *o, bool safe)
{
	char *err = NULL;
	if (o->outbox_id) {
		outbox_t *ob = compose_open_outbox(u, o->account);
		enum outbox_status st = !ob ? OUTBOX_ERR_IO
				      : safe ? outbox_remove(ob, o->outbox_id)
					     : outbox_release(ob, o->outbox_id);
		if (st != OUTBOX_OK && st != OUTBOX_ERR_NOT_FOUND)
			status_error(u, safe ? "The old copy stays in the outbox (held); delete it there."
			                     : "Cannot put the message back in the outbox; it is held there: send it "
			                       "from the outbox screen.");
		outbox_free(&ob);
	}
	/* only once the new text is queued or postponed: never lose the draft */
	if (safe && o->draft_file && !sync_glue_expunge_file(u, o->draft_file, &err))
		status_error(u, "The old draft could not be removed from Drafts: %s", err ? err : "?");
	free(err);
	compose_send_outbox_changed();
	if (o->outbox_id)
		ui_outbox_changed(u); /* the list below shows the new state when it is back on top */
	xfree(&o->draft_file);
	xfree(&o->outbox_id);
}
