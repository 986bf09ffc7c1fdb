#!/bin/bash
# test_reader.sh - the reader on a real store (generated Maildirs indexed
# by notmuch, laid out as the sync engine does): index newest first,
# pager with decoded body, thread view, sidebar, search, help, the
# command line, resize, and a hostile message shown harmlessly.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME" "$T/save"
DATA=$T/data

store_make "$DATA" work --seed 5 --count 80 --attach-rate 10 >/dev/null || { echo "FAIL - cannot build the store"; exit 1; }
printf 'From: Zed Zebra <zed@example.org>\nTo: you@example.org\nSubject: Zebra meeting notes\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <zebra1@test>\nContent-Type: text/plain; charset=utf-8\n\nThe zebra body line.\n\n> quoted text from before\n\nSee https://example.org/zebra for more.\n-- \nZed\n' |
	store_add_message "$DATA" work INBOX zebra1
printf 'From: Ann Other <ann@example.org>\nTo: zed@example.org\nSubject: Re: Zebra meeting notes\nDate: Tue, 01 Jan 2030 11:00:00 +0000\nMessage-ID: <zebra2@test>\nIn-Reply-To: <zebra1@test>\nReferences: <zebra1@test>\n\nThe reply body, \xe4\xb8\xad\xe6\x96\x87 wide.\n' |
	store_add_message "$DATA" work INBOX zebra2
printf 'From: "Evil \033]0;pwned\007 Guy" <evil@example.org>\nSubject: Hostile \033[31mred\033[0m \302\233 subj\nDate: Mon, 01 Jan 2029 00:00:00 +0000\nMessage-ID: <hostile1@test>\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nBody with \033]0;pwnedtitle\007 and \033[2J clear\n--b\nContent-Type: application/octet-stream; name="../../.bashrc"\nContent-Disposition: attachment; filename="../../.bashrc"\nContent-Transfer-Encoding: base64\n\nZWNobyBwd25lZAo=\n--b--\n' |
	store_add_message "$DATA" work INBOX hostile1
store_index "$DATA" work

cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set attach_save_dir = "$T/save"
set hide_thread_subject = no
set mouse = yes
search "Zebras" "subject:zebra"
account work
set imap_url = imaps://alice@imap.work.example
EOF

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "index opens on the account's INBOX" ui_wait "-- muttlike: work/INBOX [Msgs:"
check "newest first: the 2030 thread is on the first line, folded, with the count of hidden messages" eval 'ui_row 1 | grep -q "Zebra meeting notes (+1)"'
check "thread authors" eval 'ui_row 1 | grep -q "Zed Zebra, Ann Other"'
check "sidebar lists the account and its folders" eval 'ui_screen | grep -q "^work " && ui_screen | grep -q "^ INBOX" && ui_screen | grep -q "^  dev"'
check "sidebar lists saved searches" eval 'ui_screen | grep -q "Zebras"'
check "the hostile subject has no escape sequence" eval 'ui_row 2 | grep -q "Hostile .\[31mred.\[0m . subj"'
check "the terminal title was not changed" eval '! tmux -L "$UI_SOCK" display -p "#{pane_title}" | grep -q pwned'
check "help bar on the top row" eval 'ui_row 0 | grep -q "?:Help"'

ui_keys Escape Enter
check "view-thread (Esc Enter) on a thread opens the thread view" ui_wait "-- thread: Zebra meeting notes [2 messages]"
check "the reply is drawn under its parent" eval 'ui_row 2 | grep -q "└─>Re: Zebra meeting notes"'
check "the display name, not the address" eval 'ui_row 1 | grep -q "Zed Zebra" && ! ui_row 1 | grep -q "zed@example.org"'
ui_keys Escape v
check "collapse-thread folds the replies" ui_wait "Zebra meeting notes (+1)"
ui_keys Escape v
check "and unfolds them" ui_wait "└─>Re: Zebra"
ui_keys Enter
check "Enter opens the pager with the decoded header" ui_wait "Subject: Zebra meeting notes"
check "the body is shown" ui_wait "The zebra body line."
check "quoted text is shown" ui_wait "> quoted text from before"
check "pager status names the message" ui_until eval 'ui_screen | grep -q -- "-- Zebra meeting notes"'
ui_keys C-b
check "view-urls lists the link" ui_wait "https://example.org/zebra"
ui_keys q
ui_keys T
check "toggle-quoted hides the quoted line" ui_wait_gone "> quoted text from before"
ui_keys j
check "next-entry in the pager opens the next message of the thread" ui_wait "The reply body, 中文 wide."
ui_keys q q j Enter
check "the next thread's message opens" ui_wait "Body with"
check "hostile body shown harmlessly" eval 'ui_screen | grep -q "Body with .\]0;pwnedtitle. and .\[2J clear"'
ui_keys v
check "the attachments view lists the part" ui_wait "application/octet-stream"
check "the hostile file name is shown as text" ui_until eval 'ui_screen | grep -q "\.\./\.\./\.bashrc"'
ui_keys j s
check "save proposes a safe name in attach_save_dir" ui_wait "Save to file: $T/save/_bashrc"
ui_keys Enter
check "saved under the safe name" ui_until eval '[ -f "$T/save/_bashrc" ] && [ ! -e "$T/.bashrc" ] && [ ! -e "$HOME/.bashrc" ]'
ui_keys s Enter
check "an existing file is not overwritten without asking" ui_wait "exists. Overwrite?"
ui_keys n
ui_keys q q
check "back in the index" ui_wait "-- muttlike: work/INBOX"

NOTMUCH_CONFIG=$DATA/notmuch-config notmuch tag +flagged -- id:zebra1@test
row1_flagged() {
	local i
	for i in $(seq 300); do
		ui_row 1 | grep -q " 1 .! " && return 0
		sleep 0.1
	done
	return 1
}
check "a change to the store shows without a keypress" row1_flagged
ui_keys l
ui_type "from:ann"
ui_keys Enter
check "limit narrows the index" ui_wait "limit: from:ann"
ui_keys l C-u Enter
check "an empty limit shows all again" ui_wait_gone "limit: from:ann"

ui_keys '?'
check "help lists the index bindings" ui_wait "Help for index"
check "help shows keys and functions from the keymap" eval 'ui_screen | grep -q "display-message"'
ui_keys q

ui_type '\'
check "vfolder prompt" ui_wait "Query (pattern or notmuch syntax):"
ui_type "subject:zebra"
ui_keys Enter
check "search results as a virtual folder" ui_wait "-- muttlike: search: subject:zebra [Msgs:2"

ui_keys :
ui_type "set sideb"
ui_keys Tab
check "command completion of option names" ui_wait ":set sidebar_"
ui_keys C-u
ui_type "set sidebar_visible = no"
ui_keys Enter
check ":set hides the sidebar" ui_wait_gone "Zebras"
ui_keys :
ui_keys Up
check "command history" ui_wait ":set sidebar_visible = no"
ui_keys C-u
ui_type "set sidebar_visible = yes"
ui_keys Enter
check "sidebar back" ui_wait "Zebras"

ui_keys c
ui_type "Lists/d"
ui_keys Tab
check "folder completion" ui_wait "Open folder: Lists/dev"
ui_keys Enter
check "change-folder opens it" ui_wait "-- muttlike: Lists/dev [Msgs:"

ui_resize 120 40
check "redraws after a resize (status on the new second-to-last row)" ui_until eval 'ui_row 38 | grep -q -- "-- muttlike: Lists/dev"'
ui_resize 80 24
check "80x24 still shows index and status" ui_until eval 'ui_row 22 | grep -q -- "-- muttlike: Lists/dev"'
ui_keys C-l
check "Ctrl-L redraws" ui_until eval 'ui_row 22 | grep -q -- "-- muttlike:"'

ui_keys q
st=$(ui_exited); check "q quits with status 0 (got $st)" [ "$st" = 0 ]
finish
