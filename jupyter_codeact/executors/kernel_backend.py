"""How :class:`~.kernel.KernelExecutor` reaches a kernel: the :class:`KernelBackend` that
moves its messages, and the local one (a kernel started with ``jupyter_client``, or one
attached to by its connection file). The gateway's is :mod:`.gateway`.
"""

from __future__ import annotations

import logging
import queue
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from jupyter_client.asynchronous.client import AsyncKernelClient
from jupyter_client.manager import AsyncKernelManager

from ..core.executor import ExecutorError

log = logging.getLogger(__name__)

LIVENESS_INTERVAL = 1.0
"""How often a wait for output checks that the kernel is still alive."""

ATTACHED_HEARTBEAT_SECONDS = 5.0
"""How long a kernel attached to by its connection file may take to answer a heartbeat."""


class KernelDied(Exception):
    """The kernel process is gone."""


@dataclass(frozen=True)
class ExecuteOptions:
    """How an execute request differs from a plain one (the tools' round trips need these)."""

    allow_stdin: bool = False
    silent: bool = False
    metadata: dict[str, Any] = field(default_factory=dict)
    user_expressions: dict[str, str] = field(default_factory=dict)

    def content(self, code: str) -> dict[str, Any]:
        """The ``execute_request`` content for ``code`` (the same for every transport)."""
        return {
            "code": code,
            "silent": self.silent,
            "store_history": not self.silent,
            "user_expressions": self.user_expressions,
            "allow_stdin": self.allow_stdin,
            "stop_on_error": True,
        }


class StdinHost(Protocol):
    """Answers a running action's ``input_request`` (the tools' calls travel this way; see
    :mod:`jupyter_codeact.tools.kernel_side`) and prepares the kernel before each action."""

    metadata: dict[str, Any]
    """Added to every action's execute request."""

    def setup_expression(self) -> str | None:
        """An expression evaluated silently before each action (None: nothing)."""
        ...

    async def answer(self, prompt: str) -> str | None:
        """The reply to an input request; None if it is not ours to answer."""
        ...


class KernelBackend(Protocol):
    """Message transport to one kernel."""

    description: str

    async def start(self) -> None: ...

    def execute(self, code: str, *, request: ExecuteOptions | None = None) -> str:
        """Send an execute request (by default: stdin not allowed); return its msg_id."""
        ...

    async def next_input_request(self) -> dict[str, Any]:
        """The next ``input_request`` of the kernel (waits until there is one)."""
        ...

    def input_reply(self, value: str, request: dict[str, Any]) -> None:
        """Answer ``request`` (an ``input_request`` message) with ``value``."""
        ...

    async def next_message(self, timeout: float) -> dict[str, Any] | None:
        """The next IOPub message, or None if none came within ``timeout`` seconds.

        Raises :class:`KernelDied` when the backend learns the kernel is gone.
        """
        ...

    async def reply(self, msg_id: str, timeout: float) -> dict[str, Any] | None:
        """The content of the shell reply to request ``msg_id``, or None if none came
        within ``timeout`` seconds."""
        ...

    async def is_alive(self) -> bool: ...

    async def interrupt(self) -> None: ...

    async def restart(self) -> bool:
        """Restart the kernel; False if this backend cannot (an attached kernel)."""
        ...

    async def shutdown(self) -> None: ...


class LocalKernel:
    """A kernel started (and owned) by us through jupyter_client, or attached by file."""

    def __init__(
        self,
        *,
        kernel_name: str = "python3",
        connection_file: str | None = None,
        cwd: str | None = None,
        startup_timeout: float = 60.0,
        env: dict[str, str] | None = None,
    ) -> None:
        """``env``: the kernel's environment (None: this process's; see
        :meth:`jupyter_codeact.config.CodeAct.kernel_env`). Restarts keep it."""
        self.kernel_name = kernel_name
        self.connection_file = connection_file
        self.cwd = cwd
        self.env = env
        self.startup_timeout = startup_timeout
        self.manager: AsyncKernelManager | None = None
        self.client: AsyncKernelClient | None = None
        self._ipc_dir: tempfile.TemporaryDirectory[str] | None = None
        self.description = (
            f"the kernel of {connection_file}" if connection_file else f"a {kernel_name} kernel"
        )

    async def start(self) -> None:
        if self.connection_file:
            client = AsyncKernelClient()
            client.load_connection_file(self.connection_file)
        else:
            # IPC sockets in a private directory: local, and not an unencrypted TCP port.
            self._ipc_dir = tempfile.TemporaryDirectory(prefix="codeact-kernel-")
            self.manager = AsyncKernelManager(
                kernel_name=self.kernel_name,
                transport="ipc",
                ip=str(Path(self._ipc_dir.name) / "kernel"),
            )
            try:
                await self.manager.start_kernel(
                    cwd=self.cwd, **({"env": self.env} if self.env is not None else {})
                )
            except Exception as error:
                raise ExecutorError(
                    f"Could not start the '{self.kernel_name}' kernel ({error}): check "
                    "`jupyter kernelspec list` for the installed kernels."
                ) from error
            client = self.manager.client()
        await self._connect(client)

    async def _connect(self, client: AsyncKernelClient) -> None:
        if self.manager is None:
            # A kernel we did not start (attached to by its connection file, or the
            # notebook's session kernel) is alive while it answers heartbeats; under load
            # one can take longer than jupyter_client's 1 s, which then reads as a dead
            # kernel (at wait_for_ready, and in is_alive while an action runs).
            client.hb_channel.time_to_dead = max(
                client.hb_channel.time_to_dead, ATTACHED_HEARTBEAT_SECONDS
            )
        client.start_channels()
        try:
            await client.wait_for_ready(timeout=self.startup_timeout)
        except RuntimeError as error:
            client.stop_channels()
            raise ExecutorError(
                f"{self.description.capitalize()} did not answer within "
                f"{self.startup_timeout:g} seconds ({error})."
            ) from error
        self.client = client

    def execute(self, code: str, *, request: ExecuteOptions | None = None) -> str:
        assert self.client is not None
        request = request or ExecuteOptions()
        content = request.content(code)
        msg = self.client.session.msg("execute_request", content, metadata=request.metadata)
        self.client.shell_channel.send(msg)
        msg_id: str = msg["header"]["msg_id"]
        return msg_id

    async def next_input_request(self) -> dict[str, Any]:
        assert self.client is not None
        while True:
            try:
                msg: dict[str, Any] = await self.client.get_stdin_msg(timeout=LIVENESS_INTERVAL)
            except queue.Empty:
                continue
            if msg["header"]["msg_type"] == "input_request":
                return msg

    def input_reply(self, value: str, request: dict[str, Any]) -> None:
        assert self.client is not None
        msg = self.client.session.msg("input_reply", {"value": value}, parent=request["header"])
        self.client.stdin_channel.send(msg)

    async def next_message(self, timeout: float) -> dict[str, Any] | None:
        assert self.client is not None
        try:
            msg: dict[str, Any] = await self.client.get_iopub_msg(timeout=timeout)
        except queue.Empty:
            return None
        return msg

    async def reply(self, msg_id: str, timeout: float) -> dict[str, Any] | None:
        assert self.client is not None
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                msg: dict[str, Any] = await self.client.get_shell_msg(timeout=left)
            except queue.Empty:
                return None
            if msg.get("parent_header", {}).get("msg_id") == msg_id:
                content: dict[str, Any] = msg.get("content", {})
                return content
        return None

    async def is_alive(self) -> bool:
        if self.manager is not None:
            return bool(await self.manager.is_alive())
        assert self.client is not None
        return bool(self.client.hb_channel.is_beating())

    async def interrupt(self) -> None:
        if self.manager is not None:
            await self.manager.interrupt_kernel()
        elif self.client is not None:
            # An attached kernel: ask it through the control channel.
            msg = self.client.session.msg("interrupt_request", {})
            self.client.control_channel.send(msg)

    async def restart(self) -> bool:
        if self.manager is None:
            return False
        if self.client is not None:
            self.client.stop_channels()
        await self.manager.restart_kernel(now=True)
        await self._connect(self.manager.client())
        return True

    async def shutdown(self) -> None:
        if self.client is not None:
            self.client.stop_channels()
            self.client = None
        if self.manager is not None:
            if await self.manager.is_alive():
                await self.manager.shutdown_kernel(now=True)
            self.manager = None
        if self._ipc_dir is not None:
            self._ipc_dir.cleanup()
            self._ipc_dir = None
