#!/usr/bin/python3
"""`modelspec serve` as a client sees it: serve_test.py MODELSPEC MODELS_DIR.

The tiny test ViT served on 127.0.0.1 (a free port): an embedding agrees with
torch's; the batch form; the metadata mode; every fault of issue #29 gets its
status and a JSON message (malformed JSON, bad base64, a PNG bomb, a 7 MB
body, the wrong tile size, an unknown model, prediction, bad fields), while
slowloris half requests are held open and 200 connections arrive at once
(/ping answers within 2 s throughout, and batches fill); SIGTERM lets a
request in flight finish. Exits 77 (skipped) without numpy, PIL or torch."""
import base64
import io
import json
import pathlib
import socket
import struct
import sys
import threading
import zlib

try:
    import numpy as np
    import torch
    from PIL import Image
except ImportError as missing:
    print(f"SKIP: {missing}")
    sys.exit(77)

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
from server_process import running  # noqa: E402

TOOL, MODELS = sys.argv[1], pathlib.Path(sys.argv[2])
MEAN, STD = np.array([0.485, 0.456, 0.406], np.float32), np.array([0.229, 0.224, 0.225], np.float32)


def png(pixels):
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return buffer.getvalue()


def tile_request(pixels, **fields):
    request = {"image_data": base64.b64encode(png(pixels)).decode(), "slide_name": "slide-1", "x": 64, "y": 128,
               "width": 64, "height": 64, "patch_idx": 7, "model_name": "tiny-vit-reg4", "mode": "embedding"}
    request.update(fields)
    return request


def close(a, b):
    """Equal up to float32 rounding: LibTorch's kernels differ by batch size (a few ulps)."""
    return np.allclose(np.array(a, np.float32), np.array(b, np.float32), rtol=1e-5, atol=1e-6)


def chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_bomb(side=100_000):
    """A valid PNG header declaring side x side RGB pixels, with one row of data."""
    header = struct.pack(">IIBBBBB", side, side, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) +
            chunk(b"IEND", b""))


def torch_embedding(pixels):
    model = torch.jit.load(str(MODELS / "tiny-vit-reg4-pooled.pt"))
    x = ((pixels.astype(np.float32) / 255 - MEAN) / STD).transpose(2, 0, 1)[None]
    with torch.no_grad():
        return model(torch.from_numpy(np.ascontiguousarray(x))).numpy()[0]


def post(server, body, **kwargs):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return server.request("POST", "/invocations", data, {"Content-Type": "application/json"}, **kwargs)


def expect(result, status, *fragments):
    got, body = result
    assert got == status, (got, status, body)
    if status != 200:
        assert isinstance(body, dict) and set(body) == {"message"}, body
        for fragment in fragments:
            assert fragment in body["message"], (fragment, body["message"])
    return body


def read_response(connection):
    """(status, JSON body) of one HTTP response read from a raw socket."""
    reply = b""
    while b"\r\n\r\n" not in reply:
        data = connection.recv(65536)
        assert data, reply
        reply += data
    head, body = reply.split(b"\r\n\r\n", 1)
    length = int(next(line.split(b":", 1)[1] for line in head.split(b"\r\n")
                      if line.lower().startswith(b"content-length:")))
    while len(body) < length:
        data = connection.recv(65536)
        assert data, body
        body += data
    return int(head.split()[1]), json.loads(body)


def metric(server, name):
    status, text = server.request("GET", "/metrics")
    assert status == 200
    for line in text.splitlines():
        if line.startswith(name + " "):
            return float(line.split()[1])
    raise AssertionError(f"{name} not in /metrics:\n{text}")


rng = np.random.default_rng(29)
pixels = rng.integers(0, 256, (64, 64, 3), dtype=np.uint8)
with running(TOOL, MODELS / "tiny-vit-reg4.yaml", MODELS / "tiny-vit-reg4.pt", "--max-batch", "16",
             "--max-delay-ms", "20") as server:
    # While the model loads: 503 with a message, or already 200.
    status, body = server.request("GET", "/ping")
    assert status in (200, 503), (status, body)
    server.wait_ready()
    assert server.request("GET", "/ping") == (200, None)
    # The engine the weights chose and the precision decided, as extract says it.
    server.wait_for_line(r"^modelspec serve: tiny-vit-reg4@1\.0\.0 on the torchscript engine, fp32 "
                         r"\(the spec's precision \(fp32\)\)$")

    # One tile: the embedding torch gives, and the tile's fields echoed (ModelResponse).
    answer = expect(post(server, tile_request(pixels)), 200)
    assert list(answer) == ["output", "slide_name", "x", "y", "width", "height", "tissue_ratio", "patch_idx",
                            "resolution"], list(answer)
    assert (answer["slide_name"], answer["x"], answer["y"], answer["patch_idx"]) == ("slide-1", 64, 128, 7)
    assert answer["tissue_ratio"] is None and answer["resolution"] is None
    embedding = np.array(answer["output"], np.float32)
    assert embedding.shape == (64,)
    reference = torch_embedding(pixels)
    assert np.abs(embedding - reference).max() < 1e-4, np.abs(embedding - reference).max()

    # The batch form: an array of requests, an array of responses in order.
    others = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(3)]
    answers = expect(post(server, [tile_request(p, patch_idx=i) for i, p in enumerate([pixels, *others])]), 200)
    assert [a["patch_idx"] for a in answers] == [0, 1, 2, 3]
    assert close(answers[0]["output"], embedding)
    for other, batched in zip(others, answers[1:]):
        single = expect(post(server, tile_request(other)), 200)["output"]
        assert close(batched["output"], single)

    # mode metadata: the spec as `modelspec show --format json` prints it.
    spec = expect(post(server, {"model_name": "tiny-vit-reg4", "mode": "metadata"}), 200)
    assert spec["model_name"] == "tiny-vit-reg4" and spec["embedding_dim"] == 64
    assert spec["derived"]["identity"] == "tiny-vit-reg4@1.0.0"

    # Faults: each its status and a message saying what is wrong.
    expect(post(server, b'{"image_data": '), 400, "not valid JSON")
    expect(post(server, b"\xff\xfe"), 400, "not valid JSON")
    expect(post(server, b"[]"), 400, "empty")
    expect(post(server, b"42"), 400, "a tile request")
    expect(post(server, tile_request(pixels, image_data="iVBOR*w0K")), 400, "base64", "'*' at offset 5")
    expect(post(server, tile_request(pixels, image_data=base64.b64encode(b"GIF89a...").decode())), 400,
           "not a readable PNG")
    bomb = tile_request(pixels, image_data=base64.b64encode(png_bomb()).decode())
    expect(post(server, bomb), 400, "100000x100000", "64x64")
    small = rng.integers(0, 256, (32, 48, 3), dtype=np.uint8)
    expect(post(server, tile_request(small)), 400, "48x32", "64x64")
    expect(post(server, b"{" + b'"image_data": "' + b"A" * (7 * 1024 * 1024) + b'"}'), 413, "limit")
    expect(post(server, tile_request(pixels, model_name="h0-mini")), 404, "h0-mini", "tiny-vit-reg4")
    expect(post(server, tile_request(pixels, mode="prediction")), 501, "prediction", "embedding")
    expect(post(server, tile_request(pixels, mode="segment")), 400, "mode")
    expect(post(server, tile_request(pixels, x="12")), 400, "x: expected an integer, got a string")
    request = tile_request(pixels)
    del request["image_data"]
    expect(post(server, request), 400, "image_data: missing")
    expect(post(server, [tile_request(pixels), tile_request(small)]), 400, "[1].")
    expect(post(server, [{"model_name": "tiny-vit-reg4", "mode": "metadata"}]), 400, "single request")
    expect(server.request("GET", "/invocations"), 404, "GET /invocations", "POST /invocations")
    expect(server.request("POST", "/invocations", b""), 400, "no body")

    # /ping answered within 2 s (its timeout) all along the rest.
    failures, stop = [], threading.Event()

    def ping():
        while not stop.is_set():
            try:
                status, _ = server.request("GET", "/ping", timeout=2)
                if status != 200:
                    failures.append(status)
            except OSError as error:
                failures.append(repr(error))
            stop.wait(0.05)

    pinger = threading.Thread(target=ping)
    pinger.start()
    try:
        # Slowloris: connections that send half a request and then nothing.
        held = []
        for i in range(60):
            held.append(socket.create_connection(("127.0.0.1", server.port)))
            if i % 2:
                held[-1].sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Le")
            else:
                held[-1].sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: 5000\r\n\r\n{\"ima")
        expect(post(server, tile_request(pixels)), 200)

        # 200 connections at once, a tenth of them bad: each gets its own answer.
        tiles_before = metric(server, "bioptimus_batched_tiles_total")
        results = [None] * 200
        tiles = [rng.integers(0, 256, (64, 64, 3), dtype=np.uint8) for _ in range(8)]
        go = threading.Barrier(200)

        def client(i):
            body = tile_request(tiles[i % 8], patch_idx=i) if i % 10 else b"{broken"
            go.wait()
            results[i] = post(server, body, timeout=60)

        clients = [threading.Thread(target=client, args=(i,)) for i in range(200)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        for i, (status, body) in enumerate(results):
            if i % 10:
                assert status == 200 and body["patch_idx"] == i, (i, status, body)
                expected = np.array(expect(post(server, tile_request(tiles[i % 8])), 200)["output"], np.float32)
                assert close(body["output"], expected), i
            else:
                assert status == 400 and "not valid JSON" in body["message"], (i, status, body)
        assert metric(server, "bioptimus_batched_tiles_total") >= tiles_before + 180
        # Dynamic batching: concurrent requests shared model calls.
        assert metric(server, "bioptimus_batch_size_max") > 1
        for connection in held:
            connection.close()
    finally:
        stop.set()
        pinger.join()
    assert not failures, failures
    assert server.process.poll() is None, "the server died"

    # SIGTERM with a request in flight (its body half sent): it is answered, then the server exits 0.
    body = json.dumps(tile_request(pixels)).encode()
    in_flight = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    in_flight.sendall(b"POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(body) + body[:100])
    expect(server.request("GET", "/metrics"), 200)  # the server has read the headers meanwhile
    server.process.send_signal(15)
    server.wait_for_line(r"SIGTERM: no new connections")
    in_flight.sendall(body[100:])
    status, answer = read_response(in_flight)
    in_flight.close()
    assert status == 200, (status, answer)
    assert close(answer["output"], embedding)
    assert server.stop() == 0
    assert server.lines[-1] == "modelspec serve: stopped", server.lines[-3:]
    # An access log line per request.
    assert any('"POST /invocations" 413' in line for line in server.lines)
print("serve_test: ok")
