#!/usr/bin/env bash
# Times `substrate check` on inputs that were once quadratic (bench/gen-scale.mjs): a spec with
# 8,000 and 50,000 repeated keys, a livecd-stage2 with 16,000 kernel labels (and a mistyped key
# each), a substrate.toml with 16,000 build entries. Each must stay linear: the script fails
# when a case takes more than 10 s. Set SUBSTRATE to time another compiled bin.js.
# Usage: bench/check-scale.sh
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${SUBSTRATE:-$here/dist/src/cli/bin.js}
if [ ! -f "$bin" ]; then
  echo "no compiled CLI at $bin: run 'npm run build' first (or set SUBSTRATE)" >&2
  exit 2
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
slow=0
run() { # NAME CASE N TARGET
  node "$here/bench/gen-scale.mjs" "$2" "$tmp/$1" "$3"
  local start end ms rc
  start=$(date +%s%N)
  set +e
  node "$bin" check "$tmp/$1/$4" >"$tmp/out.txt"
  rc=$?
  set -e
  end=$(date +%s%N)
  ms=$(((end - start) / 1000000))
  if [ "$rc" -gt 1 ]; then
    echo "check failed on $1 (exit $rc)" >&2
    tail -n 20 "$tmp/out.txt" >&2
    exit 1
  fi
  printf '%-28s %8d ms  (%s)\n' "$1" "$ms" "$(tail -n 1 "$tmp/out.txt")"
  if [ "$ms" -gt 10000 ]; then slow=1; fi
}
run "repeated keys, 8000" repeated 8000 repeated.spec
run "repeated keys, 50000" repeated 50000 repeated.spec
run "kernel labels, 16000" kernels 16000 .
run "build entries, 16000" builds 16000 .
if [ "$slow" -ne 0 ]; then
  echo "a case took more than 10 s" >&2
  exit 1
fi
