"""The pending cell of *Ask before running*: an action that waits for the user, shown in
the notebook where it will run. The page draws its Run, Edit and Skip controls on it
(``src/notebook/pending.ts``); the server holds the approval itself (:mod:`..approvals`).

- A new cell waits as an ordinary ``insert`` whose provenance also carries
  ``pending: {request_id}``; the provenance its run writes has none.
- A replacement of an agent cell leaves that cell's code alone while it waits: the cell
  gets ``pending: {request_id, code}`` in its provenance (a ``pending`` operation) and the
  page shows the change as a diff in it; Skip takes the mark off again.

Two operations, applied by the same rules wherever the notebook is held (the page, the
file, the shared room):

- ``pending`` ``{cell_id, value}``: ``metadata.codeact.pending`` set to ``value``, or
  removed (null).
- ``remove`` ``{cell_id, request_id}``: the cell goes, but only while it is still the
  pending cell of ``request_id`` (a skipped or stopped action's new cell: never a cell
  that ran, nor one of the user's).
"""

from __future__ import annotations

import copy
from typing import Any

from .cells import CELL_METADATA_KEY

PENDING_KEY = "pending"


def set_pending(cell_id: str, value: dict[str, Any] | None) -> dict[str, Any]:
    return {"op": "pending", "cell_id": cell_id, "value": value}


def remove(cell_id: str, request_id: str) -> dict[str, Any]:
    return {"op": "remove", "cell_id": cell_id, "request_id": request_id}


def pending_of(cell: dict[str, Any]) -> dict[str, Any] | None:
    """The pending mark of ``cell`` (None: it waits for nothing)."""
    metadata = cell.get("metadata")
    mark = metadata.get(CELL_METADATA_KEY) if isinstance(metadata, dict) else None
    pending = mark.get(PENDING_KEY) if isinstance(mark, dict) else None
    return pending if isinstance(pending, dict) else None


def removable(cell: dict[str, Any], request_id: str) -> bool:
    """Whether a ``remove`` of ``request_id`` may delete ``cell``."""
    pending = pending_of(cell)
    return pending is not None and bool(request_id) and pending.get("request_id") == request_id


def apply_pending(cell: dict[str, Any], value: dict[str, Any] | None) -> bool:
    """Apply a ``pending`` operation to ``cell``; whether it changed."""
    metadata = cell.setdefault("metadata", {})
    mark = metadata.get(CELL_METADATA_KEY)
    if not isinstance(mark, dict):
        return False  # only an agent cell waits
    if value is None:
        if PENDING_KEY not in mark:
            return False
        metadata[CELL_METADATA_KEY] = {k: v for k, v in mark.items() if k != PENDING_KEY}
        return True
    if mark.get(PENDING_KEY) == value:
        return False
    metadata[CELL_METADATA_KEY] = {**mark, PENDING_KEY: copy.deepcopy(value)}
    return True


def stale(kept: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What takes away the pending cells that a chat's kept operations still show waiting:
    the server stopped before the user decided (a new server holds no approval). A new
    cell goes; a replaced cell loses its pending mark. Pending cells already saved to the
    file and gone from the log are not seen here."""
    waiting: dict[str, dict[str, Any]] = {}
    for op in kept:
        kind, cell_id = op.get("op"), str(op.get("cell_id", ""))
        if kind == "insert":
            pending = pending_of(op["cell"])
            if pending is not None:
                new_id = str(op["cell"].get("id", ""))
                waiting[new_id] = remove(new_id, str(pending.get("request_id", "")))
        elif kind == "pending" and op.get("value"):
            waiting[cell_id] = set_pending(cell_id, None)
        elif kind in ("pending", "provenance", "remove"):
            waiting.pop(cell_id, None)
    return list(waiting.values())
