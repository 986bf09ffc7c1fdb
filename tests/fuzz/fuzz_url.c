/* fuzz_url.c - url_parse on any bytes: no crash, no leak; a parsed URL has
 * a scheme from the list, a non-empty host and a port in range, a refused
 * one an error and nothing else. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "url.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = xstrndup((const char *)data, size);
	struct url u;
	char *err;
	if (url_parse(s, "imaps|imap|smtps|smtp", &u, &err)) {
		if (err || util_list_index("imaps|imap|smtps|smtp", u.scheme) < 0 || !u.host || !*u.host ||
		    u.port < 0 || u.port > 65535 || (u.user && !*u.user))
			abort();
		url_clear(&u);
	} else {
		if (!err || u.scheme || u.user || u.host)
			abort();
		free(err);
	}
	free(s);
	return 0;
}
