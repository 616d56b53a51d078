"""What a host shows of each event: the one projection every host renders from.

:func:`view_of` turns each of the loop's events (:mod:`.events`) into one of a few typed
view records, saying *what* to show in terms no host owns: streamed text (of the reply, its
reasoning or its code), a reply broken off and asked again, the reasoning complete, the
reply's prose, an action's code, its result, a note, the answer, a problem, the tokens, the
end. Hosts (the panel's entries, the terminal, the magic's widgets, text and markdown,
transcripts, the eval's tally) decide *how* to show it, and match on these records alone.

:func:`view_of` handles every event type, checked by the type checker: its last branch is
``assert_never``, so adding an event to :data:`.events.AnyEvent` without a view fails
``mypy --strict`` (``tests/test_view.py`` shows it).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Literal

from .actions import prose
from .events import (
    Action,
    ActionDelta,
    AnyEvent,
    AssistantMessage,
    Condensed,
    Done,
    Error,
    ErrorKind,
    FinalAnswer,
    Observation,
    Retry,
    StopReason,
    TextDelta,
    Thinking,
    ThinkingDelta,
    Usage,
)

if sys.version_info >= (3, 11):
    from typing import assert_never
else:  # Python 3.10: the same function (openai depends on typing_extensions)
    from typing_extensions import assert_never

__all__ = [
    "Answered",
    "Code",
    "Ended",
    "Note",
    "Problem",
    "Reasoning",
    "Reply",
    "Restarted",
    "Result",
    "Streamed",
    "Tokens",
    "View",
    "thinking_label",
    "view_of",
]


@dataclass(frozen=True)
class Streamed:
    """A piece of the reply as it streams: its ``text``, its ``reasoning`` (shown, never
    run), or the ``code`` of a native tool call (the :class:`Code` follows, whole)."""

    turn: int
    part: Literal["text", "reasoning", "code"]
    text: str


@dataclass(frozen=True)
class Restarted:
    """The reply broke off and is asked again: what streamed of this turn goes."""

    turn: int
    attempt: int
    reason: str


@dataclass(frozen=True)
class Reasoning:
    """The model's reasoning of a turn, complete, with the label it is folded under."""

    turn: int
    text: str
    seconds: float | None
    label: str


@dataclass(frozen=True)
class Reply:
    """The reply of a turn, complete: ``text`` as the model reads it back, ``prose`` what
    shows of it (without its action, answer and reasoning; "" when there is none)."""

    turn: int
    text: str
    prose: str


@dataclass(frozen=True)
class Code:
    """An action's code, about to run (or wait for approval)."""

    turn: int
    action: Action


@dataclass(frozen=True)
class Result:
    """What running an action gave: its ``observation``, and ``body``, the observation's
    text without its ``Observation:`` label (what a terminal prints)."""

    turn: int
    observation: Observation
    body: str


@dataclass(frozen=True)
class Note:
    """A sentence about the run that is not a step (older steps condensed: ``condensed``
    of them summarized)."""

    turn: int
    text: str
    condensed: int


@dataclass(frozen=True)
class Answered:
    """The model's answer to the user."""

    turn: int
    text: str


@dataclass(frozen=True)
class Problem:
    """Something the user must be told: one plain sentence saying what to fix."""

    turn: int
    kind: ErrorKind
    message: str


@dataclass(frozen=True)
class Tokens:
    """Tokens one model call used, and the run's total so far."""

    turn: int
    prompt: int
    completion: int
    run_total: int


@dataclass(frozen=True)
class Ended:
    """The run is over: why, after how many turns and tokens."""

    turn: int
    reason: StopReason
    detail: str
    turns: int
    total_tokens: int


View = (
    Streamed
    | Restarted
    | Reasoning
    | Reply
    | Code
    | Result
    | Note
    | Answered
    | Problem
    | Tokens
    | Ended
)


def thinking_label(seconds: float | None) -> str:
    """ "Thought for 3 s" (or "Thoughts" when the duration is unknown)."""
    return "Thoughts" if seconds is None else f"Thought for {max(round(seconds), 1)} s"


def view_of(event: AnyEvent) -> View:
    """What to show of ``event``."""
    turn = event.turn
    match event:
        case TextDelta():
            return Streamed(turn, "text", event.text)
        case ThinkingDelta():
            return Streamed(turn, "reasoning", event.text)
        case ActionDelta():
            return Streamed(turn, "code", event.text)
        case Retry():
            return Restarted(turn, event.attempt, event.reason)
        case Thinking():
            return Reasoning(turn, event.text, event.seconds, thinking_label(event.seconds))
        case AssistantMessage():
            return Reply(turn, event.text, prose(event.text))
        case Action():
            return Code(turn, event)
        case Observation():
            body = event.text.removeprefix("Observation:").strip("\n")
            return Result(turn, event, body)
        case Condensed():
            return Note(turn, event.describe(), event.steps)
        case FinalAnswer():
            return Answered(turn, event.answer)
        case Error():
            return Problem(turn, event.kind, event.message)
        case Usage():
            return Tokens(
                turn, event.prompt_tokens, event.completion_tokens, event.run_total_tokens
            )
        case Done():
            return Ended(turn, event.reason, event.detail, event.turns, event.total_tokens)
        case _:
            assert_never(event)
