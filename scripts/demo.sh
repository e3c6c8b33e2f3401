#!/usr/bin/env bash
# The README's demo: Debian's OpenSBI + U-Boot boot on lockstep's virt board and read a virtio
# disk, twice with the same state digest; the same boot migrated mid-boot through a unix socket to
# a second lockstep process, ending with the same digest; a test guest next to QEMU; then Debian's
# Linux migrated in the middle of writing to its disk.
set -euo pipefail
build=${1:-build}
lockstep=$build/tools/lockstep
fw_jump=/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_jump.bin
uboot=/usr/lib/u-boot/qemu-riscv64_smode/u-boot.bin
disk=$build/demo-disk.img

# A 4 MiB disk whose first sector says hello.
head -c $((4 * 1024 * 1024)) /dev/zero > "$disk"
printf 'hello from the demo disk' | dd of="$disk" conv=notrunc status=none

boot=("$lockstep" run -M virt -m 256M -smp 2 -bios "$fw_jump" -kernel "$uboot"
      -drive "file=$disk,format=raw,if=virtio,snapshot=on"
      --send-on autoboot " " --send-on "=> " 'virtio scan\n' --send-on "=> " 'virtio info\n'
      --send-on "=> " 'virtio read 0x84000000 0 1\n' --send-on "=> " 'md.b 0x84000000 0x20\n'
      --stop-on "=> " --digest)
echo "== ${boot[*]}"
"${boot[@]}" 2>"$build/demo-digest-1.txt"
echo
cat "$build/demo-digest-1.txt"
echo
echo "== the same boot again: the same state digest, to the instruction"
"${boot[@]}" >/dev/null 2>"$build/demo-digest-2.txt"
cat "$build/demo-digest-2.txt"
cmp -s "$build/demo-digest-1.txt" "$build/demo-digest-2.txt" && echo "-> identical"

echo
echo "== the same boot, migrated mid-boot: source and destination are two processes joined by a unix socket"
sock=$build/demo-migration.sock
rm -f "$sock"
cut=20000000
"${boot[@]}" --incoming "unix:$sock" >"$build/demo-destination.txt" 2>"$build/demo-digest-3.txt" &
dest=$!
for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.05; done
"${boot[@]}" --migrate-at "$cut=unix:$sock" >"$build/demo-source.txt" 2>"$build/demo-source.err"
wait "$dest"
echo "source:      $(grep -h 'migrated at' "$build/demo-source.err")"
echo "destination: $(tail -1 "$build/demo-digest-3.txt")  (straight run: $(tail -1 "$build/demo-digest-1.txt"))"
cat "$build/demo-source.txt" "$build/demo-destination.txt" > "$build/demo-migrated.txt"
"${boot[@]}" 2>/dev/null > "$build/demo-straight.txt"
if cmp -s <(tail -1 "$build/demo-digest-3.txt") <(tail -1 "$build/demo-digest-1.txt") &&
   cmp -s "$build/demo-migrated.txt" "$build/demo-straight.txt"; then
  echo "-> the migrated run ends with the same console output and the same digest as the straight run"
else
  echo "-> MISMATCH between the migrated and the straight run"; exit 1
fi

echo
echo "== a test guest on lockstep and on QEMU (-icount shift=0,sleep=off): same output, same minstret"
guest=$build/tests/guests/hello.elf
"$lockstep" run -M virt -m 256M -bios none -kernel "$guest" >"$build/demo-lockstep.txt"
qemu-system-riscv64 -M virt -m 256M -cpu rv64,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false \
  -bios none -display none -serial stdio -monitor none -icount shift=0,sleep=off -kernel "$guest" >"$build/demo-qemu.txt"
if cmp -s "$build/demo-lockstep.txt" "$build/demo-qemu.txt"; then
  tail -1 "$build/demo-lockstep.txt"; echo "-> identical console output"
else
  diff "$build/demo-qemu.txt" "$build/demo-lockstep.txt" || true
fi

echo
echo "== Debian's Linux on an ext4 virtio disk: it writes eight files (syncing each) and reads them back;"
echo "   migrated to a second process at 30% of the boot (over a unix socket) and mid-write (through a"
echo "   file), the console, the state digest and the disk image equal the straight run's"
echo "   (tests/linux/linux_test.sh, the same check as CTest linux/migrate)"
here=$(cd "$(dirname "$0")" && pwd)
if bash "$here/linux-guest.sh" "$build/linux-guest" 2>"$build/demo-linux-guest.err"; then
  bash "$here/../tests/linux/linux_test.sh" "$lockstep" "$build/linux-guest" "$build/demo-linux" migrate "$build/demo-linux/base" off-on 30 60@io
  echo "   the guest's console after the mid-write migration:"
  grep -a -A3 "^[0-9a-f]\{32\}" "$build/demo-linux/cut-io-60.dst.out" | head -4 | sed 's/^/     /'
else
  echo "-> skipped: the Linux guest could not be fetched ($(tail -1 "$build/demo-linux-guest.err"))"
fi
