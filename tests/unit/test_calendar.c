/* test_calendar.c - invitations made by libical, shown and answered; the
 * REPLY read back with libical. */
#include <libical/ical.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calendar.h"
#include "testutil.h"
#include "util.h"

/* An invitation as libical writes it: a VTIMEZONE for New York, an event
 * there at 10:00-11:00 every Monday and Wednesday, two attendees. */
static char *invitation(icalproperty_method method)
{
	icaltimezone *ny = icaltimezone_get_builtin_timezone("America/New_York");
	assert_non_null(ny);
	icalcomponent *ev = icalcomponent_vanew(
		ICAL_VEVENT_COMPONENT, icalproperty_new_uid("evt-1@example.org"), icalproperty_new_sequence(2),
		icalproperty_new_dtstamp(icaltime_from_string("20261201T120000Z")),
		icalproperty_new_summary("Team sync\nwith\ttabs"), icalproperty_new_location("Room 4"),
		icalproperty_new_rrule(icalrecurrencetype_from_string("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270301T220000Z")),
		icalproperty_vanew_organizer("mailto:alice@example.org", icalparameter_new_cn("Alice Example"), (void *)0),
		icalproperty_vanew_attendee("mailto:bob@example.org", icalparameter_new_cn("Bob"),
					    icalparameter_new_rsvp(ICAL_RSVP_TRUE),
					    icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION), (void *)0),
		icalproperty_vanew_attendee("mailto:carol@example.org",
					    icalparameter_new_partstat(ICAL_PARTSTAT_ACCEPTED), (void *)0),
		(void *)0);
	struct icaltimetype s = icaltime_from_string("20261207T100000"), e = icaltime_from_string("20261207T110000");
	s = icaltime_set_timezone(&s, ny);
	e = icaltime_set_timezone(&e, ny);
	icalcomponent_set_dtstart(ev, s);
	icalcomponent_set_dtend(ev, e);
	icalcomponent *cal = icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
						 icalproperty_new_prodid("-//libical test//EN"),
						 icalproperty_new_method(method),
						 icalcomponent_new_clone(icaltimezone_get_component(ny)), ev, (void *)0);
	char *text = icalcomponent_as_ical_string_r(cal);
	icalcomponent_free(cal);
	return text;
}

static int setup(void **state)
{
	(void)state;
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	return 0;
}

static void test_summary(void **state)
{
	(void)state;
	char *text = invitation(ICAL_METHOD_REQUEST);
	char *err = NULL;
	calendar_t *c = calendar_parse(text, strlen(text), &err);
	if (!c)
		fail_msg("%s", err);
	assert_string_equal(calendar_method(c), "REQUEST");
	char *s = calendar_summary(c);
	assert_string_equal(s, "What:      Team sync with tabs\n"
			       "When:      Mon 2026-12-07 16:00 CET - 17:00 CET\n"
			       "Repeats:   every week on Monday and Wednesday until 2027-03-01\n"
			       "Where:     Room 4\n"
			       "Organizer: Alice Example <alice@example.org>\n"
			       "Attendees: Bob <bob@example.org> (needs action)\n"
			       "           carol@example.org (accepted)\n");
	free(s);
	calendar_free(&c);
	assert_null(c);
	free(text);
	assert_null(calendar_parse("not ical", 8, &err));
	assert_string_equal(err, "the calendar part is not iCalendar");
	free(err);
	static const char todo[] = "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nBEGIN:VTODO\r\nUID:x\r\nEND:VTODO\r\nEND:VCALENDAR\r\n";
	assert_null(calendar_parse(todo, strlen(todo), &err));
	assert_string_equal(err, "the calendar part holds no event");
	free(err);
}

static void check_words(const char *rule, const char *want)
{
	char *w = calendar_rrule_words(rule);
	if (!want) {
		assert_null(w);
		return;
	}
	assert_non_null(w);
	assert_string_equal(w, want);
	free(w);
}

static void test_rrule_words(void **state)
{
	(void)state;
	check_words("FREQ=DAILY", "every day");
	check_words("FREQ=WEEKLY;INTERVAL=2;BYDAY=TU", "every 2 weeks on Tuesday");
	check_words("FREQ=WEEKLY;BYDAY=MO,WE,FR", "every week on Monday, Wednesday and Friday");
	check_words("FREQ=MONTHLY;BYDAY=2TU", "every month on the second Tuesday");
	check_words("FREQ=MONTHLY;BYDAY=-1FR;COUNT=5", "every month on the last Friday, 5 times");
	check_words("FREQ=MONTHLY;BYMONTHDAY=1,15", "every month on days 1 and 15");
	check_words("FREQ=YEARLY;BYMONTH=1,7;BYMONTHDAY=1", "every year on day 1 in January and July");
	check_words("FREQ=WEEKLY;UNTIL=20270301", "every week until 2027-03-01");
	check_words("garbage", NULL);
}

/* Parse the REPLY back with libical and check what RFC 5546 asks. */
static void check_reply(const struct calendar_reply *r, icalparameter_partstat want)
{
	icalcomponent *cal = icalparser_parse_string(r->body);
	assert_non_null(cal);
	assert_int_equal(icalcomponent_get_method(cal), ICAL_METHOD_REPLY);
	icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	assert_string_equal(icalcomponent_get_uid(ev), "evt-1@example.org");
	assert_int_equal(icalcomponent_get_sequence(ev), 2);
	time_t stamp = icaltime_as_timet(icalcomponent_get_dtstamp(ev));
	assert_true(labs((long)(stamp - time(NULL))) < 120); /* now, not the invitation's */
	assert_int_equal(icalcomponent_count_properties(ev, ICAL_ATTENDEE_PROPERTY), 1);
	icalproperty *att = icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY);
	assert_string_equal(icalproperty_get_attendee(att), "mailto:bob@example.org");
	icalparameter *ps = icalproperty_get_first_parameter(att, ICAL_PARTSTAT_PARAMETER);
	assert_int_equal(icalparameter_get_partstat(ps), want);
	assert_null(icalproperty_get_first_parameter(att, ICAL_RSVP_PARAMETER));
	icalproperty *org = icalcomponent_get_first_property(ev, ICAL_ORGANIZER_PROPERTY);
	assert_string_equal(icalproperty_get_organizer(org), "mailto:alice@example.org");
	struct icaltimetype s = icalcomponent_get_dtstart(ev);
	assert_true(icaltime_is_utc(s));
	assert_int_equal(s.hour, 15); /* 10:00 in New York */
	icalcomponent_free(cal);
	assert_non_null(strstr(r->body, "\r\n"));
}

static void test_reply(void **state)
{
	(void)state;
	char *text = invitation(ICAL_METHOD_REQUEST);
	char *err = NULL;
	calendar_t *c = calendar_parse(text, strlen(text), &err);
	struct addr_list me;
	addr_list_init(&me);
	addr_list_add(&me, NULL, "b@elsewhere.example");
	struct calendar_reply r;
	assert_false(calendar_reply(c, &me, CALENDAR_ACCEPTED, &r, &err));
	assert_string_equal(err, "none of your addresses is among the invitation's attendees");
	free(err);
	addr_list_add(&me, "Bob", "BOB@example.org");
	static const icalparameter_partstat want[] = { ICAL_PARTSTAT_ACCEPTED, ICAL_PARTSTAT_TENTATIVE,
						       ICAL_PARTSTAT_DECLINED };
	static const char *const subjects[] = { "Accepted: Team sync with tabs", "Tentative: Team sync with tabs",
						"Declined: Team sync with tabs" };
	for (int a = CALENDAR_ACCEPTED; a <= CALENDAR_DECLINED; a++) {
		if (!calendar_reply(c, &me, (enum calendar_answer)a, &r, &err))
			fail_msg("%s", err);
		check_reply(&r, want[a]);
		assert_string_equal(r.subject, subjects[a]);
		assert_string_equal(r.to, "alice@example.org");
		assert_string_equal(r.content_type, "text/calendar; method=REPLY; charset=UTF-8");
		calendar_reply_clear(&r);
		assert_null(r.body);
	}
	calendar_free(&c);
	free(text);
	/* a cancellation is shown as such and cannot be answered */
	text = invitation(ICAL_METHOD_CANCEL);
	c = calendar_parse(text, strlen(text), &err);
	char *s = calendar_summary(c);
	assert_true(strncmp(s, "Status:    cancelled by the organizer\n", 38) == 0);
	free(s);
	assert_false(calendar_reply(c, &me, CALENDAR_ACCEPTED, &r, &err));
	assert_string_equal(err, "this is not an invitation (METHOD:CANCEL)");
	free(err);
	calendar_free(&c);
	free(text);
	addr_list_clear(&me);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_summary),
		cmocka_unit_test(test_rrule_words),
		cmocka_unit_test(test_reply),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
