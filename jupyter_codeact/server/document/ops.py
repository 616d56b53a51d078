"""Document operations: what the agent changes in a notebook, one small step each.

The server decides what the notebook holds and says it as operations; whoever holds the
notebook applies them: a page that has it open (``src/notebook/apply.ts``, the same rules
in TypeScript), or the ``.ipynb`` file when no page does (:mod:`.file_writer`, through
:class:`Cells` below). Each operation names its cell by id and carries the state it sets,
so applying one twice, or to a notebook that already holds it, changes nothing:

- ``insert`` ``{cell, after, selected, at_end}``: a new cell (``cell`` is nbformat JSON with
  its ``id``), unless a cell with that id exists. It goes below ``after`` (the chat's last
  cell) if that is in the notebook, else below the chat's last cell found by provenance,
  else below ``selected`` (the cell selected when the user asked), else at the end;
  ``at_end`` puts it at the end whatever the rest says.
- ``source`` ``{cell_id, source, if_hash?}``: the cell's source; with ``if_hash``, only if
  the current source still has that hash (an explanation the user has not rewritten).
- ``provenance`` ``{cell_id, value}``: the cell's ``metadata.codeact`` (null removes it).
- ``outputs`` ``{cell_id, outputs, execution_count}``: the cell's outputs and count as they
  are now (cleared at the start of a run, complete at its end).
- ``output`` ``{cell_id, index, output}``: the output at ``index`` (added when it is the
  next one, replaced when it exists; a gap waits for the next ``outputs``).
- ``stream`` ``{cell_id, index, name, offset, text}``: ``text`` appended to the stream
  output at ``index`` when ``offset`` characters of it have arrived (else it is already
  there, or it waits for the next ``outputs``).
- ``clear`` ``{cell_id}``: the running cell's code cleared its outputs (``clear_output``).
- ``running`` ``{cell_id}``: the cell is running (a page shows ``[*]``; files ignore it).
- ``narrate`` ``{cell_id, cell}``: the markdown ``cell`` explains code cell ``cell_id``: it
  goes just above it, or rewrites the explanation already there unless the user rewrote it.
- ``keep`` ``{cell_id, trim_to, code_hash}``: the failed agent cell an action goes below
  rather than replace (:mod:`jupyter_codeact.core.cells`) is cut to ``trim_to`` (the
  statements that ran before its error), its error outputs removed and its provenance's
  ``code_hash`` (the hash of ``trim_to``) and ``kept: "trimmed"`` set; with ``trim_to`` ""
  it stays whole, tagged ``raises-exception`` (so that *Run All* goes on past it), with
  ``kept: "failed"``.
- ``undo`` ``{turn_id, remove, restore}``: a turn taken back (:mod:`.undo`).
- ``unmark`` ``{cell_id}``: the code of a cell kept whole (``kept: "failed"``) was replaced:
  its ``raises-exception`` tag goes (the new code may pass).
- ``pending`` ``{cell_id, value}``: an action waits for approval in this cell (or no more).
- ``remove`` ``{cell_id, request_id}``: a skipped action's pending cell goes (:mod:`.pending`).

Every operation has ``op`` and ``seq`` (its number in its chat's log, :mod:`.log`). The
notebook records, per chat, the last number applied to it (:func:`set_applied` in its
metadata), so that whoever loads it later is sent exactly the operations after it.

``stream``, ``output``, ``clear`` and ``running`` are *live* operations: sent to the pages as they
happen, never kept; the ``outputs`` that ends each run holds their result (:mod:`.log`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from .applied import applied as applied
from .applied import set_applied as set_applied
from .cells import (
    CELL_METADATA_KEY,
    is_chat_code_cell,
    joined_outputs,
    provenance,
    source_hash,
    source_text,
    user_change,
)
from .pending import apply_pending, removable
from .undo import apply_undo

Op = dict[str, Any]
"""One operation (see the module's docstring for the kinds)."""

LIVE_OPS = frozenset({"stream", "output", "clear", "running"})


def insert(
    cell: dict[str, Any], *, after: str = "", selected: str = "", at_end: bool = False
) -> Op:
    return {"op": "insert", "cell": cell, "after": after, "selected": selected, "at_end": at_end}


def set_source(cell_id: str, source: str, *, if_hash: str | None = None) -> Op:
    op: Op = {"op": "source", "cell_id": cell_id, "source": source}
    if if_hash is not None:
        op["if_hash"] = if_hash
    return op


def set_provenance(cell_id: str, value: dict[str, Any] | None) -> Op:
    return {"op": "provenance", "cell_id": cell_id, "value": value}


def set_outputs(cell_id: str, outputs: list[dict[str, Any]], execution_count: int | None) -> Op:
    return {
        "op": "outputs",
        "cell_id": cell_id,
        "outputs": outputs,
        "execution_count": execution_count,
    }


def narrate(cell_id: str, cell: dict[str, Any]) -> Op:
    return {"op": "narrate", "cell_id": cell_id, "cell": cell}


def keep(cell_id: str, trim_to: str) -> Op:
    op: Op = {"op": "keep", "cell_id": cell_id, "trim_to": trim_to}
    if trim_to:
        op["code_hash"] = source_hash(trim_to)
    return op


def unmark(cell_id: str) -> Op:
    return {"op": "unmark", "cell_id": cell_id}


RAISES_EXCEPTION = "raises-exception"
"""The tag that lets *Run All* (and nbclient) go on past a cell's error."""


def code_cell(cell_id: str, source: str, mark: dict[str, Any]) -> dict[str, Any]:
    """A new code cell as an ``insert`` carries it."""
    return {
        "id": cell_id,
        "cell_type": "code",
        "source": source,
        "metadata": {CELL_METADATA_KEY: mark},
        "outputs": [],
        "execution_count": None,
    }


def markdown_cell(cell_id: str, source: str, mark: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": cell_id,
        "cell_type": "markdown",
        "source": source,
        "metadata": {CELL_METADATA_KEY: mark},
    }


# -- applying operations to nbformat JSON --------------------------------------------------


@dataclass
class Item:
    """One cell of a notebook being changed: ``origin`` is its index in the notebook as it
    was read (None for a cell inserted since), ``dirty`` whether it changed."""

    cell: dict[str, Any]
    origin: int | None = None
    dirty: bool = False


Facts = dict[str, Any]
"""What a writer found of a cell (:func:`Cells.inspect`): ``found`` (how many cells carry
it), ``cell_ids`` (their ids, in order), ``change`` (``edited``/``ran``/null, for the one
found), ``source`` (the current source of a user's cell) and ``cell`` (the one found, as
nbformat JSON: what an undo of the turn that changes it gives back)."""


class Cells:
    """The cells of an nbformat notebook, to apply operations to.

    A cell is found by its ``id``; cells written before ids existed (nbformat 4.4) are only
    ever found by what the operations need of them (a chat's cells, by provenance).
    """

    def __init__(self, cells: list[dict[str, Any]]) -> None:
        self.items = [Item(cell, origin=index) for index, cell in enumerate(cells)]

    @property
    def cells(self) -> list[dict[str, Any]]:
        return [item.cell for item in self.items]

    def find(self, cell_id: str) -> int | None:
        if not cell_id:
            return None
        for index, item in enumerate(self.items):
            if item.cell.get("id") == cell_id:
                return index
        return None

    def _last_of_chat(self, chat_id: str) -> int | None:
        for index in range(len(self.items) - 1, -1, -1):
            mark = provenance(self.items[index].cell)
            if mark is not None and mark.get("chat_id") == chat_id:
                return index
        return None

    def insertion_index(self, op: Op, chat_id: str) -> int:
        """Where an ``insert`` goes (the rule in this module's docstring)."""
        if op.get("at_end"):
            return len(self.items)
        after = self.find(op.get("after", ""))
        if after is None:
            after = self._last_of_chat(chat_id)
        if after is None:
            after = self.find(op.get("selected", ""))
        return len(self.items) if after is None else after + 1

    def apply(self, op: Op, chat_id: str) -> bool:
        """Apply one operation of chat ``chat_id``; whether the notebook changed."""
        kind = op.get("op")
        if kind == "insert":
            cell = op["cell"]
            if self.find(cell.get("id", "")) is not None:
                return False
            self.items.insert(
                self.insertion_index(op, chat_id), Item(copy.deepcopy(cell), dirty=True)
            )
            return True
        if kind == "narrate":
            return self._narrate(op)
        if kind == "undo":
            return apply_undo(self.items, op)
        index = self.find(op.get("cell_id", ""))
        if index is None:
            return False
        if kind == "remove":
            if not removable(self.items[index].cell, op.get("request_id", "")):
                return False
            del self.items[index]
            return True
        item = self.items[index]
        cell = item.cell
        if kind == "source":
            current = source_text(cell.get("source"))
            if "if_hash" in op and source_hash(current) != op["if_hash"]:
                return False
            if current == op["source"]:
                return False
            cell["source"] = op["source"]
        elif kind == "provenance":
            metadata = cell.setdefault("metadata", {})
            if op["value"] is None:
                if CELL_METADATA_KEY not in metadata:
                    return False
                del metadata[CELL_METADATA_KEY]
            else:
                if metadata.get(CELL_METADATA_KEY) == op["value"]:
                    return False
                metadata[CELL_METADATA_KEY] = copy.deepcopy(op["value"])
        elif kind == "outputs":
            if cell.get("cell_type") != "code":
                return False
            outputs = copy.deepcopy(op["outputs"])
            count = op.get("execution_count")
            same = joined_outputs(cell.get("outputs") or []) == joined_outputs(outputs)
            if same and cell.get("execution_count") == count:
                return False
            cell["outputs"], cell["execution_count"] = outputs, count
        elif kind == "clear":
            if not cell.get("outputs"):
                return False
            cell["outputs"] = []
        elif kind == "pending":
            if not apply_pending(cell, op.get("value")):
                return False
        elif kind in ("keep", "unmark"):
            return _kept(item, op)
        elif kind == "output":
            return self._output(item, op)
        elif kind == "stream":
            return self._stream(item, op)
        else:  # running, or an operation a newer server sends: nothing to keep in a file
            return False
        item.dirty = True
        return True

    def _output(self, item: Item, op: Op) -> bool:
        outputs = item.cell.setdefault("outputs", [])
        index = op["index"]
        if index < len(outputs):
            if joined_outputs([outputs[index]]) == joined_outputs([op["output"]]):
                return False
            outputs[index] = copy.deepcopy(op["output"])
        elif index == len(outputs):
            outputs.append(copy.deepcopy(op["output"]))
        else:
            return False
        item.dirty = True
        return True

    def _stream(self, item: Item, op: Op) -> bool:
        outputs = item.cell.setdefault("outputs", [])
        index = op["index"]
        if index == len(outputs) and op["offset"] == 0:
            outputs.append({"output_type": "stream", "name": op["name"], "text": op["text"]})
        elif index < len(outputs) and outputs[index].get("name") == op["name"]:
            text = source_text(outputs[index].get("text"))
            if len(text) != op["offset"]:
                return False  # already there, or a gap: the run's last `outputs` settles it
            outputs[index]["text"] = text + op["text"]
        else:
            return False
        item.dirty = True
        return True

    def _narrate(self, op: Op) -> bool:
        index = self.find(op["cell_id"])
        explanation = op["cell"]
        if index is None:
            return False
        code_mark = provenance(self.items[index].cell) or {}
        above = self.items[index - 1] if index > 0 else None
        above_mark = provenance(above.cell) if above is not None else None
        if (
            above is not None
            and above_mark is not None
            and above_mark.get("role") == "narration"
            and above_mark.get("chat_id") == code_mark.get("chat_id")
            and above_mark.get("cell") == code_mark.get("cell")
        ):
            current = source_text(above.cell.get("source"))
            written = above_mark.get("code_hash")
            if written and source_hash(current) != written:
                return False  # the user rewrote the explanation: it is theirs
            new_mark = explanation["metadata"][CELL_METADATA_KEY]
            if current == explanation["source"] and above_mark == new_mark:
                return False
            above.cell["source"] = explanation["source"]
            above.cell.setdefault("metadata", {})[CELL_METADATA_KEY] = copy.deepcopy(new_mark)
            above.dirty = True
            return True
        if self.find(explanation.get("id", "")) is not None:
            return False
        self.items.insert(index, Item(copy.deepcopy(explanation), dirty=True))
        return True

    def inspect(
        self, chat_id: str, ref: str, cell_id: str, *, user: bool, with_cell: bool = False
    ) -> Facts:
        """What the notebook holds of a cell the agent wants to change: the user's cell
        ``cell_id`` (``user``), or the chat's code cell ``ref``."""
        if user:
            index = self.find(cell_id)
            if index is None or self.items[index].cell.get("cell_type") != "code":
                return {"found": 0, "cell_ids": [], "change": None, "source": None}
            cell = self.items[index].cell
            source = source_text(cell.get("source"))
            facts: Facts = {"found": 1, "cell_ids": [cell_id], "change": None, "source": source}
            if with_cell:  # as it is: what an undo gives back
                facts["cell"] = copy.deepcopy(cell)
            return facts
        found = [item.cell for item in self.items if is_chat_code_cell(item.cell, chat_id, ref)]
        change = None
        one: dict[str, Any] = {}
        if len(found) == 1 and with_cell:
            one["cell"] = copy.deepcopy(found[0])
        if len(found) == 1:
            mark = provenance(found[0]) or {}
            change = user_change(
                mark, source_text(found[0].get("source")), found[0].get("execution_count")
            )
        return {
            "found": len(found),
            "cell_ids": [str(cell.get("id", "")) for cell in found],
            "change": change,
            "source": None,
            **one,
        }


def _kept(item: Item, op: Op) -> bool:
    """Apply a ``keep`` or an ``unmark`` to a code cell."""
    cell = item.cell
    metadata = cell.setdefault("metadata", {})
    mark = metadata.get(CELL_METADATA_KEY)
    if cell.get("cell_type") != "code" or not isinstance(mark, dict):
        return False
    tags = metadata.get("tags")
    tags = list(tags) if isinstance(tags, list) else []
    before = copy.deepcopy((cell.get("source"), cell.get("outputs"), tags, mark))
    if op["op"] == "unmark":
        if mark.get("kept") == "failed" and RAISES_EXCEPTION in tags:
            tags.remove(RAISES_EXCEPTION)
    elif op["trim_to"]:
        if source_text(cell.get("source")) != op["trim_to"]:
            cell["source"] = op["trim_to"]
        outputs = cell.get("outputs") or []
        cell["outputs"] = [o for o in outputs if o.get("output_type") != "error"]
        mark = {**mark, "code_hash": op["code_hash"], "kept": "trimmed"}
    else:
        if RAISES_EXCEPTION not in tags:
            tags.append(RAISES_EXCEPTION)
        mark = {**mark, "kept": "failed"}
    if (cell.get("source"), cell.get("outputs"), tags, mark) == before:
        return False
    if tags:
        metadata["tags"] = tags
    else:
        metadata.pop("tags", None)
    metadata[CELL_METADATA_KEY] = mark
    item.dirty = True
    return True
