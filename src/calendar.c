/* calendar.c - iCalendar invitations over libical (calendar.h). */
#include "calendar.h"

#include <libical/ical.h>
#include <pthread.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "util.h"

struct calendar {
	icalcomponent *root;  /* owned: the VCALENDAR */
	icalcomponent *event; /* lent from root: the first VEVENT */
	char *method;         /* owned */
};

static pthread_once_t once = PTHREAD_ONCE_INIT;

static void init_libical(void)
{
	/* libical's default asserts on a parse error: never for hostile input */
	icalerror_set_errors_are_fatal(0);
}

calendar_t *calendar_parse(const char *text, size_t len, char **err)
{
	*err = NULL;
	pthread_once(&once, init_libical);
	if (len > CALENDAR_MAX_INPUT) {
		*err = xstrdup("the calendar part is larger than 1 MiB");
		return NULL;
	}
	char *s = xstrndup(text, len);
	icalcomponent *root = icalparser_parse_string(s);
	free(s);
	icalcomponent *cal = root;
	if (root && icalcomponent_isa(root) != ICAL_VCALENDAR_COMPONENT)
		cal = icalcomponent_get_first_component(root, ICAL_VCALENDAR_COMPONENT);
	icalcomponent *ev = cal ? icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT) : NULL;
	if (!ev) {
		*err = xstrdup(root ? "the calendar part holds no event" : "the calendar part is not iCalendar");
		if (root)
			icalcomponent_free(root);
		return NULL;
	}
	calendar_t *c = xcalloc(1, sizeof(*c));
	c->root = root;
	c->event = ev;
	icalproperty *m = icalcomponent_get_first_property(cal, ICAL_METHOD_PROPERTY);
	const char *ms = m ? icalproperty_get_value_as_string(m) : NULL;
	c->method = xstrdup(ms ? ms : "");
	return c;
}

void calendar_free(calendar_t **c)
{
	if (!*c)
		return;
	icalcomponent_free((*c)->root);
	free((*c)->method);
	xfree(c);
}

const char *calendar_method(const calendar_t *c)
{
	return c->method;
}

/* ---- text helpers ---- */

/* s with controls as spaces, appended to b. */
static void add_clean(struct strbuf *b, const char *s)
{
	for (; s && *s; s++)
		strbuf_addc(b, (unsigned char)*s < ' ' || *s == 127 ? ' ' : *s);
}

/* "mailto:a@b" -> "a@b" (lent pointer into s). */
static const char *strip_mailto(const char *s)
{
	return s && strncasecmp(s, "mailto:", 7) == 0 ? s + 7 : (s ? s : "");
}

/* "CN <addr>" or "addr" of an ORGANIZER/ATTENDEE property. */
static void add_person(struct strbuf *b, icalproperty *p, const char *value)
{
	icalparameter *cn = icalproperty_get_first_parameter(p, ICAL_CN_PARAMETER);
	const char *name = cn ? icalparameter_get_cn(cn) : NULL;
	if (name && *name) {
		add_clean(b, name);
		strbuf_adds(b, " <");
		add_clean(b, strip_mailto(value));
		strbuf_addc(b, '>');
	} else {
		add_clean(b, strip_mailto(value));
	}
}

static const char *partstat_words(icalparameter_partstat ps)
{
	switch (ps) {
	case ICAL_PARTSTAT_ACCEPTED: return "accepted";
	case ICAL_PARTSTAT_DECLINED: return "declined";
	case ICAL_PARTSTAT_TENTATIVE: return "tentative";
	case ICAL_PARTSTAT_DELEGATED: return "delegated";
	default: return "needs action";
	}
}

/* ---- times ---- */

/* A date-time as a time_t: in its zone (its TZID's VTIMEZONE, or UTC);
 * a floating time (no zone) is read as the reader's local time. */
static time_t to_time(struct icaltimetype t)
{
	const icaltimezone *z = t.zone ? t.zone : (icaltime_is_utc(t) ? icaltimezone_get_utc_timezone() : NULL);
	if (z)
		return icaltime_as_timet_with_zone(t, z);
	struct tm f = { .tm_year = t.year - 1900, .tm_mon = t.month - 1, .tm_mday = t.day,
			.tm_hour = t.hour, .tm_min = t.minute, .tm_sec = t.second, .tm_isdst = -1 };
	return mktime(&f);
}

/* A DTSTART/DTEND in local time: "Mon 2026-12-07 16:00 CET", a date alone
 * for an all-day event; with_day false gives only "17:00 CET". */
static void add_time(struct strbuf *b, struct icaltimetype t, bool with_day)
{
	if (icaltime_is_null_time(t))
		return;
	char out[64];
	struct tm tm;
	if (icaltime_is_date(t)) {
		tm = (struct tm){ .tm_year = t.year - 1900, .tm_mon = t.month - 1, .tm_mday = t.day, .tm_hour = 12 };
		timegm(&tm); /* fills tm_wday */
		strftime(out, sizeof(out), "%a %Y-%m-%d (all day)", &tm);
	} else {
		time_t when = to_time(t);
		localtime_r(&when, &tm);
		strftime(out, sizeof(out), with_day ? "%a %Y-%m-%d %H:%M %Z" : "%H:%M %Z", &tm);
	}
	strbuf_adds(b, out);
}

static bool same_local_day(struct icaltimetype a, struct icaltimetype b)
{
	if (icaltime_is_date(a) || icaltime_is_null_time(b))
		return false;
	time_t ta = to_time(a), tb = to_time(b);
	struct tm x, y;
	localtime_r(&ta, &x);
	localtime_r(&tb, &y);
	return x.tm_year == y.tm_year && x.tm_yday == y.tm_yday;
}

/* ---- RRULE in words ---- */

static const char *const weekdays[] = { "", "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
					"Saturday" };
static const char *const months[] = { "",	"January", "February", "March",	   "April",    "May",	  "June",
				      "July", "August",	   "September", "October", "November", "December" };

static const char *freq_unit(icalrecurrencetype_frequency f)
{
	switch (f) {
	case ICAL_SECONDLY_RECURRENCE: return "second";
	case ICAL_MINUTELY_RECURRENCE: return "minute";
	case ICAL_HOURLY_RECURRENCE: return "hour";
	case ICAL_DAILY_RECURRENCE: return "day";
	case ICAL_WEEKLY_RECURRENCE: return "week";
	case ICAL_MONTHLY_RECURRENCE: return "month";
	case ICAL_YEARLY_RECURRENCE: return "year";
	default: return NULL;
	}
}

static const char *ordinal(int n)
{
	static const char *const pos[] = { "", "first ", "second ", "third ", "fourth ", "fifth " };
	if (n == -1)
		return "last ";
	if (n == -2)
		return "second to last ";
	return n > 0 && n <= 5 ? pos[n] : "";
}

/* ", " between items and " and " before the last. */
static void add_sep(struct strbuf *b, size_t i, size_t n)
{
	if (i > 0)
		strbuf_adds(b, i + 1 == n ? " and " : ", ");
}

static size_t count_list(const short *v, size_t max)
{
	size_t n = 0;
	while (n < max && v[n] != ICAL_RECURRENCE_ARRAY_MAX)
		n++;
	return n;
}

static void add_by_day(struct strbuf *b, const struct icalrecurrencetype *r)
{
	size_t n = count_list(r->by_day, ICAL_BY_DAY_SIZE);
	for (size_t i = 0; i < n; i++) {
		enum icalrecurrencetype_weekday d = icalrecurrencetype_day_day_of_week(r->by_day[i]);
		int pos = icalrecurrencetype_day_position(r->by_day[i]);
		strbuf_adds(b, i ? "" : pos ? " on the " : " on ");
		add_sep(b, i, n);
		strbuf_adds(b, ordinal(pos));
		strbuf_adds(b, d >= ICAL_SUNDAY_WEEKDAY && d <= ICAL_SATURDAY_WEEKDAY ? weekdays[d] : "?");
	}
}

static void add_by_month_day(struct strbuf *b, const struct icalrecurrencetype *r)
{
	size_t n = count_list(r->by_month_day, ICAL_BY_MONTHDAY_SIZE);
	for (size_t i = 0; i < n; i++) {
		strbuf_adds(b, i ? "" : n > 1 ? " on days " : " on day ");
		add_sep(b, i, n);
		if (r->by_month_day[i] == -1)
			strbuf_adds(b, "last");
		else
			strbuf_addf(b, "%d", r->by_month_day[i]);
	}
}

static void add_by_month(struct strbuf *b, const struct icalrecurrencetype *r)
{
	size_t n = count_list(r->by_month, ICAL_BY_MONTH_SIZE);
	for (size_t i = 0; i < n; i++) {
		int m = icalrecurrencetype_month_month(r->by_month[i]);
		strbuf_adds(b, i ? "" : " in ");
		add_sep(b, i, n);
		strbuf_adds(b, m >= 1 && m <= 12 ? months[m] : "?");
	}
}

static void add_rrule(struct strbuf *b, const struct icalrecurrencetype *r)
{
	const char *unit = freq_unit(r->freq);
	if (r->interval > 1)
		strbuf_addf(b, "every %d %ss", r->interval, unit);
	else
		strbuf_addf(b, "every %s", unit);
	add_by_day(b, r);
	add_by_month_day(b, r);
	add_by_month(b, r);
	if (!icaltime_is_null_time(r->until)) {
		char d[16];
		struct tm tm;
		time_t t = icaltime_is_date(r->until) ? 0 : to_time(r->until);
		if (icaltime_is_date(r->until))
			snprintf(d, sizeof(d), "%04d-%02d-%02d", r->until.year, r->until.month, r->until.day);
		else
			strftime(d, sizeof(d), "%Y-%m-%d", localtime_r(&t, &tm));
		strbuf_addf(b, " until %s", d);
	} else if (r->count > 0) {
		strbuf_addf(b, ", %d time%s", r->count, r->count == 1 ? "" : "s");
	}
}

char *calendar_rrule_words(const char *rrule)
{
	pthread_once(&once, init_libical);
	struct icalrecurrencetype r = icalrecurrencetype_from_string(rrule);
	if (!freq_unit(r.freq))
		return NULL;
	struct strbuf b;
	strbuf_init(&b);
	add_rrule(&b, &r);
	return strbuf_detach(&b);
}

/* ---- the summary ---- */

static void add_line(struct strbuf *b, const char *label, const char *value)
{
	if (!value || !*value)
		return;
	strbuf_addf(b, "%-11s", label);
	add_clean(b, value);
	strbuf_addc(b, '\n');
}

static void add_when(struct strbuf *b, icalcomponent *ev)
{
	struct icaltimetype s = icalcomponent_get_dtstart(ev), e = icalcomponent_get_dtend(ev);
	if (icaltime_is_null_time(s))
		return;
	strbuf_addf(b, "%-11s", "When:");
	add_time(b, s, true);
	if (!icaltime_is_null_time(e) && !icaltime_is_date(s)) {
		strbuf_adds(b, " - ");
		add_time(b, e, !same_local_day(s, e));
	}
	strbuf_addc(b, '\n');
}

static void add_attendees(struct strbuf *b, icalcomponent *ev)
{
	const char *label = "Attendees:";
	for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); p;
	     p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY)) {
		icalparameter *ps = icalproperty_get_first_parameter(p, ICAL_PARTSTAT_PARAMETER);
		strbuf_addf(b, "%-11s", label);
		add_person(b, p, icalproperty_get_attendee(p));
		strbuf_addf(b, " (%s)\n", partstat_words(ps ? icalparameter_get_partstat(ps) : ICAL_PARTSTAT_NEEDSACTION));
		label = "";
	}
}

char *calendar_summary(const calendar_t *c)
{
	icalcomponent *ev = c->event;
	struct strbuf b;
	strbuf_init(&b);
	if (strcasecmp(c->method, "CANCEL") == 0)
		strbuf_adds(&b, "Status:    cancelled by the organizer\n");
	add_line(&b, "What:", icalcomponent_get_summary(ev));
	add_when(&b, ev);
	icalproperty *rr = icalcomponent_get_first_property(ev, ICAL_RRULE_PROPERTY);
	if (rr) {
		struct icalrecurrencetype r = icalproperty_get_rrule(rr);
		if (freq_unit(r.freq)) {
			strbuf_addf(&b, "%-11s", "Repeats:");
			add_rrule(&b, &r);
			strbuf_addc(&b, '\n');
		}
	}
	add_line(&b, "Where:", icalcomponent_get_location(ev));
	icalproperty *org = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
	if (org) {
		strbuf_addf(&b, "%-11s", "Organizer:");
		add_person(&b, org, icalproperty_get_organizer(org));
		strbuf_addc(&b, '\n');
	}
	add_attendees(&b, ev);
	add_line(&b, "Details:", icalcomponent_get_description(ev));
	strbuf_adds(&b, "");
	return strbuf_detach(&b);
}

/* ---- REPLY (RFC 5546 section 3.2.3) ---- */

static icalproperty *find_attendee(icalcomponent *ev, const struct addr_list *me)
{
	for (icalproperty *p = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY); p;
	     p = icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY))
		if (addr_list_contains(me, strip_mailto(icalproperty_get_attendee(p))))
			return p;
	return NULL;
}

static icalproperty *answer_attendee(icalproperty *att, enum calendar_answer a)
{
	static const icalparameter_partstat ps[] = { ICAL_PARTSTAT_ACCEPTED, ICAL_PARTSTAT_TENTATIVE,
						     ICAL_PARTSTAT_DECLINED };
	icalproperty *p = icalproperty_new_clone(att);
	icalproperty_remove_parameter_by_kind(p, ICAL_PARTSTAT_PARAMETER);
	icalproperty_remove_parameter_by_kind(p, ICAL_RSVP_PARAMETER);
	icalproperty_add_parameter(p, icalparameter_new_partstat(ps[a]));
	return p;
}

static void copy_prop(icalcomponent *to, icalcomponent *from, icalproperty_kind k)
{
	icalproperty *p = icalcomponent_get_first_property(from, k);
	if (p)
		icalcomponent_add_property(to, icalproperty_new_clone(p));
}

static icalcomponent *reply_event(icalcomponent *src, icalproperty *org, icalproperty *att, enum calendar_answer a)
{
	icaltimezone *utc = icaltimezone_get_utc_timezone();
	icalcomponent *ev = icalcomponent_new(ICAL_VEVENT_COMPONENT);
	icalcomponent_add_property(ev, icalproperty_new_uid(icalcomponent_get_uid(src)));
	icalcomponent_add_property(ev, icalproperty_new_sequence(icalcomponent_get_sequence(src)));
	icalcomponent_add_property(ev, icalproperty_new_dtstamp(icaltime_current_time_with_zone(utc)));
	copy_prop(ev, src, ICAL_RECURRENCEID_PROPERTY);
	copy_prop(ev, src, ICAL_SUMMARY_PROPERTY);
	struct icaltimetype s = icalcomponent_get_dtstart(src);
	if (!icaltime_is_null_time(s))
		/* in UTC: the REPLY carries no VTIMEZONE for a TZID */
		icalcomponent_set_dtstart(ev, s.zone && !icaltime_is_date(s) ? icaltime_convert_to_zone(s, utc) : s);
	icalcomponent_add_property(ev, icalproperty_new_clone(org));
	icalcomponent_add_property(ev, answer_attendee(att, a));
	return ev;
}

static const char *const answer_words[] = { "Accepted", "Tentative", "Declined" };

bool calendar_reply(const calendar_t *c, const struct addr_list *me, enum calendar_answer a, struct calendar_reply *out,
		    char **err)
{
	*err = NULL;
	memset(out, 0, sizeof(*out));
	icalproperty *org = icalcomponent_get_first_property(c->event, ICAL_ORGANIZER_PROPERTY);
	icalproperty *att = find_attendee(c->event, me);
	const char *uid = icalcomponent_get_uid(c->event);
	if (strcasecmp(c->method, "REQUEST") != 0)
		*err = xasprintf("this is not an invitation (METHOD:%s)", *c->method ? c->method : "none");
	else if (!org || !uid || !addr_mailbox_valid(strip_mailto(icalproperty_get_organizer(org))))
		*err = xstrdup("the invitation has no valid organizer or no UID: there is no one to answer");
	else if (!att)
		*err = xstrdup("none of your addresses is among the invitation's attendees");
	if (*err)
		return false;
	icalcomponent *cal = icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
						 icalproperty_new_prodid("-//muttlike//muttlike " MUTTLIKE_VERSION "//EN"),
						 icalproperty_new_method(ICAL_METHOD_REPLY), (void *)0);
	icalcomponent_add_component(cal, reply_event(c->event, org, att, a));
	out->body = icalcomponent_as_ical_string_r(cal);
	icalcomponent_free(cal);
	out->content_type = xstrdup("text/calendar; method=REPLY; charset=UTF-8");
	struct strbuf sub;
	strbuf_init(&sub);
	strbuf_addf(&sub, "%s: ", answer_words[a]);
	add_clean(&sub, icalcomponent_get_summary(c->event));
	out->subject = strbuf_detach(&sub);
	out->to = xstrdup(strip_mailto(icalproperty_get_organizer(org)));
	return true;
}

void calendar_reply_clear(struct calendar_reply *r)
{
	xfree(&r->body);
	xfree(&r->content_type);
	xfree(&r->subject);
	xfree(&r->to);
}
