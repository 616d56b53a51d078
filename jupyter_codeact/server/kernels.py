"""The notebook's own kernel, as the server reaches it: the kernel of the notebook's
session in jupyter_server's session manager (the one its page shows), local or behind
the Gateway client, with client channels of our own.

:class:`SessionKernel` is a :class:`~jupyter_codeact.executors.kernel.KernelBackend`, so
the execution logic (outputs, timeouts, interrupts, deaths, restarts, stdin) is the one
:class:`~jupyter_codeact.executors.kernel.KernelExecutor` already has. Messages travel on
our own channels: a ``jupyter_client`` client of the local kernel (its ZMQ sockets), or,
for a gateway's kernel, our own asynchronous websocket client of the gateway
(:class:`~jupyter_codeact.executors.gateway.GatewayKernel`; jupyter_server's gateway
client polls its queues in a busy loop and connects synchronously, which would hold the
server's event loop). Interrupts and restarts go through the server's kernel manager, as
the page's would, so the page sees them too. Nothing here ever shuts a kernel down: it is
the user's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import posixpath
from collections.abc import Callable
from typing import Any

from jupyter_core.utils import ensure_async

from ..core.executor import ExecutorError
from ..executors.gateway import GatewayKernel
from ..executors.kernel import ExecuteOptions, LocalKernel
from .document.file_writer import FileWriter, NotebookFileError
from .kernel_guard import is_gateway

log = logging.getLogger(__name__)

AUTORESTART_WAIT = 10.0
"""Seconds to wait for the server's own restarter to bring a dead kernel back before
restarting it ourselves."""


class NotebookKernels:
    """Finds (or starts) the kernel of a notebook's session."""

    def __init__(
        self,
        *,
        session_manager: Any,
        kernel_manager: Any,
        files: FileWriter,
        startup_timeout: float = 60.0,
    ) -> None:
        self.sessions = session_manager
        self.kernels = kernel_manager
        self.files = files
        self.startup_timeout = startup_timeout
        self.gateway = is_gateway(kernel_manager)

    async def kernel_of(self, path: str) -> str | None:
        """The kernel id of notebook ``path``'s session, if it has one."""
        with contextlib.suppress(Exception):  # "Session not found" is an HTTPError
            model = await self.sessions.get_session(path=path)
            kernel = (model or {}).get("kernel") or {}
            kernel_id = kernel.get("id")
            if kernel_id and kernel_id in self.kernels:
                return str(kernel_id)
        return None

    async def kernel_for(self, path: str) -> str:
        """The kernel of notebook ``path``: its session's, or a new session's, started with
        the notebook's kernelspec as opening the notebook would."""
        kernel_id = await self.kernel_of(path)
        if kernel_id is not None:
            return kernel_id
        name = await self._kernelspec(path)
        try:
            model = await self.sessions.create_session(
                path=path, name=posixpath.basename(path), type="notebook", kernel_name=name
            )
        except Exception as error:
            raise ExecutorError(
                f"Could not start a kernel for {path} ({error}): open the notebook and start "
                "one from the Kernel menu, then ask again."
            ) from error
        return str(model["kernel"]["id"])

    async def _kernelspec(self, path: str) -> str | None:
        """The notebook's kernelspec if the server has it (else the server's default)."""
        try:
            metadata = await self.files.metadata(path)
        except NotebookFileError:
            return None
        spec = metadata.get("kernelspec")
        name = spec.get("name") if isinstance(spec, dict) else None
        if not isinstance(name, str) or not name:
            return None
        specs = getattr(self.kernels, "kernel_spec_manager", None)
        if specs is not None:
            with contextlib.suppress(Exception):
                known = await ensure_async(specs.get_all_specs())
                if name not in known:
                    log.info("CodeAct: %s asks for kernel %r, which is not installed", path, name)
                    return None
        return name

    def transport(self, kernel_id: str) -> LocalKernel | GatewayKernel:
        """Channels of our own to kernel ``kernel_id``."""
        if self.gateway:
            from jupyter_server.gateway.gateway_client import GatewayClient

            client = GatewayClient.instance()
            arguments = client.load_connection_args()  # type: ignore[no-untyped-call]
            headers = arguments.get("headers") or {}
            return GatewayKernel(
                client.url or "",
                kernel_id=kernel_id,
                headers={str(k): str(v) for k, v in headers.items()},
                ws_url=client.ws_url,
                startup_timeout=self.startup_timeout,
            )
        local = LocalKernel(startup_timeout=self.startup_timeout)
        local.description = "the notebook's kernel"
        return local


class SessionKernel:
    """:class:`~jupyter_codeact.executors.kernel.KernelBackend` for the kernel of a
    notebook's session; ``path()`` gives the notebook's current path (it follows
    renames)."""

    description = "the notebook's kernel"

    def __init__(self, kernels: NotebookKernels, path: Callable[[], str]) -> None:
        self.kernels = kernels
        self.path = path
        self.kernel_id: str | None = None
        self._transport: LocalKernel | GatewayKernel | None = None
        self._restarted = asyncio.Event()
        self._restart_failed = False
        self._pid: int | None = None

    def _process(self) -> int | None:
        """The process id of the local kernel (a restart gives it a new one)."""
        if (
            self.kernel_id is None
            or self.kernels.gateway
            or self.kernel_id not in self.kernels.kernels
        ):
            return None
        manager = self.kernels.kernels.get_kernel(self.kernel_id)
        pid = getattr(getattr(manager, "provisioner", None), "pid", None)
        return pid if isinstance(pid, int) else None

    def _restarted_elsewhere(self) -> bool:
        """The kernel is being, or was, restarted by someone else (the page's Restart)
        under the running code: the server's restarter calls us back only for deaths."""
        if (
            self.kernel_id is None
            or self.kernels.gateway
            or self.kernel_id not in self.kernels.kernels
        ):
            return False
        manager = self.kernels.kernels.get_kernel(self.kernel_id)
        if getattr(manager, "shutting_down", False):
            return True
        return self._pid is not None and self._process() not in (None, self._pid)

    @property
    def transport(self) -> LocalKernel | GatewayKernel:
        if self._transport is None:
            raise ExecutorError("The notebook's kernel is not connected.")
        return self._transport

    async def start(self) -> None:
        kernel_id = await self.kernels.kernel_for(self.path())
        await self._connect(kernel_id)

    async def _connect(self, kernel_id: str) -> None:
        transport = self.kernels.transport(kernel_id)
        if isinstance(transport, LocalKernel):
            manager = self.kernels.kernels.get_kernel(kernel_id)
            await transport._connect(manager.client())
        else:
            await transport.start()
        self._transport, self.kernel_id = transport, kernel_id
        self._pid = self._process()
        if not self.kernels.gateway:
            self.kernels.kernels.add_restart_callback(kernel_id, self._on_restart, "restart")
            self.kernels.kernels.add_restart_callback(kernel_id, self._on_dead, "dead")

    async def follow(self) -> None:
        """Before an action: reconnect if the notebook's session has another kernel now
        (the user changed it, or shut the old one down)."""
        if self.kernel_id is None:
            return
        current = await self.kernels.kernel_of(self.path())
        if current == self.kernel_id:
            return
        await self._disconnect()
        await self._connect(current or await self.kernels.kernel_for(self.path()))

    def _on_restart(self) -> None:
        self._restarted.set()

    def _on_dead(self) -> None:
        self._restart_failed = True
        self._restarted.set()

    # -- messages: our own channels ---------------------------------------------------------
    def execute(self, code: str, *, request: ExecuteOptions | None = None) -> str:
        return self.transport.execute(code, request=request)

    async def next_input_request(self) -> dict[str, Any]:
        return await self.transport.next_input_request()

    def input_reply(self, value: str, request: dict[str, Any]) -> None:
        self.transport.input_reply(value, request)

    async def next_message(self, timeout: float) -> dict[str, Any] | None:
        return await self.transport.next_message(timeout)

    async def reply(self, msg_id: str, timeout: float) -> dict[str, Any] | None:
        return await self.transport.reply(msg_id, timeout)

    # -- lifecycle: the server's kernel manager ---------------------------------------------
    async def is_alive(self) -> bool:
        if self._restarted.is_set() or self._restarted_elsewhere():
            return False  # restarted under the running code: its outcome is lost
        if self.kernel_id is None or self.kernel_id not in self.kernels.kernels:
            return False
        if isinstance(self._transport, GatewayKernel):
            return await self._transport.is_alive()
        manager = self.kernels.kernels.get_kernel(self.kernel_id)
        return bool(await ensure_async(manager.is_alive()))

    async def interrupt(self) -> None:
        if self.kernel_id is None:
            return
        try:
            await ensure_async(self.kernels.kernels.interrupt_kernel(self.kernel_id))
        except Exception as error:
            raise ExecutorError(
                f"The notebook's kernel could not be interrupted ({error})."
            ) from error

    async def restart(self) -> bool:
        if self.kernel_id is None or self.kernel_id not in self.kernels.kernels:
            return False
        if isinstance(self._transport, GatewayKernel):
            return await self._transport.restart()
        assert isinstance(self._transport, LocalKernel) and self._transport.client is not None
        if self._restarted_elsewhere():
            await self._restart_done()
            self._restarted.set()
        if not self._restarted.is_set():
            # The server's restarter brings a dead kernel back by itself; a second restart
            # of ours would only cost time.
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._restarted.wait(), AUTORESTART_WAIT)
        if self._restart_failed:
            return False
        if not self._restarted.is_set():
            await ensure_async(self.kernels.kernels.restart_kernel(self.kernel_id))
        self._restarted = asyncio.Event()
        client = self._transport.client
        try:
            await client.wait_for_ready(timeout=self.kernels.startup_timeout)
        except RuntimeError:
            return False
        self._pid = self._process()
        return True

    async def _restart_done(self) -> None:
        """Wait (a while) for a restart begun by someone else to bring the kernel back."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + AUTORESTART_WAIT
        while loop.time() < deadline:
            manager = self.kernels.kernels.get_kernel(self.kernel_id)
            if not getattr(manager, "shutting_down", False) and self._process() != self._pid:
                return
            await asyncio.sleep(0.1)  # polled: the manager has no event to wait on

    async def _disconnect(self) -> None:
        if self.kernel_id is not None and not self.kernels.gateway:
            with contextlib.suppress(Exception):
                self.kernels.kernels.remove_restart_callback(
                    self.kernel_id, self._on_restart, "restart"
                )
                self.kernels.kernels.remove_restart_callback(self.kernel_id, self._on_dead, "dead")
        transport, self._transport = self._transport, None
        if isinstance(transport, GatewayKernel):
            await transport.shutdown()  # attached: closes our websocket only
        elif transport is not None and transport.client is not None:
            transport.client.stop_channels()
            transport.client = None
        self.kernel_id = None
        self._restarted = asyncio.Event()
        self._restart_failed = False

    async def shutdown(self) -> None:
        """Close our channels; the kernel is the notebook's and keeps running."""
        await self._disconnect()
