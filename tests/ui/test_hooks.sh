#!/bin/bash
# test_hooks.sh - mutt's hooks (issue 16): folder-hook with the `.`
# reset idiom, send-hook on the recipients and reply-hook on the message
# replied to (the From they set shows on the compose screen), message-hook
# (the headers shown), startup-hook, unhook.  No server: drafts are postponed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
printf 'From: Bob <bob@example.org>\nTo: alice@example.org\nSubject: Hello\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <h1@test>\n\nHi.\n' |
	store_add_message "$DATA" work INBOX h1
printf 'From: Carol <carol@example.org>\nTo: alice@example.org\nSubject: Secret plans\nDate: Wed, 02 Jan 2030 10:00:00 +0000\nMessage-ID: <h2@test>\n\nPsst.\n' |
	store_add_message "$DATA" work INBOX h2
printf 'From: List <list@lists.example>\nTo: dev@lists.example\nSubject: List news\nDate: Tue, 01 Jan 2030 11:00:00 +0000\nMessage-ID: <l1@test>\n\nNews.\n' |
	store_add_message "$DATA" work Lists l1
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
printf 'some text\n' >> "$1"
EOF
chmod +x "$T/editor.sh"
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set editor = "$T/editor.sh"
set sidebar_visible = no
set index_format = "%4C %s"
startup-hook 'set confirm_quit = yes'
folder-hook . 'set index_format = "%4C %s"'
folder-hook Lists set index_format = "LISTS %4C %s"
folder-hook Lists 'exec help'
folder-hook nothing-matches 'set index_format = "NEVER %s"'
unhook nothing-at-all
send-hook . 'set from = "Alice <alice@example.org>"'
send-hook '~t bob@example.org' 'set from = "Alice Work <alice@work.example>"'
reply-hook '~f carol' 'set record = "Secret"'
message-hook . 'set header_list = "Date From To Subject"'
message-hook '~s secret' 'set header_list = "From Subject"'
account work
set imap_url = imaps://alice@imap.work.example
EOF

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX"
check "an unknown hook type in unhook is reported" ui_wait "config problem"
check "the INBOX has no folder-hook marker" eval '! ui_screen | grep -q "LISTS\|NEVER"'
ui_keys c
ui_type "Lists"
ui_keys Enter
check "a folder-hook's exec runs once the folder is open (help)" ui_wait "Help for index"
ui_keys q
check "folder-hook Lists changes index_format there" ui_wait "LISTS    1"
ui_keys c
ui_type "INBOX"
ui_keys Enter
ui_wait "INBOX [Msgs:"
check "folder-hook . resets it for the INBOX" eval 'ui_wait "Hello" && ! ui_screen | grep -q LISTS'

# the index is newest first: Secret plans (Carol), then Hello (Bob)
ui_keys Enter
check "message-hook ~s secret: only From and Subject" eval 'ui_wait "Subject: Secret plans" && ! ui_screen | grep -q "^Date:"'
ui_keys q
ui_keys j Enter
check "message-hook . resets header_list" ui_wait "Date: Tue, 01 Jan 2030"
ui_keys q

ui_keys j r
check "send-hook ~t bob sets the From of a reply to Bob" ui_wait "From: Alice Work <alice@work.example>"
check "with the usual Fcc" ui_wait "Fcc: Sent"
ui_keys P
ui_wait "INBOX [Msgs:"
ui_keys k r
check "reply-hook ~f carol sets the Fcc of a reply to Carol" ui_wait "Fcc: Secret"
check "and the send-hooks after it reset the From" ui_wait "From: Alice <alice@example.org>"
ui_keys P
ui_wait "INBOX [Msgs:"
ui_keys m
check "send-hook . resets it for a new message" ui_wait "From: Alice <alice@example.org>"
ui_keys P
ui_wait "INBOX [Msgs:"
ui_keys q
check "startup-hook set confirm_quit" ui_wait "Quit"
ui_keys y
finish
