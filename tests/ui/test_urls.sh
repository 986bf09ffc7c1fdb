#!/bin/bash
# test_urls.sh - the links list (issue 12 item 9): an opener that cannot
# be run or that fails is reported (never "Opened with"), a successful one
# gets the URL as one argument, and with no display (over SSH) the URL is
# printed and, with url_copy, copied through OSC 52.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
printf 'From: Zed Zebra <zed@example.org>\nTo: you@example.org\nSubject: Link here\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <link1@test>\n\nSee https://example.org/zebra?a=1 for more.\n' |
	store_add_message "$DATA" work INBOX link1
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
printf '#!/bin/sh\nprintf "%%s\\n" "$#:$1" > %s/opened\n' "$T" > "$T/opener"
chmod +x "$T/opener"

rc() { # EXTRA-LINES
	cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
$1
account work
set imap_url = imaps://alice@imap.work.example
EOF
}

open_links() {
	ui_wait "-- muttlike: work/INBOX" || return 1
	ui_keys Enter
	ui_wait "See https://example.org/zebra" || return 1
	ui_keys C-b
	ui_wait "-- Links" || ui_wait "https://example.org/zebra?a=1"
}

rc "set url_opener = /nonexistent/opener"
ui_start -x 120 -y 24 env DISPLAY=:99 "$MUTTLIKE_BIN" -F "$T/a.rc"
open_links
ui_keys Enter
check "an opener that cannot be run is reported with the reason" ui_wait "Cannot run /nonexistent/opener: No such file or directory"
check "and the URL is printed" ui_until eval 'ui_screen | grep -q "set url_copy to copy it): https://example.org/zebra?a=1"'
check "it does not claim to have opened it" eval '! ui_screen | grep -q "Opened with"'
ui_keys :
ui_type "set url_opener = false"
ui_keys Enter
ui_keys Enter
check "an opener that fails is reported with its exit status" ui_wait "false failed (exit status 1)"
ui_keys :
ui_type "set url_opener = $T/opener"
ui_keys Enter
ui_keys Enter
check "a working opener is reported once it has finished" ui_wait "Opened with $T/opener."
check "the URL was its one argument" eval 'grep -qxF "1:https://example.org/zebra?a=1" "$T/opened"'

# over SSH: no display; xdg-open is not tried
rc "set url_copy = yes"
ui_start -x 120 -y 24 env -u DISPLAY -u WAYLAND_DISPLAY SSH_CONNECTION="10.0.0.1 22 10.0.0.2 22" "$MUTTLIKE_BIN" -F "$T/a.rc"
tmux -L "$UI_SOCK" set -g set-clipboard on
tmux -L "$UI_SOCK" delete-buffer 2>/dev/null
open_links
ui_keys Enter
check "no display: the URL is copied and printed" ui_wait "No display to open it on; copied (OSC 52): https://example.org/zebra?a=1"
clip() { tmux -L "$UI_SOCK" show-buffer 2>/dev/null; }
got_clip() {
	local i
	for i in $(seq 600); do
		[ "$(clip)" = "https://example.org/zebra?a=1" ] && return 0
		sleep 0.05
	done
	echo "clipboard: '$(clip)'" >&2
	return 1
}
check "the terminal received the URL through OSC 52" got_clip

rc ""
ui_start -x 120 -y 24 env -u DISPLAY -u WAYLAND_DISPLAY "$MUTTLIKE_BIN" -F "$T/a.rc"
open_links
ui_keys Enter
check "url_copy is off by default: printed, with the hint" ui_wait "No display to open it on (set url_copy to copy it): https://example.org/zebra?a=1"
ui_keys q q q
finish
