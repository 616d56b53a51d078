"""The progress of a run on stderr: a redrawn bar on a terminal, one line a task otherwise."""

from __future__ import annotations

import sys
import time
from collections import Counter
from typing import TextIO

from .runner import TaskResult

_WIDTH = 30


class Progress:
    def __init__(self, total: int, stream: TextIO | None = None) -> None:
        self.total = total
        self.stream = stream or sys.stderr
        self.tty = self.stream.isatty()
        self.done = 0
        self.solved: Counter[str] = Counter()
        self.seen: Counter[str] = Counter()
        self.began = time.perf_counter()

    def update(self, result: TaskResult) -> None:
        self.done += 1
        self.seen[result.mode] += 1
        self.solved[result.mode] += result.solved
        if self.tty:
            filled = _WIDTH * self.done // max(self.total, 1)
            modes = "  ".join(f"{m} {self.solved[m]}/{self.seen[m]}" for m in self.seen)
            self.stream.write(
                f"\r[{'#' * filled}{'-' * (_WIDTH - filled)}] {self.done}/{self.total}  "
                f"solved: {modes}  {time.perf_counter() - self.began:.0f} s\x1b[K"
            )
        else:
            outcome = (
                f"solved in {result.turns} turns"
                if result.solved
                else f"not solved ({result.reason or 'error'})"
            )
            self.stream.write(
                f"[{self.done}/{self.total}] {result.mode} {result.task_id}: {outcome}\n"
            )
        self.stream.flush()

    def close(self) -> None:
        if self.tty and self.done:
            self.stream.write("\n")
            self.stream.flush()
