#!/bin/sh
# Freezes the golden files of a released machine version (tests/golden/README.md): its
# -dump-vmstate schema, and the golden streams listed below for it (stream, guest, expected result).
# Never rewrites a file that exists: a released version's goldens stay as the release wrote them.
#
#   tests/golden/freeze.sh BUILD_DIR VERSION...     e.g. tests/golden/freeze.sh build virt-2.1
set -eu

if [ $# -lt 2 ]; then
  echo "usage: $0 BUILD_DIR VERSION..." >&2
  exit 2
fi
build=$1
shift
lockstep=$build/tools/lockstep
guests=$build/tests/guests
golden=$(cd "$(dirname "$0")" && pwd)
strip=riscv64-unknown-elf-strip

# The golden streams: machine version, guest, cut icount, extra run options. Each cut is where a
# migration bug has something to break: plic_uart inside the S-mode handler after sepc is written
# back (before sret), timer inside the M-mode handler (before mret), virtio_rng between the
# driver's fences of a request, triggers in a spin with an execute and a load trigger set (both
# must still fire after the load).
cases() {
  cat <<'EOF'
virt-1.0 plic_uart 10230
virt-1.1 timer 22070
virt-2.0 virtio_rng 9570 -device virtio-rng-device
virt-2.1 triggers 260000
EOF
}

refuse_existing() {
  if [ -e "$1" ]; then
    echo "$0: $1 exists: goldens of a released version are never regenerated (tests/golden/README.md)" >&2
    exit 1
  fi
}

mkdir -p "$golden/schemas" "$golden/streams"
for version in "$@"; do
  schema=$golden/schemas/$version.json
  refuse_existing "$schema"
  "$lockstep" run -M "$version" --dump-vmstate "$schema"
  echo "froze $schema"

  cases | while read -r v guest cut extra; do
    [ "$v" = "$version" ] || continue
    name=$guest-$version
    out=$golden/streams/$name
    for f in "$out.elf" "$out.mig.zst" "$out.expected" "$out.console" "$out.console-after-cut"; do
      refuse_existing "$f"
    done
    # The guest is frozen too: a later change to its source must not change what the stream runs.
    $strip -o "$out.elf" "$guests/$guest.elf"
    # shellcheck disable=SC2086 # $extra is a list of options
    args="-M $version -m 32M -bios none${extra:+ $extra}"
    # shellcheck disable=SC2086
    "$lockstep" run $args -kernel "$out.elf" --save-at "$cut=$out.mig.zst" --max-insns "$cut" >/dev/null 2>&1 || [ $? -eq 3 ]
    set +e
    # shellcheck disable=SC2086
    "$lockstep" run $args -kernel "$out.elf" --digest >"$out.console" 2>"$out.err"
    code=$?
    # shellcheck disable=SC2086
    "$lockstep" run $args -kernel "$out.elf" --incoming "$out.mig.zst" >"$out.console-after-cut" 2>/dev/null
    set -e
    digest=$(grep '^digest ' "$out.err" | tail -n 1 | sed 's/^digest //')
    rm -f "$out.err"
    {
      echo "# Frozen by tests/golden/freeze.sh from $(git -C "$golden" describe --always --dirty 2>/dev/null || echo '?')."
      echo "# Never regenerated: a build must load $name.mig.zst and reach this result (tests/golden/README.md)."
      echo "args: $args"
      echo "cut: $cut"
      echo "exit: $code"
      echo "digest: $digest"
    } >"$out.expected"
    echo "froze $out.mig.zst ($(wc -c <"$out.mig.zst") bytes), exit $code, $digest"
  done
done
