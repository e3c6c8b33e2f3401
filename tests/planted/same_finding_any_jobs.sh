#!/usr/bin/env bash
# same_finding_any_jobs.sh LOCKSTEP OUT_DIR FUZZ-ARGS...: the finding `lockstep fuzz migration`
# reports (the case found and the case minimised) is the same with --jobs 1 and --jobs 2.
set -u
bin=$1 out=$2
shift 2
found() { "$bin" "$@" 2>&1 | grep -E '^(found|minimised):'; }
a=$(found "$@" --jobs 1 --out "$out/j1")
b=$(found "$@" --jobs 2 --out "$out/j2")
printf '%s\n--\n%s\n' "$a" "$b"
[ -n "$a" ] && [ "$a" = "$b" ]
