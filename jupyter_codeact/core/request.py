"""What one request sends: the conversation, each message encoded as JSON once.

A chat of 200 turns holds 400 messages; turning all of them into the request body on
every turn (the ``openai`` client validates and transforms each message, about 0.4 ms a
message) made each turn slower than the last. Here each message is encoded when it is
first sent and the body is the encodings joined, so a request costs the same at turn 200
as at turn 2 (:mod:`.condense` keeps the encodings; :mod:`.llm` sends them).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

Message = dict[str, Any]
"""One chat message in the OpenAI wire form (``role`` and ``content``, and ``tool_calls``
or ``tool_call_id`` for native tool calls)."""

_WIRE_KEYS = ("role", "content", "name", "tool_calls", "tool_call_id")
"""The keys a message is sent with (anything else a host stored beside them stays home)."""


def encode_message(message: Message) -> bytes:
    """``message`` as the JSON the endpoint receives."""
    wire = {key: message[key] for key in _WIRE_KEYS if key in message}
    return json.dumps(wire, ensure_ascii=False).encode()


def encode_tools(tools: Sequence[dict[str, Any]]) -> bytes:
    return json.dumps(list(tools), ensure_ascii=False).encode() if tools else b""


@dataclass(frozen=True)
class Prompt:
    """The messages of one request, in order, with their encodings.

    ``tools`` are the native functions offered with it (none in the tags style).
    """

    messages: Sequence[Message]
    encoded: Sequence[bytes]
    tools: Sequence[dict[str, Any]] = ()
    encoded_tools: bytes = b""
    size: int = 0
    """Bytes of JSON the prompt sends (messages and tools): what its tokens scale with."""

    @classmethod
    def of(cls, messages: Sequence[Message], tools: Sequence[dict[str, Any]] = ()) -> Prompt:
        """A prompt encoded from scratch (one-off requests and tests)."""
        encoded = [encode_message(m) for m in messages]
        encoded_tools = encode_tools(tools)
        return cls(
            messages=list(messages),
            encoded=encoded,
            tools=tuple(tools),
            encoded_tools=encoded_tools,
            size=sum(map(len, encoded)) + len(encoded_tools),
        )

    def body(self, fields: dict[str, Any]) -> bytes:
        """The request body: ``fields`` (model, stream, temperature...) and this prompt."""
        head = json.dumps(fields, ensure_ascii=False).encode()
        parts = [head[:-1], b', "messages": [', b", ".join(self.encoded), b"]"]
        if self.encoded_tools:
            parts += [b', "tools": ', self.encoded_tools]
        parts.append(b"}")
        return b"".join(parts)
