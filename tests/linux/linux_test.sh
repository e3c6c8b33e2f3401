#!/usr/bin/env bash
# Linux guest tests (scripts/linux-guest.sh builds the guest). Every run boots to the shell with
# an ext4 virtio disk and a virtio-net NIC on lockstep's deterministic echo host attached, answers
# the first prompt with an empty line, then runs one of two workloads:
#   disk: mount the disk, read a file, write eight files (100 KB) syncing each, checksum, unmount;
#   net:  10.0.2.15 pings the echo host 10.0.2.2 (-netdev echo,delay=2000: answers spend 2 ms of
#         virtual time on the wire) with small and 1400-byte packets at 10 ms intervals while it
#         computes, so answers are in flight while the guest is busy;
# and powers off.
#
# A base (the fixture of most tests) is made once per machine configuration: a run stopped at the
# first prompt gives its icount P; the straight disk run, from power-on, saves the machine at P
# (boot.mig); the straight net run starts from boot.mig. Tests that cut inside a workload start
# from boot.mig too (their runs skip the ~1.3 G instructions of boot; the state at P is the
# same whichever workload follows, since the first prompt is answered the same way).
#
#   linux_test.sh LOCKSTEP GUEST_DIR WORK base [-- RUN_OPTIONS]
#       make the base in WORK (RUN_OPTIONS, e.g. -M virt -smp 2, are recorded there)
#   linux_test.sh LOCKSTEP GUEST_DIR WORK engines BASE
#       the JIT from power-on through the disk workload (the disk in QEMU's spelling, if=none +
#       -device), and from boot.mig through the net workload: console, digest and disk equal the
#       base's interpreter runs
#   linux_test.sh LOCKSTEP GUEST_DIR WORK migrate BASE ENGINES CUT... [-- RUN_OPTIONS]
#       one migrated run per cut; console (source's then destination's), final digest and the disk
#       file byte for byte must equal the straight run's. ENGINES: off-off, on-on, off-on or on-off
#       (source-destination --jit). A CUT is
#         PCT       a cut PCT% into the disk run from power-on (boot cuts): the source sends its
#                   state over a unix socket to a destination sharing the disk file;
#         PCT@io    a cut PCT% into the disk workload (after P), from boot.mig: the source saves at
#                   the cut (--save-at, --max-insns) and the destination loads that file on the
#                   same disk file. The cut must fall inside the writes: the disk at the cut holds
#                   some of them and not all (a kernel update can move them; the test then says so);
#         PCT@net   the same in the net workload; the saved state must hold echo answers in flight
#                   (section lockstep/netdev-echo not empty).
#       PCT may be fractional. When BASE has no base yet, it is made first with RUN_OPTIONS.
#       LINUX_TEST_PLANT=fresh-disk-at-destination: a test-only switch that loses the source's disk
#       writes; any other LINUX_TEST_PLANT names a planted lockstep build: each cut must then fail.
#   linux_test.sh LOCKSTEP GUEST_DIR WORK scan BASE [STEP]
#       by hand: which PCT@io and PCT@net cuts (every STEP%, default 1) test what they claim
#   linux_test.sh LOCKSTEP GUEST_DIR WORK blocker BASE
#       a snapshot=on disk: a save before the guest's first write goes through, one after the
#       writes is refused in QEMU's words and writes nothing
#   linux_test.sh LOCKSTEP GUEST_DIR WORK qemu
#       the guest on Debian's QEMU 7.2 (-icount shift=0,sleep=off, restricted to lockstep's ISA) and
#       on lockstep, from power-on through a userspace workload to power-off (LINUX_QEMU_RUN=poweroff:
#       to power-off right after the prompt's "ready" line), both given lockstep's device tree (-dtb)
#       and -seed 1 (so QEMU's /chosen/rng-seed is not random and lockstep writes the same): the
#       console must be equal byte for byte, kernel timestamps included, and so the guest's clock at
#       the shell prompt ("ready at time N": instructions / 100).
set -euo pipefail
lockstep=$1 guest=$2 work=$3 mode=$4
shift 4
rm -rf "$work"
mkdir -p "$work"

fail() { echo "FAIL: $*" >&2; exit 1; }

prompt="(linux) # "
boot_opts=(-m 256M -kernel "$guest/Image" -initrd "$guest/initramfs.cpio" -append "console=ttyS0 quiet")
# After the disk: an if=virtio disk takes the first virtio-mmio slot whatever the order, a -device
# disk only when it comes first (QEMU's rule), and the two spellings must make the same machine.
nic_opts=(-netdev echo,id=n0,delay=2000 -device virtio-net-device,netdev=n0)
# Eight files, each synced: the disk writes spread over much of the workload, not one burst.
disk_script=(--send-on "$prompt" '\n'
  --send-on "$prompt" 'mount -t ext4 /dev/vda /mnt && cat /mnt/hello.txt && for i in 1 2 3 4 5 6 7 8; do seq $i 8 20000 > /mnt/seq$i.txt; sync; done; cat /mnt/seq*.txt | md5sum && umount /mnt && echo io-done\n'
  --send-on "$prompt" 'poweroff -f\n')
net_script=(--send-on "$prompt" '\n'
  --send-on "$prompt" 'ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && echo net-start && (ping -c 30 -i 0.01 10.0.2.2 | tail -2 >/tmp/p1 &) && (ping -c 30 -i 0.01 -s 1400 10.0.2.2 | tail -2 >/tmp/p2 &) && seq 1 NET_LINES | md5sum && sleep 1 && cat /tmp/p1 /tmp/p2 /sys/class/net/eth0/statistics/rx_packets && echo net-done\n'
  --send-on "$prompt" 'poweroff -f\n')
net_script[5]=${net_script[5]/NET_LINES/${LINUX_NET_LINES:-30000}}

new_disk() {  # FILE: the disk every run starts from
  local files=$work/disk-files
  mkdir -p "$files"
  echo "hello from the ext4 disk" >"$files/hello.txt"
  # Fixed UUID, hash seed and time: the same image every time, so runs compare byte for byte.
  E2FSPROGS_FAKE_TIME=1700000000 mkfs.ext4 -q -F -b 1024 -U 6c0c5c2a-5d0e-4e51-9c41-9d6f2b0e7c11 \
    -E hash_seed=3e6c8d3e-9a57-4d7e-a3a9-2f6b1a3c9e55,root_owner=0:0 -d "$files" "$1" 4M >/dev/null
}

# run_guest NAME DISK_IMAGE [run options]: one run, console to NAME.out, stderr to NAME.err, the
# digest line to NAME.digest; any exit but 0 and 3 (--max-insns) fails.
spelling=if=virtio  # or QEMU's if=none,id=d0 with -device virtio-blk-device,drive=d0
run_guest() {
  local name=$1 img=$2 code=0
  shift 2
  local disk=(-drive "file=$img,format=raw,$spelling")
  [ "$spelling" = if=virtio ] || disk=(-drive "file=$img,format=raw,if=none,id=d0" -device virtio-blk-device,drive=d0)
  "$lockstep" run "${boot_opts[@]}" "${extra[@]}" "${disk[@]}" "${nic_opts[@]}" --digest "$@" >"$work/$name.out" 2>"$work/$name.err" || code=$?
  [ $code = 0 ] || [ $code = 3 ] || fail "$name: exit $code ($(tail -3 "$work/$name.err"))"
  grep '^digest ' "$work/$name.err" | tail -1 >"$work/$name.digest" || fail "$name: no digest line"
}
icount_of() { cut -d' ' -f2 "$1"; }

check_console() {  # FILE WORKLOAD: what the guest must have printed
  local out=$1
  grep -q "lockstep-linux: ready" "$out" || fail "$out: the init did not finish"
  if [ "$2" = net ]; then
    [ "$(grep -c '30 packets transmitted, 30 packets received, 0% packet loss' "$out")" = 2 ] ||
      fail "$out: not every ping was answered ($(grep -a 'packets transmitted' "$out" | tr -d '\r' | tr '\n' ' '))"
    grep -q "^net-done" "$out" || fail "$out: the network workload did not finish"
  else
    grep -q "hello from the ext4 disk" "$out" || fail "$out: the disk file was not read"
    grep -q "^io-done" "$out" || fail "$out: the disk write did not complete"
  fi
  grep -q "reboot: Power down" "$out" || fail "$out: no power-off"
  if grep -q "did not load" "$out"; then fail "$out: a module did not load"; fi
}

same() {  # REF_PREFIX PREFIX: console, digest and disk (PREFIX.out, .digest, .img) equal
  local a=$1 b=$2
  cmp -s "$a.out" "$b.out" || { (diff "$a.out" "$b.out" || true) | head -20 >&2; fail "$(basename "$b"): console differs from $a's"; }
  cmp -s "$a.digest" "$b.digest" || fail "$(basename "$b"): $(cat "$b.digest") where $(basename "$a") has $(cat "$a.digest")"
  cmp -s "$a.img" "$b.img" || fail "$(basename "$b"): the disk image differs from $(basename "$a")'s ($(cmp "$a.img" "$b.img" | head -1))"
}

# echo_answers_in_flight STREAM: answers the echo host holds in a saved machine
echo_answers_in_flight() {
  "$lockstep" snapshot dump --json "$1" 2>/dev/null |
    python3 -c 'import json,sys; d=json.load(sys.stdin); print(int([x for x in d["devices"] if x["name"]=="lockstep/netdev-echo"][0]["fields"]["count"], 16))' 2>/dev/null || echo 0
}
# inside_writes IMAGE: true when the disk IMAGE holds some of the straight run's writes and not all
# (more than 64 bytes either way: mounting alone rewrites 14 bytes of the superblock); sets
# done_bytes and left_bytes.
inside_writes() {
  done_bytes=$( (cmp -l "$base/disk.img" "$1" || true) | wc -l)
  left_bytes=$( (cmp -l "$base/straight.img" "$1" || true) | wc -l)
  [ "$done_bytes" -gt 64 ] && [ "$left_bytes" -gt 64 ]
}

# make_base DIR [straight]: the fixture described at the top, with the options in $extra
# ("straight": only the straight disk run, enough for boot cuts).
make_base() {
  local base=$1 saved_work=$work
  mkdir -p "$base"
  work=$base
  printf '%s\n' "${extra[@]}" >"$base/options"
  new_disk "$base/disk.img"
  if [ "${2:-}" = straight ]; then
    cp "$base/disk.img" "$base/straight.img"
    run_guest straight "$base/straight.img" --jit=off "${disk_script[@]}"
    check_console "$base/straight.out" disk
    work=$saved_work
    return
  fi
  cp "$base/disk.img" "$base/boot.img"
  run_guest boot "$base/boot.img" --jit=off --stop-on "$prompt"
  local p
  p=$(icount_of "$base/boot.digest")
  cmp -s "$base/disk.img" "$base/boot.img" || fail "base: the guest wrote its disk before the first prompt: boot.mig would not fit disk.img"
  cp "$base/disk.img" "$base/straight.img"
  run_guest straight "$base/straight.img" --jit=off "${disk_script[@]}" --save-at "$p=$base/boot.mig"
  check_console "$base/straight.out" disk
  cmp -s "$base/boot.out" <(head -c "$(stat -c %s "$base/boot.out")" "$base/straight.out") ||
    fail "base: the straight run's console up to the prompt differs from the stopped run's"
  cp "$base/disk.img" "$base/net.img"
  run_guest net-from-boot "$base/net.img" --jit=off --incoming "$base/boot.mig" "${net_script[@]}"
  cat "$base/boot.out" "$base/net-from-boot.out" >"$base/net.out"
  cp "$base/net-from-boot.digest" "$base/net.digest"
  check_console "$base/net.out" net
  echo "$p" >"$base/prompt.icount"
  echo "base: first prompt at icount $p; disk run $(icount_of "$base/straight.digest"), net run $(icount_of "$base/net.digest") instructions"
  work=$saved_work
}

# use_base BASE [straight|full] [-- RUN_OPTIONS]: make it when missing; its options become $extra.
use_base() {
  base=$1
  shift
  local what=full
  case ${1:-} in straight | full) what=$1; shift ;; esac
  extra=(-M virt)
  [ $# -gt 0 ] && [ "$1" = -- ] && { shift; extra=("$@"); }
  if [ ! -s "$base/options" ]; then
    make_base "$base" $what
  else
    local recorded
    mapfile -t recorded <"$base/options"
    [ $# -eq 0 ] || [ "${recorded[*]}" = "${extra[*]}" ] || fail "$base was made with '${recorded[*]}', not '${extra[*]}'"
    extra=("${recorded[@]}")
  fi
  prompt_icount=$(cat "$base/prompt.icount" 2>/dev/null || echo none)
}

case $mode in
  base)
    extra=(-M virt)
    [ $# -gt 0 ] && [ "$1" = -- ] && { shift; extra=("$@"); }
    rm -rf "$work"
    make_base "$work"
    ;;
  engines)
    use_base "$1"
    spelling=if=none  # QEMU's spelling of a virtio-mmio disk, here end to end
    cp "$base/disk.img" "$work/jit.img"
    run_guest jit "$work/jit.img" --jit=on "${disk_script[@]}"
    check_console "$work/jit.out" disk
    same "$base/straight" "$work/jit"
    cp "$base/disk.img" "$work/jit-net.img"
    run_guest jit-net-from-boot "$work/jit-net.img" --jit=on --incoming "$base/boot.mig" "${net_script[@]}"
    cat "$base/boot.out" "$work/jit-net-from-boot.out" >"$work/jit-net.out"
    cp "$work/jit-net-from-boot.digest" "$work/jit-net.digest"
    same "$base/net" "$work/jit-net"
    echo "interpreter and JIT agree: disk run $(cat "$work/jit.digest"), net run $(cat "$work/jit-net.digest")"
    ;;
  migrate)
    base_dir=$1 engines=$2
    shift 2
    src_jit=${engines%-*} dst_jit=${engines#*-}
    cuts=()
    what=straight
    while [ $# -gt 0 ] && [ "$1" != -- ]; do
      cuts+=("$1")
      [[ $1 != *@* ]] || what=full
      shift
    done
    use_base "$base_dir" $what "$@"
    for spec in "${cuts[@]}"; do
      detail=
      pct=${spec%@*}
      kind=boot
      [ "$spec" = "$pct" ] || kind=${spec#*@}
      case $kind in
        boot | io) ref=$base/straight script=("${disk_script[@]}") ;;
        net) ref=$base/net script=("${net_script[@]}") ;;
        *) fail "$spec: expected PCT, PCT@io or PCT@net" ;;
      esac
      from=0
      if [ $kind != boot ]; then
        [ "$prompt_icount" != none ] || fail "$spec: $base has no boot.mig (made for boot cuts only)"
        from=$prompt_icount
      fi
      total=$(icount_of "$ref.digest")
      cut=$(awk -v a="$from" -v t="$total" -v p="$pct" 'BEGIN { printf "%d", a + (t - a) * p / 100 }')
      name=cut-$kind-$pct
      cp "$base/disk.img" "$work/$name.img"
      dst_img=$work/$name.img
      if [ "${LINUX_TEST_PLANT:-}" = fresh-disk-at-destination ]; then
        # Test-only: the destination gets the disk as it was before the run, not the source's
        # file, so writes made before the cut are lost: the checks below must notice.
        cp "$base/disk.img" "$work/$name.fresh.img"
        dst_img=$work/$name.fresh.img
      fi
      if [ $kind = boot ]; then
        sock=$work/$name.sock
        run_guest "$name.dst" "$dst_img" "${script[@]}" --jit="$dst_jit" --incoming "unix:$sock" --incoming-timeout 300 &
        dst=$!
        for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
        run_guest "$name.src" "$work/$name.img" "${script[@]}" --jit="$src_jit" --migrate-at "$cut=unix:$sock"
        dst_ok=0
        wait $dst || dst_ok=$?
        : >"$work/$name.before"
      else
        run_guest "$name.src" "$work/$name.img" "${script[@]}" --jit="$src_jit" --incoming "$base/boot.mig" \
          --save-at "$cut=$work/$name.mig" --max-insns "$cut"
        [ -s "$work/$name.mig" ] || fail "$name: the source did not save at $cut ($(tail -2 "$work/$name.src.err"))"
        if [ $kind = io ]; then
          if ! inside_writes "$work/$name.img"; then
            fail "$name: the cut at $cut is not inside the disk writes any more ($done_bytes bytes written, $left_bytes to come): choose another percentage"
          fi
          detail="$done_bytes disk bytes written, $left_bytes to come"
        else
          in_flight=$(echo_answers_in_flight "$work/$name.mig")
          [ "$in_flight" -gt 0 ] || fail "$name: no echo answer is in flight at the cut at $cut: choose another percentage"
          detail="$in_flight echo answer(s) in flight"
        fi
        [ "$dst_img" = "$work/$name.img" ] || cp "$base/disk.img" "$dst_img"
        dst_ok=0
        (run_guest "$name.dst" "$dst_img" "${script[@]}" --jit="$dst_jit" --incoming "$work/$name.mig") || dst_ok=$?
        cp "$base/boot.out" "$work/$name.before"
      fi
      if [ $dst_ok != 0 ]; then
        # A planted bug may also break the destination outright: caught, too.
        [ -n "${LINUX_TEST_PLANT:-}" ] && { echo "planted bug caught at $cut ($spec): the destination failed ($(tail -1 "$work/$name.dst.err"))"; continue; }
        fail "$name: the destination failed"
      fi
      cat "$work/$name.before" "$work/$name.src.out" "$work/$name.dst.out" >"$work/$name.out"
      cp "$work/$name.dst.digest" "$work/$name.digest"
      [ "$dst_img" = "$work/$name.img" ] || cp "$dst_img" "$work/$name.img"
      if [ -n "${LINUX_TEST_PLANT:-}" ]; then
        if (same "$ref" "$work/$name") 2>"$work/$name.caught"; then
          fail "$name: the planted bug ($LINUX_TEST_PLANT) went unnoticed"
        fi
        echo "planted bug caught at $cut ($spec): $(cat "$work/$name.caught")"
        continue
      fi
      same "$ref" "$work/$name"
      rm -f "$work/$name.mig"
      echo "cut at $cut ($spec${detail:+: $detail}, --jit $src_jit -> $dst_jit): console, digest and disk equal the straight run's"
    done
    ;;
  scan)
    # By hand, to choose cuts (after a kernel update, say): in each workload, at every STEP% (1),
    # whether a cut there is inside the writes (@io) and how many echo answers are in flight (@net).
    use_base "$1"
    step=${2:-1}
    for kind in io net; do
      if [ $kind = io ]; then ref=$base/straight script=("${disk_script[@]}"); else ref=$base/net script=("${net_script[@]}"); fi
      total=$(icount_of "$ref.digest")
      if [ $kind = net ]; then  # one run, a save at every step
        saves=()
        for pct in $(seq "$step" "$step" 99); do
          saves+=(--save-at "$((prompt_icount + (total - prompt_icount) * pct / 100))=$work/$kind-$pct.mig")
        done
        cp "$base/disk.img" "$work/$kind.img"
        run_guest "scan-$kind" "$work/$kind.img" --jit=off --incoming "$base/boot.mig" "${script[@]}" "${saves[@]}"
      fi
      line=
      for pct in $(seq "$step" "$step" 99); do
        if [ $kind = io ]; then
          # The disk is not in the stream: a run to the cut gives it.
          cp "$base/disk.img" "$work/probe.img"
          run_guest probe "$work/probe.img" --jit=off --incoming "$base/boot.mig" "${script[@]}" --max-insns \
            "$((prompt_icount + (total - prompt_icount) * pct / 100))"
          ! inside_writes "$work/probe.img" || line+=" $pct"
        else
          n=$(echo_answers_in_flight "$work/$kind-$pct.mig")
          [ "$n" = 0 ] || line+=" $pct($n)"
        fi
        rm -f "$work/$kind-$pct.mig"
      done
      [ $kind = io ] && echo "@io cuts inside the writes:$line" || echo "@net cuts with answers in flight (count):$line"
    done
    ;;
  blocker)
    use_base "$1"
    # A snapshot=on disk keeps the guest's writes in this process only: a save before any write
    # goes through, one after the writes is refused in QEMU's words, and nothing is written.
    total=$(icount_of "$base/straight.digest")
    early=$((prompt_icount + 1000)) late=$((prompt_icount + (total - prompt_icount) * 99 / 100))
    overlay=(-drive "file=$base/disk.img,format=raw,if=virtio,snapshot=on")
    "$lockstep" run "${boot_opts[@]}" "${extra[@]}" "${overlay[@]}" "${nic_opts[@]}" "${disk_script[@]}" --jit=off --incoming "$base/boot.mig" \
      --save-at "$early=$work/early.mig" --max-insns "$early" >/dev/null 2>"$work/early.err" ||
      [ $? = 3 ] || fail "the save before any write failed: $(tail -1 "$work/early.err")"
    [ -s "$work/early.mig" ] || fail "the save before any write wrote nothing"
    if "$lockstep" run "${boot_opts[@]}" "${extra[@]}" "${overlay[@]}" "${nic_opts[@]}" "${disk_script[@]}" --jit=off --incoming "$base/boot.mig" \
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
            -append "console=ttyS0 no5lvl LOCKSTEP_RUN=${LINUX_QEMU_RUN:-workload}")
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
      [ "${LINUX_QEMU_RUN:-workload}" != workload ] || grep -q "^workload: done" "$work/$who.out" || fail "$who: the workload did not finish"
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
