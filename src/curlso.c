/* curlso.c - libcurl through dlopen (curlso.h). */
#include "curlso.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct curlso cu;
static bool cu_ok;

static void load(void)
{
	void *h = dlopen(CURLSO_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	static const char *const names[] = { "curl_global_init",   "curl_easy_init",     "curl_easy_setopt",
					     "curl_easy_perform",  "curl_easy_getinfo",  "curl_easy_cleanup",
					     "curl_easy_strerror", "curl_slist_append", "curl_slist_free_all" };
	void **slots[] = { (void **)&cu.global_init,   (void **)&cu.easy_init,    (void **)&cu.easy_setopt,
			   (void **)&cu.easy_perform,  (void **)&cu.easy_getinfo, (void **)&cu.easy_cleanup,
			   (void **)&cu.easy_strerror, (void **)&cu.slist_append, (void **)&cu.slist_free_all };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		void *f = dlsym(h, names[i]);
		if (!f)
			return;
		/* function pointers from dlsym: POSIX guarantees the conversion */
		memcpy(slots[i], &f, sizeof(f));
	}
	cu_ok = cu.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

const struct curlso *curlso_get(void)
{
	pthread_once(&once, load);
	return cu_ok ? &cu : NULL;
}
