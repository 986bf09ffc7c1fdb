#!/bin/bash
# test_invite.sh - calendar invitations (issue 16): an invitation written
# by libical (tests/ui/helpers/ical_invite.c) in a multipart/alternative
# is shown as a summary (what, when in TZ, repeats in words, where,
# organizer, attendees), not as raw iCalendar; accept sends the RFC 5546
# REPLY to the organizer through the outbox, and the message Postfix
# delivers holds a REPLY that libical reads back (only our attendee,
# PARTSTAT=ACCEPTED, the event's UID); tentative and decline likewise.
source "$(dirname "$0")/lib.sh"
SRC=$(cd "$(dirname "$0")/../.." && pwd)
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME= TZ=Europe/Berlin
mkdir -p "$HOME"
DATA=$T/data
cc -o "$T/ical_invite" "$SRC/tests/ui/helpers/ical_invite.c" $(pkg-config --cflags --libs libical) ||
	{ echo "FAIL - cannot build the libical helper"; echo "0 passed, 1 failed"; exit 1; }

source "$(dirname "$0")/servers.sh"
ui_rig_start
ui_smtp_start || { echo "FAIL - the SMTP rig did not start"; echo "0 passed, 1 failed"; exit 1; }
mkdir -p "$T/seed/INBOX/cur" "$T/seed/INBOX/new" "$T/seed/INBOX/tmp"
{
	printf 'From: Bob Organizer <bob@example.org>\nTo: Alice <alice@example.org>\nSubject: Invitation: Team sync\nDate: Tue, 01 Dec 2026 12:00:00 +0000\nMessage-ID: <inv1@test.example>\nMIME-Version: 1.0\nContent-Type: multipart/alternative; boundary="b1"\n\n'
	printf -- '--b1\nContent-Type: text/plain; charset=utf-8\n\nYou are invited to Team sync.\n'
	printf -- '--b1\nContent-Type: text/calendar; charset=utf-8; method=REQUEST\n\n'
	"$T/ical_invite"
	printf -- '\n--b1--\n'
} > "$T/seed/INBOX/cur/1893492000.M1P1.rig:2,"
"$SRC/tests/rig/rig" populate "$RIGDIR" alice "$T/seed" >/dev/null
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set sidebar_visible = no
account work
set imap_url = "imaps://$RIG_USER@127.0.0.1:$RIG_IMAPS_PORT"
set imap_pass = "$RIG_PASS"
set tls_ca_file = "$RIG_CA"
set smtp_url = "smtp://$RIG_USER@127.0.0.1:$SMTP_SUBMISSION_PORT"
set from = "Alice <alice@example.org>"
sent-hook "cat > $T/sent.eml; env | grep ^MUTTLIKE_ | sort > $T/sent.env"
EOF
chmod 600 "$T/a.rc"
"$MUTTLIKE_BIN" -F "$T/a.rc" sync >"$T/sync1.log" 2>&1

ui_start -x 110 -y 40 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "Invitation: Team sync"
ui_keys Enter
check "the invitation is summarised" eval 'ui_wait "What:      Team sync" && ui_until eval "ui_screen | grep -q \"Where: *Room 4\""'
check "when, in the user's time zone (10:00 New York = 16:00 Berlin)" ui_until eval 'ui_screen | grep -q "When: .*16:00"'
check "the recurrence rule in words" ui_until eval 'ui_screen | grep -q "Repeats: *every week on Monday and Wednesday"'
check "organizer and attendees" ui_until eval 'ui_screen | grep -q "Organizer: .*bob@example.org" && ui_screen | grep -qF "alice@example.org> (needs action)"'
check "no raw iCalendar" eval '! ui_screen | grep -q "BEGIN:VEVENT"'
ui_keys :
ui_type "exec accept"
ui_keys Enter
check "accept queues the answer to the organizer" ui_wait "Accepted: Team sync: the answer to bob@example.org is in the outbox."
delivered() { grep -l "^Subject: Accepted: Team sync" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1; }
wait_delivered() { for _ in $(seq 300); do [ -n "$(delivered)" ] && return 0; sleep 0.1; done; return 1; }
check "Postfix delivered it" wait_delivered
python3 - "$(delivered)" "$T/reply.ics" <<'EOF'
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], 'rb'))
for p in m.walk():
    if p.get_content_type() == 'text/calendar':
        assert p.get_param('method') == 'REPLY', p['Content-Type']
        open(sys.argv[2], 'wb').write(p.get_payload(decode=True))
EOF
check "a text/calendar; method=REPLY part that libical reads as our ACCEPTED" \
	"$T/ical_invite" check "$T/reply.ics" mailto:alice@example.org ACCEPTED
check "to the organizer" eval 'grep -qi "^To: .*bob@example.org" "$(delivered)"'
sent_wait() { for _ in $(seq 300); do [ -s "$T/sent.env" ] && return 0; sleep 0.1; done; return 1; }
check "sent-hook ran after the server took it" sent_wait
check "with the data in its environment" ui_until eval 'grep -qx "MUTTLIKE_SUBJECT=Accepted: Team sync" "$T/sent.env" && grep -qx "MUTTLIKE_TO=bob@example.org" "$T/sent.env" && grep -qx "MUTTLIKE_ACCOUNT=work" "$T/sent.env"'
check "and the message on its stdin" grep -q "^Subject: Accepted: Team sync" "$T/sent.eml"
# the other two answers, each read back with libical
answered() { # WORD PARTSTAT
	local f=
	for _ in $(seq 300); do
		f=$(grep -l "^Subject: $1: Team sync" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1)
		[ -n "$f" ] && break
		sleep 0.1
	done
	[ -n "$f" ] || return 1
	python3 -c '
import email, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"))
for p in m.walk():
    if p.get_content_type() == "text/calendar" and p.get_param("method") == "REPLY":
        open(sys.argv[2], "wb").write(p.get_payload(decode=True))
' "$f" "$T/$2.ics" && "$T/ical_invite" check "$T/$2.ics" mailto:alice@example.org "$2"
}
ui_keys :
ui_type "exec tentative"
ui_keys Enter
check "tentative queues its answer" ui_wait "Tentative: Team sync: the answer to bob@example.org is in the outbox."
check "delivered: a REPLY with PARTSTAT=TENTATIVE" answered Tentative TENTATIVE
ui_keys :
ui_type "exec decline"
ui_keys Enter
check "decline queues its answer" ui_wait "Declined: Team sync: the answer to bob@example.org is in the outbox."
check "delivered: a REPLY with PARTSTAT=DECLINED" answered Declined DECLINED
ui_keys q q
finish
