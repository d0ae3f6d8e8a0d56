#!/usr/bin/env bash
# The main job: build the modelspec tool and run it on the built-in registry.
# Extra arguments go to the tool (default: list).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
# Build output goes to stderr, so that stdout is the tool's alone (pipe it to jq).
cmake --preset dev >&2
cmake --build --preset dev --target modelspec >&2
if (($# == 0)); then set -- list; fi
exec build/dev/apps/modelspec "$@"
