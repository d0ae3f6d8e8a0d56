#!/usr/bin/env bash
# `modelspec extract` against the Python pipeline written the way TRIDENT
# extracts features (bench/extract_python.py: openslide-python, Pillow,
# torchvision, a DataLoader with workers, batches of 64, torch.jit), same
# tiny ViT (tests/data/models), same tiles, same thread count, in one run.
#
#   bench/bench-extract.sh [THREADS]    # default: nproc
#
# The slide: generated, 16384 x 12288 px at 0.25 um/px, about 2,460 tissue
# tiles of 64 px at 0.5 um/px (128 px read at level 0, resized). Ours is timed
# end to end (model load, tissue mask, tiling, reads, model, writing); the
# Python figure is its extraction loop alone (DataLoader and model, after
# imports, model load and with the coordinates given), which favours it.
# The model's share: the time inside the model, which each pipeline reports.
# Peak memory of ours on that slide and on one 4x larger.
#
# Needs /usr/bin/python3 with torch, torchvision, openslide, h5py and Pillow
# (Debian: python3-torch python3-torchvision python3-openslide python3-h5py python3-pil).
set -euo pipefail
threads=${1:-$(nproc)}
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/release"
cmake --preset release -S "$root" > /dev/null
cmake --build --preset release --target modelspec bioptimus_make_tissue_slide >&2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
generator="$build/tests/wsi/bioptimus_make_tissue_slide"
tool="$build/apps/modelspec"
models="$root/tests/data/models"
"$generator" "$work/slide.tif" --size 16384x12288 --mpp 0.25
"$generator" "$work/large.tif" --size 32768x24576 --mpp 0.25
"$tool" tiles "$work/slide.tif" --tile-spec "$models/tiny-vit-reg4.yaml" -o "$work/coords" > /dev/null

extract() {
  "$tool" extract "$1" --model "$models/tiny-vit-reg4.yaml" --weights "$models/tiny-vit-reg4.pt" \
    -o "$work/ours" --threads "$threads" --overwrite 2> /dev/null
}
# Ours: "1 slides (0 failed, 0 skipped), N tiles, S s (M s in the model)".
ours=$(/usr/bin/time -f "%e %U %S %M" -o "$work/ours.time" bash -c "$(declare -f extract); tool=$tool models=$models \
  work=$work threads=$threads extract $work/slide.tif")
read -r ours_wall ours_user ours_system ours_rss < "$work/ours.time"
ours_tiles=$(sed -E 's/.* ([0-9]+) tiles.*/\1/' <<< "$ours")

python=$(/usr/bin/time -f "%e %U %S %M" -o "$work/python.time" /usr/bin/python3 "$root/bench/extract_python.py" \
  "$work/slide.tif" "$work/coords/slide.h5" "$models/tiny-vit-reg4.pt" "$work/python.h5" \
  --spec "$models/tiny-vit-reg4.yaml" --workers "$threads")
read -r python_wall python_user python_system python_rss < "$work/python.time"

large=$(/usr/bin/time -f "%M" -o "$work/large.time" bash -c "$(declare -f extract); tool=$tool models=$models \
  work=$work threads=$threads extract $work/large.tif")
large_rss=$(cat "$work/large.time")

/usr/bin/python3 - "$threads" "$ours_tiles" "$ours_wall" "$ours_user" "$ours_system" "$ours_rss" "$python" \
  "$python_wall" "$python_user" "$python_system" "$python_rss" "$ours" "$large" "$large_rss" <<'PY'
import sys
(threads, ours_tiles, ours_wall, ours_user, ours_system, ours_rss, python, python_wall, python_user, python_system,
 python_rss, ours, large, large_rss) = sys.argv[1:]
tiles = int(ours_tiles)
ours_rate = tiles / float(ours_wall)
p = python.split()
python_tiles, python_loop, python_model = int(p[0]), float(p[2]), float(p[7])
python_rate = python_tiles / python_loop
ours_model = float(ours.split("(")[-1].split()[0])
large_tiles = int(large.split(" tiles")[0].split()[-1])
print(f"threads {threads}, {tiles} tiles (python: {python_tiles})")
print(f"modelspec extract  {ours_rate:8.1f} tiles/s end to end ({float(ours_wall):.2f} s wall, "
      f"{float(ours_user) + float(ours_system):.2f} s CPU, peak {int(ours_rss) / 1024:.0f} MiB); "
      f"model {ours_model:.2f} s = {100 * ours_model / float(ours_wall):.0f}% of it")
print(f"python (TRIDENT)   {python_rate:8.1f} tiles/s in its loop ({python_loop:.2f} s; process {float(python_wall):.2f} s "
      f"wall, {float(python_user) + float(python_system):.2f} s CPU of the main process, peak {int(python_rss) / 1024:.0f} MiB); "
      f"model {python_model:.2f} s = {100 * python_model / python_loop:.0f}% of the loop")
print(f"ratio              {ours_rate / python_rate:.1f}x the Python tiles/s")
print(f"peak memory        {int(ours_rss) / 1024:.0f} MiB ({tiles} tiles) vs {int(large_rss) / 1024:.0f} MiB "
      f"({large_tiles} tiles, slide 4x larger): {100 * (int(large_rss) / int(ours_rss) - 1):+.1f}%")
PY
uptime
