#!/bin/bash
# The divergence search (lockstep replay --compare) on a real recording, for one kind of
# difference: it must name the instruction and the field, or find none where there is none.
#   divergence.sh LOCKSTEP GUEST_DIR OPENSBI UBOOT WORKDIR MODE
# MODE: engine (recorded interpreter vs --jit on), migration (vs migrated in memory at a cut),
#       version (recorded on virt vs -M virt-2.0). Prints the search's report; exit status is the
#       search's (0 agree, 2 diverged) or 1 when the set-up failed.
set -u
lockstep=$1 guests=$2 opensbi=$3 uboot=$4 dir=$5 mode=$6
rm -rf "$dir" && mkdir -p "$dir" || exit 1
trace=$dir/t.trace
case $mode in
  engine)
    "$lockstep" record -o "$trace" -- -bios none -kernel "$guests/int_workload_short.elf" --jit off >/dev/null || exit 1
    changes=(--jit on --jit-threshold 200) ;;
  migration)
    # U-Boot writes the UART's scratch register (mw.b), typed on a piped stdin; migrated after that.
    { printf ' '; for i in $(seq 24); do printf '\r'; done; printf 'mw.b 0x10000007 0x5a\r'; } > "$dir/typed"
    "$lockstep" record -o "$trace" -- -bios "$opensbi" -kernel "$uboot" -serial stdio --max-insns 90000000 \
      < "$dir/typed" > "$dir/console" 2>/dev/null
    [ $? -eq 3 ] || exit 1
    changes=(--migrate-at 85000000) ;;
  version)
    "$lockstep" record -o "$trace" -- -M virt -bios none -kernel "$guests/triggers.elf" > /dev/null || exit 1
    changes=(-M virt-2.0) ;;
  *) echo "unknown mode $mode"; exit 1 ;;
esac
"$lockstep" replay "$trace" --compare -- "${changes[@]}"
