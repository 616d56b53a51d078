"""Does the model's ``<solution>`` match the expected answer?

Comparisons are forgiving about form and strict about content: numbers within a tolerance
(currency signs and thousands separators ignored, a minus sign kept on either side of the
currency sign: "-$140.00", "$-140", "−140"), strings case- and whitespace-insensitive
(surrounding quotes and a final full stop ignored), lists element by element in order, sets
in any order.
"""

from __future__ import annotations

import ast
import json
import math
import re
from typing import Any

from .suite import CheckerKind

_NUMBER = re.compile(r"[-+]?(?:\d[\d,_]*)?\.?\d+(?:[eE][-+]?\d+)?")
_DECORATION = re.compile(r"^[\s$€£¥]+|[\s%]+$")
# A sign right before a currency sign ("-$140.00", "+€ 12"): it belongs to the number.
_SIGN_BEFORE_CURRENCY = re.compile(r"([-+])[$€£¥]\s*(?=[\d.])")
# Minus signs other than the ASCII hyphen: U+2212 MINUS SIGN, and its small and full-width forms.
_MINUS_SIGNS = str.maketrans({"\u2212": "-", "\ufe63": "-", "\uff0d": "-"})


def check(kind: CheckerKind, answer: str, expected: Any, tolerance: float | None = None) -> bool:
    """True if ``answer`` (the text of the solution) is ``expected``."""
    if kind == "number":
        return _number_matches(_clean(answer), expected, tolerance)
    if kind == "string":
        return normalise(answer) == normalise(str(expected))
    items = parse_list(answer)
    if items is None or not isinstance(expected, list) or len(items) != len(expected):
        return False
    if kind == "list":
        return all(_item_matches(a, e, tolerance) for a, e in zip(items, expected, strict=True))
    unmatched = list(items)
    for wanted in expected:
        found = next((a for a in unmatched if _item_matches(a, wanted, tolerance)), None)
        if found is None:
            return False
        unmatched.remove(found)
    return True


def normalise(text: str) -> str:
    return " ".join(_clean(text).casefold().split())


def parse_number(text: str) -> float | None:
    """The number ``text`` states: all of it, else the only number in it, else None."""
    text = _SIGN_BEFORE_CURRENCY.sub(r"\1", text.translate(_MINUS_SIGNS))
    bare = _DECORATION.sub("", text).replace(",", "").replace("_", "")
    try:
        value = float(bare)
    except ValueError:
        found = _NUMBER.findall(text)
        if len(found) != 1:
            return None
        try:
            value = float(found[0].replace(",", "").replace("_", ""))
        except ValueError:
            return None
    return value if math.isfinite(value) else None


def parse_list(text: str) -> list[Any] | None:
    """A list from JSON or Python syntax, else from comma-separated items."""
    text = text.strip()
    for parse in (json.loads, ast.literal_eval):
        try:
            value = parse(text)
        except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
            continue
        if isinstance(value, list | tuple):
            return list(value)
    inner = text[1:-1] if text[:1] in "[(" and text[-1:] in "])" else text
    parts = [part.strip() for part in inner.split(",")]
    return [] if parts == [""] else parts


def format_answer(value: Any) -> str:
    """How a reference answer is written in a ``<solution>`` (the oracle's form)."""
    if isinstance(value, list | tuple):
        return json.dumps(list(value), ensure_ascii=False)
    return str(value)


def perturb(value: Any, kind: CheckerKind, tolerance: float | None = None) -> Any:
    """A wrong answer of the same form (for the tests' model that answers wrong)."""
    if kind == "number":
        return value + max(1.0, abs(value), 2 * (tolerance or 0.0))
    if kind == "string":
        return f"{value} (or not)"
    return [*value, "not-this-one"]


def _clean(text: str) -> str:
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'`":
        text = text[1:-1].strip()
    return text[:-1] if text.endswith(".") and not text.endswith("..") else text


def _number_matches(answer: str, expected: Any, tolerance: float | None) -> bool:
    value = parse_number(answer)
    if value is None or not isinstance(expected, int | float):
        return False
    allowed = tolerance if tolerance is not None else 1e-6 * max(1.0, abs(expected))
    return abs(value - expected) <= allowed


def _item_matches(item: Any, expected: Any, tolerance: float | None) -> bool:
    if isinstance(expected, int | float) and not isinstance(expected, bool):
        if isinstance(item, int | float) and not isinstance(item, bool):
            item = repr(item)
        return _number_matches(_clean(str(item)), expected, tolerance)
    return normalise(str(item)) == normalise(str(expected))
