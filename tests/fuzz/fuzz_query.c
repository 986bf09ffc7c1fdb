/* fuzz_query.c - any output of a query_command: parsed without a crash,
 * results hold valid mailboxes and no control characters; any command
 * string rewrites without a crash and never loses its "$1". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "query.h"
#include "util.h"

static void no_controls(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 127)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct query_results r;
	query_parse((const char *)data, size, &r);
	no_controls(r.status);
	for (size_t i = 0; i < r.n; i++) {
		if (!addr_mailbox_valid(r.v[i].address))
			abort();
		no_controls(r.v[i].name);
		no_controls(r.v[i].other);
	}
	query_results_clear(&r);
	char *cmd = xstrndup((const char *)data, size);
	char *line = query_command_line(cmd);
	if (!strstr(line, "$1"))
		abort();
	free(line);
	free(cmd);
	return 0;
}
