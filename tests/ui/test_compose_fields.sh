#!/bin/bash
# test_compose_fields.sh - the compose screen (issue 12 item 15): the
# text's content type and charset are shown, Reply-To is edited there
# (edit-reply-to, r), and the spell checker (ispell, i) runs on the text
# and its changes are kept. No server: the message is postponed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
printf 'From: Bob <bob@example.org>\nTo: you@example.org\nSubject: Hello\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <h1@test>\n\nHi.\n' |
	store_add_message "$DATA" work INBOX h1
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
sed -i 's/^To: *$/To: Bob <bob@example.org>/; s/^Subject: *$/Subject: Spelling test/' "$1"
printf 'Teh first line, speling it wrong.\n' >> "$1"
EOF
cat > "$T/spell.sh" <<'EOF'
#!/bin/sh
# a spell checker that fixes two words; it gets the file as its last argument
for f; do :; done
sed -i 's/Teh /The /; s/speling/spelling/' "$f"
echo ran >> "$SPELL_LOG"
EOF
chmod +x "$T/editor.sh" "$T/spell.sh"
export SPELL_LOG=$T/spell.log
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set editor = "$T/editor.sh"
set ispell = "$T/spell.sh -x"
set sidebar_visible = no
account work
set imap_url = imaps://alice@imap.work.example
set from = "Alice <alice@example.org>"
EOF

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX"
ui_keys m
check "the compose screen opens after the editor" ui_wait "-- Compose: new message"
check "the text's content type and charset are shown" eval 'ui_screen | grep -q "text/plain; charset=utf-8 .*(the text, "'
ui_keys r
prompt_row() { # TEXT: wait until the last row (the prompt) starts with TEXT
	local i
	for i in $(seq 600); do
		ui_row 29 | grep -q "^$1" && return 0
		sleep 0.05
	done
	return 1
}
check "edit-reply-to (r) asks for Reply-To" prompt_row "Reply-To:"
ui_type "Rob Replies <rob@example.org>"
ui_keys Enter
check "the Reply-To is shown" ui_wait "Reply-To: Rob Replies <rob@example.org>"
ui_keys i
check "ispell (i) runs the spell checker and reads its changes back" ui_wait "Spell check done: the text was changed."
check "it ran once, with its arguments" eval '[ "$(cat "$SPELL_LOG")" = ran ]'
ui_keys i
check "a second run changes nothing and says so" ui_wait "Spell check done: nothing changed."
ui_keys P
check "postponed" ui_wait "-- muttlike: work/INBOX"
draft() {
	local i f
	for i in $(seq 600); do
		f=$(grep -rl "Spelling test" "$DATA/mail/work/Drafts" 2>/dev/null | head -1)
		[ -n "$f" ] && grep -q "^The first line, spelling it wrong." "$f" && grep -q "^Reply-To: Rob Replies <rob@example.org>" "$f" && return 0
		sleep 0.05
	done
	grep -r "" "$DATA/mail/work/Drafts" >&2
	return 1
}
check "the draft has the corrected text and the Reply-To" draft
ui_keys q
finish
