#!/usr/bin/env bash
# A long by-hand fuzzing campaign: each named target (default: all) fuzzes until it has used
# CPU_SECONDS of CPU time — not wall time, so a busy or niced host still gets the full budget — with
# its corpus kept in WORKDIR/<target>/corpus so campaigns add up across runs. Prints one summary line
# per target (CPU seconds, executions, exec/s, corpus size, coverage, crashes) and keeps libFuzzer's
# log next to the corpus. Crashes land in WORKDIR/<target>/ as crash-*/leak-*/timeout-*/oom-*.
#
#   campaign.sh BIN_DIR SEED_DIR WORKDIR CPU_SECONDS [TARGET...]
#   e.g. nice -n 19 fuzz/campaign.sh build/asan/fuzz/targets build/asan/fuzz/targets/seeds \
#            ~/lockstep-fuzz 1800 stream_load snapshot_dump
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin_dir=$1 seed_dir=$2 work=$3 budget=$4
shift 4
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in "$here"/targets/*_target.cpp; do
    n=$(basename "$src" _target.cpp)
    [ "$n" = migration ] || targets+=("$n")   # fuzz_migration runs whole guests: run it on its own
  done
fi
tick=$(getconf CLK_TCK)

directive() { sed -n "s|^// fuzz-$1: *||p" "$here/targets/$2_target.cpp" | head -1; }

cpu_seconds() {  # utime + stime of a live process, in seconds
  local f
  f=$(cut -d' ' -f14,15 "/proc/$1/stat" 2>/dev/null) || { echo 0; return; }
  set -- $f
  echo $(( ($1 + $2) / tick ))
}

for t in "${targets[@]}"; do
  binary=$bin_dir/fuzz_$t
  [ -x "$binary" ] || { echo "campaign: no fuzz target binary $binary" >&2; exit 2; }
  dir=$work/$t
  mkdir -p "$dir/corpus"
  args=(-timeout=30 -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$dir/")
  dict=$(directive dict "$t")
  [ -n "$dict" ] && args+=(-dict="$here/dict/$dict")
  corpora=("$dir/corpus")
  seeds=$(directive seeds "$t")
  [ -n "$seeds" ] && [ -d "$seed_dir/$seeds" ] && corpora+=("$seed_dir/$seeds")
  spent=0
  [ -f "$dir/cpu_seconds" ] && spent=$(cat "$dir/cpu_seconds")
  left=$(( budget - spent ))
  if [ $left -le 0 ]; then
    echo "$t: already has $spent CPU s (budget $budget)"
    continue
  fi
  "$binary" "${args[@]}" "${corpora[@]}" >>"$dir/log" 2>&1 &
  pid=$!
  used=0
  while kill -0 $pid 2>/dev/null; do
    sleep 5
    now=$(cpu_seconds $pid)
    [ "$now" -gt 0 ] && used=$now
    if [ "$used" -ge "$left" ]; then kill -INT $pid; break; fi
  done
  wait $pid
  rc=$?
  echo $(( spent + used )) >"$dir/cpu_seconds"
  execs=$(grep -o 'stat::number_of_executed_units: [0-9]*' "$dir/log" | tail -1 | awk '{print $2}')
  rate=$(grep -o 'stat::average_exec_per_sec: [0-9]*' "$dir/log" | tail -1 | awk '{print $2}')
  cov=$(grep -o 'cov: [0-9]* ft: [0-9]*' "$dir/log" | tail -1)
  crashes=$(ls "$dir" | grep -cE '^(crash|leak|timeout|oom)-')
  # Slow units are reports, not failures (a host that stops or starves the fuzzer makes them too).
  slow=$(ls "$dir" | grep -c '^slow-unit-')
  echo "$t: cpu_s=$(( spent + used )) execs_this_run=${execs:-?} exec_per_s=${rate:-?} corpus=$(ls "$dir/corpus" | wc -l) ${cov:-cov: ?} findings=$crashes slow_units=$slow rc=$rc"
done
