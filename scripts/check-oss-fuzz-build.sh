#!/usr/bin/env bash
# Runs fuzz/build.sh the way OSS-Fuzz / ClusterFuzzLite do (their environment variables, clang with
# ASan and libFuzzer's coverage flags, fresh $OUT and $WORK), then every produced target over its
# seed corpus once (-runs=0) with its .options. A full clang build: ~15 minutes on 2 cores, so this
# is run by hand (fuzz/README.md), not by CTest.
#   scripts/check-oss-fuzz-build.sh [OUT_DIR]     (default: a temporary folder, removed after)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
export CC=clang-14 CXX=clang++-14
export CFLAGS="-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address -fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
export CXXFLAGS="$CFLAGS -stdlib=libc++"  # as OSS-Fuzz passes it; fuzz/build.sh drops -stdlib=libc++
export LIB_FUZZING_ENGINE=-fsanitize=fuzzer
export SRC=$(dirname "$root")
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export WORK=$scratch/work OUT=${1:-$scratch/out}
mkdir -p "$WORK" "$OUT"
bash "$root/fuzz/build.sh"

failed=0
for target in "$OUT"/fuzz_*; do
  [ -x "$target" ] && [ -f "$target" ] || continue
  name=$(basename "$target")
  seeds=$scratch/seeds/$name
  mkdir -p "$seeds"
  [ -f "$OUT/${name}_seed_corpus.zip" ] && unzip -q -o "$OUT/${name}_seed_corpus.zip" -d "$seeds"
  options=()
  [ -f "$OUT/$name.dict" ] && options+=(-dict="$OUT/$name.dict")
  if (cd "$OUT" && "$target" -runs=0 -rss_limit_mb=2560 -timeout=30 "${options[@]}" "$seeds") >"$scratch/$name.log" 2>&1; then
    echo "ok    $name ($(ls "$seeds" | wc -l) seeds)"
  else
    echo "FAIL  $name: see below"; tail -30 "$scratch/$name.log"; failed=1
  fi
done
exit $failed
