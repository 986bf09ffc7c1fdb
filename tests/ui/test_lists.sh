#!/bin/bash
# test_lists.sh - mailing-list functions (issue 16): list-unsubscribe by
# RFC 8058 one-click against a local HTTPS server with the test CA
# (tls_ca_file), after a confirmation that shows the exact URL; refused for
# a plain-http link; list-subscribe / list-post from mailto: links as a
# prepared message; List-Post: NO; list-reply through the rc's subscribe.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME" "$T/fx"
DATA=$T/data
"$(dirname "$0")/../unit/listhdr_fixture.sh" "$T/fx" || { echo "FAIL - no fixture"; exit 1; }
exec {SRV}< <(exec python3 "$T/fx/server.py" "$T/fx/server.pem" "$T/fx/server-key.pem" "$T/fx/posts")
read -r PORT SRVPID <&$SRV || { echo "FAIL - no HTTPS server"; exit 1; }
trap 'kill $SRVPID 2>/dev/null; ui_cleanup' EXIT
msg() { # ID DATE SUBJECT EXTRA-HEADERS
	printf 'From: List <dev@lists.example>\nTo: dev@lists.example\nSubject: %s\nDate: %s\nMessage-ID: <%s@test>\nList-Id: Dev list <dev.lists.example>\n%s\nNews.\n' "$3" "$2" "$1" "$4" |
		store_add_message "$DATA" work INBOX "$1"
}
msg m1 "Tue, 01 Jan 2030 10:00:00 +0000" "One click" "List-Unsubscribe: <mailto:leave@lists.example?subject=bye>, <https://127.0.0.1:$PORT/unsub?u=alice>
List-Unsubscribe-Post: List-Unsubscribe=One-Click
List-Subscribe: <mailto:dev-join@lists.example?subject=join%20please>
List-Help: <mailto:dev-help@lists.example?subject=help>
List-Post: NO
"
msg m2 "Wed, 02 Jan 2030 10:00:00 +0000" "Plain http" "List-Unsubscribe: <http://127.0.0.1:$PORT/unsub?u=plain>
List-Unsubscribe-Post: List-Unsubscribe=One-Click
List-Post: <mailto:dev@lists.example>
"
printf 'From: Carol <carol@example.org>\nTo: dev@lists.example\nSubject: No list headers\nDate: Mon, 31 Dec 2029 10:00:00 +0000\nMessage-ID: <m3@test>\n\nHi list.\n' |
	store_add_message "$DATA" work INBOX m3
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
printf 'text\n' >> "$1"
EOF
chmod +x "$T/editor.sh"
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set editor = "$T/editor.sh"
set sidebar_visible = no
bind index,pager U list-unsubscribe
subscribe 'dev@lists\.example'
account work
set imap_url = imaps://alice@imap.work.example
set from = "Alice <alice@example.org>"
set tls_ca_file = "$T/fx/ca.pem"
EOF

ui_start -x 110 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX"
# newest first: Plain http, then One click
ui_keys U
check "a plain-http link is no one-click: its URL is only shown" ui_wait "Unsubscribe only by web: http://127.0.0.1:$PORT/unsub?u=plain"
check "and nothing was posted" eval '[ ! -s "$T/fx/posts" ]'
ui_keys j U
check "one-click asks first, showing the exact URL" eval 'ui_wait "Unsubscribe with one click?" && ui_screen | grep -qF "https://127.0.0.1:$PORT/unsub?u=alice"'
ui_keys n
ui_settled >/dev/null # the answer handled: a request it made would be there
check "no answer, no request" eval '[ ! -s "$T/fx/posts" ]'
ui_keys U
ui_wait "Unsubscribe with one click?"
ui_keys y
check "yes: the server accepted it" ui_wait "Unsubscribed: the list's server accepted the request."
check "one POST List-Unsubscribe=One-Click to that URL" ui_until eval '[ "$(cat "$T/fx/posts")" = "POST /unsub?u=alice application/x-www-form-urlencoded List-Unsubscribe=One-Click" ]'
ui_keys :
ui_type "exec list-post"
ui_keys Enter
check "List-Post: NO" ui_wait "Posting to this list is not allowed"
ui_keys :
ui_type "exec list-subscribe"
ui_keys Enter
check "list-subscribe prepares the mailto: message" eval 'ui_wait "To: dev-join@lists.example" && ui_wait "Subject: join please"'
ui_keys P
ui_wait "-- muttlike: work/INBOX"
ui_keys :
ui_type "exec list-help"
ui_keys Enter
check "list-help prepares the List-Help mailto: message" eval 'ui_wait "To: dev-help@lists.example" && ui_wait "Subject: help"'
ui_keys P
ui_wait "-- muttlike: work/INBOX"
ui_keys k :
ui_type "exec list-post"
ui_keys Enter
check "list-post writes to the list" ui_wait "To: dev@lists.example"
ui_keys P
ui_wait "-- muttlike: work/INBOX"
ui_keys j j L
check "list-reply without List-Post goes to the subscribed list in To" eval 'ui_wait "Subject: Re: No list headers" && ui_screen | grep -q "To: dev@lists.example"'
ui_keys P
ui_wait "-- muttlike: work/INBOX"
ui_keys q
finish
