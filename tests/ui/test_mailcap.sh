#!/bin/bash
# test_mailcap.sh - attachments handed to mailcap and pipe commands (issue
# 17, item 1): the temporary copy has a name we made (random stem, plain
# extension at most), so a hostile file name never becomes extra words or
# shell syntax, even when the mailcap entry quotes '%s' itself; %{param}
# values arrive reduced to harmless characters.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data

# The viewer records each argument on a line of its own, then the file.
cat > "$T/viewer" <<EOF
#!/bin/sh
out=$T/seen.\$\$
{ echo "argc=\$#"; for a in "\$@"; do echo "arg=\$a"; done; echo "body=\$(cat "\$1")"; } > "\$out.tmp"
mv "\$out.tmp" "$T/seen"
EOF
chmod +x "$T/viewer"
cat > "$T/mailcap" <<EOF
application/x-evil; $T/viewer '%s' %{charset} %{x-opt}
application/pdf; $T/viewer '%s'
EOF

{
	printf 'From: Mallory <m@example.org>\nTo: you@example.org\nSubject: Evil names\n'
	printf 'Date: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <evilnames@test>\nMIME-Version: 1.0\n'
	printf 'Content-Type: multipart/mixed; boundary="b"\n\n--b\nContent-Type: text/plain\n\nsee attached\n'
	printf -- '--b\nContent-Type: application/x-evil; charset="$(touch %s/pwned1)"; x-opt="-e x"\n' "$T"
	printf 'Content-Disposition: attachment; filename="a.dat --output=%s/pwned2 -e x"\n\nfirst part\n' "$T"
	printf -- '--b\nContent-Type: application/pdf\nContent-Disposition: attachment; filename="b).pdf"\n\n'
	printf 'second part\n--b--\n'
} | store_add_message "$DATA" work INBOX evilnames
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }

cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
set mailcap_path = "$T/mailcap"
account work
set imap_url = imaps://alice@imap.work.example
EOF

# The viewer's record, once it is complete.
seen() {
	local i
	for i in $(seq 300); do
		[ -f "$T/seen" ] && { cat "$T/seen"; return 0; }
		sleep 0.1
	done
	return 1
}

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "index opens" ui_wait "Evil names"
ui_keys Enter
check "the message opens" ui_wait "see attached"
ui_keys v
check "the attachments view lists the hostile name" ui_wait "a.dat --output="
ui_keys j m
check "view-mailcap ran the viewer" eval "seen >/dev/null"
S=$(seen)
check "a quoted '%s' still gets the file as one word, and each parameter as one" eval '[ "$(echo "$S" | head -1)" = argc=3 ]'
check "the file's name is a random stem without the hostile name's words" \
	eval 'echo "$S" | sed -n 2p | grep -Eq "^arg=/.*/muttlike-[^/]+/[0-9a-f]{16}$"'
check "the part's content is in that file" eval 'echo "$S" | grep -qx "body=first part"'
check "%{charset} arrives reduced, no command substitution ran" \
	eval 'echo "$S" | grep -qx "arg=__touch__.*_pwned1_" && [ ! -e "$T/pwned1" ]'
check "%{x-opt} cannot start an option" eval 'echo "$S" | grep -qx "arg=_e_x"'
check "no --output file was written" eval '[ ! -e "$T/pwned2" ]'
check "the temporary copy is gone afterwards" ui_until eval '[ ! -e "$(echo "$S" | sed -n "2s/^arg=//p")" ]'

rm -f "$T/seen"
ui_keys j m
check "a ')' in the name is no shell syntax error: the viewer ran" eval "seen >/dev/null"
S=$(seen)
check "the extension is kept, nothing else of the name" \
	eval 'echo "$S" | sed -n 2p | grep -Eq "^arg=/.*/[0-9a-f]{16}\.pdf$" && [ "$(echo "$S" | head -1)" = argc=1 ]'
# the viewer has ended once its copy is gone (the error, if any, is set
# before), and the view is drawn again
ui_until eval '[ ! -e "$(echo "$S" | sed -n "2s/^arg=//p")" ]' >/dev/null
ui_wait "b).pdf" >/dev/null
check "no error on the message line" eval '! ui_screen | grep -q "exited with status"'
ui_keys q q q
finish
