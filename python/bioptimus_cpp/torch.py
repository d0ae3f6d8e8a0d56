"""TileStream as a PyTorch dataset. Importing this module imports torch;
`import bioptimus_cpp` alone never does.

A TRIDENT- or CLAM-style loop changes one line, the loader's:

    from bioptimus_cpp.torch import TileDataset
    loader = TileDataset("slide.svs", spec, batch_size=64)  # was DataLoader(PatchDataset(...), batch_size=64, ...)
    for tiles, coords in loader:                              # (64, 3, H, W) float32, (64, 2) int64
        features = model(tiles.to(device))

See docs/pytorch-loop.md.
"""
import torch
from torch.utils.data import IterableDataset, get_worker_info

from . import TileStream

__all__ = ["TileDataset"]


class TileDataset(IterableDataset):
    """A slide's tiles as batches of torch tensors: (B, 3, H, W) float32 (or
    float16, or uint8 (B, H, W, 3), as TileStream's dtype says) and (B, 2)
    int64 level-0 (x, y), made by a TileStream with the same arguments.

    It batches and reads on its own threads: iterate it directly, or wrap it
    in DataLoader(dataset, batch_size=None) (for pin_memory, say) with
    num_workers=0. Each iteration opens the slide afresh. The tensors share
    the stream's arrays (torch.from_numpy, no copy) and own their memory.
    """

    def __init__(self, slide, spec, **options):
        super().__init__()
        self.slide = slide
        self.spec = spec
        self.options = options

    def __iter__(self):
        worker = get_worker_info()
        if worker is not None and worker.num_workers > 1:
            raise RuntimeError("TileDataset reads on its own threads and batches itself: use "
                               "DataLoader(dataset, batch_size=None, num_workers=0), or iterate it directly")
        with TileStream(self.slide, self.spec, **self.options) as stream:
            for batch, coords in stream:
                yield torch.from_numpy(batch), torch.from_numpy(coords)
