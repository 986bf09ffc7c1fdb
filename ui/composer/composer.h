/* composer.h - the reader's half of writing mail: the $EDITOR round trip,
 * the compose screen, and sending in the background.
 *
 * The core (src/compose.h, src/outbox.h, src/smtp.h) builds, renders and
 * queues messages; this side asks the user, runs the editor with the
 * terminal given back, and hands the outbox to a worker thread so that
 * the UI never waits on SMTP.  Every text the user wrote lives in a file
 * under the outbox (outbox/edit/) from the first editor run until it is
 * sent, postponed or deliberately thrown away.
 */
#ifndef MUTTLIKE_UI_COMPOSER_H
#define MUTTLIKE_UI_COMPOSER_H

#include <stdbool.h>

#include "crypto.h"
#include "imap.h"

struct ui;
struct view;
struct compose;

/* ---- composer.c: starting to write ---- */

/* Start writing: function is the bound function's name ("mail", "reply",
 * "group-reply", "list-reply", "forward-message", "bounce-message",
 * "edit-as-new", "recall-message"); orig_file the current message's
 * Maildir file (NULL for "mail").  Runs the editor, then pushes the
 * compose screen; errors go to the message line. */
void compose_run(struct ui *u, const char *function, const char *orig_file);

/* "mail" with fields filled in (NULL: empty): query's pick, a mailing
 * list's mailto: link.  A leftover text found first wins, as for mail. */
struct compose_prefill {
	const char *to, *cc, *subject, *body;
};
void compose_mail_prefilled(struct ui *u, const struct compose_prefill *pre);
/* The same message queued at once, without the editor (an automatic
 * answer such as a calendar REPLY), with one data attachment (att_data
 * NULL: none).  false with the reason shown. */
bool compose_send_prepared(struct ui *u, const struct compose_prefill *pre, const char *att_name,
			   const char *att_type, const char *att_data, size_t att_len);
/* The same as reader ops (ops are not told their name): each takes the
 * current message of v, as view-attachments does.  For action_ops. */
void compose_op_mail(struct ui *u, struct view *v);
void compose_op_reply(struct ui *u, struct view *v);
void compose_op_group_reply(struct ui *u, struct view *v);
void compose_op_list_reply(struct ui *u, struct view *v);
void compose_op_forward(struct ui *u, struct view *v);
void compose_op_bounce(struct ui *u, struct view *v);
void compose_op_edit_as_new(struct ui *u, struct view *v);
void compose_op_recall(struct ui *u, struct view *v);

/* Take queued message id of the current account out of the outbox and
 * edit it: $EDITOR, then the compose screen (send queues the new text,
 * abort puts the old one back). */
void compose_edit_queued(struct ui *u, const char *id);

/* ---- compose_crypt.c: signing and encrypting (doc/crypto.md) ---- */

struct compose;
/* What the compose screen's pgp-menu chose for this message. */
struct compose_crypt {
	bool sign, encrypt;
	enum crypto_proto proto;
	bool chosen; /* set with pgp-menu: crypt_opportunistic_encrypt no longer decides */
	/* what the compose screen last found for its recipients (recomputed
	   when they change): */
	char *seen;    /* owned: the recipients and protocol looked at */
	bool keys_ok;  /* every recipient has a usable key in the user's keyring */
	int autocrypt; /* enum autocrypt_rec of them all; -1: autocrypt off (or S/MIME) */
};
void compose_crypt_clear(struct compose_crypt *cc);
/* From the account's options: crypt_autosign, crypt_protocol; encrypted
 * when the message answered or forwarded (orig_path, may be NULL) came
 * encrypted. */
void compose_crypt_init(struct ui *u, struct compose_crypt *cc, const char *orig_path);
/* The message o (replied to, forwarded, recalled) came encrypted: use
 * its decrypted content (memory only; compose_orig_use_decrypted).  false
 * with the reason on the message line when it cannot be decrypted. */
struct compose_orig;
bool compose_crypt_orig(struct ui *u, struct compose_orig *o, bool attachments);
/* pgp-menu: sign, encrypt, both, PGP/MIME or S/MIME, none. */
void compose_crypt_menu(struct ui *u, struct compose_crypt *cc);
/* pgp-attach-key: attach my OpenPGP public key (pgp_sign_as, else the
 * key of From:); false with the reason on the message line. */
bool compose_crypt_attach_key(struct ui *u, struct compose *c);
/* The state for the compose screen's header.  New string. */
char *compose_crypt_describe(struct ui *u, struct compose_crypt *cc, struct compose *c);
/* Sign and/or encrypt the rendered message *msg (and the Bcc copy *copy
 * when not NULL) in place, for sending, or for a draft (encrypted to my
 * own key only, when encrypt is chosen).  Recipient keys come from
 * crypto_key_for (a choice when several match); false with the reason on
 * the message line (a missing or refused key names its recipient), and
 * then nothing may be queued. */
bool compose_crypt_apply(struct ui *u, const struct compose_crypt *cc, struct compose *c, bool draft, char **msg,
			 size_t *len, char **copy, size_t *clen);

/* ---- compose_edit.c: the draft's life (shared with the screen) ---- */

/* Who I am for a new message: the account's from, real_name,
 * signature ...  Strings borrowed from the config, except *sig, which
 * the caller frees. */
struct compose_identity;
void compose_identity_of(struct ui *u, struct compose_identity *id, char **sig);
/* The account's record folder (Fcc) name.  New string. */
char *compose_record_folder(struct ui *u);

/* send-hooks again when the recipients change (after the editor, edit-to,
 * edit-cc, edit-bcc), as mutt does: what they saw last and what they
 * gave.  A From or Fcc the user changed since stays. */
struct compose_hooked {
	char *rcpts; /* owned: To, Cc, Bcc when the send-hooks last ran */
	char *from;  /* owned: the From the options gave then */
	char *fcc;   /* owned: the Fcc then (fcc given, or the record folder) */
	char *my_hdr; /* owned: the rc's my_hdr lines then, one a line */
};
void compose_hooked_take(struct ui *u, const struct compose *c, const char *fcc, struct compose_hooked *h);
void compose_hooked_clear(struct compose_hooked *h);
/* The recipients differ from h's: run the send-hooks on the draft's
 * headers, then set the draft's From (and *fcc, when not NULL) to what the
 * options say now where they still were what the hooks gave before.  true
 * when the draft (or *fcc) changed. */
bool compose_rehook(struct ui *u, struct compose *c, struct compose_hooked *h, char **fcc);

/* Run `editor` (else $VISUAL, $EDITOR, vi) on the file at path with the
 * terminal given back (path reaches the shell only as "$1").  The
 * editor's exit status, -1 for a signal. */
int compose_run_editor(struct ui *u, const char *path);

/* account's outbox (errors, including "no account", go to the message
 * line: NULL).  The caller frees it with outbox_free. */
struct outbox;
struct outbox *compose_open_outbox(struct ui *u, long account);

/* Where the text on a compose screen came from, to be cleaned up only once
 * the new text is safe (queued or postponed): a recalled draft is removed
 * from Drafts for good (locally and, at the next sync, on the server); an
 * outbox entry taken out to edit (held, outbox_hold) is removed, or put
 * back unchanged when the message is aborted. */
struct compose_origin {
	char *draft_file; /* owned, or NULL */
	char *outbox_id;  /* owned, or NULL */
	long account;     /* whose outbox */
};
/* The text is safe elsewhere (safe) or was thrown away (!safe): finish
 * the origin's part and clear it. */
void compose_origin_done(struct ui *u, struct compose_origin *o, bool safe);

enum compose_edit_result {
	EDIT_OK,        /* read back into the draft */
	EDIT_UNCHANGED, /* the user saved without changing anything */
	EDIT_BAD,       /* a bad header: the draft is unchanged, the file holds the text */
	EDIT_FAILED,    /* the editor failed: the text stays in the file (message line says where) */
};
/* Run the editor on the draft: on a new file written from c, or on the
 * existing *edit_file when file_ahead. */
enum compose_edit_result compose_edit(struct ui *u, struct compose *c, char **edit_file, bool file_ahead);
/* The same round trip with another command on the file (the spell
 * checker: `ispell`); command is parsed by the shell, the file is "$1". */
enum compose_edit_result compose_edit_with(struct ui *u, struct compose *c, char **edit_file, bool file_ahead,
					   const char *command);
/* Rewrite the editor's file from the draft (after a header or attachment
 * change on the screen), so a crash keeps the latest state. */
bool compose_save_file(struct ui *u, struct compose *c, char **edit_file);
/* Queue the message for sending and kick the worker; false with the
 * reason on the message line (nothing queued).  fcc: the folder for the
 * sent copy, kept with the outbox entry ("" none, NULL the record).  *sending says whether a
 * sender took it; when not (no SMTP settings), the reason is on the
 * message line and the message waits in the outbox. */
bool compose_queue(struct ui *u, struct compose *c, const struct compose_crypt *cc, const char *fcc,
		   bool *sending);
/* Save it as a draft in the account's postponed folder (flags DS, no UID:
 * the sync uploads it). */
bool compose_postpone(struct ui *u, struct compose *c, const struct compose_crypt *cc);
/* A whole file as a new string, or NULL with *err. */
char *compose_read_text_file(const char *path, char **err);
/* The current account's folder for sent mail or drafts (role), as a
 * Maildir path.  New string. */
char *compose_folder_dir(struct ui *u, enum imap_special role);

/* ---- compose_screen.c ---- */

/* The screen before sending.  Takes c and edit_file
 * (the draft's editor file, kept until the message is sent, postponed or
 * aborted) and *origin (may be NULL).  file_ahead: the file holds text
 * that c does not (the last edit could not be read back), so the next
 * edit reopens it as is.  fcc: the folder for the sent copy ("" none),
 * NULL for the account's record folder. */
struct view *compose_view_new(struct ui *u, struct compose *c, char *edit_file, bool file_ahead,
			      struct compose_origin *origin, const char *fcc);
/* The outbox entry the compose screen v edits, or NULL (v may be any view). */
const char *compose_view_outbox_id(const struct view *v);

/* ---- compose_send.c: the background sender ---- */

/* compose_send_kick queues a
 * flush of the current account's outbox on the worker thread (started on
 * demand).  compose_send_start registers the sender's descriptor with the
 * main loop, which then shows the outcome on the message line, and its
 * " outbox: N " in the status line.  The descriptor also carries a retry
 * timer: at start-up and every sync_interval the sender flushes every
 * outbox that holds messages. */
void compose_send_start(struct ui *u);
bool compose_send_kick(struct ui *u); /* false: cannot send, reason shown */
/* Is the sender at work (a flush running or queued)? */
bool compose_send_busy(void);
/* The status line's " outbox: N " (messages of the current account
 * waiting, held ones not counted) is counted again only after this or a
 * sender event. */
void compose_send_outbox_changed(void);
/* Cancel a send in progress and wait for the worker (at exit); what was
 * not sent stays in the outbox. */
void compose_send_stop(void);

#endif
