/* test_autocrypt.c - Autocrypt Level 1: header parsing, the peer state
 * update (a forged addr ignored, older mail, no header) and the
 * recommendation (src/autocrypt.c). */
#include <stdlib.h>
#include <string.h>

#include "autocrypt.h"
#include "testutil.h"
#include "util.h"

#define DAY ((time_t)24 * 60 * 60)
#define KEY1 "mDMEXEcE6RYJKwYBBAHaRw8BAQdArjWwk3FAqyiFbFBKT4TzXcVBqPTB3gmzlC/U"
#define KEY2 "mDMEWUgDDRYJKwYBBAHaRw8BAQdAsTL7j3I3F5mn8H8Qz3N0kRpr2bXPJcg1Swyy"

static void test_parse(void **state)
{
	(void)state;
	struct autocrypt_header h;
	assert_true(autocrypt_header_parse("addr=Bob@Example.ORG; prefer-encrypt=mutual; keydata=\r\n " KEY1 "\r\n " KEY2,
					   &h));
	assert_string_equal(h.addr, "bob@example.org");
	assert_true(h.prefer_encrypt);
	assert_string_equal(h.keydata, KEY1 KEY2); /* folding removed */
	autocrypt_header_clear(&h);
	/* no prefer-encrypt, an unknown non-critical attribute, a trailing ';' */
	assert_true(autocrypt_header_parse("addr=a@b.example; _extra=1; keydata=" KEY1 ";", &h));
	assert_false(h.prefer_encrypt);
	autocrypt_header_clear(&h);
	assert_true(autocrypt_header_parse("addr=a@b.example; prefer-encrypt=nopreference; keydata=" KEY1, &h));
	assert_false(h.prefer_encrypt);
	autocrypt_header_clear(&h);
	/* invalid: unknown critical attribute, missing addr or keydata, twice, bad base64 */
	assert_false(autocrypt_header_parse("addr=a@b.example; type=2; keydata=" KEY1, &h));
	assert_null(h.addr);
	assert_false(autocrypt_header_parse("keydata=" KEY1, &h));
	assert_false(autocrypt_header_parse("addr=a@b.example", &h));
	assert_false(autocrypt_header_parse("addr=a@b.example; addr=c@d.example; keydata=" KEY1, &h));
	assert_false(autocrypt_header_parse("addr=a@b.example; keydata=not*base64!", &h));
	assert_false(autocrypt_header_parse("addr=nobody; keydata=" KEY1, &h));
	assert_false(autocrypt_header_parse(NULL, &h));
}

static void test_update(void **state)
{
	(void)state;
	struct autocrypt_peer p = { 0 };
	time_t t = 1900000000;
	/* no header: last_seen only */
	assert_true(autocrypt_peer_update(&p, "bob@example.org", t, NULL));
	assert_int_equal(p.last_seen, t);
	assert_null(p.public_key);
	assert_int_equal(autocrypt_recommend(&p, true), AUTOCRYPT_DISABLE);
	/* a forged header: its addr is not From:, ignored */
	autocrypt_peer_update(&p, "bob@example.org", t + 10, "addr=mallory@example.org; keydata=" KEY2);
	assert_null(p.public_key);
	assert_int_equal(p.autocrypt_timestamp, 0);
	assert_int_equal(p.last_seen, t + 10);
	/* bob's own header (addr case differs) */
	assert_true(autocrypt_peer_update(&p, "Bob@example.org", t + 20, "addr=bob@example.org; keydata=" KEY1));
	assert_string_equal(p.public_key, KEY1);
	assert_int_equal(p.autocrypt_timestamp, t + 20);
	assert_false(p.prefer_encrypt);
	assert_int_equal(autocrypt_recommend(&p, true), AUTOCRYPT_AVAILABLE);
	/* an older message with another key changes nothing */
	assert_false(autocrypt_peer_update(&p, "bob@example.org", t + 5,
					   "addr=bob@example.org; prefer-encrypt=mutual; keydata=" KEY2));
	assert_string_equal(p.public_key, KEY1);
	/* newer, mutual: encrypt when I am mutual too */
	autocrypt_peer_update(&p, "bob@example.org", t + 30, "addr=bob@example.org; prefer-encrypt=mutual; keydata=" KEY2);
	assert_string_equal(p.public_key, KEY2);
	assert_int_equal(autocrypt_recommend(&p, true), AUTOCRYPT_ENCRYPT);
	assert_int_equal(autocrypt_recommend(&p, false), AUTOCRYPT_AVAILABLE);
	/* mail without a header for more than 35 days: discourage, the key kept */
	autocrypt_peer_update(&p, "bob@example.org", t + 30 + 36 * DAY, NULL);
	assert_int_equal(autocrypt_recommend(&p, true), AUTOCRYPT_DISCOURAGE);
	assert_string_equal(p.public_key, KEY2);
	/* an invalid header counts as none */
	autocrypt_peer_update(&p, "bob@example.org", t + 40 + 36 * DAY, "addr=bob@example.org; keydata=");
	assert_int_equal(p.last_seen, t + 40 + 36 * DAY);
	assert_string_equal(p.public_key, KEY2);
	autocrypt_peer_clear(&p);
	assert_int_equal(autocrypt_recommend(NULL, true), AUTOCRYPT_DISABLE);
}

static void test_recommend_all_and_make(void **state)
{
	(void)state;
	enum autocrypt_rec v[] = { AUTOCRYPT_ENCRYPT, AUTOCRYPT_AVAILABLE, AUTOCRYPT_ENCRYPT };
	assert_int_equal(autocrypt_recommend_all(v, 3), AUTOCRYPT_AVAILABLE);
	assert_int_equal(autocrypt_recommend_all(v, 0), AUTOCRYPT_DISABLE);
	assert_string_equal(autocrypt_rec_name(AUTOCRYPT_DISCOURAGE), "discourage");
	char *h = autocrypt_header_make("alice@example.org", true, KEY1 KEY2);
	assert_non_null(strstr(h, "addr=alice@example.org; prefer-encrypt=mutual; keydata=\r\n "));
	struct autocrypt_header back;
	assert_true(autocrypt_header_parse(h, &back)); /* what we send, we read */
	assert_string_equal(back.keydata, KEY1 KEY2);
	assert_true(back.prefer_encrypt);
	autocrypt_header_clear(&back);
	free(h);
}

/* the Autocrypt: fields of a header block: one is used (unfolded), none
 * or several (the spec: as if none) give NULL; the body is not looked at */
static void test_header_find(void **state)
{
	(void)state;
	char *v = NULL;
	const char *one = "From: b@example.org\r\nAutocrypt: addr=b@example.org; keydata=\r\n " KEY1 "\r\n " KEY2
			  "\r\nSubject: x\r\n\r\nAutocrypt: addr=evil@example.org; keydata=" KEY1 "\r\n";
	assert_int_equal(autocrypt_header_find(one, strlen(one), &v), 1);
	assert_string_equal(v, " addr=b@example.org; keydata= " KEY1 " " KEY2);
	struct autocrypt_header h;
	assert_true(autocrypt_header_parse(v, &h));
	assert_string_equal(h.keydata, KEY1 KEY2);
	autocrypt_header_clear(&h);
	free(v);
	const char *two = "autocrypt: addr=b@example.org; keydata=" KEY1 "\nAUTOCRYPT: addr=b@example.org; keydata=" KEY2
			  "\n\n";
	assert_int_equal(autocrypt_header_find(two, strlen(two), &v), 2);
	assert_null(v);
	const char *none = "From: b@example.org\n\nAutocrypt: addr=b@example.org; keydata=" KEY1 "\n";
	assert_int_equal(autocrypt_header_find(none, strlen(none), &v), 0);
	assert_null(v);
}

/* the peer table's file: read, looked up case-insensitively, written
 * back atomically (0600) and read again the same; bad lines are dropped */
static void test_peers_file(void **state)
{
	(void)state;
	char *tmp = tu_tmpdir(), *dir = autocrypt_dir(tmp, "work/../x");
	assert_non_null(strstr(dir, "/autocrypt/"));
	assert_null(strstr(dir, "work/")); /* one safe component */
	free(dir);
	dir = xasprintf("%s/autocrypt/work", tmp);
	autocrypt_peers_t *t = autocrypt_peers_load(dir); /* none yet */
	assert_null(autocrypt_peers_find(t, "bob@example.org", NULL));
	autocrypt_peers_free(&t);
	int st;
	free(tu_run(&st, "mkdir -p %s", dir));
	free(tu_write(dir, "peers",
		      "# muttlike autocrypt peers 1\n"
		      "bob@example.org 2000000 1990000 mutual ABCDEF " KEY1 "\n"
		      "carol@example.org 2000000 0 nopreference - -\n"
		      "garbage line\n"
		      "dave@example.org notanumber 0 mutual - -\n",
		      0600));
	t = autocrypt_peers_load(dir);
	const char *fpr = NULL;
	const struct autocrypt_peer *p = autocrypt_peers_find(t, "Bob@Example.org", &fpr);
	assert_non_null(p);
	assert_string_equal(fpr, "ABCDEF");
	assert_true(p->prefer_encrypt);
	assert_int_equal(p->last_seen, 2000000);
	assert_int_equal(p->autocrypt_timestamp, 1990000);
	assert_string_equal(p->public_key, KEY1);
	p = autocrypt_peers_find(t, "carol@example.org", &fpr);
	assert_non_null(p);
	assert_null(fpr);
	assert_null(p->public_key);
	assert_null(autocrypt_peers_find(t, "dave@example.org", NULL));
	const char *bob[] = { "bob@example.org", NULL }, *both[] = { "bob@example.org", "carol@example.org", NULL };
	assert_int_equal(autocrypt_peers_recommend(t, bob, true), AUTOCRYPT_ENCRYPT);
	assert_int_equal(autocrypt_peers_recommend(t, bob, false), AUTOCRYPT_AVAILABLE);
	assert_int_equal(autocrypt_peers_recommend(t, both, true), AUTOCRYPT_DISABLE);
	char *err = NULL;
	assert_int_equal(autocrypt_peers_save(t, &err), 0);
	autocrypt_peers_free(&t);
	char *path = xasprintf("%s/peers", dir), *text = tu_read(path);
	assert_string_equal(text, "# muttlike autocrypt peers 1\n"
				  "bob@example.org 2000000 1990000 mutual ABCDEF " KEY1 "\n"
				  "carol@example.org 2000000 0 nopreference - -\n");
	char *mode = tu_run(&st, "stat -c %%a %s", path);
	assert_string_equal(mode, "600\n");
	free(mode);
	free(text);
	free(path);
	free(dir);
	tu_rmtree(tmp);
	free(tmp);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_update),
		cmocka_unit_test(test_recommend_all_and_make),
		cmocka_unit_test(test_header_find),
		cmocka_unit_test(test_peers_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
