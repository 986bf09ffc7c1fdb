#!/bin/bash
# test_firsthour.sh - what a mutt user met in the first hour (issue 12,
# items on a local store): the index finishes loading without a key, and
# notmuch's author separator stays out of the author column.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data

# one folder big enough that the index loads it in several idle slices
store_make "$DATA" work --seed 3 --count 1500 --one-folder INBOX >/dev/null || { echo "FAIL - cannot build the store"; exit 1; }
printf 'From: Zed Zebra <zed@example.org>\nTo: you@example.org\nSubject: Zebra meeting notes\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <zebra1@test>\n\nThe zebra body.\n' |
	store_add_message "$DATA" work INBOX zebra1
printf 'From: =?UTF-8?B?5p2O5aic?= <li@example.org>\nTo: zed@example.org\nSubject: Re: Zebra meeting notes\nDate: Tue, 01 Jan 2030 11:00:00 +0000\nMessage-ID: <zebra2@test>\nIn-Reply-To: <zebra1@test>\nReferences: <zebra1@test>\n\nThe reply.\n' |
	store_add_message "$DATA" work INBOX zebra2
printf 'From: Old <old@example.org>\nTo: you@example.org\nSubject: Archived long ago\nDate: Mon, 01 Jan 2001 10:00:00 +0000\nMessage-ID: <old1@test>\n\nOld.\n' |
	store_add_message "$DATA" work Archive old1
store_index "$DATA" work

# no account: no sync worker whose status changes would redraw the screen
cat > "$T/a.rc" <<EOR
set data_dir = "$DATA"
EOR

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "index opens" ui_wait "-- muttlike: (no folder) [Msgs:"
# item 8: no key is pressed; the status line must stop saying loading
check "the index finishes loading without a key (issue 12, item 8)" ui_wait_gone "loading..." 30
check "and the thread count is final" eval 'ui_screen | grep -q "Threads:[0-9]*\]"'

# item 7: a thread whose newer author does not match the limit
ui_keys l
ui_type "from:li@example.org"
ui_keys Enter
check "limit to the reply" ui_wait "limit: from:li@example.org"
check "a limit on all mail finds it (not notmuch's '(*) and (...)')" ui_wait "[Msgs:1 "
authors_joined() { ui_screen | grep "Zebra meeting" | grep -q "李娜, Zed Zebra"; }
check "authors are separated by a comma, not notmuch's '|' (item 7)" \
	eval 'ui_until authors_joined && ! ui_screen | grep -q "李娜|"'

ui_keys q
st=$(ui_exited); check "q quits with status 0 (got $st)" [ "$st" = 0 ]

# item 6: a typo in the config is said at start, and check exits 2
cat > "$T/typo.rc" <<EOR
set data_dir = "$DATA"
set sidebar_widht = 20
account work
set imap_url = imaps://alice@127.0.0.1:1
EOR
ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/typo.rc"
check "the reader opens" ui_wait "-- muttlike: work/INBOX"
check "the message line counts the config problems (item 6)" ui_wait "1 config problem (press ? to see)"
ui_keys '?' '*'
check "and ? lists it" ui_wait "unknown option 'sidebar_widht'"
ui_keys q q
ui_exited >/dev/null
"$MUTTLIKE_BIN" -F "$T/typo.rc" check >"$T/check.out" 2>&1
st=$?
check "muttlike check exits 2 on config errors (got $st)" [ "$st" = 2 ]
check "and names the problem" grep -q "sidebar_widht" "$T/check.out"

# item 5: no SMTP configured: y refuses at once, the message stays in the outbox
cat > "$T/editor.sh" <<'EOS'
#!/bin/sh
sed -i 's/^To: *$/To: Bob <bob@example.org>/; s/^Subject: *$/Subject: Nowhere to go/' "$1"
printf 'Body.\n' >> "$1"
EOS
chmod +x "$T/editor.sh"
cat > "$T/nosmtp.rc" <<EOR
set data_dir = "$DATA"
set editor = "$T/editor.sh"
account work
set imap_url = imaps://alice@127.0.0.1:1
set from = "Alice <alice@example.org>"
EOR
ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/nosmtp.rc"
check "the reader opens (no SMTP)" ui_wait "-- muttlike: work/INBOX"

# item 1: mutt's =/+ folder prefixes, completion, and a question before a new folder
ui_keys s
check "the prompt stays while the status changes" ui_wait "Move to folder:"
ui_type "=Arc"
ui_keys Tab
check "folder completion keeps mutt's '=' (item 1)" ui_wait "Move to folder: =Archive"
ui_keys C-u
ui_type "+Nowhere"
ui_keys Enter
check "an unknown folder is not created without asking" ui_wait "Create folder Nowhere?"
ui_keys n
check "declined: no folder made" eval 'ui_wait_gone "Create folder" && [ ! -e "$DATA/mail/work/Nowhere" ] && [ ! -e "$DATA/mail/work/+Nowhere" ]'
ui_keys C
ui_type "=Saved"
ui_keys Enter
check "copy asks too" ui_wait "Create folder Saved?"
ui_keys y
check "accepted: the thread is copied to the new folder, named without '='" ui_wait "2 messages copied to Saved."
check "the folder is Saved, not =Saved" eval '[ -d "$DATA/mail/work/Saved/cur" ] && [ ! -e "$DATA/mail/work/=Saved" ]'
ui_keys s
ui_type "=Archive"
ui_keys Enter
check "an existing folder with '=' is used without a question" ui_wait "2 messages moved to Archive."
check "and no '=Archive' folder appears" eval '[ ! -e "$DATA/mail/work/=Archive" ] && ls "$DATA/mail/work/Archive/cur" | grep -qv old1'
ui_keys c
ui_type "=Archive"
ui_keys Enter
check "change-folder takes '=' too" ui_wait "-- muttlike: Archive [Msgs:3"

ui_keys m
check "compose screen" ui_wait "Subject: Nowhere to go"
ui_keys y
check "y says at once why it cannot send (item 5)" ui_wait "Not sent: neither smtp_url nor sendmail is set"
check "not 'Sending in the background'" eval '! ui_screen | grep -q "Sending in the background"'
check "the message waits in the outbox" eval 'grep -lq "Subject: Nowhere to go" -r "$DATA/state/work/outbox"'
ui_keys q
ui_exited >/dev/null
finish
