#!/usr/bin/env bash
# Runs libFuzzer campaigns, one target after another, each for a fixed time on
# one worker, then prints executions, coverage and findings per target.
#
# usage: tests/fuzz/run.sh [-t SECONDS] [-b BUILD_DIR] [-w WORK_DIR] [--merge] [TARGET...]
#   TARGET: gguf tokenizer chat cli (default: all)
#   -t      seconds per target (default 600)
#   -b      build dir configured with -DGLINT_FUZZ=ON (default build-fuzz)
#   -w      where found inputs, logs and crashes go (default /tmp/glint-fuzz)
#   --merge afterwards, minimize the committed corpus plus what was found
#           into tests/fuzz/corpus/TARGET (names valid_*, crash-*, repro-* kept)
# Exit code 1 when any target found a crash, leak, timeout or failed check.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SECS=600
BUILD=$ROOT/build-fuzz
WORK=/tmp/glint-fuzz
MERGE=0
TARGETS=()
while (($#)); do
    case $1 in
        -t) SECS=$2; shift 2 ;;
        -b) BUILD=$(cd "$2" && pwd); shift 2 ;;
        -w) WORK=$2; shift 2 ;;
        --merge) MERGE=1; shift ;;
        -h|--help) sed -n '2,12p' "$0"; exit 0 ;;
        -*) echo "run.sh: unknown option $1" >&2; exit 2 ;;
        *) TARGETS+=("$1"); shift ;;
    esac
done
((${#TARGETS[@]})) || TARGETS=(gguf tokenizer chat cli)

# Longest input per target: GGUF images need room, argument lists do not.
max_len() { case $1 in gguf) echo 4096 ;; chat) echo 16384 ;; tokenizer) echo 2048 ;; *) echo 1024 ;; esac; }

status=0
summary=()
for t in "${TARGETS[@]}"; do
    bin=$BUILD/tests/fuzz/fuzz_$t
    [[ -x $bin ]] || { echo "run.sh: $bin not built (see tests/FUZZING.md)" >&2; exit 2; }
    corpus=$ROOT/tests/fuzz/corpus/$t
    mkdir -p "$WORK/$t" "$WORK/artifacts"
    dict=()
    [[ -f $ROOT/tests/fuzz/$t.dict ]] && dict=(-dict="$ROOT/tests/fuzz/$t.dict")
    log=$WORK/$t.log
    echo "== fuzz_$t: ${SECS}s, log $log"
    rc=0
    # the first directory collects new inputs; the committed corpus is only read
    "$bin" -max_total_time="$SECS" -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$WORK/artifacts/$t-" "${dict[@]}" \
        "$WORK/$t" "$corpus" >"$log" 2>&1 || rc=$?
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
    rss=$(sed -n 's/^stat::peak_rss_mb: *//p' "$log")
    cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
    ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
    corp=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    found=$(ls "$WORK/artifacts" | grep -c "^$t-" || true)
    if ((rc != 0)) || ((found > 0)); then
        status=1
        echo "   FAILED (exit $rc): see $log and $WORK/artifacts/$t-*"
    fi
    summary+=("$(printf '%-10s %6ss %12s execs  cov %6s  ft %7s  corpus %5s  peak %5s MB  findings %s' \
        "$t" "$SECS" "${execs:-?}" "${cov:-?}" "${ft:-?}" "${corp:-?}" \
        "${rss:-?}" "$found")")

    if ((MERGE)); then
        fresh=$(mktemp -d)
        # hand-named files go in first, so the merge adds only what they miss
        find "$corpus" -maxdepth 1 -type f \( -name 'valid_*' -o -name 'crash-*' -o -name 'repro-*' \) \
            -exec cp {} "$fresh/" \;
        "$bin" -merge=1 -max_len="$(max_len "$t")" -timeout=10 -rss_limit_mb=2048 "$fresh" "$corpus" "$WORK/$t" \
            >"$WORK/$t.merge.log" 2>&1
        # keep hand-named files (valid seeds, reproducers); replace the rest
        find "$corpus" -maxdepth 1 -type f ! -name 'valid_*' ! -name 'crash-*' ! -name 'repro-*' -delete
        for f in "$fresh"/*; do [[ -e $f ]] && cp "$f" "$corpus/"; done
        rm -rf "$fresh"
        echo "   merged: $(ls "$corpus" | wc -l) files in $corpus"
    fi
done
echo
printf '%s\n' "${summary[@]}"
exit $status
