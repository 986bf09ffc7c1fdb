#!/bin/bash
# test_export_thread.sh - export-thread (E, issue 16): the whole thread of
# the current message, oldest first, appended to an mbox with mboxrd
# escaping as save-message writes it; read back by Python's mailbox.mbox
# (escaping undone) and by NeoMutt itself when it is installed (it must
# see the same messages: a body line "From the start" did not split one).
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
printf 'From: Dan <dan@example.org>\r\nTo: alice@example.org\r\nSubject: Unrelated\r\nDate: Mon, 01 Jan 2029 10:00:00 +0000\r\nMessage-ID: <u1@test>\r\n\r\nElsewhere.\r\n' |
	store_add_message "$DATA" work INBOX u1
printf 'From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: Plan\r\nDate: Tue, 01 Jan 2030 10:00:00 +0000\r\nMessage-ID: <t1@test>\r\n\r\nThe plan.\r\n' |
	store_add_message "$DATA" work INBOX t1
printf 'From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: Re: Plan\r\nDate: Tue, 01 Jan 2030 11:00:00 +0000\r\nMessage-ID: <t2@test>\r\nIn-Reply-To: <t1@test>\r\nReferences: <t1@test>\r\n\r\nFrom the start, yes.\r\n>From quoted\r\n' |
	store_add_message "$DATA" work Sent t2
printf 'From: Bob <bob@example.org>\r\nTo: alice@example.org\r\nSubject: Re: Plan\r\nDate: Tue, 01 Jan 2030 12:00:00 +0000\r\nMessage-ID: <t3@test>\r\nIn-Reply-To: <t2@test>\r\nReferences: <t1@test> <t2@test>\r\n\r\nGood.\r\n' |
	store_add_message "$DATA" work INBOX t3
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set sidebar_visible = no
account work
set imap_url = imaps://alice@imap.work.example
EOF
read_mbox() { # FILE: the count and line ends, then "Message-ID | first body line" (mboxrd undone)
	python3 - "$1" <<'EOF'
import mailbox, re, sys
raw = open(sys.argv[1], 'rb').read()
msgs = list(mailbox.mbox(sys.argv[1]))
print(len(msgs), 'CR' if b'\r' in raw else 'LF')
for m in msgs:
    lines = [re.sub(r'^>(>*From )', r'\1', l) for l in m.get_payload().splitlines()]
    print(m['Message-ID'], '|', ' / '.join(lines))
EOF
}

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX"
check "the thread is on top" ui_until eval 'ui_row 1 | grep -q "Re: Plan\|Plan"'
ui_keys E
check "export-thread asks for a file, naming the thread's size" ui_wait "Export the thread (3 messages) to mbox:"
ui_type "~/thread.mbox"
ui_keys Enter
check "the three messages of the thread saved" ui_wait "3 messages saved to $HOME/thread.mbox"
check "read back: three messages, LF only" eval '[ "$(read_mbox "$HOME/thread.mbox" | head -1)" = "3 LF" ]'
check "oldest first, the message in Sent included, bodies intact" eval '[ "$(read_mbox "$HOME/thread.mbox" | tail -n +2)" = "<t1@test> | The plan.
<t2@test> | From the start, yes. / >From quoted
<t3@test> | Good." ]'
check "mboxrd: From lines in a body escaped, an escaped one once more" eval 'grep -qx ">From the start, yes." "$HOME/thread.mbox" && grep -qx ">>From quoted" "$HOME/thread.mbox"'
check "the unrelated message is not in it" eval '! grep -q "u1@test" "$HOME/thread.mbox"'
# in the pager too, and a second export appends
ui_keys Enter
ui_wait "Subject:"
ui_keys E
ui_wait "Export the thread (3 messages) to mbox:"
ui_type "~/thread.mbox"
ui_keys Enter
check "from the pager: appended" ui_wait "3 messages saved to $HOME/thread.mbox"
check "six messages now" eval '[ "$(read_mbox "$HOME/thread.mbox" | head -1)" = "6 LF" ]'
ui_keys q q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]

if command -v neomutt >/dev/null; then
	ui_start -x 100 -y 20 neomutt -n -F /dev/null -e "set folder=$HOME" -e "set sort=date" -R -f "$HOME/thread.mbox"
	check "NeoMutt reads the same six messages" ui_wait "[Msgs:6"
	check "with their subjects" ui_until eval '[ "$(ui_screen | grep -c "Re: Plan")" = 4 ] && [ "$(ui_screen | grep -c ") Plan$")" = 2 ]'
	ui_keys q
else
	echo "ok   - (NeoMutt is not installed: its read-back is skipped)"
fi
finish
