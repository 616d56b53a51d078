"""Reasoning as its own stream.

Endpoints deliver a model's reasoning three ways: ``reasoning_content`` deltas (DeepSeek,
vLLM's reasoning parsers), ``reasoning`` deltas (Ollama, newer vLLM, OpenRouter), or
``<think>`` text at the start of the content (Qwen3 and DeepSeek-R1 on servers without a
reasoning parser). :class:`ThinkSplitter` splits the last kind out of the content as it
streams, so every host sees reasoning as reasoning and never as prose; :class:`Thoughts`
turns the reasoning pieces of one reply into ``thinking`` events.

Only reasoning that opens the reply (after blank space; one block after another too) is
split at stream time: that is where models write it, and code the reply writes later may
well contain the text ``<think>``. Reasoning elsewhere is found by the reply grammar once
the reply is complete (:mod:`.actions`), and is never run either way.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from typing import Literal

from .events import Thinking, ThinkingDelta
from .redact import Redactor, StreamRedactor

Piece = tuple[Literal["reasoning", "text"], str]

_OPENERS = ("<think>", "<thinking>")
_CLOSER = re.compile(r"</think(?:ing)?>", re.IGNORECASE)
_CLOSERS = ("</think>", "</thinking>")


def _partial_suffix(text: str, candidates: tuple[str, ...]) -> int:
    """Length of the longest end of ``text`` that could be the start of a candidate."""
    lowered = text[-max(len(c) for c in candidates) :].lower()
    for size in range(len(lowered), 0, -1):
        if any(c.startswith(lowered[-size:]) for c in candidates):
            return size
    return 0


class ThinkSplitter:
    """Feed it the content deltas of one reply; it returns reasoning and text pieces."""

    def __init__(self) -> None:
        self._state: Literal["start", "reasoning", "text"] = "start"
        self._buffer = ""

    @property
    def in_reasoning(self) -> bool:
        """True while (or, after :meth:`close`, if) a reasoning block is open."""
        return self._state == "reasoning"

    @property
    def passing_through(self) -> bool:
        """True once the reply's text has begun: the rest is passed on as it comes."""
        return self._state == "text"

    def feed(self, text: str) -> list[Piece]:
        if self._state == "text":
            return [("text", text)] if text else []
        self._buffer += text
        pieces: list[Piece] = []
        while self._buffer and self._step(pieces):
            pass
        if self.passing_through and self._buffer:
            pieces.append(("text", self._buffer))
            self._buffer = ""
        return pieces

    def _step(self, pieces: list[Piece]) -> bool:
        """Move on through the buffer; False when more input is needed."""
        state = self._state
        if state == "start":
            return self._start()
        if state == "reasoning":
            return self._reason(pieces)
        return False

    def close(self) -> list[Piece]:
        """The reply ended: whatever was held back."""
        rest, self._buffer = self._buffer, ""
        if not rest:
            return []
        if self._state == "reasoning":
            return [("reasoning", rest)]
        return [("text", rest.lstrip())] if rest.strip() else []

    def _start(self) -> bool:
        """At the start of the reply (or after a reasoning block): does reasoning open?"""
        head = self._buffer.lstrip()
        lowered = head.lower()
        opener = next((o for o in _OPENERS if lowered.startswith(o)), None)
        if opener is not None:
            self._buffer = head[len(opener) :]
            self._state = "reasoning"
            return True
        if not head or any(o.startswith(lowered) for o in _OPENERS):
            return False  # blank so far, or maybe the start of a tag: wait for more
        self._buffer = head
        self._state = "text"
        return True

    def _reason(self, pieces: list[Piece]) -> bool:
        match = _CLOSER.search(self._buffer)
        if match is not None:
            if match.start():
                pieces.append(("reasoning", self._buffer[: match.start()]))
            self._buffer = self._buffer[match.end() :]
            self._state = "start"
            return True
        keep = _partial_suffix(self._buffer, _CLOSERS)
        shown = self._buffer[: len(self._buffer) - keep]
        if shown:
            pieces.append(("reasoning", shown))
        self._buffer = self._buffer[len(shown) :]
        return False


class Thoughts:
    """The reasoning of one reply, as events: live pieces, then the whole with its duration.

    Blank reasoning (Qwen3's empty ``<think></think>`` when thinking is off) is no thought.
    The live pieces are redacted as they stream (a secret split across two pieces too).
    """

    def __init__(self, turn: int, redactor: Redactor | None = None) -> None:
        self.turn = turn
        self._shown_text = StreamRedactor(redactor or Redactor())
        self._pieces: list[str] = []
        self._started = 0.0
        self._shown = False

    def reasoning(self, text: str) -> Iterator[ThinkingDelta]:
        if not self._pieces:
            self._started = time.monotonic()
        self._pieces.append(text)
        if not self._shown:
            if not "".join(self._pieces).strip():
                return
            self._shown = True
            text = "".join(self._pieces).lstrip()
        if visible := self._shown_text.feed(text):
            yield ThinkingDelta(turn=self.turn, text=visible)

    def end(self) -> Iterator[ThinkingDelta | Thinking]:
        """The reasoning is over (text follows, or the reply ended)."""
        if self._shown:
            if rest := self._shown_text.flush():
                yield ThinkingDelta(turn=self.turn, text=rest)
            seconds = round(time.monotonic() - self._started, 3)
            yield Thinking(turn=self.turn, text="".join(self._pieces).strip(), seconds=seconds)
        self.reset()

    def reset(self) -> None:
        self._pieces = []
        self._shown = False
        self._shown_text.reset()
