/* fault.c - MUTTLIKE_FAULT=<point>:<n> crash injection (see fault.h). */
#include "fault.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char point[64];
static long at;      /* 0: no fault configured */
static long hits;

static void parse(const char *v)
{
	at = 0;
	hits = 0;
	if (!v)
		return;
	const char *colon = strrchr(v, ':');
	size_t n = colon ? (size_t)(colon - v) : strlen(v);
	if (n == 0 || n >= sizeof(point))
		return;
	memcpy(point, v, n);
	point[n] = '\0';
	at = colon ? strtol(colon + 1, NULL, 10) : 1;
}

static void load(void)
{
	parse(getenv("MUTTLIKE_FAULT"));
}

void fault_set(const char *spec)
{
	pthread_once(&once, load);
	parse(spec);
}

bool fault_hit(const char *name)
{
	pthread_once(&once, load);
	if (at <= 0 || strcmp(name, point) != 0)
		return false;
	return __atomic_add_fetch(&hits, 1, __ATOMIC_SEQ_CST) == at;
}

void fault_point(const char *name)
{
	if (fault_hit(name))
		_exit(99);
}
