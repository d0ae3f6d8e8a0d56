"""Class 1: an HDF5 write that fails (a full disk) is reported, its
temporary removed, and nothing of the file stays open in HDF5: the tool exits
with status 1, not SIGSEGV in HDF5's shutdown (HDF5 1.10 keeps a file whose
close failed in its ID table, half destroyed, and closes it again at exit).

The full disk is a 4 KiB tmpfs when this test may mount one (root, in a
mount namespace of its own), and always a file size limit (RLIMIT_FSIZE),
which needs no privilege. Python's TileExtractor.to_hdf5 is in
python/tests/test_hardening.py."""
import os
import shutil
import subprocess

import pytest

from support import TOOL, extract_arguments, leftovers, limits, make_slide, text

COMMANDS = {
    "tiles": ["tiles", "--model", "h0-mini", "--format", "h5"],
    "megatiles": ["tiles", "--model", "h0-mini", "--format", "h5", "--megatile", "2x2"],
    "extract": ["extract", "--format", "h5"],
}


def command_line(name, slides, out):
    command = [TOOL, COMMANDS[name][0], *map(str, slides), *map(str, COMMANDS[name][1:]), "-o", str(out)]
    return command + ([str(arg) for arg in extract_arguments()] if name == "extract" else [])


def check_failed_cleanly(result, out, slides, reason, listing):
    stderr = text(result.stderr)
    assert result.returncode == 1, f"exit status {result.returncode}:\n{stderr}"
    for slide in slides:
        assert f"{out}/{slide.stem}.h5: " in stderr and reason in stderr, stderr
    assert listing == [], listing


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_file_size_limit(tmp_path, name):
    slides = [make_slide(tmp_path / "s1.tif"), make_slide(tmp_path / "s2.tif")]
    out = tmp_path / "out"
    out.mkdir()
    result = subprocess.run(command_line(name, slides, out), capture_output=True, timeout=120,
                            preexec_fn=limits(file_size=4096), check=False)
    check_failed_cleanly(result, out, slides, "File too large", sorted(p.name for p in out.iterdir()))


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_full_tmpfs(tmp_path, name):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.skip("mounting a tmpfs needs root and unshare; test_a_file_size_limit covers the same failure")
    slides = [make_slide(tmp_path / "s1.tif"), make_slide(tmp_path / "s2.tif")]
    out = tmp_path / "out"
    out.mkdir()
    probe = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c",
                            f"mount -t tmpfs -o size=4k tmpfs '{out}'"], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({probe.stderr.decode().strip()}); test_a_file_size_limit covers it")
    # The mount lives in the namespace of this one command (nothing to
    # unmount), so the folder is listed there, after the tool.
    listing = tmp_path / "listing"
    script = 'mount -t tmpfs -o size=4k tmpfs "$1" || exit 99; out=$1; list=$2; shift 2; "$@"; status=$?; ' \
             'ls -A "$out" > "$list"; exit $status'
    result = subprocess.run(["unshare", "--mount", "--propagation", "private", "sh", "-c", script, "sh", str(out),
                             str(listing), *command_line(name, slides, out)], capture_output=True, timeout=120,
                            check=False)
    check_failed_cleanly(result, out, slides, "No space left on device", listing.read_text().split())
