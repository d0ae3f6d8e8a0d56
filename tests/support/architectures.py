"""The three architecture families of the built-in specs, with random weights, exported to TorchScript as
docs/inference.md tells users to ("Exporting an encoder"): traced under torch.no_grad() at the spec's tile
size, returning the token sequence (a ViT's forward_features) or the feature map (a CNN), so that the
spec's readout applies.

- `dinov2-reg4`: a DINOv2-style ViT with 4 register tokens, LayerScale and a SwiGLU MLP, the family of
  H0-mini, H-optimus-0/1 and Virchow2 (timm_vit.py, timm's `vit_*_patch14_reg4_dinov2` options: CLS and
  registers without position embeddings, `no_embed_class`), spec family `h0-mini`;
- `vit-l16`: a plain ViT with a class token, LayerScale and a GELU MLP, UNI's `vit_large_patch16_224`,
  spec family `uni`;
- `resnet50-trunc`: torchvision's ResNet with ResNet-50's Bottleneck blocks, truncated after layer3
  (conv1 .. layer3, a 1024-channel feature map), spec family `resnet50-trunc-in1k` (`patch_mean`: the
  spatial mean).

`build(family, full_size)` gives the model and the spec fields that differ from the family's config:
full size is the real architecture (ViT-B/14 with registers for `dinov2-reg4`, H0-mini's; ViT-L/16;
ResNet-50's 3-4-6 blocks), small is the same structure with narrow widths, 2 blocks and 64 px tiles,
for the tests. `export(model, tile, path)` traces and saves; `spec_file(config, changes, path)` writes
the family's config with the changes.
"""
import copy

import torch
import yaml
from torchvision.models.resnet import Bottleneck, ResNet

import timm_vit

FAMILIES = ("dinov2-reg4", "vit-l16", "resnet50-trunc")
CONFIGS = {"dinov2-reg4": "h0-mini", "vit-l16": "uni", "resnet50-trunc": "resnet50-trunc-in1k"}


class Tokens(torch.nn.Module):
    """The export wrapper of docs/inference.md: forward() returns the encoder's token sequence."""

    def __init__(self, encoder):
        super().__init__()
        self.encoder = encoder

    def forward(self, x):
        return self.encoder(x)  # timm_vit's forward is timm's forward_features


class TruncatedResNet(torch.nn.Module):
    """conv1 .. layer3 of a torchvision ResNet, as UNI's resnet50_trunc and TRIDENT's timm features_only
    out_indices=[3] keep it; the pooling is the spec's readout."""

    def __init__(self, resnet):
        super().__init__()
        self.conv1, self.bn1, self.relu, self.maxpool = resnet.conv1, resnet.bn1, resnet.relu, resnet.maxpool
        self.layer1, self.layer2, self.layer3 = resnet.layer1, resnet.layer2, resnet.layer3

    def forward(self, x):
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))
        return self.layer3(self.layer2(self.layer1(x)))


def _randomize_batch_norms(model, generator):
    """Running statistics away from timm's 0/1, so that folding or skipping them would show."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                module.running_mean.copy_(0.1 * torch.randn(module.running_mean.shape, generator=generator))
                module.running_var.copy_(0.5 + torch.rand(module.running_var.shape, generator=generator))


# The ViTs' sizes: full (the real architecture) and small (the tests').
_VIT_SIZES = {
    # H0-mini: timm's vit_base_patch14_reg4_dinov2 (mlp_ratio 4) with SwiGLUPacked, 224 px.
    ("dinov2-reg4", True): dict(patch=14, width=768, depth=12, heads=12, tile=224),
    ("dinov2-reg4", False): dict(patch=14, width=48, depth=2, heads=3, tile=56),
    # UNI: timm's vit_large_patch16_224 with LayerScale (init_values 1e-5).
    ("vit-l16", True): dict(patch=16, width=1024, depth=24, heads=16, tile=224),
    ("vit-l16", False): dict(patch=16, width=64, depth=2, heads=4, tile=64),
}


def build(family, full_size, seed=23):
    """(model in eval mode, changes to the family's config) for `family`."""
    torch.manual_seed(seed)
    if family == "resnet50-trunc":
        # ResNet-50's blocks (3, 4, 6 up to layer3); small: one block per stage, a quarter of the inner width.
        layers, width_per_group, tile = ([3, 4, 6, 3], 64, 224) if full_size else ([1, 1, 1, 1], 16, 64)
        model = TruncatedResNet(ResNet(Bottleneck, layers, width_per_group=width_per_group))
        _randomize_batch_norms(model, torch.Generator().manual_seed(seed))
        changes = {}
    elif (family, full_size) in _VIT_SIZES:
        size = _VIT_SIZES[family, full_size]
        tile, width = size["tile"], size["width"]
        options = dict(reg_tokens=4, no_embed_class=True, mlp_layer="swiglu_packed") if family == "dinov2-reg4" else {}
        model = timm_vit.VisionTransformer(img_size=tile, patch_size=size["patch"], embed_dim=width,
                                           depth=size["depth"], num_heads=size["heads"], mlp_ratio=4.0,
                                           init_values=1e-5, **options)
        timm_vit.randomize_(model, seed)
        model = Tokens(model)
        changes = {"embedding_dim": 2 * width if family == "dinov2-reg4" else width}  # cls+patch_mean, cls
    else:
        raise ValueError(f"unknown family {family}; expected one of {FAMILIES}")
    if not full_size:
        # 64 px tiles cover 128 um (2 um/px): a small slide has a few dozen.
        changes["tile_spec"] = {"size": [tile * 2, tile * 2], "stride": [tile * 2, tile * 2], "resolution": 2.0,
                                "unit": "um"}
    return model.eval(), changes


def vit_flops_per_tile(family, full_size):
    """Floating-point operations (2 per multiply-add) of one tile through a ViT's matrix products: the patch
    embedding, and per block qkv, q k^T, attention times v, proj, fc1, fc2. The rest (norms, softmax,
    activations) is linear in the tokens and negligible."""
    size = _VIT_SIZES[family, full_size]
    patches = (size["tile"] // size["patch"]) ** 2
    tokens, width, hidden = patches + (5 if family == "dinov2-reg4" else 1), size["width"], 4 * size["width"]
    fc2_in = hidden // 2 if family == "dinov2-reg4" else hidden  # SwiGLU halves fc1's output
    block = 2 * tokens * width * (3 * width + width + hidden + fc2_in) + 2 * 2 * tokens * tokens * width
    return 2 * patches * 3 * size["patch"] ** 2 * width + size["depth"] * block


def export(model, tile, path):
    """torch.jit.trace at one tile of the spec's size, under no_grad, saved to `path`."""
    with torch.no_grad():
        torch.jit.trace(model, torch.zeros(1, 3, tile, tile)).save(str(path))


def spec_file(config, changes, path, model_name):
    """The config file `config` (a path) with `changes` (nested dicts merged), renamed, written to `path`."""
    with open(config, encoding="utf-8") as text:
        spec = yaml.safe_load(text)
    merged = copy.deepcopy(spec)
    for key, value in changes.items():
        if isinstance(value, dict):
            merged.setdefault(key, {}).update(value)
        else:
            merged[key] = value
    merged["model_name"] = model_name
    with open(path, "w", encoding="utf-8") as out:
        yaml.safe_dump(merged, out, sort_keys=False)
    return merged
