#!/usr/bin/python3
"""Writes the engine fuzzers' seed corpus (seeds/): small safetensors files and timm config.json
files like the registry's (scripts/hardening.sh copies them). Deterministic: rerun to regenerate."""
import json
import pathlib
import sys

import torch

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parents[1] / "support"))
import timm_vit  # noqa: E402

SEEDS = HERE / "seeds"


def main():
    SEEDS.mkdir(exist_ok=True)
    timm_vit.save_safetensors({"a": torch.arange(6, dtype=torch.float32).reshape(2, 3), "b": torch.ones(2)},
                              SEEDS / "two-tensors.safetensors", metadata={"format": "pt"})
    timm_vit.save_safetensors({"b": torch.ones(3)}, SEEDS / "bf16.safetensors", dtype=torch.bfloat16)
    timm_vit.save_safetensors({}, SEEDS / "empty.safetensors")
    model = timm_vit.VisionTransformer(img_size=4, patch_size=2, embed_dim=4, depth=1, num_heads=2, mlp_ratio=2,
                                       init_values=1e-5, reg_tokens=1, no_embed_class=True, mlp_layer="swiglu_packed")
    timm_vit.randomize_(model, seed=0)
    timm_vit.save_safetensors(model.state_dict(), SEEDS / "tiny-vit.safetensors", dtype=torch.float16)
    configs = {
        "h-optimus-0": ("vit_giant_patch14_reg4_dinov2", {"img_size": 224, "init_values": 1e-05,
                                                          "dynamic_img_size": False}, None),
        "uni2-h": ("vit_giant_patch14_224", {"img_size": 224, "patch_size": 14, "depth": 24, "num_heads": 24,
                                             "init_values": 1e-05, "embed_dim": 1536, "mlp_ratio": 5.33334,
                                             "num_classes": 0, "no_embed_class": True, "reg_tokens": 8,
                                             "dynamic_img_size": True},
                   {"mlp_layer": "SwiGLUPacked", "act_layer": "silu"}),
        "virchow2": ("vit_huge_patch14_224", {"img_size": 224, "init_values": 1e-05, "num_classes": 0,
                                              "reg_tokens": 4, "mlp_ratio": 5.3375, "global_pool": "",
                                              "dynamic_img_size": True},
                     {"mlp_layer": "SwiGLUPacked", "act_layer": "silu"}),
        "uni": ("vit_large_patch16_224", {"img_size": 224, "init_values": 1e-05, "dynamic_img_size": True}, None),
        "kaiko-s8": ("vit_small_patch8_224", {"dynamic_img_size": True, "num_classes": 0}, None),
    }
    transformers = {
        "phikon": {"architectures": ["ViTModel"], "model_type": "vit", "hidden_size": 768, "num_hidden_layers": 12,
                   "num_attention_heads": 12, "intermediate_size": 3072, "hidden_act": "gelu",
                   "layer_norm_eps": 1e-12, "image_size": 224, "patch_size": 16, "num_channels": 3, "qkv_bias": True},
        "dinov2-registers": {"model_type": "dinov2_with_registers", "hidden_size": 768, "num_hidden_layers": 12,
                             "num_attention_heads": 12, "mlp_ratio": 4, "use_swiglu_ffn": True, "image_size": 224,
                             "patch_size": 14, "num_register_tokens": 4, "layerscale_value": 1.0},
    }
    for name, config in transformers.items():
        (SEEDS / f"config-{name}.json").write_text(json.dumps(config))
    for name, (architecture, model_args, arguments) in configs.items():
        text = json.dumps(timm_vit.timm_config(architecture, model_args, [0.5] * 3, [0.25] * 3, 224))
        # The fuzzer reads a first line as create_model arguments.
        prefix = json.dumps(arguments) + "\n" if arguments else ""
        (SEEDS / f"config-{name}.json").write_text(prefix + text)


if __name__ == "__main__":
    main()
