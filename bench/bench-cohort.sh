#!/usr/bin/env bash
# A generated cohort embedded three ways, in one run, on the same slides and
# model (the tiny test ViT, tests/data/models):
#   - a shell loop: one `modelspec extract SLIDE --threads CORES` after another;
#   - the Snakemake workflow (workflows/cohort, profiles/local) with
#     --cores CORES and one thread per job: CORES slides at once;
#   - `modelspec extract --manifest` in one process, --threads CORES.
# Each is run RUNS times from an empty output folder; the figures are the
# mean and standard deviation of the wall time, and the tiles embedded.
#
#   bench/bench-cohort.sh [SLIDES] [RUNS]     # default: 8 slides, 3 runs
#
# Needs snakemake (Debian: snakemake) and the release build with LibTorch.
set -euo pipefail
slides=${1:-8}
runs=${2:-3}
cores=$(nproc)
root=$(cd "$(dirname "$0")/.." && pwd)
build="$root/build/release"
cmake --preset release -S "$root" > /dev/null
cmake --build --preset release --target modelspec modelspec_extract_tool bioptimus_make_tissue_slide >&2
command -v snakemake > /dev/null || { echo "snakemake is not installed (scripts/install-deps.sh)" >&2; exit 1; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
tool="$build/apps/modelspec"
models="$root/tests/data/models"
cd "$work"
echo "slide_path" > cohort.csv
for i in $(seq 1 "$slides"); do
  "$build/tests/wsi/bioptimus_make_tissue_slide" "slide$i.tif" --size 6144x4608 --mpp 0.5
  echo "slide$i.tif" >> cohort.csv
done
model=(--model "$models/tiny-vit-reg4.yaml" --weights "$models/tiny-vit-reg4.pt")
cat > config.yaml << EOF
manifest: cohort.csv
output_dir: workflow
modelspec: $tool
model: $models/tiny-vit-reg4.yaml
weights: $models/tiny-vit-reg4.pt
threads: 1
EOF

loop() {
  for i in $(seq 1 "$slides"); do
    "$tool" extract "slide$i.tif" "${model[@]}" --threads "$cores" -o loop > /dev/null 2>&1
  done
}
workflow() {
  snakemake -s "$root/workflows/cohort/Snakefile" --configfile config.yaml --profile "$root/workflows/cohort/profiles/local" \
    --cores "$cores" > workflow.log 2>&1
}
manifest() {
  "$tool" extract --manifest cohort.csv "${model[@]}" --threads "$cores" -o manifest > /dev/null 2>&1
}

# Prints "mean sd" of the wall seconds of RUNS runs of $1, each from scratch.
timed() {
  local times=()
  for _ in $(seq 1 "$runs"); do
    rm -rf loop workflow manifest .snakemake
    local start
    start=$(date +%s%N)
    "$1"
    times+=("$((($(date +%s%N) - start) / 1000000))")
  done
  /usr/bin/python3 -c 'import statistics, sys; t = [int(x) / 1000 for x in sys.argv[1:]]; print(f"{statistics.mean(t):.2f} {statistics.stdev(t) if len(t) > 1 else 0:.2f}")' "${times[@]}"
}

# The feature rows in the .h5 files of folder $1.
embedded_tiles() {
  /usr/bin/python3 -c 'import glob, h5py, sys; print(sum(h5py.File(f, "r")["features"].shape[0] for f in glob.glob(sys.argv[1] + "/*.h5")))' "$1"
}

read -r loop_mean loop_sd < <(timed loop)
loop_tiles=$(embedded_tiles loop)
read -r workflow_mean workflow_sd < <(timed workflow)
workflow_tiles=$(/usr/bin/python3 -c 'import json; print(json.load(open("workflow/cohort_summary.json"))["totals"]["tiles"])')
read -r manifest_mean manifest_sd < <(timed manifest)
manifest_tiles=$(embedded_tiles manifest)

echo "cohort: $slides generated slides of 6144x4608 px at 0.5 um/px, tiny ViT, $cores cores, $runs runs each"
printf '%-52s %8s %8s %8s\n' "" "wall s" "+/-" "tiles"
printf '%-52s %8s %8s %8s\n' "shell loop, extract --threads $cores per slide" "$loop_mean" "$loop_sd" "$loop_tiles"
printf '%-52s %8s %8s %8s\n' "snakemake --cores $cores (profiles/local, 1 thread/job)" "$workflow_mean" "$workflow_sd" \
  "$workflow_tiles"
printf '%-52s %8s %8s %8s\n' "extract --manifest --threads $cores (one process)" "$manifest_mean" "$manifest_sd" \
  "$manifest_tiles"
/usr/bin/python3 -c "print(f'workflow vs loop: {$loop_mean / $workflow_mean:.2f}x; one process vs loop: {$loop_mean / $manifest_mean:.2f}x')"
