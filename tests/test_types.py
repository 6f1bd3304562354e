"""The package type-checks cleanly: ``mypy archivegen``, configured under ``[tool.mypy]`` in pyproject.toml.

A test rather than a separate CI step, so that ``make test`` (and so CI)
keeps the type hints true as the code changes.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_mypy_finds_no_errors():
    pytest.importorskip("mypy", reason="mypy is not installed (it is in the test extra: pip install -e '.[test]')")
    result = subprocess.run([sys.executable, "-m", "mypy", "archivegen"], cwd=REPO,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, f"mypy archivegen failed:\n{result.stdout}{result.stderr}"
