#!/bin/bash
# test_wizard_oauth.sh - an OAuth2 account from the wizard, end to end, on
# the private little Internet of tests/ui/wizard_env.sh: alice@outlook.com,
# whose autoconfig (autoconfig.outlook.com) names outlook.office365.com
# with OAuth2; that is the rig's Dovecot with its oauth2 passdb asking
# tests/integration/oauth_provider.py (client dev-wait: the device code
# stays pending until the test, playing the person at the browser,
# approves it).  The rc holds only the provider's endpoints (as a user who
# registered a client would set them for a provider of their own).
#   - plain mode: the device flow through `setup --oauth` on the terminal;
#   - the reader's add-account, curses form: name, address, client id; the
#     code shown in the form, approved, the account written, the first
#     sync, the reader on the new account with the mail; every access
#     token expired, new mail still comes and a reply goes out through
#     Postfix (SASL through the same Dovecot), nothing asked.
# OAUTH_TRANSCRIPT=FILE keeps the plain run's output and a capture of the
# form there (doc/oauth2-transcript.md was made that way).
source "$(dirname "$0")/wizard_env.sh"
wiz_enter_netns "$0" "$@"
source "$(dirname "$0")/lib.sh"
ip link set lo up || wiz_die "no loopback in the namespace"
PROV_DIR=$(mktemp -d /tmp/muttlike-oauthprov.XXXXXX)
"$WIZ_PY" "$WIZ_SRC/tests/integration/oauth_provider.py" "$PROV_DIR/state.json" > "$PROV_DIR/port" 2>&1 &
PROV=$!
trap 'kill "$PROV" 2>/dev/null; wiz_stop; ui_cleanup; rm -rf "$PROV_DIR"' EXIT
for _ in $(seq 600); do [ -s "$PROV_DIR/port" ] && break; sleep 0.05; done
oport=$(head -1 "$PROV_DIR/port")
[[ $oport =~ ^[0-9]+$ ]] || { cat "$PROV_DIR/port"; wiz_die "the OAuth2 provider did not start"; }
OAUTH_BASE=http://127.0.0.1:$oport
export RIG_OAUTH_URL=$OAUTH_BASE/introspect
wiz_start
# Postfix submission authenticating through the rig's Dovecot (its oauth2
# passdb), named as outlook.com's outgoing server by the autoconfig
SMTP_RIG_DOVECOT_SASL=$RIG_AUTH_SOCKET "$WIZ_SRC/tests/integration/smtp-rig" start "$WIZ_DIR/smtp" $$ >/dev/null 2>&1 ||
	wiz_die "the SMTP rig did not start"
# shellcheck disable=SC1091
source "$WIZ_DIR/smtp/smtp.env"
trap 'kill "$PROV" 2>/dev/null; "$WIZ_SRC/tests/integration/smtp-rig" stop "$SMTP_DIR" >/dev/null 2>&1; wiz_stop; ui_cleanup; rm -rf "$PROV_DIR"' EXIT
WIZ_SMTPS_PORT=$SMTPS_PORT autoconfig_xml outlook.office365.com "$RIG_IMAPS_PORT" SSL OAuth2 \
	> "$WIZ_DIR/www/autoconfig.outlook.com/mail/config-v1.1.xml"
M=$MUTTLIKE_BIN
T=$WIZ_DIR
has() { grep -qF -- "$2" "$T/$1"; }
show() { sed 's/^/    | /' "$T/$1"; }
# The person at the browser types the code at the provider's page.
post() { # PATH BODY: a form POST to the provider
	"$WIZ_PY" -c 'import sys,urllib.request; print(urllib.request.urlopen(sys.argv[1], sys.argv[2].encode()).read().decode())' \
		"$OAUTH_BASE$1" "$2"
}
approve() { post /approve user_code=WDJB-MJHT; }
# The form, into the test's log.
log_screen() { echo "  screen ($1):"; ui_screen | sed 's/^/    | /'; }

mkdir -p "$T/mail/INBOX/cur" "$T/mail/INBOX/new" "$T/mail/INBOX/tmp"
printf 'From: Bob <bob@example.org>\nTo: alice@outlook.com\nSubject: Lunch on Friday via OAuth\nDate: Fri, 4 Dec 2026 10:00:00 +0000\nMessage-ID: <oauth-1@example.org>\n\nSee you there.\n' \
	> "$T/mail/INBOX/cur/1000000000.1.host:2,"
"$WIZ_SRC/tests/rig/rig" populate "$T/rig" alice "$T/mail" >/dev/null || wiz_die "rig populate"

printf '#!/bin/sh\nprintf "Friday works for me.\\n" >> "$1"\n' > "$T/editor.sh"
chmod +x "$T/editor.sh"
globals() {
	printf 'set tls_ca_file = "%s"\nset editor = "%s"\n' "$RIG_CA" "$T/editor.sh"
	printf 'set oauth_auth_url = "%s/authorize"\nset oauth_token_url = "%s/token"\nset oauth_device_url = "%s/device"\n' \
		"$OAUTH_BASE" "$OAUTH_BASE" "$OAUTH_BASE"
}

# -- plain mode: the wizard, then setup --oauth with the terminal --
globals > "$T/plain.rc"
mkfifo "$T/plain.in"
"$M" -F "$T/plain.rc" setup --plain --ca-file "$RIG_CA" < "$T/plain.in" > "$T/plain.out" 2>&1 &
plain=$!
exec 7> "$T/plain.in"
printf '%s\n' "Alice Example" "alice@outlook.com" "plain" "" "" "" "" "" "" "" "" always oauth2 dev-wait "" no >&7
for _ in $(seq 600); do grep -q "WDJB-MJHT" "$T/plain.out" && break; kill -0 "$plain" 2>/dev/null || break; sleep 0.05; done
check "plain: the device code is shown" has plain.out "WDJB-MJHT" || show plain.out
check "plain: with the address to open" has plain.out "https://provider.test/device"
approve > /dev/null
exec 7>&-
wait "$plain"
st=$?
check "plain: exit 0 ($st)" [ "$st" = 0 ] || show plain.out
check "plain: authorized" has plain.out "plain: authorized; the refresh token is in"
check "plain: the account in the rc" has plain.rc "set oauth_client_id = \"dev-wait\""
check "plain: no password in the rc" eval "! grep -q pass_cmd '$T/plain.rc'"
[ -n "${OAUTH_TRANSCRIPT:-}" ] && cp "$T/plain.out" "$OAUTH_TRANSCRIPT.plain"

# -- the form, the browser's way: the address the browser ended on pasted --
globals > "$T/browser.rc"
ui_start "$M" -F "$T/browser.rc" setup --ca-file "$RIG_CA" --name "Alice Example" --email alice@outlook.com
check "browser: identity page" ui_wait "who you are" 30
ui_keys Tab Tab; ui_type "browser"; ui_keys Enter Enter
check "browser: servers" ui_wait "(2/5): servers" 30
ui_keys BTab Enter
ui_until eval 'ui_screen | grep -q -e "not trusted" -e "sign-in"'
ui_screen | grep -q "not trusted" && ui_keys Right Right Enter Enter
check "browser: sign-in page" ui_wait "(3/5): sign-in" 30
ui_keys Tab; ui_type "auth-ok"; ui_keys Tab Tab Right Enter Enter
check "browser: summary page" ui_wait "(5/5): write it" 30
ui_keys Right BTab Enter # no first sync
check "browser: the address to open" ui_wait "A browser on another machine" 30
check "browser: a line to paste into" ui_until eval 'ui_screen | grep -q "Address"'
log_screen "the browser's way"
[ -n "${OAUTH_TRANSCRIPT:-}" ] && ui_screen > "$OAUTH_TRANSCRIPT.browser"
url=$(ui_screen | sed -n '/in a browser:/,/A browser on another/p' | sed '1d;$d' | tr -d ' \n')
back=$("$WIZ_PY" "$WIZ_SRC/tests/integration/oauth_provider.py" --browse "$url" --no-follow)
check "browser: the provider redirects to the loopback" eval '[[ $back == http://127.0.0.1:*code=* ]]' || echo "    url=$url back=$back"
ui_type "$back"; ui_keys Enter
st=$(ui_exited 30)
check "browser: exit 0 ($st)" [ "$st" = 0 ]
check "browser: the account written" grep -q "^account browser" "$T/browser.rc"
check "browser: its refresh token stored" [ -s "$HOME/.local/share/muttlike/oauth2/browser.token" ]

# -- the reader's add-account, the curses form --
globals > "$T/form.rc"
ui_start "$M" -F "$T/form.rc"
check "reader without an account" ui_wait "No account is configured" 30
ui_keys Escape A
check "add-account asks first" ui_wait "set up another account"
ui_type y
check "add-account: the wizard opens" ui_wait "who you are" 30
ui_type "Alice Example"; ui_keys Tab
ui_type "alice@outlook.com"; ui_keys Enter Enter Enter
check "discovery: the autoconfig's servers" ui_wait "(2/5): servers" 30
check "servers: OAuth2 noted from the autoconfig" ui_until eval 'ui_screen | grep -q "wants OAuth2"'
ui_keys BTab Enter
for _ in 1 2; do # the rig's certificate for IMAP and SMTP: accept always
	ui_until eval 'ui_screen | grep -q -e "not trusted" -e "sign-in"'
	ui_screen | grep -q "not trusted" || break
	ui_keys Right Right Enter Enter
	ui_wait_gone "not trusted" 30 >/dev/null
done
check "sign-in page" ui_wait "(3/5): sign-in" 30
check "sign-in: names the provider" ui_until eval 'ui_screen | grep -q "outlook.office365.com signs in with OAuth2 (microsoft)"'
check "sign-in: the device code is the default" ui_until eval 'ui_screen | grep -q "< code >"'
ui_keys Tab; ui_type "dev-wait"; ui_keys Enter Enter Enter Enter
check "summary page" ui_wait "(5/5): write it" 30
check "summary: no password kept" eval '! ui_screen | grep -q pass_cmd'
ui_keys BTab Enter
check "the form shows the code" ui_wait "WDJB-MJHT" 30
check "the form shows where to enter it" ui_until eval 'ui_screen | grep -q "https://provider.test/device"'
check "the form still answers while polling (spinner, ^C hint)" ui_until eval 'ui_screen | grep -q "Esc: stop"'
log_screen "device code in the form"
[ -n "${OAUTH_TRANSCRIPT:-}" ] && ui_screen > "$OAUTH_TRANSCRIPT.form"
check "nothing written before the authorization" eval '! grep -q "^account" "$T/form.rc"'
check "the browser approves" eval 'approve | grep -q "\"approved\": 1"'
check "add-account: the reader reopens on the new account" ui_wait "outlook.com/INBOX" 60
check "the reader shows the synced mail" ui_wait "Lunch on Friday via OAuth" 60
log_screen "the reader after the wizard"
check "form: the account in the rc" eval 'grep -q "^account outlook.com" "$T/form.rc" && grep -q "set oauth_provider = \"microsoft\"" "$T/form.rc"'
check "form: no password in the rc" eval '! grep -q pass_cmd "$T/form.rc"'
tok=$(ls "$HOME"/.local/share/muttlike/oauth2/outlook.com.token 2>/dev/null)
check "form: the refresh token in its 0600 file" eval '[ -n "$tok" ] && [ "$(stat -c %a "$tok")" = 600 ]'
rt=$(cat "$tok" 2>/dev/null)
check "form: the token in no other file of data_dir or the rc" \
	eval '[ -n "$rt" ] && ! grep -rlF -- "$rt" "$HOME" "$T/form.rc" | grep -vxF "$tok" | grep -q .'

# -- a day of expired access tokens later: nothing is asked, mail comes, a reply goes --
post /expire all=1 >/dev/null
"$WIZ_SRC/tests/rig/rig" kick "$T/rig" alice >/dev/null
printf 'From: Bob <bob@example.org>\nTo: alice@outlook.com\nSubject: Bring dessert\nDate: Sat, 5 Dec 2026 10:00:00 +0000\nMessage-ID: <oauth-2@example.org>\n\nCake?\n' \
	> "$RIG_MAILDIR_alice/INBOX/new/1000000002.2.host"
ui_keys '$'
check "expired access tokens: the new mail still arrives" ui_wait "Bring dessert" 60
ui_keys r
check "reply: the compose screen" ui_wait "-- Compose: reply" 30
ui_keys y
check "reply: sent" ui_wait "1 message sent." 60
replied() { grep -l "^Subject: Re: " "$SMTP_MAILDIR"/new/* "$SMTP_MAILDIR"/cur/* 2>/dev/null | head -1; }
for _ in $(seq 300); do [ -n "$(replied)" ] && break; sleep 0.1; done
check "reply: delivered by Postfix (OAuth2 through Dovecot's SASL)" eval '[ -n "$(replied)" ] && grep -q "Friday works for me" "$(replied)"'
check "nothing was asked after the expiry" eval '! ui_screen | grep -q -e "no longer valid" -e "Password for"'
log_screen "after the reply"
ui_keys q
ui_wait "Quit muttlike" 30 >/dev/null && ui_type y
st=$(ui_exited 30)
check "the reader quits normally ($st)" [ "$st" = 0 ]

finish # it also fails on sanitizer reports from muttlike
