/* test_oauth2_flow.c - the OAuth2 core against a scripted authorization
 * server (tests/integration/oauth_provider.py on 127.0.0.1, a random port):
 * the device grant (pending, slow_down honoured, expired_token,
 * access_denied, Google's spelling), the authorization code with PKCE
 * through the loopback and through a pasted URL (the verifier checked by
 * the server, a foreign state refused), refresh with rotation persisted,
 * a revoked grant, two processes and two threads refreshing at once, and
 * a token endpoint that redirects or answers too much.  Needs no IMAP
 * server (tests/run-all runs it without the rig). */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "log.h"
#include "oauth2.h"
#include "oauth2_private.h"
#include "testutil.h"
#include "util.h"

extern char **environ;

enum { UNIT_MS = 50 }; /* a protocol second, for the provider and the client */

static char *tmp, *data, *statefile, *script, *base, *certs;
static pid_t prov;

/* Start the provider with a grant for each of the clients rot, short and
 * norotate (over HTTPS with a test CA in tmp/certs when tls); read its port. */
static void provider_start(bool tls)
{
	tmp = tu_tmpdir();
	data = xasprintf("%s/data", tmp);
	certs = xasprintf("%s/certs", tmp);
	statefile = xasprintf("%s/provider.json", tmp);
	const char *src = getenv("MUTTLIKE_SRCDIR");
	script = xasprintf("%s/tests/integration/oauth_provider.py", src ? src : ".");
	char unit[16];
	snprintf(unit, sizeof(unit), "%d", UNIT_MS);
	char *argv[] = { (char *)"python3", script,	     statefile, (char *)"--time-unit-ms", unit,
			 (char *)"--seed",  (char *)"rot:rt-seed", (char *)"--seed", (char *)"short:rt-short",
			 (char *)"--seed",  (char *)"norotate:rt-fixed", tls ? (char *)"--tls" : NULL, certs, NULL };
	int pfd[2];
	assert_int_equal(pipe(pfd), 0);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, pfd[1], STDOUT_FILENO);
	posix_spawn_file_actions_addclose(&fa, pfd[0]);
	assert_int_equal(posix_spawnp(&prov, "python3", &fa, NULL, argv, environ), 0);
	posix_spawn_file_actions_destroy(&fa);
	close(pfd[1]);
	char line[32] = "";
	size_t len = 0;
	while (len < sizeof(line) - 1 && !memchr(line, '\n', len)) {
		ssize_t n = read(pfd[0], line + len, sizeof(line) - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(pfd[0]);
	line[len] = '\0';
	long port;
	line[strcspn(line, "\n")] = '\0';
	if (!util_parse_long(line, 1, 65535, &port))
		fail_msg("the provider did not start: \"%s\"", line);
	base = xasprintf("%s://127.0.0.1:%ld", tls ? "https" : "http", port);
}

static int setup(void **state)
{
	(void)state;
	tu_log_capture_start();
	provider_start(*state != NULL);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_log_capture_stop();
	kill(prov, SIGTERM);
	waitpid(prov, NULL, 0);
	tu_rmtree(tmp);
	xfree(&tmp);
	xfree(&data);
	xfree(&certs);
	xfree(&statefile);
	xfree(&script);
	xfree(&base);
	return 0;
}

static oauth2_t *ctx_for(const char *client)
{
	char *token = xasprintf("%s/token", base), *device = xasprintf("%s/device", base);
	char *auth = xasprintf("%s/authorize", base);
	struct oauth2_config c = { .account = "acct",
				   .client_id = client,
				   .token_url = token,
				   .device_url = device,
				   .auth_url = auth,
				   .scope = "mail offline_access",
				   .data_dir = data,
				   .timeout_ms = 10000,
				   .time_unit_ms = UNIT_MS };
	char *err = NULL;
	oauth2_t *ctx = oauth2_new(&c, &err);
	if (!ctx)
		fail_msg("oauth2_new: %s", err);
	free(token);
	free(device);
	free(auth);
	return ctx;
}

/* A counter from the provider's state file ("name": N). */
static long state_num(const char *name)
{
	char *s = tu_read(statefile), *key = xasprintf("\"%s\": ", name);
	char *p = s ? strstr(s, key) : NULL;
	long v = p ? strtol(p + strlen(key), NULL, 10) : -1;
	free(key);
	free(s);
	return v;
}

/* The refresh token in our store is the provider's current one. */
static void assert_store_current(oauth2_t *ctx)
{
	char *rt = NULL, *err = NULL;
	assert_int_equal(oauth2_store_load(ctx, &rt, &err), OAUTH2_OK);
	char *s = tu_read(statefile), *quoted = xasprintf("\"%s\"", rt);
	if (!strstr(s, quoted))
		fail_msg("stored refresh token %s is not the provider's current one: %s", rt, s);
	free(quoted);
	free(s);
	util_wipe_free(&rt);
}

struct seen {
	int prompts;
	char code[64], uri[256], complete[256];
};

static void on_prompt(const struct oauth2_device_prompt *p, void *ud)
{
	struct seen *s = ud;
	s->prompts++;
	snprintf(s->code, sizeof(s->code), "%s", p->user_code);
	snprintf(s->uri, sizeof(s->uri), "%s", p->verification_uri);
	snprintf(s->complete, sizeof(s->complete), "%s", p->verification_uri_complete ? p->verification_uri_complete : "");
}

static enum oauth2_status device(const char *client, struct seen *seen, char **err)
{
	oauth2_t *ctx = ctx_for(client);
	struct oauth2_ui ui = { .device_prompt = on_prompt, .ud = seen };
	enum oauth2_status st = oauth2_device_flow(ctx, &ui, err);
	if (st == OAUTH2_OK)
		assert_store_current(ctx);
	oauth2_free(&ctx);
	return st;
}

static void test_device_ok(void **state)
{
	(void)state;
	struct seen seen = { 0 };
	char *err = NULL;
	oauth2_t *ctx = ctx_for("dev-ok");
	struct oauth2_ui ui = { .device_prompt = on_prompt, .ud = &seen };
	long long t0 = util_now_ms();
	enum oauth2_status st = oauth2_device_flow(ctx, &ui, &err);
	if (st != OAUTH2_OK)
		fail_msg("device flow: %s", err);
	assert_int_equal(seen.prompts, 1);
	assert_string_equal(seen.code, "WDJB-MJHT");
	assert_string_equal(seen.uri, "https://provider.test/device");
	assert_string_equal(seen.complete, "https://provider.test/device?user_code=WDJB-MJHT");
	/* four polls: 1 unit, 1 unit, then 6 units twice after the slow_down */
	assert_true(util_now_ms() - t0 >= 14 * UNIT_MS);
	assert_int_equal(state_num("slow_downs"), 1);
	assert_int_equal(state_num("too_soon"), 0);
	assert_store_current(ctx);
	struct stat sb;
	assert_int_equal(stat(oauth2_store_file(ctx), &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	/* the access token of the grant serves without a refresh */
	char *tok = NULL;
	assert_int_equal(oauth2_token_get(ctx, false, &tok, &err), OAUTH2_OK);
	assert_int_equal(strncmp(tok, "at-", 3), 0);
	assert_int_equal(state_num("refresh_ok"), 0);
	util_wipe_free(&tok);
	oauth2_free(&ctx);
}

static void test_device_errors(void **state)
{
	(void)state;
	struct seen seen = { 0 };
	char *err = NULL;
	assert_int_equal(device("dev-expired", &seen, &err), OAUTH2_ERR_EXPIRED);
	assert_non_null(strstr(err, "expired_token"));
	assert_non_null(strstr(err, "run the setup again"));
	assert_null(strchr(err, '\n'));
	free(err);
	assert_int_equal(device("dev-denied", &seen, &err), OAUTH2_ERR_DENIED);
	assert_non_null(strstr(err, "access_denied"));
	free(err);
	assert_int_equal(device("dev-google", &seen, &err), OAUTH2_OK);
	assert_string_equal(seen.uri, "https://www.google.com/device");
	assert_string_equal(seen.complete, "");
	assert_int_equal(state_num("too_soon"), 0);
}

struct browser {
	char *url, *out;
	bool follow;
	pthread_t th;
};

static void *browse(void *arg)
{
	struct browser *b = arg;
	int st;
	b->out = tu_run(&st, "python3 %s --browse '%s'%s", script, b->url, b->follow ? "" : " --no-follow");
	return NULL;
}

static void browser_start(struct browser *b, const char *url, bool follow)
{
	b->url = xstrdup(url);
	b->follow = follow;
	b->out = NULL;
	assert_int_equal(pthread_create(&b->th, NULL, browse, b), 0);
}

static char *browser_end(struct browser *b)
{
	pthread_join(b->th, NULL);
	free(b->url);
	return b->out;
}

/* Take browser requests on the loopback until one is the redirect. */
static enum oauth2_status accept_redirect(oauth2_t *ctx, oauth2_authcode_t *ac, char **err)
{
	enum oauth2_status st;
	for (int i = 0; i < 5; i++)
		if ((st = oauth2_authcode_accept(ctx, ac, 20000, err)) != OAUTH2_PENDING)
			return st;
	return st;
}

static void test_authcode_loopback(void **state)
{
	(void)state;
	oauth2_t *ctx = ctx_for("app");
	char *err = NULL;
	oauth2_authcode_t *ac = oauth2_authcode_start(ctx, &err);
	assert_non_null(ac);
	struct browser b;
	browser_start(&b, oauth2_authcode_url(ac), true);
	enum oauth2_status st = accept_redirect(ctx, ac, &err);
	char *page = browser_end(&b);
	if (st != OAUTH2_OK)
		fail_msg("loopback: %s (browser: %s)", err, page);
	assert_non_null(strstr(page, "200 muttlike: signed in"));
	free(page);
	assert_store_current(ctx);
	assert_int_equal(state_num("pkce_refused"), 0);
	oauth2_authcode_free(&ac);
	oauth2_free(&ctx);
}

/* The URL the browser would end on, without going there. */
static char *redirect_of(const char *url)
{
	struct browser b;
	browser_start(&b, url, false);
	char *out = browser_end(&b);
	out[strcspn(out, "\n")] = '\0';
	return out;
}

static void test_authcode_paste_and_pkce(void **state)
{
	(void)state;
	oauth2_t *ctx = ctx_for("app");
	char *err = NULL;
	oauth2_authcode_t *ac1 = oauth2_authcode_start(ctx, &err), *ac2 = oauth2_authcode_start(ctx, &err);
	char *landed1 = redirect_of(oauth2_authcode_url(ac1)), *landed2 = redirect_of(oauth2_authcode_url(ac2));
	assert_int_equal(strncmp(landed1, oauth2_authcode_redirect_uri(ac1), strlen(oauth2_authcode_redirect_uri(ac1))), 0);

	/* ac1's code under ac2's state: the state passes, the server finds
	 * that ac2's verifier does not belong to ac1's challenge */
	char *code1 = oauth2_query_param(landed1, "code"), *state2 = oauth2_query_param(landed2, "state");
	char *forged = xasprintf("%s?code=%s&state=%s", oauth2_authcode_redirect_uri(ac2), code1, state2);
	assert_int_equal(oauth2_authcode_paste(ctx, ac2, forged, &err), OAUTH2_ERR_REAUTH);
	assert_non_null(strstr(err, "code_verifier does not match"));
	free(err);
	assert_int_equal(state_num("pkce_refused"), 1);

	/* ac2's own URL pasted: accepted; pasted again: refused */
	assert_int_equal(oauth2_authcode_paste(ctx, ac2, landed2, &err), OAUTH2_OK);
	assert_store_current(ctx);
	assert_int_equal(oauth2_authcode_paste(ctx, ac2, landed2, &err), OAUTH2_ERR_STATE);
	free(err);
	/* ac1's URL pasted into ac2: a foreign state */
	assert_int_equal(oauth2_authcode_paste(ctx, ac2, landed1, &err), OAUTH2_ERR_STATE);
	free(err);
	free(code1);
	free(state2);
	free(forged);
	free(landed1);
	free(landed2);
	oauth2_authcode_free(&ac1);
	oauth2_authcode_free(&ac2);
	oauth2_free(&ctx);
}

static void test_authcode_state_mismatch(void **state)
{
	(void)state;
	oauth2_t *ctx = ctx_for("auth-badstate");
	char *err = NULL;
	oauth2_authcode_t *ac = oauth2_authcode_start(ctx, &err);
	struct browser b;
	browser_start(&b, oauth2_authcode_url(ac), true);
	assert_int_equal(accept_redirect(ctx, ac, &err), OAUTH2_ERR_STATE);
	char *page = browser_end(&b);
	assert_non_null(strstr(page, "400 muttlike: the login failed"));
	assert_non_null(strstr(err, "state mismatch"));
	free(err);
	free(page);
	char *rt = NULL;
	assert_int_equal(oauth2_store_load(ctx, &rt, &err), OAUTH2_ERR_REAUTH); /* nothing stored */
	free(err);
	oauth2_authcode_free(&ac);
	oauth2_free(&ctx);

	ctx = ctx_for("auth-deny");
	ac = oauth2_authcode_start(ctx, &err);
	browser_start(&b, oauth2_authcode_url(ac), true);
	assert_int_equal(accept_redirect(ctx, ac, &err), OAUTH2_ERR_DENIED);
	free(browser_end(&b));
	assert_non_null(strstr(err, "The user said no"));
	free(err);
	oauth2_authcode_free(&ac);
	oauth2_free(&ctx);
}

static char *get_token(oauth2_t *ctx, bool force)
{
	char *tok = NULL, *err = NULL;
	if (oauth2_token_get(ctx, force, &tok, &err) != OAUTH2_OK)
		fail_msg("token: %s", err);
	return tok;
}

static void test_refresh_rotation(void **state)
{
	(void)state;
	oauth2_t *ctx = ctx_for("rot");
	char *err = NULL;
	enum log_level level = log_get_level();
	log_set_level(LOG_TRACE); /* what -d would log */
	assert_int_equal(oauth2_store_save(ctx, "rt-seed", &err), OAUTH2_OK);
	char *t1 = get_token(ctx, false); /* none in memory: refreshed */
	assert_int_equal(state_num("refresh_ok"), 1);
	assert_store_current(ctx);
	char *t2 = get_token(ctx, false); /* valid for an hour: kept */
	assert_string_equal(t1, t2);
	assert_int_equal(state_num("refresh_ok"), 1);
	char *t3 = get_token(ctx, true); /* the server refused it: refreshed once more */
	assert_string_not_equal(t1, t3);
	assert_int_equal(state_num("refresh_ok"), 2);
	assert_store_current(ctx);
	assert_int_equal(state_num("refresh_refused"), 0);
	/* nothing but the store holds the refresh token, nothing the access token */
	char *rt = NULL;
	assert_int_equal(oauth2_store_load(ctx, &rt, &err), OAUTH2_OK);
	int st;
	char *out = tu_run(&st, "grep -rlF -- '%s' '%s'", rt, data), *want = xasprintf("%s\n", oauth2_store_file(ctx));
	assert_string_equal(out, want);
	free(out);
	free(want);
	util_wipe_free(&rt);
	out = tu_run(&st, "grep -rlF -- '%s' '%s'", t3, data);
	assert_string_equal(out, "");
	free(out);
	/* nor the log, even at trace level */
	const char *log = tu_log_captured();
	assert_non_null(strstr(log, "POST"));
	assert_null(strstr(log, "rt-"));
	assert_null(strstr(log, t1));
	assert_null(strstr(log, t3));
	log_set_level(level);
	util_wipe_free(&t1);
	util_wipe_free(&t2);
	util_wipe_free(&t3);

	/* a token within the margin of its expiry is refreshed before use */
	oauth2_free(&ctx);
	ctx = ctx_for("short");
	assert_int_equal(oauth2_store_save(ctx, "rt-short", &err), OAUTH2_OK);
	t1 = get_token(ctx, false);
	t2 = get_token(ctx, false);
	assert_string_not_equal(t1, t2);
	assert_int_equal(state_num("refresh_ok"), 4);
	util_wipe_free(&t1);
	util_wipe_free(&t2);

	/* a revoked grant: one line that says what to run */
	assert_int_equal(oauth2_store_save(ctx, "rt-revoked", &err), OAUTH2_OK);
	char *tok = NULL;
	assert_int_equal(oauth2_token_get(ctx, true, &tok, &err), OAUTH2_ERR_REAUTH);
	assert_null(tok);
	assert_non_null(strstr(err, "invalid_grant"));
	assert_non_null(strstr(err, "run: muttlike setup --reauth acct"));
	free(err);
	oauth2_free(&ctx);
}

/* POST a form to the provider; the answer's member as a string (or NULL). */
static char *provider_post(oauth2_t *ctx, const char *path, const char *name, const char *value, const char *member)
{
	char *url = xasprintf("%s%s", base, path), *err = NULL;
	struct strbuf form;
	strbuf_init(&form);
	oauth2_form_add(&form, name, value);
	struct oauth2_json j;
	long http;
	if (oauth2_http_post(ctx, url, form.s, &http, &j, &err) != OAUTH2_OK || http != 200)
		fail_msg("%s: %s", path, err);
	const struct oauth2_json_field *f = NULL;
	for (size_t i = 0; i < j.n; i++)
		if (strcmp(j.f[i].key, member) == 0)
			f = &j.f[i];
	char *v = f ? xstrdup(f->val) : NULL;
	oauth2_json_free(&j);
	strbuf_free(&form);
	free(url);
	return v;
}

/* The tokens a real server would check (Dovecot's introspection), and a
 * grant revoked at the provider: the next refresh asks for a new login. */
static void test_introspect_revoke(void **state)
{
	(void)state;
	oauth2_t *ctx = ctx_for("rot");
	char *err = NULL, *rt = NULL;
	assert_int_equal(oauth2_store_save(ctx, "rt-seed", &err), OAUTH2_OK);
	char *t = get_token(ctx, false);
	char *active = provider_post(ctx, "/introspect", "token", t, "active");
	assert_string_equal(active, "true");
	free(active);
	assert_int_equal(oauth2_store_load(ctx, &rt, &err), OAUTH2_OK);
	free(provider_post(ctx, "/revoke", "token", rt, "x"));
	active = provider_post(ctx, "/introspect", "token", t, "active");
	assert_string_equal(active, "false");
	free(active);
	util_wipe_free(&t);
	util_wipe_free(&rt);
	/* the server refuses the access token; the forced refresh is refused too */
	assert_int_equal(oauth2_token_get(ctx, true, &t, &err), OAUTH2_ERR_REAUTH);
	assert_non_null(strstr(err, "setup --reauth acct"));
	free(err);
	oauth2_free(&ctx);
}

static void test_norotate(void **state)
{
	(void)state;
	oauth2_t *ctx = ctx_for("norotate");
	char *err = NULL;
	assert_int_equal(oauth2_store_save(ctx, "rt-fixed", &err), OAUTH2_OK);
	char *t = get_token(ctx, true);
	util_wipe_free(&t);
	char *rt = NULL;
	assert_int_equal(oauth2_store_load(ctx, &rt, &err), OAUTH2_OK);
	assert_string_equal(rt, "rt-fixed");
	util_wipe_free(&rt);
	oauth2_free(&ctx);
}

enum { ROUNDS = 5 };

/* One refresher: its own context on the shared store, ROUNDS forced refreshes. */
static int refresher(void)
{
	oauth2_t *ctx = ctx_for("rot");
	int bad = 0;
	for (int i = 0; i < ROUNDS; i++) {
		char *tok = NULL, *err = NULL;
		if (oauth2_token_get(ctx, true, &tok, &err) != OAUTH2_OK) {
			fprintf(stderr, "refresher %d: %s\n", (int)getpid(), err);
			free(err);
			bad++;
		}
		util_wipe_free(&tok);
	}
	oauth2_free(&ctx);
	return bad;
}

static void *refresher_thread(void *arg)
{
	*(int *)arg = refresher();
	return NULL;
}

static void test_concurrent_refreshers(void **state)
{
	(void)state;
	oauth2_t *ctx = ctx_for("rot");
	char *err = NULL;
	assert_int_equal(oauth2_store_save(ctx, "rt-seed", &err), OAUTH2_OK);
	pid_t kids[2];
	for (int i = 0; i < 2; i++) {
		kids[i] = fork();
		assert_true(kids[i] >= 0);
		if (kids[i] == 0)
			_exit(refresher() ? 1 : 0);
	}
	for (int i = 0; i < 2; i++) {
		int st;
		assert_int_equal(waitpid(kids[i], &st, 0), kids[i]);
		assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	}
	assert_int_equal(state_num("refresh_ok"), 2 * ROUNDS);
	assert_int_equal(state_num("refresh_refused"), 0);
	assert_store_current(ctx);
	/* two contexts in one process: the same lock */
	pthread_t th[2];
	int bad[2] = { -1, -1 };
	for (int i = 0; i < 2; i++)
		assert_int_equal(pthread_create(&th[i], NULL, refresher_thread, &bad[i]), 0);
	for (int i = 0; i < 2; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(bad[i], 0);
	}
	assert_int_equal(state_num("refresh_ok"), 4 * ROUNDS);
	assert_int_equal(state_num("refresh_refused"), 0);
	assert_store_current(ctx);
	oauth2_free(&ctx);
}

static void test_hostile_endpoints(void **state)
{
	(void)state;
	static const struct {
		const char *path, *says;
		enum oauth2_status st;
	} cases[] = {
		{ "/redirect", "refusing to follow", OAUTH2_ERR_PROTOCOL },
		{ "/huge", "larger than 64 KiB", OAUTH2_ERR_PROTOCOL },
		{ "/nowhere", "not_found", OAUTH2_ERR_PROTOCOL },
		{ "/garbage", "HTTP 200 without a JSON answer", OAUTH2_ERR_PROTOCOL },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *url = xasprintf("%s%s", base, cases[i].path), *err = NULL, *tok = NULL;
		struct oauth2_config c = { .account = "h", .client_id = "rot", .token_url = url, .data_dir = data };
		oauth2_t *ctx = oauth2_new(&c, &err);
		assert_int_equal(oauth2_store_save(ctx, "rt-seed", &err), OAUTH2_OK);
		assert_int_equal(oauth2_token_get(ctx, false, &tok, &err), cases[i].st);
		if (!strstr(err, cases[i].says))
			fail_msg("%s: %s", cases[i].path, err);
		free(err);
		free(url);
		oauth2_free(&ctx);
	}
}

/* HTTPS: verified against the system store plus ca_file; without the test
 * CA the same server is refused before any token is sent. */
static void test_https(void **state)
{
	(void)state;
	char *url = xasprintf("%s/token", base), *ca = xasprintf("%s/ca.pem", certs), *err = NULL, *tok = NULL;
	struct oauth2_config c = { .account = "t", .client_id = "rot", .token_url = url, .data_dir = data };
	oauth2_t *ctx = oauth2_new(&c, &err);
	assert_int_equal(oauth2_store_save(ctx, "rt-seed", &err), OAUTH2_OK);
	assert_int_equal(oauth2_token_get(ctx, false, &tok, &err), OAUTH2_ERR_NET);
	assert_non_null(strstr(err, url));
	assert_non_null(strstr(err, "certificate is not trusted"));
	assert_int_equal(state_num("refresh_ok") + state_num("refresh_refused"), 0);
	free(err);
	oauth2_free(&ctx);
	c.ca_file = ca;
	ctx = oauth2_new(&c, &err);
	if (oauth2_token_get(ctx, false, &tok, &err) != OAUTH2_OK)
		fail_msg("with the test CA: %s", err);
	assert_int_equal(state_num("refresh_ok"), 1);
	assert_store_current(ctx);
	util_wipe_free(&tok);
	oauth2_free(&ctx);
	free(url);
	free(ca);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_device_ok, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_errors, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authcode_loopback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authcode_paste_and_pkce, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authcode_state_mismatch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_norotate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_introspect_revoke, setup, teardown),
		cmocka_unit_test_setup_teardown(test_concurrent_refreshers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hostile_endpoints, setup, teardown),
		cmocka_unit_test_prestate_setup_teardown(test_https, setup, teardown, (void *)"tls"),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
