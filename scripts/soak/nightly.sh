#!/usr/bin/env bash
# Nightly: every test in test/nightly/ (too slow for CI, or a subset of what CI covers, kept to run
# on their own): the real-Portage stage1 shell proof (real-stage1), the armv7a seed and stage1
# with the real emerge under qemu-arm (real-armv7a), and the armv7a stage1 -> stage3 chain
# (real-armv7a-chain; also scripts/soak/real-armv7a-chain.sh). docs/real-portage-tier.md says
# what each shows and how long it takes.
# As root:  scripts/soak/nightly.sh [TEST-NAME ...]   (default: all; e.g. real-armv7a)
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ $(id -u) == 0 ]] || { echo "nightly.sh: run as root" >&2; exit 1; }
npm run build
files=()
if [[ $# -gt 0 ]]; then
  for n in "$@"; do files+=("dist/test/nightly/$n.test.js"); done
else
  files=(dist/test/nightly/*.test.js)
fi
exec node --enable-source-maps --test --test-concurrency=1 "${files[@]}"
