#!/bin/bash
# test_wizard_form.sh - the setup wizard's curses form in a real terminal
# (tmux, 80x24) against real servers (tests/ui/wizard_env.sh): fill it in,
# go back with Esc, cancel with Ctrl-C leaving nothing behind, and the
# first start of the reader with no rc running the wizard, and add-account
# from the reader (it closes, the wizard runs, it reopens on the new account).
source "$(dirname "$0")/wizard_env.sh"
wiz_enter_netns "$0" "$@"
source "$(dirname "$0")/lib.sh"
trap 'wiz_stop; ui_cleanup' EXIT
wiz_start
M=$MUTTLIKE_BIN
T=$WIZ_DIR
capture() { ui_screen > "$T/$1.screen"; [ -n "${WIZ_CAPTURE:-}" ] && ui_screen > "$WIZ_CAPTURE.$1"; return 0; }

# Right on the focused choice until it shows < WANT >, one key at a time:
# each waits for the choice to change (keys sent ahead of a slow redraw
# would cycle past WANT).
choice_to() { # WANT
	local i cur
	for ((i = 0; i < 10; i++)); do
		cur=$(ui_screen | grep -o "< [a-z-]* >" | head -1)
		[ "$cur" = "< $1 >" ] && return 0
		ui_keys Right
		ui_until eval '[ "$(ui_screen | grep -o "< [a-z-]* >" | head -1)" != "$cur" ]' >/dev/null || return 1
	done
	return 1
}

# -- a whole run through the form --
ui_start "$M" -F "$T/form.rc" setup --ca-file "$RIG_CA"
check "identity page shown" ui_wait "who you are"
capture identity
ui_type "Alice Example"; ui_keys Tab
ui_type "alice@srv.example"; ui_keys Enter Enter Enter
check "discovery finds the servers" ui_wait "(2/5): servers" 30
capture servers
check "servers: IMAP from SRV shown" ui_until eval 'ui_screen | grep -q "Incoming: imaps://imap.test.example:$RIG_IMAPS_PORT works, from SRV"'
check "servers: the button fits in 80x24" ui_until eval 'ui_screen | grep -q "\[ Check and go on \]"'
check "servers: key hints on the last row" ui_until eval 'ui_row 23 | grep -q "Esc back"'
ui_keys BTab Enter
check "password page" ui_wait "(3/5): password" 30
ui_keys Escape
check "Esc goes back to the servers" ui_wait "(2/5): servers"
ui_keys BTab Enter
check "password page again" ui_wait "(3/5): password" 30
ui_type "not-the-password"; ui_keys Enter Enter
check "a wrong password is refused on the page" ui_wait "login as" 30
ui_keys C-u; ui_type "$RIG_PASS"; ui_keys Enter Enter
check "password tested, storage page" ui_wait "(4/5): keeping the password" 30
check "the password is never on screen" eval '! ui_screen | grep -q "$RIG_PASS"'
capture store
choice_to file         # command -> the next ways (file, when pass/secret-tool are absent)
ui_keys BTab Enter
check "summary page" ui_wait "(5/5): write it"
capture summary
check "summary shows the block" ui_until eval 'ui_screen | grep -q "set imap_url = \"imaps://alice@imap.test.example:$RIG_IMAPS_PORT\""'
ui_keys Right BTab Enter  # Sync now: yes -> no, then write
st=$(ui_exited 30)
check "form: exit 0 ($st)" [ "$st" = 0 ]
check "form: rc written" grep -q "account srv.example" "$T/form.rc"
check "form: password file 0600" [ "$(stat -c %a "$T/srv.example.pass")" = 600 ]
check "form: rc 0600" [ "$(stat -c %a "$T/form.rc")" = 600 ]

# -- Ctrl-C on the password page: nothing written --
ui_start sh -c 'exec "$@" 2> "$0"' "$T/cancel.err" "$M" -F "$T/cancel.rc" setup --ca-file "$RIG_CA" --email alice@srv.example --name Alice
check "cancel run: identity page pre-filled" ui_wait "alice@srv.example"
ui_keys BTab Enter
check "cancel run: servers" ui_wait "(2/5): servers" 30
ui_keys BTab Enter
check "cancel run: password page" ui_wait "(3/5): password" 30
ui_type "$RIG_PASS"
ui_keys C-c
st=$(ui_exited 30)
check "Ctrl-C: exit 1 ($st)" [ "$st" = 1 ]
check "Ctrl-C: says nothing was written" grep -q "setup cancelled; nothing was written" "$T/cancel.err"
check "Ctrl-C: no rc" [ ! -e "$T/cancel.rc" ]
check "Ctrl-C: no password file, no pin" eval '[ ! -e "$T/srv.example-2.pass" ] && [ ! -e "$T/srv.example.pass.tmp" ]'

# -- Ctrl-C while discovery runs stops it --
ui_start "$M" -F "$T/cancel2.rc" setup --ca-file "$RIG_CA" --email alice@test.example --name Alice
check "cancel during discovery: identity" ui_wait "who you are"
ui_keys BTab Enter
check "cancel during discovery: busy screen" ui_wait "Looking for the servers" 30
ui_keys C-c
check "cancel during discovery: back on the first page" ui_wait "who you are" 30
ui_keys C-c
st=$(ui_exited 30)
check "cancel during discovery: exit 1 ($st)" [ "$st" = 1 ]
check "cancel during discovery: no rc" [ ! -e "$T/cancel2.rc" ]

# -- first start of the reader without any rc runs the wizard --
ui_start env XDG_CONFIG_HOME="$T/fresh" "$M"
check "first start: the wizard opens" ui_wait "who you are"
ui_keys C-c
st=$(ui_exited 30)
check "first start, cancelled: exit 1 ($st)" [ "$st" = 1 ]
check "first start, cancelled: no rc" [ ! -e "$T/fresh/muttlike/muttlike.rc" ]

# -- add-account from the reader: it closes, the wizard runs, it reopens --
ui_start "$M" -F "$T/form.rc"
check "reader on the first account" ui_wait "srv.example" 30
ui_keys Escape A
check "add-account asks first" ui_wait "set up another account"
ui_type y
check "add-account: the wizard opens" ui_wait "who you are" 30
ui_keys C-c
check "add-account, cancelled: the reader is back" ui_wait "srv.example" 30
check "add-account, cancelled: the rc still has one account" [ "$(grep -c '^account ' "$T/form.rc")" = 1 ]
ui_keys Escape A
ui_wait "set up another account" >/dev/null
ui_type y
check "add-account again: the wizard" ui_wait "who you are" 30
ui_type "Alice Two"; ui_keys Tab
ui_type "alice@srv.example"; ui_keys Tab
ui_type "second"; ui_keys Enter Enter
check "add-account: servers found (the reader's CA trusted)" ui_wait "(2/5): servers" 30
ui_keys BTab Enter
check "add-account: password page" ui_wait "(3/5): password" 30
ui_type "$RIG_PASS"; ui_keys Enter Enter
check "add-account: storage page" ui_wait "(4/5): keeping the password" 30
choice_to file
ui_keys BTab Enter
check "add-account: summary" ui_wait "(5/5): write it"
ui_keys Right BTab Enter
check "add-account: the reader reopens on the new account" ui_wait "second/INBOX" 30
check "add-account: both accounts in the rc" eval 'grep -q "^account second" "$T/form.rc" && grep -q "^account srv.example" "$T/form.rc"'
ui_keys q
ui_wait "Quit muttlike" 30 >/dev/null && ui_type y
st=$(ui_exited 30)
check "add-account: the reader quits normally ($st)" [ "$st" = 0 ]

if compgen -G "$UI_TMP/asan*" >/dev/null || compgen -G "$UI_TMP/ubsan*" >/dev/null; then
	check "no sanitizer reports from muttlike" false
	cat "$UI_TMP"/asan* "$UI_TMP"/ubsan* 2>/dev/null | head -40
fi
finish
