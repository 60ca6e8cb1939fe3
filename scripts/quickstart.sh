#!/usr/bin/env bash
# The README's two commands.
#   quickstart.sh iso   install what is needed, build the default roflmaOS ISO and boot-test it
#   quickstart.sh test  install what is needed and run the whole test suite (npm test)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
case "${1:-}" in
  iso)
    npm run build
    # The roflmaOS ISO and what it needs (the tree also has a "minimal" flavour: build it with
    # `substrate build examples/roflmaos`). Package downloads are cached across runs.
    exec node bin/substrate.js build examples/roflmaos --only roflmaos:livecd-stage3 \
      --cache /var/cache/substrate --test
    ;;
  test)
    exec npm test
    ;;
  *)
    echo "usage: $0 iso|test" >&2
    exit 2
    ;;
esac
