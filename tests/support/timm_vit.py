"""timm's VisionTransformer family in plain torch, for the tests (timm is not a Debian package).

The modules have timm's structure and state-dict key names (timm/models/vision_transformer.py,
timm/layers/{mlp,patch_embed,pos_embed}.py: `patch_embed.proj`, `cls_token`, `reg_token`,
`pos_embed`, `blocks.N.{norm1,attn.qkv,attn.proj,ls1.gamma,norm2,mlp.fc1,mlp.fc2,ls2.gamma}`,
`norm`), so that a state dict saved from them loads where a timm checkpoint loads, and a
model traced from them runs where a timm export runs. The options are the ones the registry's
ViTs use:

- class token, `reg_tokens` register tokens placed after it (timm's order: CLS, registers, patches);
- `no_embed_class`: the position embedding covers the patches only and is added before the
  prefix tokens are concatenated (DINOv2 with registers); otherwise it covers the prefix tokens
  too and is added after; `registers_after_pos`: it covers CLS and the patches, and the registers
  are inserted after CLS once it is added (Hugging Face transformers' Dinov2WithRegistersEmbeddings);
- LayerScale (`init_values`: `ls1.gamma`, `ls2.gamma`);
- the MLP: `mlp` (fc1, exact GELU, fc2) or `swiglu_packed` (timm's SwiGLUPacked: one fc1 of
  twice the hidden width, SiLU of the first half times the second half, fc2);
- LayerNorm eps (timm's ViTs: 1e-6), an optional final norm;
- position embeddings resampled to another grid as timm's `resample_abs_pos_embed` does
  (bicubic, antialiased, align_corners=False, in float32), when the input is not `img_size`.

Attention is written out (softmax(q k^T / sqrt(d)) v) rather than fused: LibTorch 1.13 has no
`scaled_dot_product_attention`, which is also why timm exports need TIMM_FUSED_ATTN=0.

`save_safetensors` writes a state dict in the safetensors format (an 8-byte little-endian header
length, a JSON header of name -> dtype, shape, data_offsets, then the raw little-endian data),
and `timm_config` the `config.json` of a timm Hugging Face repository.
"""
import json
import math
import struct

import torch
import torch.nn.functional as F
from torch import nn


class PatchEmbed(nn.Module):
    def __init__(self, patch_size, in_chans, embed_dim):
        super().__init__()
        self.patch_size = patch_size
        self.proj = nn.Conv2d(in_chans, embed_dim, kernel_size=patch_size, stride=patch_size)

    def forward(self, x):
        return self.proj(x).flatten(2).transpose(1, 2)


class Attention(nn.Module):
    def __init__(self, dim, num_heads, qkv_bias):
        super().__init__()
        self.num_heads = num_heads
        self.head_dim = dim // num_heads
        self.scale = self.head_dim**-0.5
        self.qkv = nn.Linear(dim, dim * 3, bias=qkv_bias)
        self.proj = nn.Linear(dim, dim)

    def forward(self, x):
        batch, tokens, dim = x.shape
        qkv = self.qkv(x).reshape(batch, tokens, 3, self.num_heads, self.head_dim).permute(2, 0, 3, 1, 4)
        q, k, v = qkv.unbind(0)
        attention = (q * self.scale) @ k.transpose(-2, -1)
        x = attention.softmax(dim=-1) @ v
        return self.proj(x.transpose(1, 2).reshape(batch, tokens, dim))


class LayerScale(nn.Module):
    def __init__(self, dim, init_values):
        super().__init__()
        self.gamma = nn.Parameter(init_values * torch.ones(dim))

    def forward(self, x):
        return x * self.gamma


class Mlp(nn.Module):
    def __init__(self, dim, hidden):
        super().__init__()
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.GELU()
        self.fc2 = nn.Linear(hidden, dim)

    def forward(self, x):
        return self.fc2(self.act(self.fc1(x)))


class SwiGLUPacked(nn.Module):
    """timm's GluMlp with act_layer=SiLU, gate_last=False: fc1 is (2 * hidden/2) wide, packed."""

    def __init__(self, dim, hidden):
        super().__init__()
        assert hidden % 2 == 0
        self.fc1 = nn.Linear(dim, hidden)
        self.act = nn.SiLU()
        self.fc2 = nn.Linear(hidden // 2, dim)

    def forward(self, x):
        gate, value = self.fc1(x).chunk(2, dim=-1)
        return self.fc2(self.act(gate) * value)


class Block(nn.Module):
    def __init__(self, dim, num_heads, mlp_ratio, qkv_bias, init_values, mlp_layer, norm_eps):
        super().__init__()
        self.norm1 = nn.LayerNorm(dim, eps=norm_eps)
        self.attn = Attention(dim, num_heads, qkv_bias)
        self.ls1 = LayerScale(dim, init_values) if init_values else nn.Identity()
        self.norm2 = nn.LayerNorm(dim, eps=norm_eps)
        hidden = int(dim * mlp_ratio)
        self.mlp = SwiGLUPacked(dim, hidden) if mlp_layer == "swiglu_packed" else Mlp(dim, hidden)
        self.ls2 = LayerScale(dim, init_values) if init_values else nn.Identity()

    def forward(self, x):
        x = x + self.ls1(self.attn(self.norm1(x)))
        return x + self.ls2(self.mlp(self.norm2(x)))


def resample_pos_embed(pos_embed, new_grid, old_grid, num_prefix_tokens):
    """timm's resample_abs_pos_embed: the patch part as an image, bicubic with antialiasing."""
    if tuple(new_grid) == tuple(old_grid):
        return pos_embed
    prefix, patches = pos_embed[:, :num_prefix_tokens], pos_embed[:, num_prefix_tokens:]
    dim = pos_embed.shape[-1]
    image = patches.reshape(1, old_grid[0], old_grid[1], dim).permute(0, 3, 1, 2).float()
    image = F.interpolate(image, size=tuple(new_grid), mode="bicubic", antialias=True, align_corners=False)
    patches = image.permute(0, 2, 3, 1).reshape(1, -1, dim).to(pos_embed.dtype)
    return torch.cat([prefix, patches], dim=1)


class VisionTransformer(nn.Module):
    """forward(x) is timm's forward_features: the token sequence (B, prefix + patches, embed_dim)."""

    def __init__(self, img_size=224, patch_size=16, in_chans=3, embed_dim=768, depth=12, num_heads=12,
                 mlp_ratio=4.0, qkv_bias=True, init_values=None, class_token=True, reg_tokens=0,
                 no_embed_class=False, mlp_layer="mlp", norm_eps=1e-6, final_norm=True, registers_after_pos=False):
        super().__init__()
        self.grid = (img_size // patch_size, img_size // patch_size)
        self.num_prefix_tokens = (1 if class_token else 0) + reg_tokens
        self.no_embed_class = no_embed_class
        self.registers_after_pos = registers_after_pos
        self.patch_embed = PatchEmbed(patch_size, in_chans, embed_dim)
        self.cls_token = nn.Parameter(torch.zeros(1, 1, embed_dim)) if class_token else None
        self.reg_token = nn.Parameter(torch.zeros(1, reg_tokens, embed_dim)) if reg_tokens else None
        positioned = 1 if registers_after_pos else 0 if no_embed_class else self.num_prefix_tokens
        embed_len = self.grid[0] * self.grid[1] + positioned
        self.pos_embed = nn.Parameter(torch.randn(1, embed_len, embed_dim) * 0.02)
        self.blocks = nn.Sequential(*[
            Block(embed_dim, num_heads, mlp_ratio, qkv_bias, init_values, mlp_layer, norm_eps) for _ in range(depth)
        ])
        self.norm = nn.LayerNorm(embed_dim, eps=norm_eps) if final_norm else nn.Identity()

    def _pos_embed(self, x, grid):
        positioned = 1 if self.registers_after_pos else 0 if self.no_embed_class else self.num_prefix_tokens
        pos_embed = resample_pos_embed(self.pos_embed, grid, self.grid, positioned)
        prefix = []
        if self.cls_token is not None:
            prefix.append(self.cls_token.expand(x.shape[0], -1, -1))
        if self.reg_token is not None:
            prefix.append(self.reg_token.expand(x.shape[0], -1, -1))
        if self.no_embed_class:
            return torch.cat(prefix + [x + pos_embed], dim=1)
        if self.registers_after_pos:
            x = torch.cat([prefix[0], x], dim=1) + pos_embed
            return torch.cat([x[:, :1]] + prefix[1:] + [x[:, 1:]], dim=1)
        return torch.cat(prefix + [x], dim=1) + pos_embed

    def forward(self, x):
        patch = self.patch_embed.patch_size
        # A traced model has a fixed input size: tracing the resampling test would only warn.
        grid = self.grid if torch.jit.is_tracing() else (x.shape[-2] // patch, x.shape[-1] // patch)
        x = self._pos_embed(self.patch_embed(x), grid)
        return self.norm(self.blocks(x))


def randomize_(model, seed):
    """Gives every parameter a random value of a realistic scale (LayerScale and the prefix tokens
    included, which timm initialises to constants that would hide ordering mistakes)."""
    generator = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if name.endswith("gamma"):
                parameter.copy_(0.5 + torch.rand(parameter.shape, generator=generator))
            elif parameter.dim() == 1 and "norm" in name and name.endswith("weight"):
                parameter.copy_(1.0 + 0.1 * torch.randn(parameter.shape, generator=generator))
            elif parameter.dim() >= 2 and "token" not in name and "pos_embed" not in name:
                fan_in = math.prod(parameter.shape[1:])
                parameter.copy_(torch.randn(parameter.shape, generator=generator) / math.sqrt(fan_in))
            else:
                parameter.copy_(0.1 * torch.randn(parameter.shape, generator=generator))
    return model


_SAFETENSORS_DTYPES = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}


def save_safetensors(state_dict, path, dtype=torch.float32, metadata=None):
    """Writes `state_dict` (name -> tensor) as safetensors, every tensor converted to `dtype`.

    The header is made from the shapes first and the tensors are then written one at a time, so that
    a large model is never held twice in memory."""
    itemsize = torch.tensor([], dtype=dtype).element_size()
    header, offset = {}, 0
    for name in sorted(state_dict):
        size = state_dict[name].numel() * itemsize
        header[name] = {"dtype": _SAFETENSORS_DTYPES[dtype], "shape": list(state_dict[name].shape),
                        "data_offsets": [offset, offset + size]}
        offset += size
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # the data starts 8-byte aligned, as the safetensors library writes it
    with open(path, "wb") as out:
        out.write(struct.pack("<Q", len(text)))
        out.write(text)
        for name in sorted(state_dict):
            tensor = state_dict[name].detach().to(dtype).contiguous().cpu()
            if tensor.numel():
                out.write(memoryview(tensor.view(torch.uint8).numpy()))


def timm_config(architecture, model_args, mean, std, img_size):
    """The config.json of a timm model on the Hugging Face hub (what timm's push_to_hf_hub writes)."""
    return {
        "architecture": architecture,
        "num_classes": 0,
        "global_pool": "token",
        "model_args": dict(model_args),
        "pretrained_cfg": {
            "input_size": [3, img_size, img_size],
            "interpolation": "bicubic",
            "mean": list(mean),
            "std": list(std),
            "num_classes": 0,
            "first_conv": "patch_embed.proj",
            "classifier": "head",
        },
    }
