"""Start a real `jupyter server` process for a test, and know when it serves."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_port(port: int, process: subprocess.Popen[str], timeout: float = 60) -> None:
    """Block until the server accepts connections (its log line comes before it listens)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)  # the next connection attempt, not a wait for a result
    raise TimeoutError(f"nothing listens on port {port} after {timeout} seconds")


def _serve(port: int, command: list[str], env: dict[str, str]) -> Iterator[str]:
    """Run a server process until the caller is done with it; yields its URL."""
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env, text=True
    )
    assert process.stderr is not None
    # Keep draining its log so that the server never blocks on a full pipe.
    threading.Thread(target=process.stderr.read, daemon=True).start()
    try:
        wait_for_port(port, process)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def jupyter_server(
    root: Path, token: str, *args: str, env: dict[str, str] | None = None
) -> Iterator[str]:
    """Run `python -m jupyter_server` in ``root``; yields its URL."""
    port = free_port()
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "CODEACT_"))},
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTER_CONFIG_DIR": str(root / ".config"),
        "JUPYTER_DATA_DIR": str(root / ".data"),
        **(env or {}),
    }
    yield from _serve(
        port,
        [
            sys.executable, "-m", "jupyter_server", f"--port={port}", "--no-browser",
            f"--IdentityProvider.token={token}", "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={root}", "--ServerApp.port_retries=0", *args,
        ],
        environment,
    )  # fmt: skip


@contextmanager
def kernel_gateway(env: dict[str, str], *args: str) -> Iterator[str]:
    """Jupyter Kernel Gateway (jupyter-kernel-gateway, a process of its own), passing its
    kernels the variables of ``env`` it is asked to; yields its URL."""
    port = free_port()
    yield from _serve(
        port,
        [
            sys.executable, "-m", "kernel_gateway", f"--KernelGatewayApp.port={port}",
            "--KernelGatewayApp.ip=127.0.0.1", "--KernelGatewayApp.port_retries=0",
            "--JupyterWebsocketPersonality.list_kernels=True",
            "--JupyterWebsocketPersonality.env_whitelist=OPENAI_API_KEY",
            "--JupyterWebsocketPersonality.env_whitelist=HOLDS_KEY", *args,
        ],
        env,
    )  # fmt: skip
