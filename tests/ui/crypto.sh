# tests/ui/crypto.sh - what the crypto UI tests share (source after lib.sh):
#   crypto_keys         the GnuPG fixture of tests/unit/crypto_fixture.sh in
#                       $T/keys, GNUPGHOME set to its home (alice has no
#                       passphrase; zed is only in $T/keys/other)
#   scheck NAME CMD     check; a failure shows the screen it looked at
#   back, open_msg SUBJECT   back to the index; open the message with
#                       SUBJECT (an index search) and wait for it
#   verdict_row, row_attrs N, has_acs N   the verdict rows start on row 1,
#                       under the help bar; the diamond is drawn from the
#                       terminal's line-drawing set: tmux shows the switch
#                       to it (SO, ^N) and plain capture a backquote
crypto_keys() {
	bash "$SRC/tests/unit/crypto_fixture.sh" "$T/keys" >"$T/fixture.log" 2>&1 ||
		{ echo "FAIL - the GnuPG fixture failed"; cat "$T/fixture.log"; echo "0 passed, 1 failed"; exit 1; }
	export GNUPGHOME=$T/keys/gnupg
}
scheck() { local name=$1; shift; check "$name" eval "$* || { ui_screen | sed 's/^/  | /' >&2; false; }"; }
back() { ui_keys q; ui_wait "-- muttlike: work/INBOX" >/dev/null; }
open_msg() {
	ui_screen | grep -q -- "-- muttlike: work/INBOX" || back
	ui_keys /
	ui_type "$1"
	ui_keys Enter Enter
	ui_wait "-- $1"
}
verdict_row() { ui_row 1; }
row_attrs() { tmux -L "$UI_SOCK" capture-pane -e -p -t t -S "$1" -E "$1"; }
has_acs() { row_attrs "$1" | grep -q $'\x0e'; }
