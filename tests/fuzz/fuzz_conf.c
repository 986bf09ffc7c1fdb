/* fuzz_conf.c - the rc parser must survive any bytes: no crash, no leak,
 * no hang, and every error line must name file:line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"
#include "log.h"
#include "util.h"

static void quiet(enum log_level level, const char *line, void *ud)
{
	(void)level;
	(void)line;
	(void)ud;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	log_set_sink(quiet, NULL);
	char *text = xmalloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	conf_t *c = conf_new();
	conf_load_string(c, "fuzz.rc", text); /* stops at an embedded NUL, as a C string does */
	for (size_t i = 0; i < conf_error_count(c); i++)
		if (strncmp(conf_error(c, i), "fuzz.rc:", 8) != 0)
			abort();
	conf_command(c, 0, text);
	conf_free(&c);
	free(text);
	return 0;
}
