"""Validated model specs, Pillow-exact preprocessing, tile coordinates and
batches of tiles for your own PyTorch loop.

The Python face of bioptimus-cpp: the same specs, preprocessing, tile
extraction and tile stream the C++ library runs, with the Bioptimus SDK's names.

    import bioptimus_cpp as bp
    pre = bp.Preprocessor(bp.Registry.builtin().get(bp.Models.H0_MINI))
    batch = pre(tiles, threads=2)  # uint8 (N, H, W, 3) -> float32 (N, 3, 224, 224)
    for batch, coords in bp.TileStream("slide.svs", spec):  # float32 (64, 3, 224, 224), int64 (64, 2)
        ...

bioptimus_cpp.SlideInference (a TorchScript model over slides) lives in an
extension that links LibTorch: it is imported on first use, so that importing
bioptimus_cpp stays light; bioptimus_cpp.torch (TileDataset) imports torch.
"""
import importlib.util as _importlib_util

from ._core import *  # noqa: F401,F403
from ._core import __version__  # noqa: F401

_LAZY = {"SlideInference": "._inference"}


def __getattr__(name):
    if name in _LAZY:
        try:
            module = _importlib_util.find_spec(_LAZY[name], __name__) and __import__(
                __name__ + _LAZY[name], fromlist=[name])
        except ImportError as error:
            raise AttributeError(f"bioptimus_cpp.{name} could not be loaded: {error}") from error
        if not module:
            raise AttributeError(f"bioptimus_cpp was built without {name} (it needs the inference layer, LibTorch)")
        value = getattr(module, name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'bioptimus_cpp' has no attribute {name!r}")


def __dir__():
    names = set(globals())
    names.update(name for name, module in _LAZY.items() if _importlib_util.find_spec(module, __name__))
    return sorted(names)
