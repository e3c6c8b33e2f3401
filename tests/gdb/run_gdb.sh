#!/usr/bin/env bash
# One end-to-end test: gdb_target_driver serves a guest on a unix socket in a fresh temporary
# folder (RUN_GDB_TCP=1: on a TCP port the kernel picks), gdb-multiarch runs a Python test script
# (scripts/*.py) against it. Every wait has a deadline; the exit code is gdb's (1 when a check
# failed).
#   run_gdb.sh DRIVER GDB KERNEL SCRIPT [driver options...]
set -u
driver=$1 gdb=$2 kernel=$3 script=$4
shift 4
work=$(mktemp -d "${TMPDIR:-/tmp}/lockstep-gdb.XXXXXX")
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT
listen="unix:$work/sock"
[ "${RUN_GDB_TCP:-}" = 1 ] && listen="tcp::0"
if [ "$(basename "$driver")" = lockstep ]; then
  # The product itself: `lockstep run -S -gdb unix:...`, or (RUN_GDB_TRACE=1) the same run recorded
  # first and served by `lockstep debug TRACE`. The driver's options in lockstep's spelling.
  opts=(-bios none)
  while [ $# -gt 0 ]; do
    case $1 in
      --smp) opts+=(-smp "$2"); shift 2 ;;
      --bios) opts=(-bios "$2"); shift 2 ;;
      --jit) opts+=(--jit on --jit-threshold "$2"); shift 2 ;;
      --interval) opts+=(--gdb-checkpoint-interval "$2"); shift 2 ;;
      *) echo "FAIL: run_gdb.sh cannot give $1 to lockstep"; exit 1 ;;
    esac
  done
  if [ "${RUN_GDB_TRACE:-}" = 1 ]; then
    run_opts=() debug_opts=()
    for ((i = 0; i < ${#opts[@]}; i++)); do
      if [ "${opts[$i]}" = --gdb-checkpoint-interval ]; then debug_opts+=("${opts[$i]}" "${opts[$((i + 1))]}"); i=$((i + 1))
      else run_opts+=("${opts[$i]}"); fi
    done
    "$driver" record -o "$work/run.trace" -- "${run_opts[@]}" -kernel "$kernel" >/dev/null 2>"$work/record.log" ||
      { echo "FAIL: lockstep record"; cat "$work/record.log"; exit 1; }
    "$driver" debug "$work/run.trace" -gdb "$listen" "${debug_opts[@]}" >"$work/console" 2>"$work/driver.log" &
  else
    "$driver" run "${opts[@]}" -kernel "$kernel" -gdb "$listen" -S >"$work/console" 2>"$work/driver.log" &
  fi
  pid=$!
  # Ready once the socket is there (lockstep says where it listens on stderr too).
  for _ in $(seq 200); do
    [ -S "$work/sock" ] && { echo "$work/sock" >"$work/ready"; break; }
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
else
  "$driver" --kernel "$kernel" --gdb "$listen" --port-file "$work/ready" --wait "$@" \
    >"$work/console" 2>"$work/driver.log" &
  pid=$!
  for _ in $(seq 200); do
    [ -e "$work/ready" ] && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
fi
if [ ! -e "$work/ready" ]; then
  echo "FAIL: the driver did not listen"
  cat "$work/driver.log"
  exit 1
fi
remote=$(cat "$work/ready")
[ "${RUN_GDB_TCP:-}" = 1 ] && remote="localhost:$remote"
symbols=()
case "$kernel" in *.elf) symbols=(-ex "file $kernel") ;; esac
timeout -k 5 240 "$gdb" -batch -nx -ex 'set architecture riscv:rv64' -ex 'set pagination off' "${symbols[@]}" \
  -ex "target remote $remote" -x "$script" 2>&1
rc=$?
for _ in $(seq 100); do
  kill -0 "$pid" 2>/dev/null || break
  sleep 0.05
done
echo "--- driver:"
cat "$work/driver.log"
echo "--- console:"
cat "$work/console"
exit $rc
