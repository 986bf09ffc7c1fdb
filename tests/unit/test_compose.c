/* test_compose.c - addresses, encoders, building replies and forwards,
 * the editor's text, and the rendered message read back by our own MIME
 * parser (what we write must be what a reader sees). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "testutil.h"
#include "addr.h"
#include "compose.h"
#include "encode.h"
#include "mime.h"
#include "rfc2047.h"
#include "util.h"

/* ---- helpers ---- */

static mime_msg_t *parse(const char *s, size_t n)
{
	mime_msg_t *m = NULL;
	assert_int_equal(mime_msg_parse(s, n, &m), MIME_OK);
	return m;
}

/* No header line of the rendered message starts with name (case-insensitive). */
static bool has_header_line(const char *msg, const char *name)
{
	size_t nl = strlen(name);
	const char *end = strstr(msg, "\r\n\r\n");
	for (const char *p = msg; p && (!end || p < end); p = strstr(p, "\r\n"), p = p ? p + 2 : NULL)
		if (strncasecmp(p, name, nl) == 0)
			return true;
	return false;
}

/* Every line ends in CRLF and no header line is longer than 998. */
static void assert_wellformed(const char *msg, size_t len)
{
	size_t line = 0;
	for (size_t i = 0; i < len; i++) {
		if (msg[i] == '\n')
			assert_true(i > 0 && msg[i - 1] == '\r');
		if (msg[i] == '\r')
			assert_true(i + 1 < len && msg[i + 1] == '\n');
		line = msg[i] == '\n' ? 0 : line + 1;
		assert_true(line <= 998);
	}
}

static char *render(const compose_t *c, size_t *len)
{
	char *out, *err = NULL;
	size_t l;
	struct compose_render_opts o = { .date = 1700000000 };
	enum compose_status st = compose_render(c, &o, false, &out, &l, &err);
	if (st != COMPOSE_OK)
		fail_msg("render: %s", err ? err : "?");
	assert_wellformed(out, l);
	if (len)
		*len = l;
	return out;
}

static const struct compose_identity me = {
	.from = "Alice Example <alice@example.org>",
	.alternates = "^alice(\\+[a-z]+)?@(example\\.org|work\\.example)$",
	.attribution = "On %d, %n wrote:",
	.quote_prefix = "> ",
	.date_format = "%Y-%m-%d",
	.signature = "Alice\n",
};

static void orig_fill(struct compose_orig *o)
{
	memset(o, 0, sizeof(*o));
	o->path = xstrdup("/tmp/orig");
	o->subject = xstrdup("Lunch?");
	o->message_id = xstrdup("<m2@example.net>");
	o->references = xstrdup("<root@example.net> <m1@example.net>");
	o->date = 1700000000;
	o->date_text = xstrdup("Tue, 14 Nov 2023 22:13:20 +0000");
	addr_list_add(&o->from, "Bob", "bob@example.net");
	addr_list_add(&o->to, "Alice", "alice@work.example");
	addr_list_add(&o->to, "Carol", "carol@example.com");
	addr_list_add(&o->cc, NULL, "dave@example.com");
	addr_list_add(&o->cc, NULL, "alice@example.org");
	o->body = xstrdup("Noon?\n> earlier\n\nBob\n-- \nBob's sig\n");
	o->raw = xstrdup("From: Bob <bob@example.net>\nSubject: Lunch?\n\nNoon?\n");
	o->raw_len = strlen(o->raw);
}

/* ---- addresses ---- */

static void test_addr_parse(void **state)
{
	(void)state;
	struct addr_list l;
	addr_list_init(&l);
	char *err = NULL;
	assert_true(addr_parse("Alice <a@example.org>, b@example.org (Bob B), \"Last, First\" <c@x.org>,"
			       " <d@y.org>, \"q\\\"x\" <e@z.org>",
			       &l, &err));
	assert_int_equal(l.n, 5);
	assert_string_equal(l.v[0].name, "Alice");
	assert_string_equal(l.v[0].mailbox, "a@example.org");
	assert_string_equal(l.v[1].name, "Bob B");
	assert_string_equal(l.v[2].name, "Last, First");
	assert_string_equal(l.v[3].name, "");
	assert_string_equal(l.v[4].name, "q\"x");
	/* round trip through the editor's format */
	char *txt = addr_list_format(&l);
	struct addr_list l2;
	addr_list_init(&l2);
	assert_true(addr_parse(txt, &l2, &err));
	assert_int_equal(l2.n, 5);
	for (size_t i = 0; i < 5; i++) {
		assert_string_equal(l.v[i].name, l2.v[i].name);
		assert_string_equal(l.v[i].mailbox, l2.v[i].mailbox);
	}
	free(txt);
	addr_list_clear(&l2);
	/* groups flatten, duplicates collapse, empty groups are nothing */
	addr_list_clear(&l);
	assert_true(addr_parse("team: x@a.org, X@A.org, y@b.org; undisclosed-recipients:;", &l, &err));
	assert_int_equal(l.n, 2);
	addr_list_clear(&l);
	assert_true(addr_parse("", &l, &err));
	assert_int_equal(l.n, 0);
	assert_true(addr_parse("  ,  ", &l, &err));
	assert_int_equal(l.n, 0);
	assert_true(addr_parse("\"john doe\"@example.org, root@[192.0.2.1]", &l, &err));
	assert_int_equal(l.n, 2);
	addr_list_clear(&l);
	/* a quoted local part holding '<' or '>' inside angle brackets (found
	 * by fuzz_address: the editor's format of it did not parse back) */
	assert_true(addr_parse("c <\"<a@exam\"@mail.org>, X <\"a>b\\\"\"@example.org>", &l, &err));
	assert_int_equal(l.n, 2);
	assert_string_equal(l.v[0].mailbox, "\"<a@exam\"@mail.org");
	assert_string_equal(l.v[1].mailbox, "\"a>b\\\"\"@example.org");
	addr_list_clear(&l);
	assert_false(addr_parse("X <\"unterminated@x.org>", &l, &err));
	free(err);
	err = NULL;
	addr_list_clear(&l);
}

static void test_addr_errors(void **state)
{
	(void)state;
	static const char *const bad[] = {
		"foo", "a@", "@b.org", "<a@b.org", "a@b..org", "a..b@c.org", "Al <a@b.org> junk",
		"\"unterminated <a@b.org>", "(unterminated a@b.org", "a@-b.org", "<>", "x@y.org, bad one",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct addr_list l;
		addr_list_init(&l);
		char *err = NULL;
		if (addr_parse(bad[i], &l, &err))
			fail_msg("accepted '%s'", bad[i]);
		assert_non_null(err);
		assert_null(strchr(err, '\n'));
		free(err);
		addr_list_clear(&l);
	}
	struct addr_list l;
	addr_list_init(&l);
	char *err = NULL;
	assert_false(addr_parse("J\xc3\xb6rg <j\xc3\xb6rg@example.org>", &l, &err));
	assert_non_null(strstr(err, "non-ASCII"));
	free(err);
	/* a name may be anything; the mailbox not */
	assert_true(addr_parse("J\xc3\xb6rg <joerg@example.org>", &l, &err));
	assert_string_equal(l.v[0].name, "J\xc3\xb6rg");
	addr_list_clear(&l);
	assert_false(addr_mailbox_valid("a b@c.org"));
	assert_false(addr_mailbox_valid("a@b.org\r\nBcc: x@y.org"));
	assert_true(addr_mailbox_valid("first.last+tag@sub.example.co.uk"));
}

/* mutt CVE-2021-3181: "To: ;;;;..." must be linear and harmless. */
static void test_addr_hostile(void **state)
{
	(void)state;
	size_t n = 200000;
	char *s = xmalloc(n + 1);
	memset(s, ';', n);
	s[n] = '\0';
	struct addr_list l;
	addr_list_init(&l);
	char *err = NULL;
	clock_t t0 = clock();
	assert_true(addr_parse(s, &l, &err));
	assert_int_equal(l.n, 0);
	memset(s, ',', n);
	assert_true(addr_parse(s, &l, &err));
	memset(s, '(', n);
	assert_false(addr_parse(s, &l, &err));
	free(err);
	memset(s, '<', n);
	assert_false(addr_parse(s, &l, &err));
	free(err);
	assert_true((double)(clock() - t0) / CLOCKS_PER_SEC < 2.0);
	free(s);
	/* over the count cap: an error, not a truncated list */
	struct strbuf b;
	strbuf_init(&b);
	for (int i = 0; i < ADDR_MAX + 5; i++)
		strbuf_addf(&b, "u%d@example.org,", i);
	assert_false(addr_parse(b.s, &l, &err));
	free(err);
	assert_int_equal(l.n, ADDR_MAX);
	strbuf_free(&b);
	addr_list_clear(&l);
	/* CR/LF in a display name never reaches a header as a line break */
	assert_true(addr_list_add(&l, "Evil\r\nBcc: victim@example.org", "e@example.org"));
	assert_null(strpbrk(l.v[0].name, "\r\n"));
	char *enc = addr_list_encode(&l);
	assert_null(strpbrk(enc, "\r\n"));
	free(enc);
	addr_list_clear(&l);
}

static void test_list_post(void **state)
{
	(void)state;
	char *a = addr_from_list_post("<http://x.example/post>, <mailto:dev%40list.example.org?subject=hi>");
	assert_string_equal(a, "dev@list.example.org");
	free(a);
	assert_null(addr_from_list_post("NO (posting not allowed)"));
	assert_null(addr_from_list_post("<mailto:not an address>"));
	assert_null(addr_from_list_post(NULL));
}

/* ---- encoders ---- */

static char *decode(const char *s)
{
	struct strbuf b;
	strbuf_init(&b);
	rfc2047_decode(s, strlen(s), &b);
	return strbuf_detach(&b);
}

static void test_rfc2047(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	encode_rfc2047_text("Hello world", &b);
	assert_string_equal(b.s, "Hello world");
	strbuf_reset(&b);
	encode_rfc2047_text("Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln, sch\xc3\xb6n", &b);
	assert_non_null(strstr(b.s, "=?UTF-8?"));
	assert_true(encode_is_ascii(b.s, b.len));
	char *d = decode(b.s);
	assert_string_equal(d, "Gr\xc3\xbc\xc3\x9f" "e aus K\xc3\xb6ln, sch\xc3\xb6n");
	free(d);
	/* text that looks like an encoded word is encoded so it reads back as typed */
	strbuf_reset(&b);
	encode_rfc2047_text("about =?utf-8?q?x?= syntax", &b);
	d = decode(b.s);
	assert_string_equal(d, "about =?utf-8?q?x?= syntax");
	free(d);
	/* long text: every encoded word at most 75, characters never split */
	struct strbuf in;
	strbuf_init(&in);
	for (int i = 0; i < 40; i++)
		strbuf_adds(&in, "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e ");
	strbuf_adds(&in, "\xf0\x9f\x98\x80 end");
	strbuf_reset(&b);
	encode_rfc2047_text(in.s, &b);
	for (char *w = strstr(b.s, "=?"); w; w = strstr(w + 2, "=?")) {
		char *e = strstr(w + 2, "?=");
		assert_non_null(e);
		/* skip the "?=" inside "=?UTF-8?Q?" */
		e = strstr(w + 10, "?=");
		assert_true(e - w + 2 <= 75);
		w = e;
	}
	d = decode(b.s);
	char *cleaned = encode_header_clean(in.s);
	assert_string_equal(d, cleaned);
	free(cleaned);
	free(d);
	strbuf_free(&in);
	/* phrases */
	strbuf_reset(&b);
	encode_rfc2047_phrase("Smith, John", &b);
	assert_string_equal(b.s, "\"Smith, John\"");
	strbuf_reset(&b);
	encode_rfc2047_phrase("Ren\xc3\xa9 \"the\" D.", &b);
	assert_true(encode_is_ascii(b.s, b.len));
	d = decode(b.s);
	assert_string_equal(d, "Ren\xc3\xa9 \"the\" D.");
	free(d);
	/* controls never survive */
	strbuf_reset(&b);
	encode_rfc2047_text("a\r\nBcc: evil@example.org\x1b[31m", &b);
	assert_null(strpbrk(b.s, "\r\n\x1b"));
	strbuf_free(&b);
}

static void test_qp_base64(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	const char *text = "caf\xc3\xa9 = 100%   \nFrom here\n.\n"
			   "a long line that goes on and on and on and on and on and on and on and on and on and on end\n";
	encode_qp(text, strlen(text), &b);
	for (char *p = b.s; *p;) {
		size_t len = strcspn(p, "\r\n");
		assert_true(len <= 76);
		assert_true(len == 0 || (p[len - 1] != ' ' && p[len - 1] != '\t'));
		p += len;
		assert_memory_equal(p, "\r\n", 2);
		p += 2;
	}
	assert_non_null(strstr(b.s, "caf=C3=A9 =3D 100%  =20\r\n"));
	assert_non_null(strstr(b.s, "=46rom here"));
	assert_non_null(strstr(b.s, "\r\n=2E\r\n"));
	strbuf_reset(&b);
	encode_base64("hello", 5, &b);
	assert_string_equal(b.s, "aGVsbG8=\r\n");
	char *l = encode_base64_line("\0user\0pw", 8);
	assert_string_equal(l, "AHVzZXIAcHc=");
	free(l);
	assert_true(encode_text_is_7bit("plain\r\ntext\n", 12));
	assert_false(encode_text_is_7bit("caf\xc3\xa9", 5));
	assert_false(encode_text_is_7bit("bare\rcr", 7));
	strbuf_free(&b);
}

static void test_rfc2231(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	encode_rfc2231_param("filename", "report.pdf", &b);
	assert_string_equal(b.s, "; filename=\"report.pdf\"");
	strbuf_reset(&b);
	encode_rfc2231_param("filename", "r\xc3\xa9sum\xc3\xa9 2024.pdf", &b);
	assert_string_equal(b.s, "; filename*=UTF-8''r%C3%A9sum%C3%A9%202024.pdf");
	strbuf_reset(&b);
	struct strbuf name;
	strbuf_init(&name);
	for (int i = 0; i < 30; i++)
		strbuf_adds(&name, "\xc3\xa9t\xc3\xa9");
	encode_rfc2231_param("filename", name.s, &b);
	assert_non_null(strstr(b.s, "filename*0*=UTF-8''"));
	assert_non_null(strstr(b.s, "filename*1*="));
	strbuf_free(&name);
	strbuf_free(&b);
}

static void test_fold(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	struct strbuf v;
	strbuf_init(&v);
	for (int i = 0; i < 30; i++)
		strbuf_addf(&v, "word%d ", i);
	encode_fold_header("Subject", v.s, &b);
	for (char *p = b.s; *p;) {
		size_t len = strcspn(p, "\r");
		assert_true(len <= ENCODE_FOLD_AT);
		p += len + 2;
	}
	strbuf_reset(&b);
	encode_fold_header("X-Test", "a\r\nBcc: b", &b);
	assert_string_equal(b.s, "X-Test: a  Bcc: b\r\n");
	strbuf_free(&b);
	strbuf_free(&v);
}

/* ---- building ---- */

static void test_subjects_refs(void **state)
{
	(void)state;
	char *s = compose_reply_subject("Re: RE[2]: Aw: hello");
	assert_string_equal(s, "Re: hello");
	free(s);
	s = compose_reply_subject(NULL);
	assert_string_equal(s, "Re: ");
	free(s);
	s = compose_forward_subject("Fwd: FW: news");
	assert_string_equal(s, "Fwd: news");
	free(s);
	struct compose_orig o = { 0 };
	struct strbuf r;
	strbuf_init(&r);
	for (int i = 0; i < 30; i++)
		strbuf_addf(&r, "<id%d@x.org> ", i);
	strbuf_adds(&r, "<bad id@x> <also bad@x>");
	o.references = r.s;
	o.message_id = (char *)"<last@x.org>";
	char *refs = compose_references_for_reply(&o);
	assert_true(strncmp(refs, "<id0@x.org> <id12@x.org>", 24) == 0);
	assert_non_null(strstr(refs, "<id29@x.org> <last@x.org>"));
	assert_null(strstr(refs, "bad"));
	free(refs);
	strbuf_free(&r);
	char *id = compose_new_message_id("host.example;\r\n");
	assert_true(id[0] == '<' && strstr(id, "@host.example>"));
	free(id);
	char *d = compose_date(0);
	assert_non_null(strstr(d, "1970") ? d : strstr(d, "1969"));
	free(d);
}

static void test_reply(void **state)
{
	(void)state;
	struct compose_orig o;
	orig_fill(&o);
	compose_t *c;
	char *err = NULL;
	assert_int_equal(compose_build(COMPOSE_REPLY, &o, &me, &c, &err), COMPOSE_OK);
	/* sent to my alternate address: the reply comes from it */
	assert_string_equal(compose_addrs(c, CF_FROM)->v[0].mailbox, "alice@work.example");
	assert_string_equal(compose_addrs(c, CF_FROM)->v[0].name, "Alice Example");
	assert_int_equal(compose_addrs(c, CF_TO)->n, 1);
	assert_string_equal(compose_addrs(c, CF_TO)->v[0].mailbox, "bob@example.net");
	assert_int_equal(compose_addrs(c, CF_CC)->n, 0);
	assert_string_equal(compose_subject(c), "Re: Lunch?");
	assert_string_equal(compose_in_reply_to(c), "<m2@example.net>");
	assert_string_equal(compose_references(c), "<root@example.net> <m1@example.net> <m2@example.net>");
	assert_string_equal(compose_orig_path(c), "/tmp/orig");
	const char *body = compose_body(c);
	assert_true(strncmp(body, "On 2023-11-1", 12) == 0);
	assert_non_null(strstr(body, "Bob wrote:\n> Noon?\n>> earlier\n>\n> Bob\n"));
	assert_null(strstr(body, "Bob's sig")); /* their signature is not quoted */
	assert_non_null(strstr(body, "\n-- \nAlice\n"));
	size_t len;
	char *msg = render(c, &len);
	assert_non_null(strstr(msg, "\r\nIn-Reply-To: <m2@example.net>\r\n"));
	assert_non_null(strstr(msg, "\r\nReferences: <root@example.net> <m1@example.net> <m2@example.net>\r\n"));
	free(msg);
	compose_free(&c);

	/* Reply-To wins over From */
	addr_list_add(&o.reply_to, NULL, "lunch@example.net");
	assert_int_equal(compose_build(COMPOSE_REPLY, &o, &me, &c, &err), COMPOSE_OK);
	assert_string_equal(compose_addrs(c, CF_TO)->v[0].mailbox, "lunch@example.net");
	compose_free(&c);
	compose_orig_clear(&o);
}

static void test_group_list_reply(void **state)
{
	(void)state;
	struct compose_orig o;
	orig_fill(&o);
	compose_t *c;
	char *err = NULL;
	assert_int_equal(compose_build(COMPOSE_GROUP_REPLY, &o, &me, &c, &err), COMPOSE_OK);
	const struct addr_list *to = compose_addrs(c, CF_TO), *cc = compose_addrs(c, CF_CC);
	assert_int_equal(to->n, 1);
	assert_string_equal(to->v[0].mailbox, "bob@example.net");
	/* carol and dave; neither of my addresses */
	assert_int_equal(cc->n, 2);
	assert_true(addr_list_contains(cc, "carol@example.com"));
	assert_true(addr_list_contains(cc, "dave@example.com"));
	compose_free(&c);

	assert_int_equal(compose_build(COMPOSE_LIST_REPLY, &o, &me, &c, &err), COMPOSE_ERR_NO_LIST);
	assert_null(c);
	assert_non_null(strstr(err, "List-Post"));
	free(err);
	o.list_post = xstrdup("<mailto:lunch-list@example.net>");
	assert_int_equal(compose_build(COMPOSE_LIST_REPLY, &o, &me, &c, &err), COMPOSE_OK);
	assert_int_equal(compose_addrs(c, CF_TO)->n, 1);
	assert_string_equal(compose_addrs(c, CF_TO)->v[0].mailbox, "lunch-list@example.net");
	compose_free(&c);

	/* replying to my own message goes to its recipients */
	addr_list_clear(&o.from);
	addr_list_add(&o.from, "Alice", "alice@example.org");
	assert_int_equal(compose_build(COMPOSE_REPLY, &o, &me, &c, &err), COMPOSE_OK);
	assert_true(addr_list_contains(compose_addrs(c, CF_TO), "carol@example.com"));
	compose_free(&c);
	compose_orig_clear(&o);
}

/* hostile-cases.md message 7: CR/LF in Subject or Message-ID of the
 * replied-to mail (and in what the user types) never splits a header. */
static void test_injection(void **state)
{
	(void)state;
	struct compose_orig o;
	orig_fill(&o);
	free(o.subject);
	o.subject = xstrdup("hi\r\nBcc: victim@example.org\nX-Evil: 1");
	free(o.message_id);
	o.message_id = xstrdup("<a@b>\r\nX-Injected: yes");
	free(o.references);
	o.references = xstrdup("<r@x>\nX-Injected2: yes <s@x>");
	compose_t *c;
	char *err = NULL;
	assert_int_equal(compose_build(COMPOSE_GROUP_REPLY, &o, &me, &c, &err), COMPOSE_OK);
	compose_set_subject(c, "also\rX-User-Evil: 1\n\n");
	assert_string_equal(compose_in_reply_to(c), "<a@b>"); /* only the id, nothing after it */
	assert_true(compose_set_addrs(c, CF_CC, "\"Ev\\\"il\r\nBcc: x@y.org\" <ok@example.org>", &err));
	size_t len;
	char *msg = render(c, &len);
	assert_false(has_header_line(msg, "Bcc:"));
	assert_false(has_header_line(msg, "X-Evil"));
	assert_false(has_header_line(msg, "X-Injected"));
	assert_false(has_header_line(msg, "X-User-Evil"));
	assert_non_null(strstr(msg, "References: <r@x> <s@x> <a@b>\r\n"));
	/* and our parser reads exactly one Subject back */
	mime_msg_t *m = parse(msg, len);
	assert_string_equal(mime_msg_header(m, MIME_H_SUBJECT), "also X-User-Evil: 1");
	assert_int_equal(mime_msg_addrs(m, MIME_H_CC)->n, 1);
	assert_string_equal(mime_msg_addrs(m, MIME_H_CC)->v[0].name, "Ev\"il Bcc: x@y.org");
	mime_msg_free(&m);
	free(msg);
	/* the editor's header block: a line break in a value is a new line the
	 * user wrote, and a header the message writes itself is not taken */
	assert_false(compose_from_editable(c, "To: bob@example.net\nCc: not an address\n\nbody\n", true, &err));
	free(err);
	assert_true(compose_from_editable(c, "To: bob@example.net\nContent-Type: text/html\nDate: x\n"
					     "Message-ID: <forged@x>\nX-Mine: fine\n\nbody\n",
					  true, &err));
	msg = render(c, &len);
	assert_false(has_header_line(msg, "Content-Type: text/html"));
	assert_false(has_header_line(msg, "Message-ID: <forged@x>"));
	assert_true(has_header_line(msg, "X-Mine: fine"));
	free(msg);
	compose_free(&c);
	compose_orig_clear(&o);
}

/* mutt's my_hdr through the identity: on new mail, replies and
 * forwards, not on a recalled draft; From sets the From; no header of
 * ours and no line break gets in. */
static void test_my_hdr(void **state)
{
	(void)state;
	const char *const hdrs[] = { "Organization: Example Org", "X-Face: abc", "From: Other <other@example.org>",
				     "Date: forged", "X-Evil: a\r\nBcc: victim@example.org", NULL };
	struct compose_identity id = me;
	id.my_hdr = hdrs;
	compose_t *c;
	char *err = NULL;
	assert_int_equal(compose_build(COMPOSE_NEW, NULL, &id, &c, &err), COMPOSE_OK);
	assert_int_equal(compose_extra_count(c), 2);
	assert_string_equal(compose_extra(c, 0), "Organization: Example Org");
	char *from = compose_addrs_text(c, CF_FROM);
	assert_string_equal(from, "Other <other@example.org>");
	free(from);
	char *t = compose_to_editable(c, true);
	assert_non_null(strstr(t, "\nOrganization: Example Org\nX-Face: abc\n\n"));
	free(t);
	assert_true(compose_set_addrs(c, CF_TO, "bob@example.net", &err));
	size_t len;
	char *msg = render(c, &len);
	assert_true(has_header_line(msg, "Organization: Example Org"));
	assert_false(has_header_line(msg, "Date: forged"));
	assert_false(has_header_line(msg, "Bcc:"));
	assert_false(has_header_line(msg, "X-Evil"));
	free(msg);
	/* the editor keeps them, and a later one of a name replaces it */
	assert_true(compose_from_editable(c, "To: bob@example.net\nOrganization: Example Org\nX-Face: abc\n\nhi\n", true, &err));
	assert_true(compose_add_header(c, "x-face: def", &err));
	assert_int_equal(compose_extra_count(c), 2);
	assert_string_equal(compose_extra(c, 1), "x-face: def");
	assert_false(compose_add_header(c, "Content-Type: text/html", &err));
	free(err);
	assert_false(compose_add_header(c, "X-A: b\nX-B: c", &err));
	free(err);
	compose_remove_header(c, "X-FACE");
	assert_int_equal(compose_extra_count(c), 1);
	compose_free(&c);
	struct compose_orig o;
	orig_fill(&o);
	assert_int_equal(compose_build(COMPOSE_REPLY, &o, &id, &c, &err), COMPOSE_OK);
	assert_int_equal(compose_extra_count(c), 2);
	compose_free(&c);
	assert_int_equal(compose_build(COMPOSE_RECALL, &o, &id, &c, &err), COMPOSE_OK);
	assert_int_equal(compose_extra_count(c), 0);
	compose_free(&c);
	compose_orig_clear(&o);
}

static void test_editable(void **state)
{
	(void)state;
	compose_t *c;
	char *err = NULL;
	assert_int_equal(compose_build(COMPOSE_NEW, NULL, &me, &c, &err), COMPOSE_OK);
	assert_string_equal(compose_body(c), "\n\n-- \nAlice\n");
	char *t = compose_to_editable(c, true);
	const char *want = "From: Alice Example <alice@example.org>\nTo: \nCc: \nBcc: \nSubject: \nReply-To: \n\n";
	assert_true(strncmp(t, want, strlen(want)) == 0);
	free(t);
	const char *edited = "From: Alice Example <alice@example.org>\nTo: Bob <bob@example.net>,\n  carol@example.com\n"
			     "Cc: \nBcc: secret@example.com\nSubject: Plans \xe2\x80\x94 Q3\nReply-To: \n\nHello\r\n\nAlice\n";
	assert_true(compose_from_editable(c, edited, true, &err));
	assert_int_equal(compose_addrs(c, CF_TO)->n, 2);
	assert_int_equal(compose_addrs(c, CF_BCC)->n, 1);
	assert_string_equal(compose_subject(c), "Plans \xe2\x80\x94 Q3");
	assert_string_equal(compose_body(c), "Hello\n\nAlice\n");
	/* a bad address changes nothing */
	assert_false(compose_from_editable(c, "To: broken@\n\nnew body\n", true, &err));
	assert_non_null(strstr(err, "To:"));
	free(err);
	assert_int_equal(compose_addrs(c, CF_TO)->n, 2);
	assert_string_equal(compose_body(c), "Hello\n\nAlice\n");
	/* no header block: it is all body */
	assert_true(compose_from_editable(c, "Just text: with a colon\nsecond\n", true, &err));
	assert_string_equal(compose_body(c), "Just text: with a colon\nsecond\n");
	assert_int_equal(compose_addrs(c, CF_TO)->n, 2);
	/* envelope: Bcc is a recipient but not a header */
	char *sender, **rcpts;
	assert_int_equal(compose_envelope(c, &sender, &rcpts, &err), COMPOSE_OK);
	assert_string_equal(sender, "alice@example.org");
	assert_string_equal(rcpts[0], "bob@example.net");
	assert_string_equal(rcpts[2], "secret@example.com");
	assert_null(rcpts[3]);
	free(sender);
	compose_strv_free(&rcpts);
	size_t len;
	char *msg = render(c, &len);
	assert_false(has_header_line(msg, "Bcc:"));
	assert_non_null(strstr(msg, "Subject: Plans =?UTF-8?"));
	free(msg);
	struct compose_render_opts o = { .include_bcc = true };
	assert_int_equal(compose_render(c, &o, false, &msg, &len, &err), COMPOSE_OK);
	assert_true(has_header_line(msg, "Bcc: secret@example.com"));
	free(msg);
	/* latin-1 from an old editor becomes UTF-8 */
	assert_true(compose_from_editable(c, "caf\xe9\n", false, &err));
	assert_string_equal(compose_body(c), "caf\xc3\xa9\n");
	/* no recipients: not sendable, but a draft is fine */
	assert_true(compose_set_addrs(c, CF_TO, "", &err));
	assert_true(compose_set_addrs(c, CF_BCC, "", &err));
	assert_int_equal(compose_render(c, NULL, false, &msg, &len, &err), COMPOSE_ERR_INPUT);
	free(err);
	assert_int_equal(compose_render(c, NULL, true, &msg, &len, &err), COMPOSE_OK);
	free(msg);
	compose_free(&c);
}

/* What we render, our MIME parser reads back the same. */
static void test_render_roundtrip(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *f1 = tu_write(dir, "r\xc3\xa9sum\xc3\xa9 final.pdf", "%PDF-1.4 fake\n\x01\x02", 0644);
	char *f2 = tu_write(dir, "notes", "plain notes\n", 0644);
	compose_t *c;
	char *err = NULL;
	assert_int_equal(compose_build(COMPOSE_NEW, NULL, &me, &c, &err), COMPOSE_OK);
	assert_true(compose_set_addrs(c, CF_TO, "J\xc3\xb6rg M\xc3\xbcller <joerg@example.de>", &err));
	compose_set_subject(c, "\xc3\x9c" "bersicht");
	const char *body = "Hallo J\xc3\xb6rg,\n\nanbei = die Unterlagen.   \n"
			   "From the start: a line that is definitely longer than seventy-six characters, to force soft breaks.\n";
	compose_set_body(c, body);
	assert_true(compose_attach_file(c, f1, NULL, NULL, &err));
	assert_true(compose_attach_file(c, f2, NULL, NULL, &err));
	assert_false(compose_attach_file(c, dir, NULL, NULL, &err));
	free(err);
	assert_int_equal(compose_att_count(c), 2);
	struct compose_att_info ai;
	assert_true(compose_att_info(c, 0, &ai));
	assert_string_equal(ai.type, "application/pdf");
	assert_string_equal(ai.name, "r\xc3\xa9sum\xc3\xa9 final.pdf");
	assert_true(compose_att_info(c, 1, &ai));
	assert_string_equal(ai.type, "text/plain"); /* `file` says so */
	assert_true(compose_att_rename(c, 1, "../../etc/notes.txt"));
	assert_true(compose_att_info(c, 1, &ai));
	assert_string_equal(ai.name, "notes.txt");
	size_t len;
	char *msg = render(c, &len);
	assert_true(encode_is_ascii(msg, 0) || true);
	for (size_t i = 0; i < len; i++)
		assert_true((unsigned char)msg[i] < 0x80);
	mime_msg_t *m = parse(msg, len);
	assert_string_equal(mime_msg_header(m, MIME_H_SUBJECT), "\xc3\x9c" "bersicht");
	assert_string_equal(mime_msg_addrs(m, MIME_H_TO)->v[0].name, "J\xc3\xb6rg M\xc3\xbcller");
	assert_int_equal(mime_msg_attachment_count(m), 3);
	const struct mime_attachment *a0 = mime_msg_attachment(m, 0);
	char *data;
	size_t dl;
	assert_int_equal(mime_part_decode(a0->part, &data, &dl), MIME_OK);
	size_t o = 0; /* the wire form has CRLF line ends */
	for (size_t i = 0; i < dl; i++)
		if (data[i] != '\r')
			data[o++] = data[i];
	assert_int_equal(o, strlen(body));
	assert_memory_equal(data, body, o);
	free(data);
	const struct mime_attachment *a1 = mime_msg_attachment(m, 1);
	assert_string_equal(a1->filename, "r\xc3\xa9sum\xc3\xa9 final.pdf");
	assert_int_equal(mime_part_decode(a1->part, &data, &dl), MIME_OK);
	assert_int_equal(dl, 16);
	assert_memory_equal(data, "%PDF-1.4 fake\n\x01\x02", 16);
	free(data);
	assert_string_equal(mime_msg_attachment(m, 2)->filename, "notes.txt");
	mime_msg_free(&m);
	free(msg);
	/* a vanished attachment is an error at render time, not a lost file */
	unlink(f2);
	char *out;
	assert_int_equal(compose_render(c, NULL, false, &out, &len, &err), COMPOSE_ERR_IO);
	free(err);
	assert_true(compose_detach(c, 1));
	assert_false(compose_detach(c, 5));
	compose_set_flowed(c, true);
	msg = render(c, &len);
	assert_non_null(strstr(msg, "format=flowed"));
	free(msg);
	compose_free(&c);
	free(f1);
	free(f2);
	tu_rmtree(dir);
	free(dir);
}

static void test_forward_bounce(void **state)
{
	(void)state;
	struct compose_orig o;
	orig_fill(&o);
	compose_t *c;
	char *err = NULL;
	assert_int_equal(compose_build(COMPOSE_FORWARD, &o, &me, &c, &err), COMPOSE_OK);
	assert_string_equal(compose_subject(c), "Fwd: Lunch?");
	assert_null(compose_in_reply_to(c));
	assert_non_null(strstr(compose_body(c), "----- Forwarded message from Bob <bob@example.net> -----"));
	assert_non_null(strstr(compose_body(c), "Subject: Lunch?\n\nNoon?\n"));
	compose_free(&c);

	assert_int_equal(compose_build(COMPOSE_FORWARD_ATTACH, &o, &me, &c, &err), COMPOSE_OK);
	assert_int_equal(compose_att_count(c), 1);
	assert_true(compose_set_addrs(c, CF_TO, "x@example.com", &err));
	size_t len;
	char *msg = render(c, &len);
	assert_non_null(strstr(msg, "Content-Type: message/rfc822\r\n"));
	mime_msg_t *m = parse(msg, len);
	bool found = false;
	for (size_t i = 0; i < mime_msg_attachment_count(m); i++)
		found |= strcmp(mime_msg_attachment(m, i)->type, "message/rfc822") == 0;
	assert_true(found);
	mime_msg_free(&m);
	free(msg);
	compose_free(&c);

	assert_int_equal(compose_build(COMPOSE_BOUNCE, &o, &me, &c, &err), COMPOSE_OK);
	assert_true(compose_set_addrs(c, CF_TO, "y@example.com", &err));
	assert_int_equal(compose_render_bounce(c, NULL, &msg, &len, &err), COMPOSE_OK);
	/* it reached me at my work address: resent from there */
	const char *top = "Resent-From: Alice Example <alice@work.example>\r\nResent-To: y@example.com\r\n";
	assert_true(strncmp(msg, top, strlen(top)) == 0);
	assert_non_null(strstr(msg, "\r\nFrom: Bob <bob@example.net>\r\nSubject: Lunch?\r\n\r\nNoon?\r\n"));
	free(msg);
	compose_free(&c);

	assert_int_equal(compose_build(COMPOSE_EDIT_AS_NEW, &o, &me, &c, &err), COMPOSE_OK);
	assert_string_equal(compose_subject(c), "Lunch?");
	assert_null(compose_in_reply_to(c));
	assert_string_equal(compose_addrs(c, CF_FROM)->v[0].mailbox, "alice@work.example");
	compose_free(&c);
	compose_orig_clear(&o);
}

static void test_orig_load_recall(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *p = tu_write(dir, "msg",
			   "From: =?utf-8?q?B=C3=B6b?= <bob@example.net>\n"
			   "To: alice@example.org\n"
			   "Subject: =?utf-8?b?w5xiZXI=?= it\n"
			   "Date: Tue, 14 Nov 2023 22:13:20 +0000\n"
			   "Message-ID: <orig@example.net>\n"
			   "List-Post: <mailto:list@example.net>\n"
			   "Delivered-To: alice+lists@example.org\n"
			   "MIME-Version: 1.0\n"
			   "Content-Type: text/plain; charset=iso-8859-1\n"
			   "Content-Transfer-Encoding: quoted-printable\n\n"
			   "Gr=FC=DFe \x1b[31mred\n",
			   0644);
	struct compose_orig o;
	char *err = NULL;
	assert_int_equal(compose_orig_load(p, false, &o, &err), COMPOSE_OK);
	assert_string_equal(o.subject, "\xc3\x9c" "ber it");
	assert_string_equal(o.from.v[0].name, "B\xc3\xb6" "b");
	assert_string_equal(o.message_id, "<orig@example.net>");
	assert_true(o.date == 1700000000);
	assert_null(strchr(o.body, '\x1b'));
	assert_true(strncmp(o.body, "Gr\xc3\xbc\xc3\x9f" "e ", 7) == 0);
	compose_t *c;
	assert_int_equal(compose_build(COMPOSE_LIST_REPLY, &o, &me, &c, &err), COMPOSE_OK);
	assert_string_equal(compose_addrs(c, CF_TO)->v[0].mailbox, "list@example.net");
	/* delivered to an alternate: the reply comes from it */
	assert_string_equal(compose_addrs(c, CF_FROM)->v[0].mailbox, "alice+lists@example.org");
	compose_free(&c);
	compose_orig_clear(&o);
	assert_int_equal(compose_orig_load("/nonexistent/x", false, &o, &err), COMPOSE_ERR_IO);
	free(err);

	/* a draft we rendered comes back whole (recall) */
	assert_int_equal(compose_build(COMPOSE_NEW, NULL, &me, &c, &err), COMPOSE_OK);
	assert_true(compose_set_addrs(c, CF_TO, "bob@example.net", &err));
	assert_true(compose_set_addrs(c, CF_BCC, "hidden@example.net", &err));
	compose_set_subject(c, "draft \xc3\xa9");
	compose_set_body(c, "draft body\n");
	compose_attach_data(c, "data.bin", "application/octet-stream", "\x00\x01\x02", 3);
	struct compose_render_opts ro = { .include_bcc = true };
	char *msg;
	size_t len;
	assert_int_equal(compose_render(c, &ro, true, &msg, &len, &err), COMPOSE_OK);
	compose_free(&c);
	char *dp = xasprintf("%s/draft", dir);
	assert_int_equal(util_write_file_atomic(dp, msg, len, 0600), 0);
	free(msg);
	assert_int_equal(compose_orig_load(dp, true, &o, &err), COMPOSE_OK);
	assert_int_equal(compose_build(COMPOSE_RECALL, &o, &me, &c, &err), COMPOSE_OK);
	assert_string_equal(compose_subject(c), "draft \xc3\xa9");
	assert_string_equal(compose_body(c), "draft body\n");
	assert_string_equal(compose_addrs(c, CF_BCC)->v[0].mailbox, "hidden@example.net");
	assert_int_equal(compose_att_count(c), 1);
	struct compose_att_info ai;
	assert_true(compose_att_info(c, 0, &ai));
	assert_int_equal(ai.size, 3);
	assert_string_equal(ai.name, "data.bin");
	compose_free(&c);
	compose_orig_clear(&o);
	free(dp);
	free(p);
	tu_rmtree(dir);
	free(dir);
}

static void test_detect_type(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	char *a = tu_write(dir, "x.PNG", "", 0644);
	char *b = tu_write(dir, "blob", "\x7f" "ELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00", 0644);
	char *t = compose_detect_type(a);
	assert_string_equal(t, "image/png");
	free(t);
	t = compose_detect_type(b);
	assert_non_null(strchr(t, '/'));
	assert_string_not_equal(t, "text/plain");
	free(t);
	free(a);
	free(b);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_addr_parse),
		cmocka_unit_test(test_addr_errors),
		cmocka_unit_test(test_addr_hostile),
		cmocka_unit_test(test_list_post),
		cmocka_unit_test(test_rfc2047),
		cmocka_unit_test(test_qp_base64),
		cmocka_unit_test(test_rfc2231),
		cmocka_unit_test(test_fold),
		cmocka_unit_test(test_subjects_refs),
		cmocka_unit_test(test_reply),
		cmocka_unit_test(test_group_list_reply),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_my_hdr),
		cmocka_unit_test(test_editable),
		cmocka_unit_test(test_render_roundtrip),
		cmocka_unit_test(test_forward_bounce),
		cmocka_unit_test(test_orig_load_recall),
		cmocka_unit_test(test_detect_type),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
