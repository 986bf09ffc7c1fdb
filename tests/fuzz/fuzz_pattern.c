/* fuzz_pattern.c - the mutt pattern translator never crashes, always
 * answers with exactly one of a query or a message, passes text without
 * a mutt term through unchanged, and its queries have balanced quotes and
 * parentheses (so nothing the user typed can escape a quoted value). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pattern.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_balanced(const char *q)
{
	int depth = 0;
	bool quoted = false;
	for (const char *c = q; *c; c++) {
		if (*c == '"')
			quoted = !quoted; /* a doubled "" flips twice */
		else if (!quoted && *c == '(')
			depth++;
		else if (!quoted && *c == ')' && --depth < 0)
			abort();
	}
	if (quoted || depth != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *in = xstrndup((const char *)data, size);
	char *err = NULL;
	char *q = pattern_to_notmuch(in, &err);
	if (!q == !err)
		abort();
	if (q && !pattern_is_mutt(in) && strcmp(q, in) != 0)
		abort();
	if (q && pattern_is_mutt(in))
		check_balanced(q);
	free(q);
	free(err);
	free(in);
	return 0;
}
