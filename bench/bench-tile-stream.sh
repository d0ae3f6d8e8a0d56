#!/usr/bin/env bash
# TileStream against a TRIDENT-style DataLoader (bench/tile_stream_benchmark.py):
# tiles/s delivered to Python as torch-ready float32 batches, no model, and the
# C++ TileStream alone, on a generated slide, in one run.
#
#   bench/bench-tile-stream.sh [WORKERS]    # default: nproc
#
# Two models: h0-mini (224 px at 0.5 um/px: 448 px read at level 0 of the
# 0.25 um/px slide, resized) and the tests' tiny ViT (64 px: 128 px read).
# Needs /usr/bin/python3 with torch, torchvision, openslide and Pillow.
set -euo pipefail
workers=${1:-$(nproc)}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/release"
cmake --preset release -S "$root" > /dev/null
cmake --build --preset release --target bioptimus_python bioptimus_tile_stream_benchmark bioptimus_make_tissue_slide >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/tests/wsi/bioptimus_make_tissue_slide" "$work/slide.tif" --size 16384x12288 --mpp 0.25
for model in h0-mini "$root/tests/data/models/tiny-vit-reg4.yaml"; do
  PYTHONPATH="$build/python" /usr/bin/python3 "$root/bench/tile_stream_benchmark.py" "$work/slide.tif" \
    --model "$model" --cpp "$build/bench/bioptimus_tile_stream_benchmark" --workers "$workers"
done
