/* test_imap_dovecot.c - the session layer against the rig's real Dovecot:
 * both listeners, trusted and refused certificates, pins, mechanisms,
 * a wrong password, plaintext only when asked, and `muttlike check`. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "imap.h"
#include "log.h"
#include "testutil.h"
#include "tls.h"
#include "util.h"

static char *tmp;
static bool serving_bad_cert; /* a test switched the rig to another certificate */
static void serve_cert(const char *name);

static int setup(void **state)
{
	(void)state;
	tmp = tu_tmpdir();
	log_set_level(LOG_TRACE);
	tu_log_capture_start();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	tu_log_capture_stop();
	/* a failed assertion must not leave the next test facing a bad cert */
	if (serving_bad_cert)
		serve_cert("server");
	tu_rmtree(tmp);
	free(tmp);
	return 0;
}

/* Parameters for the rig: implicit TLS or STARTTLS, the rig's CA. */
static void params(struct imap_params *p, bool implicit, const char *host)
{
	memset(p, 0, sizeof(*p));
	tu_rig_conn(&p->conn, host ? host : tu_env("RIG_HOST"),
		    atoi(tu_env(implicit ? "RIG_IMAPS_PORT" : "RIG_IMAP_PORT")), implicit, tmp);
}

static char *cert_sha(const char *name)
{
	char *path = xasprintf("%s/%s.sha256", tu_env("RIG_CERTS"), name);
	char *s = tu_read(path);
	free(path);
	assert_non_null(s);
	s[strcspn(s, " \r\n")] = '\0';
	return s;
}

static void serve_cert(const char *name)
{
	int st;
	char *out = tu_run(&st, "%s/tests/rig/rig restart-with-cert '%s' %s", tu_env("MUTTLIKE_SRCDIR"),
			   tu_env("RIG_DIR"), name);
	if (st != 0)
		fail_msg("restart-with-cert %s: %s", name, out);
	free(out);
	serving_bad_cert = strcmp(name, "server") != 0;
}

/* Connect and log in; returns the status of the first step that failed. */
static enum imap_status run(const struct imap_params *p, imap_t **out)
{
	imap_t *m = imap_new(p);
	enum imap_status st = imap_connect(m);
	if (st == IMAP_OK)
		st = imap_login(m);
	*out = m;
	return st;
}

static bool has_folder(imap_t *m, const char *name, enum imap_special sp)
{
	struct imap_folder *f;
	size_t n;
	assert_int_equal(imap_list(m, &f, &n), IMAP_OK);
	bool found = false;
	char *want = tu_server_folder(name); /* INBOX.Sent on Cyrus's classic layout */
	for (size_t i = 0; i < n; i++)
		if (strcmp(f[i].name, want) == 0 && f[i].special == sp)
			found = true;
	free(want);
	imap_folders_free(&f, n);
	return found;
}

static void check_ok(bool implicit, const char *host)
{
	struct imap_params p;
	params(&p, implicit, host);
	imap_t *m;
	enum imap_status st = run(&p, &m);
	if (st != IMAP_OK)
		fail_msg("%s", imap_error(m));
	assert_true(*imap_tls_version(m));
	assert_string_equal(imap_auth_used(m), "PLAIN");
	assert_non_null(imap_mailimap(m));
	assert_true(imap_has_cap(m, IMAP_CAP_IDLE));
	assert_true(imap_condstore_enabled(m));
	assert_true(has_folder(m, "INBOX", IMAP_SPECIAL_INBOX));
	assert_true(has_folder(m, "Sent", IMAP_SPECIAL_SENT));
	assert_true(has_folder(m, "Trash", IMAP_SPECIAL_TRASH));
	long msgs, unseen;
	assert_int_equal(imap_status_counts(m, "INBOX", &msgs, &unseen), IMAP_OK);
	assert_true(msgs >= 0 && unseen >= 0);
	assert_null(imap_warning(m));
	imap_free(&m);
	imap_params_clear(&p);
	/* nothing secret reached the log */
	assert_null(strstr(tu_log_captured(), tu_env("RIG_PASS")));
}

static void test_imaps_trusted_ca(void **state)
{
	(void)state;
	check_ok(true, NULL);
}

static void test_starttls_trusted_ca(void **state)
{
	(void)state;
	check_ok(false, NULL);
}

static void test_host_name_and_sni(void **state)
{
	(void)state;
	check_ok(true, "localhost");
	check_ok(false, "localhost");
}

static void test_login_command(void **state)
{
	(void)state;
	struct imap_params p;
	params(&p, false, NULL);
	p.auth = xstrdup("LOGIN");
	imap_t *m;
	enum imap_status st = run(&p, &m);
	if (st != IMAP_OK)
		fail_msg("%s", imap_error(m));
	assert_string_equal(imap_auth_used(m), "LOGIN");
	imap_free(&m);
	imap_params_clear(&p);
}

static void test_pass_cmd(void **state)
{
	(void)state;
	struct imap_params p;
	params(&p, true, NULL);
	free(p.conn.pass);
	p.conn.pass = NULL;
	p.conn.pass_cmd = xasprintf("printf '%%s\\nsecond line\\n' '%s'", tu_env("RIG_PASS"));
	imap_t *m;
	enum imap_status st = run(&p, &m);
	if (st != IMAP_OK)
		fail_msg("%s", imap_error(m));
	imap_free(&m);
	free(p.conn.pass_cmd);
	p.conn.pass_cmd = xstrdup("exit 3");
	assert_int_equal(run(&p, &m), IMAP_ERR_AUTH);
	assert_non_null(strstr(imap_error(m), "imap_pass_cmd failed (exit status 3)"));
	imap_free(&m);
	imap_params_clear(&p);
}

static void test_wrong_password(void **state)
{
	(void)state;
	for (int implicit = 0; implicit < 2; implicit++) {
		struct imap_params p;
		params(&p, implicit, NULL);
		free(p.conn.pass);
		p.conn.pass = xstrdup("not-the-password");
		imap_t *m;
		assert_int_equal(run(&p, &m), IMAP_ERR_AUTH);
		/* the server's own words */
		const char *words = tu_rig_is("cyrus") ? "authentication failure" : "Authentication failed";
		assert_non_null(strstr(imap_error(m), words));
		assert_non_null(strstr(imap_error(m), "login as alice failed"));
		imap_free(&m);
		imap_params_clear(&p);
	}
}

static void test_plaintext_only_when_asked(void **state)
{
	(void)state;
	struct imap_params p;
	params(&p, false, NULL);
	p.conn.tls_none = true;
	imap_t *m;
	enum imap_status st = run(&p, &m);
	if (st != IMAP_OK)
		fail_msg("%s", imap_error(m));
	assert_string_equal(imap_tls_version(m), "");
	assert_non_null(imap_warning(m));
	assert_non_null(strstr(imap_warning(m), "plaintext"));
	imap_free(&m);
	/* the same port without tls = none goes through STARTTLS */
	p.conn.tls_none = false;
	st = run(&p, &m);
	assert_int_equal(st, IMAP_OK);
	assert_true(*imap_tls_version(m));
	imap_free(&m);
	imap_params_clear(&p);
}

static void test_system_trust_only_refuses_rig_ca(void **state)
{
	(void)state;
	for (int implicit = 0; implicit < 2; implicit++) {
		struct imap_params p;
		params(&p, implicit, NULL);
		free(p.conn.ca_file);
		p.conn.ca_file = NULL;
		imap_t *m;
		assert_int_equal(run(&p, &m), IMAP_ERR_CERT);
		assert_true(imap_cert(m)->reasons & TLS_CERT_UNTRUSTED);
		char *sha = cert_sha("server");
		assert_string_equal(imap_cert(m)->sha256, sha);
		assert_non_null(strstr(imap_error(m), sha));
		free(sha);
		imap_free(&m);
		imap_params_clear(&p);
	}
}

struct bad {
	const char *cert;
	unsigned reason;
	bool pin_heals; /* the right pin makes it acceptable */
};

static void test_bad_certificates(void **state)
{
	(void)state;
	static const struct bad bad[] = {
		{ "selfsigned", TLS_CERT_UNTRUSTED, true },
		{ "expired", TLS_CERT_EXPIRED, true },
		{ "wronghost", TLS_CERT_WRONG_HOST, true },
		{ "untrusted", TLS_CERT_UNTRUSTED, true },
		{ "cnonly", TLS_CERT_WRONG_HOST, true },
	};
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		serve_cert(bad[i].cert);
		char *sha = cert_sha(bad[i].cert);
		for (int implicit = 0; implicit < 2; implicit++) {
			struct imap_params p;
			params(&p, implicit, NULL);
			imap_t *m;
			enum imap_status st = run(&p, &m);
			if (st != IMAP_ERR_CERT)
				fail_msg("%s on %s: got %d: %s", bad[i].cert, implicit ? "993" : "143", st, imap_error(m));
			assert_true(imap_cert(m)->reasons & bad[i].reason);
			assert_string_equal(imap_cert(m)->sha256, sha);
			assert_non_null(strstr(imap_error(m), "set tls_pin = \"sha256:"));
			imap_free(&m);

			/* the right pin */
			p.conn.pin = xasprintf("sha256:%s", sha);
			st = run(&p, &m);
			if (bad[i].pin_heals && st != IMAP_OK)
				fail_msg("%s pinned: %s", bad[i].cert, imap_error(m));
			assert_true(imap_cert(m)->pinned);
			imap_free(&m);

			/* a wrong pin */
			free(p.conn.pin);
			p.conn.pin = xasprintf("sha256:%064d", 0);
			assert_int_equal(run(&p, &m), IMAP_ERR_CERT);
			assert_true(imap_cert(m)->reasons & TLS_CERT_PIN_MISMATCH);
			imap_free(&m);
			imap_params_clear(&p);
		}
		free(sha);
	}
	serve_cert("server");
}

static void test_accept_once_and_always(void **state)
{
	(void)state;
	serve_cert("selfsigned");
	char *sha = cert_sha("selfsigned");
	struct imap_params p;
	params(&p, true, NULL);
	imap_t *m = imap_new(&p);
	assert_int_equal(imap_connect(m), IMAP_ERR_CERT);
	/* accept once: the caller reconnects with the fingerprint it showed */
	imap_set_accept_once(m, imap_cert(m)->sha256);
	assert_int_equal(imap_connect(m), IMAP_OK);
	assert_int_equal(imap_login(m), IMAP_OK);
	imap_free(&m);
	/* accept always: data_dir/certs */
	char *err = NULL;
	assert_int_equal(tls_pin_file_add(p.conn.pin_file, p.conn.host, sha, &err), 0);
	m = imap_new(&p);
	assert_int_equal(imap_connect(m), IMAP_OK);
	assert_true(imap_cert(m)->pinned);
	imap_free(&m);
	/* the pin is for that host name only */
	imap_params_clear(&p);
	params(&p, true, "localhost");
	m = imap_new(&p);
	assert_int_equal(imap_connect(m), IMAP_ERR_CERT);
	imap_free(&m);
	imap_params_clear(&p);
	free(sha);
	serve_cert("server");
}

static void test_check_command(void **state)
{
	(void)state;
	for (int implicit = 0; implicit < 2; implicit++) {
		char *rc = xasprintf("set data_dir = \"%s/data\"\naccount rig\nset imap_url = \"%s://%s@%s:%s\"\n"
				     "set imap_pass = \"%s\"\nset tls_ca_file = \"%s\"\n",
				     tmp, implicit ? "imaps" : "imap", tu_env("RIG_USER"), tu_env("RIG_HOST"),
				     tu_env(implicit ? "RIG_IMAPS_PORT" : "RIG_IMAP_PORT"), tu_env("RIG_PASS"),
				     tu_env("RIG_CA"));
		char *path = tu_write(tmp, "rc", rc, 0600);
		int st;
		char *out = tu_run(&st, "'%s' -F '%s' check rig", tu_env("MUTTLIKE_BIN"), path);
		if (st != 0)
			fail_msg("check: %s", out);
		assert_non_null(strstr(out, "logged in (PLAIN)"));
		assert_non_null(strstr(out, "INBOX: "));
		assert_non_null(strstr(out, "Sent [Sent]"));
		free(out);
		/* refused: one line with the fingerprint and the pin line */
		serve_cert("wronghost");
		out = tu_run(&st, "'%s' -F '%s' check rig", tu_env("MUTTLIKE_BIN"), path);
		assert_int_equal(st, 1);
		assert_non_null(strstr(out, "certificate is for wrong.example, not 127.0.0.1"));
		assert_non_null(strstr(out, "set tls_pin = \"sha256:"));
		free(out);
		serve_cert("server");
		free(path);
		free(rc);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_imaps_trusted_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_starttls_trusted_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_host_name_and_sni, setup, teardown),
		cmocka_unit_test_setup_teardown(test_login_command, setup, teardown),
		cmocka_unit_test_setup_teardown(test_pass_cmd, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_password, setup, teardown),
		cmocka_unit_test_setup_teardown(test_plaintext_only_when_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_system_trust_only_refuses_rig_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_certificates, setup, teardown),
		cmocka_unit_test_setup_teardown(test_accept_once_and_always, setup, teardown),
		cmocka_unit_test_setup_teardown(test_check_command, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
