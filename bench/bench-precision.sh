#!/usr/bin/env bash
# fp32 against bf16 on a real foundation model (H0-mini's architecture, full size, random weights):
# `modelspec extract`, the model step alone, the Python pipeline and the GEMM roofline, side by side
# in one run (bench/bench_precision.py says what each figure is).
#
#   bench/bench-precision.sh [THREADS] [-- bench_precision.py options]   # default: nproc
#
# Needs /usr/bin/python3 with torch, torchvision, openslide, h5py, Pillow and PyYAML
# (scripts/install-deps.sh). Takes minutes: a ViT-B/14 tile is ~40 GFLOP, and on a CPU without
# native bf16 the bf16 rows run emulated (on a smaller slide).
set -euo pipefail
threads=${1:-$(nproc)}
shift || true
[[ ${1:-} == -- ]] && shift
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/release"
cmake --preset release -S "$root" > /dev/null
cmake --build --preset release --target modelspec modelspec-extract bioptimus_make_tissue_slide \
  bioptimus_backbone_benchmark >&2
/usr/bin/python3 "$root/bench/bench_precision.py" --tool "$build/apps/modelspec" \
  --generator "$build/tests/wsi/bioptimus_make_tissue_slide" \
  --backbone-benchmark "$build/bench/bioptimus_backbone_benchmark" --threads "$threads" "$@"
