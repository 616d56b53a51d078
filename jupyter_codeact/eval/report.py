"""Results: ``results.json`` (figures per mode and per domain, and every task's outcome),
``results.md`` (the same as tables), and the summary printed at the end."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .runner import EvalRun, TaskResult


def stats(results: Sequence[TaskResult]) -> dict[str, Any]:
    """The figures of a set of task runs. ``avg_turns`` is over solved tasks, as in the paper."""
    solved = [r for r in results if r.solved]
    n = len(results)
    return {
        "n_tasks": n,
        "n_solved": len(solved),
        "success_rate": len(solved) / n if n else 0.0,
        "avg_turns": sum(r.turns for r in solved) / len(solved) if solved else None,
        "avg_turns_all": sum(r.turns for r in results) / n if n else None,
        "invalid_actions": sum(r.invalid_actions for r in results),
        "action_errors": sum(r.action_errors for r in results),
        "n_errors": sum(1 for r in results if r.reason == "error"),
        "prompt_tokens": sum(r.prompt_tokens for r in results),
        "completion_tokens": sum(r.completion_tokens for r in results),
        "total_tokens": sum(r.total_tokens for r in results),
        "task_time_s": round(sum(r.wall_time_s for r in results), 3),
    }


def summarise(run: EvalRun, meta: dict[str, Any]) -> dict[str, Any]:
    """The content of ``results.json``: ``meta`` (model, suite, options), then the figures."""
    modes: dict[str, Any] = {}
    for mode, wall_time in run.mode_wall_time_s.items():
        results = [r for r in run.results if r.mode == mode]
        domains = sorted({r.domain for r in results})
        modes[mode] = stats(results) | {
            "wall_time_s": round(wall_time, 3),
            "domains": {d: stats([r for r in results if r.domain == d]) for d in domains},
        }
    return {
        **meta,
        "wall_time_s": round(run.wall_time_s, 3),
        "modes": modes,
        "tasks": [r.to_dict() for r in run.results],
    }


def write(summary: dict[str, Any], directory: Path) -> tuple[Path, Path]:
    """Write ``results.json`` and ``results.md`` into ``directory``; return their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path = directory / "results.json"
    md_path = directory / "results.md"
    json_path.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n", "utf-8")
    md_path.write_text(markdown(summary), "utf-8")
    return json_path, md_path


def markdown(summary: dict[str, Any]) -> str:
    modes: dict[str, Any] = summary["modes"]
    lines = [
        f"# CodeAct evaluation: {summary.get('model', '')}",
        "",
        f"{summary.get('n_tasks', 0)} tasks over {len(summary.get('domains', []))} domains, "
        f"at most {summary.get('max_turns')} turns each, concurrency "
        f"{summary.get('concurrency')}; wall time {summary['wall_time_s']:.1f} s.",
        "",
        "| mode | success rate | solved | avg turns (solved) | invalid actions "
        "| failed actions | tokens | wall time |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, figures in modes.items():
        lines.append(
            f"| {name} | {_percent(figures)} | {figures['n_solved']}/{figures['n_tasks']} "
            f"| {_turns(figures['avg_turns'])} | {figures['invalid_actions']} "
            f"| {figures['action_errors']} | {figures['total_tokens']:,} "
            f"| {figures['wall_time_s']:.1f} s |"
        )
    domains = sorted({d for figures in modes.values() for d in figures["domains"]})
    if domains:
        lines += [
            "",
            "Success rate (and average turns of solved tasks) by domain:",
            "",
            "| domain | " + " | ".join(modes) + " |",
            "|---|" + "---:|" * len(modes),
        ]
        for domain in domains:
            cells = []
            for figures in modes.values():
                part = figures["domains"].get(domain)
                cells.append(f"{_percent(part)} ({_turns(part['avg_turns'])})" if part else "-")
            lines.append(f"| {domain} | " + " | ".join(cells) + " |")
    if summary.get("stopped_early"):
        lines += ["", f"The run stopped early: {summary['stopped_early']}"]
    errors = sum(figures["n_errors"] for figures in modes.values())
    if errors:
        lines += ["", f"{errors} task runs ended on an error: see `error` in results.json."]
    return "\n".join(lines) + "\n"


def _percent(figures: dict[str, Any]) -> str:
    return f"{100 * figures['success_rate']:.1f}%"


def _turns(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"
