/* fuzz_autoconfig.c - the autoconfig XML parser must survive any bytes: no
 * crash, no leak, no hang, and whatever it returns must be sane (a valid
 * host name, a port in range). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct disc_server *l;
	char *err = NULL;
	long n = autoconfig_parse((const char *)data, size, "alice@example.org", "fuzz", &l, &err);
	if (n < 0) {
		if (!err || l)
			abort();
		free(err);
		return 0;
	}
	for (long i = 0; i < n; i++) {
		if (!disc_hostname_ok(l[i].host) || l[i].port < 1 || l[i].port > 65535)
			abort();
		disc_server_clear(&l[i]);
	}
	free(l);
	return 0;
}
