"""Apply document operations to a shared notebook: the YNotebook of a real-time
collaboration room, which every collaborator's page shows and the room saves.

The rules are those of :class:`.ops.Cells` (the file writer's): the same operation
changes a shared notebook as it changes a file, so a notebook ends the same whichever
held it. What differs is how a change is made: in place, on the room's Y types, as
small as it can be (a stream's new text is appended to its shared text, a source is
changed from its first to its last differing character), so that a collaborator typing
in another cell, or in this one, keeps their edit and sees ours merge in.

- The live operations (``stream``, ``output``, ``clear``, ``running``) are applied
  straight to the cell's outputs: they come many a second.
- ``insert`` and ``narrate`` find their place as the file writer does, from the cells'
  ids and provenance.
- Every other operation (a source, provenance, a run's outputs, a kept cell...) is
  applied by :class:`.ops.Cells` to the one cell it names, read as JSON, and what
  changed is written back into the shared cell (:func:`_write_back`).

Each batch is one transaction, so collaborators see it at once; the notebook's
metadata records the last operation it holds per chat (``codeact.applied``), as a
file's does. Nothing here imports pycrdt at module level: it is an optional extra.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

from .cells import CELL_METADATA_KEY, joined_outputs, provenance, source_text
from .ops import Cells, Facts, Op, applied, set_applied
from .pending import removable
from .undo import as_left

TRUSTED = "trusted"
"""A cell's metadata key JupyterLab keeps its trust in (under RTC, shared)."""


def _pycrdt() -> Any:
    import pycrdt  # an optional dependency: only with real-time collaboration

    return pycrdt


class SharedNotebook:
    """Operations applied to one room's YNotebook (``jupyter_ydoc.YNotebook``)."""

    def __init__(self, ynotebook: Any, *, trusted: bool = True) -> None:
        """``trusted``: mark the agent's code cells trusted (their outputs come from the
        user's own kernel, as a cell the user runs), unless untrusted outputs are on."""
        self.doc = ynotebook
        self.trusted = trusted
        self._y = _pycrdt()

    # -- reading ---------------------------------------------------------------------------
    @property
    def _cells(self) -> Any:
        return self.doc.ycells

    def _meta(self) -> Any:
        """The notebook's metadata map (made if the room has none yet)."""
        ymeta = self.doc.ydoc.get("meta", type=self._y.Map)  # the YNotebook's schema
        metadata = ymeta.get("metadata")
        if not isinstance(metadata, self._y.Map):
            metadata = ymeta["metadata"] = self._y.Map(
                metadata if isinstance(metadata, dict) else {}
            )
        return metadata

    def applied(self) -> dict[str, int]:
        """The last operation of each chat the shared notebook holds."""
        record = self._meta().get(CELL_METADATA_KEY)
        return applied({CELL_METADATA_KEY: _plain(record)})

    def _find(self, cell_id: str) -> int | None:
        if not cell_id:
            return None
        for index, ycell in enumerate(self._cells):
            if ycell.get("id") == cell_id:
                return index
        return None

    def _light(self) -> Iterator[dict[str, Any]]:
        """Each cell's id, type and metadata (what placement reads), without outputs."""
        for ycell in self._cells:
            yield {
                "id": ycell.get("id"),
                "cell_type": ycell.get("cell_type"),
                "metadata": _plain(ycell.get("metadata")) or {},
            }

    def cell(self, index: int) -> dict[str, Any]:
        """Cell ``index`` as nbformat JSON."""
        value: dict[str, Any] = _plain(self._cells[index])
        value.pop("execution_state", None)
        return value

    def inspect(self, chat_id: str, query: dict[str, Any]) -> Facts:
        """What the shared notebook holds of a cell (:meth:`.ops.Cells.inspect`)."""
        user = bool(query.get("user"))
        cell_id = str(query.get("cell_id", ""))
        ref = str(query.get("ref", ""))
        if user:
            index = self._find(cell_id)
            cells = [self.cell(index)] if index is not None else []
        else:
            cells = [
                self.cell(index)
                for index, light in enumerate(self._light())
                if (provenance(light) or {}).get("cell") == ref
            ]
        return Cells(cells).inspect(
            chat_id, ref, cell_id, user=user, with_cell=bool(query.get("cell"))
        )

    # -- writing ---------------------------------------------------------------------------
    def apply(self, chat_id: str, ops: list[Op]) -> bool:
        """Apply ``ops`` of chat ``chat_id`` in one transaction; whether anything changed."""
        if not ops:
            return False
        changed = False
        with self.doc.ydoc.transaction():
            for op in ops:
                changed = self._apply(op, chat_id) or changed
            if any(op["op"] not in ("stream", "output", "clear", "running") for op in ops):
                changed = self._record(chat_id, max(op["seq"] for op in ops)) or changed
        return changed

    def _record(self, chat_id: str, seq: int) -> bool:
        metadata = self._meta()
        plain = {CELL_METADATA_KEY: _plain(metadata.get(CELL_METADATA_KEY))}
        if applied(plain).get(chat_id, 0) >= seq or not set_applied(plain, chat_id, seq):
            return False
        metadata[CELL_METADATA_KEY] = plain[CELL_METADATA_KEY]
        return True

    def _apply(self, op: Op, chat_id: str) -> bool:
        kind = op.get("op")
        if kind == "insert":
            return self._insert(op, chat_id)
        if kind == "narrate":
            return self._narrate(op)
        if kind == "undo":
            return self._undo(op)
        index = self._find(op.get("cell_id", ""))
        if index is None:
            return False
        ycell = self._cells[index]
        if kind in ("stream", "output", "clear", "running"):
            if ycell.get("cell_type") != "code":
                return False
            return self._live(ycell, op)
        if kind == "remove":  # a skipped action's pending cell (see .pending)
            if not removable(self.cell(index), op.get("request_id", "")):
                return False
            del self._cells[index]
            return True
        # Any other operation: the file's rules on this one cell, written back.
        before = self.cell(index)
        cells = Cells([copy.deepcopy(before)])
        if not cells.apply(op, chat_id):
            return False
        after = cells.cells[0]
        self._write_back(ycell, before, after)
        if kind == "outputs":
            ycell["execution_state"] = "running" if op.get("running") else "idle"
            self._trust(ycell)
        return True

    def _insert(self, op: Op, chat_id: str) -> bool:
        cell = op["cell"]
        if self._find(cell.get("id", "")) is not None:
            return False
        # Where it goes, by the file's rule, from the cells' ids and provenance only.
        place = Cells(list(self._light()))
        index = place.insertion_index(op, chat_id)
        self._cells.insert(index, self._ycell(cell))
        return True

    def _narrate(self, op: Op) -> bool:
        index = self._find(op["cell_id"])
        if index is None:
            return False
        # The code cell and the one above it, by the file's rule.
        first = max(index - 1, 0)
        before = [self.cell(i) for i in range(first, index + 1)]
        cells = Cells(copy.deepcopy(before))
        if not cells.apply(op, ""):
            return False
        after = cells.cells
        if len(after) > len(before):  # a new explanation above the code
            self._cells.insert(index, self._ycell(after[index - first]))
        else:  # the explanation above, rewritten
            self._write_back(self._cells[first], before[0], after[0])
        return True

    def _undo(self, op: Op) -> bool:
        """A turn taken back (:mod:`.undo`): only cells still as the turn left them."""
        changed = False
        for entry in op.get("restore") or []:
            index = self._find(str(entry.get("cell_id", "")))
            prior = entry.get("cell")
            if index is None or not isinstance(prior, dict):
                continue
            current = self.cell(index)
            if as_left(current, entry):
                self._write_back(self._cells[index], current, {**prior, "id": current.get("id")})
                changed = True
        for entry in op.get("remove") or []:
            index = self._find(str(entry.get("cell_id", "")))
            if index is not None and as_left(self.cell(index), entry):
                del self._cells[index]
                changed = True
        return changed

    def _live(self, ycell: Any, op: Op) -> bool:
        kind = op["op"]
        outputs = ycell.get("outputs")
        if not isinstance(outputs, self._y.Array):
            outputs = ycell["outputs"] = self._y.Array()
        if kind == "running":
            # As JupyterLab's own run: cleared, no count, [*] until it ends.
            outputs.clear()
            ycell["execution_count"] = None
            ycell["execution_state"] = "running"
            self._trust(ycell)
            return True
        if kind == "clear":
            if not len(outputs):
                return False
            outputs.clear()
            return True
        index = op["index"]
        if kind == "output":
            if index > len(outputs):
                return False  # a gap: the run's last `outputs` settles it
            youtput = self._youtput(op["output"])
            if index < len(outputs):
                if joined_outputs([_plain(outputs[index])]) == joined_outputs([op["output"]]):
                    return False
                outputs[index] = youtput
            else:
                outputs.append(youtput)
            return True
        # stream: appended where it left off, else already there (or a gap)
        if index == len(outputs) and op["offset"] == 0:
            outputs.append(self._youtput({"output_type": "stream", "name": op["name"]}, op["text"]))
            return True
        if index >= len(outputs):
            return False
        youtput = outputs[index]
        if youtput.get("output_type") != "stream" or youtput.get("name") != op["name"]:
            return False
        text = youtput.get("text")
        if isinstance(text, self._y.Text):
            if len(str(text)) != op["offset"]:
                return False
            text += op["text"]
        else:
            current = source_text(text)
            if len(current) != op["offset"]:
                return False
            youtput["text"] = self._y.Text(current + op["text"])
        return True

    # -- Y values --------------------------------------------------------------------------
    def _trust(self, ycell: Any) -> None:
        metadata = ycell.get("metadata")
        if self.trusted and isinstance(metadata, self._y.Map) and metadata.get(TRUSTED) is not True:
            metadata[TRUSTED] = True

    def _youtput(self, output: dict[str, Any], text: str | None = None) -> Any:
        """An output as the YNotebook keeps it: a map, a stream's text shared text."""
        value = copy.deepcopy(output)
        if value.get("output_type") == "stream":
            value["text"] = self._y.Text(
                text if text is not None else source_text(value.get("text"))
            )
        return self._y.Map(value)

    def _ycell(self, cell: dict[str, Any]) -> Any:
        """A new shared cell, as ``YNotebook.create_ycell`` makes one."""
        value = copy.deepcopy(cell)
        value["source"] = self._y.Text(source_text(value.get("source")))
        metadata = value.get("metadata") or {}
        if value.get("cell_type") == "code":
            if self.trusted:
                metadata = {**metadata, TRUSTED: True}
            value["outputs"] = self._y.Array(
                [self._youtput(output) for output in value.get("outputs") or []]
            )
            value["execution_state"] = "idle"
        value["metadata"] = self._y.Map(metadata)
        return self._y.Map(value)

    def _write_back(self, ycell: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
        """Make shared cell ``ycell`` (which reads as ``before``) read as ``after``, by the
        smallest changes."""
        for key in set(before) | set(after):
            old, new = before.get(key), after.get(key)
            if old == new:
                continue
            if key == "source":
                _set_text(ycell["source"], source_text(old), source_text(new))
            elif key == "metadata":
                self._write_metadata(ycell, old or {}, new or {})
            elif key == "outputs":
                if joined_outputs(old or []) != joined_outputs(new or []):
                    ycell["outputs"] = self._y.Array([self._youtput(o) for o in new or []])
            elif key not in after:
                del ycell[key]
            else:
                ycell[key] = copy.deepcopy(new)

    def _write_metadata(self, ycell: Any, old: dict[str, Any], new: dict[str, Any]) -> None:
        metadata = ycell.get("metadata")
        if not isinstance(metadata, self._y.Map):
            ycell["metadata"] = self._y.Map(copy.deepcopy(new))
            return
        for key in set(old) - set(new):
            if key in metadata:
                del metadata[key]
        for key, value in new.items():
            if old.get(key) != value:
                metadata[key] = copy.deepcopy(value)


def _set_text(ytext: Any, old: str, new: str) -> None:
    """Change shared text ``ytext`` from ``old`` to ``new`` between their first and last
    differing characters, so that an edit elsewhere in it (a collaborator's) stays."""
    start = 0
    limit = min(len(old), len(new))
    while start < limit and old[start] == new[start]:
        start += 1
    end = 0
    while end < limit - start and old[len(old) - 1 - end] == new[len(new) - 1 - end]:
        end += 1
    # Shared text counts UTF-8 bytes.
    at = len(old[:start].encode("utf-8"))
    removed = len(old[start : len(old) - end].encode("utf-8"))
    if removed:
        del ytext[at : at + removed]
    if len(new) - end > start:
        ytext.insert(at, new[start : len(new) - end])


def _plain(value: Any) -> Any:
    """A Y value (map, array, text) as plain JSON, whole numbers as ints (Yjs keeps every
    number as a float; nbformat, and our records, count in ints)."""
    to_py = getattr(value, "to_py", None)
    return _ints(to_py() if callable(to_py) else copy.deepcopy(value))


def _ints(value: Any) -> Any:
    if type(value) is float and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_ints(item) for item in value]
    return value
