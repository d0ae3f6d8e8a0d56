#!/usr/bin/python3
"""`modelspec extract --endpoint` against `modelspec serve`:
extract_endpoint_test.py MODELSPEC MAKE_TISSUE_SLIDE MODELS_DIR.

On a generated slide, the features through the server (one tile per request,
and the batch form) are the local extract's (fp32, the same TorchScript file)
at the same coordinates; a server killed (SIGKILL) mid-slide fails that slide
clearly, with no file left, and the rerun completes it. (A server of another
model is refused: tests/remote/remote_test.cpp.)
Exits 77 (skipped) without h5py or numpy."""
import json
import pathlib
import subprocess
import sys
import tempfile

try:
    import h5py
    import numpy as np
except ImportError as missing:
    print(f"SKIP: {missing}")
    sys.exit(77)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from server_process import running  # noqa: E402

TOOL, GENERATOR, MODELS = sys.argv[1], sys.argv[2], pathlib.Path(sys.argv[3])
WEIGHTS = MODELS / "tiny-vit-reg4.pt"


def extract(slide, out, *extra, spec=None):
    spec = spec or SPEC
    command = [TOOL, "extract", str(slide), "--model", str(spec), "-o", str(out), "--threads", "2", *map(str, extra)]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def read(path):
    with h5py.File(path, "r") as f:
        return f["features"][:], f["coords"][:], dict(f["coords"].attrs), f["features"].attrs["model"]


def same_features(path, reference):
    features, coords, attributes, model = read(path)
    assert np.array_equal(coords, reference[1]), "different tiles"
    assert attributes.keys() == reference[2].keys() and model == reference[3]
    # LibTorch's results differ in the last bits with the batch's size and
    # make-up, which the server's dynamic batching changes: fp32 rounding only.
    difference = np.abs(features - reference[0]).max()
    assert difference < 1e-5, difference


with tempfile.TemporaryDirectory() as work:
    work = pathlib.Path(work)
    slide = work / "good.tif"
    subprocess.run([GENERATOR, str(slide), "--size", "3072x2304", "--mpp", "1.0"], check=True)
    # The tiny ViT's spec at 1.5 um/px: 96 px read and resized to 64, about a hundred tiles (fast).
    SPEC = work / "tiny-vit-reg4.yaml"
    SPEC.write_text((MODELS / "tiny-vit-reg4.yaml").read_text().replace("resolution: 0.5", "resolution: 1.5"))
    run = extract(slide, work / "local", "--weights", WEIGHTS, "--batch-size", "48")
    assert run.returncode == 0, run.stderr
    reference = read(work / "local" / "good.h5")
    tiles = len(reference[1])
    assert tiles > 80, tiles

    with running(TOOL, SPEC, WEIGHTS, "--no-access-log") as server:
        server.wait_ready()
        endpoint = f"http://127.0.0.1:{server.port}"
        run = extract(slide, work / "remote", "--endpoint", endpoint, "--concurrency", "4")
        assert run.returncode == 0, run.stderr
        assert run.stdout.startswith(f"1 slides (0 failed, 0 skipped), {tiles} tiles"), run.stdout
        same_features(work / "remote" / "good.h5", reference)

        # --weights and --endpoint together: a usage error.
        run = extract(slide, work / "both", "--endpoint", endpoint, "--weights", WEIGHTS)
        assert run.returncode == 2 and "excludes" in run.stderr, (run.returncode, run.stderr)

        # Another server dies (SIGKILL) mid-slide: that slide fails, clearly, and leaves no file.
        out, summary = work / "killed", work / "summary.jsonl"
        with running(TOOL, SPEC, WEIGHTS) as dying:
            dying.wait_ready()
            doomed = f"http://127.0.0.1:{dying.port}"
            client = subprocess.Popen([TOOL, "extract", str(slide), "--model", str(SPEC), "-o", str(out),
                                       "--endpoint", doomed, "--concurrency", "2", "--batch-size", "8", "--retries",
                                       "2", "--summary", str(summary)],
                                      stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            try:
                dying.wait_for_line(r'"POST /invocations" 200', count=20)
                dying.kill()
                stdout, stderr = client.communicate(timeout=60)
            finally:
                client.kill()
                client.wait()
        assert client.returncode == 1, (client.returncode, stderr)
        assert stdout.startswith("1 slides (1 failed, 0 skipped)"), stdout
        assert f"{doomed}/invocations: tile " in stderr and "failed after 3 attempts" in stderr, stderr
        assert list(out.iterdir()) == [], list(out.iterdir())
        line = json.loads(summary.read_text().splitlines()[-1])
        assert line["status"] == "failed" and doomed in line["error"], line

        # The rerun, against the first server (in the batch form), completes the slide.
        run = extract(slide, out, "--endpoint", endpoint + "/invocations", "--tiles-per-request", "8",
                      "--summary", summary)
        assert run.returncode == 0, run.stderr
        same_features(out / "good.h5", reference)
        assert json.loads(summary.read_text().splitlines()[-1])["status"] == "ok"
print("extract_endpoint_test: ok")
