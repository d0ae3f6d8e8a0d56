#!/usr/bin/python3
"""The tiles a TRIDENT- or CLAM-style Python loader makes, for tile_stream_test:

  pillow_tiles.py SLIDE COORDS.txt OUT.f32 LEVEL REGION TILE MEAN_R,G,B STD_R,G,B

For each "x y" line of COORDS.txt (level-0 top-left corners): openslide-python
read_region at LEVEL of REGION x REGION pixels, composited on white (as our
reader does with transparent pixels), Pillow's bicubic resize to TILE x TILE
when the sizes differ, torchvision's ToTensor and Normalize(MEAN, STD).
Writes the tiles as raw float32 (N, 3, TILE, TILE). Exits 77 when a module is
missing."""
import sys

try:
    import numpy as np
    import openslide
    from PIL import Image
    from torchvision import transforms
except ImportError as missing:
    print(f"SKIP: {missing}")
    sys.exit(77)

slide_path, coords_path, out_path = sys.argv[1:4]
level, region_size, tile = (int(value) for value in sys.argv[4:7])
mean, std = ([float(v) for v in text.split(",")] for text in sys.argv[7:9])
to_input = transforms.Compose([transforms.ToTensor(), transforms.Normalize(mean, std)])
slide = openslide.OpenSlide(slide_path)
white = Image.new("RGBA", (region_size, region_size), (255, 255, 255, 255))
tiles = []
for line in open(coords_path).read().split("\n"):
    if not line:
        continue
    x, y = (int(value) for value in line.split())
    region = Image.alpha_composite(white, slide.read_region((x, y), level, (region_size, region_size))).convert("RGB")
    if region_size != tile:
        region = region.resize((tile, tile), Image.BICUBIC)
    tiles.append(to_input(region).numpy())
np.stack(tiles).astype(np.float32).tofile(out_path)
