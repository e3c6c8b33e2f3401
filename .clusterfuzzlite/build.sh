#!/bin/bash -eu
# ClusterFuzzLite's entry point: everything is in fuzz/build.sh (also run by scripts/check-oss-fuzz-build.sh).
"$SRC/lockstep/fuzz/build.sh"
