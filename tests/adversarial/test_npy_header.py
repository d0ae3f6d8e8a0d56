"""Class 9: the .npy header is parsed with bounds everywhere. A header whose
values are empty, unquoted, not tuples or cut short is a located error naming
the file (under ASan, an over-read fails the run); fuzz/npy_header_fuzzer.cpp
drives the same parser with any bytes."""
import struct

import pytest

from support import run, text


def npy(path, header, version=1):
    """A .npy file with `header` as its dictionary text, padded as numpy pads."""
    prefix = 10 if version == 1 else 12
    header += " " * (63 - (prefix + len(header)) % 64) + "\n"
    length = struct.pack("<H" if version == 1 else "<I", len(header))
    path.write_bytes(b"\x93NUMPY" + bytes([version, 0]) + length + header.encode("latin-1"))
    return path


@pytest.mark.parametrize("header,expected", [
    # The value is at the very end of the header: nothing follows it.
    ("{'descr': '|u1', 'fortran_order': False, 'shape':", "the .npy header's 'shape' is malformed or missing its value"),
    ("{'descr': '|u1', 'fortran_order': False, 'shape': }", "the .npy header's 'shape' is malformed or missing its value"),
    ("{'descr': '|u1', 'fortran_order': False, 'shape': 7}", "the .npy shape is not a tuple: '7'"),
    ("{'descr': '|u1', 'fortran_order': False, 'shape': (4, x)}", "the .npy shape is malformed"),
    ("{'descr': '|u1', 'fortran_order': False, 'shape': (99999999999999999999,)}", "the .npy shape is too large"),
    ("{'descr': '', 'fortran_order': False, 'shape': (4, 4, 3)}", "the .npy header's 'descr' is not a quoted dtype: ''''"),
    ("{'descr': u1, 'fortran_order': False, 'shape': (4, 4, 3)}", "the .npy header's 'descr' is not a quoted dtype: 'u1'"),
    ("{'descr':", "the .npy header's 'descr' is malformed or missing its value"),
    ("{'descr': '|u1", "the .npy header's 'descr' is malformed or missing its value"),
    ("{'descr': '|u1', 'fortran_order':", "the .npy header's 'fortran_order' is malformed or missing its value"),
    ("{'descr': '|u1', 'shape': (4, 4, 3)}", "the .npy header has no 'fortran_order'"),
])
def test_a_malformed_header_is_a_located_error(tmp_path, header, expected):
    tile = npy(tmp_path / "tile.npy", header)
    result = run("preprocess", "h0-mini", tile, "-o", tmp_path / "out.npy")
    stderr = text(result.stderr)
    assert result.returncode == 1, stderr
    assert f"tile.npy: {expected}" in stderr, stderr
    assert "substr" not in stderr and "basic_string" not in stderr, stderr
    assert not (tmp_path / "out.npy").exists()


@pytest.mark.parametrize("data", [b"\x93NUMPY", b"\x93NUMPY\x01\x00\xff\xff{", b"\x93NUMPY\x02\x00\xff\xff\xff\x7f",
                                  b"\x93NUMPY\x03\x00\x05", b"\x93NUMPY\x09\x00\x00\x00"])
def test_a_truncated_preamble_is_a_located_error(tmp_path, data):
    (tmp_path / "tile.npy").write_bytes(data)
    result = run("preprocess", "h0-mini", tmp_path / "tile.npy", "-o", tmp_path / "out.npy")
    stderr = text(result.stderr)
    assert result.returncode == 1, stderr
    assert "tile.npy: " in stderr and ".npy" in stderr, stderr


def test_a_version_2_header_is_read(tmp_path):
    tile = npy(tmp_path / "tile.npy", "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 2, 3), }", version=2)
    with open(tile, "ab") as out:
        out.write(bytes(12))
    result = run("preprocess", "h0-mini", tile, "-o", tmp_path / "out.npy")
    assert result.returncode == 0, text(result.stderr)
