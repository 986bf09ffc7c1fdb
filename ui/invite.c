/* invite.c - accept, tentative, decline (see invite.h). */
#include "invite.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "calendar.h"
#include "composer/composer.h"
#include "conf.h"
#include "mailview.h"
#include "mime.h"
#include "status.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

struct find {
	const mime_part_t *part;
};

static enum mime_walk_ret find_calendar(const mime_part_t *p, void *ud)
{
	struct find *f = ud;
	if (!f->part && strcasecmp(mime_part_type(p), "text/calendar") == 0)
		f->part = p;
	return MIME_WALK_CONTINUE;
}

/* The current message's invitation, parsed; NULL with the reason shown. */
static calendar_t *invitation(struct ui *u, struct view *v)
{
	char *file = ui_current_message_file(u, v);
	mime_msg_t *m = NULL;
	calendar_t *c = NULL;
	if (file && mime_msg_parse_file(file, &m) != MIME_OK) {
		status_error(u, "Cannot read the message.");
	} else if (file) {
		struct find f = { 0 };
		mime_walk(m, find_calendar, &f);
		char *data = NULL, *err = NULL;
		size_t len = 0;
		if (!f.part)
			status_error(u, "The message holds no invitation (text/calendar).");
		else if (mime_part_decode(f.part, &data, &len) != MIME_OK || !(c = calendar_parse(data, len, &err)))
			status_error(u, "Cannot read the invitation: %s", err ? err : "undecodable");
		free(data);
		free(err);
	}
	mime_msg_free(&m);
	free(file);
	return c;
}

static void answer(struct ui *u, struct view *v, enum calendar_answer a)
{
	calendar_t *c = invitation(u, v);
	if (!c)
		return;
	struct addr_list me;
	addr_list_init(&me);
	char *err = NULL;
	if (!addr_parse(conf_str(u->conf, u->account, OPT_ID_from), &me, &err) || !me.n) {
		status_error(u, "Set from for this account to answer invitations.");
	} else {
		struct calendar_reply r = { 0 };
		if (!calendar_reply(c, &me, a, &r, &err)) {
			status_error(u, "Cannot answer: %s", err ? err : "?");
		} else {
			static const char *const said[] = { "accepted", "tentatively accepted", "declined" };
			char *body = xasprintf("%s has %s this invitation.\n", conf_str(u->conf, u->account, OPT_ID_from),
					       said[a]);
			struct compose_prefill pre = { .to = r.to, .subject = r.subject, .body = body };
			if (compose_send_prepared(u, &pre, "invite.ics", "text/calendar; method=REPLY", r.body,
						  strlen(r.body)))
				status_message(u, "%s: the answer to %s is in the outbox.", r.subject, r.to);
			free(body);
		}
		calendar_reply_clear(&r);
	}
	free(err);
	addr_list_clear(&me);
	calendar_free(&c);
}

void invite_op_accept(struct ui *u, struct view *v) { answer(u, v, CALENDAR_ACCEPTED); }
void invite_op_tentative(struct ui *u, struct view *v) { answer(u, v, CALENDAR_TENTATIVE); }
void invite_op_decline(struct ui *u, struct view *v) { answer(u, v, CALENDAR_DECLINED); }
