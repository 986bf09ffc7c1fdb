/* curldl.c - libcurl through dlopen (curldl.h). */
#include "curldl.h"

#include <dlfcn.h>
#include <pthread.h>
#include <stdbool.h>
#include <string.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct curldl cu;
static bool cu_ok;

static void load(void)
{
	void *h = dlopen(CURLDL_LIB, RTLD_NOW | RTLD_LOCAL);
	if (!h)
		return;
	static const char *const names[] = { "curl_global_init",   "curl_easy_init",     "curl_easy_setopt",
					     "curl_easy_perform",  "curl_easy_getinfo",  "curl_easy_cleanup",
					     "curl_easy_strerror", "curl_slist_append", "curl_slist_free_all" };
	void *f[sizeof(names) / sizeof(names[0])];
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!(f[i] = dlsym(h, names[i])))
			return;
	/* function pointers from dlsym: POSIX guarantees the conversion */
	memcpy(&cu.global_init, &f[0], sizeof(void *));
	memcpy(&cu.easy_init, &f[1], sizeof(void *));
	memcpy(&cu.easy_setopt, &f[2], sizeof(void *));
	memcpy(&cu.easy_perform, &f[3], sizeof(void *));
	memcpy(&cu.easy_getinfo, &f[4], sizeof(void *));
	memcpy(&cu.easy_cleanup, &f[5], sizeof(void *));
	memcpy(&cu.easy_strerror, &f[6], sizeof(void *));
	memcpy(&cu.slist_append, &f[7], sizeof(void *));
	memcpy(&cu.slist_free_all, &f[8], sizeof(void *));
	cu_ok = cu.global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

const struct curldl *curldl_get(void)
{
	pthread_once(&once, load);
	return cu_ok ? &cu : NULL;
}
