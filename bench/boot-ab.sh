#!/usr/bin/env bash
# Benchmark (not a test): boots one ISO again and again under TCG, alternating two QEMU settings
# (A and B), and prints each boot's seconds to `login:`, whether the guest kernel reported a
# stall (RCU stall or soft lockup) on the console, and the median and stall count of each side.
# Written to settle whether a setting changes the TCG stall docs/boot-testing.md describes.
#
# Usage (root): bench/boot-ab.sh ISO [--pairs N] [--a "boot-time.mjs flags"] [--b "flags"]
# Defaults: 6 pairs, A = "" (substrate test's settings: memory preallocated under TCG),
# B = "--no-prealloc". Run it on an otherwise idle machine: a parallel build or boot makes
# stalls likelier and the comparison worthless. Consoles are kept in a folder it names.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
ISO=${1:?usage: bench/boot-ab.sh ISO [--pairs N] [--a FLAGS] [--b FLAGS]}
shift
PAIRS=6 A_FLAGS="" B_FLAGS="--no-prealloc"
while [ $# -gt 0 ]; do
  case "$1" in
    --pairs) PAIRS=$2; shift 2 ;;
    --a) A_FLAGS=$2; shift 2 ;;
    --b) B_FLAGS=$2; shift 2 ;;
    *) echo "bench/boot-ab.sh: unknown option $1" >&2; exit 2 ;;
  esac
done
OUT=$(mktemp -d /var/tmp/substrate-boot-ab.XXXXXX)
echo "boot-ab: A='${A_FLAGS}' B='${B_FLAGS}', $PAIRS pairs, consoles in $OUT" >&2
declare -A times=([A]="" [B]="") stalls=([A]=0 [B]=0)
for i in $(seq "$PAIRS"); do
  for side in A B; do
    flags=$A_FLAGS; [ "$side" = B ] && flags=$B_FLAGS
    log=$OUT/$side-$i.console
    # shellcheck disable=SC2086 # the flags are words
    s=$(node bench/boot-time.mjs "$ISO" --timeout 400 --console "$log" $flags || echo 0)
    stalled=no
    if grep -qE 'rcu_sched self-detected stall|rcu: INFO: rcu_preempt|soft lockup' "$log"; then
      stalled=yes; stalls[$side]=$((stalls[$side] + 1))
    fi
    times[$side]+="$s "
    echo "boot-ab: pair $i $side ${s}s stalled=$stalled" >&2
  done
done
for side in A B; do
  echo "$side: boots ${times[$side]}| median $(echo "${times[$side]}" | tr ' ' '\n' | grep -v '^$' | median) s | stalled ${stalls[$side]} of $PAIRS"
done
