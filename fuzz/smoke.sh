#!/usr/bin/env bash
# One fuzz target, briefly (the CTest fuzz/<target>/smoke and scripts/check-oss-fuzz-build.sh):
# every seed once, then SECONDS of fuzzing from them into a scratch corpus. Any crash, leak,
# sanitizer report, timeout or out-of-memory is a failure; libFuzzer writes the input to WORKDIR.
#
#   smoke.sh TARGET_BINARY WORKDIR SECONDS [DICT|-] [SEED_DIR]
set -euo pipefail
binary=$1 work=$2 seconds=$3 dict=${4:--} seeds=${5:-}
rm -rf "$work"
mkdir -p "$work/corpus"
args=(-max_total_time="$seconds" -timeout=30 -rss_limit_mb=2560 -print_final_stats=1 -artifact_prefix="$work/")
[ "$dict" != - ] && args+=(-dict="$dict")
corpora=("$work/corpus")
[ -n "$seeds" ] && [ -d "$seeds" ] && corpora+=("$seeds")
exec "$binary" "${args[@]}" "${corpora[@]}"
