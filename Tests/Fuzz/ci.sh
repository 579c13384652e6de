#!/usr/bin/env bash
# Coverage-guided fuzzing for CI (issue 7, DESIGN.md §4a): builds Tests/Fuzz/sediment-fuzz
# (build.sh), writes the seed corpora from Fixtures/ (seed-corpus.sh), then runs every target
# (or the ones named) for SECONDS each (default 60) with libFuzzer's -max_total_time, two at a
# time (CI has 2 cores). Usage: Tests/Fuzz/ci.sh [SECONDS] [TARGET...]
#   Tests/Fuzz/logs/<target>.log       libFuzzer's output
#   Tests/Fuzz/artifacts/<target>/     crash-*, leak-*, timeout-*, oom-* inputs it found
#   Tests/Fuzz/corpus/<target>/        the corpus, grown by the run (kept between runs)
# Prints one line per target (seconds, executions, final corpus size, result) and exits 1 when
# any target found a crash, ASan/LSan report, timeout (-timeout, 30 s per input) or OOM. A
# finding replays in the suite: SEDIMENT_FUZZ_REPLAY=<target>:<file> swift test --filter FuzzFinding.
set -euo pipefail
cd "$(dirname "$0")/../.."
SECONDS_PER_TARGET=${1:-60}
shift $(( $# > 0 ? 1 : 0 ))
TARGETS=("$@")
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(model table table-unverified block footer log manifest writebatch filter)
FUZZ=Tests/Fuzz
start=$(date +%s)

"$FUZZ/build.sh" 2>&1 | grep -v "Cannot export local symbol" || { echo "fuzz build failed"; exit 1; }
"$FUZZ/seed-corpus.sh"
rm -rf "$FUZZ/logs" "$FUZZ/artifacts"
mkdir -p "$FUZZ/logs"

run_target() {
    local t=$1
    mkdir -p "$FUZZ/artifacts/$t/" "$FUZZ/corpus/$t"
    local rc=0
    # SWIFT_BACKTRACE=enable=no: libFuzzer, not Swift's backtracer (whose memory reader ASan
    # reports as a wild read), handles a trap and saves the input.
    SWIFT_BACKTRACE=enable=no SEDIMENT_FUZZ_TARGET=$t "$FUZZ/sediment-fuzz" -max_total_time="$SECONDS_PER_TARGET" -timeout=30 \
        -print_final_stats=1 -artifact_prefix="$FUZZ/artifacts/$t/" "$FUZZ/corpus/$t" \
        >"$FUZZ/logs/$t.log" 2>&1 || rc=$?
    echo "$rc" >"$FUZZ/logs/$t.rc"
}

# Two targets at a time: start one whenever fewer than two run.
for t in "${TARGETS[@]}"; do
    while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n || true; done
    run_target "$t" &
done
wait

failed=0
printf '%-17s %7s %10s %7s  %s\n' target seconds execs corpus result
for t in "${TARGETS[@]}"; do
    log="$FUZZ/logs/$t.log"
    rc=$(cat "$FUZZ/logs/$t.rc" 2>/dev/null || echo 1)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    corpus=$(ls "$FUZZ/corpus/$t" | wc -l)
    found=$(ls "$FUZZ/artifacts/$t" 2>/dev/null | tr '\n' ' ')
    if [ "$rc" = 0 ] && [ -z "$found" ]; then
        result=ok
    else
        result="FAILED (exit $rc) ${found:-no artifact}; see $log"
        failed=1
    fi
    printf '%-17s %7s %10s %7s  %s\n' "$t" "${secs:--}" "${execs:--}" "$corpus" "$result"
done
echo "fuzzing: ${#TARGETS[@]} targets x ${SECONDS_PER_TARGET} s, wall time $(( $(date +%s) - start )) s"
exit $failed
