"""The cell rule's work per action does not grow with the conversation.

Every action asks the rule where its code goes (a fresh id, a fix, a named cell) and then
records where it went. The ratio compares that work for the next action of a conversation
that already made 10,000 cells with one that made 10, in the same run. Target: about 1
(no per-turn growth); the refusal of an unknown id, which lists the newest ids only, too.

    python benchmarks/cells.py [--rounds 7] [--actions 2000]
"""

from __future__ import annotations

import argparse
import statistics
import time

from jupyter_codeact.core.cells import CellBook, Placement
from jupyter_codeact.core.events import Action
from jupyter_codeact.core.executor import ExecutionResult

OK = ExecutionResult(status="ok")
FAILED = ExecutionResult(status="error")


def book_with(cells: int) -> CellBook:
    book = CellBook()
    for _ in range(cells):
        step(book, {}, OK)
    return book


def step(book: CellBook, attributes: dict[str, str], result: ExecutionResult) -> None:
    place = book.place(attributes)
    assert isinstance(place, Placement)
    action = Action(turn=1, code="x", action_id="a", cell=place.cell, replaces=place.replaces)
    book.record(action, result)


def per_action(cells: int, actions: int) -> dict[str, float]:
    """Microseconds per action: new cells, fail-then-fix pairs, a named revision, a refusal."""
    figures: dict[str, float] = {}
    book = book_with(cells)
    began = time.perf_counter()
    for index in range(actions):
        step(book, {}, FAILED if index % 2 == 0 else OK)  # a failure, then its fix
    figures["new or fix"] = (time.perf_counter() - began) / actions * 1e6
    first = book.cells[0].id
    began = time.perf_counter()
    for _ in range(actions):
        step(book, {"replace": first}, OK)
    figures["named"] = (time.perf_counter() - began) / actions * 1e6
    began = time.perf_counter()
    for _ in range(actions):
        book.place({"replace": "nope"})
    figures["refused"] = (time.perf_counter() - began) / actions * 1e6
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--actions", type=int, default=2000)
    args = parser.parse_args()
    small: dict[str, list[float]] = {}
    large: dict[str, list[float]] = {}
    for _ in range(args.rounds):  # alternated, so that load on the machine hits both
        for name, value in per_action(10, args.actions).items():
            small.setdefault(name, []).append(value)
        for name, value in per_action(10_000, args.actions).items():
            large.setdefault(name, []).append(value)
    print("cell rule, per action (median of rounds): 10 cells -> 10,000 cells")
    for name in small:
        a, b = statistics.median(small[name]), statistics.median(large[name])
        print(f"  {name:<11} {a:7.2f} us -> {b:7.2f} us   ratio {b / a:.2f}")


if __name__ == "__main__":
    main()
