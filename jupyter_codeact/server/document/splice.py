"""Change a notebook's text without touching the bytes of what did not change.

A notebook is the user's work: when the server adds its cells to the file, every other
cell, the notebook's metadata and the formatting stay byte for byte as they were (the
file may come from JupyterLab, nbformat, VS Code or a hand edit). So the file is not
re-serialized: its JSON is scanned for where each top-level cell and the top-level
``metadata.codeact`` sit, and only those spans are rewritten; new cells are spliced in
with the separator and indentation the file already uses. Taking our cells and our
metadata out again gives the original bytes back (``tests/test_document_file.py``).
"""

from __future__ import annotations

import copy
import json
import re
from dataclasses import dataclass
from typing import Any

from .cells import CELL_METADATA_KEY
from .ops import Cells

_WS = " \t\r\n"
_DEFAULT_INDENT = " "  # nbformat's


class NotebookTextError(ValueError):
    """The text is not a notebook this module can change; the message says why."""


@dataclass(frozen=True)
class Span:
    start: int
    end: int


@dataclass
class Layout:
    """Where things are in a notebook's text."""

    cells: list[Span]
    cells_open: int
    """Index just after the ``[`` of the cells array."""
    cells_close: int
    """Index of the ``]`` of the cells array."""
    metadata: Span | None
    """The value of the top-level ``metadata`` (an object)."""
    record: Span | None
    """The value of ``metadata.codeact``, if present."""
    record_member: Span | None
    """The member ``"codeact": ...`` of the top-level metadata (key to value), if present."""


_DECODER = json.JSONDecoder()
_SCALAR = re.compile(r"[^,}\]\s]+")


class _Scanner:
    """Find the spans of JSON values in a well-formed document (json.loads has already
    accepted it). Each value is crossed by the C decoder of the json module, so that a
    large notebook costs about one parse (this runs on a worker thread, but holds the
    GIL meanwhile)."""

    def __init__(self, text: str) -> None:
        self.text = text

    def ws(self, index: int) -> int:
        text = self.text
        while index < len(text) and text[index] in _WS:
            index += 1
        return index

    def string_end(self, index: int) -> int:
        """``index`` at a ``"``: the index after the closing quote."""
        return self.value_end(index)

    def value_end(self, index: int) -> int:
        try:
            return int(_DECODER.raw_decode(self.text, index)[1])
        except ValueError:  # a bare scalar the decoder stops short of
            match = _SCALAR.match(self.text, index)
            assert match is not None
            return match.end()

    def members(self, index: int) -> list[tuple[str, Span, Span]]:
        """``index`` at ``{``: each member's key, key-to-value span and value span."""
        found: list[tuple[str, Span, Span]] = []
        index = self.ws(index + 1)
        if self.text[index] == "}":
            return found
        while True:
            key_end = self.string_end(index)
            key = json.loads(self.text[index:key_end])
            colon = self.ws(key_end)
            value_start = self.ws(colon + 1)
            value_end = self.value_end(value_start)
            found.append((key, Span(index, value_end), Span(value_start, value_end)))
            index = self.ws(value_end)
            if self.text[index] == "}":
                return found
            index = self.ws(index + 1)  # past the comma

    def elements(self, index: int) -> tuple[list[Span], int]:
        """``index`` at ``[``: each element's span, and the index of the ``]``."""
        found: list[Span] = []
        index = self.ws(index + 1)
        if self.text[index] == "]":
            return found, index
        while True:
            end = self.value_end(index)
            found.append(Span(index, end))
            index = self.ws(end)
            if self.text[index] == "]":
                return found, index
            index = self.ws(index + 1)


def layout(text: str) -> Layout:
    scanner = _Scanner(text)
    start = scanner.ws(0)
    if not text.startswith("{", start):
        raise NotebookTextError("the file does not hold a JSON object")
    top = {key: value for key, _, value in scanner.members(start)}
    if "cells" not in top or text[top["cells"].start] != "[":
        raise NotebookTextError("the notebook has no list of cells")
    cells, close = scanner.elements(top["cells"].start)
    metadata = top.get("metadata")
    record = record_member = None
    if metadata is not None and text[metadata.start] == "{":
        for key, member, value in scanner.members(metadata.start):
            if key == CELL_METADATA_KEY:
                record, record_member = value, member
    elif metadata is not None:
        metadata = None
    return Layout(cells, top["cells"].start + 1, close, metadata, record, record_member)


def _indent_before(text: str, index: int) -> str:
    """The spaces or tabs that start the line ``index`` is on, if only they precede it."""
    line_start = text.rfind("\n", 0, index) + 1
    prefix = text[line_start:index]
    return prefix if prefix.strip(" \t") == "" else ""


def _indent_unit(text: str, place: Layout) -> str:
    """One level of indentation as the file uses it (nbformat's is one space)."""
    if place.metadata is not None:
        unit = _indent_before(text, place.cells_open - 1)
        if unit:
            return unit
    return _DEFAULT_INDENT


def dump(value: Any, indent: str, base: str) -> str:
    """``value`` (a cell, or plain JSON) as nbformat writes it: sorted keys, multi-line
    strings of a cell as lists of lines; ``indent`` per level, starting at ``base``."""
    if isinstance(value, dict) and "cell_type" in value:
        from nbformat import from_dict
        from nbformat.v4.rwbase import split_lines

        node = from_dict({"cells": [copy.deepcopy(value)]})  # type: ignore[no-untyped-call]
        value = split_lines(node).cells[0]  # type: ignore[no-untyped-call]
    text = json.dumps(
        value, sort_keys=True, indent=indent, separators=(",", ": "), ensure_ascii=False
    )
    return text.replace("\n", "\n" + base)


def rewrite(
    text: str,
    place: Layout,
    cells: Cells,
    record: dict[str, Any] | None,
) -> str:
    """The notebook ``text`` with the changes that ``cells`` went through, and our notebook
    record set to ``record`` (None: removed). Untouched bytes stay as they were."""
    unit = _indent_unit(text, place)
    originals = place.cells
    element_indent = _indent_before(text, originals[0].start) if originals else unit * 2
    separator = (
        text[originals[0].end : originals[1].start]
        if len(originals) > 1
        else ",\n" + element_indent
    )
    kept = [item.origin for item in cells.items if item.origin is not None]
    edits: list[tuple[int, int, str]] = []
    if not kept:
        # Nothing of the original list is left: write the list's inside afresh.
        if cells.items:
            body = separator.join(dump(item.cell, unit, element_indent) for item in cells.items)
            closing = _indent_before(text, place.cells_close)
            edits.append(
                (place.cells_open, place.cells_close, f"\n{element_indent}{body}\n{closing}")
            )
        elif originals:
            edits.append((place.cells_open, place.cells_close, ""))
    else:
        removed = set(range(len(originals))) - set(kept)
        for index in removed:
            # With the separator before it (after it, for the first cell).
            if index > 0:
                edits.append((originals[index - 1].end, originals[index].end, ""))
            else:
                edits.append((originals[0].start, originals[1].start, ""))
        previous: int | None = None  # the kept original cell that new cells follow
        pending: list[str] = []
        for item in cells.items:
            if item.origin is None:
                pending.append(dump(item.cell, unit, element_indent))
                continue
            if pending and previous is None:
                at = originals[item.origin].start
                edits.append((at, at, "".join(cell + separator for cell in pending)))
                pending = []
            elif pending:
                at = originals[previous].end  # type: ignore[index]
                edits.append((at, at, "".join(separator + cell for cell in pending)))
                pending = []
            previous = item.origin
            if item.dirty:
                span = originals[item.origin]
                edits.append((span.start, span.end, dump(item.cell, unit, element_indent)))
        if pending:
            at = originals[previous].end  # type: ignore[index]
            edits.append((at, at, "".join(separator + cell for cell in pending)))
    edits.extend(_record_edits(text, place, unit, record))
    # From the end, so that earlier offsets stay valid; an insertion at the start of a
    # removed range goes after the removal.
    out = text
    for start, end, replacement in sorted(edits, key=lambda e: (e[0], e[1]), reverse=True):
        out = out[:start] + replacement + out[end:]
    return out


def _record_edits(
    text: str, place: Layout, unit: str, record: dict[str, Any] | None
) -> list[tuple[int, int, str]]:
    metadata = place.metadata
    if metadata is None:
        if record is None:
            return []
        raise NotebookTextError("the notebook has no metadata object")
    member_indent = unit * 2
    if place.record is not None and place.record_member is not None:
        if record is None:
            return [_remove_member(text, metadata, place.record_member)]
        return [(place.record.start, place.record.end, dump(record, unit, member_indent))]
    if record is None:
        return []
    member = f'"{CELL_METADATA_KEY}": {dump(record, unit, member_indent)}'
    first = _Scanner(text).ws(metadata.start + 1)
    if text[first] == "}":  # empty metadata, as nbformat writes it: {}
        return [(metadata.start + 1, metadata.end - 1, f"\n{member_indent}{member}\n{unit}")]
    # Before the first member (where sorted keys would mostly put it), with its indentation.
    indent = _indent_before(text, first) or member_indent
    return [(first, first, f"{member},\n{indent}")]


def _remove_member(text: str, metadata: Span, member: Span) -> tuple[int, int, str]:
    """Remove ``member`` from the object at ``metadata`` with one of its commas."""
    scanner = _Scanner(text)
    after = scanner.ws(member.end)
    if text[after] == ",":
        return (member.start, scanner.ws(after + 1), "")
    before = text.rfind(",", metadata.start, member.start)
    if before >= 0:  # the last member: with the comma before it
        return (before, member.end, "")
    return (metadata.start + 1, metadata.end - 1, "")  # the only member: {} again
