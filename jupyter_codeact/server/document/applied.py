"""What a notebook has applied of each chat's operations: ``metadata.codeact.applied``,
the last operation number it holds per chat (see :mod:`.ops`)."""

from __future__ import annotations

from typing import Any

from .cells import CELL_METADATA_KEY


def applied(metadata: dict[str, Any]) -> dict[str, int]:
    """The last operation applied to a notebook, per chat, from its metadata."""
    record = metadata.get(CELL_METADATA_KEY)
    marks = record.get("applied") if isinstance(record, dict) else None
    if not isinstance(marks, dict):
        return {}
    return {
        str(chat): int(seq)
        for chat, seq in marks.items()
        if isinstance(seq, int) and not isinstance(seq, bool)
    }


def set_applied(metadata: dict[str, Any], chat_id: str, seq: int) -> bool:
    """Record that the operations of ``chat_id`` up to ``seq`` are in the notebook."""
    record = metadata.get(CELL_METADATA_KEY)
    if not isinstance(record, dict):
        record = {}
    marks = record.get("applied")
    if not isinstance(marks, dict):
        marks = {}
    if marks.get(chat_id) == seq:
        return False
    metadata[CELL_METADATA_KEY] = {**record, "applied": {**marks, chat_id: seq}}
    return True
