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
echo "lockstep-linux: ready"
export PS1='(linux) # '
exec setsid cttyhack sh
