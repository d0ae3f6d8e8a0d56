#!/usr/bin/python3
"""Regenerates the readout reference data into a temporary directory and fails
if any file differs from the committed one (or is missing)."""
import filecmp
import pathlib
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent


def main():
    with tempfile.TemporaryDirectory() as directory:
        subprocess.run([sys.executable, str(HERE / "make_reference.py"), directory], check=True)
        generated = sorted(p.name for p in pathlib.Path(directory).iterdir())
        committed = sorted(p.name for p in HERE.iterdir() if p.suffix != ".py")
        assert generated == committed, (generated, committed)
        _, mismatch, errors = filecmp.cmpfiles(directory, HERE, generated, shallow=False)
        assert not mismatch and not errors, (mismatch, errors)
    print(f"{len(generated)} reference files regenerated identically")


if __name__ == "__main__":
    main()
