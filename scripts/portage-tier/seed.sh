#!/bin/bash
# Builds the Portage seed of the real-Portage test tier (issue 13, item 1): a Debian bookworm
# root made by mmdebstrap with the vendored Portage 3.0.82 installed into it, packed as a
# Gentoo-style stage3-amd64-systemd-<stamp>.tar.xz. Run as root. See docs/real-portage-tier.md.
#
#   scripts/portage-tier/seed.sh            build (or reuse) the seed, print its path
#   scripts/portage-tier/seed.sh --key      print the cache key only
#
# The result is cached in $PORTAGE_TIER_CACHE (default /var/cache/substrate/portage-tier) under
# seeds/<key>/, where <key> hashes this script, the Portage tarball's digest, the package list,
# the suite and the architecture. Every mount (mmdebstrap's proc, sys, dev) happens in a private
# mount namespace; the script compares /proc/1/mountinfo before and after and fails if anything
# stayed in the host's mount table.
#   SEED_ARCH=armhf scripts/portage-tier/seed.sh   (or --arch armhf first): the armhf seed #arch
#   stage3-armv7a_hardfp-openrc-<stamp>.tar.xz, profile default/linux/arm/23.0/armv7a, made #arch
#   under qemu-arm (binfmt_misc with the F flag; see docs/real-portage-tier.md, "armv7a"). #arch
# Lines ending in "#arch" are that parameter. The amd64 key leaves them out, so it is the key #arch
# of the script before the parameter existed and amd64 seeds already cached stay valid. #arch
set -euo pipefail

PORTAGE_SHA256=b5b9a6896132a9a4b042d76a75454bf3e621dd8a819cd6a853443a10f1b1142f
PORTAGE_VERSION=3.0.82
SUITE=bookworm
ARCH=amd64
if [ "${1:-}" = --arch ]; then export SEED_ARCH=$2; shift 2; fi #arch
ARCH=${SEED_ARCH:-$ARCH} #arch
case $ARCH in #arch
  amd64) SEED_NAME=stage3-amd64-systemd PROFILE=default/linux/amd64/23.0/systemd QEMU= ;; #arch
  armhf) SEED_NAME=stage3-armv7a_hardfp-openrc PROFILE=default/linux/arm/23.0/armv7a QEMU=qemu-arm ;; #arch
  *) echo "seed.sh: unknown SEED_ARCH $ARCH (amd64 or armhf)" >&2 && exit 1 ;; #arch
esac #arch
MIRROR=${PORTAGE_TIER_MIRROR:-http://deb.debian.org/debian}
CACHE=${PORTAGE_TIER_CACHE:-/var/cache/substrate/portage-tier}

self=$(readlink -f "$0")
here=$(dirname "$self")
repo=$(cd "$here/../.." && pwd)

die() {
  echo "seed.sh: $*" >&2
  exit 1
}

# The vendored tarball lives beside the repository: $(repo)/../shared/vendor/. A git worktree
# lives elsewhere, so its main checkout (the parent of the common git dir) is tried next.
find_portage_tarball() {
  local name=portage-$PORTAGE_VERSION.tar.xz candidates=() common
  [ -n "${PORTAGE_TARBALL:-}" ] && candidates+=("$PORTAGE_TARBALL")
  candidates+=("$repo/../shared/vendor/$name")
  if common=$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir 2>/dev/null); then
    candidates+=("$(dirname "$common")/../shared/vendor/$name")
  fi
  local c
  for c in "${candidates[@]}"; do
    if [ -f "$c" ]; then
      readlink -f "$c"
      return 0
    fi
  done
  die "no $name in ${candidates[*]}"
}

package_list() {
  sed -e 's/#.*//' -e 's/[[:space:]]//g' "$here/seed-packages.txt" | grep -v '^$' | sort -u
}

# ---------------------------------------------------------------------------------------------
# --customize ROOT: run by mmdebstrap as its customize hook (its mounts are active in ROOT).
customize() {
  local root=$1 tarball=$2 key=$3
  tar -xJf "$tarball" -C "$root/tmp"
  local src=/tmp/portage-$PORTAGE_VERSION
  if chroot "$root" sh -c 'command -v meson && command -v ninja' >/dev/null; then
    chroot "$root" sh -ec "cd $src
      meson setup --prefix=/usr --sysconfdir=/etc -Dnative-extensions=false -Ddoc=false \
        -Drsync-verify=false /tmp/portage-build >/tmp/portage-meson.log
      meson install -C /tmp/portage-build >>/tmp/portage-meson.log"
    rm -rf "$root/tmp/portage-build" "$root/tmp/portage-meson.log" "$root$src"
    echo meson >"$root/tmp/.portage-install-kind"
  else
    # Run from the tree: /usr/lib/portage holds it, a .pth makes `import portage` work.
    mv "$root$src" "$root/usr/lib/portage"
    local site
    site=$(chroot "$root" python3 -c 'import sysconfig; print(sysconfig.get_path("purelib"))')
    mkdir -p "$root$site" "$root/usr/share/portage"
    echo /usr/lib/portage/lib >"$root$site/portage.pth"
    ln -s ../../lib/portage/cnf "$root/usr/share/portage/config"
    local b
    for b in emerge ebuild portageq env-update etc-update emaint quickpkg; do
      ln -sf ../lib/portage/bin/$b "$root/usr/bin/$b"
    done
    echo tree >"$root/tmp/.portage-install-kind"
  fi
  # Portage >= 3.0.70 unpacks with gtar.
  ln -sf tar "$root/usr/bin/gtar"
  chroot "$root" groupadd -g 250 portage
  chroot "$root" useradd -r -u 250 -g portage -d /var/lib/portage/home -M -s /usr/sbin/nologin \
    -c "portage" portage
  mkdir -p "$root/var/lib/portage/home"
  chown 250:250 "$root/var/lib/portage/home"
  # env-update rewrites /etc/ld.so.conf from env.d LDPATH entries; keep Debian's paths there.
  local ldpath
  ldpath=$(cat "$root"/etc/ld.so.conf.d/*.conf | sed -e 's/#.*//' | grep -v '^[[:space:]]*$' |
    paste -sd: -)
  mkdir -p "$root/etc/env.d"
  printf '# Debian library paths, kept when env-update rewrites /etc/ld.so.conf\nLDPATH="%s"\n' \
    "$ldpath" >"$root/etc/env.d/00debian"
  mkdir -p "$root/etc/portage" "$root/var/db/repos/gentoo" "$root/var/cache/distfiles" \
    "$root/var/cache/binpkgs"
  cat >"$root/etc/portage/make.conf" <<'EOF'
# Portage seed of substrate's real-Portage tier (a Debian root, not a Gentoo stage3).
# Debian has no sandbox binary: build unsandboxed without the warning.
FEATURES="-sandbox -usersandbox"
EOF
  ln -sfn ../../var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd \
    "$root/etc/portage/make.profile"
  ln -sfn "../../var/db/repos/gentoo/profiles/$PROFILE" "$root/etc/portage/make.profile" #arch
  local kind
  kind=$(cat "$root/tmp/.portage-install-kind")
  rm -f "$root/tmp/.portage-install-kind"
  cat >"$root/etc/substrate-seed" <<EOF
kind=portage-tier-seed
key=$key
suite=$SUITE
arch=$ARCH
portage=$PORTAGE_VERSION
portage_sha256=$PORTAGE_SHA256
portage_install=$kind
EOF
  # It must work before it is packed.
  chroot "$root" python -c 'import portage, sys; sys.exit(portage.VERSION != "'$PORTAGE_VERSION'")' ||
    die "import portage failed in the seed"
  chroot "$root" emerge --version >/dev/null 2>&1 || die "emerge --version failed in the seed"
}

if [ "${1:-}" = --customize ]; then
  customize "$2" "$3" "$4"
  exit 0
fi

# ---------------------------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root"
tarball=$(find_portage_tarball)
actual=$(sha256sum "$tarball" | cut -d' ' -f1)
[ "$actual" = "$PORTAGE_SHA256" ] ||
  die "$tarball: sha256 $actual, expected $PORTAGE_SHA256; refusing it"

key=$({
  echo "suite=$SUITE arch=$ARCH mirror=$MIRROR portage=$PORTAGE_SHA256"
  cat "$self"
  package_list
} | sha256sum | cut -c1-16)
key=$({ #arch
  echo "suite=$SUITE arch=$ARCH mirror=$MIRROR portage=$PORTAGE_SHA256" #arch
  if [ "$ARCH" = amd64 ]; then grep -v ' #arch$' "$self"; else cat "$self"; fi #arch
  package_list #arch
} | sha256sum | cut -c1-16) #arch
if [ "${1:-}" = --key ]; then
  echo "$key"
  exit 0
fi

dir=$CACHE/seeds/$key
existing=$( (find "$dir" -maxdepth 1 -name 'stage3-amd64-systemd-*.tar.xz' 2>/dev/null || true) | sort | tail -1)
existing=$( (find "$dir" -maxdepth 1 -name "$SEED_NAME-*.tar.xz" 2>/dev/null || true) | sort | tail -1) #arch
if [ -n "$existing" ] && [ -f "$existing.sha256" ] &&
  (cd "$dir" && sha256sum --quiet -c "$(basename "$existing").sha256" >/dev/null 2>&1); then
  echo "$existing"
  exit 0
fi

# A foreign root runs its programs through qemu-user: binfmt_misc must hold $QEMU with F. #arch
if [ -n "$QEMU" ] && [ "${1:-}" != --inner ]; then #arch
  binfmt=${SEED_BINFMT_DIR:-/proc/sys/fs/binfmt_misc} # a test points it elsewhere #arch
  fix="run \`substrate doctor --install examples/gentoo\` as root (qemu-user-static: scripts/install-deps.sh)" #arch
  [ -x /usr/bin/$QEMU-static ] || die "no /usr/bin/$QEMU-static for the $ARCH seed: $fix" #arch
  [ -f $binfmt/status ] || die "binfmt_misc is not mounted at $binfmt: $fix" #arch
  [ "$(cat $binfmt/status)" = enabled ] || die "binfmt_misc is disabled: $fix" #arch
  [ -f $binfmt/$QEMU ] || die "binfmt_misc has no $QEMU handler: $fix" #arch
  grep -q '^enabled$' $binfmt/$QEMU || die "binfmt_misc's $QEMU handler is disabled: $fix" #arch
  grep -q '^flags:.*F' $binfmt/$QEMU || die "binfmt_misc's $QEMU handler lacks the F flag: $fix" #arch
fi #arch
if [ "${1:-}" != --inner ]; then
  # Outer call: run the build in a private mount namespace and check that no mount leaked.
  before=$(mktemp)
  after=$(mktemp)
  trap 'rm -f "$before" "$after"' EXIT
  cut -d' ' -f5 /proc/1/mountinfo | sort >"$before"
  status=0
  unshare --mount --propagation private -- "$self" --inner || status=$?
  cut -d' ' -f5 /proc/1/mountinfo | sort >"$after"
  leaked=$(comm -13 "$before" "$after" | grep -F "$CACHE" || true)
  [ -z "$leaked" ] || die "mounts leaked into the host: $leaked"
  exit $status
fi

mkdir -p "$dir" "$CACHE/debs"
# Another architecture's .debs get their own folder (sync-in copies the whole folder): the #arch
# hooks below read $CACHE/debs, so CACHE (not used after them) moves to $CACHE/<arch>. #arch
[ "$ARCH" = amd64 ] || { CACHE=$CACHE/$ARCH && mkdir -p "$CACHE/debs"; } #arch
stamp=$(date -u +%Y%m%dT%H%M%SZ)
name=stage3-amd64-systemd-$stamp.tar.xz
name=$SEED_NAME-$stamp.tar.xz #arch
work=$(mktemp -d "$dir/.build.XXXXXX")
trap 'rm -rf "$work"' EXIT
includes=$(package_list | paste -sd, -)
start=$SECONDS
export TMPDIR=$work # mmdebstrap's own temporary root lives there too
# The .deb cache is mmdebstrap's documented sync-in/sync-out recipe; it only speeds rebuilds.
mmdebstrap --quiet --mode=root --variant=minbase --architectures=$ARCH --components=main \
  --include="$includes" \
  --skip=essential/unlink \
  --setup-hook='mkdir -p "$1"/var/cache/apt/archives/' \
  --setup-hook="sync-in $CACHE/debs /var/cache/apt/archives/" \
  --customize-hook="sync-out /var/cache/apt/archives $CACHE/debs" \
  --customize-hook="\"$self\" --customize \"\$1\" \"$tarball\" $key" \
  $SUITE "$work/seed.tar" "$MIRROR" >&2
# -1: five times faster than -6 here, 20 % larger.
xz -T2 -1 -c "$work/seed.tar" >"$work/$name"
(cd "$work" && sha256sum "$name" >"$name.sha256")
{
  echo "key=$key"
  echo "stamp=$stamp"
  echo "portage_sha256=$PORTAGE_SHA256"
  echo "packages=$includes"
  echo "seconds=$((SECONDS - start))"
} >"$work/$name.inputs"
mv "$work/$name.inputs" "$work/$name.sha256" "$dir/"
mv "$work/$name" "$dir/"
echo "seed.sh: built $dir/$name in $((SECONDS - start)) s" >&2
echo "$dir/$name"
