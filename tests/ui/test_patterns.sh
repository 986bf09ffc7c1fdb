#!/bin/bash
# test_patterns.sh - mutt patterns (~f carol ~d <1w ! | ( )) in limit,
# tag-pattern, "/" search and the query prompt, translated to notmuch;
# notmuch syntax still works; what is not supported is named.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
mkdir -p "$DATA/mail/work"

msg() { # NAME FROM SUBJECT DATE BODY
	printf 'From: %s\nTo: you@example.org\nSubject: %s\nDate: %s\nMessage-ID: <%s@test>\n\n%s\n' "$2" "$3" "$4" "$1" "$5" |
		store_add_message "$DATA" work INBOX "$1"
}
msg q1 "Carol Crane <carol@example.org>" "Quarterly report" "$(date -R -d '-1 day')" "numbers inside"
msg l1 "Carol Crane <carol@example.org>" "Lunch plans" "Mon, 06 Jan 2020 12:00:00 +0000" "pizza"
msg q2 "Dave Dune <dave@example.org>" "Quarterly numbers" "$(date -R -d '-2 days')" "the invoice is attached"
msg h1 "Erin Elm <erin@example.org>" "Hello" "Tue, 01 Jan 2019 09:00:00 +0000" "hi"
msg p1 "Frank Fir <frank@example.org>" "Party" "$(date -R -d '-3 years')" "cake"
store_index "$DATA" work || { echo "FAIL - cannot index"; exit 1; }
NOTMUCH_CONFIG=$DATA/notmuch-config notmuch tag +flagged -- id:q1@test

cat > "$T/a.rc" <<EOF2
set data_dir = "$DATA"
set threads = no
account work
set imap_url = imaps://alice@imap.work.example
EOF2

limit() { ui_keys l C-u; ui_type "$1"; ui_keys Enter; }

ui_start -x 100 -y 24 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "index opens" ui_wait "-- muttlike: work/INBOX [Msgs:5"
limit "~f carol"
check "limit ~f carol: carol's two messages" ui_wait "[Msgs:2 New:2] limit: ~f carol --"
limit "~f carol ~d <1w"
check "limit ~f carol ~d <1w: the recent one" ui_wait "[Msgs:1 New:1] limit: ~f carol ~d <1w --"
limit "(~f carol | ~f dave) !~F"
check "groups, | and !" ui_wait "[Msgs:2 New:2] limit: (~f carol | ~f dave) !~F --"
limit "~b invoice"
check "~b searches the body" ui_wait "[Msgs:1 New:1] limit: ~b invoice --"
limit "~d 01/01/2019-31/12/2020"
check "~d with a DD/MM/YYYY range" ui_wait "[Msgs:2 New:2] limit: ~d 01/01/2019-31/12/2020 --"
limit "~h X-Spam"
check "an unsupported pattern is named" ui_wait "Pattern: ~h is not supported"
check "and the limit stays" eval 'ui_screen | grep -qF "limit: ~d 01/01/2019-31/12/2020"'
limit "from:erin or from:frank"
check "notmuch syntax works as is" ui_wait "[Msgs:2 New:2] limit: from:erin or from:frank --"
ui_keys l C-u Enter
check "an empty limit shows all" ui_wait "[Msgs:5 New:5] --"
ui_keys T
ui_type "~s quarterly"
ui_keys Enter
check "tag-pattern takes a pattern" ui_wait "2 messages selected."
ui_keys /
ui_type "~f frank"
ui_keys Enter Enter
check "/ with a pattern moves to the match" ui_wait "frank@example.org"
ui_keys q
ui_wait "-- muttlike: work/INBOX"
ui_type '\'
ui_type "~F"
ui_keys Enter
check "the query prompt takes a pattern" ui_wait "search: ~F [Msgs:1 New:1]"
ui_keys q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]
finish
