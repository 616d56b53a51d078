"""The ``undo`` document operation: one turn of the agent taken back, as one change.

``undo`` ``{turn_id, remove: [Left...], restore: [Left + {cell}...]}``: each ``Left`` is
``{cell_id, code_hash, execution_count?}``, what the turn left in that cell (the hash of
its source, and for a code cell its execution count). A cell is removed (the turn added
it), or given back ``cell`` (its nbformat JSON from before the turn: source, outputs,
count, metadata), **only if it still is as the turn left it**: a cell the user edited or
ran since is the user's, and stays as it is. The server checks this before it emits the
operation and names the cells it keeps (:mod:`..review.undo`); whoever applies it checks
again, so an edit typed in between is never lost.

Applied twice, it changes nothing: a removed cell is gone, and a restored cell no longer
reads as the turn left it (or reads as ``cell`` already). Wherever it is applied it is one
change: one transaction of the page's notebook model (one step of its undo history, so
Ctrl+Z takes the undo back: ``src/notebook/undo.ts``), of a collaboration room's shared
notebook (:mod:`.shared`), or one write of the file (:mod:`.file_writer`).
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any, Protocol

from .cells import source_hash, source_text

Left = dict[str, Any]
"""What a turn left in a cell: ``{cell_id, code_hash, execution_count?}``."""


def undo(turn_id: str, remove: Sequence[Left], restore: Sequence[Left]) -> dict[str, Any]:
    return {"op": "undo", "turn_id": turn_id, "remove": list(remove), "restore": list(restore)}


def left_by(cell: dict[str, Any]) -> Left:
    """What ``cell`` holds, as a :data:`Left` (for a turn's record, and to compare)."""
    left: Left = {
        "cell_id": str(cell.get("id", "")),
        "code_hash": source_hash(source_text(cell.get("source"))),
    }
    if cell.get("cell_type") == "code":
        left["execution_count"] = cell.get("execution_count")
    return left


def as_left(cell: dict[str, Any], left: Left) -> bool:
    """Whether ``cell`` still is what the turn left (``left``): same source, same count."""
    if source_hash(source_text(cell.get("source"))) != left.get("code_hash"):
        return False
    if "execution_count" in left:
        return (
            cell.get("cell_type") == "code"
            and cell.get("execution_count") == left["execution_count"]
        )
    return True


class _Item(Protocol):
    cell: dict[str, Any]
    dirty: bool


def apply_undo(items: list[Any], op: dict[str, Any]) -> bool:
    """Apply an ``undo`` to ``items`` (:class:`.ops.Item`, changed in place); whether the
    notebook changed."""
    changed = False

    def find(cell_id: str) -> int | None:
        for index, item in enumerate(items):
            if cell_id and item.cell.get("id") == cell_id:
                return index
        return None

    for entry in op.get("restore") or []:
        index = find(str(entry.get("cell_id", "")))
        prior = entry.get("cell")
        if index is None or not isinstance(prior, dict):
            continue
        item: _Item = items[index]
        if item.cell == prior or not as_left(item.cell, entry):
            continue
        item.cell = {**copy.deepcopy(prior), "id": item.cell.get("id")}
        item.dirty = True
        changed = True
    for entry in op.get("remove") or []:
        index = find(str(entry.get("cell_id", "")))
        if index is not None and as_left(items[index].cell, entry):
            del items[index]
            changed = True
    return changed
