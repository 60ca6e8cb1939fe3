#!/bin/bash
# The real-Portage tier's proof (issue 13, item 3): unpacks the Portage seed (seed.sh) once, makes
# a chroot of it (an overlay whose upper layer is $PORTAGE_TIER_CACHE/proof/upper), binds the
# generated ebuild repository (write-repo.mjs) read-only at /var/db/repos/gentoo and its
# distfiles at /var/cache/distfiles, and runs the real `emerge` as catalyst's stage1 does:
#   ROOT=/tmp/stage1root USE=build emerge --oneshot --nodeps sys-apps/baselayout
#   ROOT=/tmp/stage1root emerge --implicit-system-deps=n --oneshot <packages.build>
# then checks the VDB entries in /tmp/stage1root/var/db/pkg, runs the bzip2 it compiled, and
# checks that Portage refuses a distfile whose bytes differ from the Manifest. Run as root, after
# `npm run build`. Prints the timings; exits non-zero on any failure.
set -euo pipefail

self=$(readlink -f "$0")
here=$(dirname "$self")
repo=$(cd "$here/../.." && pwd)
CACHE=${PORTAGE_TIER_CACHE:-/var/cache/substrate/portage-tier}

die() {
  echo "prove-stage1.sh: $*" >&2
  exit 1
}

# ---------------------------------------------------------------------------------------------
# --inner RUN SEED_TREE REPO DISTDIR: in a private mount namespace; mounts die with it. The
# unpacked seed is the read-only lower layer of an overlay; every change lands in RUN/upper.
if [ "${1:-}" = --inner ]; then
  run=$2 lower=$3 ebuilds=$4 dist=$5
  root=$run/root
  mount -t overlay overlay -o "lowerdir=$lower,upperdir=$run/upper,workdir=$run/work" "$root"
  mount -t proc proc "$root/proc"
  mount --rbind /dev "$root/dev"
  mount -t tmpfs tmpfs "$root/dev/shm"
  mount --bind "$ebuilds" "$root/var/db/repos/gentoo"
  mount -o remount,bind,ro "$root/var/db/repos/gentoo"
  mount --bind "$dist" "$root/var/cache/distfiles"
  cp /etc/resolv.conf "$root/etc/resolv.conf" 2>/dev/null || true
  # stdin from /dev/null: Debian's bash may read /etc/bash.bashrc when stdin is a socket.
  exec </dev/null
  exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root TERM=dumb \
    LC_ALL=C.UTF-8 /bin/bash -euo pipefail -c '
    export FEATURES="-news binpkg-multi-instance clean-logs parallel-install"
    export CONFIG_PROTECT="-*" EMERGE_WARNING_DELAY=0 CLEAN_DELAY=0 MAKEOPTS="-j2"
    # Nothing is downloaded at test time: every distfile must already be in DISTDIR.
    export GENTOO_MIRRORS="" FETCHCOMMAND="false \${URI} \${DISTDIR}/\${FILE}"
    export RESUMECOMMAND="false \${URI} \${DISTDIR}/\${FILE}"
    opts="--quiet --jobs 1 --load-average 2"
    timed() { local label=$1; shift; local s e; s=$(date +%s%N); "$@"; e=$(date +%s%N)
      echo "TIME $label $(( (e - s) / 1000000 )) ms"; }
    # The Manifest check first: a distfile with one byte changed must be refused.
    mkdir -p /tmp/baddist
    cp /var/cache/distfiles/bzip2-1.0.8.tar.gz /tmp/baddist/
    printf x | dd of=/tmp/baddist/bzip2-1.0.8.tar.gz bs=1 seek=1000 conv=notrunc status=none
    if DISTDIR=/tmp/baddist emerge --fetchonly --oneshot app-arch/bzip2 \
        >/tmp/badfetch.log 2>&1; then
      cat /tmp/badfetch.log; echo "FAIL: Portage accepted a distfile that differs from its Manifest"; exit 1
    fi
    grep -q "Reason: Failed on BLAKE2B verification" /tmp/badfetch.log ||
      { cat /tmp/badfetch.log; echo "FAIL: the refusal does not name the digest"; exit 1; }
    echo "OK Portage refused the altered distfile"
    rm -rf /tmp/baddist
    # catalyst stage1: ROOT gets the same profile and make.conf.
    mkdir -p /tmp/stage1root/etc/portage
    cp /etc/portage/make.conf /tmp/stage1root/etc/portage/make.conf
    ln -sfn ../../var/db/repos/gentoo/profiles/default/linux/amd64/23.0/systemd \
      /tmp/stage1root/etc/portage/make.profile
    build=$(python -c "
import portage
s = portage.settings
print(\" \".join(str(p).lstrip(\"*\") for p in portage.util.stack_lists(
    [portage.util.grabfile_package(d + \"/packages.build\") for d in s.profiles], incremental=1)))")
    [ -n "$build" ] || { echo "FAIL: packages.build is empty"; exit 1; }
    echo "packages.build: $build"
    ROOT=/tmp/stage1root USE=build timed baselayout emerge $opts --oneshot --nodeps sys-apps/baselayout
    vdb=/tmp/stage1root/var/db/pkg
    grep -qw build $vdb/sys-apps/baselayout-2.17/USE || { echo "FAIL: baselayout USE lacks build"; exit 1; }
    [ ! -e /tmp/stage1root/etc/hosts ] || { echo "FAIL: USE=build installed /etc/hosts"; exit 1; }
    echo "OK baselayout merged into /tmp/stage1root with USE=build (skeleton only)"
    ROOT=/tmp/stage1root timed packages.build emerge $opts --implicit-system-deps=n --oneshot $build
    ls -d $vdb/*/* | sed "s|$vdb/|VDB |"
    # packages.build lists baselayout again (as in Gentoo), so it is merged a second time
    # without USE=build: the entry now records that.
    ! grep -qw build $vdb/sys-apps/baselayout-2.17/USE ||
      { echo "FAIL: baselayout was not re-merged by packages.build"; exit 1; }
    grep -q "^obj /usr/bin/bzip2 " $vdb/app-arch/bzip2-1.0.8/CONTENTS ||
      { echo "FAIL: bzip2 CONTENTS lacks /usr/bin/bzip2"; exit 1; }
    grep -q "^sym /usr/lib64/libbz2.so.1 " $vdb/app-arch/bzip2-1.0.8/CONTENTS ||
      { echo "FAIL: bzip2 CONTENTS lacks libbz2.so.1"; exit 1; }
    for f in BUILD_TIME EAPI LICENSE SLOT repository; do
      [ -s $vdb/app-arch/bzip2-1.0.8/$f ] || { echo "FAIL: VDB lacks $f"; exit 1; }
    done
    [ "$(cat $vdb/app-arch/bzip2-1.0.8/repository)" = gentoo ] || { echo "FAIL: repository"; exit 1; }
    # The bzip2 Portage compiled, with its own libbz2, round-trips data.
    b="env LD_LIBRARY_PATH=/tmp/stage1root/usr/lib64 /tmp/stage1root/usr/bin/bzip2"
    head -c 200000 /usr/bin/python3 | $b -c | $b -dc | cmp - <(head -c 200000 /usr/bin/python3)
    # (ldd output captured first: grep -q in a pipe under pipefail can fail on SIGPIPE.)
    libs=$(LD_LIBRARY_PATH=/tmp/stage1root/usr/lib64 ldd /tmp/stage1root/usr/bin/bzip2)
    grep -q "/tmp/stage1root/usr/lib64/libbz2.so.1.0" <<<"$libs" ||
      { echo "FAIL: the built bzip2 does not use the built libbz2"; exit 1; }
    echo "OK the compiled bzip2 round-trips with its own libbz2"
    [ -d /tmp/stage1root/tmp ] && [ -L /tmp/stage1root/bin ] && [ -f /tmp/stage1root/etc/hosts ] ||
      { echo "FAIL: layout"; exit 1; }
    echo "OK stage1root has baselayout (USE=build) and bzip2 in its VDB"
  '
fi

# ---------------------------------------------------------------------------------------------
[ "$(id -u)" = 0 ] || die "run as root"
[ -f "$repo/dist/test/helpers/portage-repo.js" ] || die "run npm run build first"
mkdir -p "$CACHE"
exec 9>"$CACHE/.proof.lock"
flock 9 # one proof at a time: they share $CACHE/proof and the unpacked seed
total_start=$(date +%s%N)
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }

s=$(date +%s%N)
seed=$("$here/seed.sh")
echo "TIME seed $(ms "$s") ms ($seed)"

run=$CACHE/proof
rm -rf "$run"
mkdir -p "$run/root" "$run/upper" "$run/work"
s=$(date +%s%N)
node "$here/write-repo.mjs" "$run/repo" "$run/distfiles" "$CACHE" >/dev/null
echo "TIME repo+distfiles $(ms "$s") ms"

# The seed is unpacked once per seed file (older unpacked seeds are removed).
s=$(date +%s%N)
tree=$CACHE/unpacked/$(basename "$seed" .tar.xz)
if [ ! -d "$tree" ]; then
  rm -rf "$CACHE/unpacked"
  mkdir -p "$tree.tmp"
  tar -xJf "$seed" -C "$tree.tmp" --numeric-owner
  mv "$tree.tmp" "$tree"
fi
echo "TIME unpack $(ms "$s") ms"

before=$(mktemp)
trap 'rm -f "$before"' EXIT
cut -d' ' -f5 /proc/1/mountinfo | sort >"$before"
status=0
unshare --mount --propagation private -- "$self" --inner "$run" "$tree" "$run/repo" "$run/distfiles" ||
  status=$?
leaked=$(cut -d' ' -f5 /proc/1/mountinfo | sort | comm -13 "$before" - | grep -F "$run" || true)
[ -z "$leaked" ] || die "mounts leaked into the host: $leaked"
[ $status = 0 ] || die "the proof failed (status $status)"
echo "TIME total $(ms "$total_start") ms"
