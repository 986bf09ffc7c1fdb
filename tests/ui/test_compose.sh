#!/bin/bash
# test_compose.sh - writing mail from the reader, end to end: the rig's
# Dovecot holds a message, `muttlike sync` brings it into the store, the
# reader (in tmux) replies to it with a scripted $EDITOR, and the reply
# goes out through the private Postfix of tests/integration/smtp-rig.
# Checked: delivery with In-Reply-To/References, the Sent copy (locally,
# then on the server after a sync), \Answered on the original, the compose
# screen, abort asks when there is text, a failing editor leaves the text
# recoverable, postpone files a draft, and a failing send stays in the
# outbox with the reason on the message line.
source "$(dirname "$0")/lib.sh"
T=$UI_TMP
SRC=$(cd "$(dirname "$0")/../.." && pwd)
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data

# ---- servers: Dovecot (IMAP) and Postfix (SMTP), both stopped on exit ----
# their own directories: the servers' users must reach them, and $T is 0700
source "$(dirname "$0")/servers.sh"
ui_rig_start
ui_smtp_start || { echo "FAIL - the SMTP rig did not start"; echo "0 passed, 1 failed"; exit 1; }

# the message to answer, on the server
mkdir -p "$T/seed/INBOX/cur" "$T/seed/INBOX/new" "$T/seed/INBOX/tmp"
printf 'From: Bob Builder <bob@example.org>\nTo: Alice <alice@example.org>\nSubject: Lunch plans\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <orig1@test.example>\nReferences: <root0@test.example>\nIn-Reply-To: <root0@test.example>\nContent-Type: text/plain; charset=utf-8\n\nShall we meet at noon?\n' \
	> "$T/seed/INBOX/cur/1893492000.M1P1.rig:2,S"
"$SRC/tests/rig/rig" populate "$RIGDIR" alice "$T/seed" >/dev/null

# the scripted editor: what it does is in $T/editor.mode
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
f=$1
case "$(cat "$EDITOR_MODE_FILE")" in
reply) printf 'This is my reply, typed in the editor.\n' >> "$f" ;;
new) sed -i 's/^To: *$/To: Bob Builder <bob@example.org>/; s/^Subject: *$/Subject: Hello from the test/' "$f"
     printf 'A new message body.\n' >> "$f" ;;
fcc) sed -i "s/^To: *$/To: Bob Builder <bob@example.org>/; s/^Subject: *$/Subject: $(cat "$EDITOR_MODE_FILE.subject")/" "$f"
     printf 'Filed by its Fcc.\n' >> "$f" ;;
fail) printf 'Text that must survive.\n' >> "$f"; exit 3 ;;
keep) ;;
esac
EOF
chmod +x "$T/editor.sh"
export EDITOR_MODE_FILE=$T/editor.mode
mode() { echo "$1" > "$T/editor.mode"; }

ui_rig_rc "$T/a.rc" "$DATA" "$T/editor.sh"

"$MUTTLIKE_BIN" -F "$T/a.rc" sync >"$T/sync1.log" 2>&1
check "the first sync fills the store" grep -q "Lunch plans" -r "$DATA/mail/work/INBOX/cur"

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the reader opens on the INBOX" ui_wait "-- muttlike: work/INBOX [Msgs:1"

# ---- reply, send ----
mode reply
ui_keys r
check "reply opens the compose screen" ui_wait "-- Compose: reply [0 attachments]"
check "To is the sender" eval 'ui_screen | grep -q "To: Bob Builder <bob@example.org>"'
check "From is the account's" eval 'ui_screen | grep -q "From: Alice <alice@example.org>"'
check "Subject gets Re:" eval 'ui_screen | grep -q "Subject: Re: Lunch plans"'
check "the help bar shows the compose keys" eval 'ui_row 0 | grep -q "y:send-message"'
ui_screen > "$T/compose-screen.txt"
[ -n "${COMPOSE_CAPTURE:-}" ] && cp "$T/compose-screen.txt" "$COMPOSE_CAPTURE"
check "the editor's file is kept under the outbox while composing" \
	eval 'grep -q "This is my reply" "$DATA"/state/work/outbox/edit/*'
ui_keys y
check "sent in the background, outcome on the message line" ui_wait "1 message sent." 30

delivered() { grep -l "Subject: Re: Lunch plans" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1; }
for _ in $(seq 300); do [ -n "$(delivered)" ] && break; sleep 0.1; done
D=$(delivered)
check "Postfix delivered the reply" [ -n "$D" ]
check "In-Reply-To names the original" grep -q "^In-Reply-To: <orig1@test.example>" "$D"
check "References: the root, then the original" grep -q "^References: <root0@test.example> <orig1@test.example>" "$D"
check "the body is the editor's text" grep -q "This is my reply, typed in the editor." "$D"
check "the original is quoted" grep -q "^> Shall we meet at noon?" "$D"
check "no Bcc header crossed SMTP" eval '! grep -qi "^Bcc:" "$D"'
check "a copy is in the local Sent folder" eval 'grep -lq "Subject: Re: Lunch plans" "$DATA"/mail/work/Sent/cur/*'
check "the replied-to message has the R flag" eval 'ls "$DATA"/mail/work/INBOX/cur/ | grep -q ":2,[A-Z]*R"'
check "the outbox is empty again" eval '! ls "$DATA"/state/work/outbox/ | grep -q "\.env$"'

# ---- the original was renamed (R flag) behind the store's back: it still opens ----
ui_keys Enter
check "the replied-to original opens in the pager after its rename" ui_wait "Shall we meet at noon?"
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null
check "the editor's file is gone once queued" eval '[ -z "$(ls "$DATA"/state/work/outbox/edit/)" ]'

# ---- Fcc (edit-fcc, f): the sent copy goes to the folder chosen, or nowhere ----
prompt_is() { for _ in $(seq 600); do ui_row 29 | grep -q "^$1" && return 0; sleep 0.05; done; return 1; }
at_smtp() { grep -l "^Subject: $1" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1; }
in_folder() { grep -l "^Subject: $2" "$DATA/mail/work/$1"/cur/* "$DATA/mail/work/$1"/new/* 2>/dev/null | head -1; }
mode fcc
echo "Filed in Projects" > "$T/editor.mode.subject"
ui_keys m
check "the compose screen shows the Fcc: the record folder by default" ui_wait "     Fcc: Sent"
ui_keys f
check "edit-fcc (f) asks with the current folder" prompt_is "Fcc: =Sent"
ui_keys C-u
ui_type "=Projects"
ui_keys Enter
check "an unknown folder is created only after asking" ui_wait "Create folder Projects?"
ui_keys y
check "the Fcc shown is the new folder (without its =)" ui_wait "     Fcc: Projects"
ui_keys y
for _ in $(seq 300); do [ -n "$(in_folder Projects "Filed in Projects")" ] && break; sleep 0.1; done
check "the sent copy is in the Fcc folder" [ -n "$(in_folder Projects "Filed in Projects")" ]
check "and not in Sent" [ -z "$(in_folder Sent "Filed in Projects")" ]
check "Postfix delivered it" ui_until eval '[ -n "$(at_smtp "Filed in Projects")" ]'
check "the outbox is empty" ui_until eval '! ls "$DATA"/state/work/outbox/ | grep -q "\.env$"'
echo "Filed nowhere" > "$T/editor.mode.subject"
ui_keys m
ui_wait "     Fcc: Sent" >/dev/null
ui_keys f
prompt_is "Fcc: =Sent"
ui_keys C-u Enter
check "an empty Fcc keeps no copy" ui_wait "Fcc: (none: no copy is kept)"
ui_keys y
for _ in $(seq 300); do [ -n "$(at_smtp "Filed nowhere")" ] && break; sleep 0.1; done
check "sent without a copy: Postfix has it" [ -n "$(at_smtp "Filed nowhere")" ]
for _ in $(seq 300); do ls "$DATA"/state/work/outbox/ | grep -q "\.env$" || break; sleep 0.1; done
check "no copy in Sent or Projects" eval '[ -z "$(in_folder Sent "Filed nowhere")$(in_folder Projects "Filed nowhere")" ]'

# ---- abort asks when there is text ----
mode new
ui_keys m
check "mail opens the compose screen" ui_wait "-- Compose: new message"
check "the editor's To came back" ui_wait "To: Bob Builder <bob@example.org>"
ui_keys q
check "abort with text asks" ui_wait "Abort this message?"
ui_keys n
check "answering no keeps the screen" ui_wait "-- Compose: new message"
ui_keys q
ui_wait "Abort this message?" >/dev/null
ui_keys y
check "answering yes aborts" ui_wait "Message aborted."
check "an aborted message leaves no file behind" eval '[ -z "$(ls "$DATA"/state/work/outbox/edit/)" ]'

# ---- the editor fails: the text is kept and offered again ----
mode fail
ui_keys m
check "a failing editor is reported with where the text is" ui_wait "The editor failed (status 3)"
check "no compose screen after a failed editor" eval '! ui_screen | grep -q -- "-- Compose:"'
check "the text survives under the outbox" eval 'grep -q "Text that must survive." "$DATA"/state/work/outbox/edit/*'
mode keep
ui_keys m
check "the next compose offers to continue it" ui_wait "Continue the unsent message"
ui_keys y
check "continuing opens the compose screen" ui_wait "-- Compose: new message"
check "with the kept text (a blank line, then the text)" ui_wait "(the text, 2 lines)"
check "the old error gave way" eval '! ui_screen | grep -q "The editor failed" || { ui_screen >&2; false; }'
ui_keys q
ui_wait "Abort this message?" >/dev/null
ui_keys y
ui_wait "Message aborted." >/dev/null

# ---- attachments (with file-name completion), then postpone ----
mkdir -p "$T/files"
printf 'quarterly numbers\n' > "$T/files/report.txt"
mode new
ui_keys m
ui_wait "-- Compose: new message" >/dev/null
ui_keys a
ui_type "$T/files/rep"
ui_keys Tab
check "attach-file completes the file name" ui_wait "Attach file: $T/files/report.txt"
ui_keys Enter
check "the attachment is listed with its type" ui_wait "[1 attachment]"
check "its row shows type and name" eval 'ui_screen | grep -q "text/plain .* report.txt"'
ui_keys C-o C-u
ui_type "renamed.txt"
ui_keys Enter
check "rename-attachment changes the name sent" ui_wait "renamed.txt"
ui_keys P
check "postpone files a draft" ui_wait "Message postponed"
check "the draft is in Drafts with flags D and S" eval 'ls "$DATA"/mail/work/Drafts/cur/ | grep -q ":2,DS$"'
check "the draft carries the renamed attachment" eval 'grep -q "filename=\"\?renamed.txt" "$DATA"/mail/work/Drafts/cur/*'

# ---- forward (inline) and bounce ----
mode keep
ui_keys f
check "forward asks inline or as attachment" ui_wait "Forward as attachment?"
ui_keys n
check "an unchanged message asks (abort_unmodified)" ui_wait "The message was not changed. Abort it?"
ui_keys n
check "forward opens the compose screen with Fwd:" ui_wait "Subject: Fwd: Lunch plans"
ui_keys C-l t
ui_type "carol@example.org"
ui_keys Enter
check "edit-to sets the recipients" ui_wait "To: carol@example.org"
# the prompt is on the last row (the header rows are indented)
on_prompt() { for _ in $(seq 600); do ui_row 29 | grep -q "^$1" && return 0; sleep 0.05; done; return 1; }
off_prompt() { for _ in $(seq 600); do ui_row 29 | grep -q "^$1" || return 0; sleep 0.05; done; return 1; }
ui_keys c
on_prompt "Cc:"
ui_type "buil"
ui_keys Tab
check "Tab completes an address from the store (a word of the name)" ui_wait "Cc: Bob Builder <bob@example.org>"
ui_type ", ALI"
ui_keys Tab
check "the entry after a comma completes too (case-insensitive)" \
	ui_wait "Cc: Bob Builder <bob@example.org>, Alice <alice@example.org>"
ui_keys Enter
check "the completed addresses are set" ui_wait "      Cc: Bob Builder <bob@example.org>, Alice <alice@example.org>"
ui_keys c
on_prompt "Cc:"
ui_keys C-u
ui_type "zz-nobody"
ui_keys Tab
check "no match says so" ui_wait "No completions."
ui_keys C-u Enter
off_prompt "Cc:"
ui_keys q
ui_wait "Abort this message?" >/dev/null
ui_keys y
ui_wait "Message aborted." >/dev/null
ui_keys b
check "bounce asks for the addresses" ui_wait "Bounce message to:"
ui_type "dave@example.org"
ui_keys Enter
ui_wait "Bounce the message?" >/dev/null
ui_keys y
check "the bounce is sent in the background" ui_wait "1 message sent." 30
bounced() { grep -l "^Resent-To: dave@example.org" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1; }
for _ in $(seq 300); do [ -n "$(bounced)" ] && break; sleep 0.1; done
check "Postfix delivered the bounce, original Message-ID kept" \
	eval 'B=$(bounced); [ -n "$B" ] && grep -q "^Message-ID: <orig1@test.example>" "$B"'

# ---- Postfix stopped: the message waits in the outbox with the reason ----
"$SRC/tests/integration/smtp-rig" stop "$SMTPDIR" >/dev/null 2>&1
mode new
ui_keys m
ui_wait "-- Compose: new message" >/dev/null
ui_keys y
check "a failing send shows the reason" ui_wait "Not sent, kept in the outbox:" 30
check "the reason names the server" eval 'ui_screen | grep -q "127.0.0.1"'
check "the message stays in the outbox" eval 'ls "$DATA"/state/work/outbox/ | grep -q "\.env$"'
check "with the reason recorded" eval 'grep -qi "error" "$DATA"/state/work/outbox/*.env'

# ---- retries at start-up: Postfix is back, the reader starts, the message leaves ----
ui_keys q
ui_exited >/dev/null
SMTP_RIG_SAME_PORTS=1 "$SRC/tests/integration/smtp-rig" start "$SMTPDIR" $$ >/dev/null ||
	echo "FAIL - the SMTP rig did not restart"
ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "at start-up the waiting message is sent, nothing new written" ui_wait "1 message sent." 30
retried() { grep -l "^Subject: Hello from the test" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null; }
for _ in $(seq 300); do [ -n "$(retried)" ] && break; sleep 0.1; done
check "Postfix delivered the retried message" [ -n "$(retried)" ]
check "the outbox is empty after the retry" eval '! ls "$DATA"/state/work/outbox/ | grep -q "\.env$"'

# ---- and every sync_interval: the start-up try fails, Postfix comes back, it leaves ----
"$SRC/tests/integration/smtp-rig" stop "$SMTPDIR" >/dev/null 2>&1
mode new
ui_keys m
ui_wait "-- Compose: new message" >/dev/null
ui_keys y
ui_wait "Not sent, kept in the outbox:" 30 >/dev/null
ui_keys q
ui_exited >/dev/null
# a short interval only here: the reader's syncs follow it too, and their
# redraws would race the prompts above
sed 's/^account work$/set sync_interval = 10\naccount work/' "$T/a.rc" > "$T/b.rc"
chmod 600 "$T/b.rc"
ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/b.rc"
check "with Postfix down the start-up try says the message waits" ui_wait "Not sent, kept in the outbox:" 30
SMTP_RIG_SAME_PORTS=1 "$SRC/tests/integration/smtp-rig" start "$SMTPDIR" $$ >/dev/null ||
	echo "FAIL - the SMTP rig did not restart"
check "within sync_interval of Postfix coming back it is sent" ui_wait "1 message sent." 30
for _ in $(seq 300); do [ "$(retried | wc -l)" = 2 ] && break; sleep 0.1; done
check "Postfix delivered it (two messages with that subject in all)" [ "$(retried | wc -l)" = 2 ]

ui_keys q
st=$(ui_exited); check "q quits with status 0 (got $st)" [ "$st" = 0 ]

# ---- a sync uploads Sent and Drafts and pushes \Answered ----
"$MUTTLIKE_BIN" -F "$T/a.rc" sync >"$T/sync2.log" 2>&1
check "after a sync the server's Sent holds the reply" \
	eval '"$SRC/tests/rig/rig" doveadm "$RIGDIR" search -u alice mailbox Sent subject "Re: Lunch plans" | grep -q .'
check "after a sync the server has the Fcc folder with its copy" \
	eval '"$SRC/tests/rig/rig" doveadm "$RIGDIR" search -u alice mailbox Projects subject "Filed in Projects" | grep -q .'
check "after a sync the server's Drafts holds the draft" \
	eval '"$SRC/tests/rig/rig" doveadm "$RIGDIR" search -u alice mailbox Drafts subject "Hello from the test" | grep -q .'
check "after a sync the original is \\Answered on the server" \
	eval '"$SRC/tests/rig/rig" doveadm "$RIGDIR" fetch -u alice flags mailbox INBOX | grep -q "Answered"'
[ "${UI_FAILED}" -eq 0 ] || { echo "--- sync logs"; cat "$T"/sync*.log; }
finish
