/* test_discover.c - discovery's parsers and checks, no network: addresses,
 * host names, URLs, autoconfig XML (good and hostile), SRV and MX packets. */
#include <arpa/nameser.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "discover.h"
#include "testutil.h"
#include "util.h"

static void test_email_split(void **state)
{
	(void)state;
	char *l, *d, *err = NULL;
	assert_true(disc_email_split("Alice.B+tag@Example.ORG", &l, &d, &err));
	assert_string_equal(l, "Alice.B+tag");
	assert_string_equal(d, "example.org");
	free(l);
	free(d);
	static const char *const bad[] = { "", "alice", "@example.org", "alice@", "alice@localhost",
					   "a b@example.org", "alice@exa mple.org", "alice@-x.org",
					   "alice@example..org", "alice@example.org.", "al\"ice@example.org",
					   "alice@ex;ample.org" };
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		assert_false(disc_email_split(bad[i], &l, &d, &err));
		assert_null(l);
		assert_non_null(err);
		free(err);
		err = NULL;
	}
}

static void test_hostname(void **state)
{
	(void)state;
	assert_true(disc_hostname_ok("imap.example.org"));
	assert_true(disc_hostname_ok("localhost"));
	assert_false(disc_hostname_ok("imap.example.org;rm -rf"));
	assert_false(disc_hostname_ok("a/b"));
	assert_false(disc_hostname_ok(""));
	assert_false(disc_hostname_ok(NULL));
	char long_label[80];
	memset(long_label, 'a', 64);
	strcpy(long_label + 64, ".org");
	assert_false(disc_hostname_ok(long_label));
}

static void test_url(void **state)
{
	(void)state;
	struct disc_server s = { .proto = DISC_IMAP, .host = "imap.example.org", .port = 993, .sec = DISC_SEC_TLS };
	char *u = disc_server_url(&s, "alice@example.org");
	assert_string_equal(u, "imaps://alice%40example.org@imap.example.org");
	free(u);
	s.sec = DISC_SEC_STARTTLS;
	s.port = 1143;
	u = disc_server_url(&s, NULL);
	assert_string_equal(u, "imap://imap.example.org:1143");
	free(u);
	s.proto = DISC_SMTP;
	s.port = 587;
	u = disc_server_url(&s, "bob");
	assert_string_equal(u, "smtp://bob@imap.example.org");
	free(u);
}

static const char good_xml[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	"<clientConfig version=\"1.1\">\n"
	" <emailProvider id=\"example.org\">\n"
	"  <domain>example.org</domain>\n"
	"  <incomingServer type=\"pop3\"><hostname>pop.example.org</hostname><port>995</port>"
	"<socketType>SSL</socketType></incomingServer>\n"
	"  <incomingServer type=\"imap\">\n"
	"   <hostname> imap.example.org </hostname>\n"
	"   <port>993</port>\n"
	"   <socketType>SSL</socketType>\n"
	"   <username>%EMAILADDRESS%</username>\n"
	"   <authentication>password-cleartext</authentication>\n"
	"  </incomingServer>\n"
	"  <incomingServer type=\"imap\">\n"
	"   <hostname>imap.example.org</hostname><port>143</port><socketType>STARTTLS</socketType>\n"
	"   <username>%EMAILLOCALPART%-at-%EMAILDOMAIN%</username>\n"
	"   <authentication>OAuth2</authentication>\n"
	"  </incomingServer>\n"
	"  <outgoingServer type=\"smtp\">\n"
	"   <hostname>smtp.example.org</hostname><port>587</port><socketType>STARTTLS</socketType>\n"
	"   <username>%EMAILADDRESS%</username>\n"
	"  </outgoingServer>\n"
	" </emailProvider>\n"
	"</clientConfig>\n";

static void free_list(struct disc_server *l, long n)
{
	for (long i = 0; i < n; i++)
		disc_server_clear(&l[i]);
	free(l);
}

static void test_autoconfig_good(void **state)
{
	(void)state;
	struct disc_server *l;
	char *err = NULL;
	long n = autoconfig_parse(good_xml, strlen(good_xml), "alice@example.org", "autoconfig X", &l, &err);
	assert_int_equal(n, 3);
	assert_int_equal(l[0].proto, DISC_IMAP);
	assert_string_equal(l[0].host, "imap.example.org");
	assert_int_equal(l[0].port, 993);
	assert_int_equal(l[0].sec, DISC_SEC_TLS);
	assert_string_equal(l[0].user, "alice@example.org");
	assert_false(l[0].oauth);
	assert_string_equal(l[0].source, "autoconfig X");
	assert_int_equal(l[1].sec, DISC_SEC_STARTTLS);
	assert_string_equal(l[1].user, "alice-at-example.org");
	assert_true(l[1].oauth);
	assert_int_equal(l[2].proto, DISC_SMTP);
	assert_int_equal(l[2].port, 587);
	free_list(l, n);
}

static void expect_fail(const char *xml, const char *why)
{
	struct disc_server *l;
	char *err = NULL;
	long n = autoconfig_parse(xml, strlen(xml), "a@example.org", "t", &l, &err);
	assert_int_equal(n, -1);
	assert_null(l);
	assert_non_null(err);
	if (why && !strstr(err, why))
		fail_msg("error '%s' does not mention '%s'", err, why);
	free(err);
}

static void test_autoconfig_hostile(void **state)
{
	(void)state;
	expect_fail("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\"><!ENTITY lol2 "
		    "\"&lol;&lol;&lol;&lol;\">]><clientConfig>&lol2;</clientConfig>",
		    "DOCTYPE");
	expect_fail("<clientConfig><emailProvider>", "XML");
	expect_fail("not xml at all", NULL);
	struct strbuf b;
	strbuf_init(&b);
	for (int i = 0; i < 100; i++)
		strbuf_adds(&b, "<a>");
	expect_fail(b.s, "deeply");
	strbuf_reset(&b);
	strbuf_adds(&b, "<c><incomingServer type=\"imap\"><hostname>");
	for (int i = 0; i < 2000; i++)
		strbuf_addc(&b, 'x');
	strbuf_adds(&b, "</hostname></incomingServer></c>");
	expect_fail(b.s, "too long");
	strbuf_free(&b);
}

static void test_autoconfig_drops_bad_servers(void **state)
{
	(void)state;
	const char *xml = "<c>"
			  "<incomingServer type=\"imap\"><hostname>evil;host</hostname><port>993</port>"
			  "<socketType>SSL</socketType></incomingServer>"
			  "<incomingServer type=\"imap\"><hostname>ok.example</hostname><port>0</port>"
			  "<socketType>SSL</socketType></incomingServer>"
			  "<incomingServer type=\"imap\"><hostname>ok.example</hostname><port>993</port>"
			  "<socketType>weird</socketType></incomingServer>"
			  "<incomingServer type=\"imap\"><hostname>ok.example</hostname><port>993</port>"
			  "<socketType>SSL</socketType><username>a&#127;b</username>"
			  "<nested><hostname>inner.example</hostname></nested></incomingServer>"
			  "</c>";
	struct disc_server *l;
	char *err = NULL;
	long n = autoconfig_parse(xml, strlen(xml), "a@example.org", "t", &l, &err);
	assert_int_equal(n, 1);
	assert_string_equal(l[0].host, "ok.example");
	assert_null(l[0].user);
	free_list(l, n);
}

/* ---- DNS packets built by hand ---- */

struct pkt {
	unsigned char b[1024];
	int len;
};

static void put16(struct pkt *p, int v)
{
	p->b[p->len++] = (unsigned char)(v >> 8);
	p->b[p->len++] = (unsigned char)v;
}

static void put_name(struct pkt *p, const char *name)
{
	while (*name) {
		size_t l = strcspn(name, ".");
		p->b[p->len++] = (unsigned char)l;
		memcpy(p->b + p->len, name, l);
		p->len += (int)l;
		name += l + (name[l] == '.');
	}
	p->b[p->len++] = 0;
}

static void header(struct pkt *p, const char *qname, int qtype, int answers)
{
	p->len = 0;
	put16(p, 0x1234);
	put16(p, 0x8180);
	put16(p, 1);
	put16(p, answers);
	put16(p, 0);
	put16(p, 0);
	put_name(p, qname);
	put16(p, qtype);
	put16(p, ns_c_in);
}

/* An answer RR whose owner is a pointer to the question name. */
static int rr_start(struct pkt *p, int type)
{
	put16(p, 0xc00c);
	put16(p, type);
	put16(p, ns_c_in);
	put16(p, 0);
	put16(p, 300);
	int at = p->len;
	put16(p, 0);
	return at;
}

static void rr_end(struct pkt *p, int at)
{
	int len = p->len - at - 2;
	p->b[at] = (unsigned char)(len >> 8);
	p->b[at + 1] = (unsigned char)len;
}

static void add_srv(struct pkt *p, int prio, int weight, int port, const char *target)
{
	int at = rr_start(p, ns_t_srv);
	put16(p, prio);
	put16(p, weight);
	put16(p, port);
	put_name(p, target);
	rr_end(p, at);
}

static void test_srv_parse(void **state)
{
	(void)state;
	struct pkt p;
	header(&p, "_imaps._tcp.example.org", ns_t_srv, 3);
	add_srv(&p, 20, 0, 993, "backup.example.org");
	add_srv(&p, 10, 5, 993, "imap.example.org");
	add_srv(&p, 10, 50, 1993, "heavy.example.org");
	struct disc_srv srv[8];
	int n = discover_parse_srv(p.b, p.len, srv, 8);
	assert_int_equal(n, 3);
	assert_string_equal(srv[0].target, "heavy.example.org");
	assert_int_equal(srv[0].port, 1993);
	assert_string_equal(srv[1].target, "imap.example.org");
	assert_string_equal(srv[2].target, "backup.example.org");
	/* cut anywhere: never a crash, never garbage */
	for (int cut = 0; cut < p.len; cut++)
		assert_true(discover_parse_srv(p.b, cut, srv, 8) <= 3);
	/* "." target: the service is not offered (the caller skips it) */
	header(&p, "_imap._tcp.example.org", ns_t_srv, 1);
	add_srv(&p, 0, 0, 0, "");
	n = discover_parse_srv(p.b, p.len, srv, 8);
	assert_int_equal(n, 1);
	assert_true(srv[0].target[0] == '\0' || strcmp(srv[0].target, ".") == 0);
}

static void test_mx_parse(void **state)
{
	(void)state;
	struct pkt p;
	header(&p, "example.org", ns_t_mx, 2);
	int at = rr_start(&p, ns_t_mx);
	put16(&p, 20);
	put_name(&p, "mx2.mail.example.net");
	rr_end(&p, at);
	at = rr_start(&p, ns_t_mx);
	put16(&p, 5);
	put_name(&p, "mx1.mail.example.net");
	rr_end(&p, at);
	char host[256];
	assert_true(discover_parse_mx(p.b, p.len, host));
	assert_string_equal(host, "mx1.mail.example.net");
	header(&p, "example.org", ns_t_mx, 0);
	assert_false(discover_parse_mx(p.b, p.len, host));
	assert_false(discover_parse_mx(p.b, 5, host));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_email_split),
		cmocka_unit_test(test_hostname),
		cmocka_unit_test(test_url),
		cmocka_unit_test(test_autoconfig_good),
		cmocka_unit_test(test_autoconfig_hostile),
		cmocka_unit_test(test_autoconfig_drops_bad_servers),
		cmocka_unit_test(test_srv_parse),
		cmocka_unit_test(test_mx_parse),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
