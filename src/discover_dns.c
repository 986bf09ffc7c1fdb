/* discover_dns.c - SRV, MX and A lookups for discovery, through libresolv.
 *
 * Our own res_state (thread-safe, and it lets MUTTLIKE_RESOLVER name
 * another server, so tests need no change to /etc/resolv.conf).  Answers
 * are untrusted: names are uncompressed with libresolv's bounds checks and
 * checked as host names before use.
 */
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netinet/in.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>

#include "discover_private.h"
#include "util.h"

/* "ADDR[:PORT]" or "[V6]:PORT" into a sockaddr; false if malformed. */
static bool parse_server(const char *spec, struct sockaddr_in *sin)
{
	char host[64];
	long port = 53;
	const char *colon = strrchr(spec, ':');
	size_t hl = colon ? (size_t)(colon - spec) : strlen(spec);
	if (hl == 0 || hl >= sizeof(host))
		return false;
	memcpy(host, spec, hl);
	host[hl] = '\0';
	if (colon && !util_parse_long(colon + 1, 1, 65535, &port))
		return false;
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons((uint16_t)port);
	return inet_pton(AF_INET, host, &sin->sin_addr) == 1;
}

/* Query name/type; the answer goes to buf.  Returns its length or -1. */
static int query(const struct disc_opts *o, const char *name, int type, unsigned char *buf, int size)
{
	struct __res_state rs;
	memset(&rs, 0, sizeof(rs));
	if (res_ninit(&rs) < 0)
		return -1;
	const char *spec = o->resolver ? o->resolver : getenv("MUTTLIKE_RESOLVER");
	if (spec && *spec) {
		struct sockaddr_in sin;
		if (!parse_server(spec, &sin)) {
			res_nclose(&rs);
			return -1;
		}
		rs.nsaddr_list[0] = sin;
		rs.nscount = 1;
	}
	int tmo = o->step_timeout_ms > 0 ? o->step_timeout_ms : 5000;
	rs.retrans = tmo / 2000 > 0 ? tmo / 2000 : 1; /* seconds per try, two tries */
	rs.retry = 2;
	rs.options &= ~(unsigned long)(RES_DNSRCH | RES_DEFNAMES); /* the name is absolute */
	int n = res_nquery(&rs, name, ns_c_in, type, buf, size);
	res_nclose(&rs);
	return n;
}

static int srv_cmp(const void *a, const void *b)
{
	const struct disc_srv *x = a, *y = b;
	if (x->prio != y->prio)
		return x->prio - y->prio;
	return y->weight - x->weight; /* heavier first: a deterministic stand-in for the weighted pick */
}

static int rr_u16(const unsigned char *p)
{
	return (p[0] << 8) | p[1];
}

int discover_parse_srv(const unsigned char *msg, int len, struct disc_srv *out, int max)
{
	ns_msg h;
	if (len <= 0 || ns_initparse(msg, len, &h) < 0)
		return -1;
	int n = 0, count = ns_msg_count(h, ns_s_an);
	for (int i = 0; i < count && n < max; i++) {
		ns_rr rr;
		if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
			return -1;
		if (ns_rr_type(rr) != ns_t_srv || ns_rr_rdlen(rr) < 7)
			continue;
		const unsigned char *rd = ns_rr_rdata(rr);
		struct disc_srv *s = &out[n];
		s->prio = rr_u16(rd);
		s->weight = rr_u16(rd + 2);
		s->port = rr_u16(rd + 4);
		if (ns_name_uncompress(ns_msg_base(h), ns_msg_end(h), rd + 6, s->target, sizeof(s->target)) < 0)
			return -1;
		n++;
	}
	qsort(out, (size_t)n, sizeof(*out), srv_cmp);
	return n;
}

bool discover_parse_mx(const unsigned char *msg, int len, char host[256])
{
	ns_msg h;
	if (len <= 0 || ns_initparse(msg, len, &h) < 0)
		return false;
	int best = 65536, count = ns_msg_count(h, ns_s_an);
	for (int i = 0; i < count; i++) {
		ns_rr rr;
		char name[256];
		if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
			return false;
		if (ns_rr_type(rr) != ns_t_mx || ns_rr_rdlen(rr) < 3)
			continue;
		const unsigned char *rd = ns_rr_rdata(rr);
		int pref = rr_u16(rd);
		if (ns_name_uncompress(ns_msg_base(h), ns_msg_end(h), rd + 2, name, sizeof(name)) < 0)
			return false;
		if (pref < best && disc_hostname_ok(name)) {
			best = pref;
			strcpy(host, name);
		}
	}
	return best < 65536;
}

int disc_dns_srv(const struct disc_opts *o, const char *name, struct disc_srv *out, int max)
{
	unsigned char buf[4096];
	int n = query(o, name, ns_t_srv, buf, sizeof(buf));
	return n < 0 ? 0 : discover_parse_srv(buf, n, out, max);
}

bool disc_dns_mx(const struct disc_opts *o, const char *domain, char host[256])
{
	unsigned char buf[4096];
	int n = query(o, domain, ns_t_mx, buf, sizeof(buf));
	return n >= 0 && discover_parse_mx(buf, n, host);
}

bool disc_dns_a(const struct disc_opts *o, const char *host, char addr[INET_ADDRSTRLEN])
{
	unsigned char buf[4096];
	int n = query(o, host, ns_t_a, buf, sizeof(buf));
	ns_msg h;
	if (n < 0 || ns_initparse(buf, n, &h) < 0)
		return false;
	for (int i = 0; i < ns_msg_count(h, ns_s_an); i++) {
		ns_rr rr;
		if (ns_parserr(&h, ns_s_an, i, &rr) < 0)
			return false;
		if (ns_rr_type(rr) == ns_t_a && ns_rr_rdlen(rr) == 4)
			return inet_ntop(AF_INET, ns_rr_rdata(rr), addr, INET_ADDRSTRLEN) != NULL;
	}
	return false;
}

bool disc_resolver_overridden(const struct disc_opts *o)
{
	const char *spec = o->resolver ? o->resolver : getenv("MUTTLIKE_RESOLVER");
	return spec && *spec;
}
