#!/usr/bin/python3
"""Snakemake --cluster-status for Slurm: prints running, success or failed.

scontrol knows a job until MinJobAge (300 s by default) after it ends and
needs no accounting database; sacct is asked when scontrol no longer knows
the job. When neither knows it, the job ended long ago: "success" lets
Snakemake decide from the job's outputs, which it checks anyway.
"""
import subprocess
import sys
import time

FAILED = {"BOOT_FAIL", "CANCELLED", "DEADLINE", "FAILED", "NODE_FAIL", "OUT_OF_MEMORY", "PREEMPTED", "TIMEOUT"}


def scontrol_state(job_id):
    result = subprocess.run(["scontrol", "show", "job", "-o", job_id], capture_output=True, text=True)
    if result.returncode != 0:
        if "Invalid job id" in result.stderr:
            return None
        raise RuntimeError(result.stderr.strip())
    for field in result.stdout.split():
        if field.startswith("JobState="):
            return field.split("=", 1)[1]
    return None


def sacct_state(job_id):
    result = subprocess.run(["sacct", "-X", "-n", "-P", "-o", "State", "-j", job_id], capture_output=True, text=True)
    words = result.stdout.split() if result.returncode == 0 else []
    return words[0] if words else None  # "CANCELLED by 0" -> CANCELLED


def main():
    job_id = sys.argv[1]
    for attempt in range(3):
        try:
            state = scontrol_state(job_id) or sacct_state(job_id)
            break
        except RuntimeError:
            time.sleep(2 * (attempt + 1))
    else:
        # The controller did not answer: ask again at the next poll.
        print("running")
        return
    if state is None or state == "COMPLETED":
        print("success")
    elif state in FAILED:
        print("failed")
    else:
        print("running")


if __name__ == "__main__":
    main()
