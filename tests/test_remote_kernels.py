"""Kernels we did not start: attached by connection file, or behind a gateway."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from jupyter_client.manager import AsyncKernelManager

from jupyter_codeact.core.executor import ExecutorError
from jupyter_codeact.executors.gateway import GatewayKernel
from jupyter_codeact.executors.kernel import KernelExecutor, LocalKernel


@pytest.fixture
async def running_kernel(tmp_path: Path) -> AsyncIterator[str]:
    manager = AsyncKernelManager(
        kernel_name="python3",
        transport="ipc",
        ip=str(tmp_path / "k"),
        connection_file=str(tmp_path / "kernel.json"),
    )
    await manager.start_kernel()
    yield manager.connection_file
    await manager.shutdown_kernel(now=True)


async def test_attach_to_a_running_kernel_by_connection_file(running_kernel: str) -> None:
    async with KernelExecutor(LocalKernel(connection_file=running_kernel)) as kernel:
        await kernel.execute("shared = 'from the agent'", timeout=30)
    # Our executor shut down, but the kernel is not ours: it keeps running, state intact.
    async with KernelExecutor(LocalKernel(connection_file=running_kernel)) as kernel:
        result = await kernel.execute("shared", timeout=30)
        assert result.outputs[0]["data"]["text/plain"] == "'from the agent'"
        timed_out = await kernel.execute("import time\nwhile True: time.sleep(0.05)", timeout=1)
        assert timed_out.status == "timeout"  # interrupted through the control channel
        assert (await kernel.execute("1 + 1", timeout=30)).status == "ok"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real jupyter_server: it serves the same kernels API as Jupyter Kernel Gateway."""
    port, token = _free_port(), secrets.token_hex(8)
    root = tmp_path_factory.mktemp("gateway")
    env = {**os.environ, "JUPYTER_PLATFORM_DIRS": "1", "JUPYTER_CONFIG_DIR": str(root)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyter_server",
            f"--port={port}",
            "--no-browser",
            f"--IdentityProvider.token={token}",
            "--ServerApp.allow_root=True",
            f"--ServerApp.root_dir={root}",
            "--ServerApp.port_retries=0",
            "--ServerApp.jpserver_extensions={}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
    )
    url = f"http://127.0.0.1:{port}"
    # The server logs its URL when it is ready to serve: wait for that line.
    assert process.stderr is not None
    deadline = time.monotonic() + 60
    for line in process.stderr:
        if f":{port}/" in line or time.monotonic() > deadline:
            break
    # Keep draining its log so that the server never blocks on a full pipe.
    threading.Thread(target=process.stderr.read, daemon=True).start()
    yield url, token
    process.terminate()
    process.wait(timeout=30)


async def test_gateway_kernel_runs_interrupts_and_survives_death(gateway: tuple[str, str]) -> None:
    url, token = gateway
    async with KernelExecutor(GatewayKernel(url, token=token), interrupt_grace=10) as kernel:
        first = await kernel.execute("x = 20\nprint('remote')", timeout=30)
        assert first.status == "ok" and first.outputs[0]["text"] == "remote\n"
        second = await kernel.execute("x + 22", timeout=30)
        assert second.outputs[0]["data"]["text/plain"] == "42"
        slow = await kernel.execute("import time\nwhile True: time.sleep(0.05)", timeout=1)
        assert slow.status == "timeout"
        died = await kernel.execute("import os\nos._exit(1)", timeout=60)
        assert died.status == "died"
        after = await kernel.execute("'x' in dir()", timeout=60)
        assert after.status == "ok" and after.outputs[0]["data"]["text/plain"] == "False"


async def test_gateway_with_a_wrong_token_says_what_to_set(gateway: tuple[str, str]) -> None:
    url, _ = gateway
    with pytest.raises(ExecutorError, match=r"refused the token.*JUPYTER_GATEWAY_AUTH_TOKEN"):
        await KernelExecutor(GatewayKernel(url, token="wrong")).start()
