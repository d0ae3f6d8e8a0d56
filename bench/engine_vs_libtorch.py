#!/usr/bin/python3 -u
"""The native engine against LibTorch on the same ViT, side by side, in one run.

    bench/engine_vs_libtorch.py BUILD_DIR [--models vit-b,vit-g] [--batches 16,64] [--threads 2]
                                [--iterations 3] [--work DIR] [--timeout SECONDS]

BUILD_DIR is a `release` build with bioptimus_engine_benchmark and bioptimus_libtorch_vit_benchmark.
For each model (full size, random weights, from tests/support/timm_vit.py with timm's key names):
  vit-b  ViT-B/14 with 4 registers, packed SwiGLU (H0-mini's architecture: vit_base_patch14_reg4_dinov2
         with the card's mlp_layer=SwiGLUPacked, act_layer=SiLU)
  vit-g  ViT-g/14 with 4 registers (H-optimus-0's: vit_giant_patch14_reg4_dinov2), 1.1 B parameters
  vit-b16  ViT-B/16, class token only, exact GELU (vit_base_patch16_224, kaiko's ViT-B/16), 86 M parameters
  vit-l16  ViT-L/16 with LayerScale (UNI's: vit_large_patch16_224 with init_values=1e-5), 303 M parameters
the weights are saved as safetensors + config.json (the native engine's input) and traced to
TorchScript (LibTorch's), each engine runs in its own process (so each peak memory is its own), and
one large oneDNN GEMM gives the machine's roofline. Printed: tiles/s of the native engine, of
LibTorch fp32 and of LibTorch under bf16 autocast, the ratios, the engine's GFLOPS against the GEMM's,
the peak resident memory (VmHWM, from getrusage) of each process (of a run stopped at --timeout, its
peak until then: a lower bound), ours against LibTorch's, and ours against the weights plus the
batch's activations. ViT-g runs batch 16 only and
one timed iteration (4.5 GB of fp32 weights); LibTorch under bf16 autocast runs one iteration, and
any LibTorch run past --timeout is stopped (bf16 without a native bf16 unit is emulated, very slowly)
and reported as a bound. The machine is shared: read the figures with the load average printed beside
them.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parents[1]

MODELS = {
    "vit-b": dict(arch="vit_base_patch14_reg4_dinov2", weights_source="bioptimus/H0-mini",
                  torch=dict(img_size=224, patch_size=14, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4.0,
                             init_values=1e-5, reg_tokens=4, no_embed_class=True, mlp_layer="swiglu_packed")),
    "vit-g": dict(arch="vit_giant_patch14_reg4_dinov2", weights_source="bioptimus/H-optimus-0",
                  torch=dict(img_size=224, patch_size=14, embed_dim=1536, depth=40, num_heads=24,
                             mlp_ratio=5.33334, init_values=1e-5, reg_tokens=4, no_embed_class=True,
                             mlp_layer="swiglu_packed")),
    "vit-b16": dict(arch="vit_base_patch16_224", weights_source=None,
                    torch=dict(img_size=224, patch_size=16, embed_dim=768, depth=12, num_heads=12, mlp_ratio=4.0)),
    "vit-l16": dict(arch="vit_large_patch16_224", weights_source="MahmoodLab/UNI",
                    torch=dict(img_size=224, patch_size=16, embed_dim=1024, depth=24, num_heads=16, mlp_ratio=4.0,
                               init_values=1e-5)),
}


def prefix_tokens(model):
    return 1 + model["torch"].get("reg_tokens", 0)


PREPARE = r"""
import json, pathlib, sys
import torch
sys.path.insert(0, sys.argv[1])
import timm_vit
folder, arch, kwargs = pathlib.Path(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
torch.manual_seed(0)
model = timm_vit.randomize_(timm_vit.VisionTransformer(**kwargs), seed=0).eval()
timm_vit.save_safetensors(model.state_dict(), folder / "model.safetensors")
config = timm_vit.timm_config(arch, {"img_size": kwargs["img_size"]}, [0.5] * 3, [0.25] * 3, kwargs["img_size"])
(folder / "config.json").write_text(json.dumps(config, indent=2))
with torch.no_grad():
    traced = torch.jit.trace(model, torch.randn(2, 3, kwargs["img_size"], kwargs["img_size"]))
traced.save(str(folder / "model.pt"))
"""


def spec_yaml(name, model):
    kwargs = model["torch"]
    source = f"weights_source: {model['weights_source']}\n" if model["weights_source"] else ""
    return (f"model_name: {name}\nversion: 1.0.0\n{source}"
            f"tile_spec:\n  size: [{kwargs['img_size']}, {kwargs['img_size']}]\n  resolution: 0.5\n"
            "mean: [0.5, 0.5, 0.5]\nstd: [0.25, 0.25, 0.25]\narchitecture: vit\n"
            f"patch_size: {kwargs['patch_size']}\nnum_prefix_tokens: {prefix_tokens(model)}\n"
            f"embedding_dim: {kwargs['embed_dim']}\n"
            "output_type: cls\nprecision: fp32\n")


def activation_mib(model, batch, threads):
    """The engine's per-batch buffers: residual and normed rows, the wide buffer, attention scratch."""
    k = model["torch"]
    tokens = (k["img_size"] // k["patch_size"]) ** 2 + prefix_tokens(model)
    dim, hidden = k["embed_dim"], int(k["embed_dim"] * k["mlp_ratio"])
    rows = batch * tokens
    wide = max(3 * dim, hidden, 2 * 3 * k["patch_size"] ** 2 + dim)
    padded = -(-tokens // 16) * 16
    scratch = threads * (2 * padded * (dim // k["num_heads"]) + tokens * padded + padded)
    return (rows * (2 * dim + wide) + scratch) * 4 / 2**20


def peak_rss_mib(pid):
    """The process's peak resident memory so far (VmHWM, what getrusage's ru_maxrss reports at exit)."""
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def run_json(command, timeout=None):
    """One benchmark process's JSON line; a run past `timeout` seconds is stopped and reported as such
    (its tiles/s is then below batch / timeout, its peak memory the peak until then)."""
    with subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as process:
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            peak = peak_rss_mib(process.pid)
            process.kill()
            process.communicate()
            stopped = {"error": f"stopped after {timeout} s", "timeout": timeout}
            return stopped if peak is None else dict(stopped, peak_rss_mib=peak, peak_rss_until_stopped=True)
    if process.returncode != 0:
        return {"error": stderr.strip()[-300:]}
    return json.loads(stdout.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build", type=pathlib.Path)
    parser.add_argument("--models", default="vit-b,vit-g")
    parser.add_argument("--batches", default="16,64")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--iterations", type=int, default=3)
    parser.add_argument("--work", type=pathlib.Path, default=None)
    parser.add_argument("--timeout", type=int, default=1800,
                        help="seconds after which a LibTorch run is stopped (bf16 autocast without native bf16 "
                             "is very slow); its tiles/s is then reported as below batch / timeout")
    args = parser.parse_args()
    engine = args.build / "bench" / "bioptimus_engine_benchmark"
    libtorch = args.build / "bench" / "bioptimus_libtorch_vit_benchmark"
    with tempfile.TemporaryDirectory(prefix="engine-bench-", dir=args.work) as work:
        print(f"load average before: {open('/proc/loadavg').read().strip()}")
        gemm = run_json([str(engine), "gemm", "4096", str(args.iterations), str(args.threads)])
        print(f"oneDNN GEMM 4096^3 fp32, {args.threads} threads: {gemm.get('gflops')} GFLOPS "
              f"({gemm.get('implementation', gemm.get('error'))})")
        rows = []
        for name in args.models.split(","):
            model = MODELS[name]
            folder = pathlib.Path(work) / name
            folder.mkdir()
            subprocess.run([sys.executable, "-c", PREPARE, str(ROOT / "tests" / "support"), str(folder), model["arch"],
                            json.dumps(model["torch"])], check=True)
            (folder / f"{name}.yaml").write_text(spec_yaml(name, model))
            batches = [16] if name == "vit-g" else [int(b) for b in args.batches.split(",")]
            iterations = 1 if name == "vit-g" else args.iterations
            weight_mib = (folder / "model.safetensors").stat().st_size / 2**20
            for batch in batches:
                native = run_json([str(engine), "native", str(folder), str(folder / f"{name}.yaml"), str(batch),
                                   str(iterations), str(args.threads)])
                fp32 = run_json([str(libtorch), str(folder / "model.pt"), str(model["torch"]["img_size"]),
                                 str(batch), str(iterations), str(args.threads), "fp32"], args.timeout)
                bf16 = run_json([str(libtorch), str(folder / "model.pt"), str(model["torch"]["img_size"]),
                                 str(batch), "1", str(args.threads), "bf16"], args.timeout)
                rows.append((name, batch, weight_mib, native, fp32, bf16))
                print(json.dumps({"model": name, "batch": batch, "native": native, "libtorch_fp32": fp32,
                                  "libtorch_bf16_autocast": bf16}))
            for path in folder.iterdir():
                path.unlink()
        print(f"load average after: {open('/proc/loadavg').read().strip()}")
    print()
    print("| model | batch | native tiles/s | LibTorch fp32 | LibTorch bf16 autocast | native / bf16 | native / fp32 "
          "| native GFLOPS (% of GEMM) | peak RSS MiB: native | LibTorch fp32 | LibTorch bf16 | native / fp32 "
          "| native vs weights + activations |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
    for name, batch, weight_mib, native, fp32, bf16 in rows:
        def rate(result):
            if "timeout" in result:
                return batch / result["timeout"]  # an upper bound: the run did not finish
            return result.get("tiles_per_second", float("nan"))

        def shown(result):
            return f"< {rate(result):.3f}" if "timeout" in result else f"{rate(result):.2f}"

        def ratio(result):
            native_rate = rate(native)
            return f"> {native_rate / rate(result):.1f}x" if "timeout" in result else f"{native_rate / rate(result):.2f}x"

        def rss(result):
            # A stopped run's peak is the peak until it was stopped: a lower bound.
            if "peak_rss_mib" not in result:
                return "-"
            return f"{'>= ' if result.get('peak_rss_until_stopped') else ''}{result['peak_rss_mib']:.0f}"

        memory_ratio = "-"
        if "peak_rss_mib" in native and "peak_rss_mib" in fp32:
            bound = "<= " if fp32.get("peak_rss_until_stopped") else ""
            memory_ratio = f"{bound}{native['peak_rss_mib'] / fp32['peak_rss_mib']:.2f}x"
        activations = activation_mib(MODELS[name], batch, args.threads)
        budget = weight_mib * 1.2 + activations
        percent = 100 * native.get("gflops", float("nan")) / gemm.get("gflops", float("nan"))
        print(f"| {name} | {batch} | {rate(native):.2f} | {shown(fp32)} | {shown(bf16)} "
              f"| {ratio(bf16)} | {ratio(fp32)} "
              f"| {native.get('gflops', float('nan')):.0f} ({percent:.0f}%) "
              f"| {rss(native)} | {rss(fp32)} | {rss(bf16)} | {memory_ratio} "
              f"| {rss(native)} vs {budget:.0f} (1.2 x {weight_mib:.0f} + {activations:.0f}) |")

if __name__ == "__main__":
    main()
