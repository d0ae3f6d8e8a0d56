#!/usr/bin/python3
"""`modelspec extract` end to end, as a user runs it, read back with h5py:
extract_test.py MODELSPEC MAKE_TISSUE_SLIDE MODELS_DIR.

A generated slide with tissue, one without and a file that is not a slide:
the good slides get complete files in TRIDENT's layout, the bad one an error
and a failed summary line, the exit status is 1; a second run skips the
finished slides and --overwrite redoes them."""
import json
import pathlib
import shutil
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as missing:
    print(f"SKIP: {missing}")
    sys.exit(77)

TOOL, GENERATOR, MODELS = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
COORD_ATTRIBUTES = {"patch_size", "patch_level", "downsample", "downsampled_level_dim", "level_dim", "name",
                    "patch_size_level0", "level0_magnification", "target_magnification", "overlap", "level0_width",
                    "level0_height", "save_path", "savetodir", "tile_size", "tile_stride", "tile_resolution",
                    "target_mpp", "region_size", "footprint", "mask_threshold"}


def extract(slides, out, *extra, threads=1):
    # One thread but where threads are the point: LibTorch's OpenMP threads wait for each other at every
    # operator, which costs more than it gains on a tiny model when CTest runs other tests beside it.
    command = [TOOL, "extract", *map(str, slides), "--model", str(MODELS / "tiny-vit-reg4.yaml"), "--weights",
               str(MODELS / "tiny-vit-reg4.pt"), "-o", str(out), "--threads", str(threads), *extra]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def summary_lines(path):
    return [json.loads(line) for line in path.read_text().splitlines()]


with tempfile.TemporaryDirectory() as work:
    work = pathlib.Path(work)
    good, blank, broken = work / "good.tif", work / "blank.tif", work / "broken.svs"
    subprocess.run([GENERATOR, str(good), "--size", "3072x2304", "--mpp", "1.0"], check=True)
    subprocess.run([GENERATOR, str(blank), "--size", "2048x2048", "--mpp", "1.0", "--blank"], check=True)
    broken.write_text("not a slide\n")
    out, summary = work / "out", work / "summary.jsonl"

    run = extract([good, broken, blank], out, "--summary", str(summary), "--batch-size", "48", threads=2)
    assert run.returncode == 1, (run.returncode, run.stdout, run.stderr)
    assert "broken.svs: cannot open slide" in run.stderr, run.stderr
    assert run.stdout.startswith("3 slides (1 failed, 0 skipped), "), run.stdout
    assert sorted(p.name for p in out.iterdir()) == ["blank.h5", "good.h5"], list(out.iterdir())

    with h5py.File(out / "good.h5", "r") as f:
        assert set(f.keys()) == {"features", "coords", "thumbnail", "tissue_mask"}, list(f.keys())
        features, coords = f["features"], f["coords"]
        assert features.dtype == np.float32 and coords.dtype == np.int64, (features.dtype, coords.dtype)
        assert features.ndim == 2 and features.shape[1] == 64 and coords.shape == (features.shape[0], 2)
        tiles = features.shape[0]
        assert tiles > 500, tiles
        assert np.isfinite(features[:]).all()
        # Not one embedding for every tile: tissue, its edges and glass differ
        # (the generator's texture repeats every 64 px, so many tiles look alike).
        assert len(np.unique(features[:].round(4), axis=0)) > 20
        # Row-major tile order, as the extractor plans it: by y, then x.
        order = np.lexsort((coords[:, 0], coords[:, 1]))
        assert (order == np.arange(tiles)).all()
        assert COORD_ATTRIBUTES <= set(coords.attrs), set(coords.attrs)
        assert coords.attrs["name"] == "good" and coords.attrs["patch_level"] == 0
        # 64 px at 0.5 um/px from a 1.0 um/px slide: 32 level-0 pixels, read and upsampled.
        assert coords.attrs["patch_size"] == 32 and coords.attrs["patch_size_level0"] == 32
        assert coords.attrs["level0_width"] == 3072 and coords.attrs["level0_height"] == 2304
        # The magnification of the level read (level 0, AppMag 40): TRIDENT reads patch_size pixels there.
        assert coords.attrs["level0_magnification"] == 40.0 and coords.attrs["target_magnification"] == 40.0
        # The model's own resolution is ours to record; where the file is, the peers' writers record.
        assert coords.attrs["target_mpp"] == 0.5 and coords.attrs["tile_size"].tolist() == [64, 64]
        assert coords.attrs["save_path"] == coords.attrs["savetodir"] == features.attrs["savetodir"] == str(out)
        assert features.attrs["encoder"] == "tiny-vit-reg4", dict(features.attrs)
        assert features.attrs["model"] == "tiny-vit-reg4@1.0.0", dict(features.attrs)
        assert "model_spec_yaml" in features.attrs and "bioptimus_version" in features.attrs
        # The precision that ran (auto: the spec's fp32), also in the log with why, and the threads.
        assert features.attrs["precision"] == "fp32", dict(features.attrs)
        assert "tiny-vit-reg4@1.0.0: fp32 (the spec's precision (fp32)), 2 threads\n" in run.stderr, run.stderr

    # A slide without tissue: a valid file with no rows.
    with h5py.File(out / "blank.h5", "r") as f:
        assert f["features"].shape == (0, 64) and f["coords"].shape == (0, 2), (f["features"].shape, f["coords"].shape)
        assert f["coords"].attrs["name"] == "blank"

    lines = summary_lines(summary)
    assert [line["status"] for line in lines] == ["ok", "failed", "ok"], lines
    assert lines[0]["tiles"] == tiles and lines[0]["output"].endswith("good.h5") and lines[0]["seconds"] > 0
    assert 0 < lines[0]["model_seconds"] < lines[0]["seconds"], lines[0]
    assert "cannot open slide" in lines[1]["error"] and lines[1]["slide_id"] == "broken"
    assert lines[2]["tiles"] == 0

    # Resumable: the finished slides are skipped, untouched.
    stamp = (out / "good.h5").stat().st_mtime_ns
    run = extract([good, blank], out, "--summary", str(summary))
    assert run.returncode == 0, (run.stdout, run.stderr)
    assert run.stdout.startswith("2 slides (0 failed, 2 skipped), 0 tiles"), run.stdout
    assert (out / "good.h5").stat().st_mtime_ns == stamp
    assert [line["status"] for line in summary_lines(summary)[3:]] == ["skipped", "skipped"]

    # --overwrite redoes them, with the same features (another batch size: LibTorch's two threads split the
    # work otherwise, which changes the last bits).
    with h5py.File(out / "good.h5", "r") as f:
        before = f["features"][:]
    run = extract([good], out, "--overwrite", "--format", "h5")
    assert run.returncode == 0, (run.stdout, run.stderr)
    assert run.stdout.startswith(f"1 slides (0 failed, 0 skipped), {tiles} tiles"), run.stdout
    with h5py.File(out / "good.h5", "r") as f:
        assert np.abs(f["features"][:] - before).max() <= 1e-5

    # NPZ: the same rows, numpy-loadable.
    run = extract([good], out, "--format", "npz", "--slide-id", "good-npz")
    assert run.returncode == 0, (run.stdout, run.stderr)
    with np.load(out / "good-npz.npz") as archive:
        assert np.abs(archive["features"] - before).max() <= 1e-5, "npz features differ from h5"
        assert str(archive["precision"]) == "fp32"

    # Not a terminal here: plain progress lines, ending with the whole slide.
    assert f"good-npz: {tiles}/{tiles} tiles" in run.stderr, run.stderr
    # --slide-id names a file in the output directory, never one elsewhere.
    run = extract([good], out, "--slide-id", "../escape")
    assert run.returncode == 2 and "names the outputs" in run.stderr, (run.returncode, run.stderr)

    # A manifest instead of slides: its slide_id names the file and its
    # mpp_override wins over --mpp-override (0.5 um/px claimed for the 1.0
    # slide: 64 px tiles now cover 64 level-0 pixels).
    manifest = work / "cohort.csv"
    manifest.write_text("slide_path,slide_id,mpp_override\ngood.tif,from-manifest,0.5\n")
    run = extract([], out, "--manifest", str(manifest), "--mpp-override", "2.0", "--summary", str(summary))
    assert run.returncode == 0, (run.stdout, run.stderr)
    assert run.stdout.startswith("1 slides (0 failed, 0 skipped), "), run.stdout
    with h5py.File(out / "from-manifest.h5", "r") as f:
        assert f["coords"].attrs["name"] == "from-manifest", dict(f["coords"].attrs)
        assert f["coords"].attrs["patch_size_level0"] == 64 and f["coords"].attrs["patch_level"] == 0
    assert summary_lines(summary)[-1]["slide_id"] == "from-manifest"
    (out / "from-manifest.h5").unlink()
    # A bad manifest is reported, located, before any slide (or the model) is touched.
    manifest.write_text("slide_path,slide_id\ngood.tif,twice\nblank.tif,twice\n")
    run = extract([], out, "--manifest", str(manifest))
    assert run.returncode == 1 and "cohort.csv:3:" in run.stderr and "twice" in run.stderr, (run.returncode,
                                                                                            run.stderr)
    # Slides and a manifest together are a usage error.
    run = extract([good], out, "--manifest", str(manifest))
    assert run.returncode == 2 and "excludes" in run.stderr, (run.returncode, run.stderr)
    # fp16 does not run on the CPU: refused before any slide, naming the model file; an unknown precision is a
    # usage error.
    run = extract([good], out, "--precision", "fp16", "--overwrite")
    assert run.returncode == 1 and "tiny-vit-reg4.pt: precision fp16: not on the CPU" in run.stderr, run.stderr
    run = extract([good], out, "--precision", "fp64")
    assert run.returncode == 2 and "--precision" in run.stderr, (run.returncode, run.stderr)
    # --threads defaults to the cores the process may run on (its affinity, as a Slurm job's), not the machine's.
    if shutil.which("taskset"):
        run = subprocess.run(["taskset", "-c", "0", TOOL, "extract", str(blank), "--model",
                              str(MODELS / "tiny-vit-reg4.yaml"), "--weights", str(MODELS / "tiny-vit-reg4.pt"), "-o",
                              str(out), "--overwrite"], capture_output=True, text=True, check=False)
        assert run.returncode == 0 and "(the spec's precision (fp32)), 1 threads\n" in run.stderr, run.stderr
    # No temporary file is left behind.
    assert sorted(p.name for p in out.iterdir()) == ["blank.h5", "good-npz.npz", "good.h5"], list(out.iterdir())
print("extract_test: ok")
