/* fuzz_hooks.c - any text as a hook pattern of each kind: compiled or
 * refused with a message, never a crash; a compiled one is evaluated
 * against a message (depth-capped, no unbounded recursion). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hooks.h"
#include "util.h"

static bool any_query(void *ud, const char *q)
{
	(void)ud;
	return strlen(q) % 2;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 4096)
		return 0;
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	hooks_t *h = hooks_new();
	static const enum hook_type types[] = { HOOK_FOLDER, HOOK_SEND, HOOK_REPLY, HOOK_MESSAGE, HOOK_ACCOUNT };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		char *err = NULL;
		if (!hooks_add(h, types[i], text, "set x", &err) && (!err || !*err))
			abort();
		free(err);
	}
	struct addr_list from, to;
	addr_list_init(&from);
	addr_list_init(&to);
	addr_list_add(&from, "Alice", "alice@example.org");
	addr_list_add(&to, "List", "dev@lists.example.org");
	static const char *const lists[] = { "dev@", NULL };
	struct hook_msg m = { &from, &to, NULL, "Re: hello", lists };
	struct hook_ctx ctx = { .name = "INBOX", .msg = &m, .query_match = any_query };
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		size_t n;
		free(hooks_collect(h, types[i], &ctx, &n));
	}
	addr_list_clear(&from);
	addr_list_clear(&to);
	hooks_free(&h);
	free(text);
	return 0;
}
