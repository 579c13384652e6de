#!/bin/sh
# Writes Tests/Fuzz/corpus/<target>/ for every fuzz target from Fixtures/: whole tables (table,
# table-unverified), the data/index/metaindex/properties blocks, footers and filter blocks inside
# them (block, footer, filter), logs and the write batches they hold (log, writebatch), MANIFESTs
# (manifest), and 16 fixed pseudo-random inputs (model). The harness derives them with the
# engine's own readers (SEDIMENT_FUZZ_WRITE_SEEDS in SedimentFuzz.swift); needs build.sh first.
# Existing files in the corpus (inputs libFuzzer added) are kept. Past findings
# (Fixtures/fuzz/<target>/) join their target's corpus, so the optimised, address-sanitized fuzz
# build replays them on every run (the suite's FuzzFindingTests replays them in a debug build).
set -eu
cd "$(dirname "$0")/../.."
SEDIMENT_FUZZ_WRITE_SEEDS=Tests/Fuzz/corpus Tests/Fuzz/sediment-fuzz
for dir in Fixtures/fuzz/*/; do
    [ -d "$dir" ] || continue
    target=$(basename "$dir")
    mkdir -p "Tests/Fuzz/corpus/$target"
    cp "$dir"* "Tests/Fuzz/corpus/$target/"
done
