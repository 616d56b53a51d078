"""Transcript notebooks: ``jupyter codeact run --output``, the eval's ``transcripts/`` and
``%codeact --history`` ``.write(path)`` all write one (:mod:`jupyter_codeact.transcript`).

Its metadata keeps the agent's steps, each with the messages the model was sent for it;
one written before steps kept the messages alone, and one written before either is rebuilt
from its cells (:mod:`.rebuild`).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.actions import CodeActions
from ..core.llm import Message
from ..core.prompts import DEFAULT_SYSTEM_PROMPT
from ..core.steps import Conversation
from .rebuild import ANSWER, TASK, RebuildOptions, rebuild, source_of
from .trajectory import Kind, Trajectory, uses_tool_calls


class Unreadable(Exception):
    """A file that cannot be exported (skipped and reported); the message says why."""


@dataclass(frozen=True)
class ReadOptions:
    """What readers need beyond the files: how the loop bounded observations (for rebuilt
    conversations) and whether images are kept."""

    keep_images: bool = False
    max_observation_chars: int = 8000
    cell_timeout: float | None = None
    system_prompt: str = DEFAULT_SYSTEM_PROMPT
    """The system prompt of rebuilt runs (transcripts do not record it)."""
    suite: Path | None = None
    """The suite an eval ran, as the user gave it (``--suite``): older transcripts of an
    eval folder are rebuilt with its prompts. A folder's own ``results.json`` may only name
    the built-in suite; any other path there is not followed."""


def confined(path: Path, root: Path, *, what: str) -> Path:
    """``path``, if it lies inside ``root`` once links and ``..`` are resolved; else
    :class:`Unreadable` (a source is read inside itself, never through it elsewhere)."""
    real, base = os.path.realpath(path), os.path.realpath(root)
    if real != base and not real.startswith(base.rstrip(os.sep) + os.sep):
        raise Unreadable(f"{what} leads outside {root} (to {real}): not read")
    return path


def load_json(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as error:
        raise Unreadable("not UTF-8 text") from error
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from error
    try:
        return json.loads(text)
    except RecursionError as error:
        raise Unreadable("the JSON is nested too deeply") from error
    except ValueError as error:
        raise Unreadable(f"not valid JSON ({error})") from error


def codeact_metadata(notebook: Any) -> dict[str, Any] | None:
    """The ``codeact`` metadata of a transcript, or None if ``notebook`` is not one."""
    if not isinstance(notebook, dict) or not isinstance(notebook.get("cells"), list):
        return None
    metadata = notebook.get("metadata")
    mark = metadata.get("codeact") if isinstance(metadata, dict) else None
    return mark if isinstance(mark, dict) and isinstance(mark.get("task"), str) else None


def read_transcript(path: Path) -> dict[str, Any]:
    """The notebook at ``path``; :class:`Unreadable` unless it is a CodeAct transcript."""
    notebook = load_json(path)
    if codeact_metadata(notebook) is None:
        raise Unreadable("not a CodeAct transcript (no codeact metadata)")
    return notebook  # type: ignore[no-any-return]


def recorded_messages(notebook: dict[str, Any]) -> list[Message] | None:
    """The messages the transcript recorded (from its steps; an older transcript's own
    list), or None (older still)."""
    codeact = notebook["metadata"]["codeact"]
    steps = codeact.get("steps")
    if isinstance(steps, list) and steps and all(isinstance(s, dict) for s in steps):
        try:
            return Conversation.load([], steps).messages
        except ValueError:
            pass  # steps that count their messages in the list below (or are not steps)
    messages = codeact.get("messages")
    if (
        isinstance(messages, list)
        and messages
        and all(isinstance(m, dict) and isinstance(m.get("role"), str) for m in messages)
    ):
        return messages
    return None


def recorded_tools(notebook: dict[str, Any]) -> list[dict[str, Any]]:
    """The native functions the transcript recorded as offered ([] for none, or older)."""
    tools = notebook["metadata"]["codeact"].get("tools")
    if isinstance(tools, list) and all(isinstance(tool, dict) for tool in tools):
        return tools
    return []


def answered_last(notebook: dict[str, Any]) -> bool:
    """Whether the last request of the transcript got an answer."""
    answered = False
    for cell in notebook["cells"]:
        if isinstance(cell, dict) and cell.get("cell_type") == "markdown":
            text = source_of(cell)
            if text.startswith(TASK):
                answered = False
            elif text.startswith(ANSWER):
                answered = True
    return answered


def _kind(notebook: dict[str, Any]) -> Kind:
    kind = notebook["metadata"]["codeact"].get("kind")
    if kind in ("run", "eval", "history"):
        return kind  # type: ignore[no-any-return]
    tasks = sum(
        1
        for cell in notebook["cells"]
        if isinstance(cell, dict)
        and cell.get("cell_type") == "markdown"
        and source_of(cell).startswith(TASK)
    )
    return "history" if tasks > 1 else "run"  # a conversation of several requests


def transcript_trajectory(path: Path, label: str, options: ReadOptions) -> Trajectory:
    """One trajectory from a run's or a history's notebook."""
    notebook = read_transcript(path)
    meta = notebook["metadata"]["codeact"]
    messages = recorded_messages(notebook)
    recorded = messages is not None
    if messages is None:
        rebuilt = RebuildOptions(
            system_prompt=options.system_prompt,
            action_format=CodeActions(),
            max_observation_chars=options.max_observation_chars,
            cell_timeout=options.cell_timeout,
            include_images=options.keep_images,
        )
        messages = rebuild(notebook["cells"], rebuilt)
    kind = _kind(notebook)
    tokens = meta.get("total_tokens")
    style = meta.get("action_style")
    return Trajectory(
        kind=kind,
        source=label,
        messages=messages,
        model=meta.get("model") or None,
        success=answered_last(notebook),
        reason=meta.get("reason") if isinstance(meta.get("reason"), str) else None,
        action_style=style
        if isinstance(style, str)
        else ("tools" if uses_tool_calls(messages) else "tags"),
        # A history's notebook records the last run's total only.
        run_tokens=tokens if isinstance(tokens, int) and kind == "run" else None,
        recorded=recorded,
        tools=recorded_tools(notebook),
    )
