#!/usr/bin/env bash
# Mega-tile extraction next to plain tile extraction on a generated
# 40,000 x 30,000 px slide at 0.25 um/px, in one Google Benchmark run
# (bench/megatile_benchmark.cpp); prints the ratios.
#
#   scripts/bench-megatiles.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/release"
cmake --preset release -S "$root" > /dev/null
cmake --build --preset release --target bioptimus_megatile_benchmark bioptimus_make_tissue_slide >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"$build/tests/wsi/bioptimus_make_tissue_slide" "$work/slide.tif" --size 40000x30000 --mpp 0.25

BIOPTIMUS_BENCH_SLIDE="$work/slide.tif" "$build/bench/bioptimus_megatile_benchmark" \
  --benchmark_out="$work/result.json" --benchmark_out_format=json
/usr/bin/python3 - "$work/result.json" <<'PY'
import json, sys
runs = {b["name"]: b["real_time"] for b in json.load(open(sys.argv[1]))["benchmarks"]}
print(f"fit + extract: mega tiles / tiles = {runs['BM_MegaTiles_Fit/iterations:5/real_time'] / runs['BM_Tiles_Fit/iterations:5/real_time']:.3f}")
tiles = runs["BM_Tiles_Extract/real_time"]
for name, time in runs.items():
    if name.startswith("BM_MegaTiles_Extract"):
        print(f"extract: {name} / tiles = {time / tiles:.2f}")
PY
