#!/usr/bin/env bash
# `modelspec serve` against the same protocol served by Python (FastAPI +
# uvicorn, bench/serve_python.py: Pillow, numpy, the same TorchScript file),
# in one run, on loopback, with the tiny test ViT (tests/data/models), so
# that the protocol (HTTP, JSON, base64, PNG, preprocessing, batching) is
# what is measured rather than the model.
#
#   bench/bench-serve.sh [SECONDS]     # per measurement, default 10
#   BUILD_DIR=build/dev bench/bench-serve.sh   # an existing build instead of the release preset
#   TORCH_THREADS=1 bench/bench-serve.sh       # LibTorch's threads in both servers (default 2)
#
# Load: wrk (Debian's), one connection per request in flight, each POSTing
# the same one-tile request (a 64 x 64 PNG of a generated slide's tissue) in
# a loop, at 1, 8 and 64 connections. Reported: requests/s, p50 and p99
# latency, non-200 answers (must be 0), and for ours the mean batch size the
# model ran (GET /metrics: tiles / model calls), which dynamic batching
# raises above 1 under load. Both servers run LibTorch on TORCH_THREADS
# threads and share the machine with wrk, so its load average (printed)
# matters: compare the ratio, not the absolute figures. On a machine busy
# with other work, LibTorch's OpenMP threads wait for each other (a tiny
# model's call takes 10x longer with 2 threads than with 1): TORCH_THREADS=1
# then measures the protocol better.
#
# Needs wrk, /usr/bin/python3 with fastapi, uvicorn, torch, PIL, yaml.
set -euo pipefail
seconds=${1:-10}
export OMP_NUM_THREADS=${TORCH_THREADS:-2}
root=$(cd "$(dirname "$0")/.." && pwd)
if [[ -n ${BUILD_DIR:-} ]]; then
  build=$(cd "$BUILD_DIR" && pwd)
else
  build="$root/build/release"
  cmake --preset release -S "$root" > /dev/null
  cmake --build --preset release --target modelspec modelspec-serve >&2
fi
models="$root/tests/data/models"
work=$(mktemp -d)
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2> /dev/null || true; done
  wait 2> /dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
wait_ping() {
  for _ in $(seq 1 600); do
    [[ $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/ping") == 200 ]] && return 0
    sleep 0.1
  done
  echo "server on port $1 never answered /ping with 200" >&2
  return 1
}

# The request: one tissue-like tile, as the client sends it.
/usr/bin/python3 - "$work/body.json" << 'PYTHON'
import base64, io, json, sys
import numpy as np
from PIL import Image
rng = np.random.default_rng(29)
y, x = np.mgrid[0:64, 0:64]
pink = np.stack([220 - (x + y) % 40, 120 + (x * 3) % 50, 180 + (y * 5) % 40], -1)
pixels = np.clip(pink + rng.integers(-12, 12, (64, 64, 3)), 0, 255).astype(np.uint8)
buffer = io.BytesIO()
Image.fromarray(pixels).save(buffer, format="PNG")
request = {"image_data": base64.b64encode(buffer.getvalue()).decode(), "slide_name": "bench", "x": 0, "y": 0,
           "width": 64, "height": 64, "patch_idx": 0, "model_name": "tiny-vit-reg4", "mode": "embedding",
           "resolution": 0.5}
open(sys.argv[1], "w").write(json.dumps(request))
PYTHON
cat > "$work/post.lua" << 'LUA'
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local file = io.open(os.getenv("BODY_FILE"), "rb")
wrk.body = file:read("*a")
file:close()
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format("RESULT %d %d %d %d %.3f %.3f\n", summary.requests, summary.duration,
    errors.connect + errors.read + errors.write + errors.timeout, errors.status,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
LUA

ours_port=$(free_port)
"$build/apps/modelspec" serve --model "$models/tiny-vit-reg4.yaml" \
  --weights "$models/tiny-vit-reg4.pt" --host 127.0.0.1 --port "$ours_port" --no-access-log \
  2> "$work/ours.log" &
pids+=($!)
python_port=$(free_port)
/usr/bin/python3 "$root/bench/serve_python.py" "$models/tiny-vit-reg4.pt" "$models/tiny-vit-reg4.yaml" \
  "$python_port" 2> "$work/python.log" &
pids+=($!)
wait_ping "$ours_port"
wait_ping "$python_port"

metric() { curl -s "http://127.0.0.1:$ours_port/metrics" | awk -v name="$1" '$1 == name { print $2 }'; }

# One wrk run: prints "requests/s p50_ms p99_ms failed".
measure() {
  local port=$1 connections=$2 threads=$(($2 < 2 ? 1 : 2))
  BODY_FILE="$work/body.json" wrk -t"$threads" -c"$connections" -d"${seconds}s" --timeout 10s \
    -s "$work/post.lua" "http://127.0.0.1:$port/invocations" | awk '/^RESULT/ {
      printf "%.0f %.2f %.2f %d\n", $2 / ($3 / 1e6), $6, $7, $4 + $5 }'
}

# Warm both up (first calls allocate, LibTorch plans).
measure "$ours_port" 8 > /dev/null
measure "$python_port" 8 > /dev/null

echo "LibTorch threads: $OMP_NUM_THREADS; build: $build; load average before: $(cat /proc/loadavg)"
printf "%-12s %12s %10s %10s %8s %12s\n" "server" "connections" "req/s" "p50 ms" "p99 ms" "mean batch"
declare -A rate
for connections in 1 8 64; do
  tiles_before=$(metric bioptimus_batched_tiles_total)
  batches_before=$(metric bioptimus_batches_total)
  read -r ours_rate ours_p50 ours_p99 ours_failed <<< "$(measure "$ours_port" "$connections")"
  tiles=$(($(metric bioptimus_batched_tiles_total) - tiles_before))
  batches=$(($(metric bioptimus_batches_total) - batches_before))
  mean_batch=$(awk -v t="$tiles" -v b="$batches" 'BEGIN { printf "%.2f", b ? t / b : 0 }')
  printf "%-12s %12d %10d %10s %8s %12s\n" "modelspec" "$connections" "$ours_rate" "$ours_p50" "$ours_p99" \
    "$mean_batch"
  read -r py_rate py_p50 py_p99 py_failed <<< "$(measure "$python_port" "$connections")"
  printf "%-12s %12d %10d %10s %8s %12s\n" "python" "$connections" "$py_rate" "$py_p50" "$py_p99" "1"
  if ((ours_failed + py_failed > 0)); then
    echo "failed requests: ours $ours_failed, python $py_failed" >&2
    exit 1
  fi
  rate[$connections]=$(awk -v a="$ours_rate" -v b="$py_rate" 'BEGIN { printf "%.1f", a / b }')
done
echo "ratio (modelspec / python req/s): 1: ${rate[1]}x, 8: ${rate[8]}x, 64: ${rate[64]}x"
echo "load average after: $(cat /proc/loadavg)"
