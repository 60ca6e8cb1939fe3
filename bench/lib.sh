# Shared helpers of the bench/ scripts (sourced, not run).
export SOURCE_DATE_EPOCH=1700000000
DATE=20260101
now() { date +%s.%N; }
elapsed() { echo "$(now) - $1" | bc; }
median() { sort -n | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
# substrate's own peak memory (KiB) over every `build --json` event file given to track_rss
# (from each run-finished event), in rss_max.
rss_max=0
track_rss() {
  local rss
  rss=$(node -e 'const l=require("fs").readFileSync(process.argv[1],"utf8").trim().split("\n").map(JSON.parse).find(e=>e.type==="run-finished"); process.stdout.write(String(l?.maxRssKiB ?? 0))' "$1")
  [ "$rss" -gt "$rss_max" ] && rss_max=$rss
  return 0
}
# Says why a `build --json` run failed (its stage-failed events and diagnostics), then exits.
build_failed() {
  echo "substrate build failed:" >&2
  grep -E '"type":"(stage-failed|diagnostic)"' "$1" | cut -c1-600 >&2 || true
  exit 1
}
# Configures live-build in the current (empty) folder for the same image substrate's default
# tree makes: bookworm minbase with the same packages, zstd squashfs, UEFI-only GRUB, roflmaOS
# as host name, no security or updates archive (not reachable here), and GRUB's menu given
# substrate's 3 s timeout (both menus are answered with Enter at the countdown).
lb_configure() {
  lb config --distribution bookworm --archive-areas main --binary-image iso-hybrid \
    --bootloaders grub-efi --debian-installer none --memtest none --win32-loader false \
    --apt-recommends false --firmware-binary false --firmware-chroot false \
    --security false --updates false \
    --chroot-squashfs-compression-type zstd --zsync false --checksums none \
    --cache-packages true --bootappend-live "boot=live components console=ttyS0" >/dev/null
  printf 'systemd-sysv\nudev\nkmod\niproute2\nless\nnano\n' >config/package-lists/substrate.list.chroot
  mkdir -p config/includes.chroot/etc config/bootloaders
  echo roflmaOS >config/includes.chroot/etc/hostname
  cp -a /usr/share/live/build/bootloaders/grub-pc config/bootloaders/
  echo 'set timeout=3' >>config/bootloaders/grub-pc/config.cfg
}
# The floor of a rebuild: unpacks ISO's root into folder $2 once, then times mksquashfs (zstd, as
# the ISO has it) + xorriso on it $3 times; prints the seconds of each run on one line.
floor_runs() {
  local iso=$1 dir=$2 runs=$3 t i out=()
  mkdir -p "$dir"
  osirrox -indev "$iso" -extract / "$dir/iso" >/dev/null 2>&1
  chmod -R u+w "$dir/iso"
  unsquashfs -q -d "$dir/root" "$dir/iso/LiveOS/squashfs.img" >/dev/null
  rm -f "$dir/iso/LiveOS/squashfs.img"
  for i in $(seq "$runs"); do
    t=$(now)
    mksquashfs "$dir/root" "$dir/iso/LiveOS/squashfs.img" -comp zstd -noappend -quiet >/dev/null
    xorriso -as mkisofs -o "$dir/out.iso" -iso-level 3 -r -J -V roflmaOS "$dir/iso" >/dev/null 2>&1
    out+=("$(elapsed "$t")")
    echo "floor: ${out[-1]}s" >&2
    rm -f "$dir/iso/LiveOS/squashfs.img"
  done
  echo "${out[*]}"
}
# Common start of iso.sh and loop.sh: root, live-build installed, a work folder $W removed on exit.
# $1: the script's name for messages; $2: the work folder's name under /var/tmp.
bench_prepare() {
  [ "$(id -u)" -eq 0 ] || { echo "bench/$1.sh: run as root" >&2; exit 1; }
  command -v lb >/dev/null || { apt-get update -qq; DEBIAN_FRONTEND=noninteractive apt-get install -y -qq live-build >/dev/null; }
  W=$(mktemp -d "/var/tmp/$2.XXXXXX")
  trap 'rm -rf "$W"' EXIT
}
