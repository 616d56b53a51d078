"""What the magic keeps of a conversation: ``%codeact --history`` returns it."""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..core import view as views
from ..core.events import (
    AnyEvent,
    Done,
    FinalAnswer,
    Observation,
    StopReason,
    TextDelta,
    ThinkingDelta,
)
from .safe import as_text, fenced, folded, labelled, safe_markdown

if TYPE_CHECKING:
    import nbformat

    from ..transcript import Transcript

_REASONS = {
    "answered": "answered",
    "max_turns": "stopped at the turn limit",
    "token_budget": "stopped at the token budget",
    "cancelled": "stopped",
    "error": "failed",
}


class Answer(str):
    """The final answer: a ``str`` that a notebook shows as Markdown, a terminal as text.

    The run's view already shows it, so as the value of the cell that ran the request it
    is not shown a second time (``_`` and ``answer = %codeact ...`` still hold it); shown
    anywhere else (``answer`` in a later cell, ``display(answer)``), it shows as usual.
    """

    _shell: Any = None
    _shown_in: int | None = None

    def shown_in_view(self, shell: Any) -> Answer:
        """The view of the run in ``shell``'s current cell shows this answer."""
        self._shell, self._shown_in = shell, getattr(shell, "execution_count", None)
        return self

    def _ipython_display_(self) -> None:
        shell = self._shell
        if shell is not None and getattr(shell, "execution_count", None) == self._shown_in:
            return  # the cell's own view says it just above
        from IPython import display as ipython_display

        show: Any = ipython_display.display  # untyped
        show({"text/markdown": self._repr_markdown_(), "text/plain": str(self)}, raw=True)

    def _repr_markdown_(self) -> str:
        return safe_markdown(str(self))  # model text, in a trusted output

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text(str(self))


@dataclass
class RunRecord:
    """One request and the events of its run (without the streamed text pieces)."""

    request: str
    model: str = ""
    events: list[AnyEvent] = field(default_factory=list)
    failure: str | None = None
    """Why the run broke off, if it did not end as the agent says (with a :class:`Done`)."""
    rules: list[str] = field(default_factory=list)
    """The rules the agent had: ``AGENTS.md`` files (and ``c.CodeAct.instructions``)."""
    tools: list[str] = field(default_factory=list)
    """The tools it had, one line per MCP server and for the user's functions."""
    notes: list[str] = field(default_factory=list)
    """What the user was told besides the events (a tool server that failed, say)."""

    def add(self, event: AnyEvent) -> None:
        if not isinstance(event, TextDelta | ThinkingDelta):
            self.events.append(event)

    def fail(self, message: str) -> None:
        """The run broke off (an error of the host, not of the model or the code)."""
        if self.failure is None:
            self.failure = message

    @property
    def answer(self) -> str | None:
        for event in self.events:
            if isinstance(event, FinalAnswer):
                return event.answer
        return None

    @property
    def done(self) -> Done | None:
        return next((e for e in reversed(self.events) if isinstance(e, Done)), None)

    @property
    def reason(self) -> StopReason | None:
        done = self.done
        return done.reason if done else None

    @property
    def observations(self) -> list[Observation]:
        return [event for event in self.events if isinstance(event, Observation)]

    def summary(self) -> str:
        """The run's last line: how it ended, turns and tokens."""
        done = self.done
        if done is not None:
            return describe_done(done)
        return "failed" if self.failure is not None else "running"

    def text(self) -> str:
        """The run as plain text (front ends without widgets show this)."""
        lines = [f"CodeAct: {_first_line(self.request)}"]
        lines.extend(f"Note: {note}" for note in self.notes)
        step = 0
        for event in self.events:
            match views.view_of(event):
                case views.Result(observation=observation):
                    step += 1
                    lines.append(f"Step {step} ({observation.status}):")
                    lines.append(textwrap.indent(_clip_lines(observation.code, 12), "    "))
                case views.Answered(text=text):
                    lines.append(f"Answer: {text}")
                case views.Problem(message=message):
                    lines.append(f"Error: {message}")
        if self.failure is not None:
            lines.append(f"Error: {self.failure}")
        lines.append(f"[{self.summary()}]")
        return "\n".join(lines)


class History:
    """The conversation of one kernel with the agent, across ``%%codeact`` cells.

    ``runs`` holds each request and its events, ``steps`` the agent's steps with what the
    model was sent; ``notebook()`` and ``write(path)`` give it as a notebook.
    """

    def __init__(self) -> None:
        self.runs: list[RunRecord] = []
        self.steps: Callable[[], list[dict[str, Any]]] = list
        """The agent's steps, each with its messages (:mod:`jupyter_codeact.core.steps`),
        as saved."""
        self.offered_tools: list[dict[str, Any]] = []
        """The native functions the last request offered (the tools style), for exports."""

    def start(self, request: str, *, model: str = "") -> RunRecord:
        record = RunRecord(request=request, model=model)
        self.runs.append(record)
        return record

    @property
    def answer(self) -> str | None:
        """The last run's answer."""
        return self.runs[-1].answer if self.runs else None

    @property
    def rules(self) -> list[str]:
        """The rules of the last run: its ``AGENTS.md`` files (and the instructions)."""
        return list(self.runs[-1].rules) if self.runs else []

    @property
    def tools(self) -> list[str]:
        return list(self.runs[-1].tools) if self.runs else []

    def _setup_line(self) -> str:
        """ "Rules: AGENTS.md, sub/AGENTS.md · Tools: pricing (MCP): 4 tools", or ""."""
        parts = []
        if self.rules:
            parts.append(f"Rules: {', '.join(self.rules)}")
        if self.tools:
            parts.append(f"Tools: {'; '.join(self.tools)}")
        return " · ".join(parts)

    def __len__(self) -> int:
        return len(self.runs)

    def notebook(self) -> nbformat.NotebookNode:
        """The conversation as a notebook: requests and prose as Markdown, code cells with
        their outputs."""
        return self._transcript().notebook()

    def write(self, path: str | Path) -> None:
        """Write the conversation as a notebook (validated, atomically)."""
        self._transcript().write(path)

    def _transcript(self) -> Transcript:
        from ..transcript import Transcript

        if not self.runs:
            return Transcript("(no request yet)", kind="history")
        first = self.runs[0]
        transcript = Transcript(first.request, model=first.model, kind="history")
        for index, run in enumerate(self.runs):
            if index:
                transcript.add_markdown(f"**Task:** {run.request}")
            for event in run.events:
                transcript.add(event)
            if run.failure is not None:
                transcript.add_markdown(f"**Error:** {run.failure}")
        transcript.set_conversation(self.steps(), self.offered_tools)
        return transcript

    def __repr__(self) -> str:
        actions = sum(len(run.observations) for run in self.runs)
        setup = self._setup_line()
        return (
            f"<CodeAct history: {len(self.runs)} requests, {actions} actions, "
            f"last answer: {_first_line(self.answer or '(none)')}"
            + (f"; {setup}" if setup else "")
            + ">"
        )

    def _repr_markdown_(self) -> str:
        if not self.runs:
            return "*No CodeAct request in this kernel yet.*"
        parts: list[str] = []
        if setup := self._setup_line():
            parts.append(f"*{as_text(setup)}*")  # names from the project's files: text
        for run in self.runs:
            parts.append(labelled("Request:", run.request))
            for event in run.events:
                match views.view_of(event):
                    case views.Reasoning(label=label, text=text):
                        # Trusted output: safe markdown, not only escaped HTML.
                        parts.append(folded(label, text))
                    case views.Reply(prose=text) if text:
                        parts.append(safe_markdown(text))
                    case views.Result(observation=step):
                        parts.append(f"{fenced(step.code, 'python')}\n*{as_text(step.status)}*")
                    case views.Answered(text=text):
                        parts.append(labelled("Answer:", text))
                    case views.Problem(message=message):
                        parts.append(labelled("Error:", message))
            if run.failure is not None:
                parts.append(labelled("Error:", run.failure))
            parts.append(f"*{as_text(run.summary())}*")
        return "\n\n".join(parts)


def describe_done(done: Done | views.Ended) -> str:
    """How a run ended, in a line: "answered · 2 turns · 1,234 tokens"."""
    text = f"{_REASONS[done.reason]} · {done.turns} turns · {done.total_tokens:,} tokens"
    if done.detail and done.reason != "error":
        text += f" · {done.detail}"
    return text


def _first_line(text: str, limit: int = 80) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _clip_lines(text: str, limit: int) -> str:
    lines = text.splitlines()
    if len(lines) <= limit:
        return text
    return "\n".join([*lines[:limit], f"... ({len(lines) - limit} more lines)"])
