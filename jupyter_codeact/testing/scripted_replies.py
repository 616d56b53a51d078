"""What the scripted OpenAI-compatible server (:mod:`.scripted_llm`) answers, and what it
records of each request."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal


@dataclass
class Reply:
    """One scripted answer (a plain string means ``Reply(content=...)``)."""

    content: str = ""
    status: int = 200
    """An HTTP error status (429, 401, 500...) sends an OpenAI-style error body instead."""
    error_message: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    """Extra response headers, e.g. ``{"retry-after-ms": "10"}``."""
    delay: float = 0.0
    """Seconds before the response starts."""
    chunk_delay: float = 0.0
    """Seconds between streamed chunks (of reasoning, then of content)."""
    chunk_size: int = 6
    """Characters of content per streamed chunk (0: all in one)."""
    cut_after: int | None = None
    """Close the connection after this many content chunks, without finishing the stream."""
    malformed: bool = False
    """Send a chunk that is not JSON after the first content chunk."""
    odd_chunks: bool = False
    """Send the odd chunks real servers send besides the content (Azure's content-filter
    chunk with no choices, a null ``choices``, a null ``delta``, a null ``content``)."""
    hang: bool = False
    """Never answer: hold the connection until the client goes away."""
    usage: bool = True
    """Report token usage when the client asks for it (``stream_options.include_usage``)."""
    reasoning: str = ""
    """Reasoning streamed before the content, as its own deltas (``<think>`` text goes in
    ``content``, as servers without a reasoning parser send it)."""
    reasoning_field: Literal["reasoning_content", "reasoning"] = "reasoning_content"
    """The delta field of the reasoning: DeepSeek and vLLM's parsers send
    ``reasoning_content``; Ollama, newer vLLM and OpenRouter ``reasoning``."""
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    """Native calls after the content: ``{"name": ..., "arguments": {...} or "json"}`` (an
    ``id`` is made up unless given). Streamed in pieces of ``chunk_size`` characters of
    arguments (0: each call whole, as Ollama sends them)."""
    quote: dict[str, str] = field(default_factory=dict)
    """Fill ``{name}`` in ``content`` with what the regex ``quote[name]`` captures (its first
    group, last match) in the request's messages, as a model quotes an id it was given:
    ``{"cell": r"ran in cell (c[0-9a-f]+)"}``."""

    def quoting(self, request: RecordedRequest) -> Reply:
        """This reply with its placeholders filled from ``request``."""
        if not self.quote:
            return self
        text = "\n".join(str(m.get("content", "")) for m in request.messages)
        content = self.content
        for name, pattern in self.quote.items():
            found = re.findall(pattern, text)
            content = content.replace("{" + name + "}", str(found[-1]) if found else "")
        return dataclasses.replace(self, content=content)

    @classmethod
    def of(cls, value: Reply | str | dict[str, Any]) -> Reply:
        if isinstance(value, Reply):
            return value
        if isinstance(value, str):
            return cls(content=value)
        return cls(**value)


@dataclass
class RecordedRequest:
    index: int
    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    received_at: float
    chunk_times: list[float] = field(default_factory=list)
    """Wall-clock time (time.time()) at which each content chunk was written."""

    @property
    def messages(self) -> list[dict[str, Any]]:
        return list(self.body.get("messages", []))

    @property
    def last_user_text(self) -> str:
        for message in reversed(self.messages):
            if message.get("role") == "user":
                content = message.get("content")
                if isinstance(content, list):
                    return "".join(p.get("text", "") for p in content if isinstance(p, dict))
                return str(content)
        return ""


Responder = Callable[[RecordedRequest], "Reply | str | dict[str, Any]"]
