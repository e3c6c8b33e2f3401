#!/usr/bin/env bash
# The README's demo: a guest on lockstep next to the same guest on QEMU, and determinism.
set -euo pipefail
build=${1:-build}
lockstep=$build/tools/lockstep
guest=$build/tests/guests/hello.elf
qemu=(qemu-system-riscv64 -M virt -m 256M -cpu rv64,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false
      -bios none -display none -serial stdio -monitor none -icount shift=0,sleep=off)

echo "== lockstep run -M virt -m 256M -bios none -kernel hello.elf --digest"
"$lockstep" run -M virt -m 256M -bios none -kernel "$guest" --digest 2>"$build/demo-digest-1.txt" | tee "$build/demo-lockstep.txt"
cat "$build/demo-digest-1.txt"

echo
echo "== the same guest on QEMU (-icount shift=0,sleep=off)"
"${qemu[@]}" -kernel "$guest" | tee "$build/demo-qemu.txt"
if cmp -s "$build/demo-lockstep.txt" "$build/demo-qemu.txt"; then
  echo "-> identical console output, including the retired-instruction count"
else
  echo "-> DIFFERENT console output:"; diff "$build/demo-qemu.txt" "$build/demo-lockstep.txt" || true
fi

echo
echo "== determinism: a second run gives the same state digest"
"$lockstep" run -M virt -m 256M -bios none -kernel "$guest" --digest 2>"$build/demo-digest-2.txt" >/dev/null
cat "$build/demo-digest-2.txt"
cmp -s "$build/demo-digest-1.txt" "$build/demo-digest-2.txt" && echo "-> identical digests"

echo
echo "== cut the run at any instruction: --max-insns 100 --digest, with the first instructions traced"
"$lockstep" run -M virt -m 256M -bios none -kernel "$guest" --max-insns 100 --digest --trace 2>&1 >/dev/null | sed -n '1,12p;$p' || true
