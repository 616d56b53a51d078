"""Saving a chat: soon after each change, off the event loop, and what a restart finds.

Changes within ``SAVE_DELAY`` make one write, done on a thread (the loop also carries
the notebook kernel's messages; a disk wait there slows cells). The record is encoded on
the loop (a consistent snapshot) with the model's conversation and the chat's document
operations not yet in the notebook file.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import Callable

from ..core.steps import InterruptedStep
from .chat_file import ChatRecord
from .history import conversation
from .store import ChatStore

log = logging.getLogger(__name__)

SAVE_DELAY = 0.5
SERVER_STOPPED = (
    "The server stopped while the agent was working, so its last step did not finish: check "
    "the notebook's last cells, then ask again to continue."
)


class ChatSaver:
    def __init__(
        self,
        record: ChatRecord,
        store: ChatStore,
        *,
        before_write: Callable[[], None] = lambda: None,
    ) -> None:
        """``before_write()`` brings the record up to date (the agent's messages, the
        operation log) just before it is encoded."""
        self.record = record
        self.store = store
        self._before_write = before_write
        self._dirty = False
        self._later: asyncio.TimerHandle | None = None
        self._lock = asyncio.Lock()

    def soon(self) -> None:
        """Save within ``SAVE_DELAY``."""
        self._dirty = True
        if self._later is None:
            loop = asyncio.get_running_loop()
            self._later = loop.call_later(SAVE_DELAY, lambda: asyncio.ensure_future(self.flush()))

    def changed(self) -> None:
        """Mark the record changed without scheduling a write (the next one takes it)."""
        self._dirty = True

    async def flush(self) -> None:
        """Write pending changes now."""
        if self._later is not None:
            self._later.cancel()
            self._later = None
        async with self._lock:  # one write at a time, each of the newest state
            if not self._dirty:
                return
            self._dirty = False
            self._before_write()
            text = self.store.encode(self.record)
            try:
                await asyncio.get_running_loop().run_in_executor(
                    None, self.store.write, self.record.info["id"], text
                )
            except OSError:
                log.exception("CodeAct: could not save chat %s", self.record.info["id"])


def recover(record: ChatRecord, store: ChatStore) -> None:
    """Close what a run left open when the server stopped in the middle of it.

    Entries saved mid-run would otherwise show "Running..." forever, and the model's
    history would end with an action whose outcome it never heard (its steps say so).
    """
    unfinished = False
    for entry in record.entries:
        if entry.get("streaming"):
            entry["streaming"] = False
            unfinished = True
        if entry.get("role") == "action" and entry.get("phase") != "finished":
            entry["phase"] = "finished"
            unfinished = True
    if not unfinished:
        return
    record.entries.append(
        {
            "id": uuid.uuid4().hex,
            "time": time.time(),
            "role": "error",
            "kind": "interrupted",
            "text": SERVER_STOPPED,
        }
    )
    # The model hears that its last action's outcome is unknown, as that action's answer.
    steps = conversation(record)
    if steps.answer_open_action(SERVER_STOPPED, InterruptedStep):
        record.steps, record.messages = steps.to_json(), []
    store.save(record)
