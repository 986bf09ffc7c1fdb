/* fuzz_calendar.c - a hostile text/calendar part through libical and our
 * summary and REPLY: no crash, no control character in the summary
 * except its line breaks. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "calendar.h"
#include "util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *err = NULL;
	calendar_t *c = calendar_parse((const char *)data, size, &err);
	free(err);
	if (!c)
		return 0;
	char *s = calendar_summary(c);
	for (const char *p = s; *p; p++)
		if (((unsigned char)*p < ' ' && *p != '\n') || *p == 127)
			abort();
	free(s);
	struct addr_list me;
	addr_list_init(&me);
	addr_list_add(&me, NULL, "bob@example.org");
	struct calendar_reply r;
	if (calendar_reply(c, &me, CALENDAR_TENTATIVE, &r, &err))
		calendar_reply_clear(&r);
	free(err);
	addr_list_clear(&me);
	calendar_free(&c);
	return 0;
}
