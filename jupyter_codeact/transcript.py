"""Write a run as a notebook: the task and the model's prose as markdown, each action as a
code cell with its real outputs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, output_from_msg

from .core.actions import prose
from .core.events import AnyEvent, AssistantMessage, Done, Error, FinalAnswer, Observation


class Transcript:
    """Feed it every event of a run; :meth:`notebook` gives the nbformat notebook."""

    def __init__(self, task: str, *, kernelspec: dict[str, Any] | None = None, model: str = ""):
        self.nb = new_notebook()
        self.nb.metadata["kernelspec"] = kernelspec or {
            "name": "python3",
            "display_name": "Python 3 (ipykernel)",
            "language": "python",
        }
        self.nb.metadata["language_info"] = {"name": "python"}
        self.nb.metadata["codeact"] = {"task": task, "model": model}
        self.nb.cells.append(new_markdown_cell(f"**Task:** {task}"))

    def add(self, event: AnyEvent) -> None:
        if isinstance(event, AssistantMessage):
            text = prose(event.text)
            if text:
                self.nb.cells.append(
                    new_markdown_cell(text, metadata={"codeact": {"turn": event.turn}})
                )
        elif isinstance(event, Observation):
            cell = new_code_cell(
                event.code,
                execution_count=event.execution_count,
                metadata={
                    "codeact": {
                        "turn": event.turn,
                        "action_id": event.action_id,
                        "status": event.status,
                    }
                },
            )
            cell.outputs = [_output_node(output) for output in event.outputs]
            self.nb.cells.append(cell)
        elif isinstance(event, FinalAnswer):
            self.nb.cells.append(new_markdown_cell(f"**Answer:** {event.answer}"))
        elif isinstance(event, Error):
            self.nb.cells.append(new_markdown_cell(f"**Error:** {event.message}"))
        elif isinstance(event, Done):
            self.nb.metadata["codeact"].update(
                {"reason": event.reason, "turns": event.turns, "total_tokens": event.total_tokens}
            )

    def notebook(self) -> nbformat.NotebookNode:
        return self.nb

    def write(self, path: str | Path) -> None:
        """Write atomically, so an interrupted run never leaves half a notebook."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_name(f".{target.name}.partial")
        nbformat.validate(self.nb)
        with partial.open("w", encoding="utf-8") as handle:
            nbformat.write(self.nb, handle)
        partial.replace(target)


def _output_node(output: dict[str, Any]) -> nbformat.NotebookNode:
    """An nbformat output node from an output dict (validating its shape)."""
    kind = output["output_type"]
    content = {key: value for key, value in output.items() if key != "output_type"}
    return output_from_msg({"header": {"msg_type": kind}, "content": content})
