"""Class 4: a small input that declares a huge size is refused by its pixel
count before anything of that size is allocated, with a message naming the
size, the input and the limit: a PNG or .npy for `preprocess` is a tile, not
a slide; a tissue mask has a total budget (a slide declaring a huge size, or
an --mpp-override typo of 250 for 0.25)."""
import struct
import zlib

import numpy as np
import pytest

from support import make_slide, run, text


def png_declaring(path, width, height):
    """A valid PNG header declaring width x height RGB, with a few bytes of data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64))
                     + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("width,height", [(20000, 20000), (100000, 100000), (10000, 10000), (1000000, 100)])
def test_a_png_declaring_a_huge_tile(tmp_path, width, height):
    tile = png_declaring(tmp_path / "tile.png", width, height)
    assert tile.stat().st_size < 100
    result = run("preprocess", "h0-mini", tile, "-o", tmp_path / "out.npy")
    stderr = text(result.stderr)
    assert result.returncode == 1, stderr
    assert f"tile.png: the tile is {width} x {height} px ({width * height} px); at most 67108864" in stderr, stderr
    assert not (tmp_path / "out.npy").exists()


def test_an_npy_declaring_a_huge_tile(tmp_path):
    header = "{'descr': '|u1', 'fortran_order': False, 'shape': (100000, 100000, 3), }"
    header += " " * (63 - (10 + len(header)) % 64) + "\n"
    (tmp_path / "tile.npy").write_bytes(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)) + header.encode())
    result = run("preprocess", "h0-mini", tmp_path / "tile.npy", "-o", tmp_path / "out.npy")
    stderr = text(result.stderr)
    assert result.returncode == 1, stderr
    assert "tile.npy: the tile is 100000 x 100000 px (10000000000 px); at most 67108864" in stderr, stderr


def test_a_tile_within_the_budget_still_works(tmp_path):
    np.save(tmp_path / "tile.npy", np.full((4096, 4096, 3), 200, np.uint8))
    result = run("preprocess", "h0-mini", tmp_path / "tile.npy", "-o", tmp_path / "out.npy")
    assert result.returncode == 0, text(result.stderr)


@pytest.mark.parametrize("override", ["250", "80"])
def test_a_tissue_mask_over_its_budget(tmp_path, override):
    slide = make_slide(tmp_path / "s.tif")  # 2048 px at 1 um/px
    result = run("tiles", slide, "--model", "h0-mini", "-o", tmp_path / "out", "--mpp-override", override)
    stderr = text(result.stderr)
    assert result.returncode == 1, stderr
    side = round(2048 * float(override) / 8)
    assert f"s.tif: a tissue mask at 8 um/px would be {side} x {side} px ({side * side} px); at most 67108864" \
        in stderr, stderr
