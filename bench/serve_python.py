#!/usr/bin/python3
"""The SDK's dispatch protocol served the way a Python model server does it
(FastAPI + uvicorn, as the SDK's own Model Server): the peer of
`modelspec serve` in bench/bench-serve.sh.

  serve_python.py MODEL.pt SPEC.yaml PORT

POST /invocations takes one tile ({"image_data": base64 PNG, "model_name",
"mode", ...}): Pillow decodes the PNG, it must have the spec's tile size,
torchvision-style ToTensor + Normalize with the spec's mean and std, the same
TorchScript file, and the spec's readout (CLS next to the mean of the patch
tokens after num_prefix_tokens). One tile per model call: no dynamic
batching. GET /ping answers 200. LibTorch's threads: OMP_NUM_THREADS (2). Needs Debian's python3-fastapi,
python3-uvicorn, python3-torch, python3-pil, python3-yaml.
"""
import base64
import binascii
import io
import os
import sys

import numpy as np
import torch
import uvicorn
import yaml
from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse
from PIL import Image

MODEL_FILE, SPEC_FILE, PORT = sys.argv[1], sys.argv[2], int(sys.argv[3])
spec = yaml.safe_load(open(SPEC_FILE))
width, height = (spec["tile_spec"]["size"] * 2)[:2] if isinstance(spec["tile_spec"]["size"], int) else \
    spec["tile_spec"]["size"]
mean = np.array(spec["mean"], np.float32).reshape(3, 1, 1)
std = np.array(spec["std"], np.float32).reshape(3, 1, 1)
prefix = spec.get("num_prefix_tokens", 1)
torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))
model = torch.jit.load(MODEL_FILE).eval()
app = FastAPI()
ECHOED = ("slide_name", "x", "y", "width", "height", "tissue_ratio", "patch_idx", "resolution")


def error(status, message):
    return JSONResponse({"message": message}, status_code=status)


@app.get("/ping")
def ping():
    return Response(status_code=200)


@app.post("/invocations")
async def invocations(request: Request):
    try:
        body = await request.json()
    except ValueError as failure:
        return error(400, f"the body is not valid JSON: {failure}")
    if not isinstance(body, dict):
        return error(400, "expected a tile request (a JSON object)")
    if body.get("model_name") != spec["model_name"]:
        return error(404, f"unknown model {body.get('model_name')!r}")
    if body.get("mode") != "embedding":
        return error(501, "only mode embedding is served")
    try:
        image = Image.open(io.BytesIO(base64.b64decode(body["image_data"], validate=True)))
        if image.size != (width, height):
            return error(400, f"expected a {width}x{height} tile, got {image.size}")
        pixels = np.asarray(image.convert("RGB"), np.float32)
    except (KeyError, binascii.Error, OSError) as failure:
        return error(400, f"image_data: {failure}")
    x = torch.from_numpy(np.ascontiguousarray((pixels.transpose(2, 0, 1) / 255 - mean) / std, np.float32))[None]
    with torch.inference_mode():
        tokens = model(x)[0]
    output = torch.cat([tokens[0], tokens[prefix:].mean(0)]) if tokens.dim() == 2 else tokens
    response = {"output": output.tolist()}
    response.update({key: body.get(key) for key in ECHOED})
    return response


uvicorn.run(app, host="127.0.0.1", port=PORT, log_level="warning", access_log=False)
