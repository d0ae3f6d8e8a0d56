#!/usr/bin/python3
"""The native engine against the same architectures in plain torch: check_parity.py RUN_ENGINE.

Each case builds a small model of timm's VisionTransformer family with tests/support/timm_vit.py
(timm's module structure and state-dict names), gives it random weights, saves them as
model.safetensors beside a timm config.json (the architecture name and model_args, as a Hugging
Face timm repository has them), runs the same random tiles through torch and through the engine
(run_engine), and compares every token: fp32 within 1e-4. The cases cover what the registry's ViTs
use: registers, LayerScale, packed SwiGLU (by the architecture's defaults, by a model card's
create_model arguments, by the caller's), exact GELU, no_embed_class, position embeddings that
cover the prefix tokens, position embeddings resampled to another grid (up and down, and a
checkpoint saved on a third grid), no qkv bias, no final norm, F16 and BF16 weights.

The same networks under Hugging Face transformers' names and config.json (ViTModel for Phikon,
Dinov2Model with a packed SwiGLU, Dinov2 with registers whose position embeddings skip them) run too.

bf16: where oneDNN runs bf16 matrix products the tokens must have a cosine >= 0.999 to fp32 per
tile; where it does not (AVX2), the engine must say it fell back and give the fp32 result.
"""
import json
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "support"))
import timm_vit  # noqa: E402

TOLERANCE = 1e-4
BATCH = 3

# name: (timm architecture, config.json model_args, plain-torch kwargs, spec, extra)
CASES = {
    # DINOv2 with registers, LayerScale and a packed SwiGLU, all from the architecture's defaults;
    # head_dim 12 is not a whole number of vectors (the kernels' scalar tail).
    "dinov2_reg4_swiglu": dict(
        arch="vit_giant_patch14_reg4_dinov2",
        model_args=dict(img_size=56, embed_dim=48, depth=2, num_heads=4),
        torch=dict(img_size=56, patch_size=14, embed_dim=48, depth=2, num_heads=4, mlp_ratio=5.33334,
                   init_values=1e-5, reg_tokens=4, no_embed_class=True, mlp_layer="swiglu_packed"),
        input=56, prefix=5),
    # ViT-L style: plain Mlp with exact GELU, CLS only, F16 weights.
    "vit_large_gelu_f16": dict(
        arch="vit_large_patch16_224",
        model_args=dict(img_size=64, embed_dim=64, depth=2, num_heads=4),
        torch=dict(img_size=64, patch_size=16, embed_dim=64, depth=2, num_heads=4),
        input=64, prefix=1, dtype=torch.float16),
    # no_embed_class with registers and LayerScale (vit_base_patch14_reg4_dinov2), BF16 weights.
    "no_embed_class_bf16": dict(
        arch="vit_base_patch14_reg4_dinov2",
        model_args=dict(img_size=42, embed_dim=64, depth=2, num_heads=2),
        torch=dict(img_size=42, patch_size=14, embed_dim=64, depth=2, num_heads=2, init_values=1e-5, reg_tokens=4,
                   no_embed_class=True),
        input=42, prefix=5, dtype=torch.bfloat16),
    # H0-mini: an Mlp architecture whose card passes mlp_layer=SwiGLUPacked, act_layer=SiLU; the
    # engine knows the card by the spec's weights_source.
    "h0_mini_card": dict(
        arch="vit_base_patch14_reg4_dinov2",
        model_args=dict(img_size=56, embed_dim=64, depth=2, num_heads=2),
        torch=dict(img_size=56, patch_size=14, embed_dim=64, depth=2, num_heads=2, init_values=1e-5, reg_tokens=4,
                   no_embed_class=True, mlp_layer="swiglu_packed"),
        input=56, prefix=5, weights_source="bioptimus/H0-mini"),
    # Virchow2 style: registers whose position embeddings cover the prefix tokens (no
    # no_embed_class), mlp_ratio 5.3375, the SwiGLU given by the caller.
    "virchow2_style_caller_args": dict(
        arch="vit_huge_patch14_224",
        model_args=dict(img_size=56, embed_dim=48, depth=2, num_heads=3, mlp_ratio=5.3375, reg_tokens=4,
                        init_values=1e-5),
        torch=dict(img_size=56, patch_size=14, embed_dim=48, depth=2, num_heads=3, mlp_ratio=5.3375,
                   init_values=1e-5, reg_tokens=4, mlp_layer="swiglu_packed"),
        input=56, prefix=5, create_model_args={"mlp_layer": "SwiGLUPacked", "act_layer": "silu"}),
    # Position embeddings resampled up (grid 4 -> 6, dynamic_img_size).
    "pos_embed_up": dict(
        arch="vit_base_patch16_224",
        model_args=dict(img_size=64, embed_dim=32, depth=1, num_heads=2, dynamic_img_size=True),
        torch=dict(img_size=64, patch_size=16, embed_dim=32, depth=1, num_heads=2),
        input=96, prefix=1),
    # ... and down with antialiasing (grid 6 -> 4), patches only (no_embed_class).
    "pos_embed_down": dict(
        arch="vit_small_patch14_reg4_dinov2",
        model_args=dict(img_size=84, embed_dim=32, depth=1, num_heads=2, dynamic_img_size=True),
        torch=dict(img_size=84, patch_size=14, embed_dim=32, depth=1, num_heads=2, init_values=1e-5, reg_tokens=4,
                   no_embed_class=True),
        input=56, prefix=5),
    # A checkpoint saved on grid 3 for a model built on grid 4 (timm resamples at load), run on 5.
    "pos_embed_checkpoint_grid": dict(
        arch="vit_base_patch16_224",
        model_args=dict(img_size=64, embed_dim=32, depth=1, num_heads=2, dynamic_img_size=True),
        torch=dict(img_size=64, patch_size=16, embed_dim=32, depth=1, num_heads=2),
        input=80, prefix=1, checkpoint_grid=3),
    # transformers ViTModel (Phikon): LayerNorm eps 1e-12, q, k and v apart.
    "transformers_vit": dict(
        transformers=dict(model_type="vit", hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                          intermediate_size=256, image_size=48, patch_size=16, layer_norm_eps=1e-12),
        torch=dict(img_size=48, patch_size=16, embed_dim=64, depth=2, num_heads=4, norm_eps=1e-12),
        input=48, prefix=1),
    # transformers Dinov2Model with a packed SwiGLU (weights_in 2 x (int(256 * 2 / 3) + 7) // 8 * 8 = 352),
    # saved from a task class ("dinov2." prefix), with its mask token.
    "transformers_dinov2_swiglu": dict(
        transformers=dict(model_type="dinov2", hidden_size=64, num_hidden_layers=2, num_attention_heads=4,
                          mlp_ratio=4, use_swiglu_ffn=True, image_size=42, patch_size=14, layerscale_value=1.0),
        torch=dict(img_size=42, patch_size=14, embed_dim=64, depth=2, num_heads=4, mlp_ratio=5.5,
                   init_values=1.0, mlp_layer="swiglu_packed"),
        input=42, prefix=1, key_prefix="dinov2."),
    # transformers Dinov2 with registers: position embeddings on CLS and the patches only.
    "transformers_dinov2_registers": dict(
        transformers=dict(model_type="dinov2_with_registers", hidden_size=32, num_hidden_layers=2,
                          num_attention_heads=2, mlp_ratio=4, image_size=28, patch_size=14, num_register_tokens=4),
        torch=dict(img_size=28, patch_size=14, embed_dim=32, depth=2, num_heads=2, init_values=1.0, reg_tokens=4,
                   registers_after_pos=True),
        input=28, prefix=5),
    # No qkv bias, no final norm.
    "no_qkv_bias_no_final_norm": dict(
        arch="vit_small_patch16_224",
        model_args=dict(img_size=32, embed_dim=32, depth=2, num_heads=2, qkv_bias=False, final_norm=False),
        torch=dict(img_size=32, patch_size=16, embed_dim=32, depth=2, num_heads=2, qkv_bias=False, final_norm=False),
        input=32, prefix=1),
}


def spec_name(name):
    return name.replace("_", "-")


def spec_yaml(name, case, width):
    source = f"weights_source: {case['weights_source']}\n" if "weights_source" in case else ""
    return (f"model_name: {spec_name(name)}\nversion: 1.0.0\n{source}"
            f"tile_spec:\n  size: [{case['input']}, {case['input']}]\n  resolution: 0.5\n"
            "mean: [0.5, 0.5, 0.5]\nstd: [0.25, 0.25, 0.25]\narchitecture: vit\n"
            f"patch_size: {case['torch']['patch_size']}\nnum_prefix_tokens: {case['prefix']}\n"
            f"embedding_dim: {width}\noutput_type: cls\nprecision: fp32\n")


def transformers_names(state, case):
    """timm's state-dict names -> transformers' (ViTModel or Dinov2Model), q, k and v apart."""
    dinov2 = case["transformers"]["model_type"] != "vit"
    prefix = case.get("key_prefix", "")
    out = {}
    for name, value in state.items():
        if name.startswith("blocks."):
            _, index, rest = name.split(".", 2)
            layer = f"{prefix}encoder.layer.{index}."
            if rest.startswith("attn.qkv."):
                for part, piece in zip(("query", "key", "value"), value.chunk(3, dim=0)):
                    out[layer + f"attention.attention.{part}.{rest.split('.')[-1]}"] = piece
                continue
            swiglu = case["torch"].get("mlp_layer") == "swiglu_packed"
            renames = {"attn.proj.": "attention.output.dense.",
                       "norm1.": "norm1." if dinov2 else "layernorm_before.",
                       "norm2.": "norm2." if dinov2 else "layernorm_after.",
                       "mlp.fc1.": ("mlp.weights_in." if swiglu else "mlp.fc1.") if dinov2 else "intermediate.dense.",
                       "mlp.fc2.": ("mlp.weights_out." if swiglu else "mlp.fc2.") if dinov2 else "output.dense.",
                       "ls1.gamma": "layer_scale1.lambda1", "ls2.gamma": "layer_scale2.lambda1"}
            for old, new in renames.items():
                if rest.startswith(old):
                    out[layer + new + rest[len(old):]] = value
                    break
            continue
        top = {"cls_token": "embeddings.cls_token", "reg_token": "embeddings.register_tokens",
               "pos_embed": "embeddings.position_embeddings",
               "patch_embed.proj.weight": "embeddings.patch_embeddings.projection.weight",
               "patch_embed.proj.bias": "embeddings.patch_embeddings.projection.bias",
               "norm.weight": "layernorm.weight", "norm.bias": "layernorm.bias"}
        out[prefix + top[name]] = value
    if dinov2:
        out[prefix + "embeddings.mask_token"] = torch.zeros(1, case["torch"]["embed_dim"])
    return out


def build(name, case, folder):
    """Writes model.safetensors, config.json, the spec and the tiles; returns torch's tokens."""
    torch.manual_seed(0)
    kwargs = dict(case["torch"])
    model = timm_vit.randomize_(timm_vit.VisionTransformer(**kwargs), seed=len(name)).eval()
    state = model.state_dict()
    dtype = case.get("dtype", torch.float32)
    # The reference runs on the weights as the file holds them.
    state = {key: value.to(dtype).to(torch.float32) for key, value in state.items()}
    saved = dict(state)
    if "checkpoint_grid" in case:
        # The checkpoint's position embeddings on another grid: the model's are what timm's
        # checkpoint_filter_fn makes of them at load.
        grid = case["checkpoint_grid"]
        small = timm_vit.VisionTransformer(**dict(kwargs, img_size=grid * kwargs["patch_size"]))
        timm_vit.randomize_(small, seed=7)
        saved["pos_embed"] = small.pos_embed.detach().clone()
        prefix = 0 if kwargs.get("no_embed_class") else case["prefix"]
        state["pos_embed"] = timm_vit.resample_pos_embed(saved["pos_embed"], model.grid, (grid, grid), prefix)
    model.load_state_dict(state)
    if "transformers" in case:
        timm_vit.save_safetensors(transformers_names(saved, case), folder / "model.safetensors", dtype=dtype)
        config = dict(case["transformers"], architectures=["Dinov2Model" if "dinov2" in name else "ViTModel"],
                      hidden_act="gelu", torch_dtype="float32", transformers_version="4.48.0")
    else:
        timm_vit.save_safetensors(saved, folder / "model.safetensors", dtype=dtype)
        config = timm_vit.timm_config(case["arch"], case["model_args"], [0.5] * 3, [0.25] * 3, case["input"])
    (folder / "config.json").write_text(json.dumps(config, indent=2))
    (folder / f"{spec_name(name)}.yaml").write_text(spec_yaml(name, case, kwargs["embed_dim"]))
    generator = torch.Generator().manual_seed(1)
    tiles = torch.randn(BATCH, 3, case["input"], case["input"], generator=generator)
    tiles.numpy().astype(np.float32).tofile(folder / "tiles.f32")
    with torch.no_grad():
        return model(tiles).numpy()


def run(binary, folder, *options):
    out = folder / "tokens.f32"
    spec = folder / f"{spec_name(folder.name)}.yaml"
    result = subprocess.run([binary, str(folder), str(spec), str(folder / "tiles.f32"), str(out),
                             *options], capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise AssertionError(f"run_engine {' '.join(options)} failed:\n{result.stderr}")
    return json.loads(result.stdout), np.fromfile(out, dtype=np.float32)


def cosines(a, b):
    a, b = a.reshape(BATCH, -1).astype(np.float64), b.reshape(BATCH, -1).astype(np.float64)
    return (a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)


def main():
    binary = sys.argv[1]
    failures = []
    with tempfile.TemporaryDirectory(prefix="engine-parity-") as root:
        for name, case in CASES.items():
            folder = pathlib.Path(root) / name
            folder.mkdir()
            reference = build(name, case, folder)
            options = ["--threads", "2", "--batches", "2"]
            if "create_model_args" in case:
                options += ["--create-model-args", json.dumps(case["create_model_args"])]
            info, tokens = run(binary, folder, *options)
            if tokens.size != reference.size:
                failures.append(f"{name}: {tokens.size} floats, torch gives {reference.shape}")
                continue
            tokens = tokens.reshape(reference.shape)
            error = float(np.abs(tokens - reference).max())
            print(f"{name}: tokens {reference.shape}, max |engine - torch| = {error:.2e} ({info['precision']})")
            if error > TOLERANCE:
                failures.append(f"{name}: max difference {error:.3e} > {TOLERANCE}")
            if name == "dinov2_reg4_swiglu":
                # One thread gives the same tokens within the tolerance.
                _, single = run(binary, folder, "--threads", "1")
                single_error = float(np.abs(single.reshape(reference.shape) - reference).max())
                print(f"{name}, 1 thread: max |engine - torch| = {single_error:.2e}")
                if single_error > TOLERANCE:
                    failures.append(f"{name}, 1 thread: max difference {single_error:.3e}")
                # bf16: run where oneDNN can, an announced fp32 fallback elsewhere.
                bf16_info, bf16 = run(binary, folder, *options, "--precision", "bf16")
                if bf16_info["precision"] == "bf16":
                    worst = float(cosines(bf16, tokens).min())
                    print(f"{name}, bf16: worst per-tile cosine to fp32 = {worst:.6f}")
                    if worst < 0.999:
                        failures.append(f"{name}, bf16: per-tile cosine {worst:.6f} < 0.999")
                else:
                    print(f"{name}, bf16: {bf16_info['note']}")
                    if "running fp32" not in bf16_info["note"]:
                        failures.append(f"{name}, bf16 fell back to {bf16_info['precision']} without saying so")
                    if not np.array_equal(bf16.reshape(reference.shape), tokens):
                        failures.append(f"{name}, bf16 fallback: not the fp32 result")
    if failures:
        print("\n".join(failures))
        sys.exit(1)


if __name__ == "__main__":
    main()
