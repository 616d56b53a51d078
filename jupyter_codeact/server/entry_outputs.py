"""What a chat entry keeps of a cell's outputs: enough for the step in the chat, bounded.

The cell in the notebook keeps the real outputs; the entry (stored with the chat and sent
to every page, snapshots included) keeps:

- stream text and tracebacks, cut in the middle past :data:`MAX_TEXT_CHARS`;
- a result's ``text/plain``, bounded the same way;
- one image per step (PNG, JPEG or GIF, checked as base64) of at most
  :data:`MAX_IMAGE_CHARS`, shown as a thumbnail that leads to the cell; a larger one
  becomes a note that says where the plot is;
- a pandas DataFrame (its HTML table, read with :mod:`html.parser`) as a compact table,
  :data:`TABLE_MIME`: at most :data:`MAX_TABLE_ROWS` rows and :data:`MAX_TABLE_COLUMNS`
  columns of short cell texts, never HTML;
- not matplotlib's ``<Figure size 640x480 with 1 Axes>`` alone: the figure is its image.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any

from ..core.observation import truncate_middle
from .wire_schema import TABLE_MIME

MAX_TEXT_CHARS = 4_000
MAX_IMAGE_CHARS = 64_000
"""Base64 characters of one thumbnail (about 48 KB of image: a default matplotlib figure)."""
MAX_IMAGES = 1
MAX_TABLE_ROWS = 12
MAX_TABLE_COLUMNS = 12
MAX_CELL_CHARS = 60
MAX_TABLE_HTML_CHARS = 400_000
"""Longer HTML is not parsed (pandas' own display stops far below this)."""
IMAGE_MIMES = ("image/png", "image/jpeg", "image/gif")
_FIGURE = re.compile(r"^<(?:Figure|matplotlib\.figure\.Figure) size [\d.]+x[\d.]+ with \d+ Axes>$")
_BASE64 = re.compile(r"^[A-Za-z0-9+/]*={0,2}$")


def _text(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _image(data: dict[str, Any]) -> tuple[str, str] | None:
    """The first image of a bundle as (mime, base64), if it is one we can show."""
    for mime in IMAGE_MIMES:
        if mime in data:
            encoded = _text(data[mime]).replace("\n", "")
            # Shown as a data URL: only base64, never markup.
            return (mime, encoded) if len(encoded) % 4 == 0 and _BASE64.match(encoded) else None
    return None


class _TableReader(HTMLParser):
    """The first ``<table>`` of an HTML text, as rows of (is-header, text) cells."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.head: list[list[str]] = []
        self.body: list[list[str]] = []
        self.index_columns = 0
        self.note = ""
        self._depth = 0
        self._section = "body"
        self._row: list[str] | None = None
        self._row_headers = 0
        self._cell: list[str] | None = None
        self._cell_header = False
        self._done = False
        self._in_p = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self._done:
            self._in_p = tag == "p"
            return
        if tag == "table":
            self._depth += 1
        elif self._depth != 1:
            return
        elif tag in ("thead", "tbody"):
            self._section = "head" if tag == "thead" else "body"
        elif tag == "tr":
            self._row, self._row_headers = [], 0
        elif tag in ("th", "td") and self._row is not None:
            self._cell, self._cell_header = [], tag == "th"

    def handle_endtag(self, tag: str) -> None:
        if tag == "p":
            self._in_p = False
        if self._done or self._depth == 0:
            return
        if tag == "table":
            self._depth -= 1
            self._done = self._depth == 0
        elif self._depth != 1:
            return
        elif tag in ("th", "td") and self._cell is not None and self._row is not None:
            text = " ".join("".join(self._cell).split())
            if len(text) > MAX_CELL_CHARS:
                text = text[: MAX_CELL_CHARS - 1] + "…"
            if self._cell_header and len(self._row) == self._row_headers:
                self._row_headers += 1
            self._row.append(text)
            self._cell = None
        elif tag == "tr" and self._row is not None:
            rows = self.head if self._section == "head" else self.body
            rows.append(self._row)
            if self._section == "body":
                self.index_columns = max(self.index_columns, self._row_headers)
            self._row = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)
        elif self._done and self._in_p and not self.note:
            self.note = " ".join(data.split())[:MAX_CELL_CHARS]


def dataframe_table(html: str) -> dict[str, Any] | None:
    """A pandas DataFrame's HTML (``class="dataframe"``) as a compact table, or None."""
    if len(html) > MAX_TABLE_HTML_CHARS or 'class="dataframe' not in html:
        return None
    reader = _TableReader()
    try:
        reader.feed(html)
        reader.close()
    except (ValueError, AssertionError):
        return None
    if not reader.body and not reader.head:
        return None
    width = max(len(row) for row in [*reader.head, *reader.body])
    table: dict[str, Any] = {
        "head": [row[:MAX_TABLE_COLUMNS] for row in reader.head],
        "body": [row[:MAX_TABLE_COLUMNS] for row in reader.body[:MAX_TABLE_ROWS]],
        "index_columns": min(reader.index_columns, MAX_TABLE_COLUMNS),
    }
    cut = []
    if len(reader.body) > MAX_TABLE_ROWS:
        cut.append(f"first {MAX_TABLE_ROWS} of {len(reader.body)} rows shown")
    if width > MAX_TABLE_COLUMNS:
        cut.append(f"first {MAX_TABLE_COLUMNS} of {width} columns shown")
    notes = [note for note in (reader.note, "; ".join(cut)) if note]
    if notes:
        table["note"] = " · ".join(notes)
    return table


def _rich(output: dict[str, Any], images: list[int]) -> dict[str, Any] | None:
    """An execute result or display: its short form, or None when nothing is worth showing."""
    data = output.get("data") or {}
    plain = _text(data.get("text/plain", ""))
    small: dict[str, Any] = {}
    image = _image(data)
    if image is not None:
        mime, encoded = image
        if len(encoded) <= MAX_IMAGE_CHARS and images[0] < MAX_IMAGES:
            small[mime] = encoded
            images[0] += 1
        else:
            small["text/plain"] = "[a plot: open its cell to see it]"
        return {**output, "data": small, "metadata": {}}
    if _FIGURE.match(plain.strip()):
        return None  # the figure's image is (or was) shown by its own output
    if "text/html" in data and (table := dataframe_table(_text(data["text/html"]))):
        small[TABLE_MIME] = table
    if plain:
        small["text/plain"] = truncate_middle(plain, MAX_TEXT_CHARS)
    if not small:
        small = {"text/plain": f"[{', '.join(sorted(data)) or 'output'}]"}
    return {**output, "data": small, "metadata": {}}


def entry_outputs(outputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The outputs of a chat entry: bounded text, a thumbnail, compact tables."""
    kept: list[dict[str, Any]] = []
    images = [0]
    for output in outputs:
        kind = output.get("output_type")
        if kind == "stream":
            text = truncate_middle(_text(output.get("text", "")), MAX_TEXT_CHARS)
            kept.append({**output, "text": text})
        elif kind in ("execute_result", "display_data"):
            if (small := _rich(output, images)) is not None:
                kept.append(small)
        elif kind == "error":
            traceback = "\n".join(output.get("traceback", []))
            kept.append({**output, "traceback": [truncate_middle(traceback, MAX_TEXT_CHARS)]})
    return kept
