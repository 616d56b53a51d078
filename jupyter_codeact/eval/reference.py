"""Reference solutions, run in-process: does each task's ``calls`` + ``compute`` give its
``answer`` (as its checker sees it)?"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

from .checker import check, format_answer
from .suite import Suite, Task


def reference_results(suite: Suite, task: Task) -> list[Any]:
    """The results of the task's reference calls, on a fresh instance of its tools."""
    module = suite.domains[task.domain].load_module()
    return [getattr(module, call.name)(*call.args, **call.kwargs) for call in task.calls]


def compute_answer(task: Task, results: list[Any]) -> Any:
    """``task.compute`` evaluated with ``r`` bound to ``results`` (and math, re at hand)."""
    # Globals, not locals: comprehensions in the expression must see r.
    return eval(task.compute, {"r": results, "math": math, "re": re})


def validate(suite: Suite, tasks: Iterable[Task] | None = None) -> list[str]:
    """One sentence per problem found; an empty list means every task checks out."""
    problems = []
    for task in suite.tasks if tasks is None else tasks:
        try:
            value = compute_answer(task, reference_results(suite, task))
        except Exception as error:
            problems.append(f"{task.full_id}: the reference solution fails with {error!r}.")
            continue
        if not check(task.checker, format_answer(value), task.answer, task.tolerance):
            problems.append(
                f"{task.full_id}: the reference solution gives {format_answer(value)!r}, "
                f"not the expected {task.answer!r}."
            )
    return problems
