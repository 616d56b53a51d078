"""Native tool calls on the wire: assembled from their streamed pieces, and one argument
decoded as it streams (so the code of a call can be shown while the model writes it).

Endpoints stream a call as ``delta.tool_calls[i]`` pieces: the first carries the call's
``id`` and function ``name``, the following ones pieces of its ``arguments`` (a JSON
object, as text). OpenAI and vLLM cut the arguments anywhere, a string escape included;
Ollama sends each call whole. Servers that give no index or no id get one made up here,
since every call must be answered by id.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

_SIMPLE_ESCAPES = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r"}
_SIMPLE_ESCAPES["t"] = "\t"


@dataclass(frozen=True)
class ToolCallDelta:
    """One streamed piece of a tool call."""

    index: int | None
    id: str | None = None
    name: str | None = None
    arguments: str = ""


@dataclass(frozen=True)
class ToolCall:
    """A complete tool call: its id, function name and arguments (JSON text, as sent)."""

    id: str
    name: str
    arguments: str

    def to_wire(self) -> dict[str, Any]:
        """The call as it goes into an assistant message's ``tool_calls``."""
        return {
            "id": self.id,
            "type": "function",
            "function": {"name": self.name, "arguments": self.arguments},
        }

    @classmethod
    def from_wire(cls, data: Any) -> ToolCall | None:
        """A call from a stored assistant message (None if it is not one)."""
        if not isinstance(data, dict) or not isinstance(data.get("function"), dict):
            return None
        function = data["function"]
        return cls(
            id=str(data.get("id") or ""),
            name=str(function.get("name") or ""),
            arguments=str(function.get("arguments") or ""),
        )


@dataclass
class _Building:
    id: str | None
    name: str
    arguments: list[str] = field(default_factory=list)


class ToolCallAssembler:
    """Collects the tool-call pieces of one reply, in the order the calls began."""

    def __init__(self) -> None:
        self._calls: list[_Building] = []
        self._by_index: dict[int, int] = {}

    def __bool__(self) -> bool:
        return bool(self._calls)

    def feed(self, delta: ToolCallDelta) -> int:
        """Add a piece; returns the position of its call (0 for the reply's first call)."""
        position = self._position(delta)
        call = self._calls[position]
        if delta.id and not call.id:
            call.id = delta.id
        if delta.name and not call.name:
            call.name = delta.name
        if delta.arguments:
            call.arguments.append(delta.arguments)
        return position

    def _position(self, delta: ToolCallDelta) -> int:
        if delta.index is not None:
            if delta.index not in self._by_index:
                self._by_index[delta.index] = len(self._calls)
                self._calls.append(_Building(delta.id, delta.name or ""))
            return self._by_index[delta.index]
        # No index: a new id (or the first piece) starts a call, anything else continues one.
        if not self._calls or (delta.id and delta.id != self._calls[-1].id):
            self._calls.append(_Building(delta.id, delta.name or ""))
        return len(self._calls) - 1

    def calls(self) -> tuple[ToolCall, ...]:
        return tuple(
            ToolCall(
                id=call.id or f"call_{uuid.uuid4().hex[:24]}",
                name=call.name,
                arguments="".join(call.arguments),
            )
            for call in self._calls
        )


class StreamedField:
    """Decodes one top-level string field of a JSON object as the object's text streams in.

    ``feed`` returns the field's text that became known with each piece; pieces may end
    anywhere (in an escape too). Everything else in the object is skipped. The complete
    arguments are parsed with :func:`json.loads` once the call is complete: this is only
    for showing the value early.
    """

    def __init__(self, name: str) -> None:
        self.name = name
        self._depth = 0
        self._in_string = False
        self._role = ""  # of the current string: "key", "value" (ours) or "other"
        self._escape = ""
        self._key: list[str] = []
        self._last_key: str | None = None
        self._expect_key = False
        self._high_surrogate = ""
        self._done = False

    def feed(self, piece: str) -> str:
        out: list[str] = []
        for char in piece:
            if self._done:
                break
            if self._in_string:
                self._in_string_char(char, out)
            else:
                self._structure_char(char)
        return "".join(out)

    def _structure_char(self, char: str) -> None:
        if char == '"':
            self._in_string = True
            if self._depth == 1 and self._expect_key:
                self._role, self._key = "key", []
            elif self._depth == 1 and self._last_key == self.name:
                self._role = "value"
            else:
                self._role = "other"
        elif char in "{[":
            self._depth += 1
            self._expect_key = self._depth == 1 and char == "{"
        elif char in "}]":
            self._depth -= 1
        elif char == "," and self._depth == 1:
            self._expect_key = True
        elif char == ":" and self._depth == 1:
            self._expect_key = False

    def _in_string_char(self, char: str, out: list[str]) -> None:
        if self._escape:
            self._escape += char
            decoded = _decode_escape(self._escape)
            if decoded is None:
                return
            self._escape = ""
            self._text(decoded, out)
        elif char == "\\":
            self._escape = "\\"
        elif char == '"':
            self._in_string = False
            if self._role == "key":
                self._last_key = "".join(self._key)
            elif self._role == "value":
                self._done = True
        else:
            self._text(char, out)

    def _text(self, text: str, out: list[str]) -> None:
        if self._role == "key":
            self._key.append(text)
        elif self._role == "value":
            if self._high_surrogate:
                text = (
                    (self._high_surrogate + text)
                    .encode("utf-16", "surrogatepass")
                    .decode("utf-16", "replace")
                )
                self._high_surrogate = ""
            elif len(text) == 1 and "\ud800" <= text <= "\udbff":
                self._high_surrogate = text
                return
            out.append(text)


def _decode_escape(escape: str) -> str | None:
    """The character of a complete escape (``\\n``, ``\\u00e9``), None while incomplete."""
    kind = escape[1]
    if kind in _SIMPLE_ESCAPES:
        return _SIMPLE_ESCAPES[kind]
    if kind != "u":
        return escape[1:]  # invalid JSON: show it as written
    if len(escape) < 6:
        return None
    try:
        return chr(int(escape[2:6], 16))
    except ValueError:
        return escape


def arguments_of(call: ToolCall) -> dict[str, Any] | str:
    """The call's arguments as an object, or a sentence saying why they are not one."""
    text = call.arguments.strip() or "{}"
    try:
        value = json.loads(text)
    except ValueError as error:
        return f"the arguments are not valid JSON ({error})"
    if not isinstance(value, dict):
        return "the arguments must be a JSON object"
    return value
