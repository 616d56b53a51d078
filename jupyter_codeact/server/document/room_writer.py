"""One notebook's operations, written into its collaboration room (:mod:`.rooms`).

With real-time collaboration on, the room's shared notebook is the truth and the pages
are its clients: the server writes the agent's operations into it once
(:mod:`.shared`), every collaborator sees them through the room, and the room saves the
file. Pages do not apply operations then (a page that did would insert each cell once
per page), and the file writer does not write (it would fight the room).

- An action holds the room from the moment it places its code until its last operation
  is in (:meth:`RoomWriter.begin`, :meth:`RoomWriter.end`): the room stays alive even
  if every page closes meanwhile.
- Operations emitted while the room is held go in at once, in one transaction per batch
  (a collaborator sees a streamed output as it arrives). Others wait for the room to be
  opened, in order.
- When an action first opens the room, the room is given what it lacks of every chat's
  log (the operations after those its metadata records): a run that went on while no
  room was reachable, or an earlier run whose pages never saved, loses nothing.
- The chats' logs keep an operation only until the room holds it: the room is where a
  returning page finds it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping

from .log import OpLog
from .ops import LIVE_OPS, Facts, Op
from .rooms import OpenRoom, RoomError, Rooms
from .shared import SharedNotebook

log = logging.getLogger(__name__)


class RoomWriter:
    def __init__(
        self,
        path: Callable[[], str],
        rooms: Rooms,
        logs: Mapping[str, OpLog],
        *,
        trusted: Callable[[], bool],
    ) -> None:
        """``trusted()``: whether the agent's cells are marked trusted now."""
        self._path = path
        self.rooms = rooms
        self._logs = logs
        self._trusted = trusted
        self._room: OpenRoom | None = None
        self._holds = 0
        self._pending: list[tuple[str, list[Op]]] = []
        self._lock = asyncio.Lock()
        self._drain: asyncio.Task[None] | None = None

    def _shared(self, room: OpenRoom) -> SharedNotebook:
        return SharedNotebook(room.notebook, trusted=self._trusted())

    async def _open(self) -> OpenRoom:
        """The room, open and current (a room freed since is opened again)."""
        notebook = await self.rooms.notebook(self._path())
        room = self._room
        if room is None or room.notebook is not notebook:
            if room is not None and room.held:
                room.release()
            room = await self.rooms.open(self._path())
            self._room = room
            if self._holds:
                room.hold()
        return room

    # -- holding ---------------------------------------------------------------------------
    async def begin(self) -> None:
        """An action starts changing the notebook: hold its room, and give it what it
        lacks."""
        self._holds += 1
        async with self._lock:
            try:
                room = await self._open()
            except RoomError as error:
                log.warning("CodeAct: %s; the operations are kept until it can be", error)
                return
            if self._holds == 1 and not room.held:
                room.hold()
            self._catch_up(room)

    def end(self) -> None:
        self._holds = max(self._holds - 1, 0)
        if not self._holds and self._room is not None and self._room.held:
            self._room.release()

    def _catch_up(self, room: OpenRoom) -> None:
        shared = self._shared(room)
        marks = shared.applied()
        for chat_id, oplog in list(self._logs.items()):
            missing = [op for op in oplog.since(marks.get(chat_id, 0)) if not op.get("running")]
            if missing:
                self._apply(shared, chat_id, missing)

    # -- operations ------------------------------------------------------------------------
    def emit(self, chat_id: str, ops: list[Op]) -> None:
        room = self._room
        if room is not None and room.held and room.lasting and not self._pending:
            self._apply(self._shared(room), chat_id, ops)
            return
        self._pending.append((chat_id, ops))
        if self._drain is None or self._drain.done():
            self._drain = asyncio.ensure_future(self._write_pending())

    async def _write_pending(self) -> None:
        async with self._lock:
            while self._pending:
                try:
                    room = await self._open()
                except RoomError as error:
                    log.warning("CodeAct: %s; the operations are kept until it can be", error)
                    self._pending = [
                        (chat, [op for op in ops if op["op"] not in LIVE_OPS])
                        for chat, ops in self._pending
                    ]
                    return
                shared = self._shared(room)
                batch, self._pending = self._pending, []
                for chat_id, ops in batch:
                    self._apply(shared, chat_id, ops)

    def _apply(self, shared: SharedNotebook, chat_id: str, ops: list[Op]) -> None:
        try:
            shared.apply(chat_id, ops)
        except Exception:  # a room's document we cannot read: keep the operations
            log.exception("CodeAct: the operations could not be written to the room")
            return
        oplog = self._logs.get(chat_id)
        lasting = [op["seq"] for op in ops if op["op"] not in LIVE_OPS]
        if oplog is not None and lasting:
            oplog.saved(max(lasting))

    async def drained(self) -> None:
        """Until every operation emitted so far is in the room (or could not be)."""
        while self._drain is not None and not self._drain.done():
            await asyncio.shield(self._drain)
        if self._pending:  # kept after a room that could not be opened: try once more
            self._drain = asyncio.ensure_future(self._write_pending())
            await asyncio.shield(self._drain)

    async def inspect(self, chat_id: str, query: dict[str, object]) -> Facts:
        """What the room's notebook holds of a cell."""
        await self.drained()
        async with self._lock:
            try:
                room = await self._open()
            except RoomError as error:
                log.warning("CodeAct: %s", error)
                return {"found": 0, "cell_ids": [], "change": None, "source": None}
            return self._shared(room).inspect(chat_id, dict(query))

    async def close(self) -> None:
        await self.drained()
        self._holds = 0
        if self._room is not None and self._room.held:
            self._room.release()
