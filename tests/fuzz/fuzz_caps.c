/* fuzz_caps.c - capability words and pin strings from untrusted input. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "tls.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	(void)imap_caps_parse(s);
	char out[65];
	if (tls_pin_normalize(s, out) && strlen(out) != 64)
		abort();
	char *p = tls_fingerprint_pretty(s);
	free(p);
	free(s);
	return 0;
}
