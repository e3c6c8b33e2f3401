#!/usr/bin/env bash
# Line coverage that a fuzzing campaign's corpora reach, as an llvm-cov report of the folders asked
# for (default snapshot/ and devices/): builds the fuzz targets with clang coverage instrumentation
# (no sanitizers) in BUILD_DIR, runs each target once over WORKDIR/<target>/corpus (as left by
# fuzz/campaign.sh) plus its seeds, merges the profiles and prints the report.
#
#   coverage.sh BUILD_DIR WORKDIR [FOLDER...]
#   e.g. fuzz/coverage.sh build-cov ~/lockstep-fuzz snapshot devices
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$1 work=$2
shift 2
folders=("$@")
[ ${#folders[@]} -eq 0 ] && folders=(snapshot devices)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DLOCKSTEP_FUZZ=ON -DLOCKSTEP_COVERAGE=ON >/dev/null
cmake --build "$build" --target fuzz_targets fuzz_seeds
profiles=$build/coverage-profiles
rm -rf "$profiles"
mkdir -p "$profiles"
binaries=()
for src in "$here"/targets/*_target.cpp; do
  t=$(basename "$src" _target.cpp)
  binary=$build/fuzz/targets/fuzz_$t
  [ -x "$binary" ] || continue
  dirs=()
  [ -d "$work/$t/corpus" ] && dirs+=("$work/$t/corpus")
  seeds=$(sed -n 's|^// fuzz-seeds: *||p' "$src" | head -1)
  [ -n "$seeds" ] && [ -d "$build/fuzz/targets/seeds/$seeds" ] && dirs+=("$build/fuzz/targets/seeds/$seeds")
  [ ${#dirs[@]} -eq 0 ] && continue
  echo "coverage: $t over ${dirs[*]}" >&2
  LLVM_PROFILE_FILE="$profiles/$t-%p.profraw" "$binary" -runs=0 -rss_limit_mb=2560 -timeout=60 "${dirs[@]}" \
    >"$profiles/$t.log" 2>&1 || echo "coverage: $t exited with $? (see $profiles/$t.log)" >&2
  binaries+=("$binary")
done
llvm-profdata-14 merge -sparse "$profiles"/*.profraw -o "$profiles/merged.profdata"
paths=()
for f in "${folders[@]}"; do paths+=("$root/$f"); done
others=()
for b in "${binaries[@]:1}"; do others+=(-object "$b"); done
llvm-cov-14 report "${binaries[0]}" "${others[@]}" -instr-profile="$profiles/merged.profdata" "${paths[@]}"
