#!/usr/bin/python3
"""A real foundation model at the machine's speed, fp32 against bf16, in one run (bench/bench-precision.sh
builds the tools and calls this):

  bench_precision.py --tool MODELSPEC --generator MAKE_TISSUE_SLIDE --backbone-benchmark BENCH [--threads T]
                     [--slide-size WxH] [--stride-factor K] [--bf16-stride-factor K] [--batch-size 64]

The model: H0-mini's architecture at full size with random weights (a ViT-B/14 with 4 registers,
LayerScale and SwiGLU, 224 px; tests/support/architectures.py), exported to TorchScript as
docs/inference.md says, with the built-in h0-mini spec. The slide: generated, 0.5 um/px (224 px tiles
read at level 0, as H0-mini is run at 20x). For each precision (fp32, bf16):
- `modelspec extract --precision P` end to end: tiles / the slide's seconds (reading, preprocessing,
  the model, writing; the model load before it is left out, as the Python figure leaves it out);
- the model step alone (bioptimus_backbone_benchmark): the same number of tiles in the same batches
  through Backbone::embed;
- the Python pipeline (bench/extract_python.py: openslide-python, Pillow, torchvision, a DataLoader
  with T workers, torch.jit.load, fp32 or torch.autocast("cpu", torch.bfloat16)), its loop only;
- the GFLOPS of the model step (the ViT's matrix products per tile, architectures.vit_flops_per_tile,
  times the model-only tiles/s) against one large GEMM's (torch.mm of 2048 x 2048 matrices in the
  same LibTorch, the same BLAS and oneDNN, on T threads): the roofline.
Then the TorchScript graph at load: the model as loaded, frozen (torch.jit.freeze) and optimised
(torch.jit.optimize_for_inference), the same batches in turn, in fp32 (and bf16 where the CPU runs it
natively).

On a CPU without native bf16 (no AVX512-BF16 or AMX), LibTorch emulates bf16 about 30x slower than
fp32: the bf16 rows then embed every K-th tile along each axis (h0-mini's config with a stride of K
tiles, --bf16-stride-factor, default 4 there and 1 elsewhere): the same tiles and model, fewer of
them, so tiles/s stay comparable. --stride-factor does the same for the fp32 rows (default 1: the 81
tissue tiles of the default slide), for a quick run on a busy machine.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

ROOT = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "support"))
import architectures  # noqa: E402
import torch  # noqa: E402

FAMILY, SPEC = "dinov2-reg4", "h0-mini"


def native_bf16():
    flags = set()
    with open("/proc/cpuinfo", encoding="utf-8") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    return "avx512_bf16" in flags or {"amx_bf16", "amx_tile"} <= flags


def run(command):
    started = time.perf_counter()
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, command))}\n{done.stdout}{done.stderr}")
    return done, time.perf_counter() - started


def sparse_spec(directory, factor):
    """h0-mini's config with a stride of `factor` tiles (the model name stays: the file is h0-mini.yaml)."""
    text = (ROOT / "configs" / f"{SPEC}.yaml").read_text()
    assert "  stride: [224, 224]\n" in text
    directory.mkdir(exist_ok=True)
    path = directory / f"{SPEC}.yaml"
    path.write_text(text.replace("  stride: [224, 224]\n", f"  stride: [{224 * factor}, {224 * factor}]\n"))
    return path


def extract(arguments, slide, spec, weights, out, precision):
    summary = out / "summary.jsonl"
    done, wall = run([arguments.tool, "extract", slide, "--model", spec, "--weights", weights, "-o", out,
                      "--precision", precision, "--threads", arguments.threads, "--batch-size", arguments.batch_size,
                      "--summary", summary, "--overwrite"])
    line = json.loads(summary.read_text().splitlines()[-1])
    log = [text for text in done.stderr.splitlines() if text.startswith(f"{SPEC}@")]
    return {"tiles": line["tiles"], "seconds": line["seconds"], "model_seconds": line["model_seconds"],
            "wall": wall, "log": log[0] if log else "", "h5": out / f"{slide.stem}.h5"}


def model_only(arguments, spec, weights, tiles, precision):
    done, _ = run([arguments.backbone_benchmark, weights, spec, "--tiles", tiles, "--batch-size",
                   arguments.batch_size, "--precision", precision, "--threads", arguments.threads])
    return json.loads(done.stdout)


def python_pipeline(arguments, slide, spec_file, coords, weights, out, precision):
    done, _ = run([sys.executable, ROOT / "bench" / "extract_python.py", slide, coords, weights, out, "--spec",
                   spec_file, "--workers", arguments.threads, "--batch-size",
                   arguments.batch_size, "--precision", precision])
    words = done.stdout.split()  # N tiles S s R tiles/s model M s
    return {"tiles": int(words[0]), "seconds": float(words[2]), "model_seconds": float(words[7])}


def gemm_gflops(threads, dtype, side=2048, repeats=3):
    torch.set_num_threads(threads)
    a, b = torch.randn(side, side).to(dtype), torch.randn(side, side).to(dtype)
    best = float("inf")
    with torch.inference_mode():
        torch.mm(a, b)
        for _ in range(repeats):
            start = time.perf_counter()
            torch.mm(a, b)
            best = min(best, time.perf_counter() - start)
    return 2 * side**3 / best / 1e9


def graph_variants(weights, threads, precision, batch, repeats=3):
    """tiles/s of the model as loaded, frozen and optimised for inference, the variants in turn."""
    torch.set_num_threads(threads)
    variants = {"as loaded": torch.jit.load(str(weights)).eval(),
                "frozen": torch.jit.freeze(torch.jit.load(str(weights)).eval()),
                "optimize_for_inference": torch.jit.optimize_for_inference(torch.jit.load(str(weights)).eval())}
    tiles = torch.randn(batch, 3, 224, 224)
    seconds = {name: [] for name in variants}

    def forward(model):
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            return model(tiles)

    for model in variants.values():  # the profiling executor's first runs
        forward(model)
        forward(model)
    for _ in range(repeats):
        for name, model in variants.items():
            start = time.perf_counter()
            forward(model)
            seconds[name].append(time.perf_counter() - start)
    return {name: batch / min(times) for name, times in seconds.items()}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--tool", required=True)
    parser.add_argument("--generator", required=True)
    parser.add_argument("--backbone-benchmark", required=True)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--slide-size", default="6144x4608")
    parser.add_argument("--stride-factor", type=int, default=1)
    parser.add_argument("--bf16-stride-factor", type=int, default=None,
                        help="default: --stride-factor where bf16 is native, else 4 times it")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--graph-batch", type=int, default=8)
    arguments = parser.parse_args()
    native = native_bf16()
    bf16_stride = arguments.bf16_stride_factor or arguments.stride_factor * (1 if native else 4)
    load_before = pathlib.Path("/proc/loadavg").read_text().split()[:3]

    results = {}
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        model, _ = architectures.build(FAMILY, full_size=True)
        weights = work / "h0-mini-architecture.pt"
        architectures.export(model, 224, weights)
        del model
        slide = work / "slide.tif"
        run([arguments.generator, slide, "--size", arguments.slide_size, "--mpp", "0.5"])
        specs = {precision: ROOT / "configs" / f"{SPEC}.yaml" if factor == 1 else
                 sparse_spec(work / f"sparse-{factor}", factor)
                 for precision, factor in (("fp32", arguments.stride_factor), ("bf16", bf16_stride))}
        for precision in ("fp32", "bf16"):
            spec = specs[precision]
            ours = extract(arguments, slide, spec, weights, work / f"out-{precision}", precision)
            alone = model_only(arguments, spec, weights, ours["tiles"], precision)
            python = python_pipeline(arguments, slide, spec, ours["h5"], weights, work / f"python-{precision}.h5",
                                     precision)
            gemm = gemm_gflops(arguments.threads, torch.float32 if precision == "fp32" else torch.bfloat16)
            results[precision] = {"ours": ours, "alone": alone, "python": python, "gemm": gemm}
        graphs = {precision: graph_variants(weights, arguments.threads, precision, arguments.graph_batch)
                  for precision in (("fp32", "bf16") if native else ("fp32",))}
    load_after = pathlib.Path("/proc/loadavg").read_text().split()[:3]

    flops = architectures.vit_flops_per_tile(FAMILY, full_size=True)
    print(f"H0-mini's architecture (ViT-B/14, 4 registers, SwiGLU, 224 px, random weights), "
          f"{flops / 1e9:.1f} GFLOP per tile; {arguments.threads} threads, batch {arguments.batch_size}; "
          f"CPU bf16: {'native' if native else 'emulated (no AVX512-BF16 or AMX)'}")
    rows = []

    def row(label, values, form):
        rows.append((label, [form(v) for v in values]))

    table = [results["fp32"], results["bf16"]]
    row("tiles", [r["ours"]["tiles"] for r in table], str)
    ours_rate = [r["ours"]["tiles"] / r["ours"]["seconds"] for r in table]
    alone_rate = [r["alone"]["tiles_per_second"] for r in table]
    python_rate = [r["python"]["tiles"] / r["python"]["seconds"] for r in table]
    row("extract, tiles/s end to end", ours_rate, lambda v: f"{v:.3f}")
    row("model step alone, tiles/s", alone_rate, lambda v: f"{v:.3f}")
    row("end to end / model alone", [o / a for o, a in zip(ours_rate, alone_rate)], lambda v: f"{100 * v:.0f}%")
    row("Python pipeline, tiles/s", python_rate, lambda v: f"{v:.3f}")
    row("extract / Python", [o / p for o, p in zip(ours_rate, python_rate)], lambda v: f"{v:.2f}x")
    model_gflops = [rate * flops / 1e9 for rate in alone_rate]
    row("model step, GFLOPS", model_gflops, lambda v: f"{v:.1f}")
    row("large GEMM (2048^3), GFLOPS", [r["gemm"] for r in table], lambda v: f"{v:.1f}")
    row("model step / GEMM roofline", [m / r["gemm"] for m, r in zip(model_gflops, table)],
        lambda v: f"{100 * v:.0f}%")
    width = max(len(label) for label, _ in rows)
    print(f"{'':{width}}  {'fp32':>10}  {'bf16':>10}")
    for label, values in rows:
        print(f"{label:{width}}  {values[0]:>10}  {values[1]:>10}")
    print(f"bf16 / fp32 end to end: {ours_rate[1] / ours_rate[0]:.2f}x")
    for precision in ("fp32", "bf16"):
        print(f"extract's log ({precision}): {results[precision]['ours']['log']}")
    for precision, rates in graphs.items():
        print(f"TorchScript graph, {precision}, batch {arguments.graph_batch} (tiles/s): " +
              ", ".join(f"{name} {rate:.3f}" for name, rate in rates.items()))
    print(f"load average {' '.join(load_before)} before, {' '.join(load_after)} after")


if __name__ == "__main__":
    main()
