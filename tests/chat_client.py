"""A Python stand-in for the panel's side of the chat protocol, for the server tests.

It speaks the real websocket protocol and answers ``execute`` requests by running the code
in a real kernel, the way the browser runs it in the notebook's kernel.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any

from tornado.websocket import WebSocketClientConnection

from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.tools.channel import METADATA_KEY, is_tool_call

Message = dict[str, Any]


class ChatClient:
    def __init__(
        self,
        ws: WebSocketClientConnection,
        *,
        kernel: KernelExecutor | None = None,
        client_id: str | None = None,
    ) -> None:
        self.ws = ws
        self.kernel = kernel
        self.client_id = client_id or uuid.uuid4().hex
        self.received: list[Message] = []
        self.executed: list[str] = []
        self.auto_run = kernel is not None
        self.on_execute: Callable[[Message], Awaitable[Message | None]] | None = None
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._reader = asyncio.ensure_future(self._read())
        self._tasks: set[asyncio.Task[None]] = set()
        self._tool_results: dict[str, asyncio.Future[str]] = {}
        self.tool_calls: list[Message] = []

    @classmethod
    async def connect(cls, ws_fetch: Any, chat_id: str, **kw: Any) -> ChatClient:
        ws = await ws_fetch("codeact", "chats", chat_id, "ws")
        client = cls(ws, **kw)
        client.send({"type": "hello", "client_id": client.client_id})
        return client

    def send(self, message: Message) -> None:
        self.ws.write_message(json.dumps(message))

    def ask(self, text: str, **extra: Any) -> None:
        self.send({"type": "user_message", "text": text, **extra})

    async def _read(self) -> None:
        while True:
            raw = await self.ws.read_message()
            if raw is None:
                self._inbox.put_nowait({"type": "_closed"})
                return
            message = json.loads(raw)
            self.received.append(message)
            if message["type"] == "tool_result":
                waiter = self._tool_results.pop(message["call_id"], None)
                if waiter is not None and not waiter.done():
                    waiter.set_result(message["value"])
            if message["type"] == "execute" and (self.auto_run or self.on_execute):
                self._spawn(self._execute(message))
            elif message["type"] == "interrupt" and self.auto_run and self.kernel is not None:
                # What the panel does: interrupt the notebook's kernel, every time it is asked
                # (the first interrupt can land before the cell has started).
                self._spawn(self.kernel.interrupt())
            self._inbox.put_nowait(message)

    def _spawn(self, coroutine: Awaitable[None]) -> None:
        task = asyncio.ensure_future(coroutine)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _execute(self, request: Message) -> None:
        self.executed.append(request["request_id"])
        if self.on_execute is not None:
            reply = await self.on_execute(request)
            if reply is not None:
                self.send(reply)
            return
        assert self.kernel is not None
        # As the panel does: the tools' setup runs silently first, the cell's request carries
        # the nonce, and the kernel's tool calls go to the server over this socket.
        self.kernel.stdin = _Relay(self, request) if request.get("tools") else None
        result = await self.kernel.execute(request["code"], timeout=request["timeout"])
        self.send(
            {
                "type": "execute_result",
                "request_id": request["request_id"],
                "status": result.status,
                "outputs": result.outputs,
                "code": result.code,
                "execution_count": result.execution_count,
                "cell_id": f"cell-{request['request_id'][:8]}",
            }
        )

    async def relay_tool_call(self, request_id: str, prompt: str) -> str:
        call_id = uuid.uuid4().hex
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._tool_results[call_id] = waiter
        message = {"type": "tool_call", "request_id": request_id, "call_id": call_id}
        self.tool_calls.append(message)
        self.send({**message, "prompt": prompt})
        return await waiter

    async def next(self, kind: str, timeout: float = 60, **match: Any) -> Message:
        """The next message of ``kind`` (and with ``match`` fields), skipping others."""

        async def find() -> Message:
            while True:
                message = await self._inbox.get()
                if message["type"] == "_closed" and kind != "_closed":
                    raise ConnectionError(f"the socket closed while waiting for {kind}")
                if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                    return message

        return await asyncio.wait_for(find(), timeout=timeout)

    async def until_state(self, *states: str, timeout: float = 60) -> Message:
        async def find() -> Message:
            while True:
                message = await self.next("state", timeout=timeout)
                if message["state"] in states:
                    return message

        return await asyncio.wait_for(find(), timeout=timeout)

    def entries(self) -> list[Message]:
        """The chat as this client has seen it (snapshot, then entries applied in order)."""
        entries: dict[str, Message] = {}
        for message in self.received:
            if message["type"] == "snapshot":
                entries = {entry["id"]: dict(entry) for entry in message["entries"]}
            elif message["type"] == "entry":
                entries[message["entry"]["id"]] = dict(message["entry"])
            elif message["type"] == "delta":
                entry = entries[message["id"]]
                entry["text"] = entry.get("text", "") + message["text"]
        return list(entries.values())

    def roles(self) -> list[str]:
        return [entry["role"] for entry in self.entries()]

    async def close(self) -> None:
        self.ws.close()
        self._reader.cancel()
        for task in list(self._tasks):
            task.cancel()


class _Relay:
    """The page's part of the tools for one ``execute`` (a StdinHost of the kernel executor)."""

    def __init__(self, client: ChatClient, request: Message) -> None:
        self.client = client
        self.request = request
        self.metadata = {METADATA_KEY: request["tools"]["nonce"]}

    def setup_expression(self) -> str | None:
        return str(self.request["tools"]["setup"])

    async def answer(self, prompt: str) -> str | None:
        if not is_tool_call(prompt):
            return None
        return await self.client.relay_tool_call(self.request["request_id"], prompt)
