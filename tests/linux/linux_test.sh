#!/usr/bin/env bash
# Linux guest tests (scripts/linux-guest.sh builds the guest). The guest boots to its shell, mounts
# an ext4 virtio disk, reads a file, writes eight files (100 KB) syncing each, checksums them, and
# powers off.
#
#   linux_test.sh LOCKSTEP GUEST_DIR WORK engines
#       the interpreter and the JIT: same console text, digest and disk bytes
#   linux_test.sh LOCKSTEP GUEST_DIR WORK migrate ENGINES PERCENT[@io]... [-- RUN_OPTIONS]
#       a straight run, then one migrated run per cut (the source stops at PERCENT of the straight
#       run's instructions and sends its state over a unix socket to a destination sharing the
#       disk file): console text (source's then destination's), final digest and the disk file
#       byte for byte equal the straight run's. PERCENT may be fractional (the writes come in the
#       last 1% of the run); @io: check that the disk at the cut holds some of the writes, not all. ENGINES: off-off, on-on, off-on or on-off
#       (source-destination --jit). LINUX_TEST_PLANT=fresh-disk-at-destination: a test-only switch
#       that loses the source's disk writes; each cut must then fail the comparison.
#   LINUX_WORKLOAD=net: the same modes with a network workload instead of the disk one: a virtio-net
#       NIC on lockstep's deterministic echo host (-netdev echo,delay=2000: answers spend 2 ms of
#       virtual time on the wire), 10.0.2.15 pinging 10.0.2.2 with small and 1400-byte packets at
#       10 ms intervals while it computes; a cut marked @net is first checked to fall where answers
#       are in flight (the echo host's queue in a save at the cut is not empty). The disk stays attached.
#   linux_test.sh LOCKSTEP GUEST_DIR WORK qemu
#       the guest on Debian's QEMU 7.2 (-icount shift=0,sleep=off, restricted to lockstep's ISA) and
#       on lockstep, from power-on through a userspace workload to power-off, both given lockstep's
#       device tree (-dtb) and -seed 1 (so QEMU's /chosen/rng-seed is not random and lockstep writes
#       the same): the console must be equal byte for byte, kernel timestamps included, and so the
#       guest's clock at the shell prompt ("ready at time N": instructions / 100).
set -euo pipefail
lockstep=$1 guest=$2 work=$3 mode=$4
shift 4
rm -rf "$work"
mkdir -p "$work/disk-files"

fail() { echo "FAIL: $*" >&2; exit 1; }

echo "hello from the ext4 disk" >"$work/disk-files/hello.txt"
# Fixed UUID, hash seed and time: the same image every time, so runs compare byte for byte.
E2FSPROGS_FAKE_TIME=1700000000 mkfs.ext4 -q -F -b 1024 -U 6c0c5c2a-5d0e-4e51-9c41-9d6f2b0e7c11 \
  -E hash_seed=3e6c8d3e-9a57-4d7e-a3a9-2f6b1a3c9e55,root_owner=0:0 -d "$work/disk-files" "$work/disk.img" 4M >/dev/null

run_opts=(-m 256M -kernel "$guest/Image" -initrd "$guest/initramfs.cpio" -append "console=ttyS0 quiet")
# Eight files, each synced: the disk writes spread over the last ~15% of the run, not one burst.
script=(--send-on "(linux) # " 'mount -t ext4 /dev/vda /mnt && cat /mnt/hello.txt && for i in 1 2 3 4 5 6 7 8; do seq $i 8 20000 > /mnt/seq$i.txt; sync; done; cat /mnt/seq*.txt | md5sum && umount /mnt && echo io-done\n'
        --send-on "(linux) # " 'poweroff -f\n')
extra=(-M virt)  # replaced by the options after --
if [ "${LINUX_WORKLOAD:-disk}" = net ]; then
  # The echo host answers after 2 ms on the wire; the guest keeps computing while it pings, so a
  # cut amid the pings finds answers in flight (the echo host's queue) and requests just sent.
  run_opts+=(-netdev echo,id=n0,delay=2000 -device virtio-net-device,netdev=n0)
  script=(--send-on "(linux) # " 'ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && echo net-start && (ping -c 30 -i 0.01 10.0.2.2 | tail -2 >/tmp/p1 &) && (ping -c 30 -i 0.01 -s 1400 10.0.2.2 | tail -2 >/tmp/p2 &) && seq 1 150000 | md5sum && sleep 1 && cat /tmp/p1 /tmp/p2 /sys/class/net/eth0/statistics/rx_packets && echo net-done\n'
          --send-on "(linux) # " 'poweroff -f\n')
fi

# run NAME JIT [more options]: console to NAME.out, digest line to NAME.digest, on its own disk copy
# ($disk_spelling: if=virtio, or QEMU's if=none,id=d0 with -device virtio-blk-device,drive=d0)
disk_spelling=if=virtio
run() {
  local name=$1 jit=$2
  shift 2
  cp "$work/disk.img" "$work/$name.img"
  local disk=(-drive "file=$work/$name.img,format=raw,$disk_spelling")
  [ "$disk_spelling" = if=virtio ] || disk=(-drive "file=$work/$name.img,format=raw,if=none,id=d0"
                                              -device virtio-blk-device,drive=d0)
  "$lockstep" run "${run_opts[@]}" "${extra[@]}" "${disk[@]}" "${script[@]}" \
    --jit="$jit" --digest "$@" >"$work/$name.out" 2>"$work/$name.err" || fail "$name: exit $? ($(tail -3 "$work/$name.err"))"
  grep '^digest ' "$work/$name.err" >"$work/$name.digest" || fail "$name: no digest line"
}

check_console() {  # NAME: what the guest must have printed
  local out=$work/$1.out
  grep -q "lockstep-linux: ready" "$out" || fail "$1: the init did not finish"
  if [ "${LINUX_WORKLOAD:-disk}" = net ]; then
    [ "$(grep -c '30 packets transmitted, 30 packets received, 0% packet loss' "$out")" = 2 ] ||
      fail "$1: not every ping was answered ($(grep -a 'packets transmitted' "$out" | tr -d '\r' | tr '\n' ' '))"
    grep -q "^net-done" "$out" || fail "$1: the network workload did not finish"
  else
    grep -q "hello from the ext4 disk" "$out" || fail "$1: the disk file was not read"
    grep -q "^io-done" "$out" || fail "$1: the disk write did not complete"
  fi
  grep -q "reboot: Power down" "$out" || fail "$1: no power-off"
  if grep -q "did not load" "$out"; then fail "$1: a module did not load"; fi
}

same() {  # A B: console, digest and disk equal
  cmp -s "$work/$1.out" "$work/$2.out" || { (diff "$work/$1.out" "$work/$2.out" || true) | head -20 >&2; fail "$2: console differs from $1"; }
  cmp -s "$work/$1.digest" "$work/$2.digest" || fail "$2: $(cat "$work/$2.digest") where $1 has $(cat "$work/$1.digest")"
  cmp -s "$work/$1.img" "$work/$2.img" || fail "$2: the disk image differs from $1's ($(cmp "$work/$1.img" "$work/$2.img" | head -1))"
}

case $mode in
  engines)
    disk_spelling=if=none  # QEMU's spelling of a virtio-mmio disk, here end to end
    run interp off
    check_console interp
    run jit on
    check_console jit
    same interp jit
    echo "interpreter and JIT agree: $(cat "$work/interp.digest")"
    ;;
  migrate)
    engines=$1
    shift
    src_jit=${engines%-*} dst_jit=${engines#*-}
    cuts=()
    while [ $# -gt 0 ] && [ "$1" != -- ]; do cuts+=("$1"); shift; done
    [ $# -gt 0 ] && { shift; extra=("$@"); }
    run straight off
    check_console straight
    total=$(cut -d' ' -f2 "$work/straight.digest")
    for spec in "${cuts[@]}"; do
      pct=${spec%@io}
      pct=${pct%@net}
      cut=$(awk -v t="$total" -v p="$pct" 'BEGIN { printf "%d", t * p / 100 }')
      name=cut$pct
      if [ "$spec" = "$pct@net" ]; then
        # The cut must fall amid the pings, with answers on the wire: the echo host's queue in the
        # state at the cut holds some (a kernel update can move things; then this says so).
        "$lockstep" run "${run_opts[@]}" "${extra[@]}" -drive "file=$work/disk.img,format=raw,if=virtio,snapshot=on" \
          "${script[@]}" --jit="$src_jit" --save-at "$cut=$work/$name.probe.mig" >/dev/null 2>&1 || true
        in_flight=$("$lockstep" snapshot dump --json "$work/$name.probe.mig" 2>/dev/null |
          python3 -c 'import json,sys; d=json.load(sys.stdin); print(int([x for x in d["devices"] if x["name"]=="lockstep/netdev-echo"][0]["fields"]["count"], 16))' 2>/dev/null || echo 0)
        [ "$in_flight" -gt 0 ] || fail "$name: no echo answer is in flight at the cut at $cut: choose another percentage"
        echo "$name: $in_flight answer(s) in flight at $cut"
      elif [ "$spec" != "$pct" ]; then
        # The cut must fall between the guest's disk writes (some on disk, some not): a kernel
        # update can move them, and then this check says so instead of testing less.
        cp "$work/disk.img" "$work/$name.probe.img"
        "$lockstep" run "${run_opts[@]}" "${extra[@]}" -drive "file=$work/$name.probe.img,format=raw,if=virtio" \
          "${script[@]}" --jit="$src_jit" --max-insns "$cut" >/dev/null 2>&1 || true
        # More than 64 bytes either way: mounting alone rewrites 14 bytes of the superblock.
        done_bytes=$( (cmp -l "$work/disk.img" "$work/$name.probe.img" || true) | wc -l)
        left_bytes=$( (cmp -l "$work/straight.img" "$work/$name.probe.img" || true) | wc -l)
        if [ "$done_bytes" -le 64 ] || [ "$left_bytes" -le 64 ]; then
          fail "$name: the cut at $cut is not inside the disk writes any more ($done_bytes bytes written, $left_bytes to come): choose another percentage"
        fi
      fi
      sock=$work/$name.sock
      cp "$work/disk.img" "$work/$name.img"
      drive=(-drive "file=$work/$name.img,format=raw,if=virtio")
      dst_drive=("${drive[@]}")
      if [ "${LINUX_TEST_PLANT:-}" = fresh-disk-at-destination ]; then
        # Test-only: the destination gets the disk as it was before the run, not the source's
        # file, so writes made before the cut are lost: the checks below must notice.
        cp "$work/disk.img" "$work/$name.fresh.img"
        dst_drive=(-drive "file=$work/$name.fresh.img,format=raw,if=virtio")
      fi
      "$lockstep" run "${run_opts[@]}" "${extra[@]}" "${dst_drive[@]}" "${script[@]}" --jit="$dst_jit" --digest \
        --incoming "unix:$sock" --incoming-timeout 300 >"$work/$name.dst.out" 2>"$work/$name.err" &
      dst=$!
      for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
      "$lockstep" run "${run_opts[@]}" "${extra[@]}" "${drive[@]}" "${script[@]}" --jit="$src_jit" \
        --migrate-at "$cut=unix:$sock" >"$work/$name.src.out" 2>"$work/$name.src.err" ||
        fail "$name: the source exited $? ($(tail -3 "$work/$name.src.err"))"
      if ! wait $dst; then
        # A planted bug may also break the destination outright: caught, too.
        [ -n "${LINUX_TEST_PLANT:-}" ] && { echo "planted bug caught at $cut ($pct%): the destination failed ($(tail -1 "$work/$name.err"))"; continue; }
        fail "$name: the destination exited ($(tail -3 "$work/$name.err"))"
      fi
      cat "$work/$name.src.out" "$work/$name.dst.out" >"$work/$name.out"
      grep '^digest ' "$work/$name.err" >"$work/$name.digest" || fail "$name: no digest line"
      if [ -n "${LINUX_TEST_PLANT:-}" ]; then
        [ "${LINUX_TEST_PLANT}" = fresh-disk-at-destination ] && cp "$work/$name.fresh.img" "$work/$name.img"
        if (same straight "$name") 2>"$work/$name.caught"; then
          fail "$name: the planted bug ($LINUX_TEST_PLANT) went unnoticed"
        fi
        echo "planted bug caught at $cut ($pct%): $(cat "$work/$name.caught")"
        continue
      fi
      same straight "$name"
      echo "cut at $cut ($pct%, --jit $src_jit -> $dst_jit): console, digest and disk equal the straight run's"
    done
    ;;
  blocker)
    # A snapshot=on disk keeps the guest's writes in this process only: a save before any write
    # goes through, one after the writes is refused in QEMU's words, and nothing is written.
    run straight off
    total=$(cut -d' ' -f2 "$work/straight.digest")
    early=$((total * 30 / 100)) late=$((total * 99 / 100))
    overlay=(-drive "file=$work/disk.img,format=raw,if=virtio,snapshot=on")
    "$lockstep" run "${run_opts[@]}" "${extra[@]}" "${overlay[@]}" "${script[@]}" --jit=off \
      --save-at "$early=$work/early.mig" >/dev/null 2>"$work/early.err" || fail "the save before any write failed: $(tail -1 "$work/early.err")"
    [ -s "$work/early.mig" ] || fail "the save before any write wrote nothing"
    if "$lockstep" run "${run_opts[@]}" "${extra[@]}" "${overlay[@]}" "${script[@]}" --jit=off \
      --save-at "$late=$work/late.mig" >/dev/null 2>"$work/late.err"; then
      fail "a save with writes in the snapshot=on overlay was not refused"
    fi
    grep -q "State blocked by non-migratable device 'virtio-blk'" "$work/late.err" || fail "refused, but not as QEMU says it: $(tail -1 "$work/late.err")"
    [ ! -e "$work/late.mig" ] || fail "the refused save left a file"
    echo "snapshot=on: saved at $early; at $late: $(grep -o "State blocked.*" "$work/late.err" | head -1)"
    ;;
  qemu)
    qemu=${QEMU:-qemu-system-riscv64}
    command -v "$qemu" >/dev/null || fail "$qemu is missing: run scripts/setup-deps.sh"
    command -v fdtput >/dev/null || fail "fdtput is missing: run scripts/setup-deps.sh"
    # No disk: QEMU completes virtio-blk requests after the notify returns (the guest sees the
    # interrupt later), lockstep inside it, and with a disk the runs part by ~1 us (tests/linux/README.md).
    common=(-M virt -m 256M -kernel "$guest/Image" -initrd "$guest/initramfs.cpio" -seed 1
            -append "console=ttyS0 no5lvl LOCKSTEP_RUN=workload")
    # lockstep's tree for both, less its rng-seed: each then adds the one QEMU makes under -seed 1.
    "$lockstep" run "${common[@]}" --dumpdtb "$work/board.dtb" || fail "--dumpdtb exited $?"
    fdtput -d "$work/board.dtb" /chosen rng-seed
    # What each makes of that file (-dtb): the same bytes but for the seed, which QEMU's dump shows
    # before its reset handler rewrites it and lockstep's after.
    "$qemu" "${common[@]}" -dtb "$work/board.dtb" -machine dumpdtb="$work/qemu.dtb" -display none -monitor none \
      >/dev/null 2>&1 || fail "QEMU could not dump its device tree"
    "$lockstep" run "${common[@]}" -dtb "$work/board.dtb" --dumpdtb "$work/lockstep.dtb" || fail "-dtb --dumpdtb exited $?"
    [ "$(stat -c %s "$work/qemu.dtb")" = "$(stat -c %s "$work/lockstep.dtb")" ] ||
      fail "-dtb: lockstep's tree is $(stat -c %s "$work/lockstep.dtb") bytes, QEMU's $(stat -c %s "$work/qemu.dtb")"
    differing=$( (cmp -l "$work/qemu.dtb" "$work/lockstep.dtb" || true) | wc -l)
    [ "$differing" -le 32 ] || fail "-dtb: $differing bytes of the tree differ from QEMU's (only the 32-byte seed may)"
    timeout 600 "$qemu" "${common[@]}" -dtb "$work/board.dtb" \
      -cpu rv64,h=false,zba=false,zbb=false,zbc=false,zbs=false,sstc=false -icount shift=0,sleep=off \
      -rtc base=2026-01-01T00:00:00,clock=vm -display none -serial stdio -monitor none -no-reboot \
      </dev/null >"$work/qemu.out" 2>"$work/qemu.err" || fail "QEMU exited $? ($(tail -3 "$work/qemu.err"))"
    "$lockstep" run "${common[@]}" -dtb "$work/board.dtb" --jit=off --digest >"$work/lockstep.out" \
      2>"$work/lockstep.err" || fail "lockstep exited $? ($(tail -3 "$work/lockstep.err"))"
    for who in qemu lockstep; do
      grep -q "^workload: done" "$work/$who.out" || fail "$who: the workload did not finish"
      grep -q "reboot: Power down" "$work/$who.out" || fail "$who: no power-off"
    done
    if ! cmp -s "$work/qemu.out" "$work/lockstep.out"; then
      (diff "$work/qemu.out" "$work/lockstep.out" || true) | head -10 >&2
      fail "the console differs from QEMU's (< QEMU, > lockstep): $(cmp "$work/qemu.out" "$work/lockstep.out" | head -1)"
    fi
    echo "QEMU and lockstep agree on $(wc -l <"$work/lockstep.out") console lines, timestamps included;" \
      "$(grep -a 'ready at time' "$work/lockstep.out" | tr -d '\r'); lockstep: $(cat "$work/lockstep.err")"
    ;;
  *) fail "unknown mode $mode" ;;
esac
