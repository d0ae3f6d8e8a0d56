"""The `--check` of the reference generators: regenerate the references in a
temporary directory and compare them with the committed ones."""
import sys
import tempfile
from pathlib import Path


def check(committed, generate, differs, what):
    """0 when a fresh run of `generate(directory)` writes the same files as
    `committed` holds, none of them `differs(committed_file, fresh_file)`;
    else 1, after saying which files are missing, extra or different."""
    with tempfile.TemporaryDirectory() as scratch:
        fresh = Path(scratch)
        generate(fresh)
        names = sorted(p.name for p in fresh.iterdir())
        stale = sorted(set(p.name for p in committed.iterdir()) ^ set(names))
        drift = [n for n in names if (committed / n).exists() and differs(committed / n, fresh / n)]
        if stale or drift:
            print(f"{what} in {committed} are out of date; rerun {sys.argv[0]} {committed}")
            print("missing or extra:", stale)
            print("different:", drift)
            return 1
    print(f"{len(names)} {what} match a fresh run")
    return 0
