/* discover.h - from an e-mail address to working IMAP and SMTP servers.
 *
 * Discovery asks, in this order, and the first source whose candidates
 * pass a real probe wins (doc/ARCHITECTURE.md, "Account discovery"):
 *   1. SRV records (RFC 6186, RFC 8314): _imaps._tcp, _imap._tcp,
 *      _submissions._tcp, _submission._tcp
 *   2. the provider's autoconfig XML: https://autoconfig.DOMAIN/mail/config-v1.1.xml,
 *      then https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml
 *      (plain HTTP only when allowed, and then with a warning)
 *   3. the ISPDB (https://autoconfig.thunderbird.net/v1.1/DOMAIN)
 *   4. steps 1-3 for the domain of the lowest-preference MX host
 *   5. guessing imap./mail./DOMAIN on 993 then 143 (SMTP: smtp./mail./DOMAIN
 *      on 465 then 587)
 * Every candidate is probed for real through imap.h (connect, TLS or an
 * advertised STARTTLS, the certificate verified, CAPABILITY read) or through
 * our SMTP probe (EHLO, STARTTLS, AUTH).  Implicit TLS beats STARTTLS; a
 * server that only talks in clear is never chosen, only reported.
 *
 * Everything a server, a DNS answer or an XML file says is untrusted: host
 * names are checked, texts are capped, and no answer reaches a shell.
 *
 * Test hooks (documented in doc/ARCHITECTURE.md):
 *   MUTTLIKE_RESOLVER=ADDR[:PORT]  DNS server for discovery's own lookups
 *                                  (SRV, MX, and the addresses curl dials)
 *   opts.ca_file                    extra trust anchor for probes and HTTPS
 *   opts.ispdb_url                  another ISPDB
 *   opts.port_map                   test-only: dial other ports than the
 *                                   well-known ones (443, 80, 993, 143, 465, 587)
 */
#ifndef MUTTLIKE_DISCOVER_H
#define MUTTLIKE_DISCOVER_H

#include <stdbool.h>
#include <stddef.h>

#include "tls.h"

enum disc_proto { DISC_IMAP = 0, DISC_SMTP = 1 };
enum disc_sec { DISC_SEC_TLS = 0, DISC_SEC_STARTTLS, DISC_SEC_PLAIN };

enum disc_probe {
	DISC_UNPROBED = 0,
	DISC_WORKS,      /* secured, verified, capabilities read */
	DISC_CERT,       /* reachable, but the certificate was refused: see cert */
	DISC_INSECURE,   /* reachable, but only in clear (no STARTTLS offered) */
	DISC_FAILED,     /* anything else: see error */
};

/* One server candidate.  All strings owned; disc_server_clear frees them. */
struct disc_server {
	enum disc_proto proto;
	char *host;
	int port;
	enum disc_sec sec;
	char *user;         /* login name with %EMAILADDRESS% etc. replaced, or NULL */
	bool oauth;         /* the source says the server wants OAuth2 */
	char *source;       /* where it came from, one line ("SRV _imaps._tcp.example.org") */
	/* filled by the probe */
	enum disc_probe probe;
	char *mechs;        /* SASL mechanisms offered after TLS ("PLAIN LOGIN"), or NULL */
	char *error;        /* why the probe failed, one line */
	char *tls_version;  /* "TLS1.3 / ..." */
	struct tls_cert_info *cert; /* the last handshake's certificate (owned) */
};
void disc_server_clear(struct disc_server *s);
void disc_server_copy(struct disc_server *dst, const struct disc_server *src);
const char *disc_sec_name(enum disc_sec sec);
const char *disc_probe_name(enum disc_probe p);
/* "imaps://user@host:port" (user percent-encoded).  New string. */
char *disc_server_url(const struct disc_server *s, const char *user);

/* Split an address into local part and domain (new strings) after
 * checking it: one '@', a non-empty local part without spaces or control
 * characters, a domain that is a valid host name with a dot. */
bool disc_email_split(const char *email, char **local, char **domain, char **err);
/* The same, but a domain without a dot ("localhost") is fine: for when
 * the servers are given by hand and nothing is looked up. */
bool disc_email_split_local(const char *email, char **local, char **domain, char **err);
/* A valid DNS host name (letters, digits, '-', '.', 253 at most). */
bool disc_hostname_ok(const char *host);

/* Progress: one line per step as it starts or ends ("SRV _imaps._tcp.example.org: none"). */
typedef void (*disc_progress_fn)(void *ud, const char *line);

struct disc_port_map {
	int from, to;
};

struct disc_opts {
	const char *resolver;       /* "ADDR[:PORT]"; NULL: $MUTTLIKE_RESOLVER, else the system's */
	const char *ca_file;        /* extra trust anchors (probes and HTTPS), or NULL */
	const char *pin_file;       /* data_dir/certs, or NULL */
	const char *ispdb_url;      /* base, the domain is appended; NULL: the Thunderbird ISPDB */
	int step_timeout_ms;        /* one DNS or HTTP step (0: 5000) */
	int probe_timeout_s;        /* one probe (0: 10) */
	bool allow_http;            /* also try autoconfig over plain HTTP (warned) */
	const struct disc_port_map *port_map; /* test hook, 0-terminated, or NULL */
	disc_progress_fn progress;
	void *ud;
};

typedef struct discover discover_t;

/* opts is copied (strings too). */
discover_t *discover_new(const struct disc_opts *opts);
void discover_free(discover_t **d);

enum disc_status {
	DISC_OK = 0,        /* an IMAP server works (SMTP may still be missing) */
	DISC_NOT_FOUND,     /* no candidate worked; discover_best() may still
			       hold one with a certificate or plaintext problem */
	DISC_BAD_ADDRESS,   /* the address is not valid */
	DISC_CANCELLED,
};

/* Run every step for the address.  Blocks (seconds): run it off the UI
 * thread, discover_cancel() stops it. */
enum disc_status discover_run(discover_t *d, const char *email);
/* From any thread. */
void discover_cancel(discover_t *d);
/* Do not look for proto (the user already gave that server). */
void discover_skip(discover_t *d, enum disc_proto proto);

/* Every candidate seen, in the order found (IMAP and SMTP mixed). */
size_t discover_count(const discover_t *d);
const struct disc_server *discover_get(const discover_t *d, size_t i);
/* The chosen server for proto: the first that works, else the first with a
 * certificate or plaintext problem (a decision for the user), else NULL. */
const struct disc_server *discover_best(const discover_t *d, enum disc_proto proto);
/* Warnings collected on the way (plain HTTP used, OAuth2 provider), one line each. */
size_t discover_warning_count(const discover_t *d);
const char *discover_warning(const discover_t *d, size_t i);
/* True when the address belongs to a provider known to require OAuth2. */
bool discover_oauth_hint(const discover_t *d);

/* Probe one server (the user's own or a changed one) with the same rules.
 * DISC_SEC_PLAIN connects without TLS: only for the user's explicit choice.
 * accept_once: hex SHA-256 the user accepted for this connection, or NULL. */
void discover_probe(const struct disc_opts *opts, struct disc_server *s, const char *accept_once);

/* Log in for real.  The password is only held for the call.  0 on success,
 * else -1 with *err (caller frees). */
int discover_login(const struct disc_opts *opts, const struct disc_server *s, const char *user,
		   const char *password, const char *accept_once, char **err);

/* ---- lower layers, public for tests and fuzzing ---- */

/* Parse an autoconfig (config-v1.1.xml) document: IMAP and SMTP servers in
 * file order, %EMAILADDRESS%, %EMAILLOCALPART% and %EMAILDOMAIN% replaced.
 * Hostile input is capped (depth, size, count) and a DOCTYPE is refused.
 * Returns the number of servers put in *out (caller frees each with
 * disc_server_clear and the array with free), or -1 with *err. */
long autoconfig_parse(const char *xml, size_t len, const char *email, const char *source,
		      struct disc_server **out, char **err);

/* DNS.  Answers from the server at opts->resolver (or the system's). */
struct disc_srv {
	int prio, weight, port;
	char target[256];
};
/* Parse a DNS response holding SRV records for name; -1 on a malformed
 * packet, else the count (at most max), sorted by priority then weight. */
int discover_parse_srv(const unsigned char *msg, int len, struct disc_srv *out, int max);
/* Parse MX records: the lowest-preference exchange into host; false if none. */
bool discover_parse_mx(const unsigned char *msg, int len, char host[256]);

#endif
