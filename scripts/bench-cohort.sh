#!/usr/bin/env bash
# Wall time of a generated cohort three ways, in one hyperfine run: a shell
# loop calling `modelspec tiles` per slide, the Snakemake workflow with
# --cores 2 (profiles/local), and `modelspec tiles --manifest` in one process.
#
#   bash scripts/bench-cohort.sh [SLIDES] [WIDTHxHEIGHT]   (default 8 40000x30000, 0.25 um/px)
#
# Uses the release build (built if missing); the slides go to a temporary
# directory that is removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
slides=${1:-8}
size=${2:-40000x30000}
bash scripts/install-deps.sh
command -v hyperfine >/dev/null || { echo "hyperfine is needed (apt-get install hyperfine)"; exit 1; }
cmake --preset release >/dev/null
cmake --build --preset release --target modelspec bioptimus_make_tissue_slide >/dev/null
tool=$root/build/release/apps/modelspec
generator=$root/build/release/tests/wsi/bioptimus_make_tissue_slide

work=$(mktemp -d "${TMPDIR:-/tmp}/bioptimus-bench-cohort.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"
echo "slide_path" >cohort.csv
for i in $(seq 1 "$slides"); do
  "$generator" "slide$i.tif" --size "$size" --mpp 0.25
  echo "slide$i.tif" >>cohort.csv
done
cat >config.yaml <<EOF
manifest: cohort.csv
output_dir: out-snakemake
modelspec: $tool
EOF
echo "$slides slides of $size px, $(du -sh . | cut -f1); machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
hyperfine --runs 3 --prepare 'rm -rf out-loop out-snakemake out-manifest .snakemake' \
  -n "shell loop" "for slide in slide*.tif; do $tool tiles \$slide --model h0-mini -o out-loop >/dev/null; done" \
  -n "snakemake --cores 2" \
  "snakemake -s $root/workflows/cohort/Snakefile --configfile config.yaml --profile $root/workflows/cohort/profiles/local --cores 2 -q" \
  -n "tiles --manifest" "$tool tiles --manifest cohort.csv --model h0-mini -o out-manifest >/dev/null"
