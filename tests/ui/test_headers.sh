#!/bin/bash
# test_headers.sh - all headers (display-toggle-weed, issue 12 item 10):
# decoded (RFC 2047) and sanitized, in file order, also for an unread
# message whose file was renamed when opening it marked it seen (the
# header block used to vanish then: the demo's "Welcome to the team!");
# view-raw-message shows the source as it is.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME" "$T/data/mail/work/INBOX/"{cur,new,tmp}
DATA=$T/data
# unread (":2," with no S): reading it renames the file to ":2,S"
printf 'Return-Path: <grace@example.com>\nReceived: from mail1.example.com\n\tby mx.example.test; Thu, 26 Sep 2024 09:02:31 +0100\nDate: Thu, 26 Sep 2024 04:02:26 -0400\nFrom: Grace Hopper <grace@example.com>\nTo: =?UTF-8?B?TcOlcnRlbiBFaw==?= <marten@example.org>,\n =?KOI8-R?Q?=E4=CD=C9=D4=D2=C9=CA?= <dk@example.ru>\nSubject: Welcome to the team!\nX-Evil: =?UTF-8?Q?a=1B]0;pwned=07b?=\nMessage-ID: <welcome1@test>\nContent-Type: text/plain; charset=utf-8\n\nWelcome body line.\n' \
	> "$DATA/mail/work/INBOX/cur/1727337746.391_7.test:2,"
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
account work
set imap_url = imaps://alice@imap.work.example
EOF

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX"
ui_keys Enter
check "the pager shows the weeded, decoded header" ui_wait "To: Mårten Ek <marten@example.org>, Дмитрий <dk@example.ru>"
renamed() {
	local i
	for i in $(seq 600); do
		[ -f "$DATA/mail/work/INBOX/cur/1727337746.391_7.test:2,S" ] && return 0
		sleep 0.05
	done
	return 1
}
check "opening it marked it seen: the file was renamed" renamed
ui_keys h
check "all headers: the block is there after the rename" ui_wait "Return-Path: <grace@example.com>"
check "folded fields are unfolded" ui_until eval 'ui_screen | grep -q "^Received: from mail1.example.com by mx.example.test; Thu, 26 Sep 2024"'
check "encoded words are decoded" ui_until eval 'ui_screen | grep -q "^To: Mårten Ek <marten@example.org>, Дмитрий <dk@example.ru>"'
check "no encoded word is left" eval '! ui_screen | grep -q "=?UTF-8?"'
check "a control character that came encoded is shown harmlessly" ui_until eval 'ui_screen | grep -q "^X-Evil: a.\]0;pwned.b"'
check "the terminal title was not changed" eval '! tmux -L "$UI_SOCK" display -p "#{pane_title}" | grep -q pwned'
check "the body follows" ui_until eval 'ui_screen | grep -q "Welcome body line."'
ui_keys H
check "view-raw-message (H) shows the source as it is" ui_wait "To: =?UTF-8?B?TcOlcnRlbiBFaw==?= <marten@example.org>,"
check "with its folding" ui_until eval 'ui_screen | grep -q "^ =?KOI8-R?Q?=E4=CD=C9=D4=D2=C9=CA?= <dk@example.ru>"'
check "and still no escape sequence" ui_until eval 'ui_screen | grep -q "^X-Evil: =?UTF-8?Q?a=1B\]0;pwned=07b?="'
ui_keys q
check "q goes back to the message" ui_wait "Return-Path: <grace@example.com>"
ui_keys h
check "h again weeds" ui_wait_gone "Return-Path:"
check "the weeded header is still there" ui_until eval 'ui_screen | grep -q "^Subject: Welcome to the team!"'
ui_keys q q
finish
