/* fuzz_mutf7.c - modified UTF-7: decode never crashes, and whatever
 * decodes re-encodes to exactly the input (one encoding per name); UTF-8
 * that encodes decodes back to itself. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mutf7.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in = xstrndup((const char *)data, size);
	char *d = mutf7_decode(in);
	if (d) {
		char *e = mutf7_encode(d);
		if (!e || strcmp(e, in) != 0)
			abort();
		free(e);
		free(d);
	}
	char *e = mutf7_encode(in);
	if (e) {
		char *back = mutf7_decode(e);
		if (!back || strcmp(back, in) != 0)
			abort();
		free(back);
		free(e);
	}
	free(in);
	return 0;
}
