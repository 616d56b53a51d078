"""Apply document operations to a notebook's ``.ipynb`` through the contents manager.

Used while no page has the notebook open. Each write reads the file as text, applies the
operations it lacks (its metadata says, per chat, up to which one it holds), splices the
result into the text (:mod:`.splice`: every other byte stays) and saves it as a whole
file through the contents manager, which writes atomically (a temporary file renamed
over the old one) and runs the server's save hooks. A notebook that was trusted stays
trusted (its signature is renewed for the new content): the agent's outputs come from
the user's own kernel, as a cell the user runs (unless untrusted agent outputs are on).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_core.utils import ensure_async

from . import splice
from .log import OpLog
from .ops import Cells, Facts, applied, set_applied

log = logging.getLogger(__name__)


class NotebookFileError(Exception):
    """The notebook file cannot be read or written; the message says why."""


@dataclass(frozen=True)
class Write:
    """One write of ours: the file's hash before and after, and what it then held."""

    before: str | None
    after: str | None
    applied: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"before": self.before, "after": self.after, "applied": self.applied}


@dataclass
class _Read:
    text: str
    hash: str | None


def _changed(
    text: str, pending: Mapping[str, list[dict[str, Any]]]
) -> tuple[str, dict[str, int]] | None:
    """The new text of the notebook with ``pending`` operations applied (None when they
    change nothing, marks included). Pure: runs in a worker thread."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookFileError("the file does not hold a notebook")
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        raise NotebookFileError("the notebook has no metadata object")
    place = splice.layout(text)
    cells = Cells(data["cells"])
    changed = False
    for chat_id, ops in pending.items():
        for op in ops:
            changed = cells.apply(op, chat_id) or changed
        if ops:
            changed = set_applied(metadata, chat_id, max(op["seq"] for op in ops)) or changed
    if not changed:
        return None
    return splice.rewrite(text, place, cells, metadata.get("codeact")), applied(metadata)


class FileWriter:
    """Reads and writes the notebooks of one contents manager."""

    def __init__(self, contents_manager: Any, *, keep_trust: Callable[[], bool]) -> None:
        """``keep_trust()``: whether a trusted notebook's signature is renewed after a
        write (False when the agent's outputs are to be treated as untrusted)."""
        self.contents = contents_manager
        self.keep_trust = keep_trust

    async def _read(self, path: str) -> _Read:
        try:
            model = await ensure_async(
                self.contents.get(path, content=True, type="file", format="text", require_hash=True)
            )
        except TypeError:  # a contents manager from before hashes
            model = await ensure_async(
                self.contents.get(path, content=True, type="file", format="text")
            )
        except Exception as error:
            raise NotebookFileError(f"{path} could not be read ({error})") from error
        content = model.get("content")
        if not isinstance(content, str):
            raise NotebookFileError(f"{path} is not a text file")
        return _Read(content, model.get("hash"))

    async def metadata(self, path: str) -> dict[str, Any]:
        """The notebook's metadata (its kernelspec, the operations it holds)."""
        read = await self._read(path)
        data = await asyncio.to_thread(json.loads, read.text)
        metadata = data.get("metadata") if isinstance(data, dict) else None
        return metadata if isinstance(metadata, dict) else {}

    async def facts(self, path: str, chat_id: str, query: Mapping[str, Any]) -> Facts:
        read = await self._read(path)

        def find() -> Facts:
            data = json.loads(read.text)
            return Cells(list(data.get("cells", []))).inspect(
                chat_id, str(query.get("ref", "")), str(query.get("cell_id", "")),
                user=bool(query.get("user")),
            )  # fmt: skip

        return await asyncio.to_thread(find)

    async def hash(self, path: str) -> str | None:
        try:
            model = await ensure_async(self.contents.get(path, content=False, require_hash=True))
        except Exception:
            return None
        value = model.get("hash")
        return value if isinstance(value, str) else None

    async def write(self, path: str, logs: Mapping[str, OpLog]) -> Write | None:
        """Apply what the file lacks of ``logs``; the write made (None: nothing to do)."""
        read = await self._read(path)
        data_marks = applied(await asyncio.to_thread(_marks_of, read.text))
        pending = {chat: log.since(data_marks.get(chat, 0)) for chat, log in logs.items()}
        pending = {chat: ops for chat, ops in pending.items() if ops}
        if not pending:
            return None
        outcome = await asyncio.to_thread(_changed, read.text, pending)
        if outcome is None:
            return None
        text, marks = outcome
        trusted = self.keep_trust() and self._trusted(read.text)
        try:
            await ensure_async(
                self.contents.save({"type": "file", "format": "text", "content": text}, path)
            )
        except Exception as error:
            raise NotebookFileError(f"{path} could not be written ({error})") from error
        if trusted:
            self._sign(text)
        return Write(before=read.hash, after=await self.hash(path), applied=marks)

    def _trusted(self, text: str) -> bool:
        notary = getattr(self.contents, "notary", None)
        if notary is None:
            return False
        try:
            import nbformat

            notebook = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
            return bool(notary.check_signature(notebook))
        except Exception:
            return False

    def _sign(self, text: str) -> None:
        try:
            import nbformat

            notebook = nbformat.reads(text, as_version=4)  # type: ignore[no-untyped-call]
            self.contents.notary.sign(notebook)
        except Exception:
            log.warning("CodeAct: could not renew the trust of a notebook it wrote", exc_info=True)


def _marks_of(text: str) -> dict[str, Any]:
    data = json.loads(text)
    metadata = data.get("metadata") if isinstance(data, dict) else None
    return metadata if isinstance(metadata, dict) else {}
