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
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from jupyter_core.utils import ensure_async

from . import splice
from .log import OpLog
from .ops import Cells, Facts, applied, set_applied


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


@dataclass
class _Change:
    text: str
    applied: dict[str, int]
    signatures: tuple[str, str] | None
    """The notary's signatures of the notebook before and after (to keep it trusted)."""


def _signature(data: dict[str, Any], notary: Any) -> str:
    """The notary's signature of a notebook, straight from its JSON: the digest covers
    every key and string in order, so a string kept as a list of lines (as in the file)
    signs the same as the joined string nbformat reads, with no copy or validation."""
    return str(notary.compute_signature(data))


def _marks(text: str) -> dict[str, int]:
    data = json.loads(text)
    metadata = data.get("metadata") if isinstance(data, dict) else None
    return applied(metadata) if isinstance(metadata, dict) else {}


def _changed(
    text: str,
    pending: Mapping[str, list[dict[str, Any]]],
    notary: Any | None,
    trust: bool | None = None,
) -> _Change | None:
    """The notebook ``text`` with ``pending`` operations applied (None when they change
    nothing, marks included), and with a notary, its signatures before (unless ``trust``
    already says whether it was trusted) and after. Pure: it runs on a worker thread."""
    data = json.loads(text)
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise NotebookFileError("the file does not hold a notebook")
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        raise NotebookFileError("the notebook has no metadata object")
    before = _signature(data, notary) if notary is not None and trust is None else ""
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
    new_text = splice.rewrite(text, place, cells, metadata.get("codeact"))
    signatures = None
    if notary is not None:
        after = {**data, "cells": cells.cells, "metadata": metadata}
        signatures = (before, _signature(after, notary))
    return _Change(new_text, applied(metadata), signatures)


class FileWriter:
    """Reads and writes the notebooks of one contents manager."""

    def __init__(self, contents_manager: Any, *, keep_trust: Callable[[], bool]) -> None:
        """``keep_trust()``: whether a trusted notebook's signature is renewed after a
        write (False when the agent's outputs are to be treated as untrusted)."""
        self.contents = contents_manager
        self.keep_trust = keep_trust
        self._trust: dict[str, tuple[str | None, bool]] = {}  # path -> (hash, trusted)

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
                user=bool(query.get("user")), with_cell=bool(query.get("cell")),
            )  # fmt: skip

        return await asyncio.to_thread(find)

    async def hash(self, path: str) -> str | None:
        try:
            model = await ensure_async(self.contents.get(path, content=False, require_hash=True))
        except Exception:
            return None
        value = model.get("hash")
        return value if isinstance(value, str) else None

    async def write(
        self, path: str, logs: Mapping[str, OpLog], *, keep_trust: bool = True
    ) -> Write | None:
        """Apply what the file lacks of ``logs``; the write made (None: nothing to do).
        ``keep_trust``: False when the request asked for untrusted agent outputs."""
        read = await self._read(path)
        marks = await asyncio.to_thread(_marks, read.text)
        pending = {chat: oplog.since(marks.get(chat, 0)) for chat, oplog in logs.items()}
        pending = {chat: ops for chat, ops in pending.items() if ops}
        if not pending:
            return None
        keep = keep_trust and self.keep_trust()
        notary = getattr(self.contents, "notary", None) if keep else None
        # Our own last write of this file: whether it is trusted is known.
        known = self._trust.get(path)
        trust = known[1] if known is not None and read.hash and known[0] == read.hash else None
        change = await asyncio.to_thread(_changed, read.text, pending, notary, trust)
        if change is None:
            return None
        # The signature store's database belongs to this (the loop's) thread.
        trusted = (
            trust
            if trust is not None
            else (
                notary is not None
                and change.signatures is not None
                and bool(notary.store.check_signature(change.signatures[0], notary.algorithm))
            )
        )
        try:
            await ensure_async(
                self.contents.save({"type": "file", "format": "text", "content": change.text}, path)
            )
        except Exception as error:
            raise NotebookFileError(f"{path} could not be written ({error})") from error
        if trusted and notary is not None and change.signatures is not None:
            notary.store.store_signature(change.signatures[1], notary.algorithm)
        after = await self.hash(path)
        self._trust[path] = (after, bool(trusted))
        return Write(before=read.hash, after=after, applied=change.applied)
