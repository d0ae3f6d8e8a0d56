"""Class 6 and the stale temporaries: every output is written to a
temporary created with O_CREAT|O_EXCL under a random name in the target's
folder (a link planted at a name the tool might use is never followed),
fsync'd, renamed onto the target, and the folder fsync'd; temporaries a
killed run left are removed by the next run, never those of a run still
writing in the same folder."""
import fcntl
import os
import re
import shutil
import signal
import subprocess
import time

import h5py
import numpy as np
import pytest

from support import SANITIZED, TOOL, extract_arguments, leftovers, limits, make_slide, run, text

# (command line after the tool, the files it writes into out/)
WRITERS = {
    "tiles-h5": (["tiles", "s1.tif", "--model", "h0-mini", "-o", "out", "--thumbnail"], ["s1.h5", "s1.png"]),
    "tiles-csv": (["tiles", "s1.tif", "--model", "h0-mini", "-o", "out", "--format", "csv"], ["s1.csv"]),
    "tiles-json": (["tiles", "s1.tif", "--model", "h0-mini", "-o", "out", "--format", "json"], ["s1.json"]),
    "megatiles": (["tiles", "s1.tif", "--model", "h0-mini", "-o", "out", "--megatile", "2x2", "--thumbnail",
                   "--format", "h5"], ["s1.h5", "s1.png"]),
    "megatiles-json": (["tiles", "s1.tif", "--model", "h0-mini", "-o", "out", "--megatile", "2x2", "--format",
                        "json"], ["s1.json"]),
    "preprocess": (["preprocess", "h0-mini", "tile.npy", "-o", "out/tile-out.npy"], ["tile-out.npy"]),
    "extract-h5": (["extract", "s1.tif", "-o", "out"], ["s1.h5"]),
    "extract-npz": (["extract", "s1.tif", "-o", "out", "--format", "npz"], ["s1.npz"]),
}


def workspace(tmp_path):
    make_slide(tmp_path / "s1.tif")
    np.save(tmp_path / "tile.npy", np.full((64, 48, 3), 200, np.uint8))
    (tmp_path / "out").mkdir()
    return tmp_path


def arguments(name):
    command, outputs = WRITERS[name]
    return command + (extract_arguments() if command[0] == "extract" else []), outputs


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_a_link_planted_at_a_predictable_temporary_name_is_never_followed(tmp_path, name):
    command, outputs = arguments(name)
    work = workspace(tmp_path)
    victim = work / "victim.txt"
    victim.write_text("precious\n")
    planted = []
    # The names the tool used before (OUT.partial, TARGET.tmp-PID-N), made in
    # the child between fork and exec, where getpid() is the tool's.
    def plant():
        limits()()
        for output in outputs:
            names = [f"{output}.partial"] + [f"{output}.tmp-{os.getpid()}-{n}" for n in range(8)]
            for name_ in names:
                os.symlink(victim, work / "out" / name_)
    result = subprocess.run([TOOL, *map(str, command)], cwd=work, capture_output=True, preexec_fn=plant, timeout=60)
    assert result.returncode == 0, text(result.stderr)
    assert victim.read_text() == "precious\n", "the tool wrote through a planted link"
    for output in outputs:
        target = work / "out" / output
        assert target.is_file() and not target.is_symlink() and target.stat().st_size > 0


def traced(work, command):
    """Runs the tool under strace; returns its system calls, one per line."""
    if shutil.which("strace") is None:
        pytest.fail("strace is needed for this test (scripts/install-deps.sh installs it)")
    log = work / "strace.log"
    environment = dict(os.environ)
    if SANITIZED:
        # LeakSanitizer cannot run under ptrace; every other run of the suite checks leaks.
        environment["ASAN_OPTIONS"] = ":".join(filter(None, [environment.get("ASAN_OPTIONS"), "detect_leaks=0"]))
    result = subprocess.run(["strace", "-f", "-qq", "-e", "trace=openat,open,fsync,fdatasync,rename,renameat,renameat2",
                             "-o", str(log), TOOL, *map(str, command)], cwd=work, capture_output=True, timeout=120,
                            env=environment)
    assert result.returncode == 0, text(result.stderr)
    # The dynamic loader's probes are noise.
    return [line for line in log.read_text(errors="surrogateescape").splitlines() if "ENOENT" not in line]


@pytest.mark.parametrize("name", sorted(WRITERS))
def test_every_output_is_created_exclusively_synced_renamed_and_its_folder_synced(tmp_path, name):
    command, outputs = arguments(name)
    work = workspace(tmp_path)
    calls = traced(work, command)
    out = str(work / "out")
    creates = [line for line in calls if "O_CREAT" in line and ('"out/' in line or f'"{out}/' in line)]
    assert creates, "\n".join(calls)
    for line in creates:
        assert "O_EXCL" in line, f"created without O_EXCL: {line}"
    for output in outputs:
        # pid  renameat2(AT_FDCWD, "out/.s1.h5.partial-TAG", AT_FDCWD, "out/s1.h5", 0) = 0
        renames = [(i, line) for i, line in enumerate(calls)
                   if re.search(r"rename.*\.partial-[0-9a-f]{16}\", .*/" + re.escape(output) + r"\"", line)]
        assert len(renames) == 1, (output, "\n".join(calls))
        index, rename = renames[0]
        pid = rename.split()[0]
        tag = re.search(r"\.partial-([0-9a-f]{16})", rename).group(1)
        # The temporary's descriptor: from the call that created it (its name holds the tag).
        opened = [line for line in calls[:index] if tag in line and "open" in line and "O_CREAT" in line]
        assert len(opened) == 1, (tag, "\n".join(calls))
        descriptor = re.search(r"=\s+(\d+)$", opened[0]).group(1)
        assert any(line.startswith(pid) and re.search(rf"f(data)?sync\({descriptor}\)\s+= 0", line)
                   for line in calls[:index]), f"{output} renamed before an fsync of its data:\n" + "\n".join(calls)
        # Then an fsync of the folder: a descriptor last opened with O_DIRECTORY.
        synced = [line for line in calls[index:] if line.startswith(pid) and re.search(r"fsync\(\d+\)\s+= 0", line)]
        assert synced, f"{output}: nothing is fsync'd after the rename"
        folder_descriptor = re.search(r"fsync\((\d+)\)", synced[0]).group(1)
        last_open = [line for line in calls[:calls.index(synced[0])]
                     if "open" in line and re.search(rf"=\s+{folder_descriptor}$", line)][-1]
        assert "O_DIRECTORY" in last_open, f"{output}: fsync'd after the rename: {last_open}"


def wait_for(predicate, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.005)
    return False


@pytest.mark.parametrize("format_", ["h5", "npz"])
def test_a_killed_extract_leaves_temporaries_that_the_next_run_removes(tmp_path, format_):
    model = extract_arguments()
    make_slide(tmp_path / "s1.tif")
    out = tmp_path / "out"
    command = [TOOL, "extract", tmp_path / "s1.tif", *model, "-o", out, "--format", format_, "--batch-size", "16"]
    process = subprocess.Popen([str(arg) for arg in command], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert wait_for(lambda: out.is_dir() and any(".partial-" in name for name in leftovers(out)))
    finally:
        process.send_signal(signal.SIGKILL)
        process.wait()
    killed = leftovers(out)
    assert killed, "the kill left nothing to clean up"
    # Not ours: other names, other patterns, a link at our pattern.
    (out / ".s1.h5.partial-xyz").write_text("x")
    (out / ".other.h5.partial-0123456789abcdef").write_text("x")
    (out / ".notes").write_text("x")
    os.symlink("/dev/null", out / f".s1.{format_}.partial-fedcba9876543210")
    result = run("extract", tmp_path / "s1.tif", *model, "-o", out, "--format", format_)
    assert result.returncode == 0, text(result.stderr)
    assert leftovers(out) == sorted([".s1.h5.partial-xyz", ".other.h5.partial-0123456789abcdef", ".notes",
                                     f".s1.{format_}.partial-fedcba9876543210"])
    assert f"removed {len(killed)} temporary file" in text(result.stderr)
    assert "left by an interrupted run" in text(result.stderr)


@pytest.mark.parametrize("command", ["tiles", "extract"])
def test_a_temporary_another_run_is_writing_is_kept(tmp_path, command):
    """A writer holds a lock on its temporary while it has its name: the
    cleanup of a second run in the same folder leaves it alone."""
    make_slide(tmp_path / "s1.tif")
    out = tmp_path / "out"
    out.mkdir()
    live, stale = out / ".s1.h5.partial-00000000000000aa", out / ".s1.h5.partial-00000000000000bb"
    live.write_bytes(b"being written")
    stale.write_bytes(b"left behind")
    with open(live, "rb") as writer:
        fcntl.flock(writer, fcntl.LOCK_EX)
        model = ["--model", "h0-mini"] if command == "tiles" else extract_arguments()
        result = run(command, tmp_path / "s1.tif", *model, "-o", out)
        assert result.returncode == 0, text(result.stderr)
        assert live.read_bytes() == b"being written"
        assert not stale.exists()
    assert leftovers(out) == [live.name]


def test_two_runs_on_one_folder_both_finish(tmp_path):
    model = extract_arguments()
    make_slide(tmp_path / "s1.tif")
    make_slide(tmp_path / "s2.tif")
    out = tmp_path / "out"
    command = [str(arg) for arg in [TOOL, "extract", tmp_path / "s1.tif", tmp_path / "s2.tif", *model, "-o", out,
                                    "--overwrite"]]
    runs = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE) for _ in range(2)]
    for process in runs:
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 0, text(stderr)
    assert leftovers(out) == []
    for name in ["s1.h5", "s2.h5"]:
        with h5py.File(out / name, "r") as features:
            assert features["features"].shape[0] > 0
