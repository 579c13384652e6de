#!/usr/bin/env bash
# Issue 7's "outside CI" runs (DESIGN.md §4a), resumable, with a ledger.
#
# Every run appends one line to Tests/long-runs.ledger (tab-separated: UTC time, engine id,
# property, amount, detail, result). The engine id is the git tree hash of Sources/Sediment
# as it is in the work tree (committed or not), so a change to the engine starts every count
# again and a change anywhere else (tests, tools, docs) keeps them. `status` sums the passing
# amounts recorded for the current engine against the goals below and lists any failure.
# A run whose checks were later found too weak is cancelled by a "void" line (a negative amount
# with the reason) rather than erased; a run stopped by hand is "interrupted" (neither counted
# nor a failure).
#
# Usage: Tests/long-runs.sh COMMAND [ARG]
#   status                 what the ledger holds for this engine, against the goals
#   build                  the release test build the runs use (`swift build -c release --build-tests`)
#   kill [ROUNDS]          one CrashTests run: ROUNDS kill -9 cycles per mode (default 425)
#   powerloss [CYCLES]     one PowerLossTests run (default 20000)
#   corruption [FLIPS]     one CorruptionTests run, FLIPS flips per file (default 16700: 50,173 variants)
#   metamorphic [SEEDS]    the next SEEDS (default 32) seeds below 1,000 not yet run on this engine,
#                          10,000 operations x 16 option sets each
#   fuzz TARGET [SECONDS]  one libFuzzer run of TARGET (Tests/Fuzz), counted in CPU seconds
#   void PROPERTY REASON   cancels every counted amount of PROPERTY on this engine so far
#                          (kill, powerloss, corruption or fuzz:TARGET)
#   all                    runs what is missing until every goal is met: powerloss, corruption,
#                          kill and metamorphic in one lane, fuzzing (nice 19) in another
# SEDIMENT_FUZZ_NICE sets the fuzzer's niceness (default 19, so it yields to the other lane; 0
# gives it a core of its own when the fuzz hours are the long pole).
# Touch Tests/.long-runs-stop to stop `all` between runs. A failing run is recorded as FAIL with
# its log under .build/long-runs/ and stops its lane; the log names the seed that replays it.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
LEDGER=${SEDIMENT_LEDGER:-$ROOT/Tests/long-runs.ledger}
LOGS=$ROOT/.build/long-runs
FUZZ_NICE=${SEDIMENT_FUZZ_NICE:-19}
STOP=$ROOT/Tests/.long-runs-stop
FUZZ_TARGETS=(model table table-unverified block footer log manifest writebatch filter)
GOAL_KILL=3000 GOAL_POWERLOSS=20000 GOAL_CORRUPTION=50000 GOAL_METAMORPHIC=1000 GOAL_FUZZ=3600

engine_id() {
    local index
    index=$(mktemp)
    GIT_INDEX_FILE=$index git read-tree HEAD
    GIT_INDEX_FILE=$index git add -A -- Sources/Sediment
    GIT_INDEX_FILE=$index git write-tree --prefix=Sources/Sediment/ | cut -c1-12
    rm -f "$index"
}
ENGINE=$(engine_id)

record() { # property amount detail result
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$ENGINE" "$1" "$2" "$3" "$4" >>"$LEDGER"
}

# Sum of passing amounts for property $1 on this engine.
total() {
    [ -f "$LEDGER" ] || { echo 0; return; }
    awk -F'\t' -v e="$ENGINE" -v p="$1" '$2 == e && $3 == p && ($6 == "pass" || $6 == "void") { s += $4 } END { printf "%d\n", s }' "$LEDGER"
}

failures() {
    [ -f "$LEDGER" ] || return 0
    awk -F'\t' -v e="$ENGINE" '$2 == e && $6 ~ /^FAIL/' "$LEDGER"
}

# Metamorphic seeds below 1,000 run (and passed) on this engine: `seeds next` prints the lowest
# one not yet run (1000 when none is left), `seeds count` how many have run.
seeds() {
    python3 - "$LEDGER" "$ENGINE" "$1" <<'EOF'
import sys
done = set()
try:
    for line in open(sys.argv[1]):
        f = line.rstrip("\n").split("\t")
        if len(f) >= 6 and f[1] == sys.argv[2] and f[2] == "metamorphic" and f[5] == "pass":
            first = int(dict(kv.split("=") for kv in f[4].split() if "=" in kv)["first"])
            done.update(s for s in range(first, first + int(f[3])) if s < 1000)
except FileNotFoundError:
    pass
print(len(done) if sys.argv[3] == "count" else next((s for s in range(1000) if s not in done), 1000))
EOF
}

BIN=""
test_binary() {
    [ -n "$BIN" ] && return
    BIN="$(swift build -c release --show-bin-path)/SedimentPackageTests.xctest"
    [ -x "$BIN" ] || { echo "no release test build: run Tests/long-runs.sh build" >&2; exit 1; }
}

# run_tests NAME FILTER ENV...: the release test binary on one suite; sets LOG and RC.
run_tests() {
    local name=$1 filter=$2
    shift 2
    test_binary
    mkdir -p "$LOGS"
    LOG="$LOGS/$name.$(date +%s).log"
    RC=0
    env "$@" "$BIN" --testing-library swift-testing --filter "$filter" >"$LOG" 2>&1 || RC=$?
}

result() { [ "$RC" -eq 0 ] && echo pass || echo "FAIL rc=$RC log=${LOG#"$ROOT"/}"; }

run_kill() {
    local rounds=${1:-425} seed=$((RANDOM * 32768 + RANDOM)) start=$SECONDS
    run_tests kill CrashTests SEDIMENT_CRASH_ROUNDS="$rounds" SEDIMENT_SEED="$seed"
    record kill "$rounds" "seed=$seed secs=$((SECONDS - start)) per-mode rounds, sync and non-sync" "$(result)"
}

run_powerloss() {
    local cycles=${1:-20000} start=$SECONDS
    run_tests powerloss PowerLossTests SEDIMENT_POWERLOSS_CYCLES="$cycles"
    record powerloss "$cycles" "secs=$((SECONDS - start))" "$(result)"
}

run_corruption() {
    local flips=${1:-16700} start=$SECONDS variants
    run_tests corruption CorruptionTests SEDIMENT_CORRUPTION_FLIPS="$flips"
    variants=$(sed -n 's/^corruption: .*: \([0-9]*\) variants.*/\1/p' "$LOG" | awk '{ s += $1 } END { print s + 0 }')
    record corruption "$variants" "flips=$flips secs=$((SECONDS - start))" "$(result)"
}

run_metamorphic() {
    local want=${1:-32} first n start=$SECONDS
    first=$(seeds next)
    [ "$first" -ge 1000 ] && { echo "every metamorphic seed below 1,000 has run on engine $ENGINE"; return; }
    n=$((1000 - first < want ? 1000 - first : want))
    run_tests metamorphic MetamorphicTests SEDIMENT_METAMORPHIC_FIRST="$first" SEDIMENT_METAMORPHIC_SEEDS="$n" \
        SEDIMENT_METAMORPHIC_OPS=10000 SEDIMENT_METAMORPHIC_SETS=16
    record metamorphic "$n" "first=$first ops=10000 sets=16 secs=$((SECONDS - start))" "$(result)"
}

run_fuzz() {
    local target=$1 seconds=${2:-600} fuzz=$ROOT/Tests/Fuzz rc=0 cpu
    if [ ! -x "$fuzz/sediment-fuzz" ] || [ -n "$(find Sources/Sediment Tests/Fuzz Tests/SedimentTests/Fuzz \
            -newer "$fuzz/sediment-fuzz" -name '*.swift' | head -1)" ]; then
        "$fuzz/build.sh" 2>&1 | grep -v "Cannot export local symbol"
    fi
    [ -d "$fuzz/corpus/$target" ] || "$fuzz/seed-corpus.sh"
    mkdir -p "$LOGS" "$fuzz/artifacts/$target"
    LOG="$LOGS/fuzz-$target.$(date +%s).log"
    local times=$LOGS/fuzz-$target.times
    TIMEFORMAT='%U %S'
    { time SWIFT_BACKTRACE=enable=no SEDIMENT_FUZZ_TARGET=$target nice -n "$FUZZ_NICE" "$fuzz/sediment-fuzz" \
        -max_total_time="$seconds" -timeout=30 -print_final_stats=1 -artifact_prefix="$fuzz/artifacts/$target/" \
        "$fuzz/corpus/$target" >"$LOG" 2>&1 || rc=$?; } 2>"$times"
    cpu=$(awk '{ printf "%.2f\n", $1 + $2 }' "$times")
    RC=$rc
    record "fuzz:$target" "$cpu" "wall=$seconds execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$LOG" | tail -1)" "$(result)"
}

status() {
    local t
    echo "engine $ENGINE (tree of Sources/Sediment); ledger ${LEDGER#"$ROOT"/}"
    printf '%-30s %10s %10s\n' property done goal
    printf '%-30s %10s %10s\n' "kill -9 rounds per mode" "$(total kill)" $GOAL_KILL
    printf '%-30s %10s %10s\n' "power-loss cycles" "$(total powerloss)" $GOAL_POWERLOSS
    printf '%-30s %10s %10s\n' "corruption variants" "$(total corruption)" $GOAL_CORRUPTION
    printf '%-30s %10s %10s\n' "metamorphic seeds" "$(seeds count)" $GOAL_METAMORPHIC
    for t in "${FUZZ_TARGETS[@]}"; do
        printf '%-30s %10s %10s\n' "fuzz $t (CPU s)" "$(total "fuzz:$t")" $GOAL_FUZZ
    done
    if [ -n "$(failures)" ]; then echo "failed runs on this engine:"; failures; return 1; fi
}

lane_checks() {
    while [ ! -e "$STOP" ] && [ -z "$(failures)" ]; do
        if [ "$(total powerloss)" -lt $GOAL_POWERLOSS ]; then run_powerloss
        elif [ "$(total corruption)" -lt $GOAL_CORRUPTION ]; then run_corruption
        elif [ "$(total kill)" -lt $GOAL_KILL ]; then
            local left=$((GOAL_KILL - $(total kill)))
            run_kill $((left < 425 ? left : 425))
        elif [ "$(seeds count)" -lt $GOAL_METAMORPHIC ]; then run_metamorphic 32
        else return 0
        fi
    done
}

lane_fuzz() {
    local t used
    for t in "${FUZZ_TARGETS[@]}"; do
        while [ ! -e "$STOP" ] && [ -z "$(failures)" ]; do
            used=$(total "fuzz:$t")
            [ "$used" -ge $GOAL_FUZZ ] && break
            run_fuzz "$t" $((GOAL_FUZZ - used < 600 ? GOAL_FUZZ - used + 5 : 600))
        done
    done
}

case ${1:-status} in
    status) status ;;
    build) swift build -c release --build-tests -Xswiftc -enable-testing ;;
    kill) run_kill "${2:-425}" ;;
    powerloss) run_powerloss "${2:-20000}" ;;
    corruption) run_corruption "${2:-16700}" ;;
    metamorphic) run_metamorphic "${2:-32}" ;;
    void) [ -n "${3:-}" ] && [ "$2" != metamorphic ] || { echo "usage: $0 void PROPERTY REASON (not metamorphic)" >&2; exit 2; }
        record "$2" "-$(total "$2")" "$3" void ;;
    fuzz) [ -n "${2:-}" ] || { echo "usage: $0 fuzz TARGET [SECONDS]" >&2; exit 2; }; run_fuzz "$2" "${3:-600}" ;;
    all) lane_checks & lane_fuzz & wait; status ;;
    *) sed -n '2,28p' "$0"; exit 2 ;;
esac
