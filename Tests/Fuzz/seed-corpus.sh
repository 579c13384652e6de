#!/bin/sh
# Writes Tests/Fuzz/corpus/: every fixture, prefixed with the selector byte of the parser it feeds
# (see SedimentFuzz.swift): tables -> 0 and 1, logs -> 4 (and 6 for the raw batches inside),
# MANIFESTs -> 5.
set -eu
cd "$(dirname "$0")/../.."
mkdir -p Tests/Fuzz/corpus
n=0
seed() { n=$((n + 1)); { printf "\\$(printf %03o "$1")"; cat "$2"; } > "Tests/Fuzz/corpus/seed-$n"; }
for f in Fixtures/sst/*.sst Fixtures/sst/damaged/*.sst Fixtures/db/pristine/*.sst; do seed 0 "$f"; seed 1 "$f"; done
for f in Fixtures/db/pristine/*.log Fixtures/wal/damaged/*.log; do seed 4 "$f"; done
for f in Fixtures/db/pristine/MANIFEST-* Fixtures/manifest/damaged/*.MANIFEST; do seed 5 "$f"; done
echo "wrote $n seeds to Tests/Fuzz/corpus"
