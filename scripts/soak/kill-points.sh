#!/usr/bin/env bash
# Soak: kill `substrate build` (the roflmaOS example) with SIGKILL at every kill point, ROUNDS
# times, each round with the delays scaled by another factor, and check every recovery (no mount,
# no process, no unverifiable public file, no blocking lock; the last build's ISO verifies).
# As root, after `npm run build`:  scripts/soak/kill-points.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/../.."
exec node dist/test/helpers/kill-soak.js "${1:-3}"
