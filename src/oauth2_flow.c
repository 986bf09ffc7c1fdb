/* oauth2_flow.c - the first authorization: the device grant (RFC 8628) and
 * the authorization code with PKCE on a loopback redirect (RFC 7636, 8252). */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "log.h"
#include "oauth2_private.h"
#include "text.h"
#include "util.h"

/* POST a form to the token endpoint; on success keep the tokens (saving the
 * refresh token under the lock).  what names the step in errors. */
static enum oauth2_status token_request(oauth2_t *ctx, struct strbuf *form, const char *what, long *http,
					struct oauth2_json *j, char **err)
{
	oauth2_form_client(ctx, form);
	enum oauth2_status st = oauth2_http_post(ctx, ctx->token_url, form->s, http, j, err);
	oauth2_form_free(form);
	if (st != OAUTH2_OK)
		return st;
	if (*http != 200 || oauth2_json_str(j, "error"))
		return oauth2_error_map(ctx, what, *http, j, err);
	if (!oauth2_json_str(j, "refresh_token")) {
		*err = xasprintf("account %s: %s: the server sent no refresh token (offline access not granted); check "
				 "oauth_scope (Microsoft needs offline_access)",
				 ctx->account, what);
		return OAUTH2_ERR_CONFIG;
	}
	pthread_mutex_lock(&ctx->mu);
	st = oauth2_lock(ctx, err);
	if (st == OAUTH2_OK)
		st = oauth2_take_tokens(ctx, j, err);
	oauth2_unlock(ctx);
	pthread_mutex_unlock(&ctx->mu);
	if (st == OAUTH2_OK)
		log_info("account %s: OAuth2 authorization stored", ctx->account);
	return st;
}

/* ---- device grant ---- */

struct device {
	char *device_code; /* owned, wiped */
	char *uri, *uri_complete, *user_code; /* owned, sanitized */
	long expires_in, interval;
};

static char *clean(const char *s)
{
	return s ? text_sanitize(s, strnlen(s, 2048), false) : NULL;
}

static enum oauth2_status device_start(oauth2_t *ctx, struct device *d, char **err)
{
	struct strbuf form;
	strbuf_init(&form);
	if (ctx->scope)
		oauth2_form_add(&form, "scope", ctx->scope);
	oauth2_form_client(ctx, &form);
	struct oauth2_json j;
	long http;
	enum oauth2_status st = oauth2_http_post(ctx, ctx->device_url, form.s, &http, &j, err);
	oauth2_form_free(&form);
	if (st != OAUTH2_OK)
		return st;
	const char *dc = oauth2_json_str(&j, "device_code"), *uc = oauth2_json_str(&j, "user_code");
	/* Google calls it verification_url */
	const char *uri = oauth2_json_str(&j, "verification_uri");
	if (!uri)
		uri = oauth2_json_str(&j, "verification_url");
	if (http != 200 || oauth2_json_str(&j, "error")) {
		st = oauth2_error_map(ctx, "starting the device login", http, &j, err);
	} else if (!dc || !uc || !uri) {
		*err = xasprintf("account %s: the device endpoint's answer lacks device_code, user_code or "
				 "verification_uri",
				 ctx->account);
		st = OAUTH2_ERR_PROTOCOL;
	} else {
		d->device_code = xstrdup(dc);
		d->user_code = clean(uc);
		d->uri = clean(uri);
		d->uri_complete = clean(oauth2_json_str(&j, "verification_uri_complete"));
		if (!oauth2_json_long(&j, "expires_in", &d->expires_in) || d->expires_in <= 0)
			d->expires_in = 1800;
		if (!oauth2_json_long(&j, "interval", &d->interval) || d->interval <= 0)
			d->interval = 5; /* RFC 8628 3.2 */
	}
	oauth2_json_free(&j);
	return st;
}

static void device_free(struct device *d)
{
	util_wipe_free(&d->device_code);
	xfree(&d->uri);
	xfree(&d->uri_complete);
	xfree(&d->user_code);
}

/* Poll until the user has answered; RFC 8628 3.5. */
static enum oauth2_status device_poll(oauth2_t *ctx, struct device *d, const struct oauth2_ui *ui, char **err)
{
	long long deadline = util_now_ms() + d->expires_in * ctx->unit_ms;
	long interval = d->interval;
	for (;;) {
		if (util_now_ms() + interval * ctx->unit_ms > deadline) {
			*err = xasprintf("account %s: the device code expired before it was entered; run the setup again",
					 ctx->account);
			return OAUTH2_ERR_EXPIRED;
		}
		if (!oauth2_wait(ui, interval * ctx->unit_ms)) {
			*err = xasprintf("account %s: the device login was cancelled", ctx->account);
			return OAUTH2_ERR_CANCELLED;
		}
		struct strbuf form;
		strbuf_init(&form);
		oauth2_form_add(&form, "grant_type", "urn:ietf:params:oauth:grant-type:device_code");
		oauth2_form_add(&form, "device_code", d->device_code);
		struct oauth2_json j;
		long http;
		enum oauth2_status st = token_request(ctx, &form, "device login", &http, &j, err);
		const char *code = oauth2_json_str(&j, "error");
		bool pending = code && strcmp(code, "authorization_pending") == 0;
		bool slow = code && strcmp(code, "slow_down") == 0;
		oauth2_json_free(&j);
		if (!pending && !slow)
			return st;
		xfree(err);
		if (slow)
			interval += 5;
		log_debug("account %s: device login %s, next poll in %ld s", ctx->account, slow ? "slow_down" : "pending",
			  interval);
	}
}

bool oauth2_device_preferred(const oauth2_t *ctx)
{
	return ctx->device_url && !ctx->prefer_browser;
}

enum oauth2_status oauth2_device_flow(oauth2_t *ctx, const struct oauth2_ui *ui, char **err)
{
	*err = NULL;
	if (!ctx->device_url) {
		*err = xasprintf("account %s: this provider has no device login (set oauth_device_url, or use the "
				 "browser login)",
				 ctx->account);
		return OAUTH2_ERR_CONFIG;
	}
	struct device d = { 0 };
	enum oauth2_status st = device_start(ctx, &d, err);
	if (st == OAUTH2_OK) {
		struct oauth2_device_prompt p = { .verification_uri = d.uri,
						  .verification_uri_complete = d.uri_complete,
						  .user_code = d.user_code,
						  .expires_in = d.expires_in };
		if (ui && ui->device_prompt)
			ui->device_prompt(&p, ui->ud);
		st = device_poll(ctx, &d, ui, err);
	}
	device_free(&d);
	return st;
}

/* ---- authorization code + PKCE, loopback redirect ---- */

struct oauth2_authcode {
	int fd;
	char *url, *redirect, *state; /* owned */
	char *verifier;               /* owned, wiped */
	bool done;                    /* a code was exchanged: later redirects are refused */
};

static int listen_loopback(int *port)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(fd, 8) != 0 ||
	    getsockname(fd, (struct sockaddr *)&sa, &sl) != 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	*port = ntohs(sa.sin_port);
	return fd;
}

static char *auth_url(const oauth2_t *ctx, const oauth2_authcode_t *ac)
{
	char *challenge = oauth2_pkce_challenge(ac->verifier);
	struct strbuf q;
	strbuf_init(&q);
	oauth2_form_add(&q, "response_type", "code");
	oauth2_form_add(&q, "client_id", ctx->client_id);
	oauth2_form_add(&q, "redirect_uri", ac->redirect);
	if (ctx->scope)
		oauth2_form_add(&q, "scope", ctx->scope);
	oauth2_form_add(&q, "state", ac->state);
	oauth2_form_add(&q, "code_challenge", challenge);
	oauth2_form_add(&q, "code_challenge_method", "S256");
	if (ctx->login_hint)
		oauth2_form_add(&q, "login_hint", ctx->login_hint);
	/* Google sends a refresh token only when asked for offline access */
	if (strstr(ctx->auth_url, "://accounts.google.com/")) {
		oauth2_form_add(&q, "access_type", "offline");
		oauth2_form_add(&q, "prompt", "consent");
	}
	char *url = xasprintf("%s%c%s", ctx->auth_url, strchr(ctx->auth_url, '?') ? '&' : '?', q.s);
	strbuf_free(&q);
	free(challenge);
	return url;
}

oauth2_authcode_t *oauth2_authcode_start(oauth2_t *ctx, char **err)
{
	*err = NULL;
	if (!ctx->auth_url || !oauth2_url_ok(ctx->auth_url)) {
		*err = xasprintf("account %s: no https:// OAuth2 authorization endpoint: set oauth_provider or "
				 "oauth_auth_url",
				 ctx->account);
		return NULL;
	}
	int port;
	int fd = listen_loopback(&port);
	if (fd < 0) {
		*err = xasprintf("account %s: cannot listen on 127.0.0.1 for the browser: %s", ctx->account,
				 strerror(errno));
		return NULL;
	}
	oauth2_authcode_t *ac = xcalloc(1, sizeof(*ac));
	ac->fd = fd;
	ac->redirect = xasprintf("http://127.0.0.1:%d/", port);
	char st[33];
	util_random_hex(st, 16);
	ac->state = xstrdup(st);
	ac->verifier = oauth2_pkce_verifier();
	ac->url = auth_url(ctx, ac);
	return ac;
}

const char *oauth2_authcode_url(const oauth2_authcode_t *ac)
{
	return ac->url;
}

const char *oauth2_authcode_redirect_uri(const oauth2_authcode_t *ac)
{
	return ac->redirect;
}

int oauth2_authcode_fd(const oauth2_authcode_t *ac)
{
	return ac->fd;
}

void oauth2_authcode_free(oauth2_authcode_t **pac)
{
	oauth2_authcode_t *ac = *pac;
	if (!ac)
		return;
	if (ac->fd >= 0)
		close(ac->fd);
	free(ac->url);
	free(ac->redirect);
	free(ac->state);
	util_wipe_free(&ac->verifier);
	free(ac);
	*pac = NULL;
}

/* An error=... redirect as the token endpoint's error answers are mapped. */
static enum oauth2_status redirect_error(const oauth2_t *ctx, char *code, char *desc, char **err)
{
	struct oauth2_json_field f[2] = { { .key = (char *)"error", .val = code, .kind = OJ_STRING },
					  { .key = (char *)"error_description", .val = desc, .kind = OJ_STRING } };
	struct oauth2_json j = { .f = f, .n = desc ? 2 : 1 };
	return oauth2_error_map(ctx, "browser login", 400, &j, err);
}

/* The redirect's query: state checked, then the code exchanged. */
static enum oauth2_status take_redirect(oauth2_t *ctx, oauth2_authcode_t *ac, const char *url, char **err)
{
	char *state = oauth2_query_param(url, "state"), *code = oauth2_query_param(url, "code");
	char *error = oauth2_query_param(url, "error"), *desc = oauth2_query_param(url, "error_description");
	enum oauth2_status st;
	if (!state && !code && !error) {
		*err = xasprintf("account %s: that is not the URL the browser was sent back to (it has no code or "
				 "state); copy the whole address from the browser",
				 ctx->account);
		st = OAUTH2_PENDING;
	} else if (!state || strcmp(state, ac->state) != 0 || ac->done) {
		*err = xasprintf("account %s: the browser's answer is not for this login (state mismatch); refused, "
				 "start the login again",
				 ctx->account);
		st = OAUTH2_ERR_STATE;
	} else if (error || !code) {
		st = redirect_error(ctx, error ? error : (char *)"no code", desc, err);
	} else {
		struct strbuf form;
		strbuf_init(&form);
		oauth2_form_add(&form, "grant_type", "authorization_code");
		oauth2_form_add(&form, "code", code);
		oauth2_form_add(&form, "redirect_uri", ac->redirect);
		oauth2_form_add(&form, "code_verifier", ac->verifier);
		struct oauth2_json j;
		long http;
		st = token_request(ctx, &form, "browser login", &http, &j, err);
		oauth2_json_free(&j);
		ac->done = st == OAUTH2_OK;
	}
	free(state);
	util_wipe_free(&code);
	free(error);
	free(desc);
	return st;
}

enum oauth2_status oauth2_authcode_paste(oauth2_t *ctx, oauth2_authcode_t *ac, const char *url, char **err)
{
	*err = NULL;
	/* a pasted line may carry blanks around it */
	while (*url == ' ' || *url == '\t')
		url++;
	char *u = xstrndup(url, strcspn(url, " \t\r\n"));
	enum oauth2_status st = take_redirect(ctx, ac, u, err);
	util_wipe_free(&u);
	return st == OAUTH2_PENDING ? OAUTH2_ERR_PROTOCOL : st;
}

/* Read the request head (up to 8 KiB, 5 s) and return its target. */
static char *read_target(int fd)
{
	struct timeval tv = { 5, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	char buf[8192];
	size_t len = 0;
	while (len < sizeof(buf) - 1 && !memmem(buf, len, "\r\n", 2)) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - 1 - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	buf[len] = '\0';
	char *target = NULL;
	if (strncmp(buf, "GET /", 5) == 0)
		target = xstrndup(buf + 4, strcspn(buf + 4, " \r\n"));
	explicit_bzero(buf, sizeof(buf));
	return target;
}

static void reply(int fd, int code, const char *text)
{
	char *r = xasprintf("HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nConnection: close\r\n"
			    "Cache-Control: no-store\r\nContent-Length: %zu\r\n\r\n%s",
			    code, code == 200 ? "OK" : code == 404 ? "Not Found" : "Bad Request", strlen(text), text);
	size_t off = 0, len = strlen(r);
	while (off < len) {
		ssize_t n = send(fd, r + off, len - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	free(r);
}

enum oauth2_status oauth2_authcode_accept(oauth2_t *ctx, oauth2_authcode_t *ac, int timeout_ms, char **err)
{
	*err = NULL;
	struct pollfd p = { .fd = ac->fd, .events = POLLIN };
	int r;
	while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR)
		;
	if (r <= 0)
		return OAUTH2_PENDING;
	int c = accept4(ac->fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return OAUTH2_PENDING;
	char *target = read_target(c);
	enum oauth2_status st = OAUTH2_PENDING;
	if (target) {
		char *url = xasprintf("%s%s", ac->redirect, target + 1);
		st = take_redirect(ctx, ac, url, err);
		util_wipe_free(&url);
		util_wipe_free(&target);
	}
	if (st == OAUTH2_OK)
		reply(c, 200, "muttlike: signed in. You can close this tab.\n");
	else if (st == OAUTH2_PENDING)
		reply(c, 404, "muttlike: this is not the login redirect.\n");
	else
		reply(c, 400, "muttlike: the login failed; see the terminal.\n");
	close(c);
	if (st == OAUTH2_PENDING)
		xfree(err);
	return st;
}
