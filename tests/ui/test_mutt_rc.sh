#!/bin/bash
# test_mutt_rc.sh - a long-time mutt user's rc (tests/ui/data/mutt-user.rc,
# with `source ~/.mutt/aliases`, query_command, folder-hooks, send-hooks,
# a reply-hook, lists, alternates, realname, sort=threads, bind editor
# <Tab> complete-query, ignore/unignore/hdr_order, my_hdr and send-hooks
# with my_hdr/unmy_hdr, mailboxes, folder, spoolfile, auto_view,
# alternative_order, options mutt has and muttlike ignores) loads unchanged under muttlike with only the
# account lines added, and each part behaves: the aliases expand, the
# query_command lookup (Q) starts a mail, the folder-hooks change the
# order per folder, the send-hooks choose From and signature by
# recipient, the reply-hook the Fcc.  No server: drafts are postponed.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
DATADIR=$(cd "$(dirname "$0")/data" && pwd)
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME/.mutt" "$HOME/bin"
cp "$DATADIR/mutt-user.rc" "$HOME/.muttrc"
cp "$DATADIR/mutt-aliases" "$HOME/.mutt/aliases"
printf 'Alice, personally\n' > "$HOME/.signature"
printf 'Alice Example, Work Inc.\n' > "$HOME/.signature.work"
# an address book in mutt's query protocol (abook --mutt-query, lbdbq)
cat > "$HOME/bin/addrlookup" <<'EOF'
#!/bin/sh
echo "Searching the address book for $1 ..."
printf 'dave@example.com\tDave Davis\twork\nerin@example.com\tErin Ek\thome\n' | grep -i -- "$1"
EOF
chmod +x "$HOME/bin/addrlookup"
DATA=$T/data
printf 'Received: from mx.work.example\nFrom: The Boss <boss@work.example>\nX-Spam-Score: 0.1\nTo: alice@work.example\nX-Mailer: BossMail 1.0\nSubject: Quarterly plan\nDate: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <q1@test>\n\nPlease review.\n' |
	store_add_message "$DATA" work INBOX q1
printf 'From: Carol <carol@example.org>\nTo: alice@example.org\nSubject: Lunch?\nDate: Wed, 02 Jan 2030 10:00:00 +0000\nMessage-ID: <c1@test>\n\nNoon?\n' |
	store_add_message "$DATA" work INBOX c1
printf 'From: Dev <dev@lists.example>\nTo: dev@lists.example\nSubject: Release\nDate: Tue, 01 Jan 2030 09:00:00 +0000\nMessage-ID: <l1@test>\n\nSoon.\n' |
	store_add_message "$DATA" work lists l1
printf 'From: Bob <bob@work.example>\nTo: dev@lists.example\nSubject: Re: Release\nDate: Tue, 01 Jan 2030 12:00:00 +0000\nMessage-ID: <l2@test>\nIn-Reply-To: <l1@test>\n\nGood.\n' |
	store_add_message "$DATA" work lists l2
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
sed -i 's/^To: *$/To: team/' "$1"
printf 'some text\n' >> "$1"
cp "$1" "$(dirname "$0")/last-edit"
EOF
chmod +x "$T/editor.sh"
# the mutt rc as it is; then what muttlike needs besides: the account
cat > "$T/a.rc" <<EOF
source ~/.muttrc
set data_dir = "$DATA"
set editor = "$T/editor.sh"
set sidebar_visible = no
account work
set imap_url = imaps://alice@imap.work.example
EOF

check "the mutt rc loads without a single error" eval '"$MUTTLIKE_BIN" -F "$T/a.rc" search "id:nothing" > "$T/search.out" 2> "$T/errors" && [ ! -s "$T/errors" ] || { cat "$T/errors" >&2; false; }'
check "the aliases file came with it" eval 'grep -q "alias team" "$HOME/.mutt/aliases"'

ui_start -x 110 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX"
check "folder-hook . 'set sort=date': the INBOX oldest first" ui_until eval 'ui_row 1 | grep -q "Quarterly plan" && ui_row 2 | grep -q "Lunch?"'
ui_keys c
ui_type "lists"
ui_keys Enter
check "folder-hook =lists 'set sort=threads': the list folder in threads" ui_wait "-- muttlike: lists [Msgs:2"
check "one thread of two" eval 'ui_wait "Threads:1" && [ "$(ui_screen | grep -c "Release")" = 1 ]'
ui_keys c
ui_type "INBOX"
ui_keys Enter
ui_wait "INBOX [Msgs:"
check "back in the INBOX: the . hook again" ui_until eval 'ui_row 1 | grep -q "Quarterly plan"'
check "the notices of mutt's ignored options are in the log, not on screen" \
	eval 'grep -q "mutt.s sort_aux means nothing in muttlike: ignored" "$DATA/log" && ! ui_screen | grep -q sort_aux'

ui_keys Enter
ui_wait "Please review."
# line numbers of the pager's header lines: hdr_order's, then the unignored x-mailer:
hdr_line() { ui_screen | grep -n "^$1: " | head -1 | cut -d: -f1; }
check "ignore * / unignore / hdr_order: From To Date Subject X-Mailer in that order" \
	eval '[ "$(hdr_line From)" -lt "$(hdr_line To)" ] && [ "$(hdr_line To)" -lt "$(hdr_line Date)" ] &&
	      [ "$(hdr_line Date)" -lt "$(hdr_line Subject)" ] && [ "$(hdr_line Subject)" -lt "$(hdr_line X-Mailer)" ]'
check "and nothing else (Received, X-Spam-Score ignored)" eval '! ui_screen | grep -Eq "^(Received|X-Spam-Score):"'
ui_keys q
ui_wait "INBOX [Msgs:"

ui_keys m
check "the alias of aliases typed in the editor expands" ui_wait 'To: Bob Builder <bob@work.example>, "Carol, Q." <carol@example.org>'
check "send-hook ~t @work.example chose the work From (realname kept)" ui_wait "From: Alice Example <alice@work.example>"
ui_keys t C-u
ui_type "carol@example.org"
ui_keys Enter
check "To changed to a personal address: the send-hooks again, the personal From" ui_wait "From: Alice Example <alice@example.org>"
ui_keys t C-u
ui_type "tea"
ui_keys Tab
check "Tab (bound as mutt's complete-query) completes the alias into its addresses" \
	ui_wait 'To: Bob Builder <bob@work.example>, "Carol, Q." <carol@example.org>'
ui_keys Enter
check "work again: the work From" ui_wait "From: Alice Example <alice@work.example>"
check "Fcc: mutt's +Sent is the account's Sent" ui_wait "Fcc: Sent"
ui_keys P
check "postponed" ui_wait "Message postponed"
check "its signature is the one the send-hooks chose before the editor (no To yet: personal)" \
	eval 'grep -rq "^Alice, personally" "$DATA/mail/work/Drafts" && ! grep -rq "Work Inc" "$DATA/mail/work/Drafts"'
check "my_hdr: the editor's header block has Organization and X-Operating-System" \
	eval 'grep -q "^Organization: Example Org" "$T/last-edit" && grep -q "^X-Operating-System: Debian GNU/Linux" "$T/last-edit"'
check "my_hdr: the draft carries them as given; send-hook unmy_hdr X-List: no X-List" \
	eval 'grep -rq "^Organization: Example Org" "$DATA/mail/work/Drafts" && grep -rq "^X-Operating-System: Debian GNU/Linux" "$DATA/mail/work/Drafts" && ! grep -rq "^X-List" "$DATA/mail/work/Drafts"'

ui_keys r
check "reply to the boss: reply-hook sets the Fcc" ui_wait "Fcc: Work"
check "and the work From" ui_wait "From: Alice Example <alice@work.example>"
ui_keys P
ui_wait "Message postponed"
check "with the work signature (send-hook ~t @work.example)" eval 'grep -rq "^Alice Example, Work Inc." "$DATA/mail/work/Drafts"'
ui_keys j r
check "reply to Carol: the reply-hook . default" ui_wait "Fcc: Sent"
check "the personal From" ui_wait "From: Alice Example <alice@example.org>"
ui_keys P
ui_wait "Message postponed"

ui_keys m
ui_wait "To: Bob Builder"
ui_keys t C-u
ui_type "dev@lists.example"
ui_keys Enter
ui_wait "To: dev@lists.example"
ui_keys P
ui_wait "Message postponed"
check "send-hook ~t dev@lists.example my_hdr X-List: yes: the list mail has it, no other" \
	eval 'f=$(grep -rl "^X-List: yes" "$DATA/mail/work/Drafts") && [ "$(echo "$f" | wc -l)" = 1 ] && grep -q "^To: dev@lists.example" $f'

ui_keys Q
check "Q is mutt's query" ui_wait "Query:"
ui_type "dav"
ui_keys Enter
check "query_command's results to pick from, with its status line" ui_wait "Searching the address book for dav"
check "the match listed" ui_wait "dave@example.com"
ui_keys 1
check "picking one starts a mail to it" ui_wait "To: Dave Davis <dave@example.com>"
ui_keys P
ui_wait "Message postponed"
ui_keys q
st=$(ui_exited); check "quits (status $st)" [ "$st" = 0 ]
finish
