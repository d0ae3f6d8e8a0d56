#!/usr/bin/python3
"""The peer of the C++ loader in bench/loader_benchmark.cpp: a plain Python
reader of the same config files, PyYAML's C loader (libyaml) into frozen
dataclasses that check the same rules (docs/configuration.md).

    python_reader.py --repeat 2000 configs/h0-mini.yaml   # wall and CPU seconds per load, as JSON
    python_reader.py --list configs                       # what `modelspec list` prints

The benchmark runs the first form and reports the ratio to its own time.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import yaml

MAX_SIDE = 1 << 20
MAX_DIMENSION = 1 << 24
MIN_MPP, MAX_MPP = 1e-3, 1e5
NAME = re.compile(r"^[a-z0-9]+(?:[-._][a-z0-9]+)*$")
SEMVER = re.compile(
    r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)"
    r"(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$"
)
MODEL_KEYS = {
    "model_name", "version", "weights_source", "license", "tile_spec", "num_channels", "mean", "std",
    "interpolation", "antialias", "color_space", "stain_normalization", "architecture", "patch_size",
    "num_prefix_tokens", "embedding_dim", "output_type", "output_spatial_dims", "precision",
}
TILE_KEYS = {"size", "stride", "resolution", "unit"}
INTERPOLATIONS = {"nearest", "bilinear", "bicubic", "lanczos", "area"}
COLOR_SPACES = {"RGB", "BGR", "HED"}
STAIN_NORMALIZATIONS = {"macenko", "reinhard", "vahadane"}
ARCHITECTURES = {"vit", "swin", "resnet", "convnext"}
OUTPUT_TYPES = {"cls", "patch_mean", "cls+patch_mean", "dense", "token_sequence"}
PRECISIONS = {"fp32", "fp16", "bf16"}
UNITS = {"pixels", "um"}


class ConfigError(ValueError):
    pass


def _number(value, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{field}: expected a number, got {value!r}")
    return float(value)


def _whole(value, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ConfigError(f"{field}: expected a whole number, got {value!r}")
    return value


def _word(value, field: str, allowed: set) -> str:
    if value not in allowed:
        raise ConfigError(f"{field}: expected one of {' | '.join(sorted(allowed))}, got {value!r}")
    return value


def _extent(value, field: str) -> tuple:
    if isinstance(value, list):
        if len(value) != 2:
            raise ConfigError(f"{field}: expected [width, height]")
        return (_number(value[0], field), _number(value[1], field))
    side = _number(value, field)
    return (side, side)


@dataclass(frozen=True)
class TileSpec:
    size: tuple
    stride: tuple
    mpp: float
    unit: str = "pixels"

    def __post_init__(self):
        if not (MIN_MPP <= self.mpp <= MAX_MPP):
            raise ConfigError(f"tile_spec.resolution: expected an MPP in [{MIN_MPP}, {MAX_MPP}], got {self.mpp}")
        scale = 1.0 / self.mpp if self.unit == "um" else 1.0
        for field, (width, height) in (("size", self.size), ("stride", self.stride)):
            for length in (width, height):
                if not (math.isfinite(length) and length > 0):
                    raise ConfigError(f"tile_spec.{field}: expected finite numbers > 0, got {(width, height)}")
                pixels = length * scale
                if pixels > MAX_SIDE:
                    raise ConfigError(f"tile_spec.{field}: expected at most {MAX_SIDE} pixels per side")
                if abs(pixels - round(pixels)) > 1e-6 * pixels or round(pixels) < 1:
                    raise ConfigError(f"tile_spec.{field}: expected whole pixels, got {(width, height)}")

    @property
    def size_pixels(self) -> tuple:
        scale = 1.0 / self.mpp if self.unit == "um" else 1.0
        return (round(self.size[0] * scale), round(self.size[1] * scale))


@dataclass(frozen=True)
class ModelSpec:
    model_name: str
    version: str
    tile_spec: TileSpec
    mean: tuple
    std: tuple
    embedding_dim: int
    output_type: str
    weights_source: Optional[str] = None
    license: Optional[str] = None
    num_channels: int = 3
    interpolation: str = "bicubic"
    antialias: bool = True
    color_space: str = "RGB"
    stain_normalization: Optional[str] = None
    architecture: str = "vit"
    patch_size: Optional[int] = None
    num_prefix_tokens: Optional[int] = None
    output_spatial_dims: Optional[tuple] = None
    precision: str = "fp32"

    def __post_init__(self):
        problems = []
        if not (len(self.model_name) <= 128 and NAME.match(self.model_name)):
            problems.append(f"model_name: expected lowercase words, got {self.model_name!r}")
        if not SEMVER.match(self.version) or any(len(n) > 18 for n in self.version.split("+")[0].split("-")[0].split(".")):
            problems.append(f"version: expected a SemVer 2.0 version, got {self.version!r}")
        for field in ("weights_source", "license"):
            value = getattr(self, field)
            if value is not None and not value.strip():
                problems.append(f"{field}: expected non-empty text")
        channels_ok = 1 <= self.num_channels <= MAX_DIMENSION
        if not channels_ok:
            problems.append(f"num_channels: expected a whole number in [1, {MAX_DIMENSION}]")
        for field, values, positive in (("mean", self.mean, False), ("std", self.std, True)):
            if channels_ok and len(values) != self.num_channels:
                problems.append(f"{field}: expected {self.num_channels} values, got {len(values)}")
            for i, value in enumerate(values):
                if not math.isfinite(value) or (positive and value <= 0):
                    problems.append(f"{field}[{i}]: expected a finite number{' > 0' if positive else ''}")
        if channels_ok and self.num_channels != 3:
            problems.append("color_space: needs num_channels == 3")
        vit = self.architecture == "vit"
        prefix = self.num_prefix_tokens if self.num_prefix_tokens is not None else (1 if vit else 0)
        grid = None
        if self.patch_size is not None and self.patch_size <= 0:
            problems.append("patch_size: expected a whole number > 0")
        elif vit and self.patch_size is None:
            problems.append("patch_size: required for architecture vit")
        elif vit:
            width, height = self.tile_spec.size_pixels
            if width % self.patch_size or height % self.patch_size:
                problems.append("patch_size: expected a divisor of both tile sides")
            else:
                grid = (height // self.patch_size, width // self.patch_size)
        elif self.patch_size is not None:
            problems.append("patch_size: expected null for a non-vit architecture")
        if not 0 <= prefix <= MAX_DIMENSION:
            problems.append("num_prefix_tokens: out of range")
        elif not vit and prefix != 0:
            problems.append("num_prefix_tokens: expected 0 for a non-vit architecture")
        reads_cls = self.output_type in ("cls", "cls+patch_mean")
        if (reads_cls or self.output_type == "token_sequence") and not vit:
            problems.append("output_type: needs a token architecture (vit)")
        elif reads_cls and prefix < 1:
            problems.append("num_prefix_tokens: the output type reads the CLS token")
        if not 1 <= self.embedding_dim <= MAX_DIMENSION:
            problems.append("embedding_dim: out of range")
        elif self.output_type == "cls+patch_mean" and self.embedding_dim % 2:
            problems.append("embedding_dim: expected an even number")
        dims = self.output_spatial_dims
        if dims is not None and not all(1 <= side <= MAX_SIDE for side in dims):
            problems.append("output_spatial_dims: out of range")
        elif self.output_type == "dense":
            if dims is None:
                problems.append("output_spatial_dims: required for output_type dense")
            elif grid is not None and tuple(dims) != grid:
                problems.append("output_spatial_dims: expected the patch grid")
        elif dims is not None:
            problems.append("output_spatial_dims: expected null")
        if problems:
            raise ConfigError("\n".join(problems))


def _tile_spec(node) -> TileSpec:
    if not isinstance(node, dict):
        raise ConfigError("tile_spec: expected a map")
    unknown = set(node) - TILE_KEYS
    if unknown:
        raise ConfigError(f"tile_spec: unknown keys {sorted(unknown)}")
    size = _extent(node["size"], "tile_spec.size")
    stride = _extent(node["stride"], "tile_spec.stride") if "stride" in node else size
    resolution = node["resolution"]
    if isinstance(resolution, dict):
        if len(resolution) != 1 or "mpp" not in resolution:
            raise ConfigError("tile_spec.resolution: a ModelSpec needs an MPP")
        resolution = resolution["mpp"]
    return TileSpec(size, stride, _number(resolution, "tile_spec.resolution"),
                    _word(node.get("unit", "pixels"), "tile_spec.unit", UNITS))


def parse_spec(text: str) -> ModelSpec:
    node = yaml.load(text, Loader=yaml.CSafeLoader)
    if not isinstance(node, dict):
        raise ConfigError("expected a map of model fields")
    unknown = set(node) - MODEL_KEYS
    if unknown:
        raise ConfigError(f"unknown keys {sorted(unknown)}")
    fields = {
        "model_name": str(node["model_name"]),
        "version": str(node["version"]),
        "tile_spec": _tile_spec(node["tile_spec"]),
        "mean": tuple(_number(v, "mean") for v in node["mean"]),
        "std": tuple(_number(v, "std") for v in node["std"]),
        "embedding_dim": _whole(node["embedding_dim"], "embedding_dim"),
        "output_type": _word(node["output_type"], "output_type", OUTPUT_TYPES),
    }
    for key in ("weights_source", "license"):
        if node.get(key) is not None:
            fields[key] = str(node[key])
    for key, allowed in (("interpolation", INTERPOLATIONS), ("color_space", COLOR_SPACES),
                         ("architecture", ARCHITECTURES), ("precision", PRECISIONS)):
        if key in node:
            fields[key] = _word(node[key], key, allowed)
    if node.get("stain_normalization") is not None:
        fields["stain_normalization"] = _word(node["stain_normalization"], "stain_normalization",
                                              STAIN_NORMALIZATIONS)
    if "antialias" in node:
        if not isinstance(node["antialias"], bool):
            raise ConfigError("antialias: expected true or false")
        fields["antialias"] = node["antialias"]
    for key in ("num_channels", "patch_size", "num_prefix_tokens"):
        if node.get(key) is not None:
            fields[key] = _whole(node[key], key)
    if node.get("output_spatial_dims") is not None:
        dims = node["output_spatial_dims"]
        if not isinstance(dims, list) or len(dims) != 2:
            raise ConfigError("output_spatial_dims: expected [height, width]")
        fields["output_spatial_dims"] = tuple(_whole(v, "output_spatial_dims") for v in dims)
    return ModelSpec(**fields)


def load_spec(path: Path) -> ModelSpec:
    spec = parse_spec(path.read_text(encoding="utf-8"))
    if spec.model_name != path.stem:
        raise ConfigError(f"{path}: model_name: expected the file stem {path.stem!r}")
    return spec


def list_models(directory: str) -> None:
    """Loads every config of `directory` and prints a table, as `modelspec list` does."""
    specs = sorted((load_spec(path) for path in Path(directory).glob("*.yaml")), key=lambda s: s.model_name)
    rows = [("name", "version", "arch", "tile", "embedding_dim", "output_type", "license", "weights_source")]
    for spec in specs:
        width, height = spec.tile_spec.size_pixels
        rows.append((spec.model_name, spec.version, spec.architecture,
                     f"{width}x{height} px @ {spec.tile_spec.mpp:.4g} mpp", str(spec.embedding_dim),
                     spec.output_type, spec.license or "-", spec.weights_source or "-"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(width) for cell, width in zip(row[:-1], widths)) + "  " + row[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=1000, help="loads per file, timed")
    parser.add_argument("--list", metavar="DIR", help="print the table of every config in DIR")
    parser.add_argument("files", nargs="*", type=Path)
    arguments = parser.parse_args()
    if arguments.list:
        list_models(arguments.list)
        return 0
    for path in arguments.files:
        load_spec(path)  # warm up, and fail loudly on a bad file
        wall, cpu = time.perf_counter(), time.process_time()
        for _ in range(arguments.repeat):
            load_spec(path)
        json.dump({"file": str(path),
                   "wall_seconds_per_load": (time.perf_counter() - wall) / arguments.repeat,
                   "cpu_seconds_per_load": (time.process_time() - cpu) / arguments.repeat}, sys.stdout)
        print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
