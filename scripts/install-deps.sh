#!/usr/bin/env bash
# Installs what substrate and its tests need on a Debian 12 host (run as root), then the npm
# dependencies. Idempotent: already-installed packages are left alone.
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  # build engine and apt driver
  mmdebstrap debian-archive-keyring arch-test uidmap tar zstd xz-utils lbzip2 pixz gzip
  # live media
  squashfs-tools xorriso mtools dosfstools systemd-boot-efi
  # Secure Boot with the user's own keys (substrate genkey, signing in livecd-stage2)
  openssl sbsigntool efitools
  # boot testing
  qemu-system-x86 ovmf
  # boot testing of ARM ISOs: qemu-system-arm (also qemu-system-aarch64), AAVMF32 and AAVMF
  qemu-system-arm qemu-efi-arm qemu-efi-aarch64
  # tests: a tiny static userland for sandbox tests, OpenPGP for seed verification
  busybox-static gnupg gpgv attr procps qemu-user-static
  # a host kernel for the boot-failure tests (direct kernel boot that must panic)
  linux-image-cloud-amd64
  # tests: the shells the completion scripts are checked in, the browser that loads report.html
  zsh fish chromium groff-base
  # tests of the remote stage cache: a real OCI registry and a real OCI client (docs/remote.md)
  docker-registry podman runc
  # reproducibility: finds where two builds of the same inputs differ (build --verify-reproducible, tests)
  # (genisoimage's isoinfo lets diffoscope look inside ISOs instead of hex-diffing them)
  diffoscope-minimal python3-libarchive-c genisoimage
  # benchmark peer (bench/ only; small)
  util-linux
)

if [ "$(id -u)" -ne 0 ]; then
  echo "install-deps: run as root (it installs Debian packages)" >&2
  exit 1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f '${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "install-deps: substrate needs Node.js 20 or newer (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi
mkdir -p /var/cache/substrate
