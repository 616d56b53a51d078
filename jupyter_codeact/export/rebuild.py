"""The conversation of a transcript notebook that does not record it, rebuilt from its cells.

Notebooks written before transcripts kept the model's messages hold the task, the prose of
each reply (markdown), each action (a code cell with its real outputs) and the answer. The
model saw: the system prompt, the task, each reply (its prose and its action), each
observation (the outputs formatted and bounded by :func:`format_observation`, as the loop
does), and a nudge after a reply with neither action nor answer. Replies come back with
their code in ``<execute>`` tags (the text the model wrote around it is not in the file),
or, for the eval's JSON and text calls, as the prose that holds the call.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from ..core.actions import ActionFormat
from ..core.events import ExecutionStatus
from ..core.executor import ExecutionResult
from ..core.llm import Message
from ..core.observation import format_observation

TASK, ANSWER, ERROR = "**Task:** ", "**Answer:** ", "**Error:** "
"""How :class:`~jupyter_codeact.transcript.Transcript` writes these markdown cells."""

_STATUSES: tuple[str, ...] = get_args(ExecutionStatus)


@dataclass(frozen=True)
class RebuildOptions:
    system_prompt: str
    action_format: ActionFormat
    """Says what the model was told after a reply without an action."""
    code_in_tags: bool = True
    """Replies held their code in ``<execute>`` (False: the eval's JSON and text calls,
    whose prose cell holds the call itself)."""
    max_observation_chars: int = 8000
    cell_timeout: float | None = None
    include_images: bool = False


def source_of(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(map(str, source)) if isinstance(source, list) else str(source)


def provenance(cell: dict[str, Any]) -> dict[str, Any]:
    """The ``codeact`` metadata of a cell ({} when there is none)."""
    metadata = cell.get("metadata")
    mark = metadata.get("codeact") if isinstance(metadata, dict) else None
    return mark if isinstance(mark, dict) else {}


class _Builder:
    def __init__(self, options: RebuildOptions) -> None:
        self.options = options
        self.messages: list[Message] = [{"role": "system", "content": options.system_prompt}]
        self.prose: str | None = None
        """The prose of a reply whose action or answer has not been seen yet."""

    def reply(self, text: str) -> None:
        self.messages.append({"role": "assistant", "content": text})
        self.prose = None

    def close(self, *, nudge: bool) -> None:
        """The open reply had neither action nor answer."""
        if self.prose is None:
            return
        text = self.prose
        self.reply(text)
        if nudge:
            parsed = self.options.action_format.parse(text)
            content = parsed.problem or self.options.action_format.no_action_nudge
            self.messages.append({"role": "user", "content": content})

    def markdown(self, text: str, mark: dict[str, Any]) -> None:
        if mark.get("thinking"):
            return  # reasoning: shown to the user, never sent back to the model
        if "turn" in mark:
            self.close(nudge=True)
            self.prose = text
        elif text.startswith(TASK):
            self.close(nudge=True)
            self.messages.append({"role": "user", "content": text.removeprefix(TASK)})
        elif text.startswith(ANSWER):
            answer = text.removeprefix(ANSWER)
            prose = self.prose or ""
            if prose and prose.strip() == answer.strip():
                self.reply(prose)  # a chat host's plain reply is its answer
            else:
                self.reply(_joined(prose, f"<solution>{answer}</solution>"))
        elif text.startswith(ERROR):
            self.close(nudge=False)

    def action(self, cell: dict[str, Any], code: str, mark: dict[str, Any]) -> None:
        reply = self.prose or ""
        if self.options.code_in_tags:
            reply = _joined(reply, f"<execute>\n{code}\n</execute>")
        self.reply(reply)
        status = mark.get("status")
        outputs = cell.get("outputs")
        outputs = outputs if isinstance(outputs, list) else []
        count = cell.get("execution_count")
        result = ExecutionResult(
            status=status if status in _STATUSES else "ok",
            outputs=[output for output in outputs if isinstance(output, dict)],
            code=code,
            execution_count=count if isinstance(count, int) else None,
        )
        formatted = format_observation(
            result,
            max_chars=self.options.max_observation_chars,
            timeout=self.options.cell_timeout,
            include_images=self.options.include_images,
        )
        self.messages.append(formatted.message())


def rebuild(cells: list[Any], options: RebuildOptions) -> list[Message]:
    """The conversation the cells of a transcript stand for (see the module docstring)."""
    builder = _Builder(options)
    for cell in cells:
        if not isinstance(cell, dict):
            continue
        mark = provenance(cell)
        if cell.get("cell_type") == "markdown":
            builder.markdown(source_of(cell), mark)
        elif cell.get("cell_type") == "code" and "turn" in mark:
            builder.action(cell, source_of(cell), mark)
    builder.close(nudge=False)
    return builder.messages


def _joined(prose: str, block: str) -> str:
    return f"{prose}\n{block}" if prose else block
