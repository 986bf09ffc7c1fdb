/* cmd_oauth.c - `muttlike setup --oauth ACCOUNT` and `--reauth ACCOUNT`:
 * the first OAuth2 authorization of an account from its oauth_* options
 * (doc/oauth2.md), headless.
 *
 * The device grant when the provider prefers it (prints the address and
 * the code, then waits); else the authorization code with PKCE: prints
 * the address to open and takes either the browser's redirect on the
 * loopback or the address the browser ended on, pasted on stdin (a
 * browser on another machine).  ^C stops the wait. */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "conn.h"
#include "oauth2.h"
#include "text.h"
#include "util.h"

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

static bool is_interrupted(void *ud)
{
	(void)ud;
	return interrupted;
}

static void show_code(const struct oauth2_device_prompt *p, void *ud)
{
	(void)ud;
	printf("To allow muttlike to read and send your mail, open\n\n  %s\n\nand enter the code\n\n  %s\n\n",
	       p->verification_uri, p->user_code);
	if (p->verification_uri_complete)
		printf("(or open %s, which has the code in it)\n", p->verification_uri_complete);
	printf("Waiting for your answer (the code is good for %ld minutes; ^C stops)...\n", (p->expires_in + 59) / 60);
	fflush(stdout);
}

/* One line typed on stdin, without its newline, or NULL when none is
 * complete yet; *eof when stdin is closed. */
struct line_in {
	char buf[8192];
	size_t len;
	bool eof;
};

static char *line_read(struct line_in *in)
{
	ssize_t n = read(STDIN_FILENO, in->buf + in->len, sizeof(in->buf) - 1 - in->len);
	if (n <= 0) {
		if (n == 0 || (errno != EINTR && errno != EAGAIN))
			in->eof = true;
		return NULL;
	}
	in->len += (size_t)n;
	char *nl = memchr(in->buf, '\n', in->len);
	if (!nl && in->len < sizeof(in->buf) - 1)
		return NULL;
	size_t l = nl ? (size_t)(nl - in->buf) : in->len;
	char *line = xstrndup(in->buf, l);
	size_t rest = nl ? in->len - l - 1 : 0;
	memmove(in->buf, in->buf + in->len - rest, rest);
	explicit_bzero(in->buf + rest, sizeof(in->buf) - rest);
	in->len = rest;
	return line;
}

static enum oauth2_status browser_flow(oauth2_t *o, char **err)
{
	oauth2_authcode_t *ac = oauth2_authcode_start(o, err);
	if (!ac)
		return OAUTH2_ERR_CONFIG;
	const char *redirect = oauth2_authcode_redirect_uri(ac);
	printf("To allow muttlike to read and send your mail, open this address in a browser:\n\n  %s\n\n"
	       "Waiting for the browser to come back to %s ...\n"
	       "If the browser runs on another machine, it cannot reach this one: paste the address it\n"
	       "ends on (it starts with %s) here and press Enter.  ^C stops.\n",
	       oauth2_authcode_url(ac), redirect, redirect);
	fflush(stdout);
	struct line_in in = { .len = 0 };
	enum oauth2_status st = OAUTH2_PENDING;
	while (st == OAUTH2_PENDING && !interrupted) {
		struct pollfd pf[2] = { { .fd = oauth2_authcode_fd(ac), .events = POLLIN },
					{ .fd = in.eof ? -1 : STDIN_FILENO, .events = POLLIN } };
		if (poll(pf, 2, 250) <= 0)
			continue;
		if (pf[0].revents & POLLIN) {
			st = oauth2_authcode_accept(o, ac, 0, err);
		} else if (pf[1].revents & (POLLIN | POLLHUP)) {
			char *line = line_read(&in);
			char *url = line;
			while (url && (*url == ' ' || *url == '\t'))
				url++;
			for (size_t l = url ? strlen(url) : 0; l && strchr(" \t\r", url[l - 1]); l--)
				url[l - 1] = '\0';
			if (url && *url)
				st = oauth2_authcode_paste(o, ac, url, err);
			if (line)
				util_wipe_free(&line);
		}
	}
	explicit_bzero(&in, sizeof(in));
	oauth2_authcode_free(&ac);
	if (st == OAUTH2_PENDING) {
		*err = xstrdup("interrupted");
		st = OAUTH2_ERR_CANCELLED;
	}
	return st;
}

int cmd_setup_oauth(conf_t *c, const char *account, bool reauth)
{
	long a = conf_account_find(c, account);
	if (a < 0) {
		text_print(stderr, "muttlike: setup: no account named '%s' in the config", account);
		return 2;
	}
	struct conn_params p;
	char *err = NULL;
	oauth2_t *o = NULL;
	if (!conn_from_conf(c, a, CONN_IMAP, &p, &err)) {
		text_print(stderr, "muttlike: setup: %s: %s", account, err);
		free(err);
		return 2;
	}
	if (!conn_oauth_on(&p)) {
		text_print(stderr,
			   "muttlike: setup: account %s has no OAuth2 settings: set oauth_provider (google or microsoft) "
			   "or oauth_token_url, and oauth_client_id%s",
			   account, p.oauth_cmd ? " (and remove imap_oauth_cmd)" : "");
		conn_params_clear(&p);
		return 2;
	}
	o = conn_oauth_ctx(&p, &err);
	conn_params_clear(&p);
	if (!o) {
		text_print(stderr, "muttlike: setup: %s", err);
		free(err);
		return 2;
	}
	struct sigaction sa = { .sa_handler = on_interrupt }, old_int, old_term;
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	enum oauth2_status st;
	if (oauth2_device_preferred(o)) {
		struct oauth2_ui ui = { .device_prompt = show_code, .cancelled = is_interrupted };
		st = oauth2_device_flow(o, &ui, &err);
	} else {
		st = browser_flow(o, &err);
	}
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	int rc = 0;
	if (st == OAUTH2_OK) {
		const char *file = oauth2_store_file(o);
		printf("%s: %s; the refresh token is in %s\n", account, reauth ? "authorized again" : "authorized",
		       file ? file : "the oauth_store_cmd store");
	} else {
		text_print(stderr, "muttlike: setup: %s: %s", account, err ? err : "OAuth2 authorization failed");
		rc = st == OAUTH2_ERR_CONFIG ? 2 : 1;
	}
	free(err);
	conn_oauth_forget_all();
	return rc;
}
