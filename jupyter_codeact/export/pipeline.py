"""From units to lines: read each file in sorted order, clean its conversations, filter,
redact and write them, and count what was left out and why."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, TextIO

from ..core.redact import Redactor
from .formats import Format
from .notebooks import Unreadable
from .progress import Progress
from .sources import Unit
from .trajectory import Trajectory, count_turns, estimate_tokens, offered_tools, prepared


@dataclass(frozen=True)
class Filters:
    solved_only: bool = False
    """Eval tasks that passed their check; other conversations that ended with an answer."""
    min_turns: int = 0
    """Fewest model replies."""
    max_tokens: int | None = None
    """Most (estimated) tokens of the conversation as written."""
    mode: str | None = None
    """Eval tasks of this action mode only (other sources are not affected)."""


@dataclass(frozen=True)
class Settings:
    format: Format
    filters: Filters = Filters()
    redactor: Redactor = field(default_factory=Redactor)
    keep_images: bool = False
    with_metadata: bool = True
    """False: lines hold the conversation only (for services that refuse other keys)."""


@dataclass
class Summary:
    written: int = 0
    skipped: Counter[str] = field(default_factory=Counter)
    """Trajectories left out, by reason (see :meth:`line`)."""
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    """Files that could not be read: (label, reason)."""

    def line(self, filters: Filters, where: str) -> str:
        """ "Exported 12 trajectories to F; skipped 3: 2 not solved (--solved-only), ..."."""
        phrases = {
            "empty": "with no reply of the model",
            "duplicate": "named twice",
            "mode": f"not in mode {filters.mode} (--mode)",
            "unsolved": "not solved (--solved-only)",
            "turns": f"under {filters.min_turns} turns (--min-turns)",
            "tokens": f"over {filters.max_tokens:,} tokens (--max-tokens)"
            if filters.max_tokens
            else "",
        }
        noun = "trajectory" if self.written == 1 else "trajectories"
        text = f"Exported {self.written} {noun} to {where}"
        skipped = [f"{n} {phrases[reason]}" for reason, n in self.skipped.items() if n]
        if skipped:
            text += f"; skipped {sum(self.skipped.values())}: " + ", ".join(skipped)
        else:
            text += "; none skipped"
        if self.unreadable:
            files = len(self.unreadable)
            text += f"; {files} {'file' if files == 1 else 'files'} could not be read (above)"
        return text + "."


def export(units: list[Unit], out: TextIO, settings: Settings, progress: Progress) -> Summary:
    """Write one JSON line per trajectory of ``units`` (read in order of their labels)."""
    summary = Summary()
    filters = settings.filters
    seen: set[str] = set()
    for unit in sorted(units, key=lambda unit: unit.label):
        progress.step()
        if filters.mode and unit.mode is not None and unit.mode != filters.mode:
            summary.skipped["mode"] += 1
            continue
        try:
            trajectories = unit.read()
        except Unreadable as error:
            problem = str(error)
        except (AttributeError, KeyError, TypeError, ValueError) as error:
            # A file of the right kind holding something else where a field should be: one
            # odd file must not cost the whole export.
            problem = f"unexpected content ({type(error).__name__}: {error})"
        else:
            problem = ""
        if problem:
            summary.unreadable.append((unit.label, problem))
            progress.say(f"Skipped {unit.label}: {problem}.")
            continue
        for trajectory in sorted(trajectories, key=lambda t: t.key):
            line = _line(trajectory, settings, seen, summary)
            if line is not None:
                out.write(json.dumps(settings.redactor.redact_value(line), ensure_ascii=False))
                out.write("\n")
                summary.written += 1
    return summary


def _line(
    trajectory: Trajectory, settings: Settings, seen: set[str], summary: Summary
) -> dict[str, Any] | None:
    """The line of one trajectory, or None (counted under the first filter it fails)."""
    filters = settings.filters
    messages = prepared(trajectory.messages, keep_images=settings.keep_images)
    turns = count_turns(messages)
    tokens = estimate_tokens(messages)
    reason = None
    if not turns:
        reason = "empty"
    elif trajectory.id in seen:
        reason = "duplicate"
    elif filters.mode and trajectory.mode is not None and trajectory.mode != filters.mode:
        reason = "mode"
    elif filters.solved_only and not trajectory.success:
        reason = "unsolved"
    elif turns < filters.min_turns:
        reason = "turns"
    elif filters.max_tokens and tokens > filters.max_tokens:
        reason = "tokens"
    if reason is not None:
        summary.skipped[reason] += 1
        return None
    seen.add(trajectory.id)
    line = settings.format(messages, metadata(trajectory, turns, tokens), offered_tools(trajectory))
    if not settings.with_metadata:
        del line["metadata"]
    return line


def metadata(trajectory: Trajectory, turns: int, tokens: int) -> dict[str, Any]:
    """The same keys on every line (null where unknown), so that the lines load as a table."""
    return {
        "id": trajectory.id,
        "source": trajectory.source,
        "kind": trajectory.kind,
        "model": trajectory.model,
        "task_id": trajectory.details.get("task_id"),
        "chat_id": trajectory.details.get("chat_id"),
        "notebook": trajectory.details.get("notebook"),
        "mode": trajectory.mode,
        "action_style": trajectory.action_style,
        "success": trajectory.success,
        "reason": trajectory.reason,
        "turns": turns,
        "tokens": tokens,
        "run_tokens": trajectory.run_tokens,
        "rebuilt": not trajectory.recorded,
    }
