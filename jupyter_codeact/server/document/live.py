"""A running cell's outputs as live operations, as they arrive from the kernel.

Each change of the outputs (:class:`~jupyter_codeact.executors.outputs.OutputListener`)
becomes one operation for the pages, so that the cell fills as a cell the user runs. A
stream is sent as it is written until it passes the collector's bound; past it, its
bounded text (head and tail) replaces it at most every ``RESEND_INTERVAL`` seconds. The
run's last ``outputs`` operation settles whatever a page may have missed or skipped.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ...executors.outputs import OutputCollector
from .ops import Op

RESEND_INTERVAL = 0.5


class LiveOutputs:
    """:class:`~jupyter_codeact.executors.outputs.OutputListener` for one cell's run."""

    def __init__(
        self,
        cell_id: str,
        emit: Callable[[list[Op]], None],
        *,
        max_stream_chars: int,
        collector: Callable[[], OutputCollector | None],
    ) -> None:
        self.cell_id = cell_id
        self._emit = emit
        self._bound = max_stream_chars
        self._collector = collector
        self._resent: dict[int, float] = {}

    def counted(self, execution_count: int | None) -> None:
        pass  # the page shows [*] until the run's `outputs` gives the count

    def cleared(self) -> None:
        self._resent.clear()
        self._emit([{"op": "clear", "cell_id": self.cell_id}])

    def added(self, index: int, output: dict[str, Any]) -> None:
        self._emit([{"op": "output", "cell_id": self.cell_id, "index": index, "output": output}])

    def replaced(self, index: int, output: dict[str, Any]) -> None:
        self.added(index, output)

    def appended(self, index: int, name: str, offset: int, text: str) -> None:
        room = self._bound - offset
        if room > 0:
            piece = text[:room]
            self._emit(
                [
                    {
                        "op": "stream",
                        "cell_id": self.cell_id,
                        "index": index,
                        "name": name,
                        "offset": offset,
                        "text": piece,
                    }
                ]
            )
            if len(piece) == len(text):
                return
        now = time.monotonic()
        collector = self._collector()
        if collector is None or now - self._resent.get(index, 0.0) < RESEND_INTERVAL:
            return
        self._resent[index] = now
        self.added(index, collector.stream_value(index))
