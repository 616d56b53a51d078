"""An eval output folder (``jupyter codeact eval --output DIR``): ``results.json`` says how
each task went in each mode (solved, turns, tokens), ``transcripts/MODE/DOMAIN--ID.ipynb``
holds each run.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .notebooks import (
    ReadOptions,
    Unreadable,
    confined,
    load_json,
    read_transcript,
    recorded_messages,
    recorded_tools,
)
from .rebuild import RebuildOptions, rebuild
from .trajectory import Trajectory, uses_tool_calls

if TYPE_CHECKING:
    from ..eval.suite import Suite

RESULTS = "results.json"
TRANSCRIPTS = "transcripts"

ACTION_STYLES = {"code": "tags"}
"""The action style of each eval mode (the others are named alike: json, text, tools)."""

_PLAIN_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]*$")
"""A mode names a folder of ``transcripts/``: one plain name, never a path."""


@dataclass(frozen=True)
class TaskRun:
    """One row of ``results.json``: a task in a mode."""

    task_id: str
    domain: str
    mode: str
    solved: bool
    reason: str | None
    turns: int | None
    total_tokens: int | None

    @property
    def transcript_name(self) -> str:
        """As the eval's runner names it: ``DOMAIN--ID.ipynb``."""
        task = self.task_id.removeprefix(f"{self.domain}/")
        return f"{self.domain}--{task}.ipynb".replace("/", "_")


def is_eval_folder(path: Path) -> bool:
    return (path / RESULTS).is_file()


def eval_folder_of(transcript: Path) -> Path | None:
    """The eval folder a transcript notebook lies in (``DIR/transcripts/MODE/x.ipynb``)."""
    folder = transcript.parent.parent.parent
    if transcript.parent.parent.name == TRANSCRIPTS and is_eval_folder(folder):
        return folder
    return None


def _row(value: Any) -> TaskRun | str | None:
    """The row, or None when it is malformed, or its mode when that names a path (a row
    that would lead outside the folder)."""
    if not isinstance(value, dict):
        return None
    task_id, domain, mode = value.get("task_id"), value.get("domain"), value.get("mode")
    if not all(isinstance(v, str) and v for v in (task_id, domain, mode)):
        return None
    if not _PLAIN_NAME.match(mode):  # type: ignore[arg-type]
        return str(mode)

    def count(name: str) -> int | None:
        number = value.get(name)
        return number if isinstance(number, int) and not isinstance(number, bool) else None

    total = count("total_tokens")
    if total is None and count("prompt_tokens") is not None:
        total = (count("prompt_tokens") or 0) + (count("completion_tokens") or 0)
    reason = value.get("reason")
    return TaskRun(
        task_id=task_id,  # type: ignore[arg-type]
        domain=domain,  # type: ignore[arg-type]
        mode=mode,  # type: ignore[arg-type]
        solved=value.get("solved") is True,
        reason=reason if isinstance(reason, str) and reason else None,
        turns=count("turns"),
        total_tokens=total,
    )


class EvalFolder:
    """The results and transcripts of one eval run. ``label`` is how the user named it."""

    def __init__(self, path: Path, label: str, options: ReadOptions) -> None:
        self.path = path
        self.label = label
        self.options = options
        # Unreadable: the folder cannot be exported.
        results = load_json(confined(path / RESULTS, path, what=RESULTS))
        if not isinstance(results, dict) or not isinstance(results.get("tasks"), list):
            raise Unreadable(f"{RESULTS} has no 'tasks' list")
        self.results: dict[str, Any] = results
        rows = [_row(value) for value in results["tasks"]]
        self.runs = [row for row in rows if isinstance(row, TaskRun)]
        self.outside = [row for row in rows if isinstance(row, str)]
        """Modes of rows that name a path (``../../x``, ``/etc``): not followed."""
        self.malformed = len(rows) - len(self.runs) - len(self.outside)
        """Rows of ``results.json`` without a task id, domain and mode (not exported)."""
        self._loaded: Suite | Unreadable | None = None

    @property
    def has_transcripts(self) -> bool:
        return (self.path / TRANSCRIPTS).is_dir()

    def transcript(self, run: TaskRun) -> Path:
        return self.path / TRANSCRIPTS / run.mode / run.transcript_name

    def transcript_label(self, run: TaskRun) -> str:
        return f"{self.label}/{TRANSCRIPTS}/{run.mode}/{run.transcript_name}"

    def trajectory(self, run: TaskRun) -> Trajectory:
        path = self.transcript(run)
        if not path.is_file():
            raise Unreadable("its transcript is missing")
        confined(path, self.path / TRANSCRIPTS, what="its transcript (a link)")
        notebook = read_transcript(path)
        messages = recorded_messages(notebook)
        recorded = messages is not None
        if messages is None:
            messages = rebuild(notebook["cells"], self._rebuild_options(run))
        model = self.results.get("model")
        return Trajectory(
            kind="eval",
            source=self.transcript_label(run),
            key=f"{run.mode}/{run.task_id}",
            messages=messages,
            model=model if isinstance(model, str) and model else None,
            success=run.solved,
            reason=run.reason,
            mode=run.mode,
            action_style="tools"
            if uses_tool_calls(messages)
            else ACTION_STYLES.get(run.mode, run.mode),
            run_tokens=run.total_tokens,
            recorded=recorded,
            details={"task_id": run.task_id},
            tools=recorded_tools(notebook),
        )

    def _rebuild_options(self, run: TaskRun) -> RebuildOptions:
        """The eval's own prompt and action format for the task's mode (the transcript was
        written before transcripts recorded the messages)."""
        from ..core.actions import CodeActions
        from ..eval.modes import MODES
        from ..eval.toolcalls import JsonToolCalls, TextToolCalls

        mode = MODES.get(run.mode)
        if mode is None:
            raise Unreadable(f"it predates recorded messages and mode {run.mode!r} is unknown")
        suite = self._suite()
        domain = suite.domains.get(run.domain)
        if domain is None:
            raise Unreadable(f"it predates recorded messages and {suite.path} has no {run.domain}")
        max_turns = self.results.get("max_turns")
        action_format = mode.action_format(domain)
        if not isinstance(action_format, CodeActions | JsonToolCalls | TextToolCalls):
            # Native tool calls were never in the text: only recorded messages hold them.
            raise Unreadable(f"it predates recorded messages, which mode {run.mode!r} needs")
        return RebuildOptions(
            system_prompt=mode.system_prompt(
                domain, max_turns=max_turns if isinstance(max_turns, int) else 10
            ),
            action_format=action_format,
            code_in_tags=mode.name == "code",
            max_observation_chars=self.options.max_observation_chars,
            cell_timeout=self.options.cell_timeout,
            include_images=self.options.keep_images,
        )

    def _suite(self) -> Suite:
        """The suite the eval ran (loaded once; its failure is remembered too): the one the
        user gave, else the built-in one. Loading a suite runs its ``tools.py``, so a path
        that ``results.json`` names is never followed."""
        from ..eval.suite import SuiteError, load_suite

        if self._loaded is None:
            where = self.results.get("suite")
            chosen = self.options.suite
            if chosen is None and isinstance(where, str) and not _builtin(where):
                self._loaded = Unreadable(
                    f"it predates recorded messages, and its suite {where} is outside the "
                    "folder (loading a suite runs its tools.py): if you trust it, export "
                    f"again with --suite {where}"
                )
                raise Unreadable(str(self._loaded))
            try:
                self._loaded = load_suite(chosen)
            except SuiteError as error:
                self._loaded = Unreadable(
                    "it predates recorded messages and the eval's suite cannot be loaded to "
                    f"rebuild its prompt ({error})"
                )
        if isinstance(self._loaded, Unreadable):
            raise Unreadable(str(self._loaded))
        return self._loaded


def _builtin(where: str) -> bool:
    """Whether a ``results.json``'s suite is the built-in one (here, or as another
    installation names it)."""
    from ..eval.suite import BUILTIN_SUITE

    if os.path.realpath(where) == os.path.realpath(BUILTIN_SUITE):
        return True
    return Path(where).parts[-3:] == ("jupyter_codeact", "eval", "tasks")
