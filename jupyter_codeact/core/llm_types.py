"""What the agent needs of a model (:class:`LLM`): the chunks of a streamed reply, the
tokens it used, and the errors a caller can act on. :mod:`.llm` implements it over any
OpenAI-compatible endpoint; tests and benchmarks implement it with scripts."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Protocol

from .endpoint import EndpointQuirks, Overflow
from .events import ErrorKind
from .request import Message, Prompt
from .tool_calls import ToolCallDelta


@dataclass(frozen=True)
class TokenUsage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class LLMChunk:
    """A piece of a streamed reply: text, reasoning, or the usage report that ends it."""

    text: str = ""
    usage: TokenUsage | None = None
    reasoning: str = ""
    """The model's reasoning (never part of ``text``; never sent back to the model)."""
    tool_call: ToolCallDelta | None = None
    """A piece of a native tool call."""


class LLMError(Exception):
    """The endpoint failed in a way the user must hear about.

    ``retryable`` errors (a stream cut mid-way) may succeed if the request is sent again.
    """

    def __init__(self, kind: ErrorKind, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.retryable = retryable


class ToolsRefused(LLMError):
    """The endpoint does not take native tools for this model (learned in its quirks)."""

    def __init__(self, message: str, said: str) -> None:
        super().__init__("bad_response", message)
        self.said = said


class ContextOverflow(LLMError):
    """The prompt is longer than the model's context window."""

    def __init__(self, message: str, overflow: Overflow) -> None:
        super().__init__("bad_response", message)
        self.overflow = overflow


class LLM(Protocol):
    """What the agent loop needs from a model."""

    @property
    def model(self) -> str: ...

    @property
    def quirks(self) -> EndpointQuirks:
        """What the endpoint accepts for this model, as learned so far."""
        ...

    async def context_window(self) -> int:
        """The model's context window in tokens (configured, reported, or a default)."""
        ...

    def stream(self, prompt: Prompt | Sequence[Message]) -> AsyncIterator[LLMChunk]:
        """Stream the reply to ``prompt``; raise :class:`LLMError` on failure
        (:class:`ToolsRefused` and :class:`ContextOverflow` are the ones a caller can
        act on)."""
        ...
