"""The typed events the agent loop yields; every host consumes these.

The wire form (``to_dict``) is mirrored in ``src/wire.ts``; change both together.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

ExecutionStatus = Literal["ok", "error", "timeout", "interrupted", "died", "skipped", "refused"]
"""How an action's execution ended.

``died`` means the kernel died (and was restarted: state is lost);
``skipped`` means the user declined to run it; ``refused`` that it named a cell it may not
replace, so nothing ran (the observation says why).
"""

StopReason = Literal["answered", "max_turns", "token_budget", "cancelled", "error"]
"""Why a run ended."""

ErrorKind = Literal[
    "config",
    "auth",
    "not_found",
    "unreachable",
    "rate_limited",
    "server",
    "bad_response",
    "executor",
]


@dataclass(frozen=True)
class Event:
    """Base class: every event has a wire ``type`` and the turn it belongs to."""

    type: ClassVar[str] = "event"
    turn: int

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["type"] = self.type
        return data


@dataclass(frozen=True)
class TextDelta(Event):
    """A piece of the assistant's reply as it streams in."""

    type: ClassVar[str] = "text_delta"
    text: str


@dataclass(frozen=True)
class ThinkingDelta(Event):
    """A piece of the model's reasoning as it streams in (shown, never run or sent back)."""

    type: ClassVar[str] = "thinking_delta"
    text: str


@dataclass(frozen=True)
class Thinking(Event):
    """The model's reasoning for this turn, complete: ``seconds`` it took to stream (None
    when the reasoning was only found in the finished reply)."""

    type: ClassVar[str] = "thinking"
    text: str
    seconds: float | None = None


@dataclass(frozen=True)
class Retry(Event):
    """The LLM stream broke and is being requested again: discard this turn's partial text."""

    type: ClassVar[str] = "retry"
    reason: str
    attempt: int


@dataclass(frozen=True)
class AssistantMessage(Event):
    """The assistant's reply for this turn, as the model will read it back: cut after its
    first action (what it wrote beyond, such as an imagined observation, is dropped; the
    text deltas carried all of it)."""

    type: ClassVar[str] = "message"
    text: str


@dataclass(frozen=True)
class Action(Event):
    """Code the model asked to run."""

    type: ClassVar[str] = "action"
    code: str
    action_id: str
    cell: str = ""
    """The id (as the model writes it, e.g. ``c3a1``) that a new cell made by this action
    gets; "" when the host has no cells."""
    replaces: str = ""
    """The id of the existing cell whose code this action replaces ("" for a new cell);
    the rule is :mod:`jupyter_codeact.core.cells`."""
    or_new: bool = False
    """When ``replaces`` cannot be replaced (the user changed or deleted it): True puts the
    code in a new cell instead (the loop's own choice), False refuses the action (the
    model named the cell)."""
    keeps: str = ""
    """The id of the failed cell this action does not replace, because its code would lose
    what that cell defined before its error ("" for none): the new cell goes right below
    it, and the host changes it as ``trim_to`` says, if it is still the agent's unchanged
    cell (else it leaves it alone)."""
    trim_to: str = ""
    """With ``keeps``: the source that cell is cut to, exactly the statements that ran
    before its error (its error output goes, its other outputs stay). "" leaves it whole,
    marked as failed (the ``raises-exception`` tag, so that *Run All* goes on past it)."""
    note: str = ""
    """With ``keeps``: what happened to that cell, in a sentence for the user (the chat
    step shows it)."""


@dataclass(frozen=True)
class ActionDelta(Event):
    """A piece of the code of the action the model is writing, as it streams (native tool
    calls: the code argument as its pieces arrive). :class:`Action` follows with the whole
    code once the reply is complete; hosts show the pieces until then."""

    type: ClassVar[str] = "action_delta"
    text: str


@dataclass(frozen=True)
class Condensed(Event):
    """Older steps of the conversation were condensed for the model, to keep the prompt
    within the context window: their outputs (and, if need be, their code) are sent as
    short summaries. The conversation kept by the host (chat, transcript) is complete.

    ``steps``: how many older actions are summarized now; ``prompt_tokens``: the prompt's
    estimated size after condensing; ``window``: the model's context window; ``retry``:
    the endpoint refused a prompt as too long and it was condensed further."""

    type: ClassVar[str] = "condensed"
    steps: int
    prompt_tokens: int
    window: int
    retry: bool = False

    def describe(self) -> str:
        """What hosts tell the user, in a sentence."""
        why = "The endpoint refused the prompt as too long, so older" if self.retry else "Older"
        plural = "s" if self.steps != 1 else ""
        what = f"{self.steps} earlier step{plural} summarized, " if self.steps else ""
        return (
            f"{why} steps were condensed for the model to fit its context window: {what}"
            f"the prompt is now about {self.prompt_tokens:,} of {self.window:,} tokens (the "
            "full steps are kept)."
        )


@dataclass(frozen=True)
class Observation(Event):
    """What running an action produced, as the model will read it.

    ``outputs`` are the nbformat outputs as the executor returned them (bounded),
    ``code`` is what actually ran (the user may have edited it).
    """

    type: ClassVar[str] = "observation"
    action_id: str
    status: ExecutionStatus
    text: str
    code: str
    outputs: list[dict[str, Any]] = field(default_factory=list)
    execution_count: int | None = None
    cell: str = ""
    """The id of the cell the code ran in ("" when the host has no cells or nothing ran)."""
    replaced: bool = False
    """True when the code replaced that cell's earlier code instead of making a new cell."""


@dataclass(frozen=True)
class FinalAnswer(Event):
    """The model's answer to the user; the run ends after it."""

    type: ClassVar[str] = "final"
    answer: str


@dataclass(frozen=True)
class Usage(Event):
    """Tokens used by one LLM call, and the run's running total."""

    type: ClassVar[str] = "usage"
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int
    run_total_tokens: int
    estimated: bool = False


@dataclass(frozen=True)
class Error(Event):
    """Something the user must be told; ``message`` is one plain sentence saying what to fix."""

    type: ClassVar[str] = "error"
    kind: ErrorKind
    message: str


@dataclass(frozen=True)
class Done(Event):
    """The last event of every run."""

    type: ClassVar[str] = "done"
    reason: StopReason
    detail: str = ""
    turns: int = 0
    total_tokens: int = 0


AnyEvent = (
    TextDelta
    | Retry
    | AssistantMessage
    | Action
    | Observation
    | FinalAnswer
    | Usage
    | Error
    | Done
    | ThinkingDelta
    | Thinking
    | ActionDelta
    | Condensed
)
