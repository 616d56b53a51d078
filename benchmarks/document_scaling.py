"""The server's work per agent action does not grow with the notebook.

For each action the server plans where the code goes, says it as document operations
(the cell, its run, its streamed outputs, its final outputs and provenance), numbers and
keeps them in the chat's log, and sends them to the pages that have the notebook open,
encoded as the chat socket does. With no page open it also writes the notebook's file
at the end of the action: read, spliced, written whole and atomically through the
contents manager, the trust signature renewed, all of it on worker threads, so that
the event loop (which carries every chat and kernel message of the server) only waits.

Figures in one run, for notebooks of 10 and 1,000 user cells:

- page open: microseconds of server work per action (CPU time of the event loop's
  thread, so that other processes on the machine do not count). Target: a ratio of ~1.
- no page: milliseconds per action including the write (it grows with the file, which
  is rewritten whole, off the event loop).
- no page: how long the event loop stalls during an action (what other chats and
  kernels wait for): the median over actions of each action's longest stall. The
  worker thread holds the GIL while the C JSON parser reads the file, so this grows
  with the file by about one parse (and a full garbage collection, when one falls in).

    python benchmarks/document_scaling.py [--actions 60] [--rounds 5]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import nbformat
from jupyter_server.services.contents.largefilemanager import AsyncLargeFileManager
from nbformat.sign import NotebookNotary
from nbformat.v4 import new_code_cell, new_notebook, new_output

from jupyter_codeact.core.events import Action
from jupyter_codeact.executors.outputs import OutputCollector
from jupyter_codeact.server import placement
from jupyter_codeact.server.document import ops
from jupyter_codeact.server.document.file_writer import FileWriter
from jupyter_codeact.server.document.hub import NotebookDocument
from jupyter_codeact.server.document.live import LiveOutputs
from jupyter_codeact.server.document.log import OpLog

CHAT = "c" * 32
PATH = "bench.ipynb"


class Page:
    """A page with the notebook open: what it is sent is encoded as the socket does."""

    closed = False

    def __init__(self) -> None:
        self.sent = 0

    def send(self, message: dict[str, Any]) -> None:
        self.sent += len(json.dumps(message, ensure_ascii=False))


def notebook_text(cells: int) -> str:
    nb = new_notebook(
        cells=[
            new_code_cell(
                f"values_{i} = list(range({i}))\nprint(sum(values_{i}))",
                execution_count=i + 1,
                outputs=[new_output("stream", name="stdout", text=f"{i * (i - 1) // 2}\n")],
            )
            for i in range(cells)
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return nbformat.writes(nb) + "\n"


async def action(number: int, document: NotebookDocument, log: OpLog, cells: Any) -> None:
    """One action's server side, as the notebook executor does it (the kernel's replies
    are played to the output collector)."""

    def emit(batch: list[dict[str, Any]]) -> None:
        document.emit(CHAT, log.add(batch))

    code = f"print('step {number}')\nfor i in range(3):\n    print(i)"
    event = Action(turn=number, code=code, action_id=f"a{number}", cell=f"c{number:03x}")
    plan = await placement.plan(
        event,
        code,
        request_id=f"r{number}",
        cells=cells,
        where=placement.Where(),
        inspect=document.inspect,
    )
    emit(plan.ops)
    cells.last = plan.cell_id
    collector: OutputCollector | None = None
    collector = OutputCollector(
        listener=LiveOutputs(
            plan.cell_id, emit, max_stream_chars=1_000_000, collector=lambda: collector
        )
    )
    emit([{"op": "running", "cell_id": plan.cell_id}])
    log.running(plan.cell_id, collector.outputs)
    collector.add("execute_input", {"execution_count": number})
    for text in (f"step {number}\n", "0\n", "1\n", "2\n"):
        collector.add("stream", {"name": "stdout", "text": text})
    log.running(None)
    emit([ops.set_outputs(plan.cell_id, collector.outputs(), number)])
    mark = dict(plan.ops[0]["cell"]["metadata"]["codeact"], execution_count=number)
    emit([ops.set_provenance(plan.cell_id, mark)])
    await document.checkpoint()


class Stalls:
    """The longest gap between two turns of the event loop since :meth:`reset`, in ms."""

    def __init__(self) -> None:
        self.longest = 0.0
        self._stop = asyncio.Event()
        self._task = asyncio.ensure_future(self._watch())

    async def _watch(self) -> None:
        last = time.perf_counter()
        while not self._stop.is_set():
            await asyncio.sleep(0.001)
            now = time.perf_counter()
            self.longest = max(self.longest, (now - last - 0.001) * 1000)
            last = now

    def reset(self) -> float:
        longest, self.longest = self.longest, 0.0
        return longest

    async def stop(self) -> None:
        self._stop.set()
        await self._task


async def measure(cells: int, actions: int, *, page_open: bool) -> tuple[float, float]:
    """(microseconds per action, median loop stall in ms) for a notebook of ``cells``."""
    with tempfile.TemporaryDirectory() as root:
        await asyncio.to_thread(Path(root, PATH).write_text, notebook_text(cells), "utf-8")
        contents = AsyncLargeFileManager(root_dir=root)
        contents.notary = NotebookNotary(db_file=":memory:", secret=b"s" * 32)
        contents.notary.sign(nbformat.reads(notebook_text(cells), as_version=4))
        writer = FileWriter(contents, keep_trust=lambda: True)
        document = NotebookDocument(PATH, file=writer, grace=10.0)
        log = OpLog()
        document.attach(CHAT, log)
        if page_open:
            document.hold(Page(), {})
        chat_cells = placement.ChatCells(CHAT)
        await action(0, document, log, chat_cells)  # warm up
        stalls = Stalls()
        per_action: list[float] = []
        clock = time.thread_time if page_open else time.perf_counter
        began = clock()
        for number in range(1, actions + 1):
            stalls.reset()
            await action(number, document, log, chat_cells)
            per_action.append(stalls.reset())
        elapsed = clock() - began
        await stalls.stop()
        stall = statistics.median(per_action)
        if not page_open:  # every action is in the file
            saved = json.loads(await asyncio.to_thread(Path(root, PATH).read_text, "utf-8"))
            assert len(saved["cells"]) == cells + actions + 1, len(saved["cells"])
        return elapsed / actions * 1e6, stall


async def main(actions: int, rounds: int) -> None:
    print(f"{actions} actions per notebook, median of {rounds} rounds")
    figures: dict[tuple[str, int], list[tuple[float, float]]] = {}
    for _ in range(rounds):
        for page_open in (True, False):
            for cells in (10, 1000):
                key = ("page" if page_open else "file", cells)
                count = actions if page_open else max(actions // 4, 5)
                figures.setdefault(key, []).append(await measure(cells, count, page_open=page_open))

    def median(mode: str, cells: int, index: int) -> float:
        return statistics.median(value[index] for value in figures[(mode, cells)])

    small, large = median("page", 10, 0), median("page", 1000, 0)
    print(
        f"page open, server work per action: {small:.0f} us (10 cells), "
        f"{large:.0f} us (1,000 cells), ratio {large / small:.2f} (target ~1)"
    )
    small, large = median("file", 10, 0) / 1000, median("file", 1000, 0) / 1000
    print(
        f"no page, per action with the file written: {small:.1f} ms (10 cells), "
        f"{large:.1f} ms (1,000 cells), ratio {large / small:.2f} (the file is rewritten whole)"
    )
    small, large = median("file", 10, 1), median("file", 1000, 1)
    print(
        f"no page, event-loop stall per action (median): {small:.1f} ms (10 cells), "
        f"{large:.1f} ms (1,000 cells)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--actions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.actions, arguments.rounds))
