#!/usr/bin/env bash
# Nightly: examples/gentoo's armv7a chain (stage1 -> stage2 -> stage3) with the real emerge
# under qemu-arm (test/nightly/real-armv7a-chain.test.ts; docs/real-portage-tier.md, "armv7a").
# Too slow for CI (as is the armv7a stage1 alone, test/nightly/real-armv7a.test.ts; scripts/soak/nightly.sh runs all of test/nightly).
# As root:  scripts/soak/real-armv7a-chain.sh [KEEP_DIR]
# KEEP_DIR (or SUBSTRATE_ARM_CHAIN_BASE) keeps the store between runs: stages already built for
# the test's date are reused and the logs can be watched while it runs; without it the test
# builds in a temporary folder and removes it.
set -euo pipefail
cd "$(dirname "$0")/../.."
[[ $(id -u) == 0 ]] || { echo "real-armv7a-chain.sh: run as root" >&2; exit 1; }
if [[ $# -gt 0 ]]; then export SUBSTRATE_ARM_CHAIN_BASE=$1; fi
npm run build
exec node --enable-source-maps --test dist/test/nightly/real-armv7a-chain.test.js
