"""A chat's entries: what the panel shows and what is persisted, kept in one place.

Every entry is redacted before it is stored or sent; each change is sent to the chat's
pages (``entry``) and saved soon (:mod:`.persistence`).
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from typing import Any

from ..core.redact import Redactor
from .protocol import ChatEntry


class ChatEntries:
    def __init__(
        self,
        entries: list[ChatEntry],
        *,
        redactor: Callable[[], Redactor],
        broadcast: Callable[[dict[str, Any]], None],
        save: Callable[[], None],
    ) -> None:
        self.entries = entries
        self._redactor = redactor
        self._broadcast = broadcast
        self._save = save

    def add(
        self, entry: ChatEntry | dict[str, Any], *, save: bool = True, publish: bool = True
    ) -> ChatEntry:
        full: ChatEntry = {"id": uuid.uuid4().hex, "time": time.time(), **entry}  # type: ignore[typeddict-item]
        full = self._redactor().redact_value(full)  # stored, shown: never a secret
        self.entries.append(full)
        if publish:
            self._broadcast({"type": "entry", "entry": full})
        if save:
            self._save()
        return full

    def get(self, entry_id: str) -> ChatEntry:
        for entry in self.entries[::-1]:
            if entry["id"] == entry_id:
                return entry
        raise KeyError(entry_id)

    def has(self, entry_id: str) -> bool:
        return any(entry["id"] == entry_id for entry in self.entries[::-1])

    def replace(self, entry_id: str, **changes: Any) -> None:
        entry = self.get(entry_id)
        entry.update(self._redactor().redact_value(changes))  # type: ignore[typeddict-item]
        self._broadcast({"type": "entry", "entry": entry})
        self._save()
