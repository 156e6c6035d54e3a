#!/usr/bin/env bash
# Runs libFuzzer harnesses of Sources/rnnstep-fuzz, built by `make fuzz` with AddressSanitizer.
#
#   scripts/fuzz.sh SECONDS TARGET...
#
# Each target runs for SECONDS on FUZZ_JOBS processes (default: one per core), each kept on a
# core of its own, from the seed corpus in Tests/Fuzz/corpus/TARGET and what earlier runs found
# in .build/fuzz-corpus/TARGET (the processes share it). A crash leaves its input beside that
# folder (.build/fuzz-corpus/TARGET-crash-…): copy it to Tests/Fuzz/crashes/TARGET/, which
# make test replays. Prints, per target, the executions of all its processes and whether any
# crashed; FUZZ_NICE (default 0) lowers their priority, so that other work goes first.
set -uo pipefail
cd "$(dirname "$0")/.."

seconds=$1
shift
cores=$(nproc)
jobs=${FUZZ_JOBS:-$cores}
binary=.build/fuzz/release/rnnstep-fuzz
logs=.build/fuzz-logs
mkdir -p "$logs"
failed=0
for target in "$@"; do
  mkdir -p ".build/fuzz-corpus/$target"
  pids=()
  for ((k = 0; k < jobs; k++)); do
    # The check and training use a second thread only where the process may use two cores.
    pin=()
    if ((jobs > 1)); then pin=(taskset -c $((k % cores))); fi
    SWIFT_BACKTRACE=enable=no ASAN_OPTIONS=detect_leaks=0:malloc_context_size=0 RNNSTEP_FUZZ_TARGET=$target \
      "${pin[@]}" nice -n "${FUZZ_NICE:-0}" "$binary" -detect_leaks=0 -max_total_time="$seconds" \
      -print_final_stats=1 -artifact_prefix="$PWD/.build/fuzz-corpus/$target-" \
      "$PWD/.build/fuzz-corpus/$target" "$PWD/Tests/Fuzz/corpus/$target" >"$logs/$target-$k.log" 2>&1 &
    pids+=($!)
  done
  status=0
  for pid in "${pids[@]}"; do wait "$pid" || status=1; done
  runs=0
  for ((k = 0; k < jobs; k++)); do
    n=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logs/$target-$k.log")
    runs=$((runs + ${n:-0}))
    grep -hE '^(==[0-9]+==ERROR|SUMMARY)' "$logs/$target-$k.log" | sed "s/^/$target: /"
  done
  if ((status == 0)); then
    echo "$target: $runs executions in $seconds s on $jobs processes, no crash"
  else
    echo "$target: $runs executions, a crash (logs in $logs/$target-*.log)"
    failed=1
  fi
done
exit $failed
