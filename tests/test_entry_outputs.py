"""What a chat entry keeps of a cell's outputs: text bounded, one thumbnail, compact tables."""

from __future__ import annotations

import base64
import struct
import zlib
from typing import Any

import pandas as pd

from jupyter_codeact.server.entry_outputs import (
    MAX_IMAGE_CHARS,
    MAX_TABLE_COLUMNS,
    MAX_TABLE_ROWS,
    MAX_TEXT_CHARS,
    TABLE_MIME,
    dataframe_table,
    entry_outputs,
)


def png(width: int = 2, height: int = 2) -> str:
    """A real PNG, base64-encoded."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    data = (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )
    return base64.b64encode(data).decode()


def display(data: dict[str, Any]) -> dict[str, Any]:
    return {"output_type": "display_data", "data": data, "metadata": {"image/png": {"w": 1}}}


def test_a_plot_keeps_its_image_and_not_its_figure_text() -> None:
    image = png()
    outputs = [
        {
            "output_type": "execute_result",
            "execution_count": 3,
            "data": {"text/plain": "[<matplotlib.lines.Line2D at 0x7f>]"},
            "metadata": {},
        },
        display({"image/png": image, "text/plain": "<Figure size 640x480 with 1 Axes>"}),
    ]
    kept = entry_outputs(outputs)
    assert kept[0]["data"] == {"text/plain": "[<matplotlib.lines.Line2D at 0x7f>]"}
    assert kept[1]["data"] == {"image/png": image}
    assert kept[1]["metadata"] == {}


def test_a_figure_text_alone_is_not_an_output() -> None:
    alone = display({"text/plain": "<Figure size 640x480 with 1 Axes>"})
    assert entry_outputs([alone]) == []


def test_one_thumbnail_per_step_and_none_too_large() -> None:
    small, large = png(), "A" * (MAX_IMAGE_CHARS + 4)
    kept = entry_outputs([display({"image/png": small}), display({"image/png": small})])
    assert kept[0]["data"] == {"image/png": small}
    assert kept[1]["data"] == {"text/plain": "[a plot: open its cell to see it]"}
    kept = entry_outputs([display({"image/png": large})])
    assert kept[0]["data"] == {"text/plain": "[a plot: open its cell to see it]"}


def test_image_data_that_is_not_base64_is_never_kept() -> None:
    kept = entry_outputs([display({"image/png": 'x" onerror="alert(1)'})])
    assert "image/png" not in kept[0]["data"]


def test_a_dataframe_becomes_a_compact_table() -> None:
    frame = pd.DataFrame({"region": ["North", "South"], "revenue": [18100, 13900]})
    table = dataframe_table(frame._repr_html_())
    assert table == {
        "head": [["", "region", "revenue"]],
        "body": [["0", "North", "18100"], ["1", "South", "13900"]],
        "index_columns": 1,
    }
    result = {
        "output_type": "execute_result",
        "execution_count": 1,
        "data": {"text/html": frame._repr_html_(), "text/plain": repr(frame)},
        "metadata": {},
    }
    [kept] = entry_outputs([result])
    assert kept["data"][TABLE_MIME] == table
    assert "text/html" not in kept["data"]  # never HTML into the chat
    assert kept["data"]["text/plain"] == repr(frame)


def test_a_large_dataframe_is_bounded_and_says_so() -> None:
    frame = pd.DataFrame({f"column {i}": range(100) for i in range(30)})
    # pandas' own display cuts it and says how large it is.
    table = dataframe_table(frame._repr_html_())
    assert table is not None
    assert table["note"].startswith("100 rows × 30 columns")
    # Shown whole, the table is cut here.
    with pd.option_context("display.max_rows", 200, "display.max_columns", 50):
        table = dataframe_table(frame._repr_html_())
    assert table is not None
    assert len(table["body"]) == MAX_TABLE_ROWS
    assert all(len(row) <= MAX_TABLE_COLUMNS for row in table["head"] + table["body"])
    # The index is a column too.
    assert table["note"] == "first 12 of 100 rows shown; first 12 of 31 columns shown"


def test_html_that_is_not_a_dataframe_stays_text() -> None:
    result = display({"text/html": "<table><tr><td>1</td></tr></table>", "text/plain": "t"})
    assert entry_outputs([result])[0]["data"] == {"text/plain": "t"}


def test_text_and_tracebacks_are_bounded() -> None:
    long = "x" * (MAX_TEXT_CHARS * 3)
    kept = entry_outputs(
        [
            {"output_type": "stream", "name": "stdout", "text": long},
            {"output_type": "error", "ename": "E", "evalue": "v", "traceback": [long]},
        ]
    )
    assert len(kept[0]["text"]) < MAX_TEXT_CHARS + 100
    assert len(kept[1]["traceback"][0]) < MAX_TEXT_CHARS + 100
