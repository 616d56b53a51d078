"""A Python stand-in for the panel's side of the chat protocol, for the server tests.

It speaks the real websocket protocol. With a :class:`PageNotebook` it is a page that has
the chat's notebook open: it says so (``document``), applies the document operations the
server sends to its copy of the notebook (with the same rules as the panel,
:class:`jupyter_codeact.server.document.ops.Cells`) and answers the server's questions
about it (``inspect``), as ``src/notebook/apply.ts`` and ``inspect.ts`` do.
"""

from __future__ import annotations

import asyncio
import copy
import json
import uuid
from typing import Any

from tornado.websocket import WebSocketClientConnection

from jupyter_codeact.server.document.cells import provenance, source_text
from jupyter_codeact.server.document.ops import Cells, applied, set_applied
from jupyter_codeact.server.wire_check import problems
from jupyter_codeact.server.wire_schema import ServerMessage

Message = dict[str, Any]


class PageNotebook:
    """A page's copy of a notebook: cells and metadata, as nbformat JSON."""

    def __init__(
        self, cells: list[dict[str, Any]] | None = None, metadata: dict[str, Any] | None = None
    ) -> None:
        self.cells = Cells(copy.deepcopy(cells or []))
        self.metadata: dict[str, Any] = copy.deepcopy(metadata or {})
        self.applied_ops: list[dict[str, Any]] = []

    @classmethod
    def from_file(cls, text: str) -> PageNotebook:
        data = json.loads(text)
        return cls(data["cells"], data.get("metadata", {}))

    def apply(self, chat_id: str, ops: list[dict[str, Any]]) -> None:
        for op in ops:
            self.cells.apply(op, chat_id)
            self.applied_ops.append(op)
        if ops:
            set_applied(self.metadata, chat_id, max(op["seq"] for op in ops))

    @property
    def applied(self) -> dict[str, int]:
        return applied(self.metadata)

    def agent_cells(self) -> list[dict[str, Any]]:
        return [cell for cell in self.cells.cells if provenance(cell) is not None]

    def sources(self) -> list[str]:
        return [source_text(cell.get("source")) for cell in self.cells.cells]

    def add_user_cell(self, source: str, **fields: Any) -> str:
        cell_id = uuid.uuid4().hex[:8]
        cell = {
            "id": cell_id,
            "cell_type": "code",
            "source": source,
            "metadata": {},
            "outputs": [],
            "execution_count": None,
            **fields,
        }
        self.cells = Cells([*self.cells.cells, cell])
        return cell_id

    def find(self, cell_id: str) -> dict[str, Any]:
        index = self.cells.find(cell_id)
        assert index is not None, f"no cell {cell_id}"
        return self.cells.items[index].cell


def text_of(cell: dict[str, Any]) -> str:
    """What a cell printed or showed as text."""
    parts = []
    for output in cell.get("outputs", []):
        if output["output_type"] == "stream":
            parts.append(source_text(output["text"]))
        elif "data" in output:
            parts.append(source_text(output["data"].get("text/plain", "")))
        elif output["output_type"] == "error":
            parts.append(f"{output['ename']}: {output['evalue']}")
    return "".join(parts)


class ChatClient:
    def __init__(
        self,
        ws: WebSocketClientConnection,
        *,
        notebook: PageNotebook | None = None,
        path: str = "",
        client_id: str | None = None,
    ) -> None:
        self.ws = ws
        self.notebook = notebook
        self.path = path
        self.client_id = client_id or uuid.uuid4().hex
        self.received: list[Message] = []
        self.questions: list[Message] = []
        self.answer_questions = True
        self._inbox: asyncio.Queue[Message] = asyncio.Queue()
        self._reader = asyncio.ensure_future(self._read())

    @classmethod
    async def connect(
        cls,
        ws_fetch: Any,
        chat_id: str,
        *,
        notebook: PageNotebook | None = None,
        path: str = "analysis.ipynb",
        **kw: Any,
    ) -> ChatClient:
        ws = await ws_fetch("codeact", "chats", chat_id, "ws")
        client = cls(ws, notebook=notebook, path=path, **kw)
        client.send({"type": "hello", "client_id": client.client_id})
        if notebook is not None:
            client.hold()
        return client

    def hold(self) -> None:
        """Say that this page has the notebook open (as the panel does once it is loaded)."""
        assert self.notebook is not None
        self.send({"type": "document", "path": self.path, "applied": self.notebook.applied})

    def send(self, message: Message) -> None:
        self.ws.write_message(json.dumps(message))

    def ask(self, text: str, **extra: Any) -> None:
        self.send({"type": "user_message", "text": text, **extra})

    def decide(self, approval: Message, run: bool, code: str | None = None) -> None:
        message: Message = {"type": "decide", "request_id": approval["request_id"], "run": run}
        if code is not None:
            message["code"] = code
        self.send(message)

    async def _read(self) -> None:
        while True:
            raw = await self.ws.read_message()
            if raw is None:
                self._inbox.put_nowait({"type": "_closed"})
                return
            message = json.loads(raw)
            # What the panel's guards would drop fails the test that caused it.
            if wrong := problems(message, ServerMessage):
                message = {"type": "_malformed", "message": message, "problems": wrong}
            self.received.append(message)
            if message["type"] == "ops" and self.notebook is not None and not message.get("shared"):
                self.notebook.apply(message["chat_id"], message["ops"])
            elif message["type"] == "inspect":
                self.questions.append(message)
                if self.notebook is not None and self.answer_questions:
                    self.answer(message)
            self._inbox.put_nowait(message)

    def answer(self, question: Message) -> None:
        assert self.notebook is not None
        facts = self.notebook.cells.inspect(
            question["chat_id"],
            question["ref"],
            question["cell_id"],
            user=question["user"],
            with_cell=bool(question.get("cell")),
        )
        self.send({"type": "facts", "query_id": question["query_id"], "facts": facts})

    async def next(self, kind: str, timeout: float = 60, **match: Any) -> Message:
        """The next message of ``kind`` (and with ``match`` fields), skipping others."""

        async def find() -> Message:
            while True:
                message = await self._inbox.get()
                if message["type"] == "_closed" and kind != "_closed":
                    raise ConnectionError(f"the socket closed while waiting for {kind}")
                if message["type"] == "_malformed":
                    raise AssertionError(f"the server sent what the panel drops: {message}")
                if message["type"] == kind and all(message.get(k) == v for k, v in match.items()):
                    return message

        return await asyncio.wait_for(find(), timeout=timeout)

    async def next_approval(self, timeout: float = 60) -> Message:
        """The next approval that waits (not the message that clears one)."""

        async def find() -> Message:
            while True:
                message = await self.next("approval", timeout=timeout)
                if message["approval"] is not None:
                    return dict(message["approval"])

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
                key = message.get("field", "text")
                entry[key] = entry.get(key, "") + message["text"]
        return list(entries.values())

    def roles(self) -> list[str]:
        return [entry["role"] for entry in self.entries()]

    async def close(self) -> None:
        self.ws.close()
        self._reader.cancel()
