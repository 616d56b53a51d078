"""How a headless run looks on the terminal: live text, or one JSON object per event."""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

from ..core import view as views
from ..core.events import AnyEvent


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
        self._writing_code = False

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
        self.render(views.view_of(event))

    def render(self, view: views.View) -> None:
        match view:
            case views.Streamed(part="reasoning"):
                if not self._thinking:
                    self._thinking = True
                    self.line(self.style("[thinking]", "2"))
                self._write(self.style(view.text, "2"))
            case views.Streamed(part="text"):
                self._write(view.text)
            case views.Streamed():
                if not self._writing_code:
                    self._writing_code = True
                    self.line(self.style(f"── writing code (turn {view.turn}) ──", "36"))
                self._write(view.text)
            case views.Reasoning():
                self._thought(view)
            case views.Restarted(attempt=attempt):
                self._thinking = self._writing_code = False
                self.line(self.style(f"[the reply broke off; asking again ({attempt})]", "33"))
            case views.Reply():
                self.line("")
            case views.Note(text=text):
                self.line(self.style(f"[{text}]", "2"))
            case views.Code(turn=turn):
                header = "running it" if self._writing_code else f"running action (turn {turn})"
                self._writing_code = False
                self.line(self.style(f"── {header} ──", "36"))
            case views.Result(observation=observation, body=body):
                self.status_line(observation.status)
                self.line(body)
            case views.Answered(text=text):
                self.line(self.style("Answer: ", "1;32") + text)
            case views.Problem(message=message):
                self.error(message)
            case views.Tokens():
                pass
            case views.Ended():
                summary = f"[{view.reason}: {view.turns} turns, {view.total_tokens:,} tokens]"
                if view.detail and view.reason != "error":
                    summary += f" {view.detail}"
                self.line(self.style(summary, "2"))

    def status_line(self, status: str) -> None:
        """A step's status on a line of its own: green when it ran, red otherwise."""
        self.line(self.style(f"── {status} ──", "32" if status == "ok" else "31"))

    def error(self, message: str) -> None:
        self.err.write(self.style("Error: ", "1;31") + message + "\n")
        self.err.flush()

    def _thought(self, view: views.Reasoning) -> None:
        """Reasoning, dimmed, between a "thinking" line and one saying how long it took."""
        if not self._thinking:  # found in the finished reply: shown whole
            self.line(self.style("[thinking]", "2"))
            self._write(self.style(view.text, "2"))
        self._thinking = False
        took = f" for {view.seconds:.0f} s" if view.seconds is not None else ""
        self.line(self.style(f"[thought{took}]", "2"))
