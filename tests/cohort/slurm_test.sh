#!/usr/bin/env bash
# The cohort workflow through a real Slurm: a one-node cluster (slurmctld +
# slurmd on localhost, munge with its own key) started in a temporary
# directory, the workflow submitted with profiles/slurm for 6 generated
# slides of which one is corrupt; every good slide must get its output and
# the corrupt one must be reported after its retry. A second submission must
# redo nothing but the failed slide. Slurm and munge are stopped on exit and
# the directory removed; no system service is used or touched. With
# MODELS_DIR (the test models) the jobs embed (`extract`, features/*.h5);
# without it they find tiles (tiles/*.h5).
#
#   slurm_test.sh MODELSPEC MAKE_TISSUE_SLIDE WORKFLOW_DIR [MODELS_DIR]
#
# Exit 77 (skipped, with the reason) when snakemake or Slurm is missing or
# Slurm cannot start here; any failure once Slurm runs is a failure.
set -euo pipefail
modelspec=$1 generator=$2 workflow=$3 models=${4:-}
if [[ -n $models ]]; then
  rule=extract folder=features
else
  rule=tiles folder=tiles
fi

skip() {
  echo "SKIPPED: $*"
  exit 77
}
for tool in snakemake slurmctld slurmd munged sbatch scontrol sinfo squeue scancel; do
  command -v "$tool" >/dev/null || skip "$tool is not installed (scripts/install-deps.sh installs snakemake, slurm-wlm, munge)"
done
[[ $(id -u) -eq 0 ]] || skip "slurmd must run as root to start jobs; this test runs as $(id -un)"

work=$(mktemp -d "${TMPDIR:-/tmp}/bioptimus-slurm.XXXXXX")
# munged wants every directory above its socket searchable by all.
chmod 711 "$work"
daemons=()
cleanup() {
  local status=$?
  if [[ -f $work/slurm.conf ]]; then
    scancel --quiet --full --user=root --partition=cohort 2>/dev/null || true
  fi
  local pid
  for pid in "${daemons[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for _ in $(seq 1 50); do
    local alive=0
    for pid in "${daemons[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
    ((alive)) || break
    sleep 0.1
  done
  for pid in "${daemons[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done
  # Whatever still runs from the work directory (a job step) goes too.
  local leftovers
  leftovers=$(pgrep -f "$work" || true)
  if [[ -n $leftovers ]]; then
    echo "FAIL: processes left behind: $leftovers"
    kill -KILL $leftovers 2>/dev/null || true
    status=1
  fi
  rm -rf "$work"
  exit $status
}
trap cleanup EXIT
cd "$work"
export SLURM_CONF=$work/slurm.conf XDG_CACHE_HOME=$work/cache

# munge: its own key and socket.
head -c 1024 /dev/urandom >munge.key
chmod 600 munge.key
munged --foreground --socket="$work/munge.socket" --key-file="$work/munge.key" --pid-file="$work/munged.pid" \
  --log-file="$work/munged.log" --seed-file="$work/munged.seed" >munged.out 2>&1 &
daemons+=($!)
for _ in $(seq 1 50); do
  [[ -S munge.socket ]] && break
  sleep 0.1
done
[[ -S munge.socket ]] || skip "munged did not start: $(tail -n 3 munged.out)"

read -r controller_port node_port < <(/usr/bin/python3 -c '
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets:
    s.bind(("127.0.0.1", 0))
print(*[s.getsockname()[1] for s in sockets])')
node=$(hostname -s)
mkdir state spool
cat >slurm.conf <<EOF
ClusterName=bioptimus-test
SlurmctldHost=$node(127.0.0.1)
SlurmctldPort=$controller_port
SlurmdPort=$node_port
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$work/munge.socket
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/slurmctld.log
SlurmdLogFile=$work/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
SlurmdParameters=config_overrides
ReturnToService=2
NodeName=$node NodeAddr=127.0.0.1 CPUs=2 RealMemory=2000 State=UNKNOWN
PartitionName=cohort Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
slurmctld -D -f "$work/slurm.conf" >slurmctld.out 2>&1 &
daemons+=($!)
slurmd -D -f "$work/slurm.conf" -N "$node" >slurmd.out 2>&1 &
daemons+=($!)
state=""
for _ in $(seq 1 150); do
  state=$(sinfo --noheader --format=%T 2>/dev/null || true)
  [[ $state == idle ]] && break
  sleep 0.2
done
if [[ $state != idle ]]; then
  skip "Slurm did not start (node state \"$state\"): $(tail -n 3 slurmctld.log slurmd.log slurmctld.out slurmd.out 2>/dev/null)"
fi
echo "one-node Slurm up: controller port $controller_port, node $node"

# The cohort: five slides and a file that is not one.
echo "slide_path,slide_id,mpp_override" >cohort.csv
for i in 1 2 3 4 5; do
  "$generator" "slide$i.tif" --size 3072x2304 --mpp 1.0
  echo "slide$i.tif,," >>cohort.csv
done
echo "not a slide" >broken.svs
echo "broken.svs,corrupt,0.5" >>cohort.csv
cat >config.yaml <<EOF
manifest: cohort.csv
output_dir: out
modelspec: $modelspec
mem_mb: 500
runtime_minutes: 5
retries: 1
EOF
if [[ -n $models ]]; then
  printf 'model: %s\nweights: %s\n' "$models/tiny-vit-reg4.yaml" "$models/tiny-vit-reg4.pt" >>config.yaml
fi
command=(snakemake -s "$workflow/Snakefile" --configfile config.yaml --profile "$workflow/profiles/slurm")

start=$(date +%s.%N)
if "${command[@]}" >first.log 2>&1; then
  cat first.log
  echo "FAIL: the workflow succeeded although one slide is corrupt"
  exit 1
fi
seconds=$(/usr/bin/python3 -c "print(f'{$(date +%s.%N) - $start:.1f}')")
jobs=$(grep -c "with external jobid" first.log || true)
echo "Slurm run: $seconds s wall, $jobs Slurm jobs"

status=0
/usr/bin/python3 - "$rule" "$folder" <<'EOF' || status=1
import json, os, sys
rule, folder = sys.argv[1:]
summary = json.load(open("out/cohort_summary.json"))
rows = {row["slide_id"]: row for row in summary["slides"]}
assert sorted(rows) == ["corrupt", "slide1", "slide2", "slide3", "slide4", "slide5"], sorted(rows)
for i in range(1, 6):
    row = rows[f"slide{i}"]
    assert row["status"] == "ok" and row["tiles"] > 0, row
    assert os.path.getsize(f"out/{folder}/slide{i}.h5") > 0
corrupt = rows["corrupt"]
assert corrupt["status"] == "failed", corrupt
assert "broken.svs: cannot open slide" in corrupt["error"], corrupt
assert corrupt["failed_attempts"] == 2, corrupt  # the first try and one retry
assert summary["totals"]["ok"] == 5 and summary["totals"]["failed"] == 1, summary["totals"]
assert summary["totals"]["step"] == rule, summary["totals"]
if rule == "extract":
    try:
        import h5py
    except ImportError:
        h5py = None
    if h5py is not None:  # the features as TRIDENT reads them, one row per tile the summary counts
        for i in range(1, 6):
            with h5py.File(f"out/features/slide{i}.h5", "r") as f:
                assert f["features"].shape == (rows[f"slide{i}"]["tiles"], 64), f["features"].shape
                assert f["coords"].shape == (rows[f"slide{i}"]["tiles"], 2), f["coords"].shape
print(f"cohort summary as expected ({rule}): 5 ok, corrupt failed after 2 attempts")
EOF
if ((jobs != 7)); then
  echo "FAIL: expected 7 Slurm jobs (5 slides, the corrupt one twice), got $jobs"
  status=1
fi
if ! grep -q "failed: corrupt (broken.svs): broken.svs: cannot open slide" first.log; then
  echo "FAIL: the run did not report the corrupt slide"
  status=1
fi

# Submitted again: only the failed slide runs again.
"${command[@]}" >second.log 2>&1 || true
again=$(grep -A6 "^rule $rule:" second.log | grep -c "wildcards: slide=" || true)
others=$(grep -A6 "^rule $rule:" second.log | grep "wildcards: slide=" | grep -vc "slide=corrupt" || true)
if ((others != 0 || again != 2)); then
  echo "FAIL: the second submission ran $again slide jobs ($others of finished slides); expected the corrupt one twice"
  status=1
fi
if ((status != 0)); then
  tail -n 40 first.log
fi
exit $status
