"""Write a run as a notebook: the task and the model's prose as markdown, each action as a
code cell with its real outputs; the notebook's metadata keeps the conversation as the
agent's steps, each with the messages the model was sent for it (``codeact.steps``), which
``jupyter codeact export`` reads (older transcripts kept ``codeact.messages`` instead).

The notebook is built as plain nbformat-4.5 JSON: importing nbformat (through jsonschema)
costs seconds, which a command-line run or ``%load_ext`` should not pay. nbformat is only
imported by :meth:`Transcript.notebook`.
"""

from __future__ import annotations

import html
import json
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .core import view as views
from .core.events import AnyEvent, Thinking
from .core.redact import Redactor

if TYPE_CHECKING:
    import nbformat

_OUTPUT_FIELDS = {
    "stream": ("name", "text"),
    "display_data": ("data", "metadata"),
    "execute_result": ("data", "metadata", "execution_count"),
    "error": ("ename", "evalue", "traceback"),
}


def _cell(cell_type: str, source: str, metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    cell: dict[str, Any] = {
        "id": uuid.uuid4().hex[:8],
        "cell_type": cell_type,
        "metadata": metadata or {},
        "source": source,
    }
    if cell_type == "code":
        cell.update({"execution_count": None, "outputs": []})
    return cell


def thinking_markdown(event: Thinking | views.Reasoning) -> str:
    """The reasoning as a collapsed, expandable block, shown as the text it is: HTML
    escaped, and no brackets left to make a link or an image of (model text)."""
    body = html.escape(event.text).replace("[", "&#91;").replace("\n", "<br>\n")
    label = views.thinking_label(event.seconds)
    return f"<details>\n<summary>{label}</summary>\n\n{body}\n\n</details>"


def _output(output: dict[str, Any]) -> dict[str, Any]:
    """The output with exactly the fields nbformat allows for its type."""
    kind = output["output_type"]
    node = {"output_type": kind}
    for name in _OUTPUT_FIELDS.get(kind, ()):
        node[name] = output.get(name, {} if name in ("data", "metadata") else "")
    if kind == "execute_result" and node["execution_count"] == "":
        node["execution_count"] = None
    return node


class Transcript:
    """Feed it every event of a run; :meth:`write` saves it as a notebook."""

    def __init__(
        self,
        task: str,
        *,
        kernelspec: dict[str, Any] | None = None,
        model: str = "",
        redactor: Redactor | None = None,
        kind: str = "run",
    ):
        """``redactor``: secrets to keep out of the file (the agent's events are redacted
        already; this covers the task and anything added directly). ``kind`` says what
        wrote it (``run``, ``eval``, ``history``)."""
        self.redactor = redactor or Redactor()
        task = self.redactor.redact(task)
        self.nb: dict[str, Any] = {
            "nbformat": 4,
            "nbformat_minor": 5,
            "metadata": {
                "kernelspec": kernelspec
                or {
                    "name": "python3",
                    "display_name": "Python 3 (ipykernel)",
                    "language": "python",
                },
                "language_info": {"name": "python"},
                "codeact": {"task": task, "model": model, "kind": kind},
            },
            "cells": [],
        }
        self.add_markdown(f"**Task:** {task}")

    def add_markdown(self, text: str, metadata: dict[str, Any] | None = None) -> None:
        self.nb["cells"].append(_cell("markdown", self.redactor.redact(text), metadata))

    def set_action_style(self, style: str) -> None:
        """Record how the model acted (``tags`` or ``tools``) in the notebook's metadata."""
        self.nb["metadata"]["codeact"]["action_style"] = style

    def add(self, event: AnyEvent) -> None:
        match views.view_of(event):
            case views.Note(turn=turn, text=text, condensed=steps):
                # One note per condensing, where it happened: the cells keep every step.
                self.add_markdown(f"*{text}*", {"codeact": {"turn": turn, "condensed": steps}})
            case views.Reasoning(turn=turn) as view:
                self.add_markdown(
                    thinking_markdown(view), {"codeact": {"turn": turn, "thinking": True}}
                )
            case views.Reply(turn=turn, prose=text) if text:
                self.add_markdown(text, {"codeact": {"turn": turn}})
            case views.Result(observation=observation):
                observation = self.redactor.redact_fields(observation)
                cell = _cell(
                    "code",
                    observation.code,
                    {
                        "codeact": {
                            "turn": observation.turn,
                            "action_id": observation.action_id,
                            "status": observation.status,
                        }
                    },
                )
                cell["execution_count"] = observation.execution_count
                cell["outputs"] = [_output(output) for output in observation.outputs]
                self.nb["cells"].append(cell)
            case views.Answered(text=text):
                self.add_markdown(f"**Answer:** {text}")
            case views.Problem(message=message):
                self.add_markdown(f"**Error:** {message}")
            case views.Ended(reason=reason, turns=turns, total_tokens=tokens):
                self.nb["metadata"]["codeact"].update(
                    {"reason": reason, "turns": turns, "total_tokens": tokens}
                )

    def set_conversation(
        self, steps: Sequence[dict[str, Any]], tools: Sequence[dict[str, Any]] = ()
    ) -> None:
        """Keep the conversation as the agent's steps
        (:meth:`~.core.steps.Conversation.to_json`), each with what the model was sent for
        it (system prompt, requests, replies as it read them back, observations as bounded
        for it), and the functions offered with them: an export then reads exactly that
        instead of rebuilding it from the cells."""
        codeact = self.nb["metadata"]["codeact"]
        codeact["steps"] = self.redactor.redact_value([dict(step) for step in steps])
        if tools:
            codeact["tools"] = [dict(tool) for tool in tools]

    def notebook(self) -> nbformat.NotebookNode:
        """The transcript as an nbformat notebook (validated)."""
        import nbformat

        node = nbformat.from_dict(self.nb)
        nbformat.validate(node)
        return node

    def write(self, path: str | Path) -> None:
        """Write atomically, so an interrupted run never leaves half a notebook."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        with partial.open("w", encoding="utf-8") as handle:
            json.dump(self.nb, handle, indent=1, ensure_ascii=False)
            handle.write("\n")
        partial.replace(target)
