#!/bin/bash
# test_save.sh - messages handed on outside the mirror (issue 16):
# save-message of tagged messages to an mbox (read back with Python's
# mailbox.mbox: LF only, "From " in a body escaped and restored) and to a
# Maildir, decode-save, pipe-message of several messages as one mbox
# stream and one by one with pipe_split, print-message through print_command.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
# the mirror's files have CRLF line ends
printf 'From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: First\r\nDate: Tue, 01 Jan 2030 10:00:00 +0000\r\nMessage-ID: <m1@test>\r\n\r\nFrom the start\r\nline two\r\n' |
	store_add_message "$DATA" work INBOX m1
printf 'From: Carol <carol@example.org>\r\nTo: alice@example.org\r\nSubject: =?UTF-8?Q?Second_=C3=A9?=\r\nDate: Wed, 02 Jan 2030 10:00:00 +0000\r\nMessage-ID: <m2@test>\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nCaf=C3=A9 time\r\n' |
	store_add_message "$DATA" work INBOX m2
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set sidebar_visible = no
set print_command = "cat >> $T/printed.txt"
account work
set imap_url = imaps://alice@imap.work.example
EOF
read_mbox() { # FILE: print count, then each subject and whether a body holds CR
	python3 - "$1" <<'EOF'
import mailbox, re, sys
raw = open(sys.argv[1], 'rb').read()
box = mailbox.mbox(sys.argv[1])
msgs = list(box)
print(len(msgs), 'CR' if b'\r' in raw else 'LF')
for m in msgs:
    first = m.get_payload().splitlines()[0]
    print(m['Subject'], '|', re.sub(r'^>(>*From )', r'\1', first))  # mboxrd: one '>' less
EOF
}

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX"
ui_keys t j t
ui_keys '\;' s
ui_type "~/saved.mbox"
ui_keys Enter
check "two tagged messages saved to an mbox" ui_wait "2 messages saved to $HOME/saved.mbox"
check "read back: two messages, LF only" eval '[ "$(read_mbox "$HOME/saved.mbox" | head -1)" = "2 LF" ]'
check "the body's From line restored" eval 'read_mbox "$HOME/saved.mbox" | grep -qx "First | From the start"'
check "the body's From line is escaped in the file" grep -qx ">From the start" "$HOME/saved.mbox"
check "the mirror still has both messages" eval '[ "$(ls "$DATA/mail/work/INBOX/cur" | wc -l)" = 2 ]'
ui_keys s
ui_type "~/md/"
ui_keys Enter
check "the current message saved to a Maildir" ui_wait "1 message saved to $HOME/md/"
check "delivered into new/" eval '[ "$(ls "$HOME/md/new" | wc -l)" = 1 ] && ! grep -q $'"'"'\r'"'"' "$HOME"/md/new/*'
ui_keys k k Escape s
ui_type "~/decoded.mbox"
ui_keys Enter
check "decode-save" ui_wait "1 message decoded and saved to"
check "decoded: the text as the pager shows it, one text/plain part" eval 'grep -q "^Subject: Second é" "$HOME/decoded.mbox" && grep -qx "Café time" "$HOME/decoded.mbox" && grep -q "^Content-Type: text/plain; charset=utf-8" "$HOME/decoded.mbox"'
ui_keys '\;' \|
ui_type "cat > $T/piped.txt"
ui_keys Enter
ui_wait "Press any key"
ui_keys Enter
check "pipe-message of two messages: one mbox stream" eval '[ "$(grep -c "^From " "$T/piped.txt")" = 2 ] && ! grep -q $'"'"'\r'"'"' "$T/piped.txt"'
ui_keys : 
ui_type "set pipe_split"
ui_keys Enter
ui_keys '\;' \|
ui_type "cat >> $T/split.txt; echo run >> $T/runs.txt"
ui_keys Enter
runs() { # N: wait until the command ran N times, pressing a key after each
	local i
	for i in $(seq 600); do
		[ "$(cat "$T/runs.txt" 2>/dev/null | wc -l)" = "$1" ] && return 0
		sleep 0.05
	done
	return 1
}
runs 1 && ui_wait "Press any key" && ui_keys Enter
runs 2 && ui_wait "Press any key" && ui_keys Enter
check "with pipe_split: one run per message, each without an envelope From line" eval '[ "$(wc -l < "$T/runs.txt")" = 2 ] && [ "$(grep -c "^Subject:" "$T/split.txt")" = 2 ] && ! grep -q "^From [^ ]*@[^ ]* " "$T/split.txt"'
ui_keys p
check "print-message asks" ui_wait "Print the message?"
ui_keys y
check "printed" ui_wait "1 message printed."
check "print_command got the decoded text" eval 'grep -qx "Café time" "$T/printed.txt"'
ui_keys q
finish
