#!/usr/bin/env bash
# Installs the Debian 12 packages lockstep needs, only those missing. Idempotent and quick when all are present.
set -euo pipefail
packages=(
  build-essential cmake ninja-build ccache pkg-config
  libfmt-dev libcli11-dev doctest-dev libxxhash-dev libzstd-dev libfdt-dev nlohmann-json3-dev libslirp-dev
  llvm-14-dev clang-14 libclang-rt-14-dev
  gcc-riscv64-unknown-elf binutils-riscv64-unknown-elf
  gdb-multiarch
  qemu-system-misc qemu-system-x86 opensbi u-boot-qemu device-tree-compiler
  mmdebstrap cpio kmod xz-utils e2fsprogs python3
)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0
echo "setup: installing ${missing[*]}" >&2
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO="sudo"
$SUDO apt-get update -q >/dev/null
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}" >/dev/null
