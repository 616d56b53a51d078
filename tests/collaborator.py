"""A collaborator's page in a real-time collaboration room, for the server tests: a Y
document synced with the room over its real websocket (jupyter-collaboration's
``/api/collaboration/room``), as JupyterLab's page is."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from jupyter_ydoc import YNotebook
from pycrdt import Doc, Provider
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect


class _Channel:
    """A tornado websocket as a pycrdt channel."""

    def __init__(self, ws: WebSocketClientConnection, path: str) -> None:
        self.ws = ws
        self._path = path

    @property
    def path(self) -> str:
        return self._path

    def __aiter__(self) -> _Channel:
        return self

    async def __anext__(self) -> bytes:
        message = await self.ws.read_message()
        if message is None:
            raise StopAsyncIteration
        return message if isinstance(message, bytes) else message.encode()

    async def send(self, message: bytes) -> None:
        await self.ws.write_message(message, binary=True)

    async def recv(self) -> bytes:
        return await self.__anext__()


class Collaborator:
    """A page with notebook ``path`` open through its room."""

    def __init__(self, ws: WebSocketClientConnection, room_id: str) -> None:
        self.ws = ws
        self.room_id = room_id
        self.doc = Doc()
        self.notebook = YNotebook(self.doc)
        self.provider = Provider(self.doc, _Channel(ws, room_id))
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self.doc.observe(lambda _event: self._changed.set())

    @classmethod
    async def open(
        cls, jp_fetch: Any, server: tuple[int, str, dict[str, str]], path: str
    ) -> Collaborator:
        """``server``: its port, base URL and auth headers."""
        response = await jp_fetch(
            "api",
            "collaboration",
            "session",
            path,
            method="PUT",
            body=json.dumps({"format": "json", "type": "notebook"}),
        )
        session = json.loads(response.body)
        room_id = f"{session['format']}:{session['type']}:{session['fileId']}"
        # The room id unescaped, as the browser sends it (its colons escaped would name
        # another room).
        port, base_url, headers = server
        url = (
            f"ws://127.0.0.1:{port}{base_url}api/collaboration/room/{room_id}"
            f"?sessionId={session['sessionId']}"
        )
        ws = await websocket_connect(HTTPRequest(url, headers=dict(headers)))
        page = cls(ws, room_id)
        page._task = asyncio.ensure_future(page.provider.start())
        await asyncio.wait_for(page.provider.synced.wait(), 30)
        return page

    def cells(self) -> list[dict[str, Any]]:
        return list(self.notebook.get()["cells"])

    async def until(self, condition: Any, timeout: float = 60) -> None:
        """Wait until ``condition(self)`` holds (the room's updates arrive meanwhile)."""

        async def wait() -> None:
            while not condition(self):
                self._changed.clear()
                await self._changed.wait()

        await asyncio.wait_for(wait(), timeout)

    async def close(self) -> None:
        self.ws.close()
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
