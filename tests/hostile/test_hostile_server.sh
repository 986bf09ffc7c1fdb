#!/bin/bash
# Hostile-server cases 1-7, 9 and 16 of doc hostile-cases.md against the
# scripted loopback server; see run_hostile.py.  Prints "N passed, M failed".
set -u
cd "$(dirname "$0")/../.."
exec python3 tests/hostile/run_hostile.py "$@"
