# tests/ui/store.sh - build a mail store the way the sync engine lays it
# out (data_dir/mail/<account>/<folder>/{cur,new,tmp}, one notmuch
# database at data_dir/mail/.notmuch, tags from Maildir flags plus
# account:<name>), without a server.  Sourced by the reader's UI tests.
#
#   store_make DATA_DIR ACCOUNT [gencorpus options...]
#   store_add_message DATA_DIR ACCOUNT FOLDER NAME < message   (then store_index)
#   store_index DATA_DIR ACCOUNT
STORE_GENCORPUS=${MUTTLIKE_BUILD:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build/san}/gencorpus

store_nmconfig() { # DATA_DIR
	cat > "$1/notmuch-config" <<NM
[database]
path=$1/mail
[new]
tags=unread;
ignore=
[maildir]
synchronize_flags=true
NM
	echo "$1/notmuch-config"
}

store_index() { # DATA_DIR ACCOUNT
	local cfg
	cfg=$(store_nmconfig "$1")
	NOTMUCH_CONFIG=$cfg notmuch new --quiet >/dev/null 2>&1 || return 1
	NOTMUCH_CONFIG=$cfg notmuch tag "+account:$2" -- "path:$2/**" >/dev/null 2>&1
}

store_make() { # DATA_DIR ACCOUNT [gencorpus args]
	local data=$1 acc=$2
	shift 2
	mkdir -p "$data/mail/$acc"
	"$STORE_GENCORPUS" "$@" "$data/mail/$acc" || return 1
	store_index "$data" "$acc"
}

store_add_message() { # DATA_DIR ACCOUNT FOLDER NAME  (message on stdin)
	local dir="$1/mail/$2/$3"
	mkdir -p "$dir/cur" "$dir/new" "$dir/tmp"
	cat > "$dir/cur/$4:2,"
}
