/* mime.h - parse a message, walk its parts, render it for the pager, list
 * and decode its attachments.
 *
 * Every message is hostile.  The parser has caps instead of trust:
 *   - nesting (multipart and message/rfc822) stops at MIME_MAX_DEPTH; the
 *     part at the limit is kept as a leaf (it can still be saved) and the
 *     pager shows a "[-- ... --]" notice;
 *   - at most MIME_MAX_PARTS parts per message; the rest is not parsed;
 *   - at most MIME_MAX_HEADERS header fields per part; each decoded header
 *     value is cut at RFC2047_MAX_INPUT bytes;
 *   - at most MIME_MAX_ADDRS addresses per address header;
 *   - rendered text per part is cut at MIME_MAX_TEXT bytes.
 * Nothing recurses deeper than MIME_MAX_DEPTH, so no input overflows the
 * stack, and work and memory are linear in the input (bounded by the caps).
 *
 * libetpan's mailmime_parse() is not called: it recurses once per nesting
 * level with no limit (100k nested message/rfc822 headers, 3 MB, overflow
 * the stack), builds every part of a million-part multipart, and
 * mailmime_free() recurses the same way.  The walk over parts is ours; the
 * field parsers are libetpan's (content type, disposition, transfer
 * encoding, address lists, dates, encoded words, base64/QP decoding), each
 * given a bounded, unfolded value whose comment nesting has been checked
 * (libetpan's comment parser recurses per '(').  See doc/mime.md.
 *
 * Strings handed out as `const char *` are owned by the mime_msg_t (or the
 * mime_view_t) and live until it is freed.  All of them are UTF-8 and have
 * been through text_sanitize() (single line, no controls, bidi or
 * zero-width characters) unless stated otherwise.  A mime_msg_t is not
 * thread-safe; use one from one thread at a time.
 */
#ifndef MUTTLIKE_MIME_H
#define MUTTLIKE_MIME_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct strbuf;

#define MIME_MAX_DEPTH 32
#define MIME_MAX_PARTS 10000
#define MIME_MAX_HEADERS 1000
#define MIME_MAX_ADDRS 1000
#define MIME_MAX_TEXT ((size_t)4 * 1024 * 1024)
#define MIME_MAX_FILE ((size_t)256 * 1024 * 1024)
#define MIME_MAX_FILENAME 200

enum mime_status {
	MIME_OK = 0,
	MIME_ERR_IO,        /* the file could not be read (errno is kept) */
	MIME_ERR_TOO_LARGE, /* the file is larger than MIME_MAX_FILE */
	MIME_ERR_NOT_FOUND, /* no such part / attachment */
};
const char *mime_strerror(enum mime_status st);

typedef struct mime_msg mime_msg_t;
typedef struct mime_part mime_part_t; /* borrowed from its mime_msg_t */

/* Parse len bytes (copied; data need not outlive the call).  Never fails on
 * content: garbage parses as a text/plain message. */
enum mime_status mime_msg_parse(const char *data, size_t len, mime_msg_t **out);
/* Read a Maildir file (a regular file up to MIME_MAX_FILE) and parse it. */
enum mime_status mime_msg_parse_file(const char *path, mime_msg_t **out);
void mime_msg_free(mime_msg_t **m);

/* Which caps this message hit (MIME_LIMIT_* bits). */
enum {
	MIME_LIMIT_DEPTH = 1,
	MIME_LIMIT_PARTS = 2,
	MIME_LIMIT_HEADERS = 4,
};
unsigned mime_msg_limits(const mime_msg_t *m);

/* ---- the pre-scan: may this message be indexed in full? ----
 *
 * notmuch indexes a file through GMime, which builds the whole part tree
 * and keeps every word and position of the text in memory: a million
 * empty parts cost 1.3 GB, 1 MB of distinct words 100 MB.  The store
 * indexes a message in full only when one streaming pass (bounded memory,
 * no tree) finds it within the reader's caps and these indexing caps;
 * otherwise by its headers only.  See doc/mime.md. */
#define MIME_INDEX_MAX_HEADER_BYTES ((size_t)4 * 1024 * 1024) /* all header blocks together */
#define MIME_INDEX_MAX_WORDS ((size_t)500 * 1000)            /* words in text parts */
#define MIME_INDEX_MAX_TERMS ((size_t)20 * 1000)             /* distinct words (hash buckets) */
#define MIME_INDEX_COPY_MAX ((size_t)256 * 1024)              /* header kept for header-only indexing */
enum {
	MIME_LIMIT_HEADER_BYTES = 8, /* (pre-scan only) header blocks over MIME_INDEX_MAX_HEADER_BYTES */
	MIME_LIMIT_TEXT = 16,        /* (pre-scan only) text over the word or distinct-word cap */
};
struct mime_scan {
	unsigned limits;      /* MIME_LIMIT_*: any bit means "index by headers only" */
	size_t parts;         /* entities, the message itself included (stops past the cap) */
	int depth;            /* deepest entity */
	size_t header_bytes;  /* all header blocks */
	size_t words;         /* words in text/STAR leaves (base64 decoded) */
	size_t terms;         /* distinct words among them (distinct hash buckets: a slight undercount) */
};
/* One pass over the file at path.  When header is not NULL it gets the
 * message's own header block, cut to what header-only indexing keeps: at
 * most MIME_MAX_HEADERS fields and MIME_INDEX_COPY_MAX bytes, fields
 * longer than 64 KiB left out, CRLF line ends, ending with the empty line.
 * MIME_OK, or MIME_ERR_IO (errno kept). */
enum mime_status mime_scan_file(const char *path, struct mime_scan *out, struct strbuf *header);
/* The same over a buffer (tests, fuzzing). */
void mime_scan_mem(const char *data, size_t len, struct mime_scan *out, struct strbuf *header);

/* ---- headers of the top-level message ---- */

enum mime_header {
	MIME_H_SUBJECT,
	MIME_H_FROM,
	MIME_H_TO,
	MIME_H_CC,
	MIME_H_DATE,
	MIME_H_MESSAGE_ID,
	MIME_H_IN_REPLY_TO,
	MIME_H_REFERENCES,
	MIME_H_LIST_ID,
	MIME_H_LIST_POST,
	MIME_H_REPLY_TO,
	MIME_H_COUNT
};

/* Decoded (RFC 2047, raw 8-bit as UTF-8 or windows-1252), unfolded and
 * sanitized value, or NULL when the header is absent.  Safe to copy into a
 * reply: it holds no CR or LF.  Message-ID, In-Reply-To and References
 * are not RFC 2047-decoded (they are not text). */
const char *mime_msg_header(const mime_msg_t *m, enum mime_header h);
/* Same for any header by name (case-insensitive, first occurrence). */
const char *mime_msg_header_named(mime_msg_t *m, const char *name);
/* The Date header as a time_t; false when absent or unparsable. */
bool mime_msg_date(const mime_msg_t *m, time_t *out);

struct mime_addr {
	const char *name;    /* display name, decoded; "" when none */
	const char *mailbox; /* local@domain; "" for an empty group */
};
struct mime_addrlist {
	size_t n;
	const struct mime_addr *v;
	bool truncated; /* more than MIME_MAX_ADDRS, or cut at RFC2047_MAX_INPUT */
	bool unparsed;  /* the header is present but is not an address list */
};
/* Addresses of From, To, Cc or Reply-To (group members flattened); for
 * any other header, or when absent, an empty list.  Never NULL. */
const struct mime_addrlist *mime_msg_addrs(const mime_msg_t *m, enum mime_header h);

/* ---- parts ---- */

enum mime_limit_kind { MIME_CUT_NONE = 0, MIME_CUT_DEPTH, MIME_CUT_PARTS };

const mime_part_t *mime_msg_root(const mime_msg_t *m);
/* "text/plain", lowercase. */
const char *mime_part_type(const mime_part_t *p);
/* Content-Type charset parameter (sanitized), or NULL. */
const char *mime_part_charset(const mime_part_t *p);
/* Decoded file name (Content-Disposition filename, RFC 2231 filename*
 * with continuations, or Content-Type name), sanitized for display, or
 * NULL.  NOT safe as a path: use mime_safe_filename(). */
const char *mime_part_filename(const mime_part_t *p);
/* A Content-Type or Content-Disposition parameter's raw value (first of
 * that name, case-insensitive), or NULL.  Untrusted: see
 * mime_mailcap_sanitize(). */
const char *mime_part_param(const mime_part_t *p, const char *name);
/* Size of the decoded body in bytes. */
size_t mime_part_size(const mime_part_t *p);
int mime_part_depth(const mime_part_t *p);
/* 1-based position in walk (pre-)order. */
size_t mime_part_number(const mime_part_t *p);
bool mime_part_is_attachment_disposition(const mime_part_t *p);
/* Children were not parsed because a cap was reached at this part. */
enum mime_limit_kind mime_part_cut(const mime_part_t *p);
const mime_part_t *mime_part_first_child(const mime_part_t *p);
const mime_part_t *mime_part_next(const mime_part_t *p);

/* Depth-first walk in document order.  The children of a message/rfc822
 * part are the embedded message's root entity. */
enum mime_walk_ret { MIME_WALK_CONTINUE, MIME_WALK_SKIP_CHILDREN, MIME_WALK_STOP };
typedef enum mime_walk_ret (*mime_walk_fn)(const mime_part_t *p, void *ud);
void mime_walk(const mime_msg_t *m, mime_walk_fn fn, void *ud);

/* The part's body with its transfer encoding (base64, quoted-printable)
 * undone; no charset conversion.  *out is a new buffer (caller frees),
 * NUL-terminated past *len.  For save, pipe and mailcap. */
enum mime_status mime_part_decode(const mime_part_t *p, char **out, size_t *len);

/* ---- attachments: every leaf part and every message/rfc822 part ---- */

struct mime_attachment {
	size_t index;            /* 1-based; the "#N" of the pager's placeholders */
	const mime_part_t *part;
	const char *type;        /* as mime_part_type() */
	const char *filename;    /* as mime_part_filename(); may be NULL */
	size_t size;             /* decoded bytes */
	int depth;
};
size_t mime_msg_attachment_count(const mime_msg_t *m);
/* i in [0, count); NULL when out of range. */
const struct mime_attachment *mime_msg_attachment(const mime_msg_t *m, size_t i);

/* A base name that is safe to create in a directory: directories dropped
 * (both / and \), control/bidi/zero-width characters and shell
 * metacharacters replaced by '_', a leading '.' or '-' replaced by '_',
 * at most MIME_MAX_FILENAME bytes (cut on a UTF-8 boundary, the extension
 * kept); empty, "." and ".." become "attachment-N".  name may be NULL.
 * New string. */
char *mime_safe_filename(const char *name, size_t n);

/* The name of the temporary copy handed to mailcap and pipe commands: a
 * random stem of 2*MIME_TEMP_STEM_BYTES hex digits, plus ".ext" when name
 * ends in an extension of 1 to 8 ASCII letters and digits; nothing else
 * of name, so no shell or option parser ever sees the sender's choice.
 * name may be NULL.  New string. */
#define MIME_TEMP_STEM_BYTES 8
char *mime_temp_name(const char *name);

/* A parameter value reduced for a mailcap command line (%{name}): ASCII
 * letters, digits and "+,-.:=@_" kept, anything else (and a leading '-')
 * becomes '_', at most MIME_MAILCAP_PARAM_MAX bytes; NULL gives "".  Safe
 * unquoted or inside the user's own quotes.  New string. */
#define MIME_MAILCAP_PARAM_MAX 64
char *mime_mailcap_sanitize(const char *value);

/* ---- rendering for the pager ---- */

enum mime_line_kind {
	MIME_LINE_NORMAL,
	MIME_LINE_HEADER,     /* "Subject: ..." */
	MIME_LINE_QUOTED,     /* quote_level > 0 */
	MIME_LINE_SIGNATURE,  /* the "-- " line and everything after it in that part */
	MIME_LINE_ATTACHMENT, /* "[-- ... --]": placeholders and notices */
	MIME_LINE_MARK,       /* added by a part hook (mime_render_mark), never by message content */
};

struct mime_line {
	enum mime_line_kind kind;
	int quote_level;  /* number of leading '>' (0 when not quoted) */
	const char *text; /* sanitized, no '\n'; may hold '\t' (the pager expands tabs) */
};

struct mime_render_ctx; /* a rendering under way (for part hooks) */
struct mime_render_opts {
	const char *header_list;       /* headers to show, e.g. "Date From To Cc Subject"; NULL/"": none */
	const char *alternative_order; /* NULL: "text/plain text/html"; "text" or "text/STAR" (a literal *) matches a major type */
	const char *html_filter;       /* NULL/"": the built-in converter */
	int html_filter_timeout_ms;    /* 0: 5000 */
	/* Called before each part is rendered, with the message it lies in
	 * (the one given to mime_render, or one given to mime_render_message):
	 * true when the hook rendered the part itself through the
	 * mime_render_* calls below, false to render it as usual.  NULL: none.
	 * The pager shows what a signature covers or what was decrypted here. */
	bool (*part_hook)(void *ud, struct mime_render_ctx *ctx, const mime_msg_t *m, const mime_part_t *p);
	void *hook_ud;
};

typedef struct mime_view mime_view_t;
/* For a part hook: a MIME_LINE_MARK line (text is sanitized here). */
void mime_render_mark(struct mime_render_ctx *ctx, const char *text);
/* For a part hook: m's root entity (its headers in header_list, then its
 * body) in place of the part; the hook is called for m's parts in turn. */
void mime_render_message(struct mime_render_ctx *ctx, const mime_msg_t *m);
/* For a part hook: text (UTF-8 or not; sanitized here) as body lines. */
void mime_render_text(struct mime_render_ctx *ctx, const char *s, size_t len);

/* Lay the message out as lines.  Blocks while html_filter runs (at most
 * the timeout).  Never fails. */
mime_view_t *mime_render(const mime_msg_t *m, const struct mime_render_opts *opts);
void mime_view_free(mime_view_t **v);
size_t mime_view_line_count(const mime_view_t *v);
const struct mime_line *mime_view_line(const mime_view_t *v, size_t i);
/* URLs found in the rendered text (http, https, ftp, mailto), first
 * occurrence order, no duplicates, at most 1000. */
size_t mime_view_url_count(const mime_view_t *v);
const char *mime_view_url(const mime_view_t *v, size_t i);

/* Find the first URL in s[0..len): true with its offset and length.  For
 * highlighting URLs in a line. */
bool mime_url_find(const char *s, size_t len, size_t *start, size_t *ulen);

#endif
