#!/bin/bash
# test_mutt_keys.sh - mutt's keys do what mutt users expect where muttlike
# has the function: w/W (set/clear flag), Esc t (tag-thread), D (delete
# pattern), ^D (delete thread), Esc / (reverse search), \ (query), and
# :exec / :push, also from a macro.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
mkdir -p "$DATA/mail/work/Trash/cur" "$DATA/mail/work/Trash/new" "$DATA/mail/work/Trash/tmp"
msg() { # NAME FROM SUBJECT DATE [IN-REPLY-TO]
	{
		printf 'From: %s\nTo: you@example.org\nSubject: %s\nDate: %s\nMessage-ID: <%s@test>\n' "$2" "$3" "$4" "$1"
		[ -n "${5:-}" ] && printf 'In-Reply-To: <%s@test>\nReferences: <%s@test>\n' "$5" "$5"
		printf '\nbody\n'
	} | store_add_message "$DATA" work INBOX "$1"
}
msg t1 "Tom Thumb <tom@example.org>" "Thread start" "Mon, 01 Jun 2026 10:00:00 +0000"
msg t2 "Una Up <una@example.org>" "Re: Thread start" "Mon, 01 Jun 2026 11:00:00 +0000" t1
msg p1 "Pat Party <pat@example.org>" "Party time" "Sun, 31 May 2026 10:00:00 +0000"
msg c1 "Carol Crane <carol@example.org>" "Carol one" "Sat, 30 May 2026 10:00:00 +0000"
msg c2 "Carol Crane <carol@example.org>" "Carol two" "Fri, 29 May 2026 10:00:00 +0000"
store_index "$DATA" work || { echo "FAIL - cannot index"; exit 1; }

cat > "$T/a.rc" <<EOF2
set data_dir = "$DATA"
set sidebar_visible = no
macro index X ":exec limit<Enter>~f carol<Enter>" "limit to carol"
account work
set imap_url = imaps://alice@imap.work.example
EOF2

ui_start -x 100 -y 24 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "index opens, thread first" ui_wait "Thread start (+1)"
ui_keys j w
check "w asks which flag" ui_wait "Set flag (! flagged, N unread)"
ui_keys '!'
check "w ! flags the message" ui_wait "1 message flagged."
check "the line shows the flag" ui_until eval 'ui_row 2 | grep -q "Party time" && ui_row 2 | grep -q "!"'
ui_keys W '!'
check "W ! clears it" ui_wait "1 message unflagged."
ui_keys k Escape t
ui_type ';w!'
check "Esc t selects the whole thread (both messages flagged)" ui_wait "2 messages flagged."
ui_keys Escape /
check "Esc / is reverse search in the index" ui_wait "Reverse search for:"
ui_keys C-g
ui_type '\'
check "\\ opens the query prompt" ui_wait "Query (pattern or notmuch syntax):"
ui_keys C-g
ui_keys D
check "D asks for a pattern" ui_wait "Delete messages matching:"
ui_type "~s party"
ui_keys Enter
check "D deletes the matching message" ui_wait "1 message moved to Trash"
check "it is gone from the index" ui_wait_gone "Party time"
ui_keys '=' C-d
check "^D deletes the current thread" ui_wait "2 messages moved to Trash"
check "the thread is gone" ui_wait_gone "Thread start"
ui_keys :
ui_type "exec toggle-threads"
ui_keys Enter
check ":exec runs a function" ui_wait "Showing messages."
ui_keys :
ui_type "push <limit>~f<Space>carol<Enter>"
ui_keys Enter
check ":push queues keys" ui_wait "limit: ~f carol --"
ui_keys l C-u Enter
ui_wait_gone "limit: ~f carol" >/dev/null
ui_keys X
check "a macro with :exec" ui_wait "limit: ~f carol --"
ui_keys :
ui_type "exec no-such-function"
ui_keys Enter
check ":exec names an unknown function" ui_wait "exec: unknown function 'no-such-function'."
ui_keys q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]
finish
