"""The agent core stays host-agnostic: importing it pulls in no server, kernel or UI code."""

from __future__ import annotations

import subprocess
import sys

FORBIDDEN = {
    "jupyter_server",
    "tornado",
    "IPython",
    "ipywidgets",
    "jupyter_client",
    "zmq",
    "ipykernel",
}


def test_core_imports_no_host_code() -> None:
    code = (
        "import sys, jupyter_codeact.core\n"
        f"print(sorted({{m.split('.')[0] for m in sys.modules}} & {FORBIDDEN!r}))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"
