#!/bin/bash
# test_fold.sh - threads folded and unfolded in the index itself:
# collapse-thread (mutt: Esc v), collapse-all (Esc V), vim's za/zR/zM,
# the folded line (root, hidden count, unread marker), the cursor after
# folding, folding kept over a store change, and messages mode refusing.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/store.sh"
T=$UI_TMP
export HOME=$T/home XDG_CONFIG_HOME= XDG_DATA_HOME=
mkdir -p "$HOME"
DATA=$T/data
NM="env NOTMUCH_CONFIG=$DATA/notmuch-config notmuch"

msg() { # NAME FLAGS DATE SUBJECT FROM ID [IN-REPLY-TO]
	local hdr=""
	[ -n "${7:-}" ] && hdr="In-Reply-To: <$7>
References: <$7>
"
	mkdir -p "$DATA/mail/work/INBOX/cur" "$DATA/mail/work/INBOX/new" "$DATA/mail/work/INBOX/tmp"
	printf 'From: %s <%s@example.org>\nTo: you@example.org\nSubject: %s\nDate: %s\nMessage-ID: <%s>\n%s\nBody of %s.\n' \
		"$5" "$6" "$4" "$3" "$6" "$hdr" "$6" > "$DATA/mail/work/INBOX/cur/$1:2,$2"
}
# Alpha: three messages, the middle one unread; Beta: one; Gamma: two, read.
msg a1 S "Tue, 01 Jan 2030 10:00:00 +0000" "Alpha plan" "Ann Alpha" alpha1
msg a2 "" "Tue, 01 Jan 2030 11:00:00 +0000" "Re: Alpha plan" "Bob Beta" alpha2 alpha1
msg a3 S "Tue, 01 Jan 2030 12:00:00 +0000" "Re: Alpha plan" "Cy Gamma" alpha3 alpha2
msg b1 S "Mon, 31 Dec 2029 10:00:00 +0000" "Beta single" "Dee Delta" beta1
msg c1 S "Sun, 30 Dec 2029 10:00:00 +0000" "Gamma talk" "Eve Eps" gamma1
msg c2 S "Sun, 30 Dec 2029 11:00:00 +0000" "Re: Gamma talk" "Fay Phi" gamma2 gamma1
store_index "$DATA" work || { echo "FAIL - cannot build the store"; exit 1; }

cat > "$T/a.rc" <<EOF2
set data_dir = "$DATA"
set sidebar_visible = no
# the tree lines are matched with their subjects
set hide_thread_subject = no
account work
set imap_url = imaps://alice@imap.work.example
EOF2

ui_start -x 100 -y 24 "$MUTTLIKE_BIN" -F "$T/a.rc"
check "index opens" ui_wait "-- muttlike: work/INBOX [Msgs:6"
check "threads start folded: the root's subject with the count of hidden messages" eval 'ui_row 1 | grep -q "Alpha plan (+2)"'
check "a folded thread with a hidden unread message is marked N" eval 'ui_row 1 | grep -qE "^ +1 N "'
check "a read thread is not" eval 'ui_row 3 | grep -q "Gamma talk (+1)" && ! ui_row 3 | grep -qE "^ +3 N "'
check "a single message has no count" eval 'ui_row 2 | grep -q "Beta single" && ! ui_row 2 | grep -q "(+"'

ui_keys Escape v
check "collapse-thread (Esc v) unfolds the thread in the index" ui_wait "└─>Re: Alpha plan"
check "the root is its own line, without a count" eval 'ui_row 1 | grep -q "Ann Alpha" && ui_row 1 | grep -q "Alpha plan" && ! ui_row 1 | grep -q "(+"'
check "the replies follow in reply order with the tree" ui_until eval 'ui_row 2 | grep -q "Bob Beta .*└─>Re: Alpha plan" && ui_row 3 | grep -q "Cy Gamma .*└─>Re: Alpha plan"'
check "only the unread reply is marked N now" eval 'ui_row 2 | grep -qE "^ +2 N " && ! ui_row 1 | grep -qE "^ +1 N "'
check "the next thread moves down" ui_until eval 'ui_row 4 | grep -q "Beta single" && ui_row 5 | grep -q "Gamma talk (+1)"'
ui_keys Enter
check "the cursor is on the root after unfolding (Enter opens it)" ui_wait "Body of alpha1."
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null
ui_keys j j
ui_keys Enter
check "a message line opens that message" ui_wait "Body of alpha3."
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null
ui_keys Escape v
check "collapse-thread on a reply folds the thread again" ui_wait "Alpha plan (+2)"
check "the folded thread is one line again" ui_until eval 'ui_row 2 | grep -q "Beta single"'
ui_keys Escape Enter
check "the cursor moved to the folded line (view-thread, Esc Enter, opens the thread view)" ui_wait "-- thread: Alpha plan [3 messages]"
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null

ui_keys j j
ui_keys Escape V
check "collapse-all (Esc V) unfolds every thread" ui_wait "All threads unfolded."
check "both threads are open" eval 'ui_row 3 | grep -q "└─>Re: Alpha plan" && ui_row 6 | grep -q "└─>Re: Gamma talk"'
ui_keys Enter
check "the cursor stayed on its thread, now on the root" ui_wait "Body of gamma1."
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null
ui_keys j
ui_keys Escape V
check "collapse-all again folds them all" ui_wait "All threads folded."
check "every thread is one line" eval 'ui_row 1 | grep -q "Alpha plan (+2)" && ui_row 3 | grep -q "Gamma talk (+1)" && ! ui_screen | grep -q "└─>"'
ui_keys Escape Enter
check "the cursor is on the line of the thread that hid its message" ui_wait "-- thread: Gamma talk [2 messages]"
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null

# a store change keeps what is open and where the cursor is
ui_keys = Escape v j
$NM tag +flagged -- id:alpha2
row2_flagged() {
	local i
	for i in $(seq 300); do
		ui_row 2 | grep -qE "^ +2 N! " && return 0
		sleep 0.1
	done
	ui_screen >&2
	return 1
}
check "a store change shows in the open thread" row2_flagged
check "the thread is still open after the reload" ui_until eval 'ui_row 3 | grep -q "Cy Gamma .*└─>Re: Alpha plan"'
ui_keys Enter
check "the cursor is still on the same message" ui_wait "Body of alpha2."
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null

# a writer committing over and over: every reload shows the list, never an empty index
( for i in $(seq 600); do $NM tag +w$i -w$((i - 1)) -- '*' >/dev/null 2>&1; done; touch "$T/writer.done" ) &
never_empty() {
	local bad=0
	while [ ! -f "$T/writer.done" ]; do
		ui_row 1 | grep -q "Alpha plan" || { bad=1; ui_screen >&2; }
		sleep 0.05
	done
	# the last reload: a commit after the writer's last one shows (alpha1
	# flagged), then it is taken back
	$NM tag +flagged -- id:alpha1
	ui_until eval 'ui_row 1 | grep -qE "^ +1 .! "' >/dev/null || bad=1
	ui_row 1 | grep -q "Alpha plan" && ui_row 2 | grep -qE "^ +2 .! .*└─>Re: Alpha plan" && [ $bad = 0 ] || { ui_screen >&2; echo "bad=$bad" >&2; return 1; }
}
check "reloads while a writer commits never show an empty index (and keep the open thread)" never_empty
wait
$NM tag -flagged -- id:alpha1
ui_until eval '! ui_row 1 | grep -qE "^ +1 .! "' >/dev/null

ui_keys '?'
check "help lists collapse-thread on Esc v" eval 'ui_wait "Help for index" && ui_screen | grep -E "<Esc>v +collapse-thread" >/dev/null || { ui_keys /; ui_type collapse-thread; ui_keys Enter; ui_until eval "ui_screen | grep -qE \"<Esc>v +collapse-thread\""; }'
ui_keys q
ui_wait "-- muttlike: work/INBOX" >/dev/null

ui_keys :
ui_type "set threads = no"
ui_keys Enter
ui_wait_gone "Threads:" >/dev/null
ui_keys Escape v
check "messages mode: folding asks for threads" ui_wait "Switch to threads (toggle-threads) to fold threads."
ui_keys q
st=$(ui_exited); check "quits cleanly (got $st)" [ "$st" = 0 ]

# end the session (and wait until its tmux server is gone)
restart() { ui_stop; }

# vim: za, zR, zM
cat > "$T/v.rc" <<EOF2
set data_dir = "$DATA"
set sidebar_visible = no
# the tree lines are matched with their subjects
set hide_thread_subject = no
set keymap = vim
account work
set imap_url = imaps://alice@imap.work.example
EOF2
restart
ui_start -x 100 -y 24 "$MUTTLIKE_BIN" -F "$T/v.rc"
ui_wait "-- muttlike: work/INBOX [Msgs:6" >/dev/null
ui_keys z a
check "vim: za unfolds the thread" ui_wait "└─>Re: Alpha plan"
ui_keys z a
check "vim: za folds it again" ui_wait "Alpha plan (+2)"
ui_keys z R
check "vim: zR unfolds all" eval 'ui_wait "All threads unfolded." && ui_screen | grep -q "└─>Re: Gamma talk"'
ui_keys z R
ui_settled >/dev/null
check "vim: zR is not a toggle" eval 'ui_screen | grep -q "└─>Re: Gamma talk"'
ui_keys z M
check "vim: zM folds all" eval 'ui_wait "All threads folded." && ! ui_screen | grep -q "└─>"'
ui_keys q
st=$(ui_exited); check "vim: quits cleanly (got $st)" [ "$st" = 0 ]

# emacs: M-t folds, M-v still scrolls back a page
cat > "$T/e.rc" <<EOF2
set data_dir = "$DATA"
set sidebar_visible = no
# the tree lines are matched with their subjects
set hide_thread_subject = no
set keymap = emacs
account work
set imap_url = imaps://alice@imap.work.example
EOF2
restart
ui_start -x 100 -y 24 "$MUTTLIKE_BIN" -F "$T/e.rc"
ui_wait "-- muttlike: work/INBOX [Msgs:6" >/dev/null
ui_keys Escape t
check "emacs: M-t unfolds the thread" ui_wait "└─>Re: Alpha plan"
ui_keys Escape v
check "emacs: M-v is still previous-page" ui_wait "You are on the first entry."
ui_keys q
finish
