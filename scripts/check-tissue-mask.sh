#!/usr/bin/env bash
# The default tissue mask against CLAM's tcga preset on generated slides of
# three sizes, up to 40,000 x 30,000 px (too slow to generate for CI, which
# tests 6,000 x 6,000 and 12,000 x 9,000 in tests/wsi/tissue_mask_test.cpp):
# the share of ground-truth tissue tiles kept, speck tiles, background tiles.
# Two layouts: make_tissue_slide's default (five blobs sized in fractions of
# the slide, nine specks) and --fragments (pieces of 150 to 500 um, dust
# 20 to 90 um across).
#
#   scripts/check-tissue-mask.sh [BUILD_DIR]    # default build/release
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
if [ -z "${1:-}" ]; then
  cmake --preset release -S "$root" > /dev/null
  cmake --build --preset release --target modelspec modelspec-tiles bioptimus_make_tissue_slide >&2
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tool="$build/apps/modelspec"
for size in 6000x6000 12000x9000 40000x30000; do
  for layout in blobs fragments; do
    name="$layout-$size"
    extra=()
    [ "$layout" = fragments ] && extra=(--fragments 150,200,300,500)
    "$build/tests/wsi/bioptimus_make_tissue_slide" "$work/$name.tif" --size "$size" --mpp 0.25 "${extra[@]}" \
      --truth "$work/$name.pgm"
    "$tool" tiles "$work/$name.tif" --model h0-mini --mask-threshold 0 -o "$work/grid" > /dev/null
    "$tool" tiles "$work/$name.tif" --model h0-mini -o "$work/default" > /dev/null
    "$tool" tiles "$work/$name.tif" --model h0-mini --tissue-preset tcga -o "$work/tcga" > /dev/null
    (cd "$work" && /usr/bin/python3 "$root/bench/mask_scores.py" "$name.pgm" "grid/$name.h5" "default/$name.h5" \
      "tcga/$name.h5")
  done
done
