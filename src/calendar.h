/* calendar.h - iCalendar invitations (RFC 5545, RFC 5546) over libical.
 *
 * A text/calendar part is parsed by libical (never by hand); the first
 * VEVENT is shown as a readable summary and can be answered with a REPLY:
 * METHOD:REPLY, the event's UID, SEQUENCE and RECURRENCE-ID, DTSTAMP now,
 * the ORGANIZER, and only the replying ATTENDEE with the chosen PARTSTAT.
 * The part comes from a hostile message: it is capped in size, libical's
 * errors are never fatal, and every text shown has its controls replaced
 * (the front end still passes it through text_sanitize).
 */
#ifndef MUTTLIKE_CALENDAR_H
#define MUTTLIKE_CALENDAR_H

#include <stdbool.h>
#include <stddef.h>

#include "addr.h"

#define CALENDAR_MAX_INPUT (1024 * 1024)

typedef struct calendar calendar_t;

/* Parse a text/calendar body (already transfer-decoded, UTF-8).  NULL +
 * *err (new string) when it is not iCalendar or has no VEVENT. */
calendar_t *calendar_parse(const char *text, size_t len, char **err);
void calendar_free(calendar_t **c);

/* METHOD ("REQUEST", "CANCEL", "REPLY", ...; "" when none).  Lent. */
const char *calendar_method(const calendar_t *c);

/* The event as lines for the pager (new string, LF-separated):
 *   What:      Team sync
 *   When:      Mon 2026-12-07 16:00 - 17:00 CET
 *   Repeats:   every week on Monday and Wednesday until 2027-03-01
 *   Where:     Room 4
 *   Organizer: Alice Example <alice@example.org>
 *   Attendees: Bob <bob@example.org> (accepted)
 *              carol@example.org (needs action)
 * Times are in the process's local time zone (TZ), converted from the
 * event's TZID (its VTIMEZONE, else the system's zone of that name). */
char *calendar_summary(const calendar_t *c);

/* An RRULE value ("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270301T000000Z") in
 * words ("every week on Monday and Wednesday until 2027-03-01").  New
 * string; NULL when libical cannot parse it. */
char *calendar_rrule_words(const char *rrule);

enum calendar_answer { CALENDAR_ACCEPTED, CALENDAR_TENTATIVE, CALENDAR_DECLINED };

struct calendar_reply {
	char *body;         /* owned: the VCALENDAR, CRLF line ends */
	char *content_type; /* owned: "text/calendar; method=REPLY; charset=UTF-8" */
	char *subject;      /* owned: "Accepted: Team sync" */
	char *to;           /* owned: the organizer's mailbox */
};

/* accept / tentative / decline: the REPLY for the first ATTENDEE whose
 * address is in me.  false + *err (new string) when the invitation is not
 * a REQUEST, has no organizer, or does not list any address of me. */
bool calendar_reply(const calendar_t *c, const struct addr_list *me, enum calendar_answer a, struct calendar_reply *out,
		    char **err);
void calendar_reply_clear(struct calendar_reply *r);

#endif
