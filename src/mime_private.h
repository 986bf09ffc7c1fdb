/* mime_private.h - what mime.c and mime_render.c share; not for other
 * modules (they use mime.h). */
#ifndef MUTTLIKE_MIME_PRIVATE_H
#define MUTTLIKE_MIME_PRIVATE_H

#include "mime.h"
#include "util.h"

/* A raw header field: pointers into the message buffer. */
struct mime_field {
	const char *name; /* foreign */
	size_t name_len;
	const char *value; /* foreign: after the colon, still folded */
	size_t value_len;
};

struct mime_fields {
	struct mime_field *v; /* owned array */
	size_t n;
};

enum mime_body_kind { BODY_LEAF, BODY_MULTIPART, BODY_MESSAGE };

struct mime_part {
	mime_msg_t *msg;          /* foreign */
	struct mime_part *parent; /* foreign */
	struct mime_part *child;  /* owned: first child */
	struct mime_part *last;   /* foreign: last child */
	struct mime_part *next;   /* owned: next sibling */
	struct mime_fields fields; /* this entity's header (for the root of an
				      embedded message: that message's header) */
	const char *body;         /* foreign, into msg->data */
	size_t body_len;
	enum mime_body_kind kind;
	enum mime_limit_kind cut;
	char *type;               /* owned, "major/minor" lowercase */
	char *charset;            /* owned or NULL (raw parameter value) */
	char *boundary;           /* owned or NULL */
	char *filename;           /* owned or NULL: decoded, sanitized */
	char **params;            /* owned: name, value, name, value ... (raw) */
	size_t nparams;
	int encoding;             /* MAILMIME_MECHANISM_* */
	bool attachment;          /* Content-Disposition: attachment */
	bool flowed, delsp;       /* text/plain format=flowed; delsp=yes */
	int depth;
	size_t number;
	size_t size;              /* decoded size */
	size_t attach_index;      /* 1-based in the attachment list, 0 if not in it */
};

struct mime_msg {
	char *data; /* owned copy of the message */
	size_t len;
	struct mime_part *root; /* owned */
	unsigned limits;
	size_t nparts;
	char *hdr[MIME_H_COUNT]; /* owned, decoded; NULL when absent */
	struct mime_addrlist addrs[MIME_H_COUNT];
	struct mime_attachment *att; /* owned array */
	size_t natt;
	char **named; /* owned: name, value pairs cached by mime_msg_header_named */
	size_t nnamed;
};

/* The first field called name in f, or NULL. */
const struct mime_field *mime_fields_find(const struct mime_fields *f, const char *name);
/* Decode a field value for display (RFC 2047 unless raw) and sanitize it
 * to one line; new string. */
char *mime_field_display(const struct mime_field *fld, bool rfc2047);

/* Shared with mime_scan.c, so that the pre-scan reads a message the way
 * the walk does. */
/* Length of a valid field name before a ':' in line[0..n), or 0. */
size_t mime_field_name_len(const char *line, size_t n);
/* Is line[0..n) "--b" or "--b--" (b is bl bytes), maybe with trailing blanks? */
bool mime_delimiter(const char *line, size_t n, const char *b, size_t bl, bool *close);
/* Type, boundary, encoding and kind of p from p->fields (owned strings
 * set in p; the caller frees them). */
void mime_part_headers(struct mime_part *p, bool digest_child);
/* Free what mime_part_headers() set (type, charset, boundary, filename,
 * params), leaving p itself. */
void mime_part_headers_clear(struct mime_part *p);

#endif
