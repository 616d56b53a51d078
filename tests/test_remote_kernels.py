"""Kernels we did not start: attached by connection file, or behind a gateway."""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from jupyter_client.manager import AsyncKernelManager

from jupyter_codeact.core.executor import ExecutorError
from jupyter_codeact.executors.gateway import GatewayKernel
from jupyter_codeact.executors.kernel import KernelExecutor, LocalKernel

from .servers import jupyter_server

pytestmark = pytest.mark.asyncio


@pytest_asyncio.fixture
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


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """A real jupyter_server: it serves the same kernels API as Jupyter Kernel Gateway."""
    token = secrets.token_hex(8)
    root = tmp_path_factory.mktemp("gateway")
    with jupyter_server(root, token, "--ServerApp.jpserver_extensions={}") as url:
        yield url, token


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


async def test_a_gateway_kernel_deleted_behind_our_back_is_reported_not_raised(
    gateway: tuple[str, str],
) -> None:
    url, token = gateway
    backend = GatewayKernel(url, token=token)
    async with KernelExecutor(backend) as kernel:
        assert (await kernel.execute("1", timeout=30)).status == "ok"
        # Someone else shuts the kernel down: its channels close and it cannot be restarted.
        await backend._rest("DELETE", f"/api/kernels/{backend.kernel_id}", doing="delete it")
        # A request about a kernel the gateway no longer has is an ExecutorError that says
        # what failed, not an HTTP exception escaping into the agent loop.
        with pytest.raises(ExecutorError, match=r"could not interrupt the kernel \(HTTP 404"):
            await backend.interrupt()
        gone = await kernel.execute("2", timeout=30)
        assert gone.status == "died"
        assert "could not be restarted" in gone.note
        with pytest.raises(ExecutorError, match="died earlier"):
            await kernel.execute("3", timeout=30)
