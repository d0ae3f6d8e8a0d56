#!/usr/bin/env bash
# The cohort workflow on one machine (--cores 2): killed (SIGKILL, the whole
# process group, as a lost session would) after some slides are done, then
# resumed; every slide ends with its output and no finished slide is redone.
#
#   resume_test.sh MODELSPEC MAKE_TISSUE_SLIDE WORKFLOW_DIR
#
# Exit 77 (skipped) when snakemake is not installed.
set -euo pipefail
modelspec=$1 generator=$2 workflow=$3
slides=8

command -v snakemake >/dev/null || { echo "SKIPPED: snakemake is not installed (scripts/install-deps.sh)"; exit 77; }

work=$(mktemp -d "${TMPDIR:-/tmp}/bioptimus-cohort-resume.XXXXXX")
group=""
cleanup() {
  if [[ -n $group ]]; then kill -KILL -- "-$group" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
cd "$work"
export XDG_CACHE_HOME=$work/cache

echo "slide_path" >cohort.csv
for i in $(seq 1 $slides); do
  "$generator" "slide$i.tif" --size 8192x6144 --mpp 0.5
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
format: csv
EOF
command=(snakemake -s "$workflow/Snakefile" --configfile config.yaml --profile "$workflow/profiles/local" --cores 2)

# Its own process group (a background job of a script is no group leader,
# so setsid does not fork and $! leads the group).
setsid "${command[@]}" >first.log 2>&1 &
group=$!
for _ in $(seq 1 600); do
  done_count=$(compgen -G 'out/tiles/*.csv' | wc -l || true)
  ((done_count >= 2)) && break
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
for file in out/tiles/*.csv; do
  [[ " ${incomplete[*]} " == *" $file "* ]] || finished+=("$file")
done
if ((${#finished[@]} >= slides)); then
  echo "FAIL: the first run finished every slide before the kill"
  exit 1
fi
declare -A before
for file in "${finished[@]}"; do before[$file]=$(stat -c '%i %Y.%y' "$file"); done
echo "killed with ${#finished[@]} of $slides slides done (${#incomplete[@]} jobs in flight)"

# A killed Snakemake keeps its lock: --unlock, as docs/cohorts.md says.
"${command[@]}" --unlock >unlock.log 2>&1
"${command[@]}" >resume.log 2>&1 || { cat resume.log; echo "FAIL: the resumed run failed"; exit 1; }

status=0
redone=$(grep -c '^rule tiles:' resume.log || true)
expected=$((slides - ${#finished[@]}))
if ((redone != expected)); then
  echo "FAIL: the resumed run ran $redone slide jobs, expected $expected"
  status=1
fi
for file in "${finished[@]}"; do
  slide_id=$(basename "$file" .csv)
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
  if [[ ! -s out/tiles/slide$i.csv ]]; then
    echo "FAIL: out/tiles/slide$i.csv is missing"
    status=1
  fi
done
/usr/bin/python3 - <<'EOF' || status=1
import json
summary = json.load(open("out/cohort_summary.json"))
totals = summary["totals"]
assert totals["ok"] == totals["slides"] == 8 and totals["failed"] == 0, totals
assert all(row["tiles"] > 0 for row in summary["slides"]), summary["slides"]
EOF
echo "resumed: $redone slide jobs ran, ${#finished[@]} finished slides kept"
exit $status
