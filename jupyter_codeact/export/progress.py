"""A progress bar on stderr while a large store is read: drawn on a terminal only, for
enough files to take a while, and redrawn at most a few times a second.

(The eval's progress counts solved tasks per mode; this one only counts files.)
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

_WIDTH = 30
MIN_FILES = 20
"""Fewer files are read in an instant: no bar."""
_REDRAW_S = 0.1


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.active = self.stream.isatty() and total >= MIN_FILES
        self.done = 0
        self._drawn = 0.0
        self._shown = False

    def step(self) -> None:
        self.done += 1
        now = time.monotonic()
        if self.active and (now - self._drawn >= _REDRAW_S or self.done == self.total):
            self._drawn = now
            filled = _WIDTH * self.done // max(self.total, 1)
            self.stream.write(
                f"\r[{'#' * filled}{'-' * (_WIDTH - filled)}] {self.done}/{self.total} files\x1b[K"
            )
            self.stream.flush()
            self._shown = True

    def say(self, text: str) -> None:
        """A line of its own (the bar, if shown, is redrawn by the next step)."""
        self._clear()
        self.stream.write(text + "\n")
        self.stream.flush()
        self._drawn = 0.0

    def close(self) -> None:
        self._clear()

    def _clear(self) -> None:
        if self._shown:
            self.stream.write("\r\x1b[K")
            self._shown = False
