#!/usr/bin/env bash
# Builds the libFuzzer targets the way OSS-Fuzz and ClusterFuzzLite do (fuzz/README.md): with the
# engine's $CC $CXX $CFLAGS $CXXFLAGS $LIB_FUZZING_ENGINE, in $WORK, and puts into $OUT per target
# the binary fuzz_<name>, fuzz_<name>_seed_corpus.zip, fuzz_<name>.dict and fuzz_<name>.options.
# $SRC is where the engine checked out the sources; this script finds them from its own path.
#
# Shared libraries from the build image (fmt, zstd, xxhash, libfdt, LLVM) are copied to $OUT/lib and
# found through an $ORIGIN rpath: the engines run targets in a runner image without them.
# -stdlib=libc++ is dropped from $CXXFLAGS: Debian's libfmt and LLVM are built against libstdc++.
set -euo pipefail
: "${CC:?} ${CXX:?} ${LIB_FUZZING_ENGINE:?} ${OUT:?}"
CFLAGS=${CFLAGS:-} CXXFLAGS=${CXXFLAGS:-}
source_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
build_dir=${WORK:-$(mktemp -d)}/lockstep-fuzz-build
CXXFLAGS=${CXXFLAGS//-stdlib=libc++/}
jobs=${JOBS:-$(nproc)}

cmake -S "$source_dir" -B "$build_dir" -G Ninja \
  -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DCMAKE_C_COMPILER="$CC" -DCMAKE_CXX_COMPILER="$CXX" \
  -DCMAKE_C_FLAGS="$CFLAGS" -DCMAKE_CXX_FLAGS="$CXXFLAGS" \
  -DCMAKE_EXE_LINKER_FLAGS="-Wl,-rpath,\$ORIGIN/lib" \
  -DLOCKSTEP_FUZZ=ON -DLOCKSTEP_FUZZ_ENGINE="$LIB_FUZZING_ENGINE"
cmake --build "$build_dir" -j "$jobs" --target fuzz_targets fuzz_seeds

seeds=$build_dir/fuzz/targets/seeds
mkdir -p "$OUT/lib" "$OUT/fuzz_migration_guests"
# fuzz_migration's guests (fuzz/targets/migration_target.cpp looks beside its binary): small test guests.
for g in hello plic_uart rtc timer mmio_faults pmp; do
  cp "$build_dir/tests/guests/$g.elf" "$OUT/fuzz_migration_guests/"
done
for src in "$source_dir"/fuzz/targets/*_target.cpp; do
  name=fuzz_$(basename "$src" _target.cpp)
  cp "$build_dir/fuzz/targets/$name" "$OUT/"
  kind=$(sed -n 's|^// fuzz-seeds: *\([^ ]*\).*|\1|p' "$src")
  dict=$(sed -n 's|^// fuzz-dict: *\([^ ]*\).*|\1|p' "$src")
  rm -f "$OUT/${name}_seed_corpus.zip"
  if [ -n "$kind" ] && [ -n "$(ls -A "$seeds/$kind" 2>/dev/null)" ]; then
    (cd "$seeds/$kind" && zip -q -j "$OUT/${name}_seed_corpus.zip" ./*)
  fi
  {
    echo "[libfuzzer]"
    echo "rss_limit_mb = 2560"
    echo "timeout = 30"
    if [ -n "$dict" ]; then
      cp "$source_dir/fuzz/dict/$dict" "$OUT/$name.dict"
      echo "dict = $name.dict"
    fi
  } > "$OUT/$name.options"
  # Non-system shared libraries the target needs, next to it.
  ldd "$OUT/$name" | awk '/=> \// {print $3}' | grep -Ev '/(libc|libm|libpthread|libdl|librt|libgcc_s|ld-linux[^/]*)\.so' |
    while read -r lib; do cp -L -n "$lib" "$OUT/lib/" 2>/dev/null || true; done
done
