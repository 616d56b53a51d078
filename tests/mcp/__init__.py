"""MCP servers and helpers for the tests (real servers, built with the mcp SDK)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

SERVER = Path(__file__).parent / "pricing_server.py"
SECRET = "tok-9f8e7d6c5b4a3928"
"""The pricing server's key: it must never reach a kernel, a notebook, a chat or the model."""
HEADER_SECRET = "hdr-5e4d3c2b1a09f8e7"


def stdio_server(**extra: Any) -> dict[str, Any]:
    """The ``mcpServers`` entry of the pricing server over stdio."""
    return {
        "command": sys.executable,
        "args": [str(SERVER)],
        "env": {"PRICING_TOKEN": SECRET},
        **extra,
    }


def broken_server() -> dict[str, Any]:
    """A server that exits at once, saying why on stderr."""
    code = "import sys; sys.exit('pricing config missing: cannot start')"
    return {"command": sys.executable, "args": ["-c", code]}


@contextmanager
def http_server() -> Iterator[dict[str, Any]]:
    """The pricing server over streamable HTTP (a process of its own, requiring a header);
    yields its ``mcpServers`` entry."""
    process = subprocess.Popen(
        [sys.executable, str(SERVER), "http"],
        stdout=subprocess.PIPE,
        text=True,
        env={"PATH": "/usr/bin:/bin", "PRICING_TOKEN": HEADER_SECRET},
    )
    try:
        assert process.stdout is not None
        port = int(process.stdout.readline())  # printed once it listens
        yield {
            "url": f"http://127.0.0.1:{port}/mcp",
            "headers": {"Authorization": f"Bearer {HEADER_SECRET}"},
        }
    finally:
        process.terminate()
        process.wait(timeout=30)
