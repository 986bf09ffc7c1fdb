/* account_oauth.c - authorizing an account's OAuth2 again without leaving
 * the reader (account.h): the answer to the question account_ask.c asks
 * after a login that found the grant revoked or expired, and the device
 * grant on a thread of the manager with the account's shared context, so
 * the workers' next login gets the new token.  The UI shows the address
 * and the code from the state. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "account_int.h"
#include "conn.h"
#include "log.h"
#include "oauth2.h"
#include "util.h"

static bool re_cancelled(void *ud)
{
	account_mgr_t *m = ud;
	pthread_mutex_lock(&m->mu);
	bool c = m->re_cancel || m->stop;
	pthread_mutex_unlock(&m->mu);
	return c;
}

static void re_prompt(const struct oauth2_device_prompt *p, void *ud)
{
	account_mgr_t *m = ud;
	pthread_mutex_lock(&m->mu);
	xfree(&m->re.uri);
	xfree(&m->re.uri_complete);
	xfree(&m->re.code);
	m->re.uri = xstrdup(p->verification_uri);
	m->re.uri_complete = p->verification_uri_complete ? xstrdup(p->verification_uri_complete) : NULL;
	m->re.code = xstrdup(p->user_code);
	m->re.expires_in = p->expires_in;
	pthread_mutex_unlock(&m->mu);
	account_notify(m);
}

static void *re_main(void *arg)
{
	account_mgr_t *m = arg;
	char *err = NULL;
	struct oauth2_ui ui = { .device_prompt = re_prompt, .cancelled = re_cancelled, .ud = m };
	enum oauth2_status st = oauth2_device_flow(m->re_ctx, &ui, &err);
	pthread_mutex_lock(&m->mu);
	struct worker *w = &m->w[m->re.account];
	const char *acc = conf_account_name(m->conf, (size_t)w->idx);
	m->re.done = true;
	m->re.ok = st == OAUTH2_OK;
	if (m->re.ok) {
		w->st.auth_refused = false;
		w->st.why[0] = '\0';
		account_due_now(m, w);
		account_set_news(m, xasprintf("%s: authorized again; syncing...", acc));
		log_info("%s: authorized again", acc);
	} else {
		m->re.err = err ? err : xstrdup(st == OAUTH2_ERR_CANCELLED ? "stopped" : "not authorized");
		err = NULL;
	}
	free(err);
	pthread_mutex_unlock(&m->mu);
	account_notify(m);
	return NULL;
}

bool account_mgr_answer_oauth(account_mgr_t *m, unsigned long id, bool yes, char **err)
{
	*err = NULL;
	pthread_mutex_lock(&m->mu);
	struct question *q = account_q_take(m, id, ACCOUNT_ASK_OAUTH);
	long a = q ? q->q.account : -1;
	bool busy = m->re.running;
	pthread_mutex_unlock(&m->mu);
	account_q_free(q);
	if (a < 0 || !yes)
		return a >= 0;
	if (busy) {
		*err = xstrdup("another account is being authorized; try again afterwards ($)");
		return false;
	}
	/* the conf is read on this (the UI's) thread, as everywhere */
	struct conn_params p;
	if (!conn_from_conf(m->conf, a, CONN_IMAP, &p, err))
		return false;
	struct oauth2 *ctx = conn_oauth_on(&p) ? conn_oauth_ctx(&p, err) : NULL;
	if (!ctx && !*err)
		*err = xstrdup("the account has no OAuth2 settings");
	conn_params_clear(&p);
	if (ctx && !oauth2_device_preferred(ctx)) {
		*err = xasprintf("this provider signs in with a browser: run muttlike setup --reauth %s",
				 conf_account_name(m->conf, (size_t)a));
		ctx = NULL;
	}
	if (!ctx)
		return false;
	pthread_mutex_lock(&m->mu);
	m->re = (struct account_reauth){ .running = true, .account = a };
	m->re_cancel = false;
	m->re_ctx = ctx;
	if (pthread_create(&m->re_th, NULL, re_main, m) != 0)
		util_oom();
	pthread_mutex_unlock(&m->mu);
	return true;
}

void account_mgr_reauth_state(account_mgr_t *m, struct account_reauth *out)
{
	pthread_mutex_lock(&m->mu);
	*out = m->re;
	out->uri = xstrdup_null(m->re.uri);
	out->uri_complete = xstrdup_null(m->re.uri_complete);
	out->code = xstrdup_null(m->re.code);
	out->err = xstrdup_null(m->re.err);
	pthread_mutex_unlock(&m->mu);
}

void account_reauth_clear(struct account_reauth *r)
{
	xfree(&r->uri);
	xfree(&r->uri_complete);
	xfree(&r->code);
	xfree(&r->err);
}

void account_mgr_reauth_cancel(account_mgr_t *m)
{
	pthread_mutex_lock(&m->mu);
	m->re_cancel = true;
	pthread_mutex_unlock(&m->mu);
}

void account_mgr_reauth_end(account_mgr_t *m)
{
	pthread_mutex_lock(&m->mu);
	bool running = m->re.running;
	m->re_cancel = true;
	pthread_mutex_unlock(&m->mu);
	if (!running)
		return;
	pthread_join(m->re_th, NULL);
	pthread_mutex_lock(&m->mu);
	account_reauth_clear(&m->re);
	m->re = (struct account_reauth){ .account = -1 };
	m->re_ctx = NULL;
	pthread_mutex_unlock(&m->mu);
}

void account_reauth_stop(account_mgr_t *m)
{
	account_mgr_reauth_end(m);
}
