#!/usr/bin/python3
"""Writes the readout reference data: backbone outputs and the embeddings numpy
reads out of them, as raw little-endian arrays (shapes in readout_test.cpp).

Run with Debian's python3 (numpy, torch for bfloat16) from anywhere; it rewrites
the files beside itself, or writes them to the directory given as its argument.
Deterministic: a test regenerates them into a temporary directory and compares.

The spec: ViT, tile 32 px wide x 48 px high, patch 16 -> grid 2 wide x 3 high,
num_prefix_tokens 5 (CLS + 4 registers), token width 4, batch 3.
"""
import pathlib
import sys

import numpy as np
import torch

HERE = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent)
BATCH, PREFIX, GRID_H, GRID_W, WIDTH = 3, 5, 3, 2, 4
TOKENS = PREFIX + GRID_H * GRID_W


def write(name, array, dtype):
    (HERE / name).write_bytes(np.ascontiguousarray(array, dtype=dtype).astype(np.dtype(dtype).newbyteorder("<")).tobytes())


def readouts(tokens):
    """tokens: float64 (B, TOKENS, WIDTH) -> every output type, as numpy computes it."""
    cls = tokens[:, 0]
    patches = tokens[:, PREFIX:]  # registers are prefix tokens: never averaged
    patch_mean = patches.mean(axis=1)
    dense = patches.reshape(BATCH, GRID_H, GRID_W, WIDTH).transpose(0, 3, 1, 2)
    return {
        "cls": cls,
        "patch_mean": patch_mean,
        "cls_patch_mean": np.concatenate([cls, patch_mean], axis=1),
        "dense": dense,
        "token_sequence": tokens,
    }


def main():
    rng = np.random.default_rng(13)
    # Registers get large values so that averaging them in would be obvious.
    values = rng.normal(size=(BATCH, TOKENS, WIDTH)).astype(np.float32)
    values[:, 1:PREFIX] += 100.0

    decoded = {
        "f32": values.astype(np.float64),
        "f16": values.astype(np.float16).astype(np.float64),
        "bf16": torch.from_numpy(values).to(torch.bfloat16).to(torch.float32).numpy().astype(np.float64),
    }
    write("tokens.f32", values, np.float32)
    write("tokens.f16", values.astype(np.float16), np.float16)
    write("tokens.bf16", torch.from_numpy(values).to(torch.bfloat16).view(torch.int16).numpy(), np.int16)
    for dtype, tokens in decoded.items():
        for name, result in readouts(tokens).items():
            write(f"{name}.{dtype}.f32", result, np.float32)

    # A CNN's feature map (B, channels 4, height 3, width 2) and its global average pool.
    feature_map = rng.normal(size=(BATCH, WIDTH, GRID_H, GRID_W)).astype(np.float32)
    write("feature_map.f32", feature_map, np.float32)
    write("feature_map_mean.f32", feature_map.astype(np.float64).mean(axis=(2, 3)), np.float32)

    # Decoding of the 16-bit formats, special values included: zeros, subnormals,
    # the largest finite, infinities, NaN.
    half_bits = np.array([0x0000, 0x8000, 0x0001, 0x03FF, 0x0400, 0x3C00, 0xBC00, 0x3555, 0x7BFF, 0xFBFF,
                          0x7C00, 0xFC00, 0x7E00, 0x8001, 0x5640, 0x1234], dtype=np.uint16)
    write("halves.u16", half_bits, np.uint16)
    write("halves.f32", half_bits.view(np.float16).astype(np.float32), np.float32)
    bf16_bits = np.array([0x0000, 0x8000, 0x0001, 0x007F, 0x0080, 0x3F80, 0xBF80, 0x7F7F, 0xFF7F, 0x7F80,
                          0xFF80, 0x7FC0, 0x4049, 0x3E9A], dtype=np.uint16)
    write("bfloats.u16", bf16_bits, np.uint16)
    bf16_values = torch.from_numpy(bf16_bits.view(np.int16).copy()).view(torch.bfloat16).to(torch.float32).numpy()
    write("bfloats.f32", bf16_values, np.float32)


if __name__ == "__main__":
    main()
