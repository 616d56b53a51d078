"""One reply as it streams in: its text, its native calls, and the events hosts see of it.

Text streams as text deltas and reasoning as thinking events (:mod:`.reasoning`); the code
argument of the reply's first native call streams as action deltas, decoded from the
arguments' JSON as it arrives (:mod:`.tool_calls`). Everything shown is redacted as it
streams, a secret split across two pieces included.
"""

from __future__ import annotations

from collections.abc import Iterator

from .events import ActionDelta, AnyEvent, TextDelta
from .llm import LLMChunk, TokenUsage
from .reasoning import Thoughts
from .redact import Redactor, StreamRedactor
from .styles import ModelReply
from .tool_calls import StreamedField, ToolCallAssembler


class ReplyStream:
    def __init__(self, turn: int, redactor: Redactor) -> None:
        self.turn = turn
        self._shown = StreamRedactor(redactor)
        self._code_shown = StreamRedactor(redactor)
        self._thoughts = Thoughts(turn, redactor)
        self.reset(None)

    def reset(self, streamed_argument: str | None) -> None:
        """Start (again): a retried reply is streamed afresh."""
        self._text: list[str] = []
        self._reasoning: list[str] = []
        self._calls = ToolCallAssembler()
        self._field = StreamedField(streamed_argument) if streamed_argument else None
        self.usage: TokenUsage | None = None
        self._shown.reset()
        self._code_shown.reset()
        self._thoughts.reset()

    def feed(self, chunk: LLMChunk) -> Iterator[AnyEvent]:
        if chunk.reasoning:
            self._reasoning.append(chunk.reasoning)
            yield from self._thoughts.reasoning(chunk.reasoning)
        if chunk.text:
            yield from self._thoughts.end()
            self._text.append(chunk.text)
            if text := self._shown.feed(chunk.text):
                yield TextDelta(turn=self.turn, text=text)
        if chunk.tool_call is not None:
            yield from self._thoughts.end()
            position = self._calls.feed(chunk.tool_call)
            if position == 0 and self._field is not None:
                piece = self._field.feed(chunk.tool_call.arguments)
                if piece and (code := self._code_shown.feed(piece)):
                    yield ActionDelta(turn=self.turn, text=code)
        if chunk.usage is not None:
            self.usage = chunk.usage

    def finish(self) -> Iterator[AnyEvent]:
        """The stream ended: whatever was held back."""
        yield from self._thoughts.end()
        if text := self._shown.flush():
            yield TextDelta(turn=self.turn, text=text)
        if code := self._code_shown.flush():
            yield ActionDelta(turn=self.turn, text=code)

    @property
    def reasoning(self) -> str:
        """The reasoning the endpoint sent apart from the text (kept, never sent back)."""
        return "".join(self._reasoning)

    def reply(self) -> ModelReply:
        return ModelReply(text="".join(self._text), tool_calls=self._calls.calls())
