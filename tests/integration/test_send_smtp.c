/* test_send_smtp.c - src/smtp against a real Postfix on loopback
 * (tests/integration/smtp-rig: STARTTLS-required submission, implicit TLS,
 * a listener without STARTTLS, Cyrus AUTH), plus a scripted server for the
 * two cases no real server produces (data injected after STARTTLS, OAuth).
 * Runs inside tests/rig/with-rig for the certificates. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compose.h"
#include "log.h"
#include "mime.h"
#include "smtp.h"
#include "testutil.h"
#include "util.h"

static char *tmp, *smtp_dir, *maildir;
static int sub_port, smtps_port, notls_port;

static const char *srcdir(void)
{
	const char *s = getenv("MUTTLIKE_SRCDIR");
	return s && *s ? s : ".";
}

static int env_port(const char *name)
{
	int st;
	char *out = tu_run(&st, ". %s/smtp.env && printf %%s \"$%s\"", smtp_dir, name);
	int port = atoi(out);
	free(out);
	return port;
}

static int group_setup(void **state)
{
	(void)state;
	tmp = tu_tmpdir();
	chmod(tmp, 0755); /* Postfix runs as its own user and must reach smtp_dir */
	smtp_dir = xasprintf("%s/smtp", tmp);
	int st;
	char *out = tu_run(&st, "%s/tests/integration/smtp-rig start %s %d", srcdir(), smtp_dir, (int)getpid());
	if (st != 0) {
		fprintf(stderr, "smtp-rig failed: %s\n", out);
		free(out);
		return -1;
	}
	free(out);
	sub_port = env_port("SMTP_SUBMISSION_PORT");
	smtps_port = env_port("SMTPS_PORT");
	notls_port = env_port("SMTP_NOTLS_PORT");
	maildir = xasprintf("%s/vmail/all", smtp_dir);
	log_set_level(LOG_TRACE);
	tu_log_capture_start();
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	tu_log_capture_stop();
	int st;
	free(tu_run(&st, "%s/tests/integration/smtp-rig stop %s", srcdir(), smtp_dir));
	if (!getenv("KEEP_TMP"))
		tu_rmtree(tmp);
	free(tmp);
	free(smtp_dir);
	free(maildir);
	return 0;
}

static void params(struct smtp_params *p, int port, bool implicit)
{
	memset(p, 0, sizeof(*p));
	tu_rig_conn(&p->conn, "localhost", port, implicit, tmp);
}

/* A message from alice to bob with a marker in the subject. */
static compose_t *message(const char *marker)
{
	static const struct compose_identity id = { .from = "Alice <alice@example.org>" };
	compose_t *c;
	char *err = NULL;
	assert_int_equal(compose_build(COMPOSE_NEW, NULL, &id, &c, &err), COMPOSE_OK);
	assert_true(compose_set_addrs(c, CF_TO, "Bob <bob@example.org>", &err));
	assert_true(compose_set_addrs(c, CF_BCC, "carol@example.com", &err));
	char *subj = xasprintf("%s gr\xc3\xbc\xc3\x9f" "e", marker);
	compose_set_subject(c, subj);
	free(subj);
	compose_set_body(c, "Hello Bob,\n.\nline after a lone dot\n\xe2\x82\xac 5\n");
	compose_attach_data(c, "r\xc3\xa9sum\xc3\xa9.txt", "text/plain", "cv\n", 3);
	return c;
}

/* Send c through p; returns the status. */
static enum smtp_status send_with(const struct smtp_params *p, const compose_t *c, smtp_t **keep)
{
	char *msg, *err = NULL, *from, **rcpts;
	size_t len;
	assert_int_equal(compose_render(c, NULL, false, &msg, &len, &err), COMPOSE_OK);
	assert_int_equal(compose_envelope(c, &from, &rcpts, &err), COMPOSE_OK);
	smtp_t *s = smtp_new(p);
	enum smtp_status st = smtp_deliver(s, from, rcpts, msg, len);
	free(msg);
	free(from);
	compose_strv_free(&rcpts);
	if (keep)
		*keep = s;
	else
		smtp_free(&s);
	return st;
}

/* Wait (30 s at most) for a delivered file holding needle; returns its contents. */
static char *wait_delivery(const char *needle, int expect)
{
	for (int i = 0; i < 600; i++) {
		char *dir = xasprintf("%s/new", maildir);
		DIR *d = opendir(dir);
		int found = 0;
		char *hit = NULL;
		for (struct dirent *e; d && (e = readdir(d));) {
			if (e->d_name[0] == '.')
				continue;
			char *path = xasprintf("%s/%s", dir, e->d_name);
			char *text = tu_read(path);
			free(path);
			if (text && strstr(text, needle)) {
				found++;
				free(hit);
				hit = text;
			} else {
				free(text);
			}
		}
		if (d)
			closedir(d);
		free(dir);
		if (found >= expect && hit)
			return hit;
		free(hit);
		usleep(50000);
	}
	return NULL;
}

/* Is a file holding needle delivered already?  (No waiting: for "not
 * delivered" right after a refusal, which never connected to DATA.) */
static char *wait_delivery_quick(const char *needle)
{
	char *dir = xasprintf("%s/new", maildir);
	DIR *d = opendir(dir);
	char *hit = NULL;
	for (struct dirent *e; d && (e = readdir(d)) && !hit;) {
		if (e->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, e->d_name);
		char *text = tu_read(path);
		free(path);
		if (text && strstr(text, needle))
			hit = text;
		else
			free(text);
	}
	if (d)
		closedir(d);
	free(dir);
	return hit;
}

static void test_starttls_plain(void **state)
{
	(void)state;
	struct smtp_params p;
	params(&p, sub_port, false);
	compose_t *c = message("T1-starttls");
	smtp_t *s;
	enum smtp_status st = send_with(&p, c, &s);
	if (st != SMTP_OK)
		fail_msg("send: %s", smtp_error(s));
	assert_string_equal(smtp_auth_used(s), "PLAIN");
	assert_true(strncmp(smtp_tls_version(s), "TLS1.", 5) == 0);
	smtp_free(&s);
	/* delivered to bob and carol (Bcc), headers intact, Bcc not among them */
	char *got = wait_delivery("T1-starttls", 1);
	assert_non_null(got);
	mime_msg_t *m;
	assert_int_equal(mime_msg_parse(got, strlen(got), &m), MIME_OK);
	assert_string_equal(mime_msg_header(m, MIME_H_SUBJECT), "T1-starttls gr\xc3\xbc\xc3\x9f" "e");
	assert_string_equal(mime_msg_header(m, MIME_H_MESSAGE_ID), compose_message_id(c));
	assert_null(mime_msg_header_named(m, "Bcc"));
	assert_int_equal(mime_msg_attachment_count(m), 2);
	assert_string_equal(mime_msg_attachment(m, 1)->filename, "r\xc3\xa9sum\xc3\xa9.txt");
	char *body;
	size_t bl;
	assert_int_equal(mime_part_decode(mime_msg_attachment(m, 0)->part, &body, &bl), MIME_OK);
	assert_non_null(strstr(body, "\r\n.\r\nline after a lone dot\r\n\xe2\x82\xac 5"));
	free(body);
	mime_msg_free(&m);
	free(got);
	got = wait_delivery("T1-starttls", 2);
	assert_non_null(got);
	free(got);
	/* the password never reached the trace */
	assert_null(strstr(tu_log_captured(), tu_env("RIG_PASS")));
	compose_free(&c);
	smtp_params_clear(&p);
}

static void test_smtps_login(void **state)
{
	(void)state;
	struct smtp_params p;
	params(&p, smtps_port, true);
	p.only_mech = SMTP_MECH_LOGIN;
	compose_t *c = message("T2-smtps");
	smtp_t *s;
	enum smtp_status st = send_with(&p, c, &s);
	if (st != SMTP_OK)
		fail_msg("send: %s", smtp_error(s));
	assert_string_equal(smtp_auth_used(s), "LOGIN");
	smtp_free(&s);
	char *got = wait_delivery("T2-smtps", 1);
	assert_non_null(got);
	free(got);
	compose_free(&c);
	smtp_params_clear(&p);
}

static void test_wrong_password(void **state)
{
	(void)state;
	struct smtp_params p;
	params(&p, sub_port, false);
	free(p.conn.pass);
	p.conn.pass = xstrdup("not-the-password");
	compose_t *c = message("T3-wrongpw");
	smtp_t *s;
	assert_int_equal(send_with(&p, c, &s), SMTP_ERR_AUTH);
	assert_non_null(strstr(smtp_error(s), "login as alice refused"));
	assert_false(smtp_status_retryable(SMTP_ERR_AUTH));
	smtp_free(&s);
	compose_free(&c);
	smtp_params_clear(&p);
}

/* Port without STARTTLS: refused before any credential is sent. */
static void test_no_starttls(void **state)
{
	(void)state;
	struct smtp_params p;
	params(&p, notls_port, false);
	compose_t *c = message("T4-nostarttls");
	smtp_t *s;
	assert_int_equal(send_with(&p, c, &s), SMTP_ERR_INSECURE);
	assert_non_null(strstr(smtp_error(s), "does not offer STARTTLS"));
	smtp_free(&s);
	assert_null(strstr(tu_log_captured(), "smtp > AUTH"));
	/* tls = none is an explicit choice: then it works, in plaintext */
	p.conn.tls_none = true;
	enum smtp_status st = send_with(&p, c, &s);
	if (st != SMTP_OK)
		fail_msg("send: %s", smtp_error(s));
	assert_string_equal(smtp_tls_version(s), "");
	smtp_free(&s);
	compose_free(&c);
	smtp_params_clear(&p);
}

/* An untrusted certificate is refused with its fingerprint; accepted once
 * by that fingerprint it works. */
static void test_certificate(void **state)
{
	(void)state;
	struct smtp_params p;
	params(&p, smtps_port, true);
	xfree(&p.conn.ca_file);
	compose_t *c = message("T5-cert");
	smtp_t *s;
	assert_int_equal(send_with(&p, c, &s), SMTP_ERR_CERT);
	const struct tls_cert_info *ci = smtp_cert(s);
	assert_non_null(ci);
	assert_true(ci->reasons & TLS_CERT_UNTRUSTED);
	char *sha = xstrdup(ci->sha256);
	smtp_free(&s);
	char *msg, *err = NULL, *from, **rcpts;
	size_t len;
	assert_int_equal(compose_render(c, NULL, false, &msg, &len, &err), COMPOSE_OK);
	assert_int_equal(compose_envelope(c, &from, &rcpts, &err), COMPOSE_OK);
	s = smtp_new(&p);
	smtp_set_accept_once(s, sha);
	enum smtp_status st = smtp_deliver(s, from, rcpts, msg, len);
	if (st != SMTP_OK)
		fail_msg("send: %s", smtp_error(s));
	smtp_free(&s);
	free(msg);
	free(from);
	compose_strv_free(&rcpts);
	free(sha);
	compose_free(&c);
	smtp_params_clear(&p);
}

/* The front end's decision (smtp_set_ask_cert): asked once with the
 * refused certificate; false leaves it refused, true connects again with
 * it trusted, and later connects of the session do not ask again. */
struct cert_asks {
	int calls;
	bool answer;
	char sha[65];
};
static bool ask_cert(void *ud, const struct tls_cert_info *ci)
{
	struct cert_asks *a = ud;
	a->calls++;
	assert_true(ci->reasons & TLS_CERT_UNTRUSTED);
	memcpy(a->sha, ci->sha256, sizeof(a->sha));
	return a->answer;
}

static void test_certificate_ask(void **state)
{
	(void)state;
	struct smtp_params p;
	params(&p, sub_port, false); /* STARTTLS */
	xfree(&p.conn.ca_file);
	compose_t *c = message("T5b-ask");
	char *msg, *err = NULL, *from, **rcpts;
	size_t len;
	assert_int_equal(compose_render(c, NULL, false, &msg, &len, &err), COMPOSE_OK);
	assert_int_equal(compose_envelope(c, &from, &rcpts, &err), COMPOSE_OK);
	struct cert_asks no = { .answer = false }, yes = { .answer = true };
	smtp_t *s = smtp_new(&p);
	smtp_set_ask_cert(s, ask_cert, &no);
	assert_int_equal(smtp_deliver(s, from, rcpts, msg, len), SMTP_ERR_CERT);
	assert_int_equal(no.calls, 1);
	assert_non_null(strstr(smtp_error(s), "SHA256"));
	assert_null(wait_delivery_quick("T5b-ask"));
	smtp_free(&s);
	s = smtp_new(&p);
	smtp_set_ask_cert(s, ask_cert, &yes);
	enum smtp_status st = smtp_deliver(s, from, rcpts, msg, len);
	if (st != SMTP_OK)
		fail_msg("send: %s", smtp_error(s));
	assert_int_equal(yes.calls, 1);
	assert_string_equal(yes.sha, no.sha);
	st = smtp_deliver(s, from, rcpts, msg, len);
	if (st != SMTP_OK)
		fail_msg("second send: %s", smtp_error(s));
	assert_int_equal(yes.calls, 1); /* trusted for the session's later connects */
	char *got = wait_delivery("T5b-ask", 2);
	assert_non_null(got);
	free(got);
	smtp_free(&s);
	free(msg);
	free(from);
	compose_strv_free(&rcpts);
	compose_free(&c);
	smtp_params_clear(&p);
}

/* Without AUTH the server refuses to relay: a permanent rejection that
 * names the recipient. */
static void test_rejected(void **state)
{
	(void)state;
	struct smtp_params p;
	params(&p, sub_port, false);
	xfree(&p.conn.user);
	compose_t *c = message("T6-reject");
	smtp_t *s;
	assert_int_equal(send_with(&p, c, &s), SMTP_ERR_REJECTED);
	assert_non_null(strstr(smtp_error(s), "refused the recipient <bob@example.org>"));
	smtp_free(&s);
	compose_free(&c);
	smtp_params_clear(&p);
}

static char *scripted(const char *scenario, int *port, char **recfile)
{
	char *portfile = xasprintf("%s/%s.port", tmp, scenario);
	*recfile = xasprintf("%s/%s.rec", tmp, scenario);
	unlink(portfile);
	unlink(*recfile);
	int st;
	free(tu_run(&st, "python3 %s/tests/integration/smtp_scripted.py %s %s %s %s/server.pem %s/server-key.pem "
			 ">%s/%s.log 2>&1 &",
		    srcdir(), scenario, portfile, *recfile, tu_env("RIG_CERTS"), tu_env("RIG_CERTS"), tmp, scenario));
	char *txt = NULL;
	for (int i = 0; i < 1200 && !(txt = tu_read(portfile)); i++) /* 30 s */
		usleep(25000);
	assert_non_null(txt);
	*port = atoi(txt);
	free(txt);
	return portfile;
}

static char *wait_record(const char *recfile)
{
	char *rec = NULL;
	for (int i = 0; i < 1200 && !(rec = tu_read(recfile)); i++) /* 30 s */
		usleep(25000);
	assert_non_null(rec);
	return rec;
}

/* hostile-cases server 1 for SMTP: bytes after the 220 to STARTTLS. */
static void test_starttls_injection(void **state)
{
	(void)state;
	int port;
	char *rec_path;
	char *pf = scripted("inject", &port, &rec_path);
	struct smtp_params p;
	params(&p, port, false);
	smtp_t *s = smtp_new(&p);
	assert_int_equal(smtp_connect(s), SMTP_ERR_INSECURE);
	assert_non_null(strstr(smtp_error(s), "after its STARTTLS response"));
	smtp_free(&s);
	char *rec = wait_record(rec_path);
	/* nothing after STARTTLS: no handshake bytes, no AUTH */
	const char *after = strstr(rec, "plain: STARTTLS");
	assert_non_null(after);
	assert_null(strchr(after + strlen("plain: STARTTLS\n"), ':'));
	assert_null(strstr(rec, "AUTH"));
	free(rec);
	free(rec_path);
	free(pf);
	smtp_params_clear(&p);
}

static void test_oauth(void **state)
{
	(void)state;
	for (int k = 0; k < 2; k++) {
		int port;
		char *rec_path;
		char *pf = scripted("oauth", &port, &rec_path);
		struct smtp_params p;
		params(&p, port, true);
		xfree(&p.conn.pass);
		p.conn.oauth_cmd = xstrdup("echo tok3n");
		p.only_mech = k ? SMTP_MECH_XOAUTH2 : 0;
		smtp_t *s = smtp_new(&p);
		enum smtp_status st = smtp_connect(s);
		if (st != SMTP_OK) {
			fail_msg("connect: %s", smtp_error(s));
		}
		st = smtp_login(s);
		if (st != SMTP_OK)
			fail_msg("login: %s", smtp_error(s));
		assert_string_equal(smtp_auth_used(s), k ? "XOAUTH2" : "OAUTHBEARER");
		smtp_free(&s);
		char *rec = wait_record(rec_path);
		assert_null(strstr(tu_log_captured(), "tok3n"));
		free(rec);
		free(rec_path);
		free(pf);
		smtp_params_clear(&p);
	}
}

static void test_sendmail(void **state)
{
	(void)state;
	char *out = xasprintf("%s/sendmail.out", tmp);
	char *cmd = xasprintf("f() { printf '%%s\\n' \"$@\" > %s.args; cat > %s; }; f", out, out);
	char *rcpts[] = { (char *)"bob@example.org", (char *)"-oQ@example.org", NULL };
	char *err = NULL;
	assert_int_equal(smtp_sendmail(cmd, rcpts, "Subject: x\r\n\r\nbody\r\n", 20, &err), SMTP_OK);
	char *got = tu_read(out);
	assert_string_equal(got, "Subject: x\n\nbody\n");
	free(got);
	char *args_path = xasprintf("%s.args", out);
	got = tu_read(args_path);
	/* "--" first, then each address as its own argument, never re-parsed */
	assert_string_equal(got, "--\nbob@example.org\n-oQ@example.org\n");
	free(got);
	free(args_path);
	char *bad[] = { (char *)"x@y.org; rm -rf /", NULL };
	assert_int_equal(smtp_sendmail(cmd, bad, "x", 1, &err), SMTP_ERR_REJECTED);
	free(err);
	assert_int_equal(smtp_sendmail("echo oops >&2; exit 3", rcpts, "x", 1, &err), SMTP_ERR_SENDMAIL);
	assert_non_null(strstr(err, "exit 3"));
	assert_non_null(strstr(err, "oops"));
	free(err);
	free(cmd);
	free(out);
}

static void test_parse_auth(void **state)
{
	(void)state;
	assert_int_equal(smtp_parse_auth("smtp.example\nPIPELINING\nAUTH PLAIN LOGIN XOAUTH2\n8BITMIME\n"),
			 SMTP_MECH_PLAIN | SMTP_MECH_LOGIN | SMTP_MECH_XOAUTH2);
	assert_int_equal(smtp_parse_auth("x\nAUTH=LOGIN\n"), SMTP_MECH_LOGIN);
	assert_int_equal(smtp_parse_auth("x\nAUTHPLAIN\nX-AUTH PLAIN\n"), 0);
	assert_int_equal(smtp_parse_auth(NULL), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_auth),
		cmocka_unit_test(test_starttls_plain),
		cmocka_unit_test(test_smtps_login),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_no_starttls),
		cmocka_unit_test(test_certificate),
		cmocka_unit_test(test_certificate_ask),
		cmocka_unit_test(test_rejected),
		cmocka_unit_test(test_starttls_injection),
		cmocka_unit_test(test_oauth),
		cmocka_unit_test(test_sendmail),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
