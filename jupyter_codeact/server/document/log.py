"""A chat's log of document operations: numbered, kept until the notebook file holds them.

Every operation a chat emits gets the next number (``seq``) of that chat; the numbers
survive a server restart (they are saved with the chat), so a page that applied up to 50
is never sent an older 50 again. The log keeps what a notebook might still be missing:
the lasting operations (cells, sources, provenance, each run's final ``outputs``) above
the number the file is known to hold. Live operations (``stream``, ``output``,
``running``) are sent as they happen and never kept; instead, the cell that is running
now has its outputs so far kept as one ``outputs`` (see :meth:`OpLog.since`). So a page
that comes back, or the file writer, is sent exactly what it lacks, once, and the log
stays as small as what is not yet saved.

The file holding them is not always enough (see :mod:`.hub`: a page that lost its
connection comes back with an older copy); they are kept until a page saves the notebook,
within ``MAX_KEPT_CHARS``. The kept operations are saved with the chat
(:class:`~..chat_file.ChatRecord`), for a page that reloads after a server restart.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from .ops import LIVE_OPS, Op, set_outputs

MAX_KEPT_CHARS = 8_000_000
"""Past this much (JSON characters) of operations not yet in the file, the oldest go: a
page reloaded without saving then misses them (the chat still shows every step)."""


def _size(op: Op) -> int:
    # An estimate, without encoding: outputs dominate, and their text is what counts.
    return len(repr(op))


class OpLog:
    """The operations of one chat."""

    def __init__(self, *, seq: int = 0, kept: Iterable[Op] = ()) -> None:
        self.seq = seq
        """The number of the last operation."""
        self._kept: deque[tuple[Op, int]] = deque((op, _size(op)) for op in kept)
        self._kept_chars = sum(size for _, size in self._kept)
        self._running: tuple[str, Callable[[], list[dict[str, Any]]]] | None = None
        self._running_seq = 0
        self.dirty = False
        """Something to save with the chat (kept operations or the number changed)."""

    def add(self, ops: Iterable[Op]) -> list[Op]:
        """Number ``ops`` (in place) and keep the lasting ones; returns them numbered."""
        numbered: list[Op] = []
        for op in ops:
            self.seq += 1
            op["seq"] = self.seq
            numbered.append(op)
            if op["op"] not in LIVE_OPS:
                self._keep(op)
            elif self._running is not None and op.get("cell_id") == self._running[0]:
                self._running_seq = self.seq
        self.dirty = True
        return numbered

    def _keep(self, op: Op) -> None:
        size = _size(op)
        self._kept.append((op, size))
        self._kept_chars += size
        while self._kept_chars > MAX_KEPT_CHARS and len(self._kept) > 1:
            _, dropped = self._kept.popleft()
            self._kept_chars -= dropped

    def running(
        self, cell_id: str | None, outputs: Callable[[], list[dict[str, Any]]] | None = None
    ) -> None:
        """The cell whose run is going on (None: none), and how to read its outputs so far:
        what a page that comes back mid-run is sent instead of the live operations it
        missed."""
        self._running = None if cell_id is None or outputs is None else (cell_id, outputs)
        self._running_seq = self.seq

    @property
    def kept(self) -> list[Op]:
        return [op for op, _ in self._kept]

    @property
    def first(self) -> int:
        """The number of the oldest kept operation (``seq + 1`` when none is kept)."""
        return self._kept[0][0]["seq"] if self._kept else self.seq + 1

    def since(self, applied: int) -> list[Op]:
        """What a notebook that applied up to ``applied`` lacks, in order."""
        missing = [op for op, _ in self._kept if op["seq"] > applied]
        if self._running is not None and self._running_seq > applied:
            cell_id, outputs = self._running
            state = set_outputs(cell_id, outputs(), None)
            state["running"] = True
            state["seq"] = self._running_seq
            missing.append(state)
        return missing

    def saved(self, applied: int) -> None:
        """The notebook file holds the operations up to ``applied``: stop keeping them."""
        changed = False
        while self._kept and self._kept[0][0]["seq"] <= applied:
            _, size = self._kept.popleft()
            self._kept_chars -= size
            changed = True
        if changed:
            self.dirty = True
