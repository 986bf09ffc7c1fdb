/* test_conn.c - connection settings from an account (conn_from_conf) and
 * what IMAP and SMTP build on them. */
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "conf.h"
#include "conn.h"
#include "oauth2.h"
#include "imap.h"
#include "smtp.h"
#include "util.h"

#define PIN "sha256:" "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static conf_t *load(const char *text)
{
	conf_t *c = conf_new();
	conf_load_string(c, "t.rc", text);
	if (conf_error_count(c))
		fail_msg("%s", conf_error(c, 0));
	return c;
}

static void test_imap(void **state)
{
	(void)state;
	conf_t *c = load("set data_dir = /tmp/d\nset timeout = 7\naccount a\nset imap_url = imaps://bob%40x@Mail.example.org\n"
			 "set imap_pass_cmd = 'pass show mail'\nset tls_pin = " PIN "\nset imap_auth = PLAIN\n");
	struct conn_params p;
	char *err;
	assert_true(conn_from_conf(c, 0, CONN_IMAP, &p, &err));
	assert_null(err);
	assert_string_equal(p.host, "Mail.example.org");
	assert_int_equal(p.port, 993);
	assert_true(p.implicit_tls);
	assert_false(p.tls_none);
	assert_string_equal(p.user, "bob@x");
	assert_null(p.pass);
	assert_string_equal(p.pass_cmd, "pass show mail");
	assert_string_equal(p.pin, PIN);
	assert_string_equal(p.pin_file, "/tmp/d/certs");
	assert_int_equal(p.timeout_s, 7);
	assert_int_equal(conn_timeout_ms(&p), 7000);
	assert_string_equal(p.label, "a");
	struct conn_params q;
	conn_params_copy(&q, &p);
	conn_params_clear(&p);
	assert_null(p.host);
	assert_string_equal(q.pass_cmd, "pass show mail");
	conn_params_clear(&q);
	struct imap_params ip;
	assert_true(imap_params_from_conf(c, 0, &ip, &err));
	assert_string_equal(ip.auth, "PLAIN");
	assert_int_equal(ip.conn.port, 993);
	imap_params_clear(&ip);
	conf_free(&c);
}

static void test_missing(void **state)
{
	(void)state;
	/* (a bad URL is refused when the rc is loaded) */
	conf_t *c = load("account a\n");
	struct conn_params p;
	char *err;
	assert_false(conn_from_conf(c, 0, CONN_IMAP, &p, &err));
	assert_string_equal(err, "imap_url is not set");
	assert_null(p.host);
	free(err);
	assert_false(conn_from_conf(c, 0, CONN_SMTP, &p, &err));
	assert_string_equal(err, "smtp_url is not set");
	free(err);
	struct imap_params ip;
	assert_false(imap_params_from_conf(c, 0, &ip, &err));
	assert_string_equal(err, "imap_url is not set");
	free(err);
	conf_free(&c);
}

/* SMTP takes the IMAP user and secrets when the login is the same, and
 * the pin only for the IMAP host. */
static void test_smtp_from_imap(void **state)
{
	(void)state;
	conf_t *c = load("account a\nset imap_url = imap://imap.example.org\nset imap_user = bob\n"
			 "set imap_pass = hunter2\nset imap_oauth_cmd = tok\nset tls_pin = " PIN "\n"
			 "set smtp_url = smtp://IMAP.example.org\n"
			 "account b\nset imap_url = imap://imap.example.org\nset imap_user = bob\nset imap_pass = hunter2\n"
			 "set tls_pin = " PIN "\nset smtp_url = smtps://carol@smtp.example.org:2465\n");
	struct conn_params p;
	char *err;
	assert_true(conn_from_conf(c, 0, CONN_SMTP, &p, &err));
	assert_int_equal(p.port, 587);
	assert_false(p.implicit_tls);
	assert_string_equal(p.user, "bob");
	assert_string_equal(p.pass, "hunter2");
	assert_string_equal(p.oauth_cmd, "tok");
	assert_string_equal(p.pass_what, "imap_oauth_cmd");
	assert_string_equal(p.pin, PIN);
	conn_params_clear(&p);
	assert_true(conn_from_conf(c, 1, CONN_SMTP, &p, &err));
	assert_int_equal(p.port, 2465);
	assert_true(p.implicit_tls);
	assert_string_equal(p.user, "carol");
	assert_null(p.pass);
	assert_null(p.pass_cmd);
	assert_string_equal(p.pass_what, "smtp_pass_cmd");
	assert_null(p.pin);
	conn_params_clear(&p);
	conf_free(&c);
}

/* The oauth_* options reach IMAP and SMTP alike (not SMTP when it has its
 * own smtp_pass_cmd, not when imap_oauth_cmd is set), survive a copy, and
 * both sessions of an account share one OAuth2 context. */
static void test_oauth(void **state)
{
	(void)state;
	char dir[] = "/tmp/test_conn.XXXXXX";
	assert_non_null(mkdtemp(dir));
	char *rc =
	    xasprintf("set data_dir = %s\nset oauth_client_id = cid\n"
		      "account a\nset imap_url = imaps://bob@outlook.office365.com\nset oauth_provider = microsoft\n"
		      "set oauth_tenant = example.org\nset smtp_url = smtp://smtp.office365.com\n"
		      "account b\nset imap_url = imaps://bob@h\nset oauth_token_url = http://127.0.0.1:1/t\n"
		      "set smtp_url = smtp://h\nset smtp_pass_cmd = x\n"
		      "account c\nset imap_url = imaps://bob@h\nset imap_oauth_cmd = tok\n",
		      dir);
	conf_t *c = load(rc);
	free(rc);
	struct conn_params p, q, s;
	char *err;
	assert_true(conn_from_conf(c, 0, CONN_IMAP, &p, &err));
	assert_string_equal(p.oauth.provider, "microsoft");
	assert_string_equal(p.oauth.client_id, "cid");
	assert_string_equal(p.oauth.tenant, "example.org");
	assert_string_equal(p.oauth.data_dir, dir);
	assert_true(conn_oauth_on(&p));
	conn_params_copy(&q, &p);
	assert_string_equal(q.oauth.tenant, "example.org");
	assert_ptr_not_equal(q.oauth.tenant, p.oauth.tenant);
	assert_true(conn_from_conf(c, 0, CONN_SMTP, &s, &err));
	assert_true(conn_oauth_on(&s));
	void *ctx = conn_oauth_ctx(&q, &err);
	assert_non_null(ctx);
	assert_ptr_equal(conn_oauth_ctx(&s, &err), ctx);
	conn_params_clear(&p);
	conn_params_clear(&q);
	conn_params_clear(&s);
	assert_true(conn_from_conf(c, 1, CONN_IMAP, &p, &err));
	assert_true(conn_oauth_on(&p));
	assert_string_equal(p.oauth.token_url, "http://127.0.0.1:1/t");
	/* no refresh token stored: a token asks for setup --reauth, and the
	 * registry remembers it for the account (the reader's question) */
	char *tok = NULL;
	bool reauth = false;
	assert_false(conn_oauth_reauth_needed("b"));
	assert_int_equal(conn_oauth_token(&p, false, &tok, &err, &reauth), CONN_SECRET_FAILED);
	assert_true(reauth);
	assert_non_null(strstr(err, "setup --reauth b"));
	free(err);
	assert_null(tok);
	assert_true(conn_oauth_reauth_needed("b"));
	assert_false(conn_oauth_reauth_needed("a"));
	/* a context of its own (the wizard's) is not the shared one */
	oauth2_t *own = conn_oauth_new(&p, &err);
	assert_non_null(own);
	assert_ptr_not_equal(own, conn_oauth_ctx(&p, &err));
	oauth2_free(&own);
	/* the global options alone */
	struct conn_oauth g = { 0 };
	conn_oauth_options(c, -1, &g);
	assert_string_equal(g.client_id, "cid");
	assert_null(g.provider);
	assert_string_equal(g.data_dir, dir);
	free(g.client_id);
	free(g.data_dir);
	assert_true(conn_from_conf(c, 1, CONN_SMTP, &s, &err));
	assert_false(conn_oauth_on(&s));
	assert_null(s.oauth.client_id);
	conn_params_clear(&p);
	conn_params_clear(&s);
	assert_true(conn_from_conf(c, 2, CONN_IMAP, &p, &err));
	assert_false(conn_oauth_on(&p));
	conn_params_clear(&p);
	conn_oauth_forget_all();
	conf_free(&c);
	char *cmd = xasprintf("rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
}

static void test_sendmail_only(void **state)
{
	(void)state;
	conf_t *c = load("account a\nset sendmail = 'msmtp -t'\naccount b\n");
	struct smtp_params sp;
	char *err;
	assert_true(smtp_params_from_conf(c, 0, &sp, &err));
	assert_string_equal(sp.sendmail, "msmtp -t");
	assert_null(sp.conn.host);
	assert_string_equal(sp.conn.label, "a");
	smtp_params_clear(&sp);
	assert_false(smtp_params_from_conf(c, 1, &sp, &err));
	assert_string_equal(err, "neither smtp_url nor sendmail is set for this account");
	free(err);
	conf_free(&c);
}

static void test_defaults(void **state)
{
	(void)state;
	assert_int_equal(conn_default_port(CONN_IMAP, true), 993);
	assert_int_equal(conn_default_port(CONN_IMAP, false), 143);
	assert_int_equal(conn_default_port(CONN_SMTP, true), 465);
	assert_int_equal(conn_default_port(CONN_SMTP, false), 587);
	struct conn_params p = { .host = (char *)"h", .port = 1, .pin = (char *)"x" };
	assert_int_equal(conn_timeout_ms(&p), 30000);
	struct tls_config t = conn_tls_config(&p, "ab", NULL);
	assert_string_equal(t.host, "h");
	assert_string_equal(t.pin, "x");
	assert_string_equal(t.accept_once, "ab");
	assert_int_equal(t.timeout_ms, 30000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_imap),
		cmocka_unit_test(test_missing),
		cmocka_unit_test(test_smtp_from_imap),
		cmocka_unit_test(test_oauth),
		cmocka_unit_test(test_sendmail_only),
		cmocka_unit_test(test_defaults),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
