"""The chat store, read-only: each chat file is checked as the server checks it
(:func:`jupyter_codeact.server.chat_file.decode`); one that fails is reported and skipped,
and left where it is (the server sets damaged files aside itself, and may be running).

A chat keeps its steps, each with the messages the model was sent for it across all its
requests (:mod:`jupyter_codeact.server.history` reads them, and the messages of a chat
saved before steps): those messages, in order, are what is exported.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from ..server.chat_file import ChatFileError, ChatRecord, decode
from ..server.history import conversation
from ..server.store import ChatStore, valid_chat_id
from .notebooks import Unreadable
from .trajectory import Trajectory, uses_tool_calls


@dataclass(frozen=True)
class ChatSelection:
    """Which chats to export: all (the default), these ids, or those of these notebooks."""

    ids: frozenset[str] = frozenset()
    notebooks: frozenset[str] = field(default_factory=frozenset)
    """Real paths of notebook files."""

    @property
    def everything(self) -> bool:
        return not self.ids and not self.notebooks

    @classmethod
    def of(cls, ids: list[str] | None, notebooks: list[str] | None) -> ChatSelection:
        return cls(
            ids=frozenset(ids or ()),
            notebooks=frozenset(os.path.realpath(path) for path in notebooks or ()),
        )


def chat_files(directory: Path) -> list[Path]:
    """The chat files of a store folder, sorted (others, such as ``*.corrupt``, ignored)."""
    if not directory.is_dir():
        return []
    return sorted(file for file in directory.glob("*.json") if valid_chat_id(file.stem))


def is_chat_store(directory: Path) -> bool:
    return bool(chat_files(directory))


def read_chat(file: Path) -> ChatRecord:
    """The checked record in ``file``; :class:`Unreadable` says what is wrong with it."""
    try:
        text = file.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise Unreadable("not UTF-8 text") from error
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from error
    try:
        return decode(text, file.stem)
    except ChatFileError as error:
        raise Unreadable(str(error)) from error


def notebook_of(record: ChatRecord) -> str:
    """The real path of the chat's notebook (format-1 chats only know a relative path)."""
    info = record.info
    root = info.get("root")
    if not root:
        return os.path.normpath(info["path"])
    return os.path.realpath(ChatStore(Path()).location(info["path"], root))


def selected(record: ChatRecord, selection: ChatSelection) -> bool:
    if selection.everything or record.info["id"] in selection.ids:
        return True
    if not selection.notebooks:
        return False
    location = notebook_of(record)
    if not os.path.isabs(location):
        location = os.path.realpath(location)  # a format-1 chat: relative to here, at best
    return location in selection.notebooks


def chat_trajectory(record: ChatRecord, label: str) -> Trajectory:
    """The chat's conversation; it succeeded if its last request got an answer."""
    entries = record.entries
    if record.steps:  # the steps say it: the last request's run ended with an answer
        kinds = [step.get("type") for step in record.steps]
        last_request = max((i for i, k in enumerate(kinds) if k == "request"), default=-1)
        answered = "answer" in kinds[last_request + 1 :]
    else:  # a chat saved before steps: its entries say it
        last_request = max(
            (i for i, entry in enumerate(entries) if entry.get("role") == "user"), default=-1
        )
        answered = any(entry.get("role") == "final" for entry in entries[last_request + 1 :])
    models = [e.get("model") for e in entries if e.get("role") == "user"]
    model = next((m for m in reversed(models) if isinstance(m, str) and m), None)
    messages = list(conversation(record).messages)
    return Trajectory(
        kind="chat",
        source=label,
        key=record.info["id"],
        messages=messages,
        model=model,
        success=answered,
        action_style="tools" if uses_tool_calls(messages) else "tags",
        details={"chat_id": record.info["id"], "notebook": record.info["path"]},
    )
