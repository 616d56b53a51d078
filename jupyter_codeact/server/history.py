"""A chat's conversation as its agent goes on with it: its steps, read from the chat file
(each with its messages: what the model was sent is read back from them).

A chat saved before steps were recorded has only the model's messages and the entries the
pages showed: its steps are read from the messages (:mod:`jupyter_codeact.core.legacy`),
and the cells its actions made from its entries, once, as a first step that lists them.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from ..core.cells import Cell, cell_json, stopped_at
from ..core.legacy import conversation_of
from ..core.redact import Redactor
from ..core.steps import CellsStep, Conversation
from .chat_file import ChatRecord

log = logging.getLogger(__name__)


def conversation(record: ChatRecord, redactor: Redactor | None = None) -> Conversation:
    """The steps of ``record``'s conversation (its messages redacted with ``redactor``)."""
    messages = record.messages
    if record.steps:
        steps = record.steps
        if redactor:
            steps = [{**s, "messages": redactor.redact_value(s.get("messages"))} for s in steps]
        try:
            return Conversation.from_json(steps)
        except ValueError as error:  # changed since the file was checked: a bug of ours
            log.warning("CodeAct: chat %s's steps were not read (%s)", record.info["id"], error)
            # What they hold is read as the messages of a chat before steps: none is lost.
            held = (s.get("messages") for s in record.steps)
            messages = [m for ms in held if isinstance(ms, list) for m in ms if isinstance(m, dict)]
    if redactor:
        messages = [redactor.redact_value(m) for m in messages]
    read = conversation_of(messages)
    if cells := legacy_cells(record.entries):
        read.steps.insert(1 if read.steps else 0, CellsStep(cells=[cell_json(c) for c in cells]))
    return read


def legacy_cells(entries: Sequence[Mapping[str, Any]]) -> list[Cell]:
    """The agent's cells as the entries of a chat saved before steps tell."""
    observed = {e.get("action_id"): e for e in entries if e.get("role") == "observation"}
    cells: dict[str, Cell] = {}
    for entry in entries:
        cell_id = entry.get("cell")
        if entry.get("role") != "action" or not cell_id:
            continue
        if (kept := cells.get(entry.get("keeps") or "")) is not None:
            if trim_to := entry.get("trim_to"):  # cut to what ran before its error
                kept.code, kept.status, kept.failure = trim_to, "ok", None
            else:
                kept.kept = True
        observation = observed.get(entry.get("action_id"))
        code = entry.get("code", "")
        status = observation.get("status") if observation else None
        outputs = observation.get("outputs", []) if observation else []
        failure = stopped_at(outputs, code, status)
        cells[cell_id] = Cell(cell_id, "agent", code, status, failure)
    return list(cells.values())
