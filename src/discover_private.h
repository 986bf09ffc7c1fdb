/* discover_private.h - what the discover*.c files share; not for other modules. */
#ifndef MUTTLIKE_DISCOVER_PRIVATE_H
#define MUTTLIKE_DISCOVER_PRIVATE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stddef.h>

#include "conn.h"
#include "discover.h"

/* discover_dns.c: 0 or the count of SRV records (sorted), MX exchange, first A. */
int disc_dns_srv(const struct disc_opts *o, const char *name, struct disc_srv *out, int max);
bool disc_dns_mx(const struct disc_opts *o, const char *domain, char host[256]);
bool disc_dns_a(const struct disc_opts *o, const char *host, char addr[INET_ADDRSTRLEN]);
bool disc_resolver_overridden(const struct disc_opts *o);

/* discover_http.c: GET url (https, or http when allowed) into *body
 * (NUL-terminated, caller frees), at most 256 KiB, following at most three
 * redirects on the same scheme.  0, or -1 with *err (caller frees). */
int disc_http_get(const struct disc_opts *o, const char *url, char **body, size_t *len, char **err);
void disc_http_global_init(void);

/* discover_smtp.c: probe / log in to a submission server. */
void disc_smtp_probe(const struct disc_opts *o, struct disc_server *s, const char *accept_once);
int disc_smtp_login(const struct disc_opts *o, const struct disc_server *s, const char *user,
		    const char *password, const char *accept_once, char **err);

/* discover_util.c, the lowest part (the others call it, it calls none of
 * them).  The port to dial for a well-known port (the test hook's map,
 * else port). */
int disc_port(const struct disc_opts *o, int port);
int disc_timeout_ms(const struct disc_opts *o);
/* The connection settings of a probe of s (no user or secret). */
void disc_conn(const struct disc_opts *o, const struct disc_server *s, struct conn_params *p);

#endif
