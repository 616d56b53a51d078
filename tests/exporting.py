"""Running ``jupyter codeact export`` in this process, and reading what it wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeact.cli.main import main


def export(capsys: pytest.CaptureFixture[str], out: Path, *args: str, status: int = 0) -> str:
    """Run the command in this process; what it said on stderr (its status is checked)."""
    capsys.readouterr()
    done = main(["export", *args, "--output", str(out)])
    said = capsys.readouterr().err
    assert done == status, said
    return said


def lines(path: Path) -> list[dict[str, Any]]:
    """Every line, loaded back (each must be one JSON object)."""
    loaded = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    assert all(isinstance(line, dict) for line in loaded)
    return loaded
