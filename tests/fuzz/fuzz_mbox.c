/* fuzz_mbox.c - mbox_read on any bytes, and the mboxrd round trip: any
 * message written by mbox_format reads back as exactly the message (LF
 * line ends), however many "From " and ">From " lines it holds. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mbox.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct mbox_read_msg *v;
	size_t n = mbox_read((const char *)data, size, &v);
	mbox_read_free(&v, n);

	struct mbox_msg m = { (const char *)data, size };
	char *want;
	size_t wlen;
	mbox_pipe_data(&m, 1, &want, &wlen);
	struct strbuf b;
	strbuf_init(&b);
	mbox_format(&b, &m);
	n = mbox_read(b.s, b.len, &v);
	if (wlen > 0 && (n != 1 || v[0].len != wlen || memcmp(v[0].data, want, wlen) != 0))
		abort();
	mbox_read_free(&v, n);
	strbuf_free(&b);
	free(want);
	return 0;
}
