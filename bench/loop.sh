#!/usr/bin/env bash
# Benchmark (not a test): the daily loop, with one root_overlay file changed each time, measured
# in one run of this script, on this machine:
#   substrate   the edit, then `substrate build --test` until the boot checks pass (the rebuilt
#               ISO boots headless, logs in, runs the checks and powers off)
#   live-build  the same edit, `lb clean && lb config && lb build`, then its ISO boots to the
#               login prompt
#   floor       mksquashfs + xorriso on the same root, plus substrate's ISO booting to login
# and the boot half alone: both ISOs boot to the login prompt under the same QEMU settings
# (bench/boot-time.mjs, the settings of substrate's own boot tests), alternating, --runs times.
# Prints medians and the ratios the daily-loop targets name (loop <= 0.15x live-build's, boot
# <= 0.5x live-build's boot), and substrate's boot phases from its own test (median of each).
# Usage (root, Debian 12): bench/loop.sh [--runs N] (default 3)
# Needs: the project built (npm run build), network to Debian's archive. Takes about 30 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
RUNS=3
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
  esac
done
. "$REPO/bench/lib.sh"
bench_prepare loop substrate-loop
LB_LOG=${LB_LOG:-/tmp/substrate-bench-loop-lb.log}
: >"$LB_LOG"
say() { echo "loop: $*" >&2; }
boot_to_login() { node "$REPO/bench/boot-time.mjs" "$1" --timeout 400 || echo 0; }

# --- substrate: a warm store, then edit -> build --test --------------------------------------
mkdir -p "$W/sub"
cp -a "$REPO/examples/roflmaos" "$W/sub/tree"
sub_build() { # $1: extra flags; the NDJSON goes to $W/sub/last.ndjson
  (cd "$W/sub" && node "$REPO/bin/substrate.js" build tree --date $DATE --only roflmaos:livecd-stage3 $1 --json >"$W/sub/last.ndjson") || build_failed "$W/sub/last.ndjson"
}
say "substrate: first build (not timed)"
sub_build ""
sub_loop=(); sub_test=(); sub_login=()
declare -A phase_runs=()
for i in $(seq "$RUNS"); do
  echo "loop edit $i $RANDOM" >"$W/sub/tree/root_overlays/livecd/etc/issue"
  t=$(now); sub_build --test; sub_loop+=("$(elapsed "$t")")
  # The test's own figures: the whole test, and QEMU start to the login prompt.
  read -r test_ms login_ms phases < <(node -e '
    const ev = require("fs").readFileSync(process.argv[1], "utf8").trim().split("\n").map(JSON.parse);
    const fin = ev.find((e) => e.type === "boot-finished");
    if (fin === undefined || !fin.ok) { console.error(JSON.stringify(fin)); process.exit(1); }
    const ph = ev.filter((e) => e.type === "boot-phase");
    const toLogin = ["firmware", "loader", "kernel", "initramfs", "userspace"];
    const login = ph.filter((p) => toLogin.includes(p.phase)).reduce((a, p) => a + p.durationMs, 0);
    console.log(fin.durationMs, login, ph.map((p) => `${p.phase}=${p.durationMs}`).join(","));
  ' "$W/sub/last.ndjson") || build_failed "$W/sub/last.ndjson"
  sub_test+=("$(echo "scale=1; $test_ms / 1000" | bc)")
  sub_login+=("$(echo "scale=1; $login_ms / 1000" | bc)")
  for kv in ${phases//,/ }; do phase_runs[${kv%%=*}]+="$(echo "scale=2; ${kv#*=} / 1000" | bc) "; done
  say "substrate edit -> verified boot: ${sub_loop[-1]}s (test ${sub_test[-1]}s, QEMU start -> login ${sub_login[-1]}s; $phases)"
done
iso=$(ls "$W"/sub/builds/amd64/roflmaos/$DATE/*.iso)

# --- the floor: mksquashfs + xorriso alone on the same root ------------------------------------
read -r -a floor < <(floor_runs "$iso" "$W/floor" "$RUNS")
say "floor (mksquashfs + xorriso): ${floor[*]}"

# --- live-build: a first build, then edit -> rebuild -> boot to login ------------------------
lb_dir=$W/lb
mkdir -p "$lb_dir"
(cd "$lb_dir" && lb_configure)
say "live-build: first build (not timed; log: $LB_LOG)"
(cd "$lb_dir" && lb build >>"$LB_LOG" 2>&1)
lb_rebuild=(); lb_login=(); lb_loop=()
for i in $(seq "$RUNS"); do
  echo "loop edit $i $RANDOM" >"$lb_dir/config/includes.chroot/etc/issue"
  t=$(now)
  (cd "$lb_dir" && lb clean >>"$LB_LOG" 2>&1 && lb config >>"$LB_LOG" 2>&1 && lb build >>"$LB_LOG" 2>&1)
  lb_rebuild+=("$(elapsed "$t")")
  lb_login+=("$(boot_to_login "$(ls "$lb_dir"/*.iso)")")
  lb_loop+=("$(echo "${lb_rebuild[-1]} + ${lb_login[-1]}" | bc)")
  say "live-build edit -> rebuild ${lb_rebuild[-1]}s + boot to login ${lb_login[-1]}s"
done

# --- the boot half: both ISOs to the login prompt, the same settings, alternating ------------
sub_boot=(); lb_boot=()
for i in $(seq "$RUNS"); do
  sub_boot+=("$(boot_to_login "$iso")")
  lb_boot+=("$(boot_to_login "$(ls "$lb_dir"/*.iso)")")
  say "boot to login: substrate ${sub_boot[-1]}s, live-build ${lb_boot[-1]}s"
done

m() { printf '%s\n' "$@" | median; }
ratio() { [ -n "$2" ] && [ "$2" != "0" ] && echo "scale=3; $1 / $2" | bc || echo "n/a"; }
sl=$(m "${sub_loop[@]}"); ll=$(m "${lb_loop[@]}"); fl=$(m "${floor[@]}")
sb=$(m "${sub_boot[@]}"); lbb=$(m "${lb_boot[@]}")
floor_loop=$(echo "$fl + $sb" | bc)
printf '\nthe daily loop (medians of %s runs)\n' "$RUNS"
printf '%-34s %9s %9s\n' "" seconds "x lb"
printf '%-34s %8.1fs %9s\n' "substrate: edit -> verified boot" "$sl" "$(ratio "$sl" "$ll")"
printf '%-34s %8.1fs\n' "  of which the boot test" "$(m "${sub_test[@]}")"
printf '%-34s %8.1fs\n' "  of which QEMU start -> login" "$(m "${sub_login[@]}")"
printf '%-34s %8.1fs %9s\n' "live-build: rebuild + boot to login" "$ll" "1"
printf '%-34s %8.1fs\n' "  of which the rebuild" "$(m "${lb_rebuild[@]}")"
printf '%-34s %8.1fs %9s\n' "floor: squashfs + ISO + boot" "$floor_loop" "$(ratio "$floor_loop" "$ll")"
printf '\nboot to login, same QEMU settings (medians; every run: substrate %s, live-build %s)\n' "${sub_boot[*]}" "${lb_boot[*]}"
printf '%-34s %8.1fs %9s\n' "substrate ISO" "$sb" "$(ratio "$sb" "$lbb")"
printf '%-34s %8.1fs %9s\n' "live-build ISO" "$lbb" "1"
printf '\nsubstrate test phases (median seconds):'
for p in firmware loader kernel initramfs userspace login checks shutdown; do
  [ -n "${phase_runs[$p]:-}" ] && printf ' %s %s' "$p" "$(m ${phase_runs[$p]})"
done
printf '\ntargets: loop <= 0.15x live-build (%s), boot <= 0.5x (%s)\n' "$(ratio "$sl" "$ll")" "$(ratio "$sb" "$lbb")"
