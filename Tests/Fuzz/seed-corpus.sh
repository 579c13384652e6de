#!/bin/sh
# Writes Tests/Fuzz/corpus/<target>/ for every fuzz target from Fixtures/: whole tables (table,
# table-unverified), the data/index/metaindex/properties blocks, footers and filter blocks inside
# them (block, footer, filter), logs and the write batches they hold (log, writebatch), MANIFESTs
# (manifest), and 16 fixed pseudo-random inputs (model). The harness derives them with the
# engine's own readers (SEDIMENT_FUZZ_WRITE_SEEDS in SedimentFuzz.swift); needs build.sh first.
# Existing files in the corpus (inputs libFuzzer added) are kept.
set -eu
cd "$(dirname "$0")/../.."
SEDIMENT_FUZZ_WRITE_SEEDS=Tests/Fuzz/corpus Tests/Fuzz/sediment-fuzz
