#!/usr/bin/env bash
# The Linux guest of the tests and benchmarks: Debian trixie's riscv64 kernel and a busybox
# initramfs with the virtio, ext4 and net modules, whose /init prints "lockstep-linux: ready at
# time N" (bin/rdtime, from scripts/linux-rdtime.S) and starts a shell on the console with
# the prompt "(linux) # ".
#
#   linux-guest.sh OUT_DIR     writes OUT_DIR/Image, OUT_DIR/initramfs.cpio, OUT_DIR/kernel-release
#
# The packages come from Debian with Debian's own tool (mmdebstrap picks the mirror; nothing here
# names one) into a cache outside the build tree, $LOCKSTEP_CACHE or ~/.cache/lockstep, so a clean
# build does not fetch again; delete the cache to take newer packages. The initramfs is
# byte-reproducible from the cached packages: sorted newc entries, mtimes 0, owner 0:0, fixed modes.
set -euo pipefail
out=${1:?usage: linux-guest.sh OUT_DIR}
here=$(cd "$(dirname "$0")" && pwd)
cache=${LOCKSTEP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lockstep}/debian-trixie-riscv64
# Loaded in this order (dependencies are added in front by modinfo). crc32c_generic: ext4 asks the
# crypto API for crc32c, which Debian builds as a module no "depends" line names.
modules=(virtio_mmio virtio_blk virtio_net virtio-rng crc32c_generic ext4)

fail() { echo "linux-guest: $*" >&2; exit 1; }
for tool in mmdebstrap cpio modinfo xz riscv64-unknown-elf-strip riscv64-unknown-elf-gcc; do
  command -v "$tool" >/dev/null || fail "$tool is missing: run scripts/setup-deps.sh"
done

root=$cache/root
if ! compgen -G "$root/boot/vmlinux-*" >/dev/null || [ ! -x "$root/usr/bin/busybox" ]; then
  echo "linux-guest: fetching Debian trixie's riscv64 kernel and busybox-static into $cache" >&2
  rm -rf "$cache.partial"
  mkdir -p "$cache.partial"  # mmdebstrap wants the target's parent to exist
  mmdebstrap --quiet --arch=riscv64 --variant=extract --include=linux-image-riscv64,busybox-static \
    trixie "$cache.partial/root" >&2 || fail "mmdebstrap could not fetch the packages (network? see above)"
  rm -rf "$cache"
  mv "$cache.partial" "$cache"
fi

kernels=("$root"/boot/vmlinux-*)
[ ${#kernels[@]} -eq 1 ] || fail "expected one kernel in $root/boot, found ${#kernels[@]}"
kernel=${kernels[0]}
release=${kernel##*/vmlinux-}
moddir=$root/usr/lib/modules/$release
[ -d "$moddir" ] || fail "no modules for $release in $moddir"

module_file() {  # NAME -> path of NAME.ko[.xz] (file names mix - and _)
  local n=$1 f
  for f in "$n" "${n//_/-}" "${n//-/_}"; do
    f=$(find "$moddir/kernel" -name "$f.ko*" -print -quit)
    [ -n "$f" ] && { echo "$f"; return; }
  done
  fail "module $n is not in $moddir"
}

order=()
add_module() {  # depth-first: a module's dependencies come before it
  local n=${1//-/_} d
  for d in "${order[@]}"; do [ "$d" = "$n" ] && return; done
  local deps
  deps=$(modinfo -F depends "$(module_file "$1")")
  for d in ${deps//,/ }; do add_module "$d"; done
  order+=("$n")
}
for m in "${modules[@]}"; do add_module "$m"; done

mkdir -p "$out"
out=$(cd "$out" && pwd)  # the cpio is written from inside the staging tree
stage=$(mktemp -d "$out/.stage.XXXXXX")  # beside the outputs, so the final renames are atomic
trap 'rm -rf "$stage"' EXIT
ird=$stage/initramfs
mkdir -p "$ird"/{bin,dev,proc,sys,mnt,tmp,lib/modules}
install -m 0755 "$root/usr/bin/busybox" "$ird/bin/busybox"
for n in "${order[@]}"; do
  f=$(module_file "$n")
  case $f in
    *.xz) xz -dc "$f" >"$stage/$n.ko" ;;
    *) cp "$f" "$stage/$n.ko" ;;
  esac
  # Stripped as INSTALL_MOD_STRIP=1 would: that drops the symbol tables (ext4.ko 7 MB -> 0.6 MB)
  # and the appended signature, whose SHA-256 check and symbol processing cost 2.2 G guest
  # instructions (the prompt came at 3.46 G instead of 1.26 G). The kernel loads unsigned modules
  # (MODULE_SIG_FORCE is off) and only taints itself.
  riscv64-unknown-elf-strip --strip-unneeded -o "$ird/lib/modules/$n.ko" "$stage/$n.ko"
  rm "$stage/$n.ko"
  echo "$n" >>"$ird/lib/modules/load-order"
done
install -m 0755 "$here/linux-init.sh" "$ird/init"
riscv64-unknown-elf-gcc -march=rv64gc -mabi=lp64d -nostdlib -nostartfiles -static -Wl,--build-id=none -s \
  -o "$ird/bin/rdtime" "$here/linux-rdtime.S"
find "$ird" -type d -exec chmod 0755 {} +
find "$ird/lib" -type f -exec chmod 0644 {} +
# The kernel's built-in initramfs already has /dev/console; devtmpfs provides the rest.
(cd "$ird" && find . -mindepth 1 -print0 | LC_ALL=C sort -z | xargs -0 touch -h -d @0 &&
  find . -mindepth 1 -print0 | LC_ALL=C sort -z |
  cpio --quiet --null -o -H newc --reproducible -R 0:0 >"$stage/initramfs.cpio")

cp "$kernel" "$stage/Image"
echo "$release" >"$stage/kernel-release"
for f in Image initramfs.cpio kernel-release; do mv -f "$stage/$f" "$out/$f"; done
echo "linux-guest: $out/Image ($release), $out/initramfs.cpio ($(stat -c %s "$out/initramfs.cpio") bytes, modules: ${order[*]})" >&2
