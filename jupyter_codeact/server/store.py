"""Chats on disk: one JSON file per chat, written atomically, outside the notebooks.

A chat belongs to one notebook file: its ``info`` records the real path of the server
root and the notebook's path below it, so servers started in different folders (sharing
the one store of the user) never see each other's chats, while two servers whose roots
nest see the same file's chat.

Files are checked when read (:mod:`.chat_file`); one that fails is moved aside as
``*.corrupt`` and reported (server log, and the panel of its notebook when the file still
names it), and every other chat goes on working.

Chats saved before roots were recorded (format 1) are matched to a notebook only where
that is unambiguous: when the notebook holds a cell that the chat wrote (its provenance
metadata names the chat). Until then they are kept, unlisted.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
import time
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from .chat_file import ChatFileError, ChatRecord, NewerFormat, decode, recover_location
from .protocol import ChatInfo

__all__ = ["ChatProblem", "ChatRecord", "ChatStore", "default_chats_dir", "valid_chat_id"]

_ID = re.compile(r"^[0-9a-f]{32}$")
CELL_METADATA_KEY = "codeact"
"""Where the panel records a cell's provenance (``chat_id``...): ``src/tokens.ts``."""


def default_chats_dir() -> Path:
    """Where chats are kept unless ``c.CodeActExtension.chats_dir`` says otherwise."""
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "codeact" / "chats"


def valid_chat_id(chat_id: str) -> bool:
    """Chat ids name files: only our own hex ids are accepted (no path tricks)."""
    return bool(_ID.match(chat_id))


@dataclass(frozen=True)
class ChatProblem:
    """A chat file that could not be read, and where it went."""

    chat_id: str
    reason: str
    moved_to: str | None
    root: str | None
    path: str | None
    """The notebook the file named, when that could still be read from it."""

    def message(self) -> str:
        where = (
            f"its file was moved to {self.moved_to}"
            if self.moved_to
            else "its file could not be moved aside and is ignored"
        )
        return f"A chat of this notebook could not be read ({self.reason}): {where}."


class ChatStore:
    """The chats of one server: files in ``directory`` (created on first write), for the
    notebooks below ``server_root``."""

    def __init__(
        self,
        directory: Path,
        *,
        server_root: str | Path = "",
        log: logging.Logger | None = None,
    ) -> None:
        self.root = directory
        self.server_root = os.path.realpath(server_root) if server_root else ""
        self.log = log or logging.getLogger(__name__)
        self.problems: list[ChatProblem] = []
        self._index: dict[str, ChatInfo] | None = None
        self._legacy: dict[str, ChatInfo] = {}
        self._sizes: dict[str, int] = {}

    # -- where a notebook is -----------------------------------------------------------------
    def location(self, path: str, root: str | None = None) -> str:
        """The real location of notebook ``path`` below ``root`` (default: this server's)."""
        base = self.server_root if root is None else root
        return os.path.normpath(os.path.join(base, path.lstrip("/"))) if base else path

    def _relative(self, info: ChatInfo) -> str | None:
        """``info``'s notebook as a path below this server's root, or None if it is not."""
        if not self.server_root:
            return info["path"]
        root = info.get("root")
        if root is None:
            return None
        location = self.location(info["path"], root)
        if location == self.server_root or not location.startswith(
            self.server_root.rstrip(os.sep) + os.sep
        ):
            return None
        return os.path.relpath(location, self.server_root).replace(os.sep, "/")

    # -- files -------------------------------------------------------------------------------
    def _file(self, chat_id: str) -> Path:
        if not valid_chat_id(chat_id):
            raise KeyError(chat_id)
        return self.root / f"{chat_id}.json"

    def _load_index(self) -> dict[str, ChatInfo]:
        if self._index is None:
            # Built aside and swapped in whole: a failure never leaves a partial index.
            index: dict[str, ChatInfo] = {}
            legacy: dict[str, ChatInfo] = {}
            files = sorted(self.root.glob("*.json")) if self.root.is_dir() else []
            for file in files:
                record = self._read(file)
                if record is None:
                    continue
                target = legacy if "root" not in record.info else index
                target[record.info["id"]] = record.info
            self._index, self._legacy = index, legacy
            if legacy:
                self.log.info(
                    "CodeAct: %d chat(s) in %s predate chats kept per server root; each is "
                    "matched to its notebook, when opened, by the cells it wrote there.",
                    len(legacy),
                    self.root,
                )
        return self._index

    def _read(self, file: Path) -> ChatRecord | None:
        """The record in ``file``, or None (missing; or damaged, and then moved aside)."""
        chat_id = file.stem
        if not valid_chat_id(chat_id):
            return None
        try:
            text = file.read_text(encoding="utf-8")
        except FileNotFoundError:
            return None
        except UnicodeDecodeError:
            self._set_aside(file, "the file is not UTF-8 text", text="")
            return None
        except OSError as error:
            self.log.warning("CodeAct: cannot read the chat file %s (%s)", file, error)
            return None
        try:
            record = decode(text, chat_id)
        except NewerFormat as error:
            self.log.warning("CodeAct: ignoring the chat file %s (%s)", file, error)
            return None
        except ChatFileError as error:
            self._set_aside(file, str(error), text=text)
            return None
        self._sizes[chat_id] = len(text)
        return record

    def _set_aside(self, file: Path, reason: str, *, text: str) -> None:
        """Move a damaged file out of the way (kept for the user), say so, and forget it."""
        chat_id = file.stem
        moved: Path | None = None
        for attempt in range(100):
            suffix = ".corrupt" if attempt == 0 else f".{attempt}.corrupt"
            candidate = file.with_name(file.name + suffix)
            if candidate.exists():
                continue
            try:
                os.replace(file, candidate)
            except FileNotFoundError:
                return  # another server moved it first
            except OSError as error:
                self.log.error(
                    "CodeAct: the chat file %s could not be read (%s) nor moved aside (%s); "
                    "it is ignored.",
                    file,
                    reason,
                    error,
                )
            else:
                moved = candidate
            break
        if moved is not None:
            self.log.warning(
                "CodeAct: the chat file %s could not be read (%s); moved it to %s. The other "
                "chats are not affected.",
                file,
                reason,
                moved,
            )
        root, path = recover_location(text)
        self.problems.append(
            ChatProblem(chat_id, reason, str(moved) if moved else None, root, path)
        )
        for index in (self._index, self._legacy):
            if index is not None:
                index.pop(chat_id, None)

    def problems_for(self, path: str) -> list[ChatProblem]:
        """The damaged files that named notebook ``path`` of this server."""
        location = self.location(path)
        return [
            problem
            for problem in self.problems
            if problem.path is not None
            and (
                self.location(problem.path, problem.root) == location
                if problem.root
                else problem.path == path
            )
        ]

    def problem_of(self, chat_id: str) -> ChatProblem | None:
        return next((p for p in reversed(self.problems) if p.chat_id == chat_id), None)

    # -- chats -------------------------------------------------------------------------------
    def create(self, path: str, title: str = "") -> ChatRecord:
        now = time.time()
        info: ChatInfo = {
            "id": uuid.uuid4().hex,
            "path": path,
            "title": title or "New chat",
            "created": now,
            "updated": now,
            "root": self.server_root,
        }
        record = ChatRecord(info=info)
        self.save(record)
        return record

    def load(self, chat_id: str) -> ChatRecord | None:
        """The chat, as a chat of this server (its path below this root), or None."""
        try:
            file = self._file(chat_id)
        except KeyError:
            return None
        record = self._read(file)
        if record is None or "root" not in record.info:
            return None  # a format-1 chat is served once matched (see :meth:`claim`)
        path = self._relative(record.info)
        if path is None:
            return None  # another project's chat
        record.info["path"], record.info["root"] = path, self.server_root
        return record

    def save(self, record: ChatRecord) -> None:
        """Encode and write ``record`` now (see :meth:`encode` and :meth:`write`)."""
        self.write(record.info["id"], self.encode(record))

    def encode(self, record: ChatRecord) -> str:
        """The record as it will be written; updates its timestamp and the index.

        Separate from :meth:`write` so that a server can encode on its event loop (a
        consistent snapshot) and write on a thread (no disk wait on the loop).
        """
        record.info["updated"] = time.time()
        record.info.setdefault("root", self.server_root)
        self._load_index()[record.info["id"]] = dict(record.info)  # type: ignore[assignment]
        self._legacy.pop(record.info["id"], None)
        text = json.dumps(record.to_json(), ensure_ascii=False)
        self._sizes[record.info["id"]] = len(text)
        return text

    def size(self, chat_id: str) -> int:
        """Characters of the chat's file when last read or encoded (0 if unknown)."""
        return self._sizes.get(chat_id, 0)

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
        """Delete a chat of this server (as :meth:`load` finds it): another project's chat,
        or one not matched to a notebook yet, is left alone (False)."""
        if self.load(chat_id) is None:
            return False
        try:
            self._file(chat_id).unlink()
        except (KeyError, FileNotFoundError):
            return False
        self._load_index().pop(chat_id, None)
        self._legacy.pop(chat_id, None)
        self._sizes.pop(chat_id, None)
        return True

    def chats_for(self, path: str) -> list[ChatInfo]:
        """The chats of notebook ``path`` of this server, most recently updated first."""
        location = self.location(path)
        chats: list[ChatInfo] = []
        for info in self._load_index().values():
            if self.location(info["path"], info.get("root", "")) == location:
                chats.append({**info, "path": path, "root": self.server_root})
        return sorted(chats, key=lambda info: info["updated"], reverse=True)

    def renamed(self, old: str, new: str) -> list[str]:
        """A file or folder of this server was renamed: move its chats along. Returns the
        chat ids moved."""
        moved = []
        prefix = old.rstrip("/") + "/"
        for chat_id, info in list(self._load_index().items()):
            path = self._relative(info)
            if path is not None and (path == old or path.startswith(prefix)):
                record = self.load(chat_id)
                if record is None:
                    continue
                record.info["path"] = new + path[len(old) :]
                self.save(record)
                moved.append(chat_id)
        return moved

    # -- format-1 chats ------------------------------------------------------------------------
    def unmatched(self, path: str) -> list[str]:
        """Format-1 chats that name notebook ``path`` and are not matched to a root yet."""
        self._load_index()
        return [chat_id for chat_id, info in self._legacy.items() if info["path"] == path]

    def provenance(self, path: str) -> set[str]:
        """The chat ids named by the cells of notebook ``path`` of this server (file I/O:
        call it off the event loop). Empty when it cannot be read."""
        if not self.server_root:
            return set()
        try:
            with open(self.location(path), encoding="utf-8") as handle:
                notebook = json.load(handle)
        except (OSError, ValueError, RecursionError):
            return set()
        cells = notebook.get("cells") if isinstance(notebook, dict) else None
        found = set()
        for cell in cells if isinstance(cells, list) else ():
            metadata = cell.get("metadata") if isinstance(cell, dict) else None
            mark = metadata.get(CELL_METADATA_KEY) if isinstance(metadata, dict) else None
            if isinstance(mark, dict) and isinstance(mark.get("chat_id"), str):
                found.add(mark["chat_id"])
        return found

    def claim(self, path: str, evidence: Iterable[str], *, named: str | None = None) -> list[str]:
        """Match to notebook ``path`` of this server the format-1 chats naming ``named``
        (default: ``path``; it differs after a rename) that wrote cells of it (``evidence``:
        :meth:`provenance`); returns their ids."""
        chat_ids = set(evidence)
        claimed = []
        for chat_id in self.unmatched(named or path):
            if chat_id not in chat_ids:
                continue
            record = self._read(self._file(chat_id))
            if record is None:
                continue
            record.info["root"], record.info["path"] = self.server_root, path
            self.save(record)
            claimed.append(chat_id)
            self.log.info("CodeAct: chat %s matched to %s", chat_id, self.location(path))
        return claimed
