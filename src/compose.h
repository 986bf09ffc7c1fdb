/* compose.h - a message being written: its headers, body and attachments;
 * building replies and forwards from an original; the text the editor
 * shows and reading it back; and the final RFC 5322 / MIME message.
 *
 * Header injection is impossible by construction: every text that enters
 * a compose_t (from the user, the editor file or a replied-to message) is
 * cleaned of CR, LF and controls on the way in, addresses are validated
 * (addr.h), and the renderer encodes and folds every header itself.
 *
 * A compose_t is plain data and does no I/O except reading attached files
 * when it is rendered.  Sending and keeping it safe on disk is outbox.h.
 */
#ifndef MUTTLIKE_COMPOSE_H
#define MUTTLIKE_COMPOSE_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "addr.h"

enum compose_kind {
	COMPOSE_NEW,            /* m */
	COMPOSE_REPLY,          /* r: to Reply-To or From */
	COMPOSE_GROUP_REPLY,    /* g: and everyone in To and Cc, but not me */
	COMPOSE_LIST_REPLY,     /* L: to the List-Post address */
	COMPOSE_FORWARD,        /* f: the original quoted inline */
	COMPOSE_FORWARD_ATTACH, /* the original as a message/rfc822 attachment */
	COMPOSE_BOUNCE,         /* b: resend unchanged with Resent-* headers */
	COMPOSE_EDIT_AS_NEW,    /* the original's headers and text, new message */
	COMPOSE_RECALL,         /* a postponed draft, continued */
};

enum compose_status {
	COMPOSE_OK = 0,
	COMPOSE_ERR_INPUT,   /* a bad address, no recipient, ... (see *err) */
	COMPOSE_ERR_IO,      /* an attachment or original could not be read */
	COMPOSE_ERR_NO_LIST, /* list reply to a message without List-Post */
};

/* What compose needs from a message being replied to or forwarded.  Every
 * string is UTF-8, one line (no CR/LF) and owned; NULL when absent.  Fill
 * it from a file with compose_orig_load() (uses mime.h) or by hand in
 * tests. */
struct compose_orig {
	char *path;          /* the Maildir file, for \Answered after sending */
	char *subject;
	char *message_id;    /* "<...>" */
	char *in_reply_to;
	char *references;    /* "<a> <b> ..." */
	char *list_post;     /* the raw List-Post value */
	char *date_text;     /* the Date header as written */
	time_t date;         /* 0 when unknown */
	struct addr_list from, to, cc, bcc, reply_to; /* bcc: only a draft has one */
	struct addr_list delivered_to; /* Delivered-To / X-Original-To: which of my addresses got it */
	char *body;          /* the text to quote (sanitized, '\n' lines), never NULL */
	char *raw;           /* the message as stored, for forwarding as attachment and bounce */
	size_t raw_len;
	/* a draft's attachments (recall), decoded */
	size_t natt;
	struct compose_orig_att {
		char *name, *type;
		char *data;
		size_t len;
	} *att;
};
void compose_orig_clear(struct compose_orig *o);
void compose_orig_clear_atts(struct compose_orig *o);
/* o came encrypted: the decrypted entity inner (memory only) gives the
 * body to quote, a Subject inside (protected headers) and, with
 * attachments, a draft's attachments in place of the ciphertext parts. */
struct mime_msg;
void compose_orig_use_decrypted(struct compose_orig *o, const struct mime_msg *inner, bool attachments);
/* Parse the message file at path into o (cleared first); attachments:
 * also decode its attachments into o->att (edit-as-new, recall).  Returns
 * COMPOSE_ERR_IO with *err (caller frees) when it cannot be read. */
enum compose_status compose_orig_load(const char *path, bool attachments, struct compose_orig *o, char **err);

/* Who I am for this message, and how to quote.  Strings borrowed. */
struct compose_identity {
	const char *from;         /* account's `from`: "Name <addr>"; may be empty */
	const char *real_name;    /* used when from has no name */
	const char *alternates;   /* POSIX extended regex of my other addresses, or NULL */
	const char *attribution;  /* "On %d, %n wrote:" */
	const char *quote_prefix; /* "> " */
	const char *date_format;  /* strftime(3) format of %d in the attribution */
	const char *signature;    /* the signature text (not the file name), or NULL */
	const char *hostname;     /* right side of generated Message-IDs (else from's domain) */
	const char *const *lists; /* the rc's `lists`/`subscribe` regexes, NULL-terminated, or NULL:
				   * list-reply to a message without List-Post goes to a To/Cc that matches */
	const char *const *my_hdr; /* the rc's my_hdr "Name: value" lines for new messages, replies
				    * and forwards (NULL-terminated, or NULL) */
};

typedef struct compose compose_t;

compose_t *compose_new(enum compose_kind kind);
void compose_free(compose_t **c);

/* Start a message of this kind from orig (NULL for COMPOSE_NEW).  On
 * COMPOSE_ERR_NO_LIST and others *err says why (caller frees). */
enum compose_status compose_build(enum compose_kind kind, const struct compose_orig *orig,
				  const struct compose_identity *id, compose_t **out, char **err);

enum compose_kind compose_kind(const compose_t *c);

/* Header fields.  The setters for address fields parse text as the user
 * writes it; on a bad address they return false with *err and leave the
 * field unchanged. */
enum compose_field { CF_FROM, CF_TO, CF_CC, CF_BCC, CF_REPLY_TO, CF_FIELD_COUNT };
const struct addr_list *compose_addrs(const compose_t *c, enum compose_field f);
bool compose_set_addrs(compose_t *c, enum compose_field f, const char *text, char **err);
/* The field as the user would edit it ("Name <a@b>, c@d"). New string. */
char *compose_addrs_text(const compose_t *c, enum compose_field f);

const char *compose_subject(const compose_t *c);
void compose_set_subject(compose_t *c, const char *s);
const char *compose_body(const compose_t *c);
void compose_set_body(compose_t *c, const char *s);
const char *compose_in_reply_to(const compose_t *c);
const char *compose_references(const compose_t *c);
/* The message replied to (for \Answered), or NULL. */
const char *compose_orig_path(const compose_t *c);
/* Set it (a queued reply taken back out of the outbox keeps its original;
 * NULL: none).  A path with a line break is ignored. */
void compose_set_orig_path(compose_t *c, const char *path);
void compose_set_flowed(compose_t *c, bool flowed);
bool compose_flowed(const compose_t *c);

/* Add "Name: value" as mutt's my_hdr does: From and Reply-To set those
 * fields, another name replaces an extra header of that name; false with
 * *err for a header the message writes itself (Date, To, Content-*...),
 * a bad name, or a line break in the value. */
bool compose_add_header(compose_t *c, const char *header, char **err);
/* Take out the extra headers called name (what precedes a ':'). */
void compose_remove_header(compose_t *c, const char *name);
/* Extra headers the user wrote in the editor (X-Foo: bar, Organization:
 * ...; not the ones the message writes itself), in order. */
size_t compose_extra_count(const compose_t *c);
const char *compose_extra(const compose_t *c, size_t i); /* "Name: value" */

/* Attachments.  A file attachment is read when the message is rendered; a
 * data attachment (forwarded message, recalled draft) is held in memory. */
struct compose_att_info {
	const char *path; /* NULL for data attachments */
	const char *name; /* file name sent (UTF-8) */
	const char *type; /* "image/png" */
	size_t size;
};
size_t compose_att_count(const compose_t *c);
bool compose_att_info(const compose_t *c, size_t i, struct compose_att_info *out);
/* Attach a file; name NULL: its base name; type NULL: detected.  False
 * with *err when the file is not a readable regular file. */
bool compose_attach_file(compose_t *c, const char *path, const char *name, const char *type, char **err);
void compose_attach_data(compose_t *c, const char *name, const char *type, const void *data, size_t len);
bool compose_detach(compose_t *c, size_t i);
bool compose_att_rename(compose_t *c, size_t i, const char *name);

/* The MIME type of a file: from its extension, else `file --mime-type`
 * (run without a shell), else application/octet-stream.  New string. */
char *compose_detect_type(const char *path);

/* The text the editor opens: with_headers (edit_headers) puts From, To,
 * Cc, Bcc, Subject and Reply-To (and the threading headers when set) on
 * top, a blank line, then the body.  New string. */
char *compose_to_editable(const compose_t *c, bool with_headers);
/* Read the editor's text back.  Header lines the user changed replace the
 * fields; "Attach: PATH" lines attach files; unknown X- headers are kept.
 * On a bad address returns false with *err and changes nothing. */
bool compose_from_editable(compose_t *c, const char *text, bool with_headers, char **err);

/* Is there anything worth keeping (body or attachments)? */
bool compose_has_content(const compose_t *c);

/* How the final message is written. */
struct compose_render_opts {
	time_t date;         /* 0: now */
	const char *message_id; /* NULL: the one generated at compose_new */
	bool include_bcc;    /* for the Sent and Drafts copies, never for SMTP */
	const char *user_agent; /* NULL: none */
};
/* The whole message, CRLF line ends.  *out is a new buffer (caller frees)
 * of *len bytes.  Fails (COMPOSE_ERR_INPUT) without a From or recipients
 * unless draft is set, or COMPOSE_ERR_IO when an attachment is gone. */
enum compose_status compose_render(const compose_t *c, const struct compose_render_opts *o, bool draft, char **out,
				   size_t *len, char **err);

/* The Message-ID this message will carry ("<...>"). */
const char *compose_message_id(const compose_t *c);

/* The SMTP envelope: sender (From's mailbox) and every recipient of To, Cc
 * and Bcc, each once.  *rcpts is a NULL-terminated array (free with
 * compose_strv_free). */
enum compose_status compose_envelope(const compose_t *c, char **sender, char ***rcpts, char **err);
void compose_strv_free(char ***v);

/* Bounce: the original's raw bytes with Resent-From/To/Date/Message-ID on
 * top, for c built with COMPOSE_BOUNCE (its To holds the new recipients). */
enum compose_status compose_render_bounce(const compose_t *c, const struct compose_render_opts *o, char **out,
					  size_t *len, char **err);

/* Subject helpers, public for tests. "Re: x" (no "Re: Re:"), "Fwd: x". */
char *compose_reply_subject(const char *subject);
char *compose_forward_subject(const char *subject);
/* References for a reply: the original's References (or In-Reply-To),
 * then its Message-ID; only well-formed <ids>, at most 20 (the first and
 * the last 19, as RFC 5322 suggests).  New string, "" when none. */
char *compose_references_for_reply(const struct compose_orig *o);
/* A new Message-ID "<time.random@host>". New string. */
char *compose_new_message_id(const char *host);
/* RFC 5322 date of t in local time. New string. */
char *compose_date(time_t t);

#endif
