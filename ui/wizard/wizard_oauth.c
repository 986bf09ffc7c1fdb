/* wizard_oauth.c - the OAuth2 authorization inside the curses form, before
 * the account is written (doc/oauth2.md "Driving a first login").
 *
 * The context is made from the global oauth_* options with the provider
 * and client the user chose; the flow runs on the busy screen's worker
 * thread while the form shows where to go and the code to type (device
 * grant), or the address to open, with a line to paste the address the
 * browser ended on (authorization code + PKCE on the loopback).  Ctrl-C
 * or Esc stops it.  The refresh token goes to its store as in `setup
 * --oauth`.  Calls wizard_common.c only. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conn.h"
#include "oauth2.h"
#include "text.h"
#include "util.h"
#include "wizard_fe.h"
#include "wizard_private.h"

struct auth_job {
	struct wiz *w;
	oauth2_t *o;
	bool browser;
	pthread_mutex_t mu;     /* guards cancel and pasted */
	bool cancel;
	char *pasted;           /* typed on the busy screen; wiped */
	enum oauth2_status st;
	char *err;
};

/* A server's or our text on the form, sanitized, cut into lines that fit. */
static void say_long(struct wiz *w, const char *indent, const char *text)
{
	char *s = text_sanitize(text, strlen(text), false);
	size_t n = strlen(s), width = 76 - strlen(indent);
	for (size_t i = 0; i < n; i += width)
		wiz_say(w, "%s%.*s", indent, (int)width, s + i);
	free(s);
}

static bool job_cancelled(void *ud)
{
	struct auth_job *a = ud;
	pthread_mutex_lock(&a->mu);
	bool c = a->cancel;
	pthread_mutex_unlock(&a->mu);
	return c;
}

static void job_cancel(void *arg)
{
	struct auth_job *a = arg;
	pthread_mutex_lock(&a->mu);
	a->cancel = true;
	pthread_mutex_unlock(&a->mu);
}

static void job_input(void *arg, const char *line)
{
	struct auth_job *a = arg;
	pthread_mutex_lock(&a->mu);
	util_wipe_free(&a->pasted);
	a->pasted = xstrdup(line);
	pthread_mutex_unlock(&a->mu);
}

static void show_code(const struct oauth2_device_prompt *p, void *ud)
{
	struct auth_job *a = ud;
	wiz_say(a->w, "To allow muttlike to read and send your mail, open");
	say_long(a->w, "    ", p->verification_uri);
	wiz_say(a->w, "and enter the code");
	say_long(a->w, "    ", p->user_code);
	if (p->verification_uri_complete) {
		wiz_say(a->w, "(or open this address, which has the code in it:)");
		say_long(a->w, "    ", p->verification_uri_complete);
	}
	wiz_say(a->w, "The code is good for %ld minutes; waiting for your answer ...", (p->expires_in + 59) / 60);
}

/* The authorization code on the loopback, or the address pasted. */
static enum oauth2_status browser_flow(struct auth_job *a)
{
	oauth2_authcode_t *ac = oauth2_authcode_start(a->o, &a->err);
	if (!ac)
		return OAUTH2_ERR_CONFIG;
	wiz_say(a->w, "To allow muttlike to read and send your mail, open this address in a browser:");
	say_long(a->w, "", oauth2_authcode_url(ac));
	wiz_say(a->w, "A browser on another machine cannot come back here: paste the address it");
	wiz_say(a->w, "ends on (it starts with %s) below and press Enter.", oauth2_authcode_redirect_uri(ac));
	enum oauth2_status st = OAUTH2_PENDING;
	while (st == OAUTH2_PENDING && !job_cancelled(a)) {
		pthread_mutex_lock(&a->mu);
		char *url = a->pasted;
		a->pasted = NULL;
		pthread_mutex_unlock(&a->mu);
		if (url) {
			char *u = url + strspn(url, " \t");
			u[strcspn(u, " \t\r\n")] = '\0';
			st = oauth2_authcode_paste(a->o, ac, u, &a->err);
			util_wipe_free(&url);
		} else {
			st = oauth2_authcode_accept(a->o, ac, 200, &a->err);
		}
	}
	oauth2_authcode_free(&ac);
	return st;
}

static void auth_run(void *arg)
{
	struct auth_job *a = arg;
	if (a->browser) {
		a->st = browser_flow(a);
	} else {
		struct oauth2_ui ui = { .device_prompt = show_code, .cancelled = job_cancelled, .ud = a };
		a->st = oauth2_device_flow(a->o, &ui, &a->err);
	}
}

static void take(char **dst, const char *v)
{
	if (v && *v) {
		free(*dst);
		*dst = xstrdup(v);
	}
}

/* The settings the account will have: the global oauth_* options, the
 * provider and the client chosen here. */
static oauth2_t *make_ctx(struct wiz *w, const char *user, char **err)
{
	struct conn_params p = { 0 };
	conn_oauth_options(w->c, -1, &p.oauth);
	take(&p.oauth.provider, w->oauth_provider);
	take(&p.oauth.client_id, w->client_id);
	take(&p.oauth.client_secret, w->client_secret);
	if (!p.oauth.data_dir)
		p.oauth.data_dir = conf_data_dir(w->c);
	p.label = xstrdup(w->account);
	p.user = xstrdup(user);
	char *ca = conf_path(w->c, -1, OPT_ID_tls_ca_file);
	if (w->a.ca_file)
		take(&p.ca_file, w->a.ca_file);
	else if (ca && *ca)
		take(&p.ca_file, ca);
	free(ca);
	p.timeout_s = (int)conf_num(w->c, -1, OPT_ID_timeout);
	oauth2_t *o = conn_oauth_new(&p, err);
	conn_params_clear(&p);
	return o;
}

enum wiz_auth wiz_authorize(struct wiz *w, const char *user, char **err)
{
	*err = NULL;
	oauth2_t *o = make_ctx(w, user, err);
	if (!o)
		return WIZ_AUTH_FAILED;
	struct auth_job a = { .w = w, .o = o, .st = OAUTH2_ERR_CANCELLED };
	a.browser = strcmp(w->oauth_way, "browser") == 0;
	pthread_mutex_init(&a.mu, NULL);
	struct wiz_job job = { .run = auth_run, .cancel = job_cancel, .arg = &a };
	if (a.browser) {
		job.input_label = "Address";
		job.input = job_input;
	}
	char *title = xasprintf("Authorizing %s at %s ...", w->email, w->oauth_provider ? w->oauth_provider : w->imap.host);
	if (w->fe->clear_notes) /* the screen is the authorization's alone */
		w->fe->clear_notes(w->fe);
	bool ran = w->fe->busy(w->fe, title, &job);
	free(title);
	util_wipe_free(&a.pasted);
	pthread_mutex_destroy(&a.mu);
	enum wiz_auth r = WIZ_AUTH_OK;
	if (!ran || a.st == OAUTH2_ERR_CANCELLED) {
		r = WIZ_AUTH_CANCELLED;
	} else if (a.st != OAUTH2_OK) {
		*err = xasprintf("authorization failed: %s", a.err ? a.err : "no answer");
		r = WIZ_AUTH_FAILED;
	} else {
		const char *file = oauth2_store_file(o);
		free(w->token_file);
		w->token_file = file ? xstrdup(file) : NULL;
		wiz_say(w, "  authorized; the refresh token is in %s", file ? file : "the oauth_store_cmd store");
	}
	free(a.err);
	oauth2_free(&o);
	return r;
}

bool wiz_device_default(const struct wiz *w)
{
	const struct oauth2_provider *p = w->oauth_provider ? oauth2_provider_find(w->oauth_provider) : NULL;
	const char *dev = conf_str(w->c, -1, OPT_ID_oauth_device_url);
	if (dev && *dev)
		return true;
	return p && p->device_url && !p->prefer_browser;
}
