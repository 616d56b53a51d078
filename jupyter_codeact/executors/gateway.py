"""A kernel behind a Jupyter Kernel Gateway (or any jupyter_server's kernels API).

REST to start, interrupt, restart and delete the kernel; its channels websocket (JSON
messages, the default protocol) to execute and hear its outputs.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import json
import os
import uuid
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from ..core.executor import ExecutorError
from .kernel import ExecuteOptions, KernelDied


class GatewayKernel:
    """:class:`~jupyter_codeact.executors.kernel.KernelBackend` for a remote kernel."""

    def __init__(
        self,
        url: str,
        *,
        kernel_name: str = "python3",
        token: str | None = None,
        startup_timeout: float = 60.0,
        kernel_id: str | None = None,
        headers: dict[str, str] | None = None,
        ws_url: str | None = None,
    ) -> None:
        """``kernel_id``: attach to that running kernel instead of starting one (it is then
        not ours: :meth:`shutdown` leaves it running); ``headers`` replace the token's
        (a gateway client's own authentication); ``ws_url`` where its websockets are, when
        not at ``url``."""
        self.url = url.rstrip("/")
        self.ws_url = (ws_url or "").rstrip("/") or None
        self.kernel_name = kernel_name
        self.token = token if token is not None else os.environ.get("JUPYTER_GATEWAY_AUTH_TOKEN")
        self.headers = headers
        self.startup_timeout = startup_timeout
        self.attached = kernel_id is not None
        self.kernel_id: str | None = kernel_id
        self.session = uuid.uuid4().hex
        self.description = f"the {kernel_name} kernel at {self.url}"
        self._ws: WebSocketClientConnection | None = None
        self._iopub: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._stdin: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self._replies: dict[str, asyncio.Future[dict[str, Any]]] = {}
        self._iopub_seen: dict[str, asyncio.Future[None]] = {}
        self._reader: asyncio.Task[None] | None = None
        self._restarting = False
        self._dead = False

    def _headers(self) -> dict[str, str]:
        if self.headers is not None:
            return dict(self.headers)
        return {"Authorization": f"token {self.token}"} if self.token else {}

    async def _rest(
        self, method: str, path: str, body: dict[str, Any] | None = None, *, doing: str
    ) -> Any:
        """One call to the gateway's REST API; every failure is an ExecutorError that says
        what we were ``doing`` (e.g. "interrupt the kernel")."""
        request = HTTPRequest(
            f"{self.url}{path}",
            method=method,
            headers={**self._headers(), "Content-Type": "application/json"},
            body=json.dumps(body) if body is not None else (None if method == "GET" else ""),
            request_timeout=self.startup_timeout,
            allow_nonstandard_methods=True,
        )
        try:
            response = await AsyncHTTPClient().fetch(request)
        except HTTPClientError as error:
            if error.code in (401, 403):
                raise ExecutorError(
                    f"The kernel gateway at {self.url} refused the token (HTTP {error.code}): "
                    "set JUPYTER_GATEWAY_AUTH_TOKEN (or --gateway-token)."
                ) from error
            raise ExecutorError(
                f"The kernel gateway at {self.url} could not {doing} (HTTP {error.code}"
                f"{': ' + error.message if error.message else ''})."
            ) from error
        except OSError as error:
            raise ExecutorError(
                f"Could not reach the kernel gateway at {self.url} ({error}): check the URL "
                "and that the gateway is running."
            ) from error
        return json.loads(response.body) if response.body else None

    async def start(self) -> None:
        if self.attached:
            await self._open_channels()
            return
        model = await self._rest(
            "POST",
            "/api/kernels",
            {"name": self.kernel_name},
            doing=f"start a '{self.kernel_name}' kernel",
        )
        self.kernel_id = model["id"]
        await self._open_channels()

    async def _open_channels(self) -> None:
        parts = urlsplit(self.ws_url or self.url)
        scheme = {"https": "wss", "http": "ws"}.get(parts.scheme, parts.scheme)
        path = f"{parts.path}/api/kernels/{quote(self.kernel_id or '')}/channels"
        ws_url = urlunsplit((scheme, parts.netloc, path, f"session_id={self.session}", ""))
        try:
            self._ws = await websocket_connect(
                HTTPRequest(ws_url, headers=self._headers()), max_message_size=256 * 1024 * 1024
            )
        except (HTTPClientError, OSError) as error:
            raise ExecutorError(
                f"Could not connect to {self.description} ({error}): check that the gateway "
                "allows websocket connections."
            ) from error
        self._reader = asyncio.ensure_future(self._read())
        await self._wait_ready()

    async def _read(self) -> None:
        assert self._ws is not None
        while True:
            raw = await self._ws.read_message()
            if raw is None:
                self._dead = True
                self._iopub.put_nowait({"header": {"msg_type": "_closed"}, "content": {}})
                return
            msg = json.loads(raw)
            channel = msg.get("channel")
            if channel == "iopub":
                parent = msg.get("parent_header", {}).get("msg_id")
                seen = self._iopub_seen.pop(parent, None)
                if seen is not None and not seen.done():
                    seen.set_result(None)
                self._iopub.put_nowait(msg)
            elif channel == "stdin" and msg.get("header", {}).get("msg_type") == "input_request":
                self._stdin.put_nowait(msg)
            elif channel in ("shell", "control"):
                parent = msg.get("parent_header", {}).get("msg_id")
                future = self._replies.get(parent)  # its waiter removes it
                if future is not None and not future.done():
                    future.set_result(msg)

    def _send(
        self,
        channel: str,
        msg_type: str,
        content: dict[str, Any],
        *,
        metadata: dict[str, Any] | None = None,
        parent: dict[str, Any] | None = None,
    ) -> str:
        assert self._ws is not None
        msg_id = uuid.uuid4().hex
        self._ws.write_message(
            json.dumps(
                {
                    "header": {
                        "msg_id": msg_id,
                        "msg_type": msg_type,
                        "username": "codeact",
                        "session": self.session,
                        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(),
                        "version": "5.3",
                    },
                    "parent_header": parent or {},
                    "metadata": metadata or {},
                    "content": content,
                    "channel": channel,
                    "buffers": [],
                }
            )
        )
        return msg_id

    async def _wait_ready(self) -> None:
        """Ask for kernel_info until the kernel answers on the shell channel *and* its
        IOPub messages reach us: after a restart the server's IOPub subscription can come
        back later than the shell, and the outputs of an execution sent before that would
        be lost (the run would wait for them until its timeout)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.startup_timeout
        while loop.time() < deadline:
            msg_id = self._send("shell", "kernel_info_request", {})
            reply: asyncio.Future[dict[str, Any]] = loop.create_future()
            seen: asyncio.Future[None] = loop.create_future()
            self._replies[msg_id], self._iopub_seen[msg_id] = reply, seen
            try:
                await asyncio.wait_for(asyncio.gather(reply, seen), timeout=2.0)
            except asyncio.TimeoutError:
                continue
            finally:
                self._replies.pop(msg_id, None)
                self._iopub_seen.pop(msg_id, None)
            self._restarting = self._dead = False
            return
        raise ExecutorError(
            f"{self.description.capitalize()} did not answer within {self.startup_timeout:g} "
            "seconds."
        )

    def execute(self, code: str, *, request: ExecuteOptions | None = None) -> str:
        request = request or ExecuteOptions()
        content = request.content(code)
        msg_id = self._send("shell", "execute_request", content, metadata=request.metadata)
        self._replies[msg_id] = asyncio.get_running_loop().create_future()
        return msg_id

    async def next_input_request(self) -> dict[str, Any]:
        return await self._stdin.get()

    def input_reply(self, value: str, request: dict[str, Any]) -> None:
        self._send("stdin", "input_reply", {"value": value}, parent=request.get("header"))

    async def next_message(self, timeout: float) -> dict[str, Any] | None:
        try:
            msg = await asyncio.wait_for(self._iopub.get(), timeout=timeout)
        except asyncio.TimeoutError:
            return None
        msg_type = msg["header"]["msg_type"]
        if msg_type == "_closed":
            raise KernelDied()
        if msg_type == "status":
            state = msg.get("content", {}).get("execution_state")
            # The server says so on the channel, with no parent, when its kernel died.
            if state in ("restarting", "autorestarting", "dead"):
                self._restarting = state != "dead"
                self._dead = state == "dead"
                raise KernelDied()
        return msg

    async def reply(self, msg_id: str, timeout: float) -> dict[str, Any] | None:
        future = self._replies.get(msg_id)
        if future is None:
            return None
        try:
            msg = await asyncio.wait_for(asyncio.shield(future), timeout=timeout)
        except asyncio.TimeoutError:
            return None
        finally:
            self._replies.pop(msg_id, None)
        content: dict[str, Any] = msg.get("content", {})
        return content

    async def is_alive(self) -> bool:
        if self._dead:
            return False
        try:
            model = await self._rest(
                "GET", f"/api/kernels/{quote(self.kernel_id or '')}", doing="find the kernel"
            )
        except ExecutorError:
            return False
        return bool(model) and model.get("execution_state") != "dead"

    async def interrupt(self) -> None:
        await self._rest(
            "POST",
            f"/api/kernels/{quote(self.kernel_id or '')}/interrupt",
            doing="interrupt the kernel",
        )

    async def restart(self) -> bool:
        if not self._restarting:
            # Nobody restarted it for us (dead, or stuck): ask the gateway to.
            await self._rest(
                "POST",
                f"/api/kernels/{quote(self.kernel_id or '')}/restart",
                doing="restart the kernel",
            )
        if self._ws is None or self._ws.protocol is None:
            await self._open_channels()
        else:
            await self._wait_ready()
        return True

    async def shutdown(self) -> None:
        if self._reader is not None:
            self._reader.cancel()
        if self._ws is not None:
            self._ws.close()
            self._ws = None
        if self.kernel_id is not None and not self.attached:
            with contextlib.suppress(Exception):
                await self._rest(
                    "DELETE", f"/api/kernels/{quote(self.kernel_id)}", doing="shut the kernel down"
                )
            self.kernel_id = None
