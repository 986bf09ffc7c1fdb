/* test_oauth2.c - the OAuth2 core without a server: PKCE (RFC 7636
 * appendix B), URLs and queries, the JSON reader, error mapping, the
 * provider table, the token store (file mode, command pair) and the lock.
 * The flows against a provider: tests/integration/test_oauth2_flow.c. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "oauth2.h"
#include "oauth2_private.h"
#include "testutil.h"
#include "util.h"

static char *tmp;

static int setup(void **state)
{
	(void)state;
	tmp = tu_tmpdir();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(tmp);
	free(tmp);
	return 0;
}

static oauth2_t *ctx_new(const struct oauth2_config *extra)
{
	struct oauth2_config c = extra ? *extra : (struct oauth2_config){ 0 };
	if (!c.account)
		c.account = "work";
	if (!c.client_id)
		c.client_id = "cid";
	if (!c.token_url && !c.provider)
		c.token_url = "https://auth.example/token";
	c.data_dir = tmp;
	char *err = NULL;
	oauth2_t *ctx = oauth2_new(&c, &err);
	if (!ctx)
		fail_msg("oauth2_new: %s", err);
	return ctx;
}

static void test_pkce(void **state)
{
	(void)state;
	/* RFC 7636 appendix B */
	char *c = oauth2_pkce_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk");
	assert_string_equal(c, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
	free(c);
	char *v1 = oauth2_pkce_verifier(), *v2 = oauth2_pkce_verifier();
	assert_int_equal(strlen(v1), 43); /* 32 bytes, RFC 7636 4.1 */
	assert_int_equal(strspn(v1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"), 43);
	assert_string_not_equal(v1, v2);
	util_wipe_free(&v1);
	util_wipe_free(&v2);
}

static void test_url_escape_and_query(void **state)
{
	(void)state;
	struct strbuf b;
	strbuf_init(&b);
	oauth2_url_escape("a b&c=d/\xc3\xa9~+", &b);
	assert_string_equal(b.s, "a%20b%26c%3Dd%2F%C3%A9~%2B");
	strbuf_free(&b);
	const char *u = "http://127.0.0.1:1234/?codex=no&code=abc%2Fd+e&state=xyz#state=frag";
	char *p = oauth2_query_param(u, "code");
	assert_string_equal(p, "abc/d e");
	free(p);
	p = oauth2_query_param(u, "state");
	assert_string_equal(p, "xyz");
	free(p);
	assert_null(oauth2_query_param(u, "error"));
	assert_null(oauth2_query_param("http://h/?x=%00y", "x")); /* a NUL would cut the value */
	assert_null(oauth2_query_param("http://h/#state=1", "state"));
	p = oauth2_query_param("/?e=%4", "e"); /* a broken escape is kept as is */
	assert_string_equal(p, "%4");
	free(p);
}

static void test_json(void **state)
{
	(void)state;
	const char *google = "{\n  \"access_token\": \"ya29.a0\\u00e9\\ud83d\\ude00\",\n  \"expires_in\": 3599,\n"
			     "  \"refresh_token\": \"1//0g\\/x\", \"scope\": \"https://mail.google.com/\",\n"
			     "  \"token_type\": \"Bearer\", \"id_token\": null, \"ok\": true, \"f\": -1.5e3 }";
	struct oauth2_json j;
	assert_int_equal(oauth2_json_parse(google, strlen(google), &j), 0);
	assert_string_equal(oauth2_json_str(&j, "access_token"), "ya29.a0\xc3\xa9\xf0\x9f\x98\x80");
	assert_string_equal(oauth2_json_str(&j, "refresh_token"), "1//0g/x");
	long n = 0;
	assert_true(oauth2_json_long(&j, "expires_in", &n));
	assert_int_equal(n, 3599);
	assert_null(oauth2_json_str(&j, "expires_in")); /* a number is not a string */
	assert_null(oauth2_json_str(&j, "id_token"));
	assert_false(oauth2_json_long(&j, "f", &n));
	oauth2_json_free(&j);
	/* Microsoft: arrays and a quoted number (the v1 endpoints) */
	const char *ms = "{\"error\":\"invalid_grant\",\"error_description\":\"AADSTS70008: expired.\\r\\nTrace ID: 1\","
			 "\"error_codes\":[70008,{\"a\":[[]]}],\"timestamp\":\"2026-01-01\",\"expires_in\":\"3600\","
			 "\"error\":\"second ignored\"}";
	assert_int_equal(oauth2_json_parse(ms, strlen(ms), &j), 0);
	assert_string_equal(oauth2_json_str(&j, "error"), "invalid_grant");
	assert_null(oauth2_json_str(&j, "error_codes"));
	assert_true(oauth2_json_long(&j, "expires_in", &n));
	assert_int_equal(n, 3600);
	oauth2_json_free(&j);
	assert_int_equal(oauth2_json_parse("{}", 2, &j), 0);
	assert_int_equal(j.n, 0);
	static const char *const bad[] = {
		"",	     "[]",	       "{\"a\":1",	     "{\"a\":1} x",	 "{\"a\" 1}",	    "{\"a\":01}",
		"{\"a\":\"\\ud800\"}", "{\"a\":\"\\u0000\"}", "{\"a\":\"x\ty\"}", "{\"a\":tru}", "{\"a\":1,}",
		"{\"a\":\"\\x\"}", "{'a':1}",	     "{\"a\":[1,]}",	 "{\"a\":-}",	    "{\"a\":1.}",
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		if (oauth2_json_parse(bad[i], strlen(bad[i]), &j) == 0)
			fail_msg("accepted %s", bad[i]);
	/* nesting is capped */
	struct strbuf deep;
	strbuf_init(&deep);
	strbuf_adds(&deep, "{\"a\":");
	for (int i = 0; i < 40; i++)
		strbuf_addc(&deep, '[');
	for (int i = 0; i < 40; i++)
		strbuf_addc(&deep, ']');
	strbuf_addc(&deep, '}');
	assert_int_equal(oauth2_json_parse(deep.s, deep.len, &j), -1);
	strbuf_free(&deep);
	/* an embedded NUL ends nothing early: it is junk */
	assert_int_equal(oauth2_json_parse("{\"a\":1}\0", 8, &j), -1);
}

static void parse(const char *text, struct oauth2_json *j)
{
	assert_int_equal(oauth2_json_parse(text, strlen(text), j), 0);
}

static void test_error_map(void **state)
{
	(void)state;
	oauth2_t *ctx = ctx_new(NULL);
	struct oauth2_json j;
	char *err = NULL;
	parse("{\"error\":\"invalid_grant\",\"error_description\":\"Token has been expired or revoked.\"}", &j);
	assert_int_equal(oauth2_error_map(ctx, "refreshing", 400, &j, &err), OAUTH2_ERR_REAUTH);
	assert_string_equal(err, "account work: refreshing: invalid_grant (Token has been expired or revoked.); the "
				 "grant was revoked or has expired; run: muttlike setup --reauth work");
	free(err);
	oauth2_json_free(&j);
	parse("{\"error\":\"invalid_client\"}", &j);
	assert_int_equal(oauth2_error_map(ctx, "x", 401, &j, &err), OAUTH2_ERR_CONFIG);
	assert_non_null(strstr(err, "oauth_client_id"));
	free(err);
	oauth2_json_free(&j);
	parse("{\"error\":\"access_denied\"}", &j);
	assert_int_equal(oauth2_error_map(ctx, "x", 400, &j, &err), OAUTH2_ERR_DENIED);
	free(err);
	oauth2_json_free(&j);
	parse("{\"error\":\"expired_token\"}", &j);
	assert_int_equal(oauth2_error_map(ctx, "x", 400, &j, &err), OAUTH2_ERR_EXPIRED);
	free(err);
	oauth2_json_free(&j);
	parse("{}", &j);
	assert_int_equal(oauth2_error_map(ctx, "x", 503, &j, &err), OAUTH2_ERR_NET);
	assert_string_equal(err, "account work: x: HTTP 503 without an OAuth2 error code");
	free(err);
	/* server text is sanitized and cut at its first line */
	parse("{\"error\":\"weird\\u001b[31m\",\"error_description\":\"line\\u202e one\\nline two\"}", &j);
	assert_int_equal(oauth2_error_map(ctx, "x", 400, &j, &err), OAUTH2_ERR_PROTOCOL);
	assert_null(strchr(err, '\033'));
	assert_null(strstr(err, "\xe2\x80\xae"));
	assert_null(strstr(err, "line two"));
	assert_null(strchr(err, '\n'));
	free(err);
	oauth2_json_free(&j);
	oauth2_free(&ctx);
	assert_null(ctx);
}

/* The token endpoint cannot be reached during an early refresh: a token
 * that is still valid serves; an expired one, or a forced refresh, fails. */
static void test_refresh_network_failure(void **state)
{
	(void)state;
	int fd = socket(AF_INET, SOCK_STREAM, 0); /* a port nobody listens on */
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t sl = sizeof(sa);
	assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	char *url = xasprintf("http://127.0.0.1:%d/token", ntohs(sa.sin_port)), *err = NULL, *tok = NULL;
	oauth2_t *ctx = ctx_new(&(struct oauth2_config){ .token_url = url });
	assert_int_equal(oauth2_store_save(ctx, "rt", &err), OAUTH2_OK);
	ctx->access = xstrdup("at-old");
	ctx->access_expires = util_now_ms() + 60000; /* within the 300 s margin */
	tu_log_capture_start();
	assert_int_equal(oauth2_token_get(ctx, false, &tok, &err), OAUTH2_OK);
	assert_string_equal(tok, "at-old");
	assert_null(err);
	assert_non_null(strstr(tu_log_captured(), "still valid"));
	tu_log_capture_stop();
	util_wipe_free(&tok);
	assert_int_equal(oauth2_token_get(ctx, true, &tok, &err), OAUTH2_ERR_NET);
	assert_null(tok);
	free(err);
	ctx->access_expires = util_now_ms() - 1;
	assert_int_equal(oauth2_token_get(ctx, false, &tok, &err), OAUTH2_ERR_NET);
	assert_non_null(strstr(err, url));
	free(err);
	oauth2_free(&ctx);
	free(url);
	close(fd);
}

static void test_config_and_providers(void **state)
{
	(void)state;
	assert_string_equal(oauth2_provider_find("Gmail")->name, "google");
	assert_string_equal(oauth2_provider_find("office365")->name, "microsoft");
	assert_null(oauth2_provider_find("yahoo"));
	assert_string_equal(oauth2_provider_for_host("imap.gmail.com")->name, "google");
	assert_string_equal(oauth2_provider_for_host("OUTLOOK.office365.com")->name, "microsoft");
	assert_string_equal(oauth2_provider_for_host("imap-mail.outlook.com")->name, "microsoft");
	assert_null(oauth2_provider_for_host("outlook.com.evil.example"));
	assert_null(oauth2_provider_for_host("imap.example.org"));
	assert_non_null(strstr(oauth2_provider_find("microsoft")->scope, "offline_access"));
	assert_string_equal(oauth2_provider_find("google")->scope, "https://mail.google.com/");

	oauth2_t *ctx = ctx_new(&(struct oauth2_config){ .provider = "microsoft" });
	assert_string_equal(ctx->token_url, "https://login.microsoftonline.com/common/oauth2/v2.0/token");
	assert_string_equal(ctx->device_url, "https://login.microsoftonline.com/common/oauth2/v2.0/devicecode");
	assert_true(oauth2_device_preferred(ctx));
	oauth2_free(&ctx);
	ctx = ctx_new(&(struct oauth2_config){ .provider = "google" });
	assert_false(oauth2_device_preferred(ctx)); /* no mail scope on Google's device endpoint */
	oauth2_free(&ctx);
	ctx = ctx_new(NULL);
	assert_false(oauth2_device_preferred(ctx)); /* no device endpoint */
	oauth2_free(&ctx);
	ctx = ctx_new(&(struct oauth2_config){ .provider = "microsoft", .tenant = "contoso.onmicrosoft.com",
					       .scope = "s1" });
	assert_string_equal(ctx->auth_url,
			    "https://login.microsoftonline.com/contoso.onmicrosoft.com/oauth2/v2.0/authorize");
	assert_string_equal(ctx->scope, "s1");
	oauth2_free(&ctx);
	ctx = ctx_new(&(struct oauth2_config){ .token_url = "http://127.0.0.1:9/token" });
	oauth2_free(&ctx);

	static const struct oauth2_config bad[] = {
		{ .account = "a", .client_id = "c", .token_url = "http://auth.example/token" },
		{ .account = "a", .client_id = "c", .token_url = "http://127.0.0.1.evil.example/token" },
		{ .account = "a", .client_id = "c", .token_url = "https:///token" },
		{ .account = "a", .token_url = "https://auth.example/token" },
		{ .account = "a", .client_id = "c" },
		{ .account = "a", .client_id = "c", .provider = "yahoo" },
		{ .account = "a", .client_id = "c", .provider = "google", .store_cmd = "true" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		struct oauth2_config c = bad[i];
		c.data_dir = tmp;
		char *err = NULL;
		ctx = oauth2_new(&c, &err);
		assert_null(ctx);
		assert_non_null(err);
		assert_null(strchr(err, '\n'));
		free(err);
	}
}

static void test_store_file(void **state)
{
	(void)state;
	oauth2_t *ctx = ctx_new(&(struct oauth2_config){ .account = "../we ird" });
	char *rt = NULL, *err = NULL;
	const char *file = oauth2_store_file(ctx);
	assert_non_null(file);
	assert_non_null(strstr(file, "/oauth2/_._we_ird.token")); /* made safe */
	assert_int_equal(oauth2_store_load(ctx, &rt, &err), OAUTH2_ERR_REAUTH);
	assert_null(rt);
	assert_non_null(strstr(err, "muttlike setup --reauth ../we ird"));
	free(err);
	tu_log_capture_start();
	assert_int_equal(oauth2_store_save(ctx, "rt-SECRET-1", &err), OAUTH2_OK);
	assert_int_equal(oauth2_store_save(ctx, "rt-SECRET-2", &err), OAUTH2_OK);
	const char *log = tu_log_captured();
	assert_non_null(strstr(log, "mode 0600"));
	assert_null(strstr(log, "rt-SECRET"));
	tu_log_capture_stop();
	struct stat sb;
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	char *dir = xasprintf("%s/oauth2", tmp);
	assert_int_equal(stat(dir, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0700);
	free(dir);
	assert_int_equal(oauth2_store_load(ctx, &rt, &err), OAUTH2_OK);
	assert_string_equal(rt, "rt-SECRET-2");
	util_wipe_free(&rt);
	oauth2_free(&ctx);
}

static void test_store_commands(void **state)
{
	(void)state;
	char *store = xasprintf("cat > '%s/kr'", tmp), *lookup = xasprintf("cat '%s/kr' 2>/dev/null", tmp);
	oauth2_t *ctx = ctx_new(&(struct oauth2_config){ .store_cmd = store, .lookup_cmd = lookup });
	assert_null(oauth2_store_file(ctx));
	char *rt = NULL, *err = NULL;
	assert_int_equal(oauth2_store_load(ctx, &rt, &err), OAUTH2_ERR_REAUTH);
	assert_non_null(strstr(err, "oauth_lookup_cmd failed"));
	free(err);
	assert_int_equal(oauth2_store_save(ctx, "1//rotated", &err), OAUTH2_OK);
	char *path = xasprintf("%s/kr", tmp), *got = tu_read(path);
	assert_string_equal(got, "1//rotated"); /* no newline added */
	free(got);
	free(path);
	assert_int_equal(oauth2_store_load(ctx, &rt, &err), OAUTH2_OK);
	assert_string_equal(rt, "1//rotated");
	util_wipe_free(&rt);
	oauth2_free(&ctx);
	/* a failing store command, and one that never reads its input */
	static const char *const failing[] = { "exit 3", "exec 0<&-; exit 1" };
	for (size_t i = 0; i < ARRAY_SIZE(failing); i++) {
		ctx = ctx_new(&(struct oauth2_config){ .store_cmd = failing[i], .lookup_cmd = "true" });
		assert_int_equal(oauth2_store_save(ctx, "x", &err), OAUTH2_ERR_STORE);
		assert_non_null(strstr(err, "cannot store"));
		free(err);
		oauth2_free(&ctx);
	}
	free(store);
	free(lookup);
}

static void test_lock(void **state)
{
	(void)state;
	oauth2_t *a = ctx_new(NULL);
	char *err = NULL;
	assert_int_equal(oauth2_lock(a, &err), OAUTH2_OK);
	char *lock = xasprintf("%s/oauth2/work.lock", tmp);
	/* another open file (another context, another process) cannot take it */
	int fd = open(lock, O_RDWR);
	assert_true(fd >= 0);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	assert_int_equal(errno, EWOULDBLOCK);
	pid_t pid = fork();
	if (pid == 0) {
		int f = open(lock, O_RDWR);
		_exit(flock(f, LOCK_EX | LOCK_NB) == -1 && errno == EWOULDBLOCK ? 0 : 1);
	}
	int st;
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
	/* a holder that does not let go: the waiter gives up with one line */
	oauth2_t *b = ctx_new(&(struct oauth2_config){ .timeout_ms = 100 });
	long long t0 = util_now_ms();
	assert_int_equal(oauth2_lock(b, &err), OAUTH2_ERR_STORE);
	assert_true(util_now_ms() - t0 >= 300);
	assert_non_null(strstr(err, "another muttlike has held the OAuth2 lock"));
	free(err);
	oauth2_unlock(a);
	assert_int_equal(oauth2_lock(b, &err), OAUTH2_OK);
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), -1);
	oauth2_free(&b); /* frees the lock too */
	assert_int_equal(flock(fd, LOCK_EX | LOCK_NB), 0);
	close(fd);
	free(lock);
	oauth2_free(&a);
}

static void test_authcode_url_and_paste(void **state)
{
	(void)state;
	oauth2_t *ctx = ctx_new(&(struct oauth2_config){ .auth_url = "https://auth.example/authorize?tenant=x",
							 .scope = "mail offline", .login_hint = "a@b.example" });
	char *err = NULL;
	oauth2_authcode_t *ac = oauth2_authcode_start(ctx, &err);
	assert_non_null(ac);
	const char *url = oauth2_authcode_url(ac);
	assert_non_null(strstr(url, "https://auth.example/authorize?tenant=x&response_type=code&client_id=cid&"));
	assert_non_null(strstr(url, "&scope=mail%20offline&"));
	assert_non_null(strstr(url, "&code_challenge_method=S256"));
	assert_non_null(strstr(url, "&login_hint=a%40b.example"));
	assert_null(strstr(url, "access_type")); /* Google's only */
	char *redirect = oauth2_query_param(url, "redirect_uri");
	assert_string_equal(redirect, oauth2_authcode_redirect_uri(ac));
	assert_int_equal(strncmp(redirect, "http://127.0.0.1:", 17), 0);
	char *challenge = oauth2_query_param(url, "code_challenge");
	assert_int_equal(strlen(challenge), 43);
	char *st = oauth2_query_param(url, "state");
	assert_int_equal(strlen(st), 32);

	/* pasted URLs: not a redirect, a foreign state, an error */
	assert_int_equal(oauth2_authcode_paste(ctx, ac, "https://www.google.com/", &err), OAUTH2_ERR_PROTOCOL);
	assert_non_null(strstr(err, "copy the whole address"));
	free(err);
	char *u = xasprintf("%s?state=%s0&code=c", redirect, st);
	assert_int_equal(oauth2_authcode_paste(ctx, ac, u, &err), OAUTH2_ERR_STATE);
	assert_non_null(strstr(err, "state mismatch"));
	free(err);
	free(u);
	u = xasprintf("  %s?error=access_denied&state=%s\n", redirect, st);
	assert_int_equal(oauth2_authcode_paste(ctx, ac, u, &err), OAUTH2_ERR_DENIED);
	assert_non_null(strstr(err, "access_denied"));
	free(err);
	free(u);

	/* a browser asking the loopback for something else gets a 404 */
	struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	sa.sin_port = htons((unsigned short)atoi(redirect + 17));
	int c = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(c, (struct sockaddr *)&sa, sizeof(sa)), 0);
	const char *req = "GET /favicon.ico HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
	assert_int_equal(write(c, req, strlen(req)), (ssize_t)strlen(req));
	assert_int_equal(oauth2_authcode_accept(ctx, ac, 5000, &err), OAUTH2_PENDING);
	assert_null(err);
	char resp[256] = "";
	assert_true(read(c, resp, sizeof(resp) - 1) > 0);
	assert_int_equal(strncmp(resp, "HTTP/1.1 404", 12), 0);
	close(c);
	/* nothing arrives: pending after the timeout */
	assert_int_equal(oauth2_authcode_accept(ctx, ac, 0, &err), OAUTH2_PENDING);

	free(redirect);
	free(challenge);
	free(st);
	oauth2_authcode_free(&ac);
	assert_null(ac);
	oauth2_free(&ctx);
}

static void test_google_offline(void **state)
{
	(void)state;
	oauth2_t *ctx = ctx_new(&(struct oauth2_config){ .provider = "google" });
	char *err = NULL;
	oauth2_authcode_t *ac = oauth2_authcode_start(ctx, &err);
	assert_non_null(ac);
	const char *url = oauth2_authcode_url(ac);
	assert_int_equal(strncmp(url, "https://accounts.google.com/o/oauth2/v2/auth?", 45), 0);
	assert_non_null(strstr(url, "&scope=https%3A%2F%2Fmail.google.com%2F&"));
	assert_non_null(strstr(url, "&access_type=offline"));
	oauth2_authcode_free(&ac);
	oauth2_free(&ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pkce),
		cmocka_unit_test(test_url_escape_and_query),
		cmocka_unit_test(test_json),
		cmocka_unit_test_setup_teardown(test_error_map, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_network_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_and_providers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_store_commands, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lock, setup, teardown),
		cmocka_unit_test_setup_teardown(test_authcode_url_and_paste, setup, teardown),
		cmocka_unit_test_setup_teardown(test_google_offline, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
