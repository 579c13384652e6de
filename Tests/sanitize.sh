#!/usr/bin/env bash
# The sanitizer stages of README's test command (issue 7, item 8):
#  1. thread sanitizer over every concurrency suite, the database and the cursor tests;
#  2. address sanitizer (with LeakSanitizer) over the concurrency, crash, power-loss,
#     corruption, fault and recovery suites. Sizes are smaller than the plain run's (ASan makes
#     a debug build several times slower); the plain `swift test` carries issue 7's CI counts.
#     Tests/lsan-suppressions.txt lists the two leaks inside XCTest and Foundation.
# Each stage has its own build folder, so neither rebuilds the plain one.
set -euo pipefail
cd "$(dirname "$0")/.."
swift test --sanitize=thread --scratch-path .build-tsan --filter 'Concurrency|DatabaseTests|CursorTests'
LSAN_OPTIONS="suppressions=$PWD/Tests/lsan-suppressions.txt" \
SEDIMENT_CRASH_ROUNDS=10 SEDIMENT_POWERLOSS_CYCLES=100 SEDIMENT_CORRUPTION_FLIPS=40 \
    swift test --sanitize=address --scratch-path .build-asan \
    --filter 'Concurrency|CrashTests|PowerLossTests|CorruptionTests|FaultInjectionTests|RecoveryTests|RepairTests|LevelIteratorTests|MergingIteratorTests|BlockCursorTests|TableHarnessTests|TableBlockReadTests'
