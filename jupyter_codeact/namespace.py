"""A short, bounded description of a Python namespace (names, types, shapes) for the model.

Standard library only, and no IPython: the magic calls it on the shell's namespace, and the
sidebar can run the same function in any kernel through a silent execute::

    from jupyter_codeact.namespace import summarize_namespace
    print(summarize_namespace(globals()))

It never prints a value it has not bounded, never calls ``len`` or ``repr`` on an object
of an unknown type (a lazy dataset or a proxy could do real work), and shows the newest
names when they do not all fit.
"""

from __future__ import annotations

import collections
import inspect
import types
from collections.abc import Iterable, Mapping

DEFAULT_MAX_CHARS = 2000

# IPython's own names in every user namespace, for callers that cannot tell them apart.
IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython", "open"})

_MAX_NAMES = 500
"""Names looked at, newest first: bounds the work on a namespace with thousands of names."""
_MAX_LINE = 160
_SCALARS = (bool, int, float, complex)
_CONTAINERS = (list, tuple, dict, set, frozenset, collections.deque)
_PREVIEW = 40


def summarize_namespace(
    namespace: Mapping[str, object],
    *,
    max_chars: int = DEFAULT_MAX_CHARS,
    exclude: Iterable[str] = (),
) -> str:
    """One line per user variable (``- name: description``), oldest first, at most
    about ``max_chars`` characters; "" when there is nothing to show.

    Private names (``_x``), modules, IPython's own names and ``exclude`` are left out.
    """
    skipped = IPYTHON_NAMES | set(exclude)
    names = [name for name in namespace if not name.startswith("_") and name not in skipped]
    lines: list[str] = []
    for name in reversed(names[-_MAX_NAMES:]):
        description = describe(namespace[name])
        if description is not None:
            lines.append(_clip(f"- {name}: {description}", _MAX_LINE))
    # Newest first while filling the budget, so that older names are the ones left out.
    kept: list[str] = []
    used = 0
    for line in lines:
        if used + len(line) + 1 > max_chars and kept:
            break
        kept.append(line)
        used += len(line) + 1
    hidden = len(lines) - len(kept) + max(len(names) - _MAX_NAMES, 0)
    kept.reverse()
    if hidden:
        kept.insert(0, f"({hidden} older names not shown)")
    return "\n".join(kept)


def describe(value: object) -> str | None:
    """A short description of ``value``; None for what is not worth showing (modules)."""
    try:
        return _describe(value)
    except Exception:  # an object whose attributes fail: still name its type
        return _type_name(value)


def _describe(value: object) -> str | None:
    if isinstance(value, types.ModuleType):
        return None
    if value is None:
        return "None"
    if isinstance(value, _SCALARS):
        return f"{_type_name(value)} = {_clip(repr(value), _PREVIEW)}"
    if isinstance(value, str):
        return f"str (len {len(value)}) = {_clip(repr(value), _PREVIEW)}"
    if isinstance(value, (bytes, bytearray)):
        return f"{_type_name(value)} (len {len(value)})"
    if isinstance(value, type):
        return f"class {value.__module__}.{value.__qualname__}".replace("class __main__.", "class ")
    if isinstance(value, (types.FunctionType, types.BuiltinFunctionType, types.MethodType)):
        return f"function{_signature(value)}"
    shape = _shape(value)
    if shape is not None:
        return _describe_array(value, shape)
    if isinstance(value, _CONTAINERS):
        return _describe_container(value)
    if callable(value):
        return f"{_type_name(value)} (callable)"
    return _type_name(value)


def _describe_array(value: object, shape: tuple[int, ...]) -> str:
    """Arrays, tensors and data frames: anything with an integer ``shape``."""
    text = f"{_type_name(value)} shape {_shape_text(shape)}"
    dtype = getattr(value, "dtype", None)
    if dtype is not None and not callable(dtype):
        text += f", dtype {_clip(str(dtype), 20)}"
    columns = getattr(value, "columns", None)
    if columns is not None and not callable(columns):
        names = [str(column) for _, column in zip(range(8), columns, strict=False)]
        more = shape[1] - len(names) if len(shape) > 1 and shape[1] > len(names) else 0
        text += ", columns " + ", ".join(names) + (f" (+{more} more)" if more else "")
    return text


def _describe_container(value: object) -> str:
    assert isinstance(value, _CONTAINERS)
    size = len(value)
    kind = _type_name(value)
    if isinstance(value, dict):
        keys = [_clip(repr(key), 20) for _, key in zip(range(5), value, strict=False)]
        more = ", ..." if size > len(keys) else ""
        return f"{kind} (len {size})" + (f", keys {', '.join(keys)}{more}" if keys else "")
    first = [type(item).__name__ for _, item in zip(range(5), value, strict=False)]
    if first and len(set(first)) == 1:
        return f"{kind} of {first[0]} (len {size})"
    return f"{kind} (len {size})"


def _shape(value: object) -> tuple[int, ...] | None:
    # A class attribute, property or instance attribute; never a dynamic __getattr__.
    if not hasattr(type(value), "shape") and "shape" not in getattr(value, "__dict__", {}):
        return None
    shape = getattr(value, "shape", None)
    if isinstance(shape, tuple) and all(isinstance(n, int) for n in shape):
        return shape
    try:  # torch.Size and friends are tuples of ints in disguise
        converted = tuple(int(n) for n in shape)  # type: ignore[union-attr]
    except (TypeError, ValueError):
        return None
    return converted


def _shape_text(shape: tuple[int, ...]) -> str:
    if len(shape) == 2:
        return f"({shape[0]:,} × {shape[1]:,})"
    return "(" + ", ".join(f"{n:,}" for n in shape) + ("," if len(shape) == 1 else "") + ")"


def _signature(function: object) -> str:
    try:
        return _clip(str(inspect.signature(function)), 60)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return "(...)"


def _type_name(value: object) -> str:
    kind = type(value)
    if kind.__module__ in ("builtins", "__main__"):
        return kind.__qualname__
    return f"{kind.__module__.split('.')[0]}.{kind.__qualname__}"


def _clip(text: str, limit: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= limit else text[: limit - 1] + "…"
