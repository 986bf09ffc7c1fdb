/* syncglue.c - stand-in until the account manager (issue 4) lands: the
 * reader reads the store, and actions say why they cannot be applied. */
#include "syncglue.h"

#include "compose.h"
#include "uiint.h"

void sync_glue_start(struct ui *u)
{
	(void)u;
}

void sync_glue_stop(struct ui *u)
{
	(void)u;
	compose_send_stop(); /* the outbox sender (issue 7) until the account workers take it */
}

int sync_glue_fd(struct ui *u)
{
	(void)u;
	return compose_send_fd();
}

void sync_glue_dispatch(struct ui *u)
{
	compose_send_dispatch(u);
}

void sync_glue_status(struct ui *u, struct strbuf *b)
{
	(void)u;
	(void)b;
}

void sync_glue_sync_now(struct ui *u)
{
	ui_error(u, "Syncing from the reader is not available in this build; run 'muttlike sync'.");
}

bool sync_glue_available(struct ui *u)
{
	(void)u;
	return false;
}

bool sync_glue_apply(struct ui *u, const struct sync_req *req, char **err)
{
	(void)u;
	(void)req;
	*err = xstrdup("changing mail needs the sync engine, which this build does not have yet");
	return false;
}
