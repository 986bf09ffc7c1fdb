/* mime_scan.c - the pre-scan that decides whether the store may hand a
 * message to notmuch (see mime.h).  One streaming pass, line by line,
 * with a stack of open multipart boundaries instead of a tree: memory is
 * a few fixed buffers whatever the input.  Headers are read by mime.c's
 * own field and Content-Type rules, so the scan sees the parts the
 * reader's walk would. */
#include "mime.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libetpan/libetpan.h>

#include "mime_private.h"
#include "rfc2047.h"
#include "util.h"

#define LINE_KEEP (RFC2047_MAX_INPUT + 1024) /* bytes of a line looked at; a longer line is counted */
#define TERM_BITS (1u << 18) /* 32 KiB of word-hash bits: 20,000 distinct words set about 19,260 */
#define READ_CHUNK (64 * 1024)

struct frame {
	char *boundary; /* owned */
	size_t bl;
	int depth;
	bool digest;
};

enum { V_CT, V_CTE, V_CD, V_N }; /* the fields mime_part_headers() reads */

struct scanner {
	struct mime_scan *out;  /* foreign */
	struct strbuf *header;  /* foreign, may be NULL: the header-only copy */
	struct frame stack[MIME_MAX_DEPTH + 2];
	size_t nstack;
	bool done;              /* a cap was reached: nothing more to learn */
	/* the entity whose header is being read */
	bool in_header, top, first_line;
	int depth;
	bool digest_child;
	size_t fields;
	int cur;                /* V_* the current field feeds, or -1 */
	struct strbuf val[V_N]; /* raw (folded) values, line ends kept as in the input */
	char eol[2];            /* the last header line's end ("\r\n" or "\n") */
	size_t eol_n;
	bool have[V_N], over[V_N];
	bool copy_field;        /* the current top-level field goes into header */
	struct strbuf field;    /* the current top-level field, for header */
	/* the body of the current leaf */
	bool text, b64;
	uint32_t b64_acc;
	int b64_bits;
	bool in_word;
	uint32_t hash;
	unsigned char *terms;   /* owned: TERM_BITS bits */
	size_t terms_set;
	/* the line being assembled */
	char *line;             /* owned: LINE_KEEP bytes */
	size_t keep, len;
	bool tail_blank;        /* every byte past keep is a blank */
};

static void set_limit(struct scanner *sc, unsigned bit)
{
	sc->out->limits |= bit;
	sc->done = true;
}

/* ---- words in text parts ---- */

static void word_end(struct scanner *sc)
{
	if (!sc->in_word || sc->done)
		return;
	sc->in_word = false;
	uint32_t bit = sc->hash % TERM_BITS;
	if (!(sc->terms[bit / 8] & (1u << (bit % 8)))) {
		sc->terms[bit / 8] |= (unsigned char)(1u << (bit % 8));
		if (++sc->terms_set > MIME_INDEX_MAX_TERMS)
			set_limit(sc, MIME_LIMIT_TEXT);
	}
	if (++sc->out->words > MIME_INDEX_MAX_WORDS)
		set_limit(sc, MIME_LIMIT_TEXT);
}

static void word_byte(struct scanner *sc, unsigned char c)
{
	bool wc = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
	if (!wc) {
		word_end(sc);
		return;
	}
	if (c >= 'A' && c <= 'Z')
		c = (unsigned char)(c - 'A' + 'a');
	if (!sc->in_word) {
		sc->in_word = true;
		sc->hash = 2166136261u; /* FNV-1a */
	}
	sc->hash = (sc->hash ^ c) * 16777619u;
}

static int b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Body bytes of a text leaf: every byte counts, however long its line. */
static void text_bytes(struct scanner *sc, const char *p, size_t n)
{
	for (size_t i = 0; i < n && !sc->done; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!sc->b64) {
			word_byte(sc, c);
			continue;
		}
		int v = b64_value(c);
		if (v < 0)
			continue;
		sc->b64_acc = (sc->b64_acc << 6) | (uint32_t)v;
		sc->b64_bits += 6;
		if (sc->b64_bits >= 8) {
			sc->b64_bits -= 8;
			word_byte(sc, (unsigned char)(sc->b64_acc >> sc->b64_bits));
		}
	}
}

/* ---- entities ---- */

static void entity_start(struct scanner *sc, int depth, bool digest_child)
{
	word_end(sc);
	if (sc->out->parts >= MIME_MAX_PARTS) {
		set_limit(sc, MIME_LIMIT_PARTS);
		return;
	}
	sc->out->parts++;
	if (depth > sc->out->depth)
		sc->out->depth = depth;
	sc->in_header = sc->first_line = true;
	sc->depth = depth;
	sc->digest_child = digest_child;
	sc->fields = 0;
	sc->cur = -1;
	for (int i = 0; i < V_N; i++) {
		strbuf_reset(&sc->val[i]);
		sc->have[i] = sc->over[i] = false;
	}
	sc->text = sc->b64 = false;
}

static void copy_field_end(struct scanner *sc)
{
	if (sc->copy_field && sc->field.len && sc->header->len + sc->field.len <= MIME_INDEX_COPY_MAX)
		strbuf_add(sc->header, sc->field.s, sc->field.len);
	sc->copy_field = false;
	strbuf_reset(&sc->field);
}

static void header_end(struct scanner *sc)
{
	if (sc->top && sc->header) {
		copy_field_end(sc);
		strbuf_adds(sc->header, "\r\n");
	}
	sc->top = false;
	sc->in_header = false;
	struct mime_field f[V_N];
	static const char *const names[V_N] = { "Content-Type", "Content-Transfer-Encoding", "Content-Disposition" };
	struct mime_part p = { .fields = { .v = f, .n = 0 }, .depth = sc->depth };
	for (int i = 0; i < V_N; i++)
		if (sc->have[i] && !sc->over[i])
			f[p.fields.n++] = (struct mime_field){ names[i], strlen(names[i]), sc->val[i].s ? sc->val[i].s : "",
							       sc->val[i].len };
	mime_part_headers(&p, sc->digest_child);
	if (p.kind != BODY_LEAF && p.depth >= MIME_MAX_DEPTH) {
		set_limit(sc, MIME_LIMIT_DEPTH);
	} else if (p.kind == BODY_MESSAGE) {
		entity_start(sc, p.depth + 1, false);
	} else if (p.kind == BODY_MULTIPART) {
		struct frame *fr = &sc->stack[sc->nstack++];
		fr->bl = strlen(p.boundary);
		fr->boundary = p.boundary;
		p.boundary = NULL;
		fr->depth = p.depth;
		fr->digest = strcmp(p.type, "multipart/digest") == 0;
	} else {
		sc->text = strncmp(p.type, "text/", 5) == 0;
		sc->b64 = p.encoding == MAILMIME_MECHANISM_BASE64;
		sc->b64_bits = 0;
	}
	mime_part_headers_clear(&p);
}

/* The open multipart whose delimiter l is (outermost first), or -1. */
static long delimiter_of(const struct scanner *sc, const char *l, size_t n, bool whole, bool *close)
{
	for (size_t i = 0; i < sc->nstack && whole; i++)
		if (mime_delimiter(l, n, sc->stack[i].boundary, sc->stack[i].bl, close))
			return (long)i;
	return -1;
}

static void body_line(struct scanner *sc, const char *l, size_t n, bool whole)
{
	bool close;
	long d = delimiter_of(sc, l, n, whole, &close);
	if (d >= 0) {
		size_t i = (size_t)d;
		/* Outer boundaries win: every multipart inside this one ends. */
		size_t keep = close ? i : i + 1;
		struct frame parent = sc->stack[i];
		for (size_t k = keep; k < sc->nstack; k++)
			free(sc->stack[k].boundary);
		sc->nstack = keep;
		word_end(sc);
		sc->text = false; /* an epilogue is not indexed */
		if (!close)
			entity_start(sc, parent.depth + 1, parent.digest);
	}
}

static void header_value(struct scanner *sc, const char *v, size_t n)
{
	if (sc->cur < 0)
		return;
	if (sc->val[sc->cur].len + n > RFC2047_MAX_INPUT)
		sc->over[sc->cur] = true;
	else
		strbuf_add(&sc->val[sc->cur], v, n);
}

/* One header line: l[0..n) is what was kept of it (line end included
 * when whole), len its full length. */
static void header_line(struct scanner *sc, const char *l, size_t n, size_t len, bool whole)
{
	size_t end = n;
	if (whole && end && l[end - 1] == '\n')
		end--;
	if (whole && end && l[end - 1] == '\r')
		end--;
	if (whole && end == 0) {
		header_end(sc);
		return;
	}
	bool first = sc->first_line;
	sc->first_line = false;
	char eol[2];
	size_t eol_n = whole ? n - end : 0;
	memcpy(eol, l + end, eol_n);
	if (l[0] == ' ' || l[0] == '\t') {
		header_value(sc, sc->eol, sc->eol_n);
		header_value(sc, l, end);
		memcpy(sc->eol, eol, eol_n);
		sc->eol_n = eol_n;
		if (sc->copy_field) {
			if (!whole || sc->field.len + len > RFC2047_MAX_INPUT)
				sc->copy_field = false; /* a field over 64 KiB is left out */
			else {
				strbuf_add(&sc->field, l, end);
				strbuf_adds(&sc->field, "\r\n");
			}
		}
		return;
	}
	size_t name_len = mime_field_name_len(l, end);
	if (name_len == 0) {
		if (first && end >= 5 && memcmp(l, "From ", 5) == 0)
			return; /* an mbox separator line */
		/* Neither a field nor a continuation: the body starts here,
		 * and for a message/rfc822 that body is the next header
		 * (recursion bounded by MIME_MAX_DEPTH). */
		header_end(sc);
		if (!sc->done && sc->in_header)
			header_line(sc, l, n, len, whole);
		else if (!sc->done)
			body_line(sc, l, n, whole);
		return;
	}
	if (++sc->fields > MIME_MAX_HEADERS) {
		set_limit(sc, MIME_LIMIT_HEADERS);
		return;
	}
	sc->cur = -1;
	if (name_len == 12 && strncasecmp(l, "content-type", 12) == 0 && !sc->have[V_CT])
		sc->cur = V_CT;
	else if (name_len == 25 && strncasecmp(l, "content-transfer-encoding", 25) == 0 && !sc->have[V_CTE])
		sc->cur = V_CTE;
	else if (name_len == 19 && strncasecmp(l, "content-disposition", 19) == 0 && !sc->have[V_CD])
		sc->cur = V_CD;
	if (sc->cur >= 0)
		sc->have[sc->cur] = true;
	const char *colon = memchr(l, ':', end);
	header_value(sc, colon + 1, end - (size_t)(colon + 1 - l));
	memcpy(sc->eol, eol, eol_n);
	sc->eol_n = eol_n;
	if (sc->top && sc->header) {
		copy_field_end(sc);
		sc->copy_field = whole && len <= RFC2047_MAX_INPUT;
		if (sc->copy_field) {
			strbuf_add(&sc->field, l, end);
			strbuf_adds(&sc->field, "\r\n");
		}
	}
}

/* A whole line has been read (the kept part is in sc->line). */
static void line_done(struct scanner *sc)
{
	bool whole = sc->keep == sc->len, close;
	if (sc->in_header && delimiter_of(sc, sc->line, sc->keep, whole || sc->tail_blank, &close) >= 0) {
		/* A delimiter ends the part, even inside a header (the walk
		 * splits the multipart first): an embedded message is empty. */
		while (sc->in_header && !sc->done)
			header_end(sc);
		if (!sc->done)
			body_line(sc, sc->line, sc->keep, true);
	} else if (sc->in_header) {
		sc->out->header_bytes += sc->len;
		if (sc->out->header_bytes > MIME_INDEX_MAX_HEADER_BYTES)
			set_limit(sc, MIME_LIMIT_HEADER_BYTES);
		else
			header_line(sc, sc->line, sc->keep, sc->len, whole);
	} else if (sc->nstack) {
		/* A delimiter line may end in any number of blanks. */
		body_line(sc, sc->line, sc->keep, whole || sc->tail_blank);
	}
	sc->keep = sc->len = 0;
	sc->tail_blank = true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Feed n bytes of the message. */
static void feed(struct scanner *sc, const char *p, size_t n)
{
	while (n && !sc->done) {
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) + 1 : n;
		if (!sc->in_header && sc->text)
			text_bytes(sc, p, take);
		size_t room = LINE_KEEP - sc->keep;
		size_t k = take < room ? take : room;
		memcpy(sc->line + sc->keep, p, k);
		sc->keep += k;
		for (size_t i = k; i < take && sc->tail_blank; i++)
			sc->tail_blank = is_blank(p[i]);
		sc->len += take;
		p += take;
		n -= take;
		if (nl)
			line_done(sc);
	}
}

static void scanner_init(struct scanner *sc, struct mime_scan *out, struct strbuf *header)
{
	memset(sc, 0, sizeof(*sc));
	memset(out, 0, sizeof(*out));
	sc->out = out;
	sc->header = header;
	if (header)
		strbuf_reset(header);
	for (int i = 0; i < V_N; i++)
		strbuf_init(&sc->val[i]);
	strbuf_init(&sc->field);
	sc->terms = xcalloc(TERM_BITS / 8, 1);
	sc->line = xmalloc(LINE_KEEP);
	sc->tail_blank = true;
	sc->top = true;
	entity_start(sc, 0, false);
}

static void scanner_finish(struct scanner *sc)
{
	if (!sc->done && sc->len)
		line_done(sc); /* a last line without a line end */
	while (!sc->done && sc->in_header)
		header_end(sc); /* a message that is all header */
	word_end(sc);
	sc->out->terms = sc->terms_set;
	if (sc->header && sc->top) /* stopped inside the top header */
		copy_field_end(sc);
	if (sc->header && (sc->out->limits & (MIME_LIMIT_HEADERS | MIME_LIMIT_HEADER_BYTES)) && sc->top)
		strbuf_adds(sc->header, "\r\n");
	for (size_t k = 0; k < sc->nstack; k++)
		free(sc->stack[k].boundary);
	for (int i = 0; i < V_N; i++)
		strbuf_free(&sc->val[i]);
	strbuf_free(&sc->field);
	free(sc->terms);
	free(sc->line);
}

void mime_scan_mem(const char *data, size_t len, struct mime_scan *out, struct strbuf *header)
{
	struct scanner sc;
	scanner_init(&sc, out, header);
	feed(&sc, data, len);
	scanner_finish(&sc);
}

enum mime_status mime_scan_file(const char *path, struct mime_scan *out, struct strbuf *header)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		memset(out, 0, sizeof(*out));
		return MIME_ERR_IO;
	}
	struct scanner sc;
	scanner_init(&sc, out, header);
	char *buf = xmalloc(READ_CHUNK);
	ssize_t r;
	int saved = 0;
	while (!sc.done && (r = read(fd, buf, READ_CHUNK)) != 0) {
		if (r < 0) {
			if (errno == EINTR)
				continue;
			saved = errno;
			break;
		}
		feed(&sc, buf, (size_t)r);
	}
	free(buf);
	close(fd);
	scanner_finish(&sc);
	if (saved) {
		errno = saved;
		return MIME_ERR_IO;
	}
	return MIME_OK;
}
