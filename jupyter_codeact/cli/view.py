"""How a headless run looks on the terminal: live text, or one JSON object per event."""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

from ..core.events import (
    Action,
    AnyEvent,
    AssistantMessage,
    Done,
    Error,
    FinalAnswer,
    Observation,
    Retry,
    TextDelta,
    Thinking,
    ThinkingDelta,
    Usage,
)


class JSONLinesView:
    """One JSON object per event on stdout (``--json``)."""

    def __init__(self, out: TextIO | None = None) -> None:
        self.out = out or sys.stdout

    def show(self, event: AnyEvent) -> None:
        self.out.write(json.dumps(event.to_dict(), ensure_ascii=False) + "\n")
        self.out.flush()


class LiveView:
    """The model's text as it streams, each observation, then the answer; errors to stderr."""

    def __init__(self, out: TextIO | None = None, err: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.err = err or sys.stderr
        self.color = self.out.isatty() and not os.environ.get("NO_COLOR")
        self._at_line_start = True
        self._thinking = False

    def style(self, text: str, code: str) -> str:
        """``text`` in the ANSI style ``code`` when writing to a terminal, else as is."""
        return f"\x1b[{code}m{text}\x1b[0m" if self.color else text

    def _write(self, text: str) -> None:
        if text:
            self.out.write(text)
            self._at_line_start = text.endswith("\n")
        self.out.flush()

    def line(self, text: str) -> None:
        """Write ``text`` on a line of its own."""
        if not self._at_line_start:
            self._write("\n")
        self._write(text + "\n")

    def show(self, event: AnyEvent) -> None:
        if isinstance(event, ThinkingDelta | Thinking):
            self._show_thinking(event)
        elif isinstance(event, TextDelta):
            self._write(event.text)
        elif isinstance(event, Retry):
            self._thinking = False
            self.line(self.style(f"[the reply broke off; asking again ({event.attempt})]", "33"))
        elif isinstance(event, AssistantMessage):
            self.line("")
        elif isinstance(event, Action):
            self.line(self.style(f"── running action (turn {event.turn}) ──", "36"))
        elif isinstance(event, Observation):
            colour = "32" if event.status == "ok" else "31"
            self.line(self.style(f"── {event.status} ──", colour))
            body = event.text.removeprefix("Observation:").strip("\n")
            self.line(body)
        elif isinstance(event, FinalAnswer):
            self.line(self.style("Answer: ", "1;32") + event.answer)
        elif isinstance(event, Error):
            self.err.write(self.style("Error: ", "1;31") + event.message + "\n")
            self.err.flush()
        elif isinstance(event, Usage):
            pass
        elif isinstance(event, Done):
            summary = f"[{event.reason}: {event.turns} turns, {event.total_tokens:,} tokens]"
            if event.detail and event.reason != "error":
                summary += f" {event.detail}"
            self.line(self.style(summary, "2"))

    def _show_thinking(self, event: ThinkingDelta | Thinking) -> None:
        """Reasoning, dimmed, between a "thinking" line and one saying how long it took."""
        if isinstance(event, ThinkingDelta):
            if not self._thinking:
                self._thinking = True
                self.line(self.style("[thinking]", "2"))
            self._write(self.style(event.text, "2"))
            return
        if not self._thinking:  # found in the finished reply: shown whole
            self.line(self.style("[thinking]", "2"))
            self._write(self.style(event.text, "2"))
        self._thinking = False
        took = f" for {event.seconds:.0f} s" if event.seconds is not None else ""
        self.line(self.style(f"[thought{took}]", "2"))
