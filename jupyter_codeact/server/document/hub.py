"""Who applies a notebook's document operations now: the pages that have it open, or the
file once none has.

One :class:`NotebookDocument` per notebook path, shared by every chat of that notebook:

- **Pages.** A page that has the notebook open says so (``document``, with what its copy
  holds: the last operation applied per chat, from the notebook's metadata). It is sent
  what it lacks, then every operation as it happens, and it applies them to its notebook
  model (``src/notebook/apply.ts``): outputs stream into the cell as into a cell the user
  runs. Two pages with the notebook open both apply them, as they would both show a
  user's run. Questions about the notebook (may this cell be replaced?) go to the first.
- **The file.** When the last page goes (a closed tab, a reload, a dropped connection),
  nothing is written during a grace period (``c.CodeActExtension.page_grace``): a page
  coming back within it simply catches up. After it, the operations go into the
  ``.ipynb`` (:mod:`.file_writer`), at the end of each action at least, and questions are
  answered from the file.
- **Coming back.** A page that comes back (reload, reopen, reconnect) is sent the
  operations after what its copy holds, exactly once: no cell twice, and its unsaved
  edits elsewhere are untouched (operations only touch the agent's cells). When the
  server wrote the file meanwhile, the page is also told those writes (hash before and
  after), so that it can take the file on disk as its own once it holds what they wrote
  (no "File Changed" dialog on its next save; ``src/notebook/disk.ts``).

What the chats' logs keep (:mod:`.log`): a page that went away may come back with its
old copy (a dropped connection, not a closed tab: the server cannot tell them apart), so
once a page has gone, the operations are kept even after the file holds them, until a
page saves the notebook (its copy is then the file, which holds them).

**Real-time collaboration.** When the server has it (:mod:`.rooms`: jupyter-collaboration
or jupyter-server-documents, found with no configuration), neither of the above: the
operations go into the notebook's room (:mod:`.room_writer`), which every collaborator's
page shows and which saves the file. Pages are then only told which cells changed
(``ops`` with ``shared``), never asked to apply them or about the notebook.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import Any, Protocol

from .file_writer import FileWriter, NotebookFileError, Write
from .log import OpLog
from .ops import LIVE_OPS, Facts, Op, applied
from .room_writer import RoomWriter
from .rooms import Rooms

log = logging.getLogger(__name__)

INSPECT_TIMEOUT = 15.0
"""Seconds a page has to answer a question about its notebook before it is asked again
(or, once it has gone, the file is)."""
MAX_WRITES = 20


class Page(Protocol):
    """A connected page (a websocket); ``closed`` once it has gone."""

    @property
    def closed(self) -> bool: ...

    def send(self, message: dict[str, Any]) -> None: ...


class NotebookDocument:
    """One notebook as the agent changes it."""

    def __init__(
        self, path: str, *, file: FileWriter, grace: float, rooms: Rooms | None = None
    ) -> None:
        self.path = path
        self.file = file
        self.grace = grace
        self.pages: dict[Page, None] = {}
        self.logs: dict[str, OpLog] = {}
        self.room: RoomWriter | None = None
        if rooms is not None:
            self.room = RoomWriter(
                lambda: self.path,
                rooms,
                self.logs,
                trusted=lambda: not self.untrusted and self.file.keep_trust(),
            )
        self.writes: list[Write] = []
        """Our writes of the file since a page last saved it."""
        self._file_mode = True  # until a page says it has the notebook open
        self._gone = False  # a page went away since the notebook was last saved by one
        self.untrusted = False
        """The last action's request asked for the agent's outputs to be untrusted
        (:meth:`begin_action`): a write then leaves the notebook's signature alone."""
        self._writing = False
        self._grace: asyncio.TimerHandle | None = None
        self._writer_changed = asyncio.Event()
        self._questions: dict[str, tuple[Page, asyncio.Future[Facts]]] = {}
        self._lock = asyncio.Lock()
        self._flushes: set[asyncio.Task[None]] = set()

    @property
    def shared(self) -> bool:
        """Whether the notebook is edited through its collaboration room."""
        return self.room is not None and self.room.rooms.active

    # -- pages -----------------------------------------------------------------------------
    def hold(self, page: Page, applied: dict[str, int]) -> None:
        """``page`` has the notebook open, holding the operations up to ``applied``."""
        self.pages[page] = None
        if self.shared:
            return  # the room gives it everything
        self._cancel_grace()
        self._file_mode = False
        self._signal()
        for chat_id, oplog in self.logs.items():
            missing = oplog.since(applied.get(chat_id, 0))
            if missing or self.writes:
                page.send(self._message(chat_id, missing, catch_up=True))

    def release(self, page: Page) -> None:
        """``page`` closed the notebook, or its connection is gone."""
        if page in self.pages:
            del self.pages[page]
            self._gone = not self.shared
        for query_id, (asked, future) in list(self._questions.items()):
            if asked is page and not future.done():
                future.cancel()
                self._questions.pop(query_id, None)
        if self.shared:
            return
        if not self._live_pages() and self._grace is None and not self._file_mode:
            loop = asyncio.get_running_loop()
            self._grace = loop.call_later(self.grace, self._grace_over)

    def _live_pages(self) -> list[Page]:
        return [page for page in self.pages if not page.closed]

    def _cancel_grace(self) -> None:
        if self._grace is not None:
            self._grace.cancel()
            self._grace = None

    def _grace_over(self) -> None:
        self._grace = None
        if self._live_pages():
            return
        self._file_mode = True
        self._signal()
        self._flush_soon()

    def _signal(self) -> None:
        self._writer_changed.set()
        self._writer_changed = asyncio.Event()

    @property
    def in_file_mode(self) -> bool:
        return self._file_mode

    # -- operations ------------------------------------------------------------------------
    def attach(self, chat_id: str, oplog: OpLog) -> None:
        self.logs[chat_id] = oplog

    def detach(self, chat_id: str) -> None:
        """Chat ``chat_id`` was deleted: its operations go nowhere any more."""
        self.logs.pop(chat_id, None)

    def emit(self, chat_id: str, ops: list[Op]) -> None:
        """Deliver ``ops`` (numbered by the chat's log) to whoever holds the notebook."""
        if not ops:
            return
        if self.room is not None and self.shared:
            self.room.emit(chat_id, ops)
            # Pages see the cells through the room; they are told which changed (to
            # show them), not sent the stream itself.
            seen = [op for op in ops if op["op"] not in LIVE_OPS or op["op"] == "running"]
            if seen:
                message = {**self._message(chat_id, seen), "shared": True}
                for page in self._live_pages():
                    page.send(message)
            return
        pages = self._live_pages()
        if pages:
            message = self._message(chat_id, ops)
            for page in pages:
                page.send(message)

    def _message(self, chat_id: str, ops: list[Op], *, catch_up: bool = False) -> dict[str, Any]:
        message: dict[str, Any] = {"type": "ops", "path": self.path, "chat_id": chat_id, "ops": ops}
        if catch_up and self.writes:
            message["disk"] = [write.to_json() for write in self.writes]
        return message

    async def begin_action(self, *, untrusted: bool | None = None) -> None:
        """An action starts changing the notebook (with collaboration, its room is held
        from now on: see :mod:`.room_writer`); ``untrusted``: whether its request asked
        for the agent's outputs to be treated as untrusted (None: a change that brings no
        outputs, such as an undo, leaves that as it was)."""
        if untrusted is not None:
            self.untrusted = untrusted
        if self.room is not None and self.shared:
            await self.room.begin()

    def end_action(self) -> None:
        if self.room is not None and self.shared:
            self.room.end()

    async def checkpoint(self) -> None:
        """An action ended: with no page, the file gets what it lacks now (with
        collaboration: the room has it all)."""
        if self.room is not None and self.shared:
            await self.room.drained()
            return
        if self._file_mode and not self._live_pages():
            await self.flush()

    def _flush_soon(self) -> None:
        task = asyncio.ensure_future(self.flush())
        self._flushes.add(task)
        task.add_done_callback(self._flushes.discard)

    async def flush(self) -> None:
        """Write what the file lacks (one write at a time)."""
        if self.room is not None and self.shared:
            await self.room.drained()
            return
        async with self._lock:
            if self._live_pages():
                return  # a page came back meanwhile: it has them
            self._writing = True
            try:
                write = await self.file.write(self.path, self.logs, keep_trust=not self.untrusted)
            except NotebookFileError as error:
                log.warning("CodeAct: %s; the operations are kept for a page", error)
                return
            finally:
                self._writing = False
            if write is None:
                return
            self.writes = [*self.writes, write][-MAX_WRITES:]
            if not self._gone:  # nobody can come back with an older copy
                self._forget(write.applied)

    async def saved(self) -> None:
        """The file was saved (by anyone): what it holds need no longer be kept, and a
        save by a page ends the history of our writes that pages may take over."""
        if self._writing or self._lock.locked():
            return  # our own write (its save event)
        current = await self.file.hash(self.path)
        if self.writes and current == self.writes[-1].after:
            return  # our own write
        self.writes = []
        try:
            metadata = await self.file.metadata(self.path)
        except NotebookFileError:
            return
        self._forget(applied(metadata))
        self._gone = False

    def _forget(self, marks: dict[str, int]) -> None:
        for chat_id, oplog in self.logs.items():
            if chat_id in marks:
                oplog.saved(marks[chat_id])

    # -- questions -------------------------------------------------------------------------
    async def inspect(self, chat_id: str, query: dict[str, Any]) -> Facts:
        """What the notebook holds of a cell (:meth:`.ops.Cells.inspect`), asked of a page
        that has it open, else of the file (after the grace period); with collaboration,
        of the room."""
        if self.room is not None and self.shared:
            return await self.room.inspect(chat_id, query)
        while True:
            pages = self._live_pages()
            if pages:
                facts = await self._ask(pages[0], chat_id, query)
                if facts is not None:
                    return facts
                continue
            if self._file_mode:
                return await self.file.facts(self.path, chat_id, query)
            await self._writer_changed.wait()

    async def _ask(self, page: Page, chat_id: str, query: dict[str, Any]) -> Facts | None:
        query_id = uuid.uuid4().hex
        future: asyncio.Future[Facts] = asyncio.get_running_loop().create_future()
        self._questions[query_id] = (page, future)
        page.send(
            {
                "type": "inspect",
                "query_id": query_id,
                "path": self.path,
                "chat_id": chat_id,
                **query,
            }
        )
        try:
            return await asyncio.wait_for(future, INSPECT_TIMEOUT)
        except (asyncio.TimeoutError, asyncio.CancelledError):
            # Gone, or not answering: it no longer counts as holding the notebook.
            self.release(page)
            return None
        finally:
            self._questions.pop(query_id, None)

    def answer(self, query_id: str, facts: Facts) -> bool:
        question = self._questions.get(query_id)
        if question is None or question[1].done():
            return False
        question[1].set_result(facts)
        return True

    async def close(self) -> None:
        """The server is stopping: with no page, the file gets what it lacks."""
        if self.room is not None and self.shared:
            await self.room.close()
            return
        self._cancel_grace()
        for task in list(self._flushes):
            with contextlib.suppress(Exception):
                await task
        if not self._live_pages():
            await self.flush()


class Documents:
    """The notebooks the chats of this server change, by path."""

    def __init__(self, file: FileWriter, *, grace: float, rooms: Rooms | None = None) -> None:
        self.file = file
        self.grace = grace
        self.rooms = rooms
        self._documents: dict[str, NotebookDocument] = {}

    def get(self, path: str) -> NotebookDocument:
        document = self._documents.get(path)
        if document is None:
            document = NotebookDocument(path, file=self.file, grace=self.grace, rooms=self.rooms)
            self._documents[path] = document
        return document

    def find(self, path: str) -> NotebookDocument | None:
        return self._documents.get(path)

    def renamed(self, old: str, new: str) -> None:
        document = self._documents.pop(old, None)
        if document is not None:
            document.path = new
            self._documents[new] = document

    def answer(self, query_id: str, facts: Facts) -> None:
        for document in self._documents.values():
            if document.answer(query_id, facts):
                return

    async def saved(self, path: str) -> None:
        document = self._documents.get(path)
        if document is not None and (document.logs or document.writes):
            await document.saved()

    async def close(self) -> None:
        await asyncio.gather(
            *(document.close() for document in self._documents.values()), return_exceptions=True
        )
