/* curlso.h - libcurl, loaded with dlopen at first use.
 *
 * Only the wizard and OAuth token refreshes need HTTP; linking libcurl
 * would load 17 more libraries (OpenSSL, Kerberos, LDAP, ...) into every
 * start of the reader and of `muttlike sync`.  The GnuTLS flavour is the
 * one the build depends on (libcurl4-gnutls-dev for the headers).
 */
#ifndef MUTTLIKE_CURLSO_H
#define MUTTLIKE_CURLSO_H

#define CURL_DISABLE_TYPECHECK 1 /* the calls go through pointers */
#include <curl/curl.h>

#define CURLSO_LIB "libcurl-gnutls.so.4"

/* The libcurl functions muttlike uses. */
struct curlso {
	CURLcode (*global_init)(long flags);
	CURL *(*easy_init)(void);
	CURLcode (*easy_setopt)(CURL *c, CURLoption o, ...);
	CURLcode (*easy_perform)(CURL *c);
	CURLcode (*easy_getinfo)(CURL *c, CURLINFO i, ...);
	void (*easy_cleanup)(CURL *c);
	const char *(*easy_strerror)(CURLcode r);
	struct curl_slist *(*slist_append)(struct curl_slist *l, const char *s);
	void (*slist_free_all)(struct curl_slist *l);
};

/* The loaded and globally initialised library (once, thread-safe), or
 * NULL when CURLSO_LIB cannot be loaded. */
const struct curlso *curlso_get(void);

#endif
