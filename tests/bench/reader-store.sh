#!/bin/bash
# tests/bench/reader-store.sh GENCORPUS DIR - the reader benchmark's store
# (made once, then reused): account "big" with 100,000 messages in INBOX,
# account "small" with 10,000 plus one 1 MB message, indexed by notmuch as
# the sync engine lays it out.
set -eu
GEN=$1 DIR=$2
[ -f "$DIR/.done" ] && exit 0
rm -rf "$DIR"
mkdir -p "$DIR/data/mail/big" "$DIR/data/mail/small"
"$GEN" --seed 11 --count 100000 --attach-rate 0 --html-rate 10 --one-folder INBOX "$DIR/data/mail/big"
"$GEN" --seed 12 --count 10000 --one-folder INBOX "$DIR/data/mail/small"
# one 1 MB plain-text message, the newest of "small"
{
	printf 'From: Big Body <big@example.org>\nTo: you@example.org\nSubject: One megabyte\n'
	printf 'Date: Tue, 01 Jan 2030 10:00:00 +0000\nMessage-ID: <onemb@bench>\nContent-Type: text/plain; charset=utf-8\n\n'
	for i in $(seq 1 14000); do printf 'Line %05d of the one megabyte message, with some words to wrap around.\n' "$i"; done
	printf 'END-OF-BIG-MESSAGE\n'
} > "$DIR/data/mail/small/INBOX/cur/onemb:2,S"
cat > "$DIR/notmuch-config" <<NM
[database]
path=$DIR/data/mail
[new]
tags=unread;
ignore=
[maildir]
synchronize_flags=true
NM
NOTMUCH_CONFIG=$DIR/notmuch-config notmuch new --quiet
NOTMUCH_CONFIG=$DIR/notmuch-config notmuch tag +account:big -- path:big/**
NOTMUCH_CONFIG=$DIR/notmuch-config notmuch tag +account:small -- path:small/**
touch "$DIR/.done"
