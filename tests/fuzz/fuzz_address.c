/* fuzz_address.c - the address parser and the header encoders must
 * survive any bytes: no crash, no hang, and nothing they produce for a
 * header may hold CR or LF (header injection) or non-ASCII. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "encode.h"
#include "util.h"

static void no_breaks(const char *s)
{
	if (strpbrk(s, "\r\n") || !encode_is_ascii(s, strlen(s)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct addr_list l;
	addr_list_init(&l);
	char *err = NULL;
	addr_parse(text, &l, &err);
	free(err);
	for (size_t i = 0; i < l.n; i++) {
		if (!addr_mailbox_valid(l.v[i].mailbox) || strpbrk(l.v[i].name, "\r\n"))
			abort();
	}
	char *enc = addr_list_encode(&l);
	no_breaks(enc);
	/* what we format for the editor parses back to the same list */
	char *shown = addr_list_format(&l);
	struct addr_list back;
	addr_list_init(&back);
	if (!addr_parse(shown, &back, &err) || back.n != l.n)
		abort();
	addr_list_clear(&back);
	free(shown);
	free(enc);
	addr_list_clear(&l);
	struct strbuf b;
	strbuf_init(&b);
	encode_rfc2047_text(text, &b);
	no_breaks(b.s ? b.s : "");
	strbuf_reset(&b);
	encode_rfc2231_param("filename", text, &b);
	no_breaks(b.s ? b.s : "");
	strbuf_free(&b);
	free(addr_from_list_post(text));
	free(text);
	return 0;
}
