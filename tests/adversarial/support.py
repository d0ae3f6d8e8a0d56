"""What the adversarial tests share: the tool, small generated slides, and
runs that can neither hang nor eat the machine's memory."""
import os
import pathlib
import resource
import signal
import subprocess

import pytest

TOOL = os.environ["BIOPTIMUS_MODELSPEC"]
GENERATOR = os.environ["BIOPTIMUS_MAKE_TISSUE_SLIDE"]
MODELS = pathlib.Path(os.environ["BIOPTIMUS_TEST_MODELS"]) if "BIOPTIMUS_TEST_MODELS" in os.environ else None
SANITIZED = "BIOPTIMUS_TEST_SANITIZED" in os.environ
# Every run ends within this: a command that waits on a FIFO fails the test.
TIMEOUT = int(os.environ.get("BIOPTIMUS_TEST_TIMEOUT", "60"))
# Address space a run may take (unsanitized builds): an allocation driven
# by a declared size fails inside the tool instead of swapping the machine.
MEMORY_LIMIT = 3 << 30


def limits(file_size=None):
    """A preexec_fn: caps memory (and, with file_size, every file the tool
    writes, as a full disk would: SIGXFSZ ignored, so a write fails with EFBIG)."""
    def apply():
        if not SANITIZED:
            resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        if file_size is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (file_size, file_size))
    return apply


def run(*args, file_size=None, cwd=None, env=None, timeout=TIMEOUT):
    """The tool with `args` (str or bytes, paths allowed), as bytes: a
    CompletedProcess whose stdout and stderr are bytes."""
    command = [TOOL, *(os.fsencode(arg) if isinstance(arg, (os.PathLike, str)) else arg for arg in args)]
    return subprocess.run(command, capture_output=True, timeout=timeout, preexec_fn=limits(file_size), cwd=cwd,
                          env=env, check=False)


def text(output):
    """Tool output as str, bytes that are not UTF-8 kept as surrogates."""
    return output.decode("utf-8", "surrogateescape")


def make_slide(path, size="2048x2048", mpp="1.0", *extra):
    """A generated H&E slide (tissue in the middle) at `path`."""
    arguments = [GENERATOR, os.fsencode(path), "--size", size]
    arguments += ["--mpp", mpp] if mpp is not None else ["--no-mpp"]
    subprocess.run([*arguments, *extra], check=True, capture_output=True)
    return path


def extract_arguments():
    """The model arguments of `extract` (the tiny test ViT), or a skip when the backbone is not built."""
    if MODELS is None:
        pytest.skip("modelspec extract is not built (no LibTorch)")
    return ["--model", MODELS / "tiny-vit-reg4.yaml", "--weights", MODELS / "tiny-vit-reg4.pt", "--threads", "2"]


def leftovers(directory):
    """Every hidden file in `directory` (temporaries a run should not leave)."""
    return sorted(p.name for p in pathlib.Path(directory).iterdir() if p.name.startswith("."))
