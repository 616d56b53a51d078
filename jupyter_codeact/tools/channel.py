"""The host's half of the kernel round trip: read a tool call from an ``input_request``'s
prompt, and write the ``input_reply`` value that answers it.

See :mod:`.kernel_side` for the kernel's half and why the stdin channel carries the calls:
it is the kernel protocol's one blocking request from a running cell to its client, it
goes only to the client that sent the execution (results are never broadcast on IOPub), and
it works wherever the kernel runs (locally, or behind a Kernel Gateway or the Jupyter
server's websocket).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from typing import Any

from .kernel_side import EOF, MARKER, METADATA_KEY

__all__ = [
    "EOF",
    "METADATA_KEY",
    "ToolRequest",
    "error_reply",
    "new_nonce",
    "parse",
    "reply",
    "reply_data",
]


@dataclass(frozen=True)
class ToolRequest:
    nonce: str
    server: str
    tool: str
    arguments: dict[str, Any]


def new_nonce() -> str:
    """A fresh value for the execute request's metadata: calls must carry it back."""
    return secrets.token_urlsafe(18)


def is_tool_call(prompt: str) -> bool:
    return prompt.startswith(MARKER)


def parse(prompt: str) -> ToolRequest | None:
    """The call in ``prompt``; None if the prompt is not a (well-formed) tool call."""
    if not is_tool_call(prompt):
        return None
    try:
        data = json.loads(prompt[len(MARKER) :])
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    nonce, server, tool = data.get("nonce"), data.get("server"), data.get("tool")
    arguments = data.get("arguments")
    if not all(isinstance(value, str) for value in (nonce, server, tool)):
        return None
    if not isinstance(arguments, dict):
        return None
    return ToolRequest(str(nonce), str(server), str(tool), arguments)


def reply_data(
    ok: bool, value: Any = None, error: str = "", unavailable: bool = False
) -> dict[str, Any]:
    """What the kernel's tool function reads: a value, or an error of a ``kind``: ``tool``
    (the tool said no: the kernel raises ToolError) or ``unavailable`` (it cannot be called
    now: ToolUnavailable)."""
    if ok:
        return {"ok": True, "value": value}
    return {"ok": False, "kind": "unavailable" if unavailable else "tool", "error": error}


def reply(value: Any) -> str:
    return json.dumps(reply_data(True, value), ensure_ascii=False)


def error_reply(message: str, *, kind: str = "tool") -> str:
    data = reply_data(False, error=message, unavailable=kind == "unavailable")
    return json.dumps(data, ensure_ascii=False)
