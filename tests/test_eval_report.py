"""The figures, the table and the progress bar, from task results."""

from __future__ import annotations

import io
from typing import Any

from jupyter_codeact.eval.progress import Progress
from jupyter_codeact.eval.report import markdown, summarise
from jupyter_codeact.eval.runner import EvalRun, TaskResult


def result(mode: str, task: str, solved: bool, turns: int, **extra: Any) -> TaskResult:
    tokens = {"prompt_tokens": 100, "completion_tokens": 10}
    return TaskResult(task, task.split("/")[0], mode, solved, turns, "answered", **tokens, **extra)


RUN = EvalRun(
    results=[
        result("code", "dna/a", True, 2),
        result("code", "web/b", True, 4),
        result("code", "web/c", False, 10, invalid_actions=3),
        result("json", "dna/a", True, 5),
        result("json", "web/b", False, 10),
        result("json", "web/c", False, 3, error="server: boom", error_kind="server"),
    ],
    mode_wall_time_s={"code": 1.5, "json": 2.25},
    wall_time_s=4.0,
)
RUN.results[-1].reason = "error"


def test_figures_per_mode_and_domain() -> None:
    summary = summarise(RUN, {"model": "m", "max_turns": 10})
    code, json_ = summary["modes"]["code"], summary["modes"]["json"]
    assert (code["n_tasks"], code["n_solved"], code["success_rate"]) == (3, 2, 2 / 3)
    assert code["avg_turns"] == 3.0  # solved tasks only, as in the paper
    assert code["avg_turns_all"] == 16 / 3
    assert (code["invalid_actions"], code["total_tokens"], code["wall_time_s"]) == (3, 330, 1.5)
    assert (json_["n_errors"], json_["avg_turns"]) == (1, 5.0)
    assert code["domains"]["web"]["success_rate"] == 0.5
    assert json_["domains"]["dna"]["avg_turns"] == 5.0
    assert [task["task_id"] for task in summary["tasks"]][:2] == ["dna/a", "web/b"]


def test_the_markdown_tables() -> None:
    text = markdown(summarise(RUN, {"model": "m", "stopped_early": "Interrupted by the user."}))
    assert "| code | 66.7% | 2/3 | 3.00 | 3 | 0 | 330 | 1.5 s |" in text
    assert "| json | 33.3% | 1/3 | 5.00 | 0 | 0 | 330 | 2.2 s |" in text
    assert "| web | 50.0% (4.00) | 0.0% (-) |" in text
    assert "The run stopped early: Interrupted by the user." in text
    assert "1 task runs ended on an error" in text


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_redraws_one_line_on_a_terminal() -> None:
    stream = Terminal()
    progress = Progress(3, stream)
    for task in RUN.results[:3]:
        progress.update(task)
    progress.close()
    frames = stream.getvalue().split("\r")[1:]
    assert frames[0].startswith("[" + "#" * 10 + "-" * 20 + "] 1/3  solved: code 1/1")
    assert frames[-1].startswith("[" + "#" * 30 + "] 3/3  solved: code 2/3")
    assert stream.getvalue().endswith("\n") and stream.getvalue().count("\n") == 1


def test_progress_writes_a_line_a_task_elsewhere() -> None:
    stream = io.StringIO()
    progress = Progress(6, stream)
    progress.update(RUN.results[2])
    progress.update(RUN.results[5])
    assert stream.getvalue() == (
        "[1/6] code web/c: not solved (answered)\n[2/6] json web/c: not solved (error)\n"
    )
