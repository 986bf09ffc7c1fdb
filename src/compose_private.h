/* compose_private.h - the inside of compose_t, shared by compose.c (the
 * model and the editor text), compose_build.c (replies, forwards) and
 * compose_render.c (the MIME message and its envelope), which calls none
 * of the other two.  Not for other modules. */
#ifndef MUTTLIKE_COMPOSE_PRIVATE_H
#define MUTTLIKE_COMPOSE_PRIVATE_H

#include "compose.h"

struct compose_att {
	char *path; /* owned; NULL for data attachments */
	char *name; /* owned, cleaned, no directory part */
	char *type; /* owned, a valid type/subtype */
	char *data; /* owned; data attachments only */
	size_t len;
};

struct compose {
	enum compose_kind kind;
	struct addr_list f[CF_FIELD_COUNT];
	char *subject;     /* owned, cleaned one line */
	char *body;        /* owned, '\n' lines, valid UTF-8 */
	char *in_reply_to; /* owned, "<id>" or NULL */
	char *references;  /* owned, "<a> <b>" or NULL */
	char *orig_path;   /* owned or NULL */
	char *message_id;  /* owned, generated once so that retries keep it */
	bool flowed;
	char **extra;      /* owned: "X-Name: value", cleaned */
	size_t nextra;
	struct compose_att *att;
	size_t natt;
	char *bounce_raw;  /* owned: the message to resend (COMPOSE_BOUNCE) */
	size_t bounce_len;
};

/* s cleaned to one line (NULL stays NULL). */
char *compose_clean_dup(const char *s);
/* Is this a well-formed "<id>" we are willing to copy? */
bool compose_msgid_valid(const char *s, size_t n);

#endif
