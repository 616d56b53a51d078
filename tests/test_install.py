"""The package registers both halves of the extension with Jupyter when installed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from jupyter_codeact import _jupyter_labextension_paths

JUPYTER = str(Path(sys.executable).parent / "jupyter")
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def listed(*command: str) -> str:
    done = subprocess.run([JUPYTER, *command], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return ANSI.sub("", done.stdout + done.stderr)


def test_the_server_extension_is_enabled_and_loads() -> None:
    out = listed("server", "extension", "list")
    assert re.search(r"jupyter_codeact enabled\s+- Validating jupyter_codeact\.\.\.\s+"
                     r"jupyter_codeact [\d.]+\S* OK", out), out  # fmt: skip


def test_the_labextension_is_installed_and_enabled() -> None:
    out = listed("labextension", "list")
    assert re.search(r"jupyter-codeact v[\d.]+\S* enabled OK", out), out
    # The front end is where the package says it is (the wheel ships it from there).
    import jupyter_codeact

    (declared,) = _jupyter_labextension_paths()
    built = Path(jupyter_codeact.__file__).parent / declared["src"] / "package.json"
    assert built.is_file()
