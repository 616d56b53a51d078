"""*Undo this turn*: the notebook's cells as they were before a turn, in one change.

From the turn's record (:mod:`.journal`): the cells it added are removed and the cells it
replaced are given their earlier source, outputs, count and metadata back, **only where
the cell still is what the turn left** (:func:`..document.undo.as_left`). A cell the user
edited or ran since, or one an undo cannot give back (its copy was dropped to bound the
chat), stays as it is and is named in the chat instead. Nothing else is touched.

The check is made against the notebook as whoever holds it has it (a page with unsaved
edits, the collaboration room, or the file: :meth:`..document.hub.NotebookDocument.inspect`)
and the whole undo is one ``undo`` operation through the chat's log, so it reaches an
open page (one step of its undo history), the room, or the file with no page open.

The kernel's state is not undone: what the turn's code defined stays in the kernel. The
chat says so, and offers to restart the kernel and run the notebook; the model is told
in its next request (:func:`note_for_model`).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from ..document.ops import Facts
from ..document.undo import Left, as_left, undo

Inspect = Callable[[dict[str, Any]], Awaitable[Facts]]

KERNEL_NOTE = (
    "The kernel's state is not undone: variables, imports and files the turn's code "
    "created are still there. Restart the kernel and run the notebook to bring them in "
    "line with the cells."
)


async def plan(turn: dict[str, Any], inspect: Inspect) -> tuple[dict[str, Any], list[Any]]:
    """The ``undo`` operation for ``turn``, and the cells it keeps: ``{cell_id, kind,
    why}`` (``edited``, ``ran`` or ``no_copy``)."""
    remove: list[Left] = []
    restore: list[Left] = []
    kept: list[dict[str, Any]] = []
    for change in turn["changes"]:
        left: Left = change["left"]
        cell_id = change["cell_id"]
        if change["cell_type"] == "code":
            facts = await inspect({"ref": "", "cell_id": cell_id, "user": True, "cell": True})
            if not facts.get("found"):
                continue  # the user deleted it: nothing to take back
            cell = facts.get("cell")
            if not isinstance(cell, dict):  # a page that does not say: keep it
                kept.append(_kept(change, "unknown"))
                continue
            if not as_left(cell, left):
                why = "ran" if _same_source(cell, left) else "edited"
                kept.append(_kept(change, why))
                continue
        if change["kind"] == "added":
            remove.append(left)
        elif change.get("restorable") and isinstance(change.get("prior"), dict):
            restore.append({**left, "cell": change["prior"]})
        else:
            kept.append(_kept(change, "no_copy"))
    return undo(turn["id"], remove, restore), kept


def _kept(change: dict[str, Any], why: str) -> dict[str, Any]:
    return {
        "cell_id": change["cell_id"],
        "ref": change.get("ref", ""),
        "kind": change["kind"],
        "why": why,
    }


def _same_source(cell: dict[str, Any], left: Left) -> bool:
    return as_left(cell, {"cell_id": left["cell_id"], "code_hash": left["code_hash"]})


def outcome(op: dict[str, Any], kept: list[dict[str, Any]]) -> dict[str, Any]:
    """What the chat entry records of an undo."""
    return {
        "time": time.time(),
        "removed": [entry["cell_id"] for entry in op["remove"]],
        "restored": [entry["cell_id"] for entry in op["restore"]],
        "kept": kept,
        "kernel_note": KERNEL_NOTE,
    }


def note_for_model(request: str, done: dict[str, Any]) -> str:
    """What the model is told in its next request about an undo of one of its turns."""
    parts = [
        f"The user undid your turn that answered {request!r}: the cells it added were "
        "removed and the cells it changed were restored to what they were before it."
    ]
    if done["kept"]:
        ids = ", ".join(entry.get("ref") or entry["cell_id"] for entry in done["kept"])
        parts.append(f"These cells were kept as the user has them now: {ids}.")
    parts.append(
        "The kernel still holds whatever that turn's code defined or changed, unless the "
        "user restarts it: do not rely on it, and do not redo the turn unless asked."
    )
    return " ".join(parts)
