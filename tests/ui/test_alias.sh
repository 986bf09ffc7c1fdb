#!/bin/bash
# test_alias.sh - aliases and query_command (issue 16): a mutt alias file
# loaded through alias_file (its other rc lines reported), aliases
# expanded in the compose screen's address prompts, Tab completing from
# aliases then from query_command, create-alias (a) appending to
# alias_file, and query (bound to Q here) picking a result to write to.
# No server: messages are postponed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME/.mutt"
DATA=$T/data
printf 'From: Dave Smith <dave@example.org>\nTo: you@example.org\nSubject: Hello\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <h1@test>\n\nHi.\n' |
	store_add_message "$DATA" work INBOX h1
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
# mutt's own alias file: quoted names, a group, a continuation, a comment, a foreign line
cat > "$HOME/.mutt/aliases" <<'EOF'
# my aliases
alias bob Bob Builder <bob@example.org>
alias -group work carol "Carol, Q." <carol@example.org>  # from work
alias team bob, \
	carol
set sort = date
EOF
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
sed -i 's/^Subject: *$/Subject: Alias test/' "$1"
EOF
# a khard-like address book: status line, then address<TAB>name<TAB>other
cat > "$T/book.sh" <<'EOF'
#!/bin/sh
echo "searching for $1" >> "$QUERY_LOG"
echo "Searching ... "
case "$1" in
zed*) printf 'zed@example.org\tZed Query\tfriend\n' ;;
ze*) printf 'zed@example.org\tZed Query\tfriend\nzoe@example.org\tZoe Query\twork\n' ;;
*) exit 1 ;;
esac
EOF
chmod +x "$T/editor.sh" "$T/book.sh"
export QUERY_LOG=$T/query.log
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set editor = "$T/editor.sh"
set sidebar_visible = no
set alias_file = ~/.mutt/aliases
set query_command = "$T/book.sh '%s'"
bind index Q query
account work
set imap_url = imaps://alice@imap.work.example
set from = "Alice <alice@example.org>"
EOF

ui_start -x 110 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX"
check "the alias file's foreign line is reported with its file and line" eval '"$MUTTLIKE_BIN" -F "$T/a.rc" check 2>&1 | grep -q "aliases:6:"' 
ui_keys m
check "the compose screen opens" ui_wait "-- Compose: new message"
ui_keys t
ui_type "team, x@example.org"
ui_keys Enter
check "an alias of aliases expands in To" ui_wait "To: Bob Builder <bob@example.org>, \"Carol, Q.\" <carol@example.org>, x@example.org"
ui_keys c
ui_type "bo"
ui_keys Tab
check "Tab completes an alias to its address" ui_wait "Cc: Bob Builder <bob@example.org>"
ui_keys C-u
ui_type "zed"
ui_keys Tab
check "Tab then asks query_command" ui_wait "Cc: Zed Query <zed@example.org>"
check "the query reached the script as \$1" eval 'grep -qx "searching for zed" "$QUERY_LOG"'
ui_keys Enter
check "the Cc is kept" ui_wait "Cc: Zed Query <zed@example.org>"
ui_keys P
check "postponed" ui_wait "-- muttlike: work/INBOX"

ui_keys a
check "create-alias asks for the key, the sender's local part offered" ui_wait "Alias as: dave"
ui_keys Enter
check "then for the address" ui_wait "Address: Dave Smith <dave@example.org>"
ui_keys Enter
check "the alias is added" ui_wait "Alias dave added to"
check "to alias_file, as mutt writes it" eval 'grep -qx "alias dave \"Dave Smith\" <dave@example.org>\|alias dave Dave Smith <dave@example.org>" "$HOME/.mutt/aliases"'
ui_keys a
ui_wait "Alias as: dave"
ui_keys Enter
ui_wait "Address:"
ui_keys Enter
check "the same key again is refused" ui_wait "The alias dave already exists."

ui_keys Q
check "query asks" ui_wait "Query:"
ui_type "ze"
ui_keys Enter
check "the results are listed to pick from" eval 'ui_wait "zoe@example.org" && ui_screen | grep -q "zed@example.org .*Zed Query .*friend"'
ui_keys 2
check "the one picked is written to" ui_wait "To: Zoe Query <zoe@example.org>"
ui_keys t C-u
ui_type "dave"
ui_keys Enter
check "the new alias works at once" ui_wait "To: Dave Smith <dave@example.org>"
ui_keys P
ui_wait "-- muttlike: work/INBOX"
cat > "$T/editor2.sh" <<'EOF'
#!/bin/sh
sed -i 's/^To: *$/To: team,\n  dave/; s/^Subject: *$/Subject: In the editor/' "$1"
EOF
chmod +x "$T/editor2.sh"
ui_keys :
ui_type "set editor = $T/editor2.sh"
ui_keys Enter m
check "aliases in the editor's To: (with a continuation line) expand" ui_wait "To: Bob Builder <bob@example.org>, \"Carol, Q.\" <carol@example.org>, Dave Smith <dave@example.org>"
ui_keys P
ui_wait "-- muttlike: work/INBOX"
ui_keys q
finish
