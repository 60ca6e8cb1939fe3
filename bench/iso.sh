#!/usr/bin/env bash
# Benchmark (not a test): builds a UEFI live ISO of the same package set with Debian's
# live-build and with substrate, in the same run on the same machine, and prints each time, the
# ratio and the floor (mksquashfs + xorriso alone on the same root). Measured:
#   cold  - empty package caches and no outputs
#   warm  - package caches filled, outputs removed
#   edit  - one root_overlay file changed after a complete build
#   no-op - substrate only: a build with nothing changed
#   boot  - seconds from QEMU's start to the login prompt, both ISOs under the same QEMU + OVMF
#           settings (bench/boot-time.mjs; live-build's GRUB menu gets the same 3 s timeout as
#           substrate's systemd-boot menu)
# and substrate's own peak memory (run-finished's maxRssKiB).
# Usage (root, Debian 12): bench/iso.sh [--runs N] [--skip-live-build]
# Needs: the project built (npm run build), network to Debian's archive. Takes a long time.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
RUNS=1
SKIP_LB=0
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    --skip-live-build) SKIP_LB=1; shift ;;
    *) echo "usage: $0 [--runs N] [--skip-live-build]" >&2; exit 2 ;;
  esac
done
. "$REPO/bench/lib.sh"
bench_prepare iso substrate-bench

# --- substrate ---------------------------------------------------------------------------------
sub_tree=$W/sub/tree
mkdir -p "$W/sub"
cp -a "$REPO/examples/roflmaos" "$sub_tree"
sub_build() {
  (cd "$W/sub" && node "$REPO/bin/substrate.js" build tree --date $DATE --only roflmaos:livecd-stage3 --cache "$W/sub/cache" --json >"$W/sub/last.ndjson") || build_failed "$W/sub/last.ndjson"
  track_rss "$W/sub/last.ndjson"
}
sub_cold=(); sub_warm=(); sub_edit=(); sub_noop=()
for i in $(seq "$RUNS"); do
  rm -rf "$W/sub/builds" "$W/sub/logs" "$W/sub/cache"
  t=$(now); sub_build; sub_cold+=("$(elapsed "$t")")
  echo "substrate cold: ${sub_cold[-1]}s" >&2
  rm -rf "$W/sub/builds" "$W/sub/logs"
  t=$(now); sub_build; sub_warm+=("$(elapsed "$t")")
  echo "substrate warm: ${sub_warm[-1]}s" >&2
  echo "bench edit $i" >"$sub_tree/root_overlays/livecd/etc/issue"
  t=$(now); sub_build; sub_edit+=("$(elapsed "$t")")
  echo "substrate edit: ${sub_edit[-1]}s" >&2
  t=$(now); sub_build; sub_noop+=("$(elapsed "$t")")
  echo "substrate no-op: ${sub_noop[-1]}s" >&2
done
iso=$(ls "$W"/sub/builds/amd64/roflmaos/$DATE/*.iso)
sub_size=$(stat -c %s "$iso")
echo "substrate ISO: $sub_size bytes" >&2

# --- the floor: mksquashfs + xorriso alone on the same root ----------------------------------
read -r -a floor < <(floor_runs "$iso" "$W/floor" "$RUNS")

# --- live-build --------------------------------------------------------------------------------
lb_cold=(); lb_warm=(); lb_edit=(); lb_size=0
if [ "$SKIP_LB" -eq 0 ]; then
  lb_setup() {
    rm -rf "$W/lb"; mkdir -p "$W/lb"; cd "$W/lb" || exit 1
    lb_configure
    cd "$REPO"
  }
  for i in $(seq "$RUNS"); do
    lb_setup
    t=$(now); (cd "$W/lb" && lb build >>"${LB_LOG:-/tmp/substrate-bench-lb.log}" 2>&1); lb_cold+=("$(elapsed "$t")")
    lb_size=$(stat -c %s "$W"/lb/*.iso)
    echo "live-build cold: ${lb_cold[-1]}s" >&2
    # warm: `lb clean` drops the chroot and the image but keeps the package cache and config
    (cd "$W/lb" && lb clean >/dev/null 2>&1 && lb config >/dev/null 2>&1)
    t=$(now); (cd "$W/lb" && lb build >>"${LB_LOG:-/tmp/substrate-bench-lb.log}" 2>&1); lb_warm+=("$(elapsed "$t")")
    echo "live-build warm: ${lb_warm[-1]}s" >&2
    echo "bench edit $i" >"$W/lb/config/includes.chroot/etc/issue"
    (cd "$W/lb" && lb clean >/dev/null 2>&1 && lb config >/dev/null 2>&1)
    t=$(now); (cd "$W/lb" && lb build >>"${LB_LOG:-/tmp/substrate-bench-lb.log}" 2>&1); lb_edit+=("$(elapsed "$t")")
    echo "live-build edit: ${lb_edit[-1]}s" >&2
  done
fi

# --- boot: the same QEMU + OVMF settings for both ISOs ----------------------------------------
sub_boot=(); lb_boot=()
for i in $(seq "$RUNS"); do
  sub_boot+=("$(node "$REPO/bench/boot-time.mjs" "$iso" --timeout 400 || echo 0)")
  echo "substrate boot to login: ${sub_boot[-1]}s" >&2
  if [ "$SKIP_LB" -eq 0 ]; then
    lb_boot+=("$(node "$REPO/bench/boot-time.mjs" "$(ls "$W"/lb/*.iso)" --timeout 400 || echo 0)")
    echo "live-build boot to login: ${lb_boot[-1]}s" >&2
  fi
  # A boot that never reached a login prompt (0) will not do better the next time.
  [ "${sub_boot[-1]}" = 0 ] || [ "${lb_boot[-1]:-1}" = 0 ] && break
done

m() { printf '%s\n' "$@" | median; }
ratio() { [ -n "$2" ] && [ "$2" != "0" ] && echo "scale=3; $1 / $2" | bc || echo "n/a"; }
sc=$(m "${sub_cold[@]}"); sw=$(m "${sub_warm[@]}"); se=$(m "${sub_edit[@]}"); fl=$(m "${floor[@]}")
printf '\n%-10s %12s %12s %10s\n' "" substrate live-build ratio
if [ "$SKIP_LB" -eq 0 ]; then
  lc=$(m "${lb_cold[@]}"); lw=$(m "${lb_warm[@]}"); le=$(m "${lb_edit[@]}")
  printf '%-10s %11.1fs %11.1fs %10s\n' cold "$sc" "$lc" "$(ratio "$sc" "$lc")"
  printf '%-10s %11.1fs %11.1fs %10s\n' warm "$sw" "$lw" "$(ratio "$sw" "$lw")"
  printf '%-10s %11.1fs %11.1fs %10s\n' edit "$se" "$le" "$(ratio "$se" "$le")"
  printf '%-10s %11dB %11dB %10s\n' size "$sub_size" "$lb_size" "$(ratio "$sub_size" "$lb_size")"
  sb=$(m "${sub_boot[@]}"); lbb=$(m "${lb_boot[@]}")
  printf '%-10s %11.1fs %11.1fs %10s\n' boot "$sb" "$lbb" "$(ratio "$sb" "$lbb")"
else
  printf '%-10s %11.1fs\n%-10s %11.1fs\n%-10s %11.1fs\n' cold "$sc" warm "$sw" edit "$se"
  printf '%-10s %11.1fs\n' boot "$(m "${sub_boot[@]}")"
fi
printf 'no-op build: %.2fs (target < 1 s)\n' "$(m "${sub_noop[@]}")"
printf 'substrate peak RSS over all runs: %d MiB (target < 150 MB)\n' "$((rss_max / 1024))"
printf 'floor (mksquashfs + xorriso on the same root): %.1fs; edit / floor = %s\n' "$fl" "$(ratio "$se" "$fl")"
printf 'runs: %s (medians)\n' "$RUNS"
