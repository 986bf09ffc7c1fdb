/* fuzz_alias.c - alias lines from a hostile alias_file: define, expand
 * every key (loops and deep chains stay bounded), complete, and what
 * create-alias writes for an expansion reads back to the same list. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "alias.h"
#include "util.h"

static void roundtrip(const struct addr_list *l)
{
	if (l->n == 0)
		return;
	char *line = alias_format_line("k", l);
	alias_table_t *t = alias_table_new();
	char *err = NULL;
	/* "alias " and the newline off */
	line[strlen(line) - 1] = '\0';
	if (!alias_define(t, line + 6, &err))
		abort();
	struct addr_list back;
	addr_list_init(&back);
	if (!alias_expand(t, "k", &back, &err) || back.n != l->n)
		abort();
	for (size_t i = 0; i < l->n; i++)
		if (strcmp(back.v[i].mailbox, l->v[i].mailbox) || strcmp(back.v[i].name, l->v[i].name))
			abort();
	addr_list_clear(&back);
	alias_table_free(&t);
	free(line);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	alias_table_t *t = alias_table_new();
	for (char *line = text, *nl; line; line = nl ? nl + 1 : NULL) {
		nl = strchr(line, '\n');
		if (nl)
			*nl = '\0';
		char *err = NULL;
		if (strncmp(line, "un ", 3) == 0)
			alias_undefine(t, line + 3);
		else
			alias_define(t, line, &err);
		free(err);
	}
	for (size_t i = 0; i < alias_count(t); i++) {
		struct addr_list l;
		addr_list_init(&l);
		char *err = NULL;
		alias_expand(t, alias_at(t, i)->key, &l, &err);
		free(err);
		roundtrip(&l);
		addr_list_clear(&l);
	}
	const struct alias *out[4];
	char *common = NULL;
	alias_complete(t, size ? (char[]){ (char)data[0], 0 } : "", out, 4, &common);
	free(common);
	alias_table_free(&t);
	free(text);
	return 0;
}
