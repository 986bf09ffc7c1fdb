/* lists.c - list-unsubscribe, list-subscribe, list-post, list-help (see lists.h).
 *
 * A mailto: link becomes a prepared message on the compose screen (the
 * user still sends it); an RFC 8058 one-click link is POSTed only after
 * a confirmation that shows the exact URL, over verified HTTPS
 * (listhdr_one_click: no http:, no redirects, the account's tls_ca_file
 * on top of the system store). */
#include "lists.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "composer/composer.h"
#include "conf.h"
#include "listhdr.h"
#include "mailview.h"
#include "mime.h"
#include "prompt.h"
#include "status.h"
#include "ui.h"
#include "uistate.h"
#include "util.h"
#include "view.h"

/* The current message, parsed; NULL with the reason shown. */
static mime_msg_t *current(struct ui *u, struct view *v)
{
	char *file = ui_current_message_file(u, v);
	mime_msg_t *m = NULL;
	if (file && mime_msg_parse_file(file, &m) != MIME_OK)
		status_error(u, "Cannot read the message.");
	free(file);
	return m;
}

/* Start a message from a mailto: URI. */
static void mail_to(struct ui *u, const char *uri)
{
	struct listhdr_mailto mt = { 0 };
	char *err = NULL;
	if (!listhdr_mailto_parse(uri, &mt, &err)) {
		status_error(u, "Cannot use %s: %s", uri, err ? err : "?");
	} else {
		char *to = addr_list_format(&mt.to), *cc = mt.cc.n ? addr_list_format(&mt.cc) : NULL;
		compose_mail_prefilled(u, &(struct compose_prefill){ .to = to, .cc = cc, .subject = mt.subject,
								      .body = *mt.body ? mt.body : NULL });
		free(to);
		free(cc);
	}
	listhdr_mailto_clear(&mt);
	free(err);
}

/* The POST runs on a worker (it may take up to listhdr's 30 s); the main
 * loop hears the end on a pipe.  One at a time. */
struct click_job {
	pthread_t th;
	int pipe[2];
	char *url, *ca, *err;
	bool ok;
};
static struct click_job *running;

static void *click_thread(void *arg)
{
	struct click_job *j = arg;
	j->ok = listhdr_one_click(j->url, j->ca, &j->err);
	ssize_t w;
	do
		w = write(j->pipe[1], "x", 1);
	while (w < 0 && errno == EINTR);
	return NULL;
}

static void click_done(struct ui *u, void *data)
{
	struct click_job *j = data;
	pthread_join(j->th, NULL);
	ui_remove_source(u, j);
	if (j->ok)
		status_message(u, "Unsubscribed: the list's server accepted the request.");
	else
		status_error(u, "%s", j->err ? j->err : "one-click unsubscribe failed");
	close(j->pipe[0]);
	close(j->pipe[1]);
	free(j->url);
	free(j->ca);
	free(j->err);
	free(j);
	running = NULL;
}

/* RFC 8058: confirm with the exact URL shown, then POST. */
static void one_click(struct ui *u, const char *url)
{
	if (running) {
		status_error(u, "An unsubscribe request is still under way.");
		return;
	}
	const char *lines[] = { "One-click unsubscribe (RFC 8058) will send", "  POST List-Unsubscribe=One-Click",
				"to", url };
	if (prompt_choice(u, lines, ARRAY_SIZE(lines), "Unsubscribe with one click? (y/n)", "yn", 'n') != 'y')
		return;
	struct click_job *j = xcalloc(1, sizeof(*j));
	char *ca = conf_path(u->conf, u->account, OPT_ID_tls_ca_file);
	j->url = xstrdup(url);
	j->ca = ca && *ca ? ca : NULL;
	if (!j->ca)
		free(ca);
	if (pipe2(j->pipe, O_CLOEXEC) != 0 || pthread_create(&j->th, NULL, click_thread, j) != 0) {
		status_error(u, "Cannot start the request: %s", strerror(errno));
		if (j->pipe[0] > 0) {
			close(j->pipe[0]);
			close(j->pipe[1]);
		}
		free(j->url);
		free(j->ca);
		free(j);
		return;
	}
	running = j;
	ui_add_source(u, &(struct ui_source){ .fd = j->pipe[0], .events = POLLIN, .ready = click_done, .data = j });
	status_message(u, "Unsubscribing (in the background)...");
}

/* header: which List-* header; what: for messages. */
static void follow(struct ui *u, struct view *v, const char *header, const char *what, bool one_click_too)
{
	mime_msg_t *m = current(u, v);
	if (!m)
		return;
	struct listhdr_uris uris = { 0 };
	const char *val = mime_msg_header_named(m, header);
	listhdr_parse_uris(val, &uris);
	const char *url = NULL, *mailto = listhdr_first(&uris, "mailto");
	if (one_click_too && listhdr_one_click_ok(mime_msg_header_named(m, "List-Unsubscribe-Post"), &uris, &url))
		one_click(u, url);
	else if (uris.no)
		status_error(u, "Posting to this list is not allowed (%s: NO).", header);
	else if (mailto)
		mail_to(u, mailto);
	else if (uris.n)
		status_message(u, "%s only by web: %s", what, uris.v[0]);
	else
		status_error(u, "The message has no %s header.", header);
	listhdr_uris_clear(&uris);
	mime_msg_free(&m);
}

void lists_op_unsubscribe(struct ui *u, struct view *v) { follow(u, v, "List-Unsubscribe", "Unsubscribe", true); }
void lists_op_subscribe(struct ui *u, struct view *v) { follow(u, v, "List-Subscribe", "Subscribe", false); }
void lists_op_post(struct ui *u, struct view *v) { follow(u, v, "List-Post", "Post", false); }
void lists_op_help(struct ui *u, struct view *v) { follow(u, v, "List-Help", "Help", false); }
