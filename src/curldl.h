/* curldl.h - libcurl, loaded with dlopen at first use.
 *
 * Only the wizard (autoconfig fetches) and list-unsubscribe's one-click
 * POST need HTTP; linking libcurl would load 17 more libraries (OpenSSL,
 * Kerberos, LDAP, ...) into every start of the reader and of
 * `muttlike sync`.  The headers come from libcurl4-gnutls-dev; the calls
 * go through the pointers below.
 */
#ifndef MUTTLIKE_CURLDL_H
#define MUTTLIKE_CURLDL_H

#define CURL_DISABLE_TYPECHECK 1 /* the calls go through pointers */
#include <curl/curl.h>

#define CURLDL_LIB "libcurl-gnutls.so.4"

/* The libcurl functions muttlike uses, resolved from CURLDL_LIB. */
struct curldl {
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

/* Load the library and run curl_global_init once (thread-safe; call it
 * first on the thread that starts the others, as curl_global_init is
 * not).  NULL when the library or a symbol is missing. */
const struct curldl *curldl_get(void);

#endif
