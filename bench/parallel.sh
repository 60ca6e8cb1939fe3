#!/usr/bin/env bash
# Benchmark (not a test): two independent flavours of the roflmaOS ISO (the example and a copy
# named `beta`, each with its own stage3 -> ... -> livecd-stage3 chain), built one after the
# other (two `substrate build` runs) and then together (one run, --jobs 2), with the package
# cache warm both times. Prints both times, the speed-up, and substrate's own peak memory (the
# tools it runs not counted; target < 150 MB).
# Usage (root, Debian 12): bench/parallel.sh [--runs N]
# Needs: the project built (npm run build), network to Debian's archive for the first fill.
set -euo pipefail
cd "$(dirname "$0")/.."
REPO=$PWD
RUNS=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "bench/parallel.sh: run as root" >&2; exit 1; }

W=$(mktemp -d /var/tmp/substrate-bench-par.XXXXXX)
trap 'rm -rf "$W"' EXIT
. "$REPO/bench/lib.sh"

tree=$W/tree
cp -a "$REPO/examples/roflmaos" "$tree"
cp -a "$tree/specs/amd64/roflmaos" "$tree/specs/amd64/beta"
sed -i 's#amd64/roflmaos/\([a-z0-9-]*\)-amd64-roflmaos-#amd64/beta/\1-amd64-beta-#g' "$tree"/specs/amd64/beta/*.spec
# List beta's stages in the tree's build list, after roflmaos's.
sed -i 's#^  "minimal:embedded",#  "beta:stage3",\n  "beta:stage4",\n  "beta:livecd-stage1",\n  "beta:livecd-stage2",\n  "beta:livecd-stage3",\n&#' "$tree/substrate.toml"

build() {
  (cd "$W" && node "$REPO/bin/substrate.js" build tree --date $DATE --cache "$W/cache" --json "$@" >"$W/last.ndjson") || build_failed "$W/last.ndjson"
  track_rss "$W/last.ndjson"
}

# Fill the package cache once (not measured).
build --only roflmaos:livecd-stage3
serial=(); parallel=()
for i in $(seq "$RUNS"); do
  rm -rf "$W/builds" "$W/logs"
  t=$(now)
  build --only roflmaos:livecd-stage3
  build --only beta:livecd-stage3
  serial+=("$(elapsed "$t")")
  echo "one after the other: ${serial[-1]}s" >&2
  rm -rf "$W/builds" "$W/logs"
  t=$(now)
  build --only roflmaos:livecd-stage3 --only beta:livecd-stage3 --jobs 2
  parallel+=("$(elapsed "$t")")
  echo "together: ${parallel[-1]}s" >&2
done

s=$(printf '%s\n' "${serial[@]}" | median); p=$(printf '%s\n' "${parallel[@]}" | median)
printf '\ntwo flavours, one after the other: %.1fs\n' "$s"
printf 'two flavours together (--jobs 2): %.1fs; speed-up %s\n' "$p" "$(echo "scale=2; $s / $p" | bc)"
printf 'substrate peak RSS over all runs: %d MiB (target < 150 MB)\n' "$((rss_max / 1024))"
printf 'runs: %s (medians)\n' "$RUNS"
