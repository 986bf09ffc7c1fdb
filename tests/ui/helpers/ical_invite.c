/* ical_invite.c - for test_invite.sh: libical writes an invitation
 * (METHOD:REQUEST, a VTIMEZONE for New York, a weekly RRULE) to stdout,
 * or, with "check FILE ATTENDEE PARTSTAT", reads a REPLY back with libical
 * and exits 0 when it is a REPLY for that attendee with that PARTSTAT. */
#include <libical/ical.h>
#include <stdio.h>
#include <strings.h>
#include <stdlib.h>
#include <string.h>

static int invite(void)
{
	icaltimezone *ny = icaltimezone_get_builtin_timezone("America/New_York");
	icalcomponent *ev = icalcomponent_vanew(
		ICAL_VEVENT_COMPONENT, icalproperty_new_uid("evt-ui@example.org"), icalproperty_new_sequence(1),
		icalproperty_new_dtstamp(icaltime_from_string("20261201T120000Z")), icalproperty_new_summary("Team sync"),
		icalproperty_new_location("Room 4"),
		icalproperty_new_rrule(icalrecurrencetype_from_string("FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20270301T220000Z")),
		icalproperty_vanew_organizer("mailto:bob@example.org", icalparameter_new_cn("Bob Organizer"), (void *)0),
		icalproperty_vanew_attendee("mailto:alice@example.org", icalparameter_new_cn("Alice"),
					    icalparameter_new_rsvp(ICAL_RSVP_TRUE),
					    icalparameter_new_partstat(ICAL_PARTSTAT_NEEDSACTION), (void *)0),
		(void *)0);
	struct icaltimetype s = icaltime_from_string("20261207T100000"), e = icaltime_from_string("20261207T110000");
	s = icaltime_set_timezone(&s, ny);
	e = icaltime_set_timezone(&e, ny);
	icalcomponent_set_dtstart(ev, s);
	icalcomponent_set_dtend(ev, e);
	icalcomponent *cal = icalcomponent_vanew(ICAL_VCALENDAR_COMPONENT, icalproperty_new_version("2.0"),
						 icalproperty_new_prodid("-//libical ui test//EN"),
						 icalproperty_new_method(ICAL_METHOD_REQUEST),
						 icalcomponent_new_clone(icaltimezone_get_component(ny)), ev, (void *)0);
	char *text = icalcomponent_as_ical_string_r(cal);
	fputs(text, stdout);
	free(text);
	icalcomponent_free(cal);
	return 0;
}

static int check(const char *file, const char *attendee, const char *partstat)
{
	FILE *f = fopen(file, "rb");
	if (!f)
		return 2;
	static char buf[1 << 20];
	size_t n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = 0;
	icalcomponent *cal = icalparser_parse_string(buf);
	if (!cal || icalcomponent_get_method(cal) != ICAL_METHOD_REPLY)
		return 3;
	icalcomponent *ev = icalcomponent_get_first_component(cal, ICAL_VEVENT_COMPONENT);
	icalproperty *a = ev ? icalcomponent_get_first_property(ev, ICAL_ATTENDEE_PROPERTY) : NULL;
	if (!a || strcasecmp(icalproperty_get_attendee(a), attendee) != 0 ||
	    icalcomponent_get_next_property(ev, ICAL_ATTENDEE_PROPERTY))
		return 4;
	icalparameter *p = icalproperty_get_first_parameter(a, ICAL_PARTSTAT_PARAMETER);
	if (!p || strcmp(icalparameter_enum_to_string(icalparameter_get_partstat(p)), partstat) != 0)
		return 5;
	if (strcmp(icalcomponent_get_uid(ev), "evt-ui@example.org") != 0)
		return 6;
	printf("REPLY %s %s\n", attendee, partstat);
	icalcomponent_free(cal);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 5 && strcmp(argv[1], "check") == 0)
		return check(argv[2], argv[3], argv[4]);
	return invite();
}
