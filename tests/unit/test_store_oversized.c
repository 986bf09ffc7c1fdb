/* test_store_oversized.c - a message over the MIME caps is indexed by its
 * headers only (real notmuch database), under its real file name, and
 * tagged oversized; a normal message is indexed in full.  Also the
 * pre-scan's caps one by one (mime_scan_mem). */
#include <dirent.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <notmuch.h>

#include "testutil.h"
#include "maildir.h"
#include "mime.h"
#include "store.h"
#include "util.h"

#define HEAD "From: Mallory <m@example.org>\r\nTo: alice@example.org\r\n"

/* A multipart with nparts empty parts, "deepword" only in the last one. */
static char *many_parts(size_t nparts, const char *id)
{
	struct strbuf b;
	strbuf_init(&b);
	strbuf_addf(&b, HEAD "Subject: zebraheader %s\r\nMessage-ID: <%s@example.org>\r\nMIME-Version: 1.0\r\n"
			"Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n",
		    id, id);
	strbuf_adds(&b, "--b\r\nContent-Type: text/plain\r\n\r\nfirstword\r\n");
	for (size_t i = 0; i < nparts; i++)
		strbuf_adds(&b, "--b\r\n\r\n\r\n");
	strbuf_adds(&b, "--b\r\nContent-Type: text/plain\r\n\r\ndeepword\r\n--b--\r\n");
	return strbuf_detach(&b);
}

static void test_scan_caps(void **state)
{
	(void)state;
	struct mime_scan sc;
	struct strbuf h;
	strbuf_init(&h);

	const char *plain = HEAD "Subject: hi\r\n\r\nhello world hello\r\n";
	mime_scan_mem(plain, strlen(plain), &sc, &h);
	assert_int_equal(sc.limits, 0);
	assert_int_equal(sc.parts, 1);
	assert_int_equal(sc.words, 3);
	assert_int_equal(sc.terms, 2);
	assert_string_equal(h.s, HEAD "Subject: hi\r\n\r\n");

	char *m = many_parts(MIME_MAX_PARTS - 3, "a"); /* root + 2 text parts + the rest: exactly the cap */
	mime_scan_mem(m, strlen(m), &sc, NULL);
	assert_int_equal(sc.limits, 0);
	assert_int_equal(sc.parts, MIME_MAX_PARTS);
	free(m);
	m = many_parts(MIME_MAX_PARTS - 2, "a");
	mime_scan_mem(m, strlen(m), &sc, &h);
	assert_int_equal(sc.limits, MIME_LIMIT_PARTS);
	assert_non_null(strstr(h.s, "Subject: zebraheader a\r\n"));
	assert_null(strstr(h.s, "--b"));
	free(m);

	/* Nesting: a multipart at depth MIME_MAX_DEPTH is where the reader stops. */
	struct strbuf d;
	strbuf_init(&d);
	strbuf_adds(&d, "Subject: deep\r\n");
	for (int i = 0; i <= MIME_MAX_DEPTH; i++)
		strbuf_addf(&d, "Content-Type: multipart/mixed; boundary=\"d%d\"\r\n\r\n--d%d\r\n", i, i);
	strbuf_adds(&d, "\r\nx\r\n");
	mime_scan_mem(d.s, d.len, &sc, NULL);
	assert_int_equal(sc.limits, MIME_LIMIT_DEPTH);
	assert_int_equal(sc.depth, MIME_MAX_DEPTH);
	/* Outer boundaries win: closing the outermost ends every inner one. */
	strbuf_reset(&d);
	strbuf_adds(&d, "Content-Type: multipart/mixed; boundary=\"o\"\r\n\r\n--o\r\n"
			"Content-Type: multipart/mixed; boundary=\"i\"\r\n\r\n--i\r\n\r\n"
			"--o--\r\n--i\r\n\r\n--i\r\n\r\n");
	mime_scan_mem(d.s, d.len, &sc, NULL);
	assert_int_equal(sc.parts, 3);

	/* Header fields per entity. */
	strbuf_reset(&d);
	for (int i = 0; i <= MIME_MAX_HEADERS; i++)
		strbuf_addf(&d, "X-F%d: v\r\n", i);
	strbuf_adds(&d, "\r\nbody\r\n");
	mime_scan_mem(d.s, d.len, &sc, &h);
	assert_int_equal(sc.limits, MIME_LIMIT_HEADERS);
	assert_non_null(strstr(h.s, "X-F999: v\r\n\r\n"));
	assert_null(strstr(h.s, "X-F1000:"));

	/* Text: distinct words, also through base64; a long line counts whole. */
	strbuf_reset(&d);
	strbuf_adds(&d, "Subject: words\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	struct strbuf words;
	strbuf_init(&words);
	for (size_t i = 0; i <= MIME_INDEX_MAX_TERMS * 11 / 10; i++)
		strbuf_addf(&words, "w%zu ", i);
	static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	for (size_t i = 0; i + 3 <= words.len; i += 3) {
		const unsigned char *s = (const unsigned char *)words.s + i;
		unsigned v = (unsigned)s[0] << 16 | (unsigned)s[1] << 8 | s[2];
		char q[4] = { b64[v >> 18], b64[(v >> 12) & 63], b64[(v >> 6) & 63], b64[v & 63] };
		strbuf_add(&d, q, 4);
		if (i % 57 == 54)
			strbuf_adds(&d, "\r\n");
	}
	mime_scan_mem(d.s, d.len, &sc, NULL);
	assert_int_equal(sc.limits, MIME_LIMIT_TEXT);
	strbuf_reset(&d);
	strbuf_adds(&d, "Subject: one line\r\n\r\n");
	strbuf_add(&d, words.s, words.len); /* no line end at all, > LINE_KEEP */
	mime_scan_mem(d.s, d.len, &sc, NULL);
	assert_int_equal(sc.limits, MIME_LIMIT_TEXT);
	strbuf_free(&words);
	strbuf_free(&d);
	strbuf_free(&h);
}

struct fx {
	char *dir, *mail, *state, *cur;
};

static void fx_init(struct fx *f)
{
	f->dir = tu_tmpdir();
	f->mail = xasprintf("%s/mail", f->dir);
	f->state = xasprintf("%s/state", f->dir);
	char *folder = xasprintf("%s/acct/INBOX", f->mail);
	assert_int_equal(maildir_create(folder), 0);
	f->cur = xasprintf("%s/cur", folder);
	free(folder);
}

static void fx_free(struct fx *f)
{
	tu_rmtree(f->dir);
	free(f->dir);
	free(f->mail);
	free(f->state);
	free(f->cur);
}

static unsigned count(notmuch_database_t *db, const char *q)
{
	notmuch_query_t *query = notmuch_query_create(db, q);
	unsigned n = 0;
	assert_int_equal(notmuch_query_count_messages(query, &n), NOTMUCH_STATUS_SUCCESS);
	notmuch_query_destroy(query);
	return n;
}

static notmuch_database_t *open_ro(const struct fx *f)
{
	notmuch_database_t *db = NULL;
	char *msg = NULL;
	assert_int_equal(notmuch_database_open_with_config(f->mail, NOTMUCH_DATABASE_MODE_READ_ONLY, "", NULL, &db, &msg),
			 NOTMUCH_STATUS_SUCCESS);
	free(msg);
	return db;
}

/* The one file name the index has for this Message-ID. */
static char *file_of(notmuch_database_t *db, const char *id)
{
	notmuch_message_t *m = NULL;
	assert_int_equal(notmuch_database_find_message(db, id, &m), NOTMUCH_STATUS_SUCCESS);
	assert_non_null(m);
	notmuch_filenames_t *fns = notmuch_message_get_filenames(m);
	assert_true(notmuch_filenames_valid(fns));
	char *fn = xstrdup(notmuch_filenames_get(fns));
	notmuch_filenames_move_to_next(fns);
	assert_false(notmuch_filenames_valid(fns));
	notmuch_filenames_destroy(fns);
	notmuch_message_destroy(m);
	return fn;
}

static size_t files_in(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *de;
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	return n;
}

static void test_header_only_index(void **state)
{
	(void)state;
	struct fx f;
	fx_init(&f);
	char *big = many_parts(MIME_MAX_PARTS, "big");
	const char *normal = HEAD "Subject: zebraheader normal\r\nMessage-ID: <normal@example.org>\r\n\r\n"
			     "an ordinary deepword body\r\n";
	char *bigf = tu_write(f.cur, "1.M1P1Q1.h,U=1:2,S", big, 0600);
	char *normf = tu_write(f.cur, "2.M1P1Q1.h,U=2:2,", normal, 0600);
	char *newdir = xasprintf("%s/acct/INBOX/new", f.mail);

	store_t *s = NULL;
	char *err = NULL;
	assert_int_equal(store_open(f.mail, f.state, &s, &err), STORE_OK);
	store_add(s, "acct/INBOX/cur/1.M1P1Q1.h,U=1:2,S", "acct", "$label1");
	store_add(s, "acct/INBOX/cur/2.M1P1Q1.h,U=2:2,", "acct", NULL);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_close(&s), 0);

	notmuch_database_t *db = open_ro(&f);
	assert_int_equal(count(db, "zebraheader"), 2);             /* both by their headers */
	assert_int_equal(count(db, "firstword"), 0);               /* not even the first part */
	assert_int_equal(count(db, "deepword"), 1);                /* only the normal one */
	assert_int_equal(count(db, "deepword and id:normal@example.org"), 1);
	assert_int_equal(count(db, "tag:oversized"), 1);
	assert_int_equal(count(db, "tag:oversized and id:big@example.org"), 1);
	assert_int_equal(count(db, "id:big@example.org and not tag:unread and tag:$label1 and tag:account:acct"), 1);
	assert_int_equal(count(db, "id:normal@example.org and tag:unread and not tag:oversized"), 1);
	assert_int_equal(count(db, "folder:acct/INBOX"), 2);
	char *fn = file_of(db, "big@example.org");
	assert_string_equal(fn, bigf); /* the real file, which holds the whole message */
	free(fn);
	notmuch_database_destroy(db);
	char *onfile = tu_read(bigf);
	assert_string_equal(onfile, big);
	free(onfile);
	assert_int_equal(files_in(newdir), 0);

	/* A flag change renames the file: the new name is indexed the same
	 * way (header only), the old one dropped. */
	char *bigf2 = xasprintf("%s/1.M1P1Q1.h,U=1:2,FS", f.cur);
	assert_int_equal(rename(bigf, bigf2), 0);
	assert_int_equal(store_open(f.mail, f.state, &s, &err), STORE_OK);
	store_rename(s, "acct/INBOX/cur/1.M1P1Q1.h,U=1:2,S", "acct/INBOX/cur/1.M1P1Q1.h,U=1:2,FS", "acct", NULL);
	assert_int_equal(store_flush(s), 0);
	assert_int_equal(store_close(&s), 0);
	db = open_ro(&f);
	fn = file_of(db, "big@example.org");
	assert_string_equal(fn, bigf2);
	free(fn);
	assert_int_equal(count(db, "tag:flagged and tag:oversized and tag:$label1"), 1);
	assert_int_equal(count(db, "deepword"), 1);
	notmuch_database_destroy(db);
	assert_int_equal(files_in(newdir), 0);

	/* A crash in the middle left new/NAME (the header copy); the scan
	 * does not list it and the reconcile removes it. */
	char *left = tu_write(newdir, "1.M1P1Q1.h,U=1:2,FS", "X-Muttlike-Index-Copy: headers only\r\nSubject: x\r\n\r\n",
			      0600);
	struct maildir_list l;
	char *folder = xasprintf("%s/acct/INBOX", f.mail);
	assert_int_equal(maildir_scan(folder, &l), 0);
	assert_int_equal(l.n, 2);
	maildir_list_clear(&l);
	char *dirty = xasprintf("%s/store.dirty", f.state);
	free(tu_write(f.state, "store.dirty", "1\n", 0600));
	assert_int_equal(store_open(f.mail, f.state, &s, &err), STORE_OK);
	assert_int_equal(store_close(&s), 0);
	assert_int_equal(files_in(newdir), 0);
	db = open_ro(&f);
	assert_int_equal(count(db, "*"), 2);
	assert_int_equal(count(db, "tag:oversized"), 1);
	notmuch_database_destroy(db);

	free(dirty);
	free(folder);
	free(left);
	free(bigf2);
	free(newdir);
	free(bigf);
	free(normf);
	free(big);
	fx_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scan_caps),
		cmocka_unit_test(test_header_only_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
