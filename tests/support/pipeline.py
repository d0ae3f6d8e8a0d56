"""The Python pipeline TRIDENT and CLAM users run, as the oracle of `modelspec extract`: a model spec
(the YAML file), openslide-python, Pillow, torchvision and torch.

- `load_spec(path)`: the spec as a dict (PyYAML).
- `tile_transform(spec)`: an RGBA region from openslide-python to the model input: composited on white
  (our reader composites pixels outside the scan on white), RGB, Pillow's resize to the spec's tile
  size with its interpolation (Pillow antialiases as the spec's `antialias: true` asks), torchvision's
  ToTensor and Normalize with the spec's mean and std.
- `readout(spec, output)`: the spec's embedding from the model's output, in float32 (a bf16 output
  is widened first, as the C++ readout does): `cls` token 0, `patch_mean` the mean of the tokens after
  the `num_prefix_tokens` (registers included in the prefix), or the spatial mean of a CNN's
  feature map, `cls+patch_mean` both side by side; an output already of the embedding's shape as is.
- `features(...)`: the embeddings of tiles at given level-0 coordinates, batch by batch, in fp32 or
  under `torch.autocast("cpu", torch.bfloat16)`.
"""
import numpy as np
import openslide
import torch
import yaml
from PIL import Image
from torchvision import transforms

_FILTERS = {"nearest": Image.NEAREST, "bilinear": Image.BILINEAR, "bicubic": Image.BICUBIC,
            "lanczos": Image.LANCZOS, "box": Image.BOX, "hamming": Image.HAMMING}


def load_spec(path):
    with open(path, encoding="utf-8") as text:
        return yaml.safe_load(text)


def tile_size(spec):
    """The model's input size in pixels, (width, height): tile_spec.size in pixels, or in um at the
    spec's resolution (um per pixel)."""
    tile = spec["tile_spec"]
    width, height = tile["size"]
    if tile.get("unit", "pixels") == "um":
        return round(width / tile["resolution"]), round(height / tile["resolution"])
    return width, height


def tile_transform(spec):
    size, resample = tile_size(spec), _FILTERS[spec.get("interpolation", "bicubic")]
    to_input = transforms.Compose([transforms.ToTensor(), transforms.Normalize(spec["mean"], spec["std"])])

    def transform(region):
        white = Image.new("RGBA", region.size, (255, 255, 255, 255))
        return to_input(Image.alpha_composite(white, region).convert("RGB").resize(size, resample))

    return transform


def readout(spec, output):
    output = output.float()
    kind = spec["output_type"]
    if output.dim() == 2:  # the model pooled itself
        return output
    if output.dim() == 4:  # a CNN's feature map (B, C, H, W)
        assert kind == "patch_mean", kind
        return output.mean(dim=(2, 3))
    prefix = spec.get("num_prefix_tokens") or 0
    parts = {"cls": [output[:, 0]], "patch_mean": [output[:, prefix:].mean(dim=1)],
             "cls+patch_mean": [output[:, 0], output[:, prefix:].mean(dim=1)]}[kind]
    return torch.cat(parts, dim=1)


def embed(spec, model, batch, precision="fp32"):
    """One batch of model inputs through the model and the readout, under autocast for bf16."""
    with torch.inference_mode():
        if precision == "bf16":
            with torch.autocast("cpu", dtype=torch.bfloat16):
                output = model(batch)
        else:
            output = model(batch)
        return readout(spec, output).numpy()


def features(slide_path, coords, level, region_size, spec, model, precision="fp32", batch_size=64):
    transform = tile_transform(spec)
    slide = openslide.OpenSlide(str(slide_path))
    rows = []
    for start in range(0, len(coords), batch_size):
        batch = [transform(slide.read_region((int(x), int(y)), level, (region_size, region_size)))
                 for x, y in coords[start:start + batch_size]]
        rows.append(embed(spec, model, torch.stack(batch), precision))
    return np.concatenate(rows) if rows else np.zeros((0, spec["embedding_dim"]), np.float32)
