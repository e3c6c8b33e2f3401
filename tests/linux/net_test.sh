#!/usr/bin/env bash
# The Linux guest on real networks (host backends; the deterministic ones are linux_test.sh's
# net workload).
#
#   net_test.sh LOCKSTEP GUEST_DIR WORK http
#       -netdev user (libslirp): the guest fetches a file over HTTP from a server this script starts
#       on 127.0.0.1 (the guest sees it as 10.0.2.2) and prints its md5, which must be the file's.
#       The run is recorded; the server is stopped and the trace replayed: same console, same digest
#       (the packets came from the trace, not the network).
#   net_test.sh LOCKSTEP GUEST_DIR WORK pair
#       two guests on one wire (-netdev socket, listen= and connect=): each pings the other.
set -euo pipefail
lockstep=$1 guest=$2 work=$3 mode=$4
rm -rf "$work"
mkdir -p "$work"
fail() { echo "FAIL: $*" >&2; exit 1; }
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

run_opts=(-m 256M -kernel "$guest/Image" -initrd "$guest/initramfs.cpio" -append "console=ttyS0 quiet")
# A free TCP port on the loopback (the kernel picks it; a race with another process is unlikely).
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

case $mode in
  http)
    mkdir -p "$work/www"
    seq 1 60000 >"$work/www/data.txt"  # 353 KB
    want=$(md5sum <"$work/www/data.txt" | cut -d' ' -f1)
    port=$(free_port)
    python3 -m http.server --bind 127.0.0.1 --directory "$work/www" "$port" >"$work/server.log" 2>&1 &
    pids+=($!)
    for _ in $(seq 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $port))" 2>/dev/null && break; sleep 0.1; done
    script=(--send-on "(linux) # " "ifconfig eth0 10.0.2.15 netmask 255.255.255.0 up && route add default gw 10.0.2.2 && wget -q -O - http://10.0.2.2:$port/data.txt | md5sum && echo net-done\\n"
            --send-on "(linux) # " 'poweroff -f\n')
    timeout 600 "$lockstep" record -o "$work/http.trace" -- "${run_opts[@]}" -netdev user,id=n0 \
      -device virtio-net-device,netdev=n0 "${script[@]}" --digest >"$work/record.out" 2>"$work/record.err" ||
      fail "record exited $? ($(tail -3 "$work/record.err"))"
    grep -q "^$want" "$work/record.out" || fail "the guest's md5 is not the file's ($want): $(grep -a -A1 'wget' "$work/record.out" | tail -1)"
    grep -q "reboot: Power down" "$work/record.out" || fail "no power-off"
    grep -q '"GET /data.txt' "$work/server.log" || fail "the server never saw the request"
    cleanup
    pids=()
    timeout 600 "$lockstep" replay "$work/http.trace" --digest >"$work/replay.out" 2>"$work/replay.err" ||
      fail "replay exited $? ($(tail -3 "$work/replay.err"))"
    cmp -s "$work/record.out" "$work/replay.out" || { (diff "$work/record.out" "$work/replay.out" || true) | head >&2; fail "the replay's console differs"; }
    rec=$(grep '^digest ' "$work/record.err" | tail -1) rep=$(grep '^digest ' "$work/replay.err" | tail -1)
    [ -n "$rec" ] && [ "$rec" = "$rep" ] || fail "digests: record '$rec', replay '$rep'"
    echo "HTTP over -netdev user: md5 $want; replayed without the server: $rep"
    ;;
  pair)
    port=$(free_port)
    # Each pings the other once it answers (a bounded wait for the peer to boot), then three
    # times, then waits for the peer's pings before powering off.
    talk() {  # ME PEER
      echo "ifconfig eth0 $1 netmask 255.255.255.0 up && for i in \$(seq 120); do ping -c 1 -W 1 $2 >/dev/null && break; done; ping -c 3 $2 | tail -2; sleep 3; echo pair-done\\n"
    }
    timeout 600 "$lockstep" run "${run_opts[@]}" -netdev "socket,id=n0,listen=127.0.0.1:$port" \
      -device virtio-net-device,netdev=n0 --send-on "(linux) # " "$(talk 10.0.3.1 10.0.3.2)" \
      --send-on "(linux) # " 'poweroff -f\n' >"$work/a.out" 2>"$work/a.err" &
    a=$!
    pids+=($a)
    # Until a listens (read from /proc: a test connection would be taken as its peer).
    hexport=$(printf '%04X' "$port")
    for _ in $(seq 100); do grep -q ":$hexport 00000000:0000 0A" /proc/net/tcp && break; sleep 0.1; done
    timeout 600 "$lockstep" run "${run_opts[@]}" -netdev "socket,id=n0,connect=127.0.0.1:$port" \
      -device virtio-net-device,netdev=n0,mac=52:54:00:12:34:57 --send-on "(linux) # " "$(talk 10.0.3.2 10.0.3.1)" \
      --send-on "(linux) # " 'poweroff -f\n' >"$work/b.out" 2>"$work/b.err" || fail "guest b exited $? ($(tail -3 "$work/b.err"))"
    wait $a || fail "guest a exited $? ($(tail -3 "$work/a.err"))"
    pids=()
    for g in a b; do
      grep -q "3 packets transmitted, 3 packets received, 0% packet loss" "$work/$g.out" ||
        fail "guest $g: $(grep -a 'packets transmitted' "$work/$g.out" || echo 'no ping summary') "
      grep -q "^pair-done" "$work/$g.out" || fail "guest $g did not finish"
    done
    echo "two guests over -netdev socket: each got 3 of 3 ping replies"
    ;;
  *) fail "unknown mode $mode" ;;
esac
