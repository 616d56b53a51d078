"""Bounds on what a client may send: every refusal names the limit it broke.

Applied to REST bodies and query values, and to websocket frames before and after they
are decoded (see :mod:`.handlers` and :mod:`.protocol`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    max_depth: int = 100
    """Nesting of JSON objects and lists (nbformat outputs need a handful)."""
    max_body_bytes: int = 1 * MB
    """A REST request body."""
    max_frame_chars: int = 16 * MB
    """A websocket message (an execute result with its images is the largest)."""
    max_message_chars: int = 100_000
    """The text of a user message."""
    max_context_chars: int = 1_000_000
    """The notebook context the panel sends (the server keeps at most 12,000 of it)."""
    max_path_chars: int = 4096
    """A notebook path (Linux's PATH_MAX)."""
    max_id_chars: int = 200
    """A client or request id."""
    max_chat_chars: int = 64 * MB
    """A chat's file: past it, the chat takes no new message (a new chat does)."""


DEFAULT_LIMITS = Limits()


class InputError(ValueError):
    """Client input refused; the message says which limit, or what is wrong."""


def size(chars: int) -> str:
    """A size for a message: ``16 MB``, ``1.5 MB`` or ``4,096 characters``."""
    if chars >= MB:
        return f"{chars / MB:.3g} MB"
    return f"{chars:,} characters"


def check_size(value: str | bytes, limit: int, what: str) -> None:
    if len(value) > limit:
        raise InputError(f"The {what} is {size(len(value))}, over the limit of {size(limit)}.")


def decode_json(raw: str | bytes, *, limit: int, max_depth: int, what: str) -> Any:
    """Decode ``raw``, refusing what is too large, too deeply nested, or not JSON."""
    check_size(raw, limit, what)
    try:
        data = json.loads(raw)
    except RecursionError as error:
        raise _too_deep(what, max_depth) from error
    except ValueError as error:
        raise InputError(f"The {what} is not valid JSON.") from error
    if _depth_exceeds(data, max_depth):
        raise _too_deep(what, max_depth)
    return data


def check_path(path: Any, limits: Limits, what: str = "notebook path") -> str:
    """A notebook path as the contents API writes it (relative, ``/``-separated)."""
    if not isinstance(path, str) or not path.strip():
        raise InputError(f"Give the {what} as a non-empty string.")
    check_size(path, limits.max_path_chars, what)
    if "\0" in path:
        raise InputError(f"The {what} holds a NUL character.")
    parts = path.strip("/").split("/")
    if ".." in parts:
        raise InputError(f"The {what} must stay inside the server's root (no '..').")
    return path.strip("/")


def _too_deep(what: str, max_depth: int) -> InputError:
    return InputError(f"The {what} is nested more than {max_depth} levels deep.")


def _depth_exceeds(data: Any, max_depth: int) -> bool:
    """Whether ``data`` nests containers deeper than ``max_depth`` (iterative: no
    recursion to exhaust)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
        elif isinstance(value, list):
            children = value
        else:
            continue
        if depth > max_depth:
            return True
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))
    return False
