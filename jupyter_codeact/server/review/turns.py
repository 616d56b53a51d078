"""A chat's turns as the user reviews them: each turn's list of changes in the chat, and
*Undo this turn*.

Wired by the chat session: :meth:`TurnReview.begin` when a request's run starts,
:meth:`TurnReview.end` when it ends (the request's entry gets the list of what the turn
changed in the notebook, when it did), :meth:`TurnReview.undo` when a page asks, and
:meth:`TurnReview.with_note` adds to the next request's context that the user undid a
turn. The records live in the chat's file (``turns``), so all of it survives a reload,
a closed tab and a server restart.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, cast

from ..chat_file import ChatRecord
from ..document.hub import NotebookDocument
from ..entries import ChatEntries
from ..notebook_executor import NotebookExecutor
from . import undo
from .journal import TurnJournal, bound, changes_entry

log = logging.getLogger(__name__)

RUNNING = "The agent is working: wait for its run to end (or press Stop), then undo."
UNKNOWN = "This turn can no longer be undone (the chat keeps the last turns' copies only)."
DONE = "This turn was undone already."


class TurnReview:
    def __init__(
        self,
        record: ChatRecord,
        *,
        entries: ChatEntries,
        executor: NotebookExecutor,
        document: Callable[[], NotebookDocument],
        running: Callable[[], bool],
        save: Callable[[], None],
    ) -> None:
        self.record = record
        self.entries = entries
        self.executor = executor
        self._document = document
        self._running = running
        self._save = save
        self.journal = TurnJournal(record.info["id"])
        executor.journal = self.journal
        self._lock = asyncio.Lock()

    def begin(self) -> None:
        self.journal.begin()

    def end(self, request_entry: str) -> None:
        """The run of the request ``request_entry`` ended: list what it changed."""
        if not self.journal.active:
            return
        turn = self.journal.end(request_entry=request_entry)
        if turn is None:
            return
        # The request's own entry lists them (the chat's steps stay as they were).
        turn["entry_id"] = request_entry
        if self.entries.has(request_entry):
            self.entries.replace(request_entry, **changes_entry(turn))
        self.record.turns.append(turn)
        bound(self.record.turns)
        self._save()

    def _turn(self, entry_id: str) -> dict[str, Any] | None:
        turns: list[dict[str, Any]] = self.record.turns
        for turn in reversed(turns):
            if turn.get("entry_id") == entry_id:
                return cast(dict[str, Any], turn)
        return None

    async def undo(self, entry_id: str) -> str | None:
        """Take back the turn listed in entry ``entry_id``; a problem sentence if not."""
        async with self._lock:
            if self._running():
                return RUNNING
            turn = self._turn(entry_id)
            if turn is None:
                return UNKNOWN
            if turn.get("undone"):
                return DONE
            document = self._document()
            await document.begin_action()
            try:
                op, kept = await undo.plan(turn, self.executor.inspect)
                if op["remove"] or op["restore"]:
                    self.executor.emit([op])
                await document.checkpoint()
            finally:
                document.end_action()
            done = undo.outcome(op, kept)
            turn["undone"] = done
            turn["told"] = False
            self.entries.replace(entry_id, undone=done)
            self._save()
            return None

    def with_note(self, context: str | None) -> str | None:
        """``context`` for the next request, with what the model must know of undone turns
        (each said once)."""
        notes = []
        for turn in self.record.turns:
            done = turn.get("undone")
            if done and not turn.get("told"):
                notes.append(undo.note_for_model(self._request_text(turn), done))
                turn["told"] = True
        if not notes:
            return context
        self._save()
        note = "\n".join(notes)
        return f"{note}\n\n{context}" if context else note

    def _request_text(self, turn: dict[str, Any]) -> str:
        entry_id = turn.get("request_entry", "")
        if self.entries.has(entry_id):
            return str(self.entries.get(entry_id).get("text", ""))[:200]
        return ""
