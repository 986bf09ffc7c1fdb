/* test_mime.c - MIME parsing, rendering, attachments, and every hostile
 * message case of hostile-cases.md. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "testutil.h"
#include "charset.h"
#include "html.h"
#include "mime.h"
#include "rfc2047.h"
#include "util.h"

/* ---- helpers ---- */

static mime_msg_t *parse(const char *s)
{
	mime_msg_t *m = NULL;
	assert_int_equal(mime_msg_parse(s, strlen(s), &m), MIME_OK);
	assert_non_null(m);
	return m;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Nothing a terminal would act on: no C0 (but tab), DEL, C1, bidi, zero-width. */
static void assert_clean(const char *s)
{
	static const char *const bad[] = {
		"\xc2\x80", "\xc2\x9b", "\xc2\x9d", "\xc2\x9f", /* C1: PAD CSI OSC APC */
		"\xe2\x80\xae", "\xe2\x80\xad", "\xe2\x80\xab", /* RLO LRO RLE */
		"\xe2\x81\xa6", "\xe2\x81\xa7", "\xe2\x81\xa9", /* LRI RLI PDI */
		"\xe2\x80\x8b", "\xe2\x80\x8c", "\xe2\x80\x8d", /* ZWSP ZWNJ ZWJ */
		"\xe2\x80\x8f", "\xef\xbb\xbf", "\xe2\x81\xa0", /* RLM BOM WJ */
	};
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
			fail_msg("control byte 0x%02x in \"%s\"", *p, s);
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (strstr(s, bad[i]))
			fail_msg("dangerous sequence %zu survived in \"%s\"", i, s);
	assert_true(charset_utf8_valid(s, strlen(s)));
}

static void assert_view_clean(const mime_view_t *v)
{
	for (size_t i = 0; i < mime_view_line_count(v); i++)
		assert_clean(mime_view_line(v, i)->text);
	for (size_t i = 0; i < mime_view_url_count(v); i++)
		assert_clean(mime_view_url(v, i));
}

static const struct mime_render_opts default_opts = {
	.header_list = "Date From To Cc Subject",
};

static mime_view_t *render(const mime_msg_t *m, const struct mime_render_opts *o)
{
	mime_view_t *v = mime_render(m, o ? o : &default_opts);
	assert_non_null(v);
	assert_view_clean(v);
	return v;
}

/* Index of the first line containing needle, or -1. */
static long find_line(const mime_view_t *v, const char *needle)
{
	for (size_t i = 0; i < mime_view_line_count(v); i++)
		if (strstr(mime_view_line(v, i)->text, needle))
			return (long)i;
	return -1;
}

static const struct mime_line *line_with(const mime_view_t *v, const char *needle)
{
	long i = find_line(v, needle);
	if (i < 0)
		fail_msg("no line contains \"%s\"", needle);
	return mime_view_line(v, (size_t)i);
}


static const char *subject_of(mime_msg_t *m)
{
	const char *s = mime_msg_header(m, MIME_H_SUBJECT);
	assert_non_null(s);
	assert_clean(s);
	return s;
}

/* ---- headers ---- */

static void test_headers_encoded_words(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Subject: =?iso-8859-1?Q?Caf=E9_cr=E8me?= and =?utf-8?B?R3LDvMOfZQ==?=\n"
			      "  =?utf-8?q?_more?=\n"
			      "From: =?utf-8?Q?J=C3=BCrgen?= <j@example.org>\n"
			      "Message-ID: <abc@example.org>\n"
			      "In-Reply-To: <p@x>\n"
			      "References: <a@x>\n <p@x>\n"
			      "List-Id: Dev list <dev.example.org>\n"
			      "List-Post: <mailto:dev@example.org>\n"
			      "Reply-To: r@example.org\n"
			      "\nbody\n");
	assert_string_equal(subject_of(m), "Café crème and Grüße more");
	assert_string_equal(mime_msg_header(m, MIME_H_FROM), "Jürgen <j@example.org>");
	assert_string_equal(mime_msg_header(m, MIME_H_MESSAGE_ID), "<abc@example.org>");
	assert_string_equal(mime_msg_header(m, MIME_H_IN_REPLY_TO), "<p@x>");
	assert_string_equal(mime_msg_header(m, MIME_H_REFERENCES), "<a@x> <p@x>");
	assert_string_equal(mime_msg_header(m, MIME_H_LIST_ID), "Dev list <dev.example.org>");
	assert_string_equal(mime_msg_header(m, MIME_H_LIST_POST), "<mailto:dev@example.org>");
	assert_string_equal(mime_msg_header(m, MIME_H_REPLY_TO), "r@example.org");
	assert_null(mime_msg_header(m, MIME_H_CC));
	const struct mime_addrlist *from = mime_msg_addrs(m, MIME_H_FROM);
	assert_int_equal(from->n, 1);
	assert_string_equal(from->v[0].name, "Jürgen");
	assert_string_equal(from->v[0].mailbox, "j@example.org");
	assert_int_equal(mime_msg_addrs(m, MIME_H_CC)->n, 0);
	assert_int_equal(mime_msg_addrs(m, MIME_H_SUBJECT)->n, 0);
	assert_string_equal(mime_msg_header_named(m, "list-id"), "Dev list <dev.example.org>");
	assert_null(mime_msg_header_named(m, "X-Nope"));
	mime_msg_free(&m);
	assert_null(m);
}

static void test_headers_charsets(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Subject: =?koi8-r?B?8NLJ18XU?=\n\n");
	assert_string_equal(subject_of(m), "Привет");
	mime_msg_free(&m);
	m = parse("Subject: caf\xe9 raw latin-1\n\n"); /* not UTF-8: windows-1252 */
	assert_string_equal(subject_of(m), "café raw latin-1");
	mime_msg_free(&m);
	m = parse("Subject: caf\xc3\xa9 raw utf-8, caf\xe9 raw latin-1 \x80\n\n"); /* mixed */
	assert_string_equal(subject_of(m), "café raw utf-8, café raw latin-1 €");
	mime_msg_free(&m);
	m = parse("Subject: d\xc3\xa9j\xc3\xa0 vu\n\n");
	assert_string_equal(subject_of(m), "déjà vu");
	mime_msg_free(&m);
	m = parse("Subject: =?x-foo?Q?abc?= and =?gb2312?B?xOO6ww==?=\n\n");
	assert_string_equal(subject_of(m), "[unknown charset x-foo] abc and 你好");
	mime_msg_free(&m);
	m = parse("Subject: =?../../etc/x?Q?abc?= =?utf-8//TRANSLIT?Q?d?= =?x-evil.cs+1?Q?e?=\n\n");
	assert_string_equal(subject_of(m), "=?../../etc/x?Q?abc?= =?utf-8//TRANSLIT?Q?d?= [unknown charset x-evil.cs+1] e");
	mime_msg_free(&m);
	/* not encoded words: kept as written, the rest of the header too */
	m = parse("Subject: a =? b =?utf-8?X?zz?= c =?utf-8?Q?unclosed\n\n");
	assert_string_equal(subject_of(m), "a =? b =?utf-8?X?zz?= c =?utf-8?Q?unclosed");
	mime_msg_free(&m);
}

static void test_headers_hostile_controls(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Subject: raw \x1b[31mred\x1b]0;title\x07 \xc2\x9b" "6n \x9b" "2J end\n"
			      "From: \"\x1b[2J Evil\" <e\x1b@x.org>\n"
			      "To: =?utf-8?Q?=1B[31mQ=C2=9B?= <t@x.org>\n"
			      "Cc: =?utf-8?B?G10wO3B3bmVkB+KArnR4dC5leGU=?= <c@x.org>\n"
			      "\nbody\n");
	const char *s = subject_of(m);
	assert_non_null(strstr(s, "red"));
	assert_non_null(strstr(s, "end"));
	assert_clean(mime_msg_header(m, MIME_H_FROM));
	assert_clean(mime_msg_header(m, MIME_H_TO));
	assert_clean(mime_msg_header(m, MIME_H_CC));
	assert_non_null(strstr(mime_msg_header(m, MIME_H_CC), "pwned"));
	for (int h = MIME_H_FROM; h <= MIME_H_CC; h++) {
		const struct mime_addrlist *l = mime_msg_addrs(m, (enum mime_header)h);
		for (size_t i = 0; i < l->n; i++) {
			assert_clean(l->v[i].name);
			assert_clean(l->v[i].mailbox);
		}
	}
	mime_view_t *v = render(m, NULL);
	assert_int_equal(line_with(v, "Subject: raw")->kind, MIME_LINE_HEADER);
	mime_view_free(&v);
	assert_null(v);
	mime_msg_free(&m);
}

static void test_headers_bidi_zero_width(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Subject: invoice \xe2\x80\xae" "fdp.exe \xe2\x80\x8bz\xe2\x81\xa6w\xef\xbb\xbf\n"
			      "From: =?utf-8?B?4oCuZXZpbA==?= <a@b>\n"
			      "\n");
	const char *s = subject_of(m);
	assert_non_null(strstr(s, "fdp.exe"));
	assert_clean(mime_msg_header(m, MIME_H_FROM));
	assert_clean(mime_msg_addrs(m, MIME_H_FROM)->v[0].name);
	mime_msg_free(&m);
}

static void test_headers_invalid_utf8(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Subject: =?utf-8?Q?ok_=FF=FE_=C3?= \xff\xfe\xc0\xaf\n\n");
	const char *s = subject_of(m);
	assert_non_null(strstr(s, "ok"));
	assert_non_null(strstr(s, "\xef\xbf\xbd")); /* U+FFFD marks the broken bytes */
	mime_msg_free(&m);
	m = parse("Subject: =?utf-16?B?2D3eAA==?= =?iso-2022-jp?B?GyRCJDMkcyRLJEEkTxsoQg==?=\n\n");
	s = subject_of(m);
	assert_non_null(strstr(s, "こんにちは"));
	mime_msg_free(&m);
}

static void test_header_cr_lf(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Subject: hello\rBcc: victim@x =?utf-8?Q?a=0D=0ABcc:_v@x?=\n"
			      "Message-ID: <id\r@x>\n"
			      "\n");
	const char *s = subject_of(m);
	assert_null(strchr(s, '\r'));
	assert_null(strchr(s, '\n'));
	assert_non_null(strstr(s, "hello"));
	const char *id = mime_msg_header(m, MIME_H_MESSAGE_ID);
	assert_clean(id);
	mime_msg_free(&m);
}

static void test_header_huge_line(void **state)
{
	(void)state;
	size_t n = 1024 * 1024;
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "Subject: ");
	for (size_t i = 0; i < n / 8; i++)
		strbuf_adds(&b, "=?x?Q?a ");
	strbuf_adds(&b, "\nX-Long: ");
	for (size_t i = 0; i < n; i++)
		strbuf_addc(&b, (char)('a' + i % 26));
	strbuf_adds(&b, "\n\nbody\n");
	double t0 = now();
	mime_msg_t *m = NULL;
	assert_int_equal(mime_msg_parse(b.s, b.len, &m), MIME_OK);
	const char *s = subject_of(m);
	assert_true(strlen(s) < RFC2047_MAX_INPUT + 100);
	assert_non_null(strstr(s, "[header truncated]"));
	const char *x = mime_msg_header_named(m, "x-long");
	assert_true(strlen(x) < RFC2047_MAX_INPUT + 100);
	mime_view_t *v = render(m, &(struct mime_render_opts){ .header_list = "Subject X-Long" });
	assert_int_equal(line_with(v, "body")->kind, MIME_LINE_NORMAL);
	mime_view_free(&v);
	mime_msg_free(&m);
	assert_true(now() - t0 < 3.0);
	strbuf_free(&b);
}

/* header_list's tokens (mutt's ignore / unignore / hdr_order become
 * these): names in the list's order, "X-*" prefixes, "*" the rest in the
 * message's order, "!Name" hidden from * and prefixes. */
static void test_header_list_tokens(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Received: from x\nFrom: a@b\nX-Mailer: mutt\nTo: c@d\nSubject: hi\n"
			      "X-Spam: no\nDate: Tue, 01 Jan 2030 10:00:00 +0000\n\nbody\n");
	mime_view_t *v = render(m, &(struct mime_render_opts){ .header_list = "Subject From X-*" });
	assert_true(find_line(v, "Subject: hi") == 0 && find_line(v, "From: a@b") == 1);
	assert_true(find_line(v, "X-Mailer: mutt") == 2 && find_line(v, "X-Spam: no") == 3);
	assert_true(find_line(v, "To:") < 0 && find_line(v, "Received") < 0);
	mime_view_free(&v);
	v = render(m, &(struct mime_render_opts){ .header_list = "Date !Received !X-Sp* *" });
	assert_int_equal(find_line(v, "Date: "), 0);
	assert_int_equal(find_line(v, "From: a@b"), 1);
	assert_int_equal(find_line(v, "X-Mailer: mutt"), 2);
	assert_int_equal(find_line(v, "To: c@d"), 3);
	assert_int_equal(find_line(v, "Subject: hi"), 4);
	assert_true(find_line(v, "Received") < 0 && find_line(v, "X-Spam") < 0);
	mime_view_free(&v);
	mime_msg_free(&m);
}

static void test_to_semicolons(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "From: a@b\nTo: ");
	for (int i = 0; i < 100000; i++)
		strbuf_addc(&b, ';');
	strbuf_adds(&b, "\nCc: ");
	for (int i = 0; i < 100000; i++)
		strbuf_adds(&b, i % 2 ? ",\n " : "x@y");
	strbuf_adds(&b, "\n\nhi\n");
	double t0 = now();
	mime_msg_t *m = NULL;
	assert_int_equal(mime_msg_parse(b.s, b.len, &m), MIME_OK);
	const struct mime_addrlist *to = mime_msg_addrs(m, MIME_H_TO);
	assert_true(to->unparsed);
	assert_int_equal(to->n, 0);
	assert_true(strlen(mime_msg_header(m, MIME_H_TO)) <= RFC2047_MAX_INPUT + 100);
	const struct mime_addrlist *cc = mime_msg_addrs(m, MIME_H_CC);
	assert_int_equal(cc->n, MIME_MAX_ADDRS);
	assert_true(cc->truncated);
	mime_view_t *v = render(m, NULL);
	mime_view_free(&v);
	mime_msg_free(&m);
	assert_true(now() - t0 < 3.0);
	strbuf_free(&b);
}

static void test_comment_nesting(void **state)
{
	(void)state;
	/* libetpan's comment parser recurses per '(': this must not reach it */
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "From: ");
	for (int i = 0; i < 500000; i++)
		strbuf_addc(&b, '(');
	strbuf_adds(&b, "\nContent-Type: text/plain; (");
	for (int i = 0; i < 60000; i++)
		strbuf_adds(&b, "\\(");
	strbuf_adds(&b, "\nDate: ");
	for (int i = 0; i < 60000; i++)
		strbuf_addc(&b, '(');
	strbuf_adds(&b, "\n\nbody\n");
	mime_msg_t *m = NULL;
	assert_int_equal(mime_msg_parse(b.s, b.len, &m), MIME_OK);
	assert_true(mime_msg_addrs(m, MIME_H_FROM)->unparsed);
	time_t t;
	assert_false(mime_msg_date(m, &t));
	assert_string_equal(mime_part_type(mime_msg_root(m)), "text/plain");
	mime_msg_free(&m);
	strbuf_free(&b);
	m = parse("To: A (nested (comment (ok))) <a@x>, \"Quoted, Name\" <q@x>, g: m1@x, \"M 2\" <m2@x>;, undisclosed:;\n\n");
	const struct mime_addrlist *to = mime_msg_addrs(m, MIME_H_TO);
	assert_false(to->unparsed);
	assert_int_equal(to->n, 4);
	assert_string_equal(to->v[0].mailbox, "a@x");
	assert_string_equal(to->v[1].name, "Quoted, Name");
	assert_string_equal(to->v[2].mailbox, "m1@x");
	assert_string_equal(to->v[3].name, "M 2");
	mime_msg_free(&m);
}

static void test_date(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Date: Tue, 01 Feb 2022 10:00:00 +0100\n\n");
	time_t t = 0;
	assert_true(mime_msg_date(m, &t));
	assert_int_equal((long long)t, 1643706000LL);
	mime_msg_free(&m);
	m = parse("Date: yesterday-ish\n\n");
	assert_false(mime_msg_date(m, &t));
	mime_msg_free(&m);
}

/* ---- structure and caps ---- */

static void test_nested_rfc822_1000(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	for (int i = 0; i < 1000; i++)
		strbuf_addf(&b, "Subject: level %d\nContent-Type: message/rfc822\n\n", i);
	strbuf_adds(&b, "Subject: innermost\n\nthe bottom\n");
	double t0 = now();
	mime_msg_t *m = NULL;
	assert_int_equal(mime_msg_parse(b.s, b.len, &m), MIME_OK);
	assert_true(mime_msg_limits(m) & MIME_LIMIT_DEPTH);
	assert_string_equal(subject_of(m), "level 0");
	size_t n = mime_msg_attachment_count(m);
	assert_true(n <= MIME_MAX_DEPTH + 2);
	const struct mime_attachment *last = mime_msg_attachment(m, n - 1);
	assert_int_equal(mime_part_cut(last->part), MIME_CUT_DEPTH);
	assert_int_equal(last->depth, MIME_MAX_DEPTH);
	mime_view_t *v = render(m, NULL);
	assert_true(find_line(v, "nested more than 32 levels") >= 0);
	assert_true(find_line(v, "the bottom") < 0);
	mime_view_free(&v);
	/* the part at the limit can still be saved and read on its own */
	char *data;
	size_t len;
	assert_int_equal(mime_part_decode(last->part, &data, &len), MIME_OK);
	assert_non_null(strstr(data, "the bottom"));
	free(data);
	mime_msg_free(&m);
	assert_true(now() - t0 < 2.0);
	strbuf_free(&b);

	/* 100k levels: far beyond what libetpan's recursive parser survives */
	strbuf_init(&b);
	for (int i = 0; i < 100000; i++)
		if (i % 2)
			strbuf_adds(&b, "Content-Type: message/rfc822\n\n");
		else
			strbuf_addf(&b, "Content-Type: multipart/mixed; boundary=b%d\n\n--b%d\n", i, i);
	assert_int_equal(mime_msg_parse(b.s, b.len, &m), MIME_OK);
	assert_true(mime_msg_limits(m) & MIME_LIMIT_DEPTH);
	v = render(m, NULL);
	mime_view_free(&v);
	mime_msg_free(&m);
	strbuf_free(&b);
}

static void test_million_parts(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "Subject: many\nContent-Type: multipart/mixed; boundary=\"XX\"\n\npreamble\n");
	for (int i = 0; i < 1000000; i++)
		strbuf_adds(&b, "--XX\n\nx\n");
	strbuf_adds(&b, "--XX--\n");
	double t0 = now();
	mime_msg_t *m = NULL;
	assert_int_equal(mime_msg_parse(b.s, b.len, &m), MIME_OK);
	assert_true(mime_msg_limits(m) & MIME_LIMIT_PARTS);
	assert_int_equal(mime_part_cut(mime_msg_root(m)), MIME_CUT_PARTS);
	assert_int_equal(mime_msg_attachment_count(m), MIME_MAX_PARTS - 1);
	mime_view_t *v = render(m, NULL);
	assert_true(find_line(v, "more than 10000 parts") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);
	assert_true(now() - t0 < 2.0);
	strbuf_free(&b);
}

static void test_missing_final_boundary(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Content-Type: multipart/mixed; boundary=zz\n\n"
			      "--zz\nContent-Type: text/plain\n\nfirst part\n"
			      "--zz\nContent-Type: text/plain\n\nsecond part, never closed\n");
	assert_int_equal(mime_msg_attachment_count(m), 2);
	mime_view_t *v = render(m, NULL);
	assert_true(find_line(v, "first part") >= 0);
	assert_true(find_line(v, "second part, never closed") >= 0);
	assert_true(find_line(v, "Attachment #2") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);
	/* a boundary that never appears: no parts, no crash */
	m = parse("Content-Type: multipart/mixed; boundary=nope\n\njust text\n");
	v = render(m, NULL);
	mime_view_free(&v);
	mime_msg_free(&m);
	/* a boundary that is a prefix of another, and CRLF line ends */
	m = parse("Content-Type: multipart/mixed; boundary=\"a\"\r\n\r\n"
		  "--a\r\nContent-Type: multipart/alternative; boundary=\"a-1\"\r\n\r\n"
		  "--a-1\r\nContent-Type: text/plain\r\n\r\ninner\r\n--a-1--\r\n"
		  "--a\r\nContent-Type: image/png\r\nContent-Transfer-Encoding: base64\r\n\r\niVBORw0K\r\n--a--\r\n");
	assert_int_equal(mime_msg_attachment_count(m), 2);
	assert_string_equal(mime_msg_attachment(m, 1)->type, "image/png");
	assert_int_equal(mime_msg_attachment(m, 1)->size, 6);
	v = render(m, NULL);
	assert_int_equal(line_with(v, "inner")->kind, MIME_LINE_NORMAL);
	assert_true(find_line(v, "[-- Attachment #2: image/png, 6 B --]") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);
}

static enum mime_walk_ret walk_collect(const mime_part_t *p, void *ud)
{
	struct strbuf *b = ud;
	strbuf_addf(b, "%d:%s ", mime_part_depth(p), mime_part_type(p));
	if (strcmp(mime_part_type(p), "message/rfc822") == 0)
		return MIME_WALK_SKIP_CHILDREN;
	return strcmp(mime_part_type(p), "application/stop") == 0 ? MIME_WALK_STOP : MIME_WALK_CONTINUE;
}

static const char forward_msg[] =
	"From: Alice <alice@example.org>\n"
	"Subject: Fwd: report\n"
	"Content-Type: multipart/mixed; boundary=\"outer\"\n"
	"\n"
	"--outer\n"
	"Content-Type: text/plain; charset=utf-8\n"
	"\n"
	"See below.\n"
	"--outer\n"
	"Content-Type: message/rfc822\n"
	"Content-Disposition: inline\n"
	"\n"
	"From: Bob <bob@example.org>\n"
	"Subject: report \xe2\x80\xae" "fdp\n"
	"Date: Mon, 31 Jan 2022 09:00:00 +0000\n"
	"Content-Type: multipart/mixed; boundary=inner\n"
	"\n"
	"--inner\n"
	"Content-Type: text/plain\n"
	"\n"
	"Numbers attached.\n"
	"--inner\n"
	"Content-Type: application/pdf; name=\"report.pdf\"\n"
	"Content-Disposition: attachment; filename=\"report.pdf\"\n"
	"Content-Transfer-Encoding: base64\n"
	"\n"
	"JVBERi0xLjQK\n"
	"--inner--\n"
	"--outer\n"
	"Content-Type: application/stop\n"
	"\n"
	"x\n"
	"--outer\n"
	"Content-Type: text/plain\n"
	"\n"
	"never walked\n"
	"--outer--\n";

static void test_walk_and_forward(void **state)
{
	(void)state;
	mime_msg_t *m = parse(forward_msg);
	struct strbuf b;
	strbuf_init(&b);
	mime_walk(m, walk_collect, &b);
	assert_string_equal(b.s, "0:multipart/mixed 1:text/plain 1:message/rfc822 1:application/stop ");
	strbuf_free(&b);
	const mime_part_t *root = mime_msg_root(m);
	assert_int_equal(mime_part_number(root), 1);
	const mime_part_t *fwd = mime_part_next(mime_part_first_child(root));
	assert_string_equal(mime_part_type(fwd), "message/rfc822");
	assert_string_equal(mime_part_type(mime_part_first_child(fwd)), "multipart/mixed");

	/* attachments: every leaf plus the forwarded message itself */
	assert_int_equal(mime_msg_attachment_count(m), 6);
	const struct mime_attachment *pdf = mime_msg_attachment(m, 3);
	assert_int_equal(pdf->index, 4);
	assert_string_equal(pdf->type, "application/pdf");
	assert_string_equal(pdf->filename, "report.pdf");
	assert_int_equal(pdf->size, 9);
	assert_true(mime_part_is_attachment_disposition(pdf->part));
	char *data;
	size_t len;
	assert_int_equal(mime_part_decode(pdf->part, &data, &len), MIME_OK);
	assert_int_equal(len, 9);
	assert_memory_equal(data, "%PDF-1.4\n", 9);
	free(data);
	assert_null(mime_msg_attachment(m, 6));
	assert_int_equal(mime_part_decode(NULL, &data, &len), MIME_ERR_NOT_FOUND);

	mime_view_t *v = render(m, NULL);
	assert_int_equal(line_with(v, "Subject: Fwd: report")->kind, MIME_LINE_HEADER);
	assert_int_equal(line_with(v, "See below.")->kind, MIME_LINE_NORMAL);
	assert_int_equal(line_with(v, "[-- Attachment #2: message/rfc822")->kind, MIME_LINE_ATTACHMENT);
	assert_int_equal(line_with(v, "From: Bob")->kind, MIME_LINE_HEADER);
	assert_int_equal(line_with(v, "Subject: report")->kind, MIME_LINE_HEADER);
	assert_true(find_line(v, "Numbers attached.") > find_line(v, "From: Bob"));
	assert_true(find_line(v, "[-- Attachment #4: report.pdf (application/pdf, 9 B) --]") >= 0);
	assert_true(find_line(v, "never walked") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);
}

static void test_digest(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Content-Type: multipart/digest; boundary=d\n\n"
			      "--d\n\nSubject: one\n\nfirst digest entry\n"
			      "--d\n\nSubject: two\n\nsecond\n--d--\n");
	assert_string_equal(mime_part_type(mime_part_first_child(mime_msg_root(m))), "message/rfc822");
	mime_view_t *v = render(m, NULL);
	assert_true(find_line(v, "Subject: one") >= 0);
	assert_true(find_line(v, "first digest entry") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);
}

/* ---- attachment names ---- */

static const char *att_name(mime_msg_t *m, size_t i)
{
	const struct mime_attachment *a = mime_msg_attachment(m, i);
	assert_non_null(a);
	return a->filename;
}

static void test_attachment_names(void **state)
{
	(void)state;
	mime_msg_t *m = parse(
		"Content-Type: multipart/mixed; boundary=b\n\n"
		"--b\nContent-Type: text/plain\nContent-Disposition: attachment; filename=\"../../.bashrc\"\n\nx\n"
		"--b\nContent-Type: application/octet-stream; name=\"/etc/passwd\"\n\nx\n"
		"--b\nContent-Type: application/octet-stream\n"
		"Content-Disposition: attachment; filename*=UTF-8''..%2F..%2Fx\n\nx\n"
		"--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"\"\n\nx\n"
		"--b\nContent-Type: application/octet-stream\nContent-Disposition: attachment; filename=\"..\"\n\nx\n"
		"--b\nContent-Type: application/octet-stream\n"
		"Content-Disposition: attachment;\n filename*0*=iso-8859-1''r%E9sum;\n filename*1=\"e part\";\n"
		" filename*2*=%2Epdf\n\nx\n"
		"--b\nContent-Type: application/octet-stream; name=\"=?utf-8?B?4oCuZXhlLnBkZg==?=\"\n\nx\n"
		"--b\nContent-Type: application/octet-stream\n"
		"Content-Disposition: attachment; filename=\"evil\x1b]0;x\x07$(rm -rf ~)`id`'.sh\"\n\nx\n"
		"--b\nContent-Type: image/png\n\nx\n"
		"--b--\n");
	assert_int_equal(mime_msg_attachment_count(m), 9);
	static const char *const expect_display[] = {
		"../../.bashrc", "/etc/passwd", "../../x", NULL, "..", "résume part.pdf", NULL, NULL, NULL,
	};
	static const char *const expect_safe[] = {
		"_bashrc", "passwd", "x", "attachment-4", "attachment-5", "résume part.pdf", "_exe.pdf",
		"evil__0_x__(rm -rf _)_id__.sh", "attachment-9",
	};
	for (size_t i = 0; i < ARRAY_SIZE(expect_safe); i++) {
		const char *name = att_name(m, i);
		if (name)
			assert_clean(name);
		if (expect_display[i])
			assert_string_equal(name, expect_display[i]);
		char *safe = mime_safe_filename(name, i + 1);
		assert_string_equal(safe, expect_safe[i]);
		assert_null(strchr(safe, '/'));
		assert_true(safe[0] != '.' && safe[0] != '-');
		assert_clean(safe);
		free(safe);
	}
	assert_null(att_name(m, 3)); /* filename="" is no name */
	mime_view_t *v = render(m, NULL);
	assert_true(find_line(v, "[-- Attachment #2: /etc/passwd (application/octet-stream, 1 B) --]") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);
}

/* hostile-cases.md "Hostile message" 6: parameters meant for a shell */
static void test_content_type_shell_params(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Content-Type: multipart/mixed; boundary=b\n\n"
			      "--b\nContent-Type: application/x-`id`$(rm); charset=\"$(rm -rf ~)\"; name=\"a'b`c`$(d).txt\"\n\nx\n"
			      "--b\nContent-Type: text/plain; charset=\"utf-8'; touch /tmp/x; '\"\n\nbody\n"
			      "--b--\n");
	const struct mime_attachment *a = mime_msg_attachment(m, 0);
	assert_string_equal(a->type, "application/x-_id__");
	assert_string_equal(a->filename, "a'b`c`$(d).txt"); /* for display only */
	char *safe = mime_safe_filename(a->filename, a->index);
	assert_string_equal(safe, "a_b_c__(d).txt");
	free(safe);
	mime_view_t *v = render(m, NULL);
	assert_true(find_line(v, "unknown charset utf-8';") >= 0);
	assert_true(find_line(v, "body") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);
}

static void test_safe_filename(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "report.pdf", "report.pdf" },
		{ "../../.bashrc", "_bashrc" },
		{ "/etc/passwd", "passwd" },
		{ "C:\\Windows\\evil.exe", "evil.exe" },
		{ "..", "attachment-7" },
		{ ".", "attachment-7" },
		{ "", "attachment-7" },
		{ "dir/", "attachment-7" },
		{ "  spaced  ", "spaced" },
		{ "-rf", "_rf" },
		{ "a\x1b[31mb\xc2\x9b" "c", "a__31mb_c" },
		{ "x\xe2\x80\xae" "fdp.exe", "x_fdp.exe" },
		{ "bad\xff\xfeutf8", "bad__utf8" },
		{ "日本語.txt", "日本語.txt" },
		{ "a|b;c&d>e<f*g?h!i\"j'k`l$m", "a_b_c_d_e_f_g_h_i_j_k_l_m" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = mime_safe_filename(cases[i][0], 7);
		assert_string_equal(s, cases[i][1]);
		free(s);
	}
	char *s = mime_safe_filename(NULL, 3);
	assert_string_equal(s, "attachment-3");
	free(s);
	/* long names: cut on a UTF-8 boundary, extension kept */
	struct strbuf b;
	strbuf_init(&b);
	for (int i = 0; i < 300; i++)
		strbuf_adds(&b, "é");
	strbuf_adds(&b, ".pdf");
	s = mime_safe_filename(b.s, 1);
	assert_true(strlen(s) <= MIME_MAX_FILENAME);
	assert_true(charset_utf8_valid(s, strlen(s)));
	assert_string_equal(s + strlen(s) - 4, ".pdf");
	free(s);
	strbuf_free(&b);
}

/* issue 17: the temporary copy a mailcap or pipe command gets is named by
 * us (random stem, a plain extension at most); %{param} is reduced. */
static bool is_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!strchr("0123456789abcdef", s[i]))
			return false;
	return true;
}

static void test_temp_name(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "report.pdf", ".pdf" },
		{ "a.dat --output=/tmp/x -e x", "" },
		{ "x).pdf", ".pdf" },
		{ "y.p)f", "" },
		{ "archive.tar.gz", ".gz" },
		{ "photo.JPEG", ".JPEG" },
		{ "long.abcdefghi", "" },
		{ "noext", "" },
		{ "trailing.", "" },
		{ "$(rm -rf ~).sh;", "" },
		{ "dot.日本", "" },
		{ "", "" },
	};
	const size_t stem = 2 * MIME_TEMP_STEM_BYTES;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = mime_temp_name(cases[i][0]);
		if (strlen(s) != stem + strlen(cases[i][1]) || !is_hex(s, stem) || strcmp(s + stem, cases[i][1]) != 0)
			fail_msg("'%s' -> '%s', wanted %zu hex digits then '%s'", cases[i][0], s, stem, cases[i][1]);
		free(s);
	}
	char *a = mime_temp_name(NULL), *b = mime_temp_name(NULL);
	assert_int_equal(strlen(a), stem);
	assert_string_not_equal(a, b); /* random, not derived from the name */
	free(a);
	free(b);
}

static void test_mailcap_params(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{ "utf-8", "utf-8" },
		{ "ISO-8859-1", "ISO-8859-1" },
		{ "a.dat --output=/tmp/x -e x", "a.dat_--output=_tmp_x_-e_x" },
		{ "-e", "_e" },
		{ "$(rm -rf ~)", "__rm_-rf___" },
		{ "it's `id`; x|y&z", "it_s__id___x_y_z" },
		{ "\x1b]0;t\x07", "__0_t_" },
		{ "日", "___" },
		{ "", "" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = mime_mailcap_sanitize(cases[i][0]);
		assert_string_equal(s, cases[i][1]);
		free(s);
	}
	char *s = mime_mailcap_sanitize(NULL);
	assert_string_equal(s, "");
	free(s);
	char big[300];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	s = mime_mailcap_sanitize(big);
	assert_int_equal(strlen(s), MIME_MAILCAP_PARAM_MAX);
	free(s);
	mime_msg_t *m = parse("Content-Type: multipart/mixed; boundary=b\n\n"
			      "--b\nContent-Type: application/pdf; name=\"x y.pdf\"; Foo=\"-bar\"\n"
			      "Content-Disposition: attachment; filename=\"a.dat --output=/tmp/x -e x\"\n\nx\n--b--\n");
	const struct mime_attachment *att = mime_msg_attachment(m, 0);
	assert_string_equal(mime_part_param(att->part, "foo"), "-bar");
	assert_string_equal(mime_part_param(att->part, "NAME"), "x y.pdf");
	assert_string_equal(mime_part_param(att->part, "filename"), "a.dat --output=/tmp/x -e x");
	assert_null(mime_part_param(att->part, "charset"));
	mime_msg_free(&m);
}

/* ---- bodies ---- */

static void test_bodies_qp_base64(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Content-Type: text/plain; charset=iso-8859-1\n"
			      "Content-Transfer-Encoding: quoted-printable\n\n"
			      "Caf=E9 au lait, a soft=\nbreak, and =3D sign\n");
	mime_view_t *v = render(m, NULL);
	assert_true(find_line(v, "Café au lait, a softbreak, and = sign") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);

	m = parse("Content-Type: text/plain; charset=koi8-r\nContent-Transfer-Encoding: base64\n\n8NLJ18XU\n");
	v = render(m, NULL);
	assert_true(find_line(v, "Привет") >= 0);
	mime_view_free(&v);
	char *d;
	size_t n;
	assert_int_equal(mime_part_decode(mime_msg_root(m), &d, &n), MIME_OK);
	assert_int_equal(n, 6);
	assert_memory_equal(d, "\xf0\xd2\xc9\xd7\xc5\xd4", 6);
	free(d);
	assert_int_equal(mime_part_size(mime_msg_root(m)), 6);
	assert_string_equal(mime_part_charset(mime_msg_root(m)), "koi8-r");
	mime_msg_free(&m);

	m = parse("Content-Type: text/plain; charset=x-klingon\n\nqapla\xff\n");
	v = render(m, NULL);
	assert_int_equal(line_with(v, "[-- unknown charset x-klingon")->kind, MIME_LINE_ATTACHMENT);
	assert_true(find_line(v, "qapla") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);

	m = parse("Content-Type: text/plain; charset=utf-8\n\nbroken \xc3 bytes\n");
	v = render(m, NULL);
	assert_true(find_line(v, "broken \xef\xbf\xbd bytes") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);
}

static void test_body_hostile(void **state)
{
	(void)state;
	mime_msg_t *m = parse(
		"Content-Type: multipart/mixed; boundary=b\n\n"
		"--b\nContent-Type: text/plain\n\n"
		"raw \x1b[2J\x1b]52;c;cHduZWQ=\x07 osc \xc2\x9b" "6n c1 \x9b" "m \xe2\x80\xae" "evil\xe2\x80\x8b" " tab\tok\r\n"
		"--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: quoted-printable\n\n"
		"qp =1B[31mred=C2=9B\n"
		"--b\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
		"G1sySsKbNm4gZXZpbCBib2R5IOKArg==\n"
		"--b\nContent-Type: text/html\n\n<p>html &#27;[31m &#x9b; &#8238; &#0; &#99999999;</p>\n"
		"--b--\n");
	mime_view_t *v = render(m, NULL); /* render() asserts every line is clean */
	assert_true(find_line(v, "tab\tok") >= 0);
	assert_true(find_line(v, "evil body") >= 0);
	assert_true(find_line(v, "red") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);
}

static void test_flowed(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Content-Type: text/plain; format=flowed; delsp=no\n\n"
			      "This is a long \nparagraph that \nflows.\n"
			      "> quoted soft \n> continued\n"
			      ">> deeper\n"
			      " >not a quote (stuffed)\n"
			      "\n"
			      "-- \n"
			      "Sig line\n");
	mime_view_t *v = render(m, NULL);
	assert_int_equal(line_with(v, "This is a long paragraph that flows.")->kind, MIME_LINE_NORMAL);
	const struct mime_line *q = line_with(v, "> quoted soft continued");
	assert_int_equal(q->kind, MIME_LINE_QUOTED);
	assert_int_equal(q->quote_level, 1);
	assert_int_equal(line_with(v, ">> deeper")->quote_level, 2);
	const struct mime_line *st = line_with(v, ">not a quote");
	assert_string_equal(st->text, ">not a quote (stuffed)");
	assert_int_equal(line_with(v, "-- ")->kind, MIME_LINE_SIGNATURE);
	assert_int_equal(line_with(v, "Sig line")->kind, MIME_LINE_SIGNATURE);
	mime_view_free(&v);
	mime_msg_free(&m);

	m = parse("Content-Type: text/plain; format=flowed; delsp=yes\n\nJapa \nnese\n");
	v = render(m, NULL);
	assert_true(find_line(v, "Japanese") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);
}

static void test_line_kinds_and_urls(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Subject: links\n\n"
			      "Hello, see https://example.org/a?b=c&d=(e). And http://x.org/y,\n"
			      "> quoted mailto:bob@example.org\n"
			      "> > deeper ftp://ftp.example.org/pub\n"
			      ">>> three (https://example.org/a?b=c&d=(e))\n"
			      "not a url: xhttp://no javascript:alert(1)\n"
			      "-- \n"
			      "sig https://sig.example.org\n");
	mime_view_t *v = render(m, NULL);
	assert_int_equal(line_with(v, "Hello")->kind, MIME_LINE_NORMAL);
	assert_int_equal(line_with(v, "> quoted")->quote_level, 1);
	assert_int_equal(line_with(v, "> > deeper")->quote_level, 2);
	assert_int_equal(line_with(v, ">>> three")->quote_level, 3);
	assert_int_equal(line_with(v, "sig https")->kind, MIME_LINE_SIGNATURE);
	static const char *const urls[] = {
		"https://example.org/a?b=c&d=(e)", "http://x.org/y", "mailto:bob@example.org",
		"ftp://ftp.example.org/pub", "https://sig.example.org",
	};
	assert_int_equal(mime_view_url_count(v), ARRAY_SIZE(urls));
	for (size_t i = 0; i < ARRAY_SIZE(urls); i++)
		assert_string_equal(mime_view_url(v, i), urls[i]);
	assert_null(mime_view_url(v, 99));
	assert_null(mime_view_line(v, 9999));
	mime_view_free(&v);
	mime_msg_free(&m);
	size_t start, len;
	assert_true(mime_url_find("go <HTTPS://A.B/c>!", 19, &start, &len));
	assert_int_equal(start, 4);
	assert_int_equal(len, 13);
	assert_false(mime_url_find("https://", 8, &start, &len));
}

static void test_html_fallback(void **state)
{
	(void)state;
	static const char html[] =
		"<html><head><title>T</title><style>p{color:red}</style>"
		"<script>alert('x<p>y')</script></head><body>"
		"<p>Hello&nbsp;&amp; welcome &lt;user&gt; &quot;q&quot; &#65;&#x42; caf&eacute;</p>"
		"<ul><li>one</li><li>two <a href=\"https://example.org/x?a=1&amp;b=2\">link</a></li></ul>"
		"<blockquote>quoted <b>bold</b></blockquote>"
		"<a href=\"javascript:evil()\">js</a> <a href=\"mailto:a@b\">a@b</a>"
		"<br><img src=x alt=\"logo\"><!-- hidden --><pre>  keep\n  spaces</pre>"
		"</body></html>";
	struct strbuf b;
	strbuf_init(&b);
	html_to_text(html, strlen(html), &b);
	assert_non_null(strstr(b.s, "Hello & welcome <user> \"q\" AB caf&eacute;"));
	assert_null(strstr(b.s, "alert"));
	assert_null(strstr(b.s, "color"));
	assert_null(strstr(b.s, "hidden"));
	assert_non_null(strstr(b.s, "\n* one\n* two link <https://example.org/x?a=1&b=2>"));
	assert_non_null(strstr(b.s, "> quoted bold"));
	assert_non_null(strstr(b.s, "js a@b"));
	assert_null(strstr(b.s, "javascript"));
	assert_non_null(strstr(b.s, "[logo]"));
	assert_non_null(strstr(b.s, "  keep\n  spaces"));
	strbuf_free(&b);

	/* unterminated markup must not hang or lose the text before it */
	strbuf_init(&b);
	html_to_text("a <b x=\"unclosed", 16, &b);
	assert_string_equal(b.s, "a\n");
	strbuf_free(&b);

	mime_msg_t *m = parse("Content-Type: text/html; charset=iso-8859-1\n\n"
			      "<blockquote><p>caf\xe9</p></blockquote><p>visit <a href='http://u.example/'>here</a></p>\n");
	mime_view_t *v = render(m, NULL);
	const struct mime_line *q = line_with(v, "café");
	assert_int_equal(q->kind, MIME_LINE_QUOTED);
	assert_true(find_line(v, "here <http://u.example/>") >= 0);
	assert_int_equal(mime_view_url_count(v), 1);
	mime_view_free(&v);
	mime_msg_free(&m);
}

static const char alt_msg[] =
	"Content-Type: multipart/alternative; boundary=alt\n\n"
	"--alt\nContent-Type: text/plain\n\nplain version\n"
	"--alt\nContent-Type: multipart/related; boundary=rel\n\n"
	"--rel\nContent-Type: text/html\n\n<p>html version</p>\n"
	"--rel\nContent-Type: image/png\nContent-ID: <i1>\n\nPNG\n--rel--\n"
	"--alt--\n";

static void test_alternative(void **state)
{
	(void)state;
	mime_msg_t *m = parse(alt_msg);
	mime_view_t *v = render(m, NULL);
	assert_true(find_line(v, "plain version") >= 0);
	assert_true(find_line(v, "html version") < 0);
	mime_view_free(&v);
	v = render(m, &(struct mime_render_opts){ .alternative_order = "text/html text/plain" });
	assert_true(find_line(v, "html version") >= 0);
	assert_true(find_line(v, "plain version") < 0);
	assert_true(find_line(v, "Attachment") < 0);
	mime_view_free(&v);
	v = render(m, &(struct mime_render_opts){ .alternative_order = "image/* application" });
	assert_true(find_line(v, "plain version") >= 0); /* nothing matches: the last text part */
	mime_view_free(&v);
	mime_msg_free(&m);
}

static void test_html_filter(void **state)
{
	(void)state;
	mime_msg_t *m = parse("Content-Type: text/html\n\n<p>$(touch /tmp/ml-pwned) `id` hello</p>\n");
	/* the user's command runs; the message only reaches its stdin */
	mime_view_t *v = render(m, &(struct mime_render_opts){ .html_filter = "tr a-z A-Z" });
	assert_true(find_line(v, "<P>$(TOUCH /TMP/ML-PWNED) `ID` HELLO</P>") >= 0);
	mime_view_free(&v);
	v = render(m, &(struct mime_render_opts){ .html_filter = "exit 3" });
	assert_true(find_line(v, "html_filter failed") >= 0);
	assert_true(find_line(v, "`id` hello") >= 0);
	mime_view_free(&v);
	double t0 = now();
	v = render(m, &(struct mime_render_opts){ .html_filter = "sleep 30 & sleep 30", .html_filter_timeout_ms = 300 });
	assert_true(find_line(v, "html_filter timed out") >= 0);
	assert_true(now() - t0 < 3.0);
	mime_view_free(&v);
	v = render(m, &(struct mime_render_opts){ .html_filter = "printf '\\033[2Jx\\n'; exec yes" });
	assert_true(find_line(v, "gave too much output") >= 0);
	mime_view_free(&v);
	v = render(m, &(struct mime_render_opts){ .html_filter = "printf '\\033]0;t\\007ok\\n'" });
	assert_true(find_line(v, "ok") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);
	FILE *f = fopen("/tmp/ml-pwned", "r");
	assert_null(f);

	/* a filter that exits without reading a large input (no SIGPIPE) */
	struct strbuf b;
	strbuf_init(&b);
	strbuf_adds(&b, "Content-Type: text/html\n\n");
	for (int i = 0; i < 200000; i++)
		strbuf_adds(&b, "<p>x</p>");
	mime_msg_t *big = NULL;
	mime_msg_parse(b.s, b.len, &big);
	v = render(big, &(struct mime_render_opts){ .html_filter = "echo early" });
	assert_true(find_line(v, "early") >= 0);
	mime_view_free(&v);
	mime_msg_free(&big);
	strbuf_free(&b);
}

static void test_parse_file(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *path = tu_write(dir, "1650000000.M1P1.host,U=7:2,S", forward_msg, 0600);
	mime_msg_t *m = NULL;
	assert_int_equal(mime_msg_parse_file(path, &m), MIME_OK);
	assert_string_equal(subject_of(m), "Fwd: report");
	mime_msg_free(&m);
	char *missing = xasprintf("%s/nope", dir);
	assert_int_equal(mime_msg_parse_file(missing, &m), MIME_ERR_IO);
	assert_null(m);
	assert_int_equal(mime_msg_parse_file(dir, &m), MIME_ERR_IO);
	assert_string_equal(mime_strerror(MIME_ERR_TOO_LARGE), "message file too large");
	free(missing);
	free(path);
	tu_rmtree(dir);
	free(dir);
	/* empty input and garbage are messages too */
	assert_int_equal(mime_msg_parse("", 0, &m), MIME_OK);
	mime_view_t *v = render(m, NULL);
	mime_view_free(&v);
	mime_msg_free(&m);
	m = parse("no header at all\n\x01\x02\n");
	v = render(m, NULL);
	assert_true(find_line(v, "no header at all") >= 0);
	mime_view_free(&v);
	mime_msg_free(&m);
}

static void test_charset_module(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	assert_int_equal(charset_to_utf8("ISO-8859-15", "\xa4", 1, &b), CHARSET_OK);
	assert_string_equal(b.s, "€");
	strbuf_reset(&b);
	assert_int_equal(charset_to_utf8("shift_jis", "\x82\xa0\xff", 3, &b), CHARSET_REPLACED);
	assert_string_equal(b.s, "あ\xef\xbf\xbd");
	strbuf_reset(&b);
	assert_int_equal(charset_to_utf8("no-such-charset", "abc", 3, &b), CHARSET_UNKNOWN);
	assert_string_equal(b.s, "abc");
	strbuf_reset(&b);
	assert_int_equal(charset_to_utf8("UTF-8//IGNORE", "abc", 3, &b), CHARSET_UNKNOWN);
	strbuf_free(&b);
	char *label = charset_label_for_display("x\x1b\xc2\x9b" "y");
	assert_string_equal(label, "x???y");
	free(label);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_headers_encoded_words),
		cmocka_unit_test(test_headers_charsets),
		cmocka_unit_test(test_headers_hostile_controls),
		cmocka_unit_test(test_headers_bidi_zero_width),
		cmocka_unit_test(test_headers_invalid_utf8),
		cmocka_unit_test(test_header_cr_lf),
		cmocka_unit_test(test_header_huge_line),
		cmocka_unit_test(test_header_list_tokens),
		cmocka_unit_test(test_to_semicolons),
		cmocka_unit_test(test_comment_nesting),
		cmocka_unit_test(test_date),
		cmocka_unit_test(test_nested_rfc822_1000),
		cmocka_unit_test(test_million_parts),
		cmocka_unit_test(test_missing_final_boundary),
		cmocka_unit_test(test_walk_and_forward),
		cmocka_unit_test(test_digest),
		cmocka_unit_test(test_attachment_names),
		cmocka_unit_test(test_content_type_shell_params),
		cmocka_unit_test(test_safe_filename),
		cmocka_unit_test(test_temp_name),
		cmocka_unit_test(test_mailcap_params),
		cmocka_unit_test(test_bodies_qp_base64),
		cmocka_unit_test(test_body_hostile),
		cmocka_unit_test(test_flowed),
		cmocka_unit_test(test_line_kinds_and_urls),
		cmocka_unit_test(test_html_fallback),
		cmocka_unit_test(test_alternative),
		cmocka_unit_test(test_html_filter),
		cmocka_unit_test(test_parse_file),
		cmocka_unit_test(test_charset_module),
	};
	return cmocka_run_group_tests_name("mime", tests, NULL, NULL);
}
