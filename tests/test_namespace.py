"""The namespace summary the model gets as context: short, bounded, newest names kept."""

from __future__ import annotations

import collections
import math
from typing import Any

from jupyter_codeact.namespace import describe, summarize_namespace


class Frame:
    """Shaped like a data frame (pandas, polars): a shape, a dtype-less table, columns."""

    shape = (120, 3)
    columns = ("date", "region", "revenue")


class Tensor:
    """Shaped like an array (numpy, torch): shape and dtype."""

    def __init__(self, *shape: int) -> None:
        self.shape = shape
        self.dtype = "float32"


class Lazy:
    """An object whose len() would do real work: never called."""

    def __len__(self) -> int:
        raise AssertionError("len() was called")


class Exploding:
    @property
    def shape(self) -> Any:
        raise RuntimeError("no shape today")


def area(width, height=1.0):  # type: ignore[no-untyped-def]  # as typed in a notebook
    return width * height


def test_names_types_and_shapes() -> None:
    # Types outside builtins are named with their top package, as in "pandas.DataFrame".
    namespace = {
        "__name__": "__main__",
        "_hidden": 1,
        "math": math,
        "In": [],
        "Out": {},
        "get_ipython": print,
        "count": 3,
        "title": "Quarterly revenue",
        "df": Frame(),
        "weights": Tensor(64, 10),
        "vector": Tensor(5),
        "prices": [3.0, 4.5],
        "lookup": {"a": 1, "b": 2},
        "mixed": [1, "two"],
        "queue": collections.deque([1]),
        "area": area,
        "Frame": Frame,
        "lazy": Lazy(),
        "nothing": None,
    }
    assert summarize_namespace(namespace).splitlines() == [
        "- count: int = 3",
        "- title: str (len 17) = 'Quarterly revenue'",
        "- df: tests.Frame shape (120 × 3), columns date, region, revenue",
        "- weights: tests.Tensor shape (64 × 10), dtype float32",
        "- vector: tests.Tensor shape (5,), dtype float32",
        "- prices: list of float (len 2)",
        "- lookup: dict (len 2), keys 'a', 'b'",
        "- mixed: list (len 2)",
        "- queue: collections.deque of int (len 1)",
        "- area: function(width, height=1.0)",
        "- Frame: class tests.test_namespace.Frame",
        "- lazy: tests.Lazy",
        "- nothing: None",
    ]


def test_exclude_and_empty() -> None:
    assert summarize_namespace({"x": 1}, exclude={"x"}) == ""
    assert summarize_namespace({}) == ""


def test_long_values_are_clipped() -> None:
    line = summarize_namespace({"essay": "word " * 1000})
    assert line.startswith("- essay: str (len 5000) = 'word word")
    assert len(line) < 100


def test_the_newest_names_are_kept_within_the_budget() -> None:
    namespace = {f"var{i:03}": i for i in range(300)}
    summary = summarize_namespace(namespace, max_chars=500)
    lines = summary.splitlines()
    assert len(summary) <= 500 + len(lines[0])
    assert lines[-1] == "- var299: int = 299"  # newest last
    assert lines[0] == f"({300 - (len(lines) - 1)} older names not shown)"
    assert "- var000: int = 0" not in summary


def test_an_attribute_that_raises_still_names_the_type() -> None:
    assert describe(Exploding()) == "tests.Exploding"
