"""Validated model specs, Pillow-exact preprocessing and tile coordinates.

The Python face of bioptimus-cpp: the same specs, preprocessing and tile
extraction the C++ library runs, with the Bioptimus SDK's names.

    import bioptimus_cpp as bp
    pre = bp.Preprocessor(bp.Registry.builtin().get(bp.Models.H0_MINI))
    batch = pre(tiles, threads=2)  # uint8 (N, H, W, 3) -> float32 (N, 3, 224, 224)
"""
from ._core import *  # noqa: F401,F403
from ._core import __version__  # noqa: F401
