/* test_oauth2_dovecot.c - the built-in OAuth2 login end to end: the rig's
 * Dovecot with its oauth2 passdb asks tests/integration/oauth_provider.py
 * (introspection, RFC 7662) about every token; `muttlike sync` and the IMAP
 * login get theirs from the account's oauth_* options and the refresh
 * token in the 0600 file.  Run through tests/integration/oauth-rig
 * (OAUTH_BASE, OAUTH_STATE; the grant "rot" starts with rt-seed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "conf.h"
#include "conn.h"
#include "imap.h"
#include "smtp.h"
#include "testutil.h"
#include "util.h"

static char *tmp, *data, *rcfile;

static char *ml(int *st, const char *args)
{
	return tu_run(st, "'%s' -F '%s' %s 2>&1", tu_env("MUTTLIKE_BIN"), rcfile, args);
}

/* The provider's counter name from its state file. */
static long provider_count(const char *name)
{
	char *s = tu_read(tu_env("OAUTH_STATE"));
	assert_non_null(s);
	char *key = xasprintf("\"%s\": ", name);
	char *p = strstr(s, key);
	assert_non_null(p);
	long v = strtol(p + strlen(key), NULL, 10);
	free(key);
	free(s);
	return v;
}

/* POST name=value to the provider (python: no curl binary needed). */
static void provider_post(const char *path, const char *name, const char *value)
{
	int st;
	char *out = tu_run(&st,
			   "python3 -c 'import sys,urllib.request,urllib.parse; urllib.request.urlopen(sys.argv[1], "
			   "urllib.parse.urlencode({sys.argv[2]: sys.argv[3]}).encode()).read()' '%s%s' '%s' '%s' 2>&1",
			   tu_env("OAUTH_BASE"), path, name, value);
	assert_int_equal(st, 0);
	free(out);
}

/* One IMAP login in this process, through the shared per-account context. */
static void login_once(const conf_t *c)
{
	struct imap_params p;
	char *err = NULL;
	assert_true(imap_params_from_conf(c, 0, &p, &err));
	imap_t *m = imap_new(&p);
	imap_params_clear(&p);
	assert_int_equal(imap_connect(m), IMAP_OK);
	if (imap_login(m) != IMAP_OK)
		fail_msg("login: %s", imap_error(m));
	imap_free(&m);
}

/* SMTP with the account's OAuth2 settings, implicit TLS on 127.0.0.1:port. */
static void smtp_params_at(const conf_t *c, const char *port, struct smtp_params *p)
{
	char *err = NULL;
	assert_true(conn_from_conf(c, 0, CONN_IMAP, &p->conn, &err));
	p->conn.port = atoi(port);
	p->conn.implicit_tls = true;
}

/* SMTP of the same account, on tests/integration/smtp_scripted.py's
 * oauth-retry (implicit TLS with the rig's certificate): the token the
 * IMAP login left in the shared context is refused once, refreshed,
 * and the second AUTH is accepted. */
static void smtp_once(const conf_t *c)
{
	char *portfile = xasprintf("%s/smtp.port", tmp), *recfile = xasprintf("%s/smtp.rec", tmp);
	const char *src = getenv("MUTTLIKE_SRCDIR");
	int st;
	free(tu_run(&st, "python3 %s/tests/integration/smtp_scripted.py oauth-retry %s %s %s/server.pem "
			 "%s/server-key.pem >%s/smtp.log 2>&1 &",
		    src && *src ? src : ".", portfile, recfile, tu_env("RIG_CERTS"), tu_env("RIG_CERTS"), tmp));
	char *txt = NULL;
	for (int i = 0; i < 1200 && !(txt = tu_read(portfile)); i++) /* the server writes it when listening */
		usleep(25000);
	assert_non_null(txt);
	struct smtp_params p = { 0 };
	smtp_params_at(c, txt, &p);
	free(txt);
	smtp_t *s = smtp_new(&p);
	if (smtp_connect(s) != SMTP_OK || smtp_login(s) != SMTP_OK)
		fail_msg("SMTP: %s", smtp_error(s));
	smtp_free(&s);
	smtp_params_clear(&p);
	char *rec = NULL;
	for (int i = 0; i < 1200 && !(rec = tu_read(recfile)); i++) /* written when the client has gone */
		usleep(25000);
	assert_non_null(rec);
	char *second = strstr(rec, "AUTH ");
	assert_non_null(second);
	assert_non_null(strstr(second + 5, "AUTH ")); /* refused once, then accepted */
	free(rec);
	free(portfile);
	free(recfile);
}

/* sync works; an access token the server stops accepting is refreshed
 * once and the login goes on, for IMAP and SMTP; a revoked grant ends sync with exit 1 and
 * one line naming `muttlike setup --reauth`, which then works. */
static void test_sync_expire_revoke(void **state)
{
	(void)state;
	int st;
	char *out = ml(&st, "sync");
	if (st != 0)
		fail_msg("sync: %s", out);
	free(out);
	assert_int_equal(provider_count("refresh_ok"), 1);

	conf_t *c = conf_new();
	char *text = tu_read(rcfile);
	conf_load_string(c, rcfile, text);
	free(text);
	assert_int_equal(conf_error_count(c), 0);
	login_once(c);
	assert_int_equal(provider_count("refresh_ok"), 2);
	login_once(c); /* the token in memory serves again: no refresh */
	assert_int_equal(provider_count("refresh_ok"), 2);
	provider_post("/expire", "all", "1");
	login_once(c); /* refused by Dovecot, refreshed once, accepted */
	assert_int_equal(provider_count("refresh_ok"), 3);
	smtp_once(c);
	assert_int_equal(provider_count("refresh_ok"), 4);
	conn_oauth_forget_all();
	conf_free(&c);

	char *file = xasprintf("%s/oauth2/test.token", data);
	struct stat sb;
	assert_int_equal(stat(file, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	char *rt = tu_read(file);
	assert_non_null(rt);
	rt[strcspn(rt, "\r\n")] = '\0';
	assert_string_not_equal(rt, "rt-seed"); /* rotated and written back */
	provider_post("/revoke", "token", rt);
	free(rt);
	free(file);
	out = ml(&st, "sync");
	if (st != 1)
		fail_msg("sync after the revocation: exit %d: %s", st, out);
	assert_non_null(strstr(out, "run: muttlike setup --reauth test"));
	assert_null(strchr(out, '\n') ? strchr(strchr(out, '\n') + 1, '\n') : NULL); /* one line */
	free(out);

	/* the line's advice: the device grant (the provider answers at the
	 * first poll), a new refresh token stored, sync works again */
	out = ml(&st, "setup --reauth test </dev/null");
	if (st != 0)
		fail_msg("setup --reauth: %s", out);
	assert_non_null(strstr(out, "https://provider.test/device"));
	assert_non_null(strstr(out, "WDJB-MJHT"));
	assert_non_null(strstr(out, "test: authorized again"));
	free(out);
	out = ml(&st, "sync");
	if (st != 0)
		fail_msg("sync after setup --reauth: %s", out);
	free(out);
}

/* Postfix submission (tests/integration/smtp-rig) authenticating through
 * the rig's Dovecot auth socket, so its oauth2 passdb judges the SMTP
 * token too: a send with an access token expired at the provider is
 * refused once, refreshed, accepted and delivered. */
static void test_postfix_submission(void **state)
{
	(void)state;
	const char *src = getenv("MUTTLIKE_SRCDIR");
	char *smtp_dir = xasprintf("%s/smtp", tmp);
	chmod(tmp, 0755); /* Postfix runs as its own user and must reach smtp_dir */
	int st;
	char *out = tu_run(&st, "SMTP_RIG_DOVECOT_SASL='%s' %s/tests/integration/smtp-rig start %s %d 2>&1",
			   tu_env("RIG_AUTH_SOCKET"), src && *src ? src : ".", smtp_dir, (int)getpid());
	if (st != 0)
		fail_msg("smtp-rig: %s", out);
	free(out);
	char *port = tu_run(&st, ". %s/smtp.env && printf %%s \"$SMTPS_PORT\"", smtp_dir);

	conf_t *c = conf_new();
	char *text = tu_read(rcfile);
	conf_load_string(c, rcfile, text);
	free(text);
	struct smtp_params p = { 0 };
	smtp_params_at(c, port, &p);
	free(port);
	login_once(c); /* a valid access token in the shared context */
	long before = provider_count("refresh_ok");
	provider_post("/expire", "all", "1");
	static const char msg[] = "From: alice@example.org\r\nTo: bob@example.org\r\nSubject: oauth via postfix\r\n"
				  "Message-ID: <postfix-oauth@example.org>\r\n\r\nhello\r\n";
	char *rcpts[] = { "bob@example.org", NULL };
	smtp_t *s = smtp_new(&p);
	enum smtp_status r = smtp_deliver(s, "alice@example.org", rcpts, msg, strlen(msg));
	if (r != SMTP_OK)
		fail_msg("send through Postfix: %s", smtp_error(s));
	smtp_free(&s);
	smtp_params_clear(&p);
	assert_int_equal(provider_count("refresh_ok"), before + 1); /* refused once, refreshed */
	char *found = NULL;
	for (int i = 0; i < 400 && !(found && *found); i++) { /* Postfix delivers asynchronously */
		free(found);
		found = tu_run(&st, "grep -rl 'Subject: oauth via postfix' %s/vmail/all 2>/dev/null", smtp_dir);
		if (!*found)
			usleep(50000);
	}
	assert_true(found && *found);
	free(found);
	conn_oauth_forget_all();
	conf_free(&c);
	free(tu_run(&st, "%s/tests/integration/smtp-rig stop %s", src && *src ? src : ".", smtp_dir));
	free(smtp_dir);
}

/* Two processes refreshing at the same moment (`muttlike -d sync` and
 * `muttlike -d check`, each without an access token) against a provider
 * that rotates the refresh token at every use: both log in, neither
 * refresh is refused (a lost rotation would be: the provider knows only
 * the newest token), the file holds the newest rotation, and no token of
 * the provider (rt-/at- and 16 characters) is in any other file under
 * data_dir, the debug log included. */
static void test_two_processes_rotate(void **state)
{
	(void)state;
	char *file = xasprintf("%s/oauth2/test.token", data);
	char *old = tu_read(file);
	assert_non_null(old);
	long ok = provider_count("refresh_ok"), refused = provider_count("refresh_refused");
	int st;
	char *out = tu_run(&st,
			   "M='%s'; R='%s'; D='%s'; "
			   "( \"$M\" -F \"$R\" -d sync >\"$D/p1.out\" 2>&1; echo $? >\"$D/p1.st\" ) & "
			   "( \"$M\" -F \"$R\" -d check >\"$D/p2.out\" 2>&1; echo $? >\"$D/p2.st\" ) & wait; "
			   "cat \"$D/p1.st\" \"$D/p2.st\" \"$D/p1.out\" \"$D/p2.out\"",
			   tu_env("MUTTLIKE_BIN"), rcfile, tmp);
	if (strncmp(out, "0\n0\n", 4) != 0)
		fail_msg("two processes: %s", out);
	free(out);
	assert_int_equal(provider_count("refresh_ok"), ok + 2);
	assert_int_equal(provider_count("refresh_refused"), refused);
	char *rt = tu_read(file);
	assert_non_null(rt);
	assert_string_not_equal(rt, old);
	/* the file's token is the one the provider has now */
	char *cur = tu_run(&st,
			   "python3 -c 'import json,sys; "
			   "print(\" \".join(json.load(open(sys.argv[1]))[\"grants\"].values()))' '%s'",
			   tu_env("OAUTH_STATE"));
	assert_non_null(strstr(cur, rt));
	free(cur);
	char *log = xasprintf("%s/log", data);
	struct stat sb;
	assert_int_equal(stat(log, &sb), 0); /* -d wrote its debug log there */
	assert_true(sb.st_size > 0);
	free(log);
	free(tu_run(&st, "grep -qE '(rt|at)-[A-Za-z0-9_-]{16}' '%s'", file));
	assert_int_equal(st, 0); /* the pattern finds a token where there is one */
	char *leaks =
	    tu_run(&st, "grep -rlE '(rt|at)-[A-Za-z0-9_-]{16}' '%s' '%s' | grep -vxF '%s'", data, rcfile, file);
	if (*leaks)
		fail_msg("a token outside its store: %s", leaks);
	free(leaks);
	free(rt);
	free(old);
	free(file);
}

static int setup(void **state)
{
	(void)state;
	tmp = tu_tmpdir();
	data = xasprintf("%s/data", tmp);
	char *dir = xasprintf("%s/oauth2", data);
	assert_int_equal(util_mkdirs(dir, 0700), 0);
	free(tu_write(dir, "test.token", "rt-seed", 0600));
	free(dir);
	char *rc = xasprintf("set data_dir = \"%s\"\naccount test\nset imap_url = \"imaps://%s@%s:%s\"\n"
			     "set tls_ca_file = \"%s\"\nset oauth_client_id = rot\nset oauth_token_url = \"%s/token\"\n"
			     "set oauth_device_url = \"%s/device\"\n",
			     data, tu_env("RIG_USER"), tu_env("RIG_HOST"), tu_env("RIG_IMAPS_PORT"), tu_env("RIG_CA"),
			     tu_env("OAUTH_BASE"), tu_env("OAUTH_BASE"));
	rcfile = tu_write(tmp, "test.rc", rc, 0600);
	free(rc);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_rmtree(tmp);
	free(tmp);
	free(data);
	free(rcfile);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sync_expire_revoke),
		cmocka_unit_test(test_postfix_submission),
		cmocka_unit_test(test_two_processes_rotate),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
