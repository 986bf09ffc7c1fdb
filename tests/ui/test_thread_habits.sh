#!/bin/bash
# test_thread_habits.sh - mutt's thread and pager habits (issue 12 item
# 12): Enter on a folded thread opens its newest unread message; Space at
# the end of a message goes to the next unread one; hidden quoted text is
# one "[-- N lines of quoted text --]" line; repeated subjects are not
# repeated in the thread tree; reverse- sort orders and sort by thread
# activity.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data

msg() { # NAME FLAGS DATE SUBJECT FROM ID [IN-REPLY-TO [BODY]]
	local hdr=""
	[ -n "${7:-}" ] && hdr="In-Reply-To: <$7>
References: <$7>
"
	mkdir -p "$DATA/mail/work/INBOX/cur" "$DATA/mail/work/INBOX/new" "$DATA/mail/work/INBOX/tmp"
	printf 'From: %s <%s@example.org>\nTo: you@example.org\nSubject: %s\nDate: %s\nMessage-ID: <%s>\n%s\nBody of %s.\n%s' \
		"$5" "$6" "$4" "$3" "$6" "$hdr" "$6" "${8:-}" > "$DATA/mail/work/INBOX/cur/$1:2,$2"
}
# Alpha: the newest message is read, the two before it unread
msg a1 S "Tue, 01 Jan 2030 10:00:00 +0000" "Alpha plan" "Ann Alpha" alpha1
msg a2 "" "Tue, 01 Jan 2030 11:00:00 +0000" "Re: Alpha plan" "Bob Beta" alpha2 alpha1
msg a3 "" "Tue, 01 Jan 2030 12:00:00 +0000" "Re: Alpha plan" "Cy Gamma" alpha3 alpha2
msg a4 S "Tue, 01 Jan 2030 13:00:00 +0000" "Re: Alpha plan" "Dee Delta" alpha4 alpha3
msg b1 S "Mon, 31 Dec 2029 10:00:00 +0000" "Beta single" "Dee Delta" beta1
# Omega: started first, active after Beta; its reply changes the subject
msg o1 S "Fri, 28 Dec 2029 10:00:00 +0000" "Omega root" "Fay Phi" omega1
msg o2 S "Mon, 31 Dec 2029 12:00:00 +0000" "Re: Omega branch" "Gus Psi" omega2 omega1
msg c1 "" "Sun, 30 Dec 2029 10:00:00 +0000" "Gamma talk" "Eve Eps" gamma1 "" \
	'Intro line.

> first quoted
> second quoted
>
> third quoted

After the quote.
'
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }
cat > "$T/a.rc" <<EOF
set data_dir = "$DATA"
account work
set imap_url = imaps://alice@imap.work.example
EOF

ui_start -x 100 -y 30 "$MUTTLIKE_BIN" -F "$T/a.rc"
ui_wait "-- muttlike: work/INBOX"
check "the folded thread is the first line" eval 'ui_row 1 | grep -q "Alpha plan (+3)"'
ui_keys Enter
check "Enter on a folded thread opens its newest unread message" ui_wait "Body of alpha3."
ui_keys Space
check "Space at the end goes to the next unread message (not the next one, which is read)" ui_wait "Body of gamma1."
check "quoted text is shown" ui_until eval 'ui_screen | grep -q "> second quoted"'
ui_keys T
check "toggle-quoted: one line says how much is hidden" ui_wait "[-- 4 lines of quoted text --]"
ui_settled >/dev/null # the whole page drawn again, not only the marker's row
check "no quoted line is left" eval '! ui_screen | grep -q "quoted$"'
check "the text around it stays" ui_until eval 'ui_screen | grep -q "^Intro line." && ui_screen | grep -q "^After the quote."'
check "the marker stands where the quote was" ui_until eval 'ui_screen | grep -A1 "^Intro line." | tail -1 | grep -q "^$" && ui_screen | grep -A2 "^Intro line." | tail -1 | grep -qF "[-- 4 lines"'
ui_keys T
check "toggle-quoted again shows it" ui_wait "> third quoted"
ui_keys Space
check "no unread message after the last one" ui_wait "No more unread messages."
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null

# ---- repeated subjects in the tree (hide_thread_subject) ----
ui_keys =
ui_keys Escape Enter
check "view-thread shows the tree" ui_wait "-- thread: Alpha plan [4 messages] --"
check "the root keeps its subject" eval 'ui_screen | grep "Ann Alpha" | grep -q "Alpha plan"'
check "a reply with its parent's subject (after Re:) shows none" \
	eval 'ui_screen | grep -q "Bob Beta" && ! ui_screen | grep "Bob Beta" | grep -q "Alpha plan" && ! ui_screen | grep "Dee Delta" | grep -q "Alpha plan"'
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null
ui_keys Down Escape Enter
check "a reply with a subject of its own" ui_wait "Omega branch [2 messages] --"
check "keeps it" eval 'ui_screen | grep "Gus Psi" | grep -q "Re: Omega branch"'
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null

# ---- sort orders ----
order_is() { # the threads' subjects from the top, as words
	local got="" i
	for i in $(seq 600); do
		got=$(ui_screen | sed -n '2,5p' | grep -oE "Alpha plan|Omega|Beta single|Gamma talk" | tr '\n' ' ')
		[ "$got" = "$* " ] && return 0
		sleep 0.05
	done
	echo "order: $got" >&2
	return 1
}
sort_by() {
	ui_keys :
	ui_type "set sort=$1"
	ui_keys Enter
}
check "newest-first: threads by their newest message" order_is Alpha plan Omega Beta single Gamma talk
sort_by last-date
check "last-date: the least recently active thread first" order_is Gamma talk Beta single Omega Alpha plan
sort_by date
check "date (mutt's; oldest-first): threads by their first message" order_is Omega Gamma talk Beta single Alpha plan
sort_by reverse-date
check "reverse-date: newest first" order_is Alpha plan Omega Beta single Gamma talk
sort_by subject
check "subject: A to Z" order_is Alpha plan Beta single Gamma talk Omega
sort_by reverse-subject
check "reverse-subject: Z to A" order_is Omega Gamma talk Beta single Alpha plan
sort_by reverse-last-date
check "reverse-last-date: the most recently active first" order_is Alpha plan Omega Beta single Gamma talk

ui_keys q
finish
