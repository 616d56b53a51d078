"""The conversation as the loop lived it: typed steps, and the messages they render to.

The agent records a step for each thing that happens (the user's request, the model's
reply, the observation of an action, a note to the model, the answer, a condensing), when
it happens. The messages the model reads are a projection of the steps: each step keeps
the messages its action style rendered for it (:mod:`.styles`; a tools-style reply and its
results are tied by call ids fixed when they were made), and :class:`Conversation` keeps
the flat list the model is sent, appended to as steps come (a turn costs the same at turn
200 as at turn 2).

Nothing learns what a message is by reading its text: the condenser (:mod:`.condense`)
reads each message's kind from its step, a host the cells and outcomes from the steps.
Conversations saved before steps existed come in through :mod:`.legacy`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from typing import Any, ClassVar, Literal

from .request import Message

Kind = Literal["system", "request", "reply", "action", "observation", "other"]
"""What a message is to the condenser: a reply that acted is an ``action``."""


@dataclass
class Step:
    """Something that happened in the conversation, and the messages it rendered to."""

    type: ClassVar[str] = "step"
    messages: list[Message] = field(default_factory=list)
    turn: int = 0
    started: float = field(default_factory=time.time)
    """When it began (seconds since the epoch)."""
    duration: float = 0.0
    """How long it took, in seconds (a reply's stream, an action's run)."""

    def kinds(self) -> Iterator[Kind]:
        for _ in self.messages:
            yield "other"

    def to_json(self) -> dict[str, Any]:
        """As saved: the step's fields, its messages among them (the one place they are
        saved: the conversation's list is read back from its steps)."""
        data = {
            f.name: copy.deepcopy(getattr(self, f.name))
            for f in fields(self)
            if f.name != "messages"
        }
        return {"type": self.type, "messages": list(self.messages), **data}


@dataclass
class SystemStep(Step):
    """The system prompt (the first message; rewritten when the tools or style change)."""

    type: ClassVar[str] = "system"

    def kinds(self) -> Iterator[Kind]:
        for _ in self.messages:
            yield "system"


@dataclass
class RequestStep(Step):
    """The user's request, with the notebook's context sent with it."""

    type: ClassVar[str] = "request"
    text: str = ""
    context: str | None = None
    user_cell: str = ""
    """The user's cell this request is about (Fix the Error)."""

    def kinds(self) -> Iterator[Kind]:
        for _ in self.messages:
            yield "request"


@dataclass
class ReplyStep(Step):
    """One reply of the model: its prose, its reasoning (kept apart, never sent back),
    its action (``code``; ``acted`` also for a call that could not be run), its usage."""

    type: ClassVar[str] = "reply"
    text: str = ""
    reasoning: str = ""
    code: str | None = None
    action_id: str = ""
    acted: bool = False
    prompt_tokens: int = 0
    completion_tokens: int = 0
    estimated: bool = False
    """The tokens were estimated (the endpoint reported none)."""

    def kinds(self) -> Iterator[Kind]:
        for _ in self.messages:
            yield "action" if self.acted else "reply"


@dataclass
class ObservationStep(Step):
    """What an action did, as the model was told, and where it stands as a cell."""

    type: ClassVar[str] = "observation"
    action_id: str = ""
    status: str = ""
    code: str = ""
    """What ran (the user may have edited it before it ran)."""
    cell: str = ""
    replaced: bool = False
    keeps: str = ""
    """A failed cell this action went below, which stays (see :class:`~.events.Action`)."""
    trim_to: str = ""
    failure: dict[str, Any] | None = None
    """Where the cell's code stopped, when it failed (a :class:`~.failure.Failure`)."""

    def kinds(self) -> Iterator[Kind]:
        for _ in self.messages:
            yield "observation"


@dataclass
class NoteStep(Step):
    """What the loop told the model of its own accord: a nudge after a reply that neither
    acted nor answered, or the answer to a call that never ran. A user-role note counts as
    a request (the model answers it as one); a tool-role note as an observation."""

    type: ClassVar[str] = "note"

    def kinds(self) -> Iterator[Kind]:
        for message in self.messages:
            role = message.get("role")
            yield "observation" if role == "tool" else "request" if role == "user" else "other"


@dataclass
class InterruptedStep(Step):
    """The run ended before the outcome of its last action was known (the server stopped
    in the middle of it); ``reason`` says so, and is what the model is told."""

    type: ClassVar[str] = "interrupted"
    reason: str = ""

    def kinds(self) -> Iterator[Kind]:
        for _ in self.messages:
            yield "observation"


@dataclass
class CellsStep(Step):
    """The cells a conversation saved before steps had made (read in by a host's import
    of its older records): ``id``, ``code``, ``status``, ``failure`` and ``kept`` each."""

    type: ClassVar[str] = "cells"
    cells: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class AnswerStep(Step):
    """The answer the run ended with (its message is the reply's)."""

    type: ClassVar[str] = "answer"
    answer: str = ""


@dataclass
class CondensedStep(Step):
    """A mark: the prompt of this turn was condensed (nothing is sent for it)."""

    type: ClassVar[str] = "condensed"
    steps: int = 0
    prompt_tokens: int = 0
    window: int = 0
    retry: bool = False


STEP_TYPES: dict[str, type[Step]] = {
    cls.type: cls
    for cls in (
        SystemStep,
        RequestStep,
        ReplyStep,
        ObservationStep,
        NoteStep,
        InterruptedStep,
        CellsStep,
        AnswerStep,
        CondensedStep,
    )
}


class Conversation:
    """The steps of one conversation and the flat list of messages they render to."""

    def __init__(self, steps: Iterable[Step] = ()) -> None:
        self.steps: list[Step] = []
        self.messages: list[Message] = []
        """What the model is sent (in order), kept as steps come; never rebuilt per turn."""
        self.kinds: list[Kind] = []
        """Each message's kind, from its step."""
        for step in steps:
            self.add(step)

    def add(self, step: Step) -> Step:
        self.steps.append(step)
        self.messages.extend(step.messages)
        self.kinds.extend(step.kinds())
        return step

    def of_type(self, cls: type[Step]) -> Iterator[Any]:
        return (step for step in self.steps if isinstance(step, cls))

    def set_system(self, content: str) -> None:
        """The system prompt is ``content`` (a first step is made for it if there is none)."""
        message: Message = {"role": "system", "content": content}
        if self.steps and isinstance(self.steps[0], SystemStep) and self.steps[0].messages:
            if self.messages[0].get("content") != content:
                self.steps[0].messages[0] = message
                self.messages[0] = message
            return
        self.steps.insert(0, SystemStep(messages=[message]))
        self.messages.insert(0, message)
        self.kinds.insert(0, "system")

    def open_action(self) -> ReplyStep | None:
        """The last reply, if it acted and nothing answered it yet."""
        for step in reversed(self.steps):
            if isinstance(step, ReplyStep):
                return step if step.acted else None
            if step.messages:
                return None
        return None

    def answer_open_action(self, note: str, cls: type[Step] = NoteStep) -> bool:
        """Answer, with ``note``, an action whose outcome never came, in a ``cls`` step right
        after it: each call of a tools-style reply that has no result gets one (an endpoint
        refuses a conversation with an unanswered call). A :class:`NoteStep` answers only
        calls; an :class:`InterruptedStep` also tells a tags-style action's outcome.
        Returns whether there was one to answer."""
        called = self._last_call()
        missing: list[dict[str, Any]] = []
        if called is not None:
            answered = {
                m.get("tool_call_id")
                for step in self.steps[called[1] + 1 :]
                for m in step.messages
                if m.get("role") == "tool"
            }
            missing = [
                c
                for m in called[0].messages
                for c in m.get("tool_calls") or ()
                if isinstance(c, dict) and c.get("id") not in answered
            ]
        open_action = self.open_action()
        if called is not None and missing:
            reply = called[0]
            messages: list[Message] = [
                {"role": "tool", "tool_call_id": call.get("id"), "content": note}
                for call in missing
            ]
        elif open_action is not None and cls is not NoteStep:
            reply = open_action  # a tags-style action: its outcome, as an observation
            messages = [{"role": "user", "content": f"Observation:\n{note}"}]
        else:
            return False
        step = cls(messages=messages, turn=reply.turn)
        if isinstance(step, InterruptedStep):
            step.reason = note
        self.insert_after(reply, step)
        return True

    def _last_call(self) -> tuple[ReplyStep, int] | None:
        """The last reply that made native calls, and where it is."""
        for at in range(len(self.steps) - 1, -1, -1):
            step = self.steps[at]
            if isinstance(step, ReplyStep) and any(m.get("tool_calls") for m in step.messages):
                return step, at
        return None

    def insert_after(self, anchor: Step, step: Step) -> None:
        """Put ``step`` right after ``anchor`` (an answer that belongs with a reply); the
        lists are changed in place (hosts hold them)."""
        at = next(i for i, s in enumerate(self.steps) if s is anchor) + 1
        offset = sum(len(s.messages) for s in self.steps[:at])
        self.steps.insert(at, step)
        self.messages[offset:offset] = step.messages
        self.kinds[offset:offset] = list(step.kinds())

    def to_json(self) -> list[dict[str, Any]]:
        return [step.to_json() for step in self.steps]

    @classmethod
    def from_json(cls, steps: list[dict[str, Any]]) -> Conversation:
        """A saved conversation: ``steps`` as :meth:`to_json` wrote them, each with its
        messages. Raises ValueError for anything else."""
        return cls.load([], steps)

    @classmethod
    def load(cls, messages: list[Message], steps: list[dict[str, Any]]) -> Conversation:
        """A saved conversation: ``steps`` as :meth:`to_json` writes them (each with its
        messages: ``messages`` is not read), or as it wrote them before, counting their
        messages in ``messages`` (each step takes as many as it counts). Raises ValueError
        if a step is not one, or counted steps and ``messages`` disagree."""
        conversation, at, counted = cls(), 0, False
        for data in steps:
            kind = STEP_TYPES.get(str(data.get("type")))
            held = data.get("messages")
            if isinstance(held, list) and all(_is_message(m) for m in held):
                own = [dict(m) for m in held]
            elif isinstance(held, int) and not isinstance(held, bool) and held >= 0:
                own, at, counted = list(messages[at : at + held]), at + held, True
            else:
                kind = None
            if kind is None:
                raise ValueError(f"not a step: {str(data)[:80]}")
            names = {f.name for f in fields(kind)} - {"messages"}
            values = {k: v for k, v in data.items() if k in names}
            try:
                conversation.add(kind(messages=own, **values))
            except TypeError as error:  # a field of the wrong shape
                raise ValueError(f"not a step: {str(data)[:80]}") from error
        if counted and at != len(messages):
            raise ValueError("the steps do not account for every message")
        return conversation


def _is_message(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("role"), str)
