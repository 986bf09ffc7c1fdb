/* url.h - the imap/smtp URLs of the rc: scheme://[user@]host[:port][/]
 * (the user percent-decoded, an IPv6 host in brackets). */
#ifndef MUTTLIKE_URL_H
#define MUTTLIKE_URL_H

#include <stdbool.h>

/* The parts of a URL; strings owned (url_clear frees them).  port 0 means
 * the scheme's default. */
struct url {
	char *scheme; /* lower case */
	char *user;   /* NULL when the URL has none */
	char *host;
	int port;
	bool implicit_tls; /* imaps / smtps */
};

/* Parse url with a scheme from the '|'-separated list schemes
 * ("imaps|imap").  True with *out filled, or false with *err (a one-line
 * message, caller frees) and *out empty. */
bool url_parse(const char *url, const char *schemes, struct url *out, char **err);
void url_clear(struct url *u);

#endif
