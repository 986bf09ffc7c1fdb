#!/bin/bash
# test_oauth2_reader.sh - an OAuth2 grant revoked while the reader runs:
# the reader asks through its question overlay, runs the device grant in
# the question box without leaving (the test plays the browser and
# approves the code at tests/integration/oauth_provider.py), then the sync
# goes on and the message that waited in the outbox is sent (submission
# with STARTTLS).  The servers
# check every token at the provider: the rig's Dovecot with its oauth2
# passdb (RIG_OAUTH_URL) for IMAP, Postfix submission through that
# Dovecot's SASL socket for SMTP.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/servers.sh"
T=$UI_TMP
SRC=$UI_SRC
PY=python3
PROV_DIR=$(mktemp -d /tmp/muttlike-oauthprov.XXXXXX)
"$PY" "$SRC/tests/integration/oauth_provider.py" "$PROV_DIR/state.json" --seed dev-wait:rt-seed > "$PROV_DIR/port" 2>&1 &
PROV=$!
trap 'kill "$PROV" 2>/dev/null; rm -rf "$PROV_DIR"; ui_servers_stop' EXIT
for _ in $(seq 600); do [ -s "$PROV_DIR/port" ] && break; sleep 0.05; done
oport=$(head -1 "$PROV_DIR/port")
[[ $oport =~ ^[0-9]+$ ]] || { cat "$PROV_DIR/port"; echo "FAIL - the OAuth2 provider did not start"; echo "0 passed, 1 failed"; exit 1; }
OAUTH_BASE=http://127.0.0.1:$oport
export RIG_OAUTH_URL=$OAUTH_BASE/introspect
ui_rig_start
export SMTP_RIG_DOVECOT_SASL=$RIG_AUTH_SOCKET
chmod 755 "$(dirname "$RIG_AUTH_SOCKET")"
ui_smtp_start || { echo "FAIL - the SMTP rig did not start"; echo "0 passed, 1 failed"; exit 1; }
post() { # PATH NAME VALUE: a form POST to the provider
	"$PY" -c 'import sys,urllib.request,urllib.parse; print(urllib.request.urlopen(sys.argv[1], urllib.parse.urlencode({sys.argv[2]: sys.argv[3]}).encode()).read().decode())' \
		"$OAUTH_BASE$1" "$2" "$3"
}
msg() { # DIR N SUBJECT
	printf 'From: Bob <bob@example.org>\nTo: alice@example.org\nSubject: %s\nDate: Fri, 4 Dec 2026 10:0%s:00 +0000\nMessage-ID: <reauth-%s@example.org>\n\nHi.\n' \
		"$3" "$2" "$2" > "$1/100000000$2.M$2P1.rig:2,"
}

mkdir -p "$T/seed/INBOX/cur" "$T/seed/INBOX/new" "$T/seed/INBOX/tmp"
msg "$T/seed/INBOX/cur" 1 "Before the revocation"
"$SRC/tests/rig/rig" populate "$RIGDIR" alice "$T/seed" >/dev/null

DATA=$T/data
mkdir -p "$DATA/oauth2"
chmod 700 "$DATA" "$DATA/oauth2"
printf 'rt-seed' > "$DATA/oauth2/work.token"
chmod 600 "$DATA/oauth2/work.token"
cat > "$T/editor.sh" <<'EOF'
#!/bin/sh
sed -i 's/^To: *$/To: Bob <bob@example.org>/; s/^Subject: *$/Subject: Waited for the grant/' "$1"
printf 'Sent after authorizing again.\n' >> "$1"
EOF
chmod +x "$T/editor.sh"
# the usual account "work", with OAuth2 instead of its password
ui_rig_rc "$T/a.rc" "$DATA" "$T/editor.sh"
sed -i '/^set imap_pass /d; 1i set sync_interval = 10' "$T/a.rc"
printf 'set oauth_client_id = dev-wait\nset oauth_token_url = "%s/token"\nset oauth_device_url = "%s/device"\n' \
	"$OAUTH_BASE" "$OAUTH_BASE" >> "$T/a.rc"
delivered() { grep -l "^Subject: $1" "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1; }
log_screen() { echo "  screen ($1):"; ui_screen | sed 's/^/    | /'; }

ui_start -x 120 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "the reader syncs with the stored grant" ui_wait "Before the revocation" 30

# the grant is revoked at the provider and every access token expires
rt=$(cat "$DATA/oauth2/work.token")
post /revoke token "$rt" >/dev/null
post /expire all 1 >/dev/null

# a message sent now cannot go: it waits in the outbox
ui_keys m
ui_wait "-- Compose: new message" >/dev/null
ui_keys y
check "the send fails and stays in the outbox" ui_wait "Not sent, kept in the outbox:" 30
OB=$DATA/state/work/outbox
check "the message is in the outbox" eval 'ls "$OB" | grep -q "\.env$"'

# the IMAP session ends; the next login finds the grant gone
"$SRC/tests/rig/rig" kick "$RIGDIR" "$RIG_USER" >/dev/null
ui_keys '$'
check "the reader asks through its question overlay" ui_wait "OAuth2 sign-in is no longer valid" 60
check "the question says why" ui_until eval 'ui_screen | grep -q "revoked or has expired"'
log_screen "the question"
ui_type y
check "the device code in the question box" ui_wait "WDJB-MJHT" 30
check "with the address to open" ui_until eval 'ui_screen | grep -q "Open https://provider.test/device"'
check "Esc would stop the wait" ui_until eval 'ui_screen | grep -q "Esc: stop waiting"'
log_screen "the code in the reader"
[ -n "${OAUTH_TRANSCRIPT:-}" ] && ui_screen > "$OAUTH_TRANSCRIPT.reader"
# Esc stops waiting; the account stays offline until $ asks again
ui_keys Escape
check "Esc: not authorized" ui_wait "not authorized: " 30
check "Esc: says how to ask again" ui_until eval 'ui_screen | grep -q "asks again"'
ui_keys '$'
check "\$ asks again" ui_wait "OAuth2 sign-in is no longer valid" 60
ui_type y
check "a new code" ui_wait "WDJB-MJHT" 30
check "the browser approves" eval 'post /approve user_code WDJB-MJHT | grep -q "\"approved\": [1-9]"'
check "authorized again, without leaving the reader" ui_wait "authorized again" 30
check "a new refresh token is stored" ui_until eval '[ "$(cat "$DATA/oauth2/work.token")" != "$rt" ]'

# the sync goes on: new mail on the server shows up
msg "$RIG_MAILDIR_alice/INBOX/new" 2 "After authorizing again"
ui_keys '$'
check "the sync resumes" ui_wait "After authorizing again" 60
for _ in $(seq 400); do [ -n "$(delivered "Waited for the grant")" ] && break; sleep 0.1; done
check "the outbox message is sent through Postfix" [ -n "$(delivered "Waited for the grant")" ]
check "the outbox is empty" ui_until eval '! ls "$OB" | grep -q "\.env$"'
tok=$(cat "$DATA/oauth2/work.token")
check "the token in no other file of data_dir" eval '! grep -rlF -- "$tok" "$DATA" "$T/a.rc" | grep -vxF "$DATA/oauth2/work.token" | grep -q .'
log_screen "after the re-authorization"
ui_keys q
ui_wait "Quit muttlike" 30 >/dev/null && ui_type y
st=$(ui_exited 30)
check "the reader quits normally ($st)" [ "$st" = 0 ]

finish # it also fails on sanitizer reports from muttlike
