/* fault.c - MUTTLIKE_FAULT=<point>:<n>[,<point>:<n>...] crash injection
 * (see fault.h). */
#include "fault.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_FAULTS 4

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct {
	char point[64];
	long at; /* 0: not armed */
	long hits;
} faults[MAX_FAULTS];

static void parse(const char *v)
{
	memset(faults, 0, sizeof(faults));
	for (size_t i = 0; v && *v && i < MAX_FAULTS; i++) {
		size_t len = strcspn(v, ",");
		const char *colon = memchr(v, ':', len);
		size_t n = colon ? (size_t)(colon - v) : len;
		if (n > 0 && n < sizeof(faults[i].point)) {
			memcpy(faults[i].point, v, n);
			faults[i].at = colon ? strtol(colon + 1, NULL, 10) : 1;
		}
		v += len + (v[len] == ',');
	}
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
	for (size_t i = 0; i < MAX_FAULTS; i++)
		if (faults[i].at > 0 && strcmp(name, faults[i].point) == 0)
			return __atomic_add_fetch(&faults[i].hits, 1, __ATOMIC_SEQ_CST) == faults[i].at;
	return false;
}

void fault_point(const char *name)
{
	if (fault_hit(name))
		_exit(99);
}
