#!/usr/bin/env bash
# Writes the fuzz targets' seed corpora (fuzz/README.md), one folder per kind:
#   streams/       lockstep streams of the test guests at several cuts, every machine version, one .zst;
#                  Debian QEMU's riscv virt streams when QEMU is given
#   stream-pairs/  two streams back to back (snapshot_diff): versions, cuts, QEMU against lockstep
#   schema-pairs/  two -dump-vmstate schemas or destination descriptions joined by a NUL (schema_check)
#   elf/           the stripped test guests (elf_loader)
#   options/       -m / -drive / -smp values, one per line (options)
#   mmio/, virtio/ register programs in mmio_program.h's encoding (device_mmio, virtio)
# Streams are saved with the options of fuzz/targets/support/small_machine.h so that they load.
#
#   make_seeds.sh LOCKSTEP GUESTS_DIR OUT_DIR [QEMU_SYSTEM_RISCV64]
set -euo pipefail
lockstep=$1 guests=$2 out=$3 qemu=${4:-}
export ASAN_OPTIONS=detect_leaks=0  # a sanitizer build of lockstep writes the seeds: its exit is not the point
rm -rf "$out"
mkdir -p "$out"/{streams,stream-pairs,schema-pairs,elf,options,mmio,virtio,migration}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- lockstep streams --------------------------------------------------------------------------------
head -c 65536 /dev/zero > "$work/disk.img"
small=(-m 8M -bios none --device virtio-rng-device --drive "file=$work/disk.img,format=raw,if=virtio,snapshot=on" --jit off)
save() {  # save MACHINE GUEST ICOUNT NAME: a guest that ends before ICOUNT writes nothing (exit 5): skipped
  "$lockstep" run -M "$1" "${small[@]}" -kernel "$guests/$2.elf" --save-at "$3=$out/streams/$4" >/dev/null 2>&1 || true
}
versions=$("$lockstep" run -M help 2>/dev/null | awk '/^virt/ {print $1}' || true)
[ -n "$versions" ] || versions="virt-1.0 virt-1.1 virt-2.0 virt"
for v in $versions; do
  save "$v" hello 2000 "hello-$v-2000.mig"
  "$lockstep" run -M "$v" "${small[@]}" --dump-vmstate "$work/schema-$v.json" >/dev/null 2>&1 || true
  "$lockstep" run -M "$v" "${small[@]}" --describe-destination "$work/dest-$v.json" >/dev/null 2>&1 || true
done
save virt hello 6000 hello-virt-6000.mig
save virt virtio_rng 40000 virtio_rng-virt-40000.mig
save virt timer 20000 timer-virt-20000.mig
save virt rtc 20000 rtc-virt-20000.mig
save virt plic_uart 20000 plic_uart-virt-20000.mig
save virt hello 3000 hello-virt-3000.mig.zst

# --- QEMU streams (Debian's qemu-system-riscv64; generated, never committed) --------------------------
qemu_stream() {  # qemu_stream NAME QEMU-ARGS...
  local name=$1; shift
  (printf 'migrate "exec:cat > %s"\nquit\n' "$out/streams/$name") |
    timeout 60 "$qemu" -M virt -m 8M -bios none -S -display none -monitor stdio "$@" >/dev/null 2>&1 || rm -f "$out/streams/$name"
}
if [ -n "$qemu" ] && [ -x "$qemu" ]; then
  qemu_stream qemu-virt.mig
  qemu_stream qemu-virt-rng.mig -global virtio-mmio.force-legacy=false -device virtio-rng-device
  timeout 60 "$qemu" -M virt -dump-vmstate "$work/schema-qemu.json" >/dev/null 2>&1 || true
fi

# --- pairs ---------------------------------------------------------------------------------------------
pair() {  # pair OUT A B: the two files back to back
  [ -f "$2" ] && [ -f "$3" ] && cat "$2" "$3" > "$1" || true
}
s=$out/streams
pair "$out/stream-pairs/versions.mig" "$s/hello-virt-1.0-2000.mig" "$s/hello-virt-2000.mig"
pair "$out/stream-pairs/cuts.mig" "$s/hello-virt-2000.mig" "$s/hello-virt-6000.mig"
pair "$out/stream-pairs/guests.mig" "$s/timer-virt-20000.mig" "$s/virtio_rng-virt-40000.mig"
pair "$out/stream-pairs/qemu-lockstep.mig" "$s/qemu-virt.mig" "$s/hello-virt-2000.mig"
pair "$out/stream-pairs/qemu-rng.mig" "$s/qemu-virt.mig" "$s/qemu-virt-rng.mig"
nul_pair() {  # nul_pair OUT A B: A, a NUL byte, B
  [ -f "$2" ] && [ -f "$3" ] && { cat "$2"; printf '\0'; cat "$3"; } > "$1" || true
}
first=""
for v in $versions; do
  [ -n "$first" ] && nul_pair "$out/schema-pairs/$first-$v.json" "$work/schema-$first.json" "$work/schema-$v.json"
  [ -n "$first" ] && nul_pair "$out/schema-pairs/$v-$first.json" "$work/schema-$v.json" "$work/schema-$first.json"
  nul_pair "$out/schema-pairs/dest-$v.json" "$work/schema-$v.json" "$work/dest-$v.json"
  first=$v
done
nul_pair "$out/schema-pairs/qemu-lockstep.json" "$work/schema-qemu.json" "$work/schema-virt.json"

# --- ELF guests ------------------------------------------------------------------------------------------
strip=$(command -v riscv64-unknown-elf-strip || true)
for g in hello htif_exit0 timer virtio_rng; do
  [ -f "$guests/$g.elf" ] || continue
  if [ -n "$strip" ]; then "$strip" -o "$out/elf/$g.elf" "$guests/$g.elf"; else cp "$guests/$g.elf" "$out/elf/"; fi
done

# --- migration cases (fuzz/migration/migration_case.h decode_case: 8 bytes per choice, little-endian) -----
# guest, cut count, then per cut: early-or-anywhere, position; then versions and engines. A few byte
# strings that reach one, two and three cuts on different guests; libFuzzer takes it from there.
for i in 0 1 2 3 4 5 6 7; do
  head -c $((24 + 40 * (i % 3))) /dev/zero | tr '\0' "\\$(printf '%03o' $(((i * 37 + 1) % 256)))" > "$out/migration/case-$i"
done

# --- option values ---------------------------------------------------------------------------------------
printf '256M\nfile=disk.img,format=raw,if=virtio,readonly=on\ncpus=2\n' > "$out/options/run"
printf -- '-m\n0.5G\n-smp\n8\n-drive\nfile=a,,b.img,format=raw,if=virtio,snapshot=on\n-bios\nnone\n' > "$out/options/qemu-style"
printf 'size=1G\n512k\n18446744073709551615\n' > "$out/options/sizes"

# --- register programs (mmio_program.h: u8 device, u8 control, le16 offset, le64 value) -----------------
op() {  # op DEVICE CONTROL OFFSET VALUE: 12 bytes
  printf "$(printf '\\x%02x\\x%02x\\x%02x\\x%02x' "$1" "$2" $(($3 & 255)) $(($3 >> 8)))"
  local v=$4
  for _ in 1 2 3 4 5 6 7 8; do printf "$(printf '\\x%02x' $((v & 255)))"; v=$((v >> 8)); done
}
W4=0x06 R4=0x02 W8=0x07 ADV=0x80  # 4-byte write/read, 8-byte write, then 128 instructions
# device_mmio: the first byte picks the machine version (odd: virt-1.0). Windows: 0 test, 1 rtc,
# 2 mswi, 3 mtimer, 4 plic, 5 uart0, 6.. virtio slots.
{ printf '\x00'
  op 5 0x04 3 0x83; op 5 0x04 0 0x01; op 5 0x04 3 0x03; op 5 0x04 1 0x0f; op 5 0x04 0 0x41; op 5 0x00 5 0
  op 4 $W4 0x28 1; op 4 $W4 0x2000 0xffffffff; op 4 $W4 0x200000 0; op 5 $((R4 | ADV)) 2 0
} > "$out/mmio/uart-plic"
{ printf '\x01'
  op 3 $W8 0 0x400; op 3 $((R4 | ADV)) 0x7ff8 0; op 2 $W4 0 1; op 4 $((R4 | ADV)) 0x201004 0
} > "$out/mmio/timer-mswi"
{ printf '\x00'
  op 1 $W4 0x08 0x1000; op 1 $W4 0x0c 0; op 1 $W4 0x10 1; op 1 $((R4 | 0xf0)) 0x00 0; op 1 $W4 0x1c 1
} > "$out/mmio/rtc-alarm"

# virtio: be16 image length, the image (at guest 0x80001000), then accesses to slot 7 (0: blk),
# slot 6 (1: rng) and slot 5 (2: net). Queue address values are offsets into the image.
virtio_program() {  # virtio_program DEVICE: the driver's set-up of queue 0 and one notify
  local d=$1
  op $d $W4 0x70 1; op $d $W4 0x70 3; op $d $W4 0x24 1; op $d $W4 0x20 1; op $d $W4 0x70 11
  op $d $W4 0x30 0; op $d $W4 0x38 8; op $d $W4 0x80 0; op $d $W4 0x90 0x80; op $d $W4 0xa0 0x100
  op $d $W4 0x44 1; op $d $W4 0x70 15; op $d $((W4 | ADV)) 0x50 0; op $d $R4 0x60 0; op $d $W4 0x64 1
}
net_program() {  # rx queue 0 (rings at 0, 0x80, 0x100), tx queue 1 (0x200, 0x280, 0x300); transmit, run, receive
  op 2 $W4 0x70 1; op 2 $W4 0x70 3; op 2 $W4 0x24 1; op 2 $W4 0x20 1; op 2 $W4 0x70 11
  op 2 $W4 0x30 0; op 2 $W4 0x38 8; op 2 $W4 0x80 0; op 2 $W4 0x90 0x80; op 2 $W4 0xa0 0x100; op 2 $W4 0x44 1
  op 2 $W4 0x30 1; op 2 $W4 0x38 8; op 2 $W4 0x80 0x200; op 2 $W4 0x90 0x280; op 2 $W4 0xa0 0x300; op 2 $W4 0x44 1
  op 2 $W4 0x70 15; op 2 $W4 0x50 0; op 2 $((W4 | ADV)) 0x50 1; op 2 $((R4 | ADV)) 0x60 0; op 2 $W4 0x64 3
}
le() {  # le BYTES VALUE
  local v=$2
  for _ in $(seq "$1"); do printf "$(printf '\\x%02x' $((v & 255)))"; v=$((v >> 8)); done
}
image_rng() {  # desc 0: 16 device-writable bytes at 0x80001200; avail idx 1 ring[0] 0
  le 8 0x80001200; le 4 16; le 2 2; le 2 0; head -c $((0x80 - 16)) /dev/zero
  le 2 0; le 2 1; le 2 0; head -c $((0x200 - 0x86)) /dev/zero; head -c 16 /dev/zero
}
image_blk() {  # a read of sector 1: header (16 bytes at 0x180), 512-byte buffer (0x200), status (0x400)
  le 8 0x80001180; le 4 16; le 2 1; le 2 1
  le 8 0x80001200; le 4 512; le 2 3; le 2 2
  le 8 0x80001400; le 4 1; le 2 2; le 2 0
  head -c $((0x80 - 48)) /dev/zero; le 2 0; le 2 1; le 2 0; head -c $((0x180 - 0x86)) /dev/zero
  le 4 0; le 4 0; le 8 1; head -c $((0x401 - 0x190)) /dev/zero
}
image_net() {  # rx: one writable 1526-byte buffer at 0x800; tx: a 12-byte header and an ARP request for 10.0.2.2 at 0x400
  le 8 0x80001800; le 4 1526; le 2 2; le 2 0; head -c $((0x80 - 16)) /dev/zero
  le 2 0; le 2 1; le 2 0; head -c $((0x200 - 0x86)) /dev/zero
  le 8 0x80001400; le 4 54; le 2 0; le 2 0; head -c $((0x80 - 16)) /dev/zero
  le 2 0; le 2 1; le 2 0; head -c $((0x400 - 0x286)) /dev/zero
  head -c 12 /dev/zero
  printf '\xff\xff\xff\xff\xff\xff\x52\x54\x00\x12\x34\x56\x08\x06'       # Ethernet: broadcast, ARP
  printf '\x00\x01\x08\x00\x06\x04\x00\x01\x52\x54\x00\x12\x34\x56\x0a\x00\x02\x0f'  # who has
  printf '\x00\x00\x00\x00\x00\x00\x0a\x00\x02\x02'                          # 10.0.2.2?
  head -c $((0x800 + 1526 - 0x436)) /dev/zero
}
for dev in rng blk net; do
  image_$dev > "$work/image"
  size=$(stat -c %s "$work/image")
  { printf "$(printf '\\x%02x\\x%02x' $((size >> 8)) $((size & 255)))"; cat "$work/image"
    case $dev in rng) virtio_program 1 ;; blk) virtio_program 0 ;; net) net_program ;; esac; } > "$out/virtio/$dev"
done

touch "$out/.made"
