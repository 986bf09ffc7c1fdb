/* fuzz_watch.c - untagged lines a server sends during IDLE (watch.h). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "watch.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* not NUL-terminated: the parser must keep within size */
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	char *folder = NULL;
	enum watch_news k = watch_parse_line(copy, size, &folder);
	if ((k == WATCH_FOLDER) != (folder != NULL))
		abort();
	free(folder);
	free(copy);
	bool lim;
	char *s = strndup((const char *)data, size);
	if (s)
		(void)watch_refusal_limit(s, &lim);
	free(s);
	return 0;
}
