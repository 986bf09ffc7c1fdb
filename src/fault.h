/* fault.h - deterministic crash points for the never-lose-mail tests.
 *
 * MUTTLIKE_FAULT=<point>:<n> in the environment makes the n-th arrival
 * at fault_point("<point>") end the process at once with _exit(99), as a
 * kill -9 would: no atexit handlers, no flushing, no cleanup.  Up to four
 * "<point>:<n>" separated by commas are armed at once.  Tests run a
 * sync with a fault at each point and n, then a clean sync, and compare
 * the result with an uninterrupted run.  Unset (the normal case), a point
 * costs one branch.
 *
 * Points: "fetch" (after a message file is in cur/), "state" (before a
 * folder state is saved), "store-batch" (inside a notmuch atomic section),
 * "push" (after a flag STORE, before the state knows), "delete" (after a
 * local or remote deletion, before the state knows), "append" (after an
 * APPEND, before the local file gets its UID), "replay" (after a journal
 * entry was replayed on the server, before the journal says so),
 * "action" (the reader moved a file, before the index is told).
 */
#ifndef MUTTLIKE_FAULT_H
#define MUTTLIKE_FAULT_H

#include <stdbool.h>

void fault_point(const char *name);
/* The same count, without ending the process: true at the n-th arrival.
 * "drop-fetch" (before a UID FETCH of message bodies) cuts the connection
 * there, as a server that goes away or a network that drops would;
 * "clock-jump" (a look at the clocks, watch.h) moves the wall clock an
 * hour ahead from then on, as a resume from suspend would;
 * "writer-stall" (the store's writer thread, before a batch) stops that
 * thread for good, as a slow writer would look to a kill that comes
 * first. */
bool fault_hit(const char *name);
/* Arm a fault from a "<point>:<n>" spec (NULL: disarm) and restart the
 * count; for tests that fork a child instead of exec'ing the binary. */
void fault_set(const char *spec);

#endif
