#!/usr/bin/python3
"""Writes the tiny TorchScript test models, beside this file:

- tiny-vit-reg4.pt: a ViT (patch 16, CLS + 4 register tokens, width 32, 2 blocks,
  64 x 64 input) returning its token sequence (B, 21, 32), as timm's
  forward_features does; its spec is tiny-vit-reg4.yaml (cls+patch_mean, 64).
- tiny-vit-reg4-pooled.pt: the same weights, pooling itself to CLS || mean of the
  patch tokens (B, 64): the same embedding, computed by the model.
- tiny-vit-broken.pt: the same weights returning the tokens without the
  registers (B, 17, 32): the wrong token count for the spec.
- tiny-tuple.pt: a one-layer model returning a tuple (as a Hugging Face model
  exported with torchscript=True does): not one tensor.
- tiny-gray.pt: a one-layer model for 1-channel input: it fails on RGB tiles.
- tiny-vit-reg4.expected.f32: the embedding (2, 64) torch gives for the input
  of reference_input(), read out in numpy (float32, little-endian).
- tiny-vit-sdpa.pt and tiny-vit-future-format.pt: tiny-vit-reg4.pt as a newer
  torch would save it, for the load errors: its attention calls
  torch.scaled_dot_product_attention (torch >= 2.0, what timm's fused
  attention traces to), and a file format version (12) above 1.13's (10).

Run with Debian's python3 (python3-torch). Deterministic on one machine; the
C++ tests compare against the committed files within 1e-5.
"""
import pathlib
import zipfile

import numpy as np
import torch
from torch import nn

HERE = pathlib.Path(__file__).resolve().parent
PATCH, REGISTERS, WIDTH, DEPTH, HEADS, SIZE = 16, 4, 32, 2, 2, 64
PREFIX = 1 + REGISTERS


class Block(nn.Module):
    def __init__(self):
        super().__init__()
        self.norm1 = nn.LayerNorm(WIDTH, eps=1e-6)
        self.qkv = nn.Linear(WIDTH, 3 * WIDTH)
        self.proj = nn.Linear(WIDTH, WIDTH)
        self.norm2 = nn.LayerNorm(WIDTH, eps=1e-6)
        self.fc1 = nn.Linear(WIDTH, 2 * WIDTH)
        self.fc2 = nn.Linear(2 * WIDTH, WIDTH)

    def forward(self, x):
        batch, tokens, _ = x.shape
        qkv = self.qkv(self.norm1(x)).reshape(batch, tokens, 3, HEADS, WIDTH // HEADS).permute(2, 0, 3, 1, 4)
        q, k, v = qkv[0], qkv[1], qkv[2]
        attention = torch.softmax(q @ k.transpose(-2, -1) * (WIDTH // HEADS) ** -0.5, dim=-1)
        x = x + self.proj((attention @ v).transpose(1, 2).reshape(batch, tokens, WIDTH))
        return x + self.fc2(nn.functional.gelu(self.fc1(self.norm2(x))))


class TinyViT(nn.Module):
    """Token order [CLS, reg_1..reg_4, patch_1..patch_16], patches in row-major grid order (timm's)."""

    def __init__(self):
        super().__init__()
        self.patch_embed = nn.Conv2d(3, WIDTH, kernel_size=PATCH, stride=PATCH)
        self.cls_token = nn.Parameter(torch.randn(1, 1, WIDTH) * 0.5)
        self.reg_token = nn.Parameter(torch.randn(1, REGISTERS, WIDTH) * 3.0)
        self.pos_embed = nn.Parameter(torch.randn(1, (SIZE // PATCH) ** 2, WIDTH) * 0.1)
        self.blocks = nn.ModuleList([Block() for _ in range(DEPTH)])
        self.norm = nn.LayerNorm(WIDTH, eps=1e-6)

    def forward(self, x):
        patches = self.patch_embed(x).flatten(2).transpose(1, 2) + self.pos_embed
        batch = patches.shape[0]
        x = torch.cat([self.cls_token.expand(batch, -1, -1), self.reg_token.expand(batch, -1, -1), patches], dim=1)
        for block in self.blocks:
            x = block(x)
        return self.norm(x)


class Pooled(nn.Module):
    def __init__(self, vit):
        super().__init__()
        self.vit = vit

    def forward(self, x):
        tokens = self.vit(x)
        return torch.cat([tokens[:, 0], tokens[:, PREFIX:].mean(dim=1)], dim=1)


class Broken(nn.Module):
    def __init__(self, vit):
        super().__init__()
        self.vit = vit

    def forward(self, x):
        tokens = self.vit(x)
        return torch.cat([tokens[:, :1], tokens[:, PREFIX:]], dim=1)


class Tuple(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, kernel_size=PATCH, stride=PATCH)

    def forward(self, x):
        features = self.conv(x).flatten(2).transpose(1, 2)
        return features, features.mean(dim=1)


class Gray(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 4, kernel_size=PATCH, stride=PATCH)

    def forward(self, x):
        return self.conv(x).flatten(1)


def rewrite_archive(source, target, edit):
    """Copies the zip archive `source` to `target`, each member's bytes through edit(name, data)."""
    with zipfile.ZipFile(source) as archive, zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as out:
        for member in archive.infolist():
            out.writestr(member, edit(member.filename, archive.read(member.filename)))


def newer_torch_files():
    source = HERE / "tiny-vit-reg4.pt"
    rewrite_archive(source, HERE / "tiny-vit-sdpa.pt", lambda name, data: data.replace(
        b"torch.softmax(", b"torch.scaled_dot_product_attention(") if name.endswith(".py") else data)
    rewrite_archive(source, HERE / "tiny-vit-future-format.pt",
                    lambda name, data: b"12\n" if name.endswith("/.data/version") else data)


def reference_input(batch):
    """The fixed input of the parity test, also built by backbone_test.cpp: element i
    of the flat (batch, 3, 64, 64) array is ((i * 37) % 101) / 50 - 1."""
    index = np.arange(batch * 3 * SIZE * SIZE, dtype=np.int64)
    return (((index * 37) % 101).astype(np.float32) / np.float32(50) - np.float32(1)).reshape(batch, 3, SIZE, SIZE)


def main():
    torch.manual_seed(13)
    vit = TinyViT().eval()
    example = torch.zeros(2, 3, SIZE, SIZE)
    with torch.no_grad():
        for name, model in [("tiny-vit-reg4", vit), ("tiny-vit-reg4-pooled", Pooled(vit).eval()),
                            ("tiny-vit-broken", Broken(vit).eval())]:
            torch.jit.trace(model, example).save(str(HERE / f"{name}.pt"))
        torch.jit.trace(Tuple().eval(), example).save(str(HERE / "tiny-tuple.pt"))
        torch.jit.trace(Gray().eval(), torch.zeros(2, 1, SIZE, SIZE)).save(str(HERE / "tiny-gray.pt"))
        tokens = vit(torch.from_numpy(reference_input(2))).numpy().astype(np.float64)
    embedding = np.concatenate([tokens[:, 0], tokens[:, PREFIX:].mean(axis=1)], axis=1)
    (HERE / "tiny-vit-reg4.expected.f32").write_bytes(embedding.astype("<f4").tobytes())
    newer_torch_files()


if __name__ == "__main__":
    main()
