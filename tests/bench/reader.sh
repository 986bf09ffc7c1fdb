#!/bin/bash
# tests/bench/reader.sh [BUILD] - the reader's benchmark (issue 5), printed
# as figures: first index screen of a 100,000-message folder, next page,
# jump to end, open a 1 MB message, peak RSS.  The store is generated
# once into $READER_BENCH_DIR (default BUILD/bench-reader) and reused.
# tests/bench/run (the sync benchmarks) or `make bench` can call this.
set -eu
cd "$(dirname "$0")/../.."
BUILD=${1:-build}
DIR=${READER_BENCH_DIR:-$PWD/$BUILD/bench-reader}
GEN=$BUILD/gencorpus
[ -x "$GEN" ] || make --no-print-directory "$GEN" >/dev/null
echo "reader bench: store in $DIR (built once; 100,000 + 10,000 messages)"
tests/bench/reader-store.sh "$GEN" "$DIR"
cat > "$DIR/bench.rc" <<RC
set data_dir = "$DIR/data"
set threads = yes
set sort = newest-first
account big
set imap_url = imaps://bench@127.0.0.1
account small
set imap_url = imaps://bench@127.0.0.1
RC
HOME=$DIR XDG_CONFIG_HOME= XDG_DATA_HOME= python3 tests/bench/reader.py "$PWD/$BUILD/muttlike" "$DIR/bench.rc"
