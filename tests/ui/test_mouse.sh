#!/bin/bash
# test_mouse.sh - `set mouse = yes`: a click selects an index line, a
# click on a sidebar folder opens it, the wheel moves through the index
# and scrolls the pager (without leaving the message).  The events are
# xterm SGR (1006) sequences typed into the pane, as a terminal sends
# them; with `mouse = no` the same bytes change nothing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
store_make "$DATA" work --seed 7 --count 80 >/dev/null || { echo "FAIL - cannot build the store"; exit 1; }
{
	printf 'From: Long Writer <long@example.org>\nTo: you@example.org\nSubject: The long one\nDate: Wed, 01 Jan 2031 10:00:00 +0000\nMessage-ID: <long1@test>\n\n'
	for i in $(seq -w 1 120); do echo "Line $i of the long message."; done
} | store_add_message "$DATA" work INBOX long1
store_index "$DATA" work

# SGR 1006: ESC [ < button ; column ; row M (press) / m (release), 1-based
sgr() { ui_type $'\e'"[<$1;$(($2 + 1));$(($3 + 1))$4"; }
click() { sgr 0 "$1" "$2" M; sgr 0 "$1" "$2" m; } # COL ROW, 0-based like ui_row
wheel() { # up|down COL ROW [TIMES]
	local b=64 i
	[ "$1" = down ] && b=65
	for ((i = 0; i < ${4:-1}; i++)); do sgr $b "$2" "$3" M; done
}
rc() { # MOUSE
	cat > "$T/a.rc" <<EOF2
set data_dir = "$DATA"
set mouse = $1
set threads = no
set index_format = "%4C %Z|%s"
account work
set imap_url = imaps://alice@imap.work.example
EOF2
}
# until the shell condition holds (30 s)
until_ok() {
	local i
	for i in $(seq 300); do
		eval "$1" && return 0
		sleep 0.1
	done
	ui_screen | sed 's/^/  | /' >&2
	return 1
}
sel_rows() { ui_screen | sed -n "s/^.*│ *\([0-9]*\) \*.*/\1/p" | tr "\n" " "; }

rc yes
ui_start -x 100 -y 24 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "index opens" ui_wait "-- muttlike: work/INBOX [Msgs:"
click 50 5
ui_keys t
check "a click selects the index line under it (tag-entry marks entry 5)" until_ok '[ "$(sel_rows)" = "5 " ]'
wheel down 50 10
ui_keys t
check "the wheel moves the cursor down three entries" until_ok '[ "$(sel_rows)" = "5 9 " ]'
wheel down 50 10 10
check "the wheel scrolls the index" until_ok '! ui_row 1 | grep -qE "│ +1 "'
wheel up 50 10 20
check "and back up to the top" until_ok 'ui_row 1 | grep -qE "│ +1 "'
click 50 0
click 50 22
click 50 23
click 28 6
ui_settled >/dev/null # the four clicks have been handled
check "clicks on the help bar and status lines do nothing" eval 'ui_row 1 | grep -qE "│ +1 " && [ "$(sel_rows)" = "5 9 " ]'
check "a click on the sidebar's divider does nothing" eval 'ui_screen | grep -q -- "-- muttlike: work/INBOX"'

r=$(ui_screen | grep -n '^  dev ' | head -1 | cut -d: -f1)
check "the sidebar shows Lists/dev" [ -n "$r" ]
click 3 $((r - 1))
check "a click on a sidebar folder opens it" ui_wait "-- muttlike: work/Lists/dev [Msgs:"
r=$(ui_screen | grep -n '^ INBOX' | head -1 | cut -d: -f1)
click 3 $((r - 1))
check "and one on INBOX opens it again" ui_wait "-- muttlike: work/INBOX [Msgs:"

click 50 1
ui_keys Enter
check "the clicked message opens" ui_wait "Line 001 of the long message."
wheel down 50 10 2
check "the wheel scrolls the pager by lines" eval 'ui_wait_gone "Line 001 of the long" && ui_row 1 | grep -q "Line 0[0-9][0-9] of the long" && ui_screen | grep -q "Line 020 of the long"'
check "in the same message" eval 'ui_screen | grep -q -- "-- The long one"'
wheel up 50 10 5
check "and back up" ui_wait "Line 001 of the long message."
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null
ui_keys q
st=$(ui_exited); check "quits cleanly (got $st)" [ "$st" = 0 ]

# mouse off: the same bytes (a terminal would not send them) do nothing
rc no
ui_start -x 100 -y 24 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX [Msgs:" >/dev/null
click 50 5
wheel down 50 10 3
r=$(ui_screen | grep -n '^  dev ' | head -1 | cut -d: -f1)
click 3 $((r - 1))
# t after the clicks: once it has marked an entry, the clicks were handled
ui_keys t
check "mouse off: the cursor did not move (tag-entry marks entry 1)" until_ok '[ "$(sel_rows)" = "1 " ]'
check "mouse off: no folder was opened" eval 'ui_screen | grep -qF -- "-- muttlike: work/INBOX [Msgs:"'
check "mouse off: the program runs and nothing was typed into it" eval '[ ! -f "$UI_TMP/exit.status" ] && ! ui_screen | grep -qi "not bound"'
ui_keys q
st=$(ui_exited); check "mouse off: quits cleanly (got $st)" [ "$st" = 0 ]
finish
