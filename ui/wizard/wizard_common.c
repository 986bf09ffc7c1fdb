/* wizard_common.c - what every step, page and the last write use: lines
 * said to the user, warnings said once, the failure, untrusted text kept
 * safe for the pages, work run through the front end's busy screen, and
 * the probe of one server.  Calls no other wizard file. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"
#include "text.h"
#include "util.h"
#include "wizard_fe.h"
#include "wizard_private.h"

void wiz_say(struct wiz *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	if (w->fe)
		w->fe->note(w->fe, line);
	else
		printf("%s\n", line);
	fflush(stdout);
	free(line);
}

void wiz_fail(struct wiz *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	free(w->failure);
	w->failure = xvasprintf(fmt, ap);
	va_end(ap);
}

const char *wiz_keep(struct wiz *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *raw = xvasprintf(fmt, ap);
	va_end(ap);
	char *s = text_sanitize(raw, strlen(raw), false);
	free(raw);
	if (strlen(s) > 78 * 2)
		s[78 * 2] = '\0';
	w->kept = xreallocarray(w->kept, w->nkept + 1, sizeof(*w->kept));
	w->kept[w->nkept++] = s;
	return s;
}

void wiz_warn(struct wiz *w, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char *line = xvasprintf(fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < w->nwarn; i++) {
		if (strcmp(w->warnings[i], line) == 0) {
			free(line);
			return;
		}
	}
	wiz_say(w, "warning: %s", line);
	w->warnings = xreallocarray(w->warnings, w->nwarn + 1, sizeof(*w->warnings));
	w->warnings[w->nwarn++] = line;
}

bool wiz_run_job(struct wiz *w, const char *title, void (*fn)(void *), void (*cancel)(void *), void *arg)
{
	if (!w->fe) {
		wiz_say(w, "%s", title);
		fn(arg);
		return true;
	}
	struct wiz_job job = { .run = fn, .cancel = cancel, .arg = arg };
	return w->fe->busy(w->fe, title, &job);
}

struct probe_arg {
	struct wiz *w;
	struct disc_server *s;
	const char *once;
};

static void probe_job(void *arg)
{
	struct probe_arg *a = arg;
	discover_probe(&a->w->o, a->s, a->once);
}

bool wiz_probe(struct wiz *w, struct disc_server *s, const char *once)
{
	char *url = disc_server_url(s, NULL);
	char *title = xasprintf("Checking %s ...", url);
	struct probe_arg a = { w, s, once };
	bool ok = wiz_run_job(w, title, probe_job, NULL, &a);
	if (ok)
		wiz_say(w, "  %s: %s%s%s", url, disc_probe_name(s->probe), s->error ? ": " : "", s->error ? s->error : "");
	free(title);
	free(url);
	return ok;
}
