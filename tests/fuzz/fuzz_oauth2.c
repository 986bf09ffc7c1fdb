/* fuzz_oauth2.c - what an authorization server or a browser hands the
 * OAuth2 core: token endpoint answers (the flat JSON reader) and redirect
 * URLs (query parameters). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "oauth2.h"
#include "oauth2_private.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct oauth2_json j;
	if (oauth2_json_parse((const char *)data, size, &j) == 0) {
		static const char *const keys[] = { "access_token", "refresh_token", "expires_in", "error",
						    "error_description", "interval", "device_code" };
		for (size_t i = 0; i < ARRAY_SIZE(keys); i++) {
			const char *s = oauth2_json_str(&j, keys[i]);
			long n;
			if (s && strlen(s) > size)
				abort(); /* decoding never grows a string */
			(void)oauth2_json_long(&j, keys[i], &n);
		}
		for (size_t i = 0; i < j.n; i++)
			if (!j.f[i].key || !j.f[i].val)
				abort();
		oauth2_json_free(&j);
	}
	char *url = xstrndup((const char *)data, size);
	static const char *const params[] = { "code", "state", "error", "error_description" };
	for (size_t i = 0; i < ARRAY_SIZE(params); i++) {
		char *v = oauth2_query_param(url, params[i]);
		if (v && strlen(v) > size)
			abort();
		free(v);
	}
	free(url);
	return 0;
}
