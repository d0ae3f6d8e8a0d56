#!/usr/bin/env bash
# The main job: build the modelspec tool and run it on the built-in registry.
# Extra arguments go to the tool (default: list).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
cmake --preset dev >/dev/null
cmake --build --preset dev --target modelspec
if (($# == 0)); then set -- list; fi
exec build/dev/apps/modelspec "$@"
