#!/bin/busybox sh
# /init of the Linux test guest (scripts/linux-guest.sh packs it). Tests drive the shell through
# the console: wait for "(linux) # ", type a command. Modules load in the order the packer resolved.
/bin/busybox --install -s /bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
for m in $(cat /lib/modules/load-order); do
  insmod /lib/modules/$m.ko || echo "init: module $m did not load"
done
# The guest's clock here (instructions / 100 under -icount shift=0) is what the QEMU comparison checks.
echo "lockstep-linux: ready at time $(/bin/rdtime)"
# LOCKSTEP_RUN=... on the kernel command line (no dot: the kernel hands it to init as a variable)
# runs without a console script: what `lockstep bench` times, on lockstep and on QEMU alike.
case "${LOCKSTEP_RUN:-}" in
  poweroff) poweroff -f ;;
  workload)  # userspace work: generate, compress and hash 1.3 MB
    seq 1 200000 >/tmp/data && gzip -c /tmp/data | md5sum && sha256sum /tmp/data && echo "workload: done"
    poweroff -f ;;
esac
export PS1='(linux) # '
exec setsid cttyhack sh
