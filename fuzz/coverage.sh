#!/usr/bin/env bash
# Line coverage that a fuzzing campaign's corpora reach, as an llvm-cov report of the folders asked
# for (default snapshot/ and devices/): builds the fuzz targets with clang coverage instrumentation
# (no sanitizers) in BUILD_DIR, runs each target once over WORKDIR/<target>/corpus (as left by
# fuzz/campaign.sh) plus its seeds from SEED_DIR (the sanitizer tree's, which the normal build
# makes), merges the profiles and prints the report.
#
#   coverage.sh BUILD_DIR WORKDIR SEED_DIR [FOLDER...]
#   e.g. fuzz/coverage.sh build-cov ~/lockstep-fuzz build/asan/fuzz/targets/seeds snapshot devices
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
build=$1 work=$2 seed_dir=$3
shift 3
folders=("$@")
[ ${#folders[@]} -eq 0 ] && folders=(snapshot devices)
cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-14 \
  -DCMAKE_CXX_COMPILER=clang++-14 -DLOCKSTEP_FUZZ=ON -DLOCKSTEP_COVERAGE=ON >/dev/null
# Only the targets: the lockstep binary (which makes seeds) would need a sanitizer runtime to link here.
cmake --build "$build" --target fuzz_targets
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
  [ -n "$seeds" ] && [ -d "$seed_dir/$seeds" ] && dirs+=("$seed_dir/$seeds")
  [ ${#dirs[@]} -eq 0 ] && continue
  echo "coverage: $t over ${dirs[*]}" >&2
  LLVM_PROFILE_FILE="$profiles/$t-%p.profraw" "$binary" -runs=0 -rss_limit_mb=2560 -timeout=60 "${dirs[@]}" \
    >"$profiles/$t.log" 2>&1 || echo "coverage: $t exited with $? (see $profiles/$t.log)" >&2
  binaries+=("$binary")
done
llvm-profdata-14 merge -sparse "$profiles"/*.profraw -o "$profiles/merged.profdata"
others=()
for b in "${binaries[@]:1}"; do others+=(-object "$b"); done
llvm-cov-14 report "${binaries[0]}" "${others[@]}" -instr-profile="$profiles/merged.profdata" >"$profiles/report.txt"
# The report names files relative to the source root; keep the asked-for folders and total them.
for f in "${folders[@]}"; do
  awk -v dir="$f/" 'index($1, dir) == 1 && NF >= 10 { print; lines += $8; missed += $9 }
    END { if (lines) printf "%s TOTAL lines %d, covered %d (%.1f%%)\n\n", dir, lines, lines - missed, 100 * (lines - missed) / lines }' \
    "$profiles/report.txt"
done
echo "full report: $profiles/report.txt" >&2
