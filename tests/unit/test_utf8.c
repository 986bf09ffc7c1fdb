/* test_utf8.c - the one UTF-8 decoder and encoder (src/utf8.c). */
#include <stdint.h>
#include <string.h>

#include "testutil.h"
#include "utf8.h"
#include "util.h"

struct seq {
	const char *s;
	size_t lax, strict; /* the lengths utf8_decode and utf8_decode_strict give */
	uint32_t cp;
};

static const struct seq seqs[] = {
	{ "A", 1, 1, 'A' },
	{ "\x7f", 1, 1, 0x7F },
	{ "\xc2\x80", 2, 2, 0x80 },
	{ "\xdf\xbf", 2, 2, 0x7FF },
	{ "\xe0\xa0\x80", 3, 3, 0x800 },
	{ "\xe2\x82\xac", 3, 3, 0x20AC },
	{ "\xef\xbf\xbf", 3, 3, 0xFFFF },
	{ "\xf0\x90\x80\x80", 4, 4, 0x10000 },
	{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10FFFF },
	/* surrogates and past U+10FFFF: only the lax decoder takes them */
	{ "\xed\xa0\x80", 3, 0, 0xD800 },
	{ "\xed\xbf\xbf", 3, 0, 0xDFFF },
	{ "\xf4\x90\x80\x80", 4, 0, 0x110000 },
	{ "\xf7\xbf\xbf\xbf", 4, 0, 0x1FFFFF },
	/* overlong, bad lead or continuation, cut short: neither */
	{ "\xc0\x80", 0, 0, 0 },
	{ "\xc1\xbf", 0, 0, 0 },
	{ "\xe0\x9f\xbf", 0, 0, 0 },
	{ "\xf0\x8f\xbf\xbf", 0, 0, 0 },
	{ "\x80", 0, 0, 0 },
	{ "\xbf", 0, 0, 0 },
	{ "\xf8\x88\x80\x80\x80", 0, 0, 0 },
	{ "\xff", 0, 0, 0 },
	{ "\xc3\x28", 0, 0, 0 },
	{ "\xe2\x82\x28", 0, 0, 0 },
	{ "\xe2\x82", 0, 0, 0 },
	{ "\xf0\x90\x80", 0, 0, 0 },
};

static void test_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(seqs) / sizeof(seqs[0]); i++) {
		const struct seq *q = &seqs[i];
		uint32_t cp = 0xDEAD;
		size_t n = utf8_decode(q->s, strlen(q->s), &cp);
		if (n != q->lax || (n && cp != q->cp))
			fail_msg("seqs[%zu]: lax %zu U+%04X, want %zu U+%04X", i, n, (unsigned)cp, q->lax, (unsigned)q->cp);
		cp = 0xDEAD;
		n = utf8_decode_strict(q->s, strlen(q->s), &cp);
		if (n != q->strict || (n && cp != q->cp))
			fail_msg("seqs[%zu]: strict %zu U+%04X, want %zu", i, n, (unsigned)cp, q->strict);
	}
}

/* len bounds the read: a sequence longer than len is cut short. */
static void test_len_bounds(void **state)
{
	(void)state;
	uint32_t cp;
	assert_int_equal(utf8_decode("\xe2\x82\xac", 2, &cp), 0);
	assert_int_equal(utf8_decode("\xe2\x82\xac", 3, &cp), 3);
	assert_int_equal(utf8_decode_strict("\xf0\x90\x80\x80", 3, &cp), 0);
}

static void test_put_round_trip(void **state)
{
	(void)state;
	static const uint32_t cps[] = { 0x1, 'z', 0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFD, 0x10000, 0x10FFFF };
	for (size_t i = 0; i < sizeof(cps) / sizeof(cps[0]); i++) {
		struct strbuf b;
		strbuf_init(&b);
		utf8_put(&b, cps[i]);
		uint32_t cp;
		assert_int_equal(utf8_decode_strict(b.s, b.len, &cp), b.len);
		assert_int_equal(cp, cps[i]);
		strbuf_free(&b);
	}
	struct strbuf b;
	strbuf_init(&b);
	utf8_put(&b, 0x20AC);
	utf8_put(&b, 0xD800); /* written as it is: the caller decides */
	assert_int_equal(b.len, 6);
	assert_memory_equal(b.s, "\xe2\x82\xac\xed\xa0\x80", 6);
	strbuf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_len_bounds),
		cmocka_unit_test(test_put_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
