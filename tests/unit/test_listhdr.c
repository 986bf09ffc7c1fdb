/* test_listhdr.c - List-* headers, mailto:, RFC 8058 one-click over HTTPS
 * against a local server (tests/unit/listhdr_fixture.sh). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "listhdr.h"
#include "testutil.h"
#include "util.h"

static void test_uris(void **state)
{
	(void)state;
	struct listhdr_uris u;
	listhdr_parse_uris("<mailto:dev-request@lists.example.org?subject=unsubscribe> (Use this),\r\n"
			   " <https://lists.example.org/unsub/\r\n abc?x=1>, <javascript alert>, <ftp:>, <no-scheme>",
			   &u);
	assert_int_equal(u.n, 2);
	assert_string_equal(u.v[0], "mailto:dev-request@lists.example.org?subject=unsubscribe");
	assert_string_equal(u.v[1], "https://lists.example.org/unsub/abc?x=1"); /* folded inside <> */
	assert_false(u.no);
	assert_string_equal(listhdr_first(&u, "HTTPS"), u.v[1]);
	assert_null(listhdr_first(&u, "http"));
	listhdr_uris_clear(&u);
	listhdr_parse_uris("NO (posting not allowed on this list)", &u);
	assert_true(u.no);
	assert_int_equal(u.n, 0);
	listhdr_parse_uris("(NO is in a comment) <mailto:list@example.org>", &u);
	assert_false(u.no);
	assert_int_equal(u.n, 1);
	listhdr_uris_clear(&u);
	listhdr_parse_uris("<mailto:a@b.c", &u); /* not closed */
	assert_int_equal(u.n, 0);
	listhdr_parse_uris(NULL, &u);
	assert_int_equal(u.n, 0);
}

static void test_list_id(void **state)
{
	(void)state;
	char *id, *name;
	assert_true(listhdr_list_id("\"Debian \\\"devel\\\"\" <Debian-Devel.lists.debian.org>", &id, &name));
	assert_string_equal(id, "debian-devel.lists.debian.org");
	assert_string_equal(name, "Debian \"devel\"");
	free(id);
	free(name);
	assert_true(listhdr_list_id("<x.example.org>", &id, NULL));
	assert_string_equal(id, "x.example.org");
	free(id);
	assert_false(listhdr_list_id("no id here", &id, &name));
	assert_false(listhdr_list_id("<bad id>", &id, &name));
}

static void test_one_click_ok(void **state)
{
	(void)state;
	struct listhdr_uris u;
	listhdr_parse_uris("<mailto:u@example.org>, <https://example.org/u?t=1>", &u);
	const char *url;
	assert_true(listhdr_one_click_ok(" List-Unsubscribe=One-Click ", &u, &url));
	assert_string_equal(url, "https://example.org/u?t=1");
	assert_false(listhdr_one_click_ok("List-Unsubscribe=One-Click; x", &u, &url));
	assert_false(listhdr_one_click_ok(NULL, &u, &url));
	listhdr_uris_clear(&u);
	listhdr_parse_uris("<http://example.org/u>", &u);
	assert_false(listhdr_one_click_ok("List-Unsubscribe=One-Click", &u, &url));
	assert_null(url);
	listhdr_uris_clear(&u);
}

static void test_mailto(void **state)
{
	(void)state;
	struct listhdr_mailto m;
	char *err = NULL;
	assert_true(listhdr_mailto_parse("MAILTO:dev-request@lists.example.org,b%40example.org?subject=un%20subscribe%0D%0ABcc:"
					 "%20evil@x.org&body=line1%0D%0Aline2&cc=c@example.org&bcc=hidden@x.org&x=y",
					 &m, &err));
	assert_int_equal(m.to.n, 2);
	assert_string_equal(m.to.v[1].mailbox, "b@example.org");
	assert_int_equal(m.cc.n, 1);
	assert_string_equal(m.subject, "un subscribe  Bcc: evil@x.org"); /* no header injection */
	assert_string_equal(m.body, "line1\nline2");
	listhdr_mailto_clear(&m);
	assert_true(listhdr_mailto_parse("mailto:?to=a@example.org&subject=x", &m, &err));
	assert_string_equal(m.to.v[0].mailbox, "a@example.org");
	listhdr_mailto_clear(&m);
	assert_false(listhdr_mailto_parse("mailto:?subject=x", &m, &err));
	assert_string_equal(err, "the mailto: address names no recipient");
	free(err);
	listhdr_mailto_clear(&m);
	assert_false(listhdr_mailto_parse("https://x", &m, &err));
	free(err);
	listhdr_mailto_clear(&m);
	assert_false(listhdr_mailto_parse("mailto:not an address", &m, &err));
	free(err);
	listhdr_mailto_clear(&m);
}

static int lines(const char *path)
{
	char *t = tu_read(path);
	int n = 0;
	for (char *c = t; c && *c; c++)
		n += *c == '\n';
	free(t);
	return n;
}

static void test_one_click_https(void **state)
{
	(void)state;
	char *dir = tu_tmpdir();
	const char *src = getenv("MUTTLIKE_SRCDIR");
	int st;
	char *out = tu_run(&st, "%s/tests/unit/listhdr_fixture.sh %s", src ? src : ".", dir);
	if (st != 0)
		fail_msg("fixture failed: %s", out);
	free(out);
	char *cmd = xasprintf("exec python3 %s/server.py %s/server.pem %s/server-key.pem %s/posts", dir, dir, dir, dir);
	FILE *srv = popen(cmd, "r");
	int port = 0, pid = 0;
	assert_int_equal(fscanf(srv, "%d %d", &port, &pid), 2); /* waits until it listens */
	char *log = xasprintf("%s/posts", dir), *ca = xasprintf("%s/ca.pem", dir);
	char *other = xasprintf("%s/other-ca.pem", dir);
	char *url = xasprintf("https://127.0.0.1:%d/unsub?id=42", port);
	char *err = NULL;
	if (!listhdr_one_click(url, ca, &err))
		fail_msg("%s", err);
	char *t = tu_read(log);
	assert_string_equal(t, "POST /unsub?id=42 application/x-www-form-urlencoded List-Unsubscribe=One-Click\n");
	free(t);
	/* an unrelated CA: the certificate is refused, nothing is posted */
	assert_false(listhdr_one_click(url, other, &err));
	assert_non_null(strstr(err, "one-click unsubscribe failed"));
	free(err);
	assert_false(listhdr_one_click(url, NULL, &err)); /* the system store does not know the test CA */
	free(err);
	/* plain http is refused before any connection */
	char *plain = xasprintf("http://127.0.0.1:%d/unsub", port);
	assert_false(listhdr_one_click(plain, ca, &err));
	assert_non_null(strstr(err, "only over HTTPS"));
	free(err);
	assert_false(listhdr_one_click("ftp://127.0.0.1/x", ca, &err));
	free(err);
	/* a redirect is not followed */
	char *redir = xasprintf("https://127.0.0.1:%d/redirect", port);
	assert_false(listhdr_one_click(redir, ca, &err));
	assert_string_equal(err, "one-click unsubscribe: the server answered HTTP 302");
	free(err);
	assert_int_equal(lines(log), 2); /* the first POST and the redirect's, no third */
	kill(pid, SIGTERM);
	pclose(srv);
	free(redir);
	free(plain);
	free(url);
	free(other);
	free(ca);
	free(log);
	free(cmd);
	tu_rmtree(dir);
	free(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uris),	     cmocka_unit_test(test_list_id),
		cmocka_unit_test(test_one_click_ok), cmocka_unit_test(test_mailto),
		cmocka_unit_test(test_one_click_https),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
