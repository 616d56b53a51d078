"""What one turn changed in the notebook, read off the chat's document operations.

A *turn* here is one request of the user and the whole run that answers it. While it
runs, :class:`TurnJournal` sees every operation the server emits for the notebook (the
one source of truth of what the agent changed: :mod:`..document.ops`) and every answer
the notebook gave to placement's questions (which, with :meth:`.ops.Cells.inspect`,
carry the cell as it was just before the agent changed it). From these it keeps a small
copy of the cells the turn touched, to which it applies the same operations
(:class:`.ops.Cells`); when the turn ends, it says for each cell:

- ``added``: the turn inserted it (a code cell, or an explanation above one);
- ``replaced``: it was in the notebook before the turn and the turn changed it (new code
  in an agent cell, a fix the user accepted in their cell, a failed cell cut or marked);
  its ``prior`` (nbformat JSON, outputs included) is what an undo gives back;
- with ``left``: what the turn left there (:func:`..document.undo.left_by`), which an undo
  compares with the cell as it is then, so that it never touches a cell changed since.

The record is saved with the chat (:class:`~..chat_file.ChatRecord` ``turns``), so an
undo works after a reload and after a server restart. Nothing here is on the page: the
chat entry (:func:`changes_entry`) carries only what the panel shows.
"""

from __future__ import annotations

import copy
import uuid
from typing import Any

from ..document.cells import provenance, source_text
from ..document.ops import LIVE_OPS, Cells, Facts, Op
from ..document.undo import left_by

MAX_TURNS = 30
"""Turns kept undoable per chat (older ones still list their changes)."""
MAX_PRIOR_CHARS = 4_000_000
"""Past this much (JSON characters) of cells kept for undo in one chat, the oldest turns'
go (their undo then keeps those cells, and says so)."""
MAX_SHOWN_CHARS = 20_000
"""A source shown in the chat's list of changes (for the diff) is cut past this."""


class TurnJournal:
    """Watches one turn at a time (:meth:`begin` ... :meth:`end`)."""

    def __init__(self, chat_id: str) -> None:
        self.chat_id = chat_id
        self._active = False
        self._seen: dict[str, dict[str, Any]] = {}
        self._order: list[str] = []
        self._kind: dict[str, str] = {}
        self._prior: dict[str, dict[str, Any] | None] = {}
        self._cells = Cells([])

    def begin(self) -> None:
        self._active = True
        self._seen, self._order, self._kind, self._prior = {}, [], {}, {}
        self._cells = Cells([])

    @property
    def active(self) -> bool:
        return self._active

    def inspected(self, facts: Facts) -> None:
        """The notebook answered a question: the cell it found, as it is now."""
        cell = facts.get("cell")
        if self._active and isinstance(cell, dict) and isinstance(cell.get("id"), str):
            self._seen[cell["id"]] = copy.deepcopy(cell)

    def emitted(self, ops: list[Op]) -> None:
        """Operations the chat emitted (numbered)."""
        if not self._active:
            return
        for op in ops:
            kind = op.get("op")
            if kind in LIVE_OPS or kind == "undo":
                continue
            if kind == "insert":
                self._touch(str(op["cell"].get("id", "")), "added")
            elif kind == "narrate":
                # A new explanation above a code cell of this turn (an explanation already
                # in the notebook that the turn rewrote is left as it is by an undo).
                self._cells.apply(op, self.chat_id)
                explanation = str(op["cell"].get("id", ""))
                if self._cells.find(explanation) is not None:
                    self._touch(explanation, "added")
                continue
            else:
                cell_id = str(op.get("cell_id", ""))
                if cell_id not in self._kind:
                    self._touch(cell_id, "replaced")
            self._cells.apply(op, self.chat_id)

    def _touch(self, cell_id: str, kind: str) -> None:
        if not cell_id or cell_id in self._kind:
            return
        self._order.append(cell_id)
        self._kind[cell_id] = kind
        if kind == "replaced":
            prior = self._seen.get(cell_id)
            self._prior[cell_id] = copy.deepcopy(prior) if prior is not None else None
            # The copy the operations apply to: as the notebook had it (or a stand-in).
            self._cells.items.append(_item(prior or {"id": cell_id, "cell_type": "code"}))

    def end(self, *, request_entry: str) -> dict[str, Any] | None:
        """The turn ended: its record (None when it changed nothing)."""
        self._active = False
        cells = {str(item.cell.get("id", "")): item.cell for item in self._cells.items}
        changes = []
        for cell_id in self._order:
            cell = cells.get(cell_id)
            if cell is None:
                continue  # added, then gone again within the turn
            prior = self._prior.get(cell_id)
            changes.append(
                {
                    "cell_id": cell_id,
                    "kind": self._kind[cell_id],
                    "cell_type": cell.get("cell_type", "code"),
                    "ref": (provenance(cell) or {}).get("cell", ""),
                    "role": (provenance(cell) or {}).get("role", ""),
                    "left": left_by(cell),
                    "prior": prior,
                    "restorable": self._kind[cell_id] == "added" or prior is not None,
                    "before": _shown(prior.get("source")) if prior is not None else None,
                    "after": _shown(cell.get("source")),
                }
            )
        if not changes:
            return None
        return {"id": uuid.uuid4().hex, "request_entry": request_entry, "changes": changes}


def _item(cell: dict[str, Any]) -> Any:
    from ..document.ops import Item

    return Item(copy.deepcopy(cell), dirty=False)


def _shown(source: Any) -> str:
    text = source_text(source)
    return text if len(text) <= MAX_SHOWN_CHARS else text[:MAX_SHOWN_CHARS] + "\n…"


def changes_entry(turn: dict[str, Any]) -> dict[str, Any]:
    """The fields of the request's entry that list a turn's changes (what the panel
    shows; no outputs)."""
    return {
        "turn_id": turn["id"],
        "changes": [
            {
                key: change[key]
                for key in ("cell_id", "kind", "cell_type", "ref", "role", "before", "after")
            }
            for change in turn["changes"]
        ],
    }


def bound(turns: list[dict[str, Any]]) -> None:
    """Keep what undo needs within :data:`MAX_TURNS` and :data:`MAX_PRIOR_CHARS` (in
    place): the oldest turns lose their copies first."""
    del turns[:-MAX_TURNS]
    total = 0
    for turn in reversed(turns):
        for change in turn["changes"]:
            prior = change.get("prior")
            if prior is None:
                continue
            total += len(repr(prior))
            if total > MAX_PRIOR_CHARS:
                change["prior"] = None
                change["restorable"] = False
