"""Shared fixtures: a temporary directory that is removed after each test
(pytest's own tmp_path keeps the last runs on disk)."""
import tempfile
from pathlib import Path

import pytest


@pytest.fixture
def temp_dir():
    with tempfile.TemporaryDirectory(prefix="bioptimus-python-") as path:
        yield Path(path)
