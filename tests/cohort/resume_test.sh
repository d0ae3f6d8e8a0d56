#!/usr/bin/env bash
# The cohort workflow on one machine (--cores 2): killed (SIGKILL, the whole
# process group, as a lost session would) after some slides are done, then
# resumed; every slide ends with its output and no finished slide is redone.
# With MODELS_DIR (the test models), the jobs embed with `extract` and a
# last run of the same cohort without weights checks the tiles-only jobs;
# without it, the jobs only find tiles.
#
#   resume_test.sh MODELSPEC MAKE_TISSUE_SLIDE WORKFLOW_DIR [MODELS_DIR]
#
# Exit 77 (skipped) when snakemake is not installed.
set -euo pipefail
modelspec=$1 generator=$2 workflow=$3 models=${4:-}
slides=8
if [[ -n $models ]]; then
  rule=extract folder=features extension=h5
else
  rule=tiles folder=tiles extension=csv
fi

command -v snakemake >/dev/null || { echo "SKIPPED: snakemake is not installed (scripts/install-deps.sh)"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bioptimus-cohort-resume.XXXXXX")
group=""
cleanup() {
  local status=$?
  if [[ -n $group ]]; then kill -KILL -- "-$group" 2>/dev/null || true; fi
  # A failure shows what Snakemake said, since the directory goes.
  if ((status != 0)); then
    for log in first.log resume.log tiles.log; do
      [[ -f $work/$log ]] && { echo "--- $log (last 30 lines)"; tail -n 30 "$work/$log"; }
    done
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
cd "$work"
export XDG_CACHE_HOME=$work/cache

echo "slide_path" >cohort.csv
for i in $(seq 1 $slides); do
  "$generator" "slide$i.tif" --size 3072x2304 --mpp 1.0
  echo "slide$i.tif" >>cohort.csv
done
# Each slide takes about a second more than the tool needs, so that the kill
# lands while jobs run.
cat >slow-modelspec <<EOF
#!/bin/sh
sleep 1
exec "$modelspec" "\$@"
EOF
chmod +x slow-modelspec
cat >config.yaml <<EOF
manifest: cohort.csv
output_dir: out
modelspec: $work/slow-modelspec
format: $extension
EOF
if [[ -n $models ]]; then
  printf 'model: %s\nweights: %s\n' "$models/tiny-vit-reg4.yaml" "$models/tiny-vit-reg4.pt" >>config.yaml
fi
command=(snakemake -s "$workflow/Snakefile" --configfile config.yaml --profile "$workflow/profiles/local" --cores 2)

# Its own process group (a background job of a script is no group leader,
# so setsid does not fork and $! leads the group).
setsid "${command[@]}" >first.log 2>&1 &
group=$!
# Up to three minutes: a loaded CI machine runs other tests beside this one.
for _ in $(seq 1 1800); do
  done_count=$(compgen -G "out/$folder/*.$extension" | wc -l || true)
  ((done_count >= 3)) && break
  sleep 0.1
done
kill -KILL -- "-$group"
wait "$group" 2>/dev/null || true
group=""
# Finished means finished for the workflow: an output whose job Snakemake
# had not yet recorded as done when the kill landed (its marker under
# .snakemake/incomplete names the output, base64url-encoded) is incomplete,
# and rerunning it is right, though the tool's atomic rename had completed it.
mapfile -t incomplete < <(/usr/bin/python3 - <<'PY'
import base64, pathlib
root = pathlib.Path(".snakemake/incomplete")
for marker in (root.rglob("*") if root.is_dir() else []):
    if marker.is_file():
        print(base64.urlsafe_b64decode(marker.name.encode()).decode())
PY
)
finished=()
for file in out/"$folder"/*."$extension"; do
  [[ " ${incomplete[*]} " == *" $file "* ]] || finished+=("$file")
done
if ((${#finished[@]} >= slides)); then
  echo "FAIL: the first run finished every slide before the kill"
  exit 1
fi
# Three outputs with two jobs at a time: the third job started after a first
# one ended, which Snakemake records before it starts the next.
if ((${#finished[@]} == 0)); then
  echo "FAIL: no slide was recorded finished before the kill; the resume proves nothing"
  exit 1
fi
declare -A before
for file in "${finished[@]}"; do before[$file]=$(stat -c '%i %Y.%y' "$file"); done
echo "killed with ${#finished[@]} of $slides slides done (${#incomplete[@]} jobs in flight)"

# A killed Snakemake keeps its lock: --unlock, as docs/cohorts.md says.
"${command[@]}" --unlock >unlock.log 2>&1
"${command[@]}" >resume.log 2>&1 || { cat resume.log; echo "FAIL: the resumed run failed"; exit 1; }

status=0
redone=$(grep -c "^rule $rule:" resume.log || true)
expected=$((slides - ${#finished[@]}))
if ((redone != expected)); then
  echo "FAIL: the resumed run ran $redone slide jobs, expected $expected"
  status=1
fi
for file in "${finished[@]}"; do
  slide_id=$(basename "$file" ".$extension")
  if [[ $(stat -c '%i %Y.%y' "$file") != "${before[$file]}" ]]; then
    echo "FAIL: $file was rewritten by the resumed run"
    status=1
  fi
  if [[ $(grep -c '"status":"ok"' "out/summaries/$slide_id.jsonl") != 1 ]]; then
    echo "FAIL: $slide_id ran more than once"
    status=1
  fi
done
for i in $(seq 1 $slides); do
  if [[ ! -s out/$folder/slide$i.$extension ]]; then
    echo "FAIL: out/$folder/slide$i.$extension is missing"
    status=1
  fi
done
/usr/bin/python3 - "$rule" <<'EOF' || status=1
import json, sys
summary = json.load(open("out/cohort_summary.json"))
totals = summary["totals"]
assert totals["ok"] == totals["slides"] == 8 and totals["failed"] == 0, totals
assert totals["step"] == sys.argv[1], totals
assert all(row["tiles"] > 0 for row in summary["slides"]), summary["slides"]
EOF
echo "resumed: $redone slide jobs ran, ${#finished[@]} finished slides kept"

if [[ -n $models ]]; then
  # The same cohort without weights: tile coordinates only, one tiles job per
  # slide, each finding as many tiles as its extract job embedded.
  printf 'manifest: cohort.csv\noutput_dir: coordinates\nmodelspec: %s\nmodel: %s\nformat: csv\n' "$modelspec" \
    "$models/tiny-vit-reg4.yaml" >tiles-config.yaml
  snakemake -s "$workflow/Snakefile" --configfile tiles-config.yaml --profile "$workflow/profiles/local" --cores 2 \
    >tiles.log 2>&1 || { cat tiles.log; echo "FAIL: the tiles-only run failed"; exit 1; }
  if [[ $(grep -c '^rule tiles:' tiles.log) != "$slides" || $(grep -c '^rule extract:' tiles.log) != 0 ]]; then
    echo "FAIL: the tiles-only run did not run one tiles job per slide"
    status=1
  fi
  /usr/bin/python3 - <<'EOF' || status=1
import json
tiles = {row["slide_id"]: row for row in json.load(open("coordinates/cohort_summary.json"))["slides"]}
embedded = {row["slide_id"]: row for row in json.load(open("out/cohort_summary.json"))["slides"]}
assert sorted(tiles) == sorted(embedded), (sorted(tiles), sorted(embedded))
for slide_id, row in tiles.items():
    assert row["status"] == "ok" and row["tiles"] == embedded[slide_id]["tiles"], (row, embedded[slide_id])
    with open(f"coordinates/tiles/{slide_id}.csv") as coordinates:
        assert sum(1 for _ in coordinates) >= row["tiles"], slide_id
EOF
  echo "tiles-only run: one tiles job per slide, as many tiles as embedded"
fi
exit $status
