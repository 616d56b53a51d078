"""Chats on disk: one JSON file per chat, written atomically, outside the notebooks."""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .protocol import ChatEntry, ChatInfo

log = logging.getLogger(__name__)

FORMAT_VERSION = 1
_ID = re.compile(r"^[0-9a-f]{32}$")


@dataclass
class ChatRecord:
    """Everything a chat needs to survive a reload or a server restart."""

    info: ChatInfo
    entries: list[ChatEntry] = field(default_factory=list)
    messages: list[dict[str, Any]] = field(default_factory=list)
    """The LLM conversation (system prompt included), so a follow-up keeps its context."""
    turn: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "version": FORMAT_VERSION,
            "info": self.info,
            "entries": self.entries,
            "messages": self.messages,
            "turn": self.turn,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ChatRecord:
        return cls(
            info=data["info"],
            entries=list(data.get("entries", [])),
            messages=list(data.get("messages", [])),
            turn=int(data.get("turn", 0)),
        )


def valid_chat_id(chat_id: str) -> bool:
    """Chat ids name files: only our own hex ids are accepted (no path tricks)."""
    return bool(_ID.match(chat_id))


class ChatStore:
    """The chats of one server, in ``root`` (created on first write)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._index: dict[str, ChatInfo] | None = None

    def _file(self, chat_id: str) -> Path:
        if not valid_chat_id(chat_id):
            raise KeyError(chat_id)
        return self.root / f"{chat_id}.json"

    def _load_index(self) -> dict[str, ChatInfo]:
        if self._index is None:
            self._index = {}
            for file in self.root.glob("*.json") if self.root.is_dir() else ():
                record = self._read(file)
                if record is not None:
                    self._index[record.info["id"]] = record.info
        return self._index

    def _read(self, file: Path) -> ChatRecord | None:
        try:
            return ChatRecord.from_json(json.loads(file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            return None
        except (ValueError, KeyError, TypeError) as error:
            # A damaged file must not take the other chats down with it.
            log.warning("CodeAct: ignoring unreadable chat file %s (%s)", file, error)
            return None

    def create(self, path: str, title: str = "") -> ChatRecord:
        now = time.time()
        info: ChatInfo = {
            "id": uuid.uuid4().hex,
            "path": path,
            "title": title or "New chat",
            "created": now,
            "updated": now,
        }
        record = ChatRecord(info=info)
        self.save(record)
        return record

    def load(self, chat_id: str) -> ChatRecord | None:
        try:
            file = self._file(chat_id)
        except KeyError:
            return None
        return self._read(file)

    def save(self, record: ChatRecord) -> None:
        """Encode and write ``record`` now (see :meth:`encode` and :meth:`write`)."""
        self.write(record.info["id"], self.encode(record))

    def encode(self, record: ChatRecord) -> str:
        """The record as it will be written; updates its timestamp and the index.

        Separate from :meth:`write` so that a server can encode on its event loop (a
        consistent snapshot) and write on a thread (no disk wait on the loop).
        """
        record.info["updated"] = time.time()
        self._load_index()[record.info["id"]] = dict(record.info)  # type: ignore[assignment]
        return json.dumps(record.to_json(), ensure_ascii=False)

    def write(self, chat_id: str, text: str) -> None:
        """Write atomically: a crash mid-write leaves the previous version, never half."""
        target = self._file(chat_id)
        self.root.mkdir(parents=True, exist_ok=True)
        handle, temporary = tempfile.mkstemp(dir=self.root, prefix=".chat-", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def delete(self, chat_id: str) -> bool:
        try:
            self._file(chat_id).unlink()
        except (KeyError, FileNotFoundError):
            return False
        self._load_index().pop(chat_id, None)
        return True

    def chats_for(self, path: str) -> list[ChatInfo]:
        """The chats of notebook ``path``, most recently updated first."""
        chats = [info for info in self._load_index().values() if info["path"] == path]
        return sorted(chats, key=lambda info: info["updated"], reverse=True)

    def renamed(self, old: str, new: str) -> list[str]:
        """A file or folder was renamed: move its chats along. Returns the chat ids moved."""
        moved = []
        for chat_id, info in list(self._load_index().items()):
            path = info["path"]
            if path == old or path.startswith(old.rstrip("/") + "/"):
                record = self.load(chat_id)
                if record is None:
                    continue
                record.info["path"] = new + path[len(old) :]
                self.save(record)
                moved.append(chat_id)
        return moved
