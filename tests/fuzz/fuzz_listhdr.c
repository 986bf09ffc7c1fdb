/* fuzz_listhdr.c - hostile List-* header values and mailto: URIs: no
 * crash, nothing kept with controls, no CR or LF in a subject. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "listhdr.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	struct listhdr_uris u;
	listhdr_parse_uris(text, &u);
	for (size_t i = 0; i < u.n; i++) {
		for (const char *c = u.v[i]; *c; c++)
			if ((unsigned char)*c <= ' ')
				abort();
		struct listhdr_mailto m;
		char *err = NULL;
		listhdr_mailto_parse(u.v[i], &m, &err);
		if (strpbrk(m.subject, "\r\n") || strchr(m.body, '\r'))
			abort();
		listhdr_mailto_clear(&m);
		free(err);
	}
	const char *url;
	listhdr_one_click_ok(text, &u, &url);
	listhdr_uris_clear(&u);
	char *id, *name;
	if (listhdr_list_id(text, &id, &name)) {
		if (strpbrk(name, "\r\n") || strpbrk(id, " \r\n"))
			abort();
		free(id);
		free(name);
	}
	struct listhdr_mailto m;
	char *err = NULL;
	listhdr_mailto_parse(text, &m, &err);
	listhdr_mailto_clear(&m);
	free(err);
	free(text);
	return 0;
}
