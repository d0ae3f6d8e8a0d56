#!/usr/bin/env bash
# Installs the Python package the way a user does, in a fresh virtual
# environment in a temporary directory (Debian's numpy, Pillow, torchvision
# and pytest visible through --system-site-packages, nothing downloaded), and
# runs the Python test suite against the installed package. Removes
# everything it made. Takes a few minutes: it builds the library in Release.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python=/usr/bin/python3
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# A copy of the sources, so that the in-tree build leaves nothing in the checkout.
mkdir "$work/src"
tar -C "$root" --exclude='./build*' --exclude='./.git' --exclude='*.egg-info' -cf - . | tar -C "$work/src" -xf -

"$python" -m venv --system-site-packages "$work/venv"
"$work/venv/bin/python" -m pip install --no-build-isolation --no-index "$work/src"

# From outside the sources, so that `import bioptimus_cpp` finds the installed package.
cd "$work"
"$work/venv/bin/python" -c 'import bioptimus_cpp, sys; print("installed", bioptimus_cpp.__version__, "at", bioptimus_cpp.__file__)'
"$work/venv/bin/python" -m pytest -q -p no:cacheprovider "$work/src/python/tests"
