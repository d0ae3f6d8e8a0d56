#!/usr/bin/env bash
# `modelspec tiles` against CLAM's create_patches_fp.py (tcga preset) on a
# generated 40,000 x 30,000 px slide at 0.25 um/px, 256 px tiles at level 0,
# HDF5 output; then both tools' tissue coverage against the ground truth and
# our peak memory on slides of two sizes.
#
#   scripts/bench-tiles.sh /path/to/CLAM    # a checkout of mahmoodlab/CLAM
#
# CLAM needs /usr/bin/python3 with openslide, opencv, h5py, pandas,
# matplotlib and tqdm (Debian: python3-openslide python3-opencv python3-h5py
# python3-pandas python3-matplotlib python3-tqdm).
set -euo pipefail
clam=$(realpath "${1:?usage: scripts/bench-tiles.sh CLAM_CHECKOUT}")
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/release"
cmake --preset release -S "$root" > /dev/null
cmake --build --preset release --target modelspec bioptimus_tiles_benchmark bioptimus_make_tissue_slide >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
generator="$build/tests/wsi/bioptimus_make_tissue_slide"
"$generator" "$work/slide.tif" --size 40000x30000 --mpp 0.25 --truth "$work/slide.pgm"
"$generator" "$work/half.tif" --size 20000x15000 --mpp 0.25

BIOPTIMUS_BENCH_SLIDE="$work/slide.tif" BIOPTIMUS_CLAM_DIR="$clam" \
  "$build/bench/bioptimus_tiles_benchmark" --benchmark_out="$work/result.json" --benchmark_out_format=json
/usr/bin/python3 - "$work/result.json" <<'PY'
import json, sys
runs = {b["name"].split("/")[0]: b["real_time"] for b in json.load(open(sys.argv[1]))["benchmarks"]}
ours, clam = runs.get("BM_ModelspecTiles"), runs.get("BM_ClamCreatePatchesFp")
if ours and clam:
    print(f"modelspec tiles {ours:.0f} ms, CLAM create_patches_fp.py {clam:.0f} ms: {clam / ours:.1f}x faster")
PY

# Both tools once more, for their outputs and their CPU time (user + system,
# children included), which a busy machine disturbs less than wall-clock.
/usr/bin/time -f "modelspec tiles: %e s wall, %U + %S s CPU, peak memory %M KiB" \
  "$build/apps/modelspec" tiles "$work/slide.tif" --tile-spec "$root/bench/configs/clam-256-40x.yaml" \
  --mask-threshold 0.1 -o "$work/ours" > /dev/null
mkdir -p "$work/source" && ln -s "$work/slide.tif" "$work/source/slide.tif"
(cd "$clam" && /usr/bin/time -f "CLAM create_patches_fp.py: %e s wall, %U + %S s CPU, peak memory %M KiB" \
  /usr/bin/python3 create_patches_fp.py --source "$work/source" --save_dir "$work/clam" \
  --patch_size 256 --step_size 256 --preset tcga.csv --seg --patch > /dev/null)
uptime
/usr/bin/python3 "$root/bench/tile_coverage.py" "$work/slide.pgm" "$work/ours/slide.h5" "$work/clam/patches/slide.h5"

for slide in half slide; do
  /usr/bin/time -f "$slide.tif: peak memory %M KiB" "$build/apps/modelspec" tiles "$work/$slide.tif" \
    --tile-spec "$root/bench/configs/clam-256-40x.yaml" -o "$work/memory" > /dev/null
done
