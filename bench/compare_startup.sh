#!/usr/bin/env bash
# `modelspec list` start to finish (process start included) against a Python
# one-liner doing the same with PyYAML (bench/python_reader.py: load and
# validate every configs/*.yaml, print the table), with hyperfine.
#
#   bash bench/compare_startup.sh [build/release]
set -euo pipefail
cd "$(dirname "$0")/.."
build=${1:-build/release}
if [[ ! -x $build/apps/modelspec ]]; then
  echo "compare_startup: build $build first (cmake --preset release && cmake --build --preset release)" >&2
  exit 2
fi
hyperfine --warmup 5 --runs 40 --shell=none \
  --command-name "modelspec list" "$build/apps/modelspec list" \
  --command-name "python3 -c (PyYAML)" \
  "/usr/bin/python3 -c \"import sys; sys.path.insert(0, 'bench'); import python_reader; python_reader.list_models('configs')\""
