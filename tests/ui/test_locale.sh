#!/bin/bash
# test_locale.sh - the reader outside UTF-8, and wide text inside it.
# With LC_ALL=C: non-ASCII in the index, the pager and prompts shows as
# '?' (one column each, so columns stay aligned), the thread tree and
# the sidebar divider are ASCII, nothing but ASCII reaches the terminal,
# typing still works.  With a Latin-1 locale (generated privately when
# localedef can), what Latin-1 has is shown and the rest is '?'.  In
# UTF-8, CJK and emoji lines are cut at the display width.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data

msg() { # NAME DATE FROM SUBJECT ID [IN-REPLY-TO]   (body on stdin)
	local hdr=""
	[ -n "${6:-}" ] && hdr="In-Reply-To: <$6>"$'\n'
	mkdir -p "$DATA/mail/work/INBOX/cur" "$DATA/mail/work/INBOX/new" "$DATA/mail/work/INBOX/tmp"
	{
		printf 'From: %s\nTo: you@example.org\nSubject: %s\nDate: %s\nMessage-ID: <%s>\n%sMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n' \
			"$3" "$4" "$2" "$5" "$hdr"
		cat
	} > "$DATA/mail/work/INBOX/cur/$1:2,S"
}
LONG=$(printf '長%.0s' $(seq 70))
echo "Plain body." | msg m1 "Mon, 01 Jan 2029 10:00:00 +0000" "Ann Other <ann@example.org>" "Plain ascii subject" plain1
echo "Grüße, Jörg." | msg m2 "Tue, 02 Jan 2029 10:00:00 +0000" "Jörg Müller <jm@example.org>" "Grüße aus München" gruss1
echo "Danke schön." | msg m3 "Wed, 03 Jan 2029 10:00:00 +0000" "Ann Other <ann@example.org>" "Re: Grüße aus München" gruss2 gruss1
printf '中文 body, café, 🍕 end.\n' | msg m4 "Thu, 04 Jan 2029 10:00:00 +0000" "山田太郎 <yamada@example.org>" "中文主题 wide subject" cjk1
echo "Pizza." | msg m5 "Fri, 05 Jan 2029 10:00:00 +0000" "Pizzas 🍕🍕🍕 Bot <bot@example.org>" "Lunch 🍕🍣 today" emoji1
echo "Long." | msg m6 "Sat, 06 Jan 2029 10:00:00 +0000" "Long Cjk <long@example.org>" "$LONG" long1
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }

cat > "$T/a.rc" <<EOF2
set data_dir = "$DATA"
set hide_thread_subject = no
set index_format = "%4C %-12.12F#%s"
account work
set imap_url = imaps://alice@imap.work.example
EOF2

# the display column of the first '#' on every index row (rows 1..5), one per line
hash_cols() {
	ui_screen | sed -n '2,6p' | LC_ALL=C.UTF-8 python3 -c '
import sys, unicodedata
for line in sys.stdin:
    i = line.find("#")
    if i < 0: print("none"); continue
    print(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line[:i]))'
}
aligned() { [ "$(hash_cols | sort -u | wc -l)" = 1 ] && ! hash_cols | grep -q none; }
ascii_only() { ! ui_screen | LC_ALL=C grep -q '[^ -~]'; }
# end the session (and wait until its tmux server is gone)
restart() { ui_stop; }
row_of() { ui_screen | grep -n -- "$1" | head -1 | cut -d: -f1; }

# ---- LC_ALL=C ----
ui_start -x 100 -y 24 env LANG=C LC_ALL=C "$MUTTLIKE_BIN" -F "$T/a.rc"
check "C: the index opens" ui_wait "-- muttlike: work/INBOX [Msgs:6"
check "C: nothing but ASCII reaches the terminal" ascii_only
check "C: Latin-1 letters show as '?'" eval 'ui_screen | grep -qF "J?rg M?ller,#Gr??e aus M?nchen (+1)"'
check "C: CJK shows as one '?' per character" eval 'ui_screen | grep -qF "????        #???? wide subject"'
check "C: emoji too" eval 'ui_screen | grep -qF "Pizzas ??? B#Lunch ?? today"'
check "C: the sidebar divider is ASCII" eval 'ui_row 1 | grep -q "^work .*|"'
check "C: the columns stay aligned" aligned
r=$(row_of "Gr??e aus")
ui_keys = 
for ((i = 1; i < r - 1; i++)); do ui_keys j; done
ui_keys Escape v
check "C: an unfolded thread's tree is ASCII" ui_wait '`->Re: Gr??e aus M?nchen'
check "C: still ASCII only" ascii_only
ui_keys Escape v
r=$(row_of "wide subject")
ui_keys =
for ((i = 1; i < r - 1; i++)); do ui_keys j; done
ui_keys Enter
check "C: the pager shows the body with '?'" ui_wait "?? body, caf?, ? end."
check "C: and the headers" eval 'ui_screen | grep -q "Subject: ???? wide subject" && ui_screen | grep -q "From: ???? <yamada@example.org>"'
check "C: the pager is ASCII only" ascii_only
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null
ui_keys l
ui_wait "Limit to" >/dev/null
ui_type "ü€"
ui_type "Z" # after the non-ASCII keys: once it shows, they have been handled
ui_until eval 'ui_screen | grep -q "Limit to.*Z"' >/dev/null
check "C: a prompt shows typed non-ASCII harmlessly" eval 'ascii_only && ui_screen | grep -q "Limit to"'
ui_keys C-u
ui_type "from:yamada"
ui_keys Enter
check "C: typing ASCII in a prompt works" ui_wait "limit: from:yamada"
check "C: the limit applies" eval 'ui_screen | grep -q "wide subject" && ! ui_screen | grep -q "Plain ascii"'
ui_keys :
ui_type "set sort = subject"
ui_keys Enter
ui_settled >/dev/null
check "C: commands still work" eval 'ascii_only && ! ui_screen | grep -qi "error"'
ui_keys q
st=$(ui_exited); check "C: quits cleanly (got $st)" [ "$st" = 0 ]

# ---- a Latin-1 locale, generated privately (no change to the system) ----
LOC=$T/locale
mkdir -p "$LOC"
if command -v localedef >/dev/null && localedef -i de_DE -f ISO-8859-1 "$LOC/de_DE.ISO-8859-1" >/dev/null 2>&1; then
	# glibc's setlocale leaks a path list when LOCPATH is set (argz): not ours
	printf 'leak:__argz_add_sep\nleak:_nl_make_l10nflist\n' > "$T/lsan.supp"
	restart
	ui_start -x 100 -y 24 env LOCPATH="$LOC" LANG=de_DE.ISO-8859-1 LC_ALL=de_DE.ISO-8859-1 \
		LSAN_OPTIONS="suppressions=$T/lsan.supp:print_suppressions=0" "$MUTTLIKE_BIN" -F "$T/a.rc"
	check "Latin-1: the index opens" ui_wait "-- muttlike: work/INBOX [Msgs:6"
	check "Latin-1: characters outside Latin-1 are '?'" eval 'ui_screen | grep -q "???? wide subject" && ui_screen | grep -q "Lunch ?? today"'
	# tmux drops bytes that are not UTF-8 from its screen: read what the program writes
	RAW=$T/latin1.out
	tmux -L "$UI_SOCK" pipe-pane -o -t t "cat >> $RAW"
	ui_keys C-l
	raw_has() { local i; for i in $(seq 300); do LC_ALL=C grep -qaF "$(printf "$1")" "$RAW" 2>/dev/null && return 0; sleep 0.1; done; return 1; }
	check "Latin-1: what Latin-1 has is written in Latin-1" eval "raw_has 'J\\xf6rg M\\xfcller' && raw_has 'Gr\\xfc\\xdfe aus M\\xfcnchen (+1)'"
	check "Latin-1: no UTF-8 reaches the terminal" eval '! LC_ALL=C grep -qaF "$(printf "\xc3\xbc")" "$RAW"'
	r=$(row_of "wide subject")
	ui_keys =
	for ((i = 1; i < r - 1; i++)); do ui_keys j; done
	ui_keys Enter
	check "Latin-1: the pager shows CJK and emoji as '?'" ui_wait "?? body, caf"
	check "Latin-1: and é as é" raw_has 'caf\xe9, ? end.'
	ui_keys q q
	st=$(ui_exited); check "Latin-1: quits cleanly (got $st)" [ "$st" = 0 ]
else
	echo "# no Latin-1 locale could be generated (localedef); that part is skipped"
fi

# ---- UTF-8: wide characters cut at the display width ----
restart
ui_start -x 100 -y 24 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "UTF-8: the index opens" ui_wait "-- muttlike: work/INBOX [Msgs:6"
disp_width() { LC_ALL=C.UTF-8 python3 -c '
import sys, unicodedata
s = sys.stdin.read().rstrip("\n")
print(sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s))'; }
r=$(row_of "Long Cjk")
check "UTF-8: a long CJK subject is cut to the window (99 or 100 columns, never more)" eval 'w=$(ui_row $((r - 1)) | sed "s/ *$//" | disp_width); [ "$w" -ge 99 ] && [ "$w" -le 100 ]'
check "UTF-8: the line after it is not disturbed" eval 'ui_row $r | grep -q "^ INBOX\|^ *[^ ]" && [ "$(ui_row $r | disp_width)" -le 100 ]'
check "UTF-8: CJK and emoji columns stay aligned" aligned
check "UTF-8: an emoji name is cut whole at 12 columns (the third would need 13)" eval 'ui_screen | grep -qF "Pizzas 🍕🍕 #Lunch 🍕🍣 today"'
check "UTF-8: a CJK name takes two columns a character" eval 'ui_screen | grep -qF "山田太郎    #中文主题 wide subject"'
ui_resize 61 24
check "UTF-8: after a resize the long subject is cut at the new width" ui_until eval 'r=$(row_of "Long Cjk"); w=$(ui_row $((r - 1)) | sed "s/ *$//" | disp_width); [ "$w" -ge 60 ] && [ "$w" -le 61 ]'
ui_keys q
st=$(ui_exited); check "UTF-8: quits cleanly (got $st)" [ "$st" = 0 ]
finish
