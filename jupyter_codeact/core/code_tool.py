"""Native tool-calling formats, and the tools style's own: one function whose argument is
the Python to run. The action is still code, so this is still CodeAct; only the way the
model hands the code over differs from the tags style.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from .prompts import CODE_TOOL, TOOLS_NO_ACTION_NUDGE, tools_system_prompt
from .tool_calls import ToolCall, arguments_of


@dataclass(frozen=True)
class CallAction:
    """What one native call asks for: code to run (with its attributes), or a problem to
    tell the model (the call is answered with it)."""

    code: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)
    problem: str = ""


class CallFormat(Protocol):
    """How a model acts through native tool calls: the functions offered with each request,
    and the code a call stands for. The loop, the executor and the observation are the same
    as for text formats."""

    @property
    def tools(self) -> Sequence[dict[str, Any]]:
        """The function definitions sent as the request's ``tools``."""
        ...

    @property
    def no_action_nudge(self) -> str:
        """What the model is told after an empty reply (no call, no text)."""
        ...

    @property
    def streamed_argument(self) -> str | None:
        """The argument shown as it streams (the code), if any."""
        ...

    def system_prompt(self, prompt: str) -> str:
        """The configured system prompt as this format needs it."""
        ...

    def action(self, call: ToolCall) -> CallAction: ...


@dataclass(frozen=True)
class CodeTool:
    """``execute_python(code)``: the code runs in the kernel, like an ``<execute>`` block.

    ``cell_targeting`` adds the optional ``replace`` argument (the id of a cell the code
    replaces) and ``new`` (keep a failed cell and add a new one), read into
    :attr:`CallAction.attributes` as the tags style reads ``<execute replace="...">`` and
    ``<execute new>``: the cell rule (:mod:`.cells`) is the same for both styles. The
    arguments are read either way, so a model that sends them unasked is understood.
    """

    cell_targeting: bool = False
    no_action_nudge: str = TOOLS_NO_ACTION_NUDGE
    streamed_argument: str | None = "code"

    @property
    def tools(self) -> Sequence[dict[str, Any]]:
        properties: dict[str, Any] = {
            "code": {
                "type": "string",
                "description": "Python to run in the kernel (IPython syntax such as %pip or "
                "!command works). The output, the value of the last expression and any "
                "traceback come back as the result.",
            }
        }
        if self.cell_targeting:
            properties["replace"] = {
                "type": "string",
                "description": "Optional: the id of a cell (such as c3a1) whose code this "
                "code replaces, to fix or revise it, instead of adding a new cell. Give the "
                "cell's complete new code: a replacement that would lose names the cell "
                "defines is refused.",
            }
            properties["new"] = {
                "type": "boolean",
                "description": "Optional: true to keep a failed cell as it is and put this "
                "code in a new cell (by default the call after a failure replaces it, if "
                "it is complete code for the cell).",
            }
        return (
            {
                "type": "function",
                "function": {
                    "name": CODE_TOOL,
                    "description": "Run Python code in the stateful Jupyter kernel: "
                    "variables, imports and files persist from one call to the next.",
                    "parameters": {
                        "type": "object",
                        "properties": properties,
                        "required": ["code"],
                    },
                },
            },
        )

    def system_prompt(self, prompt: str) -> str:
        return tools_system_prompt(prompt)

    def action(self, call: ToolCall) -> CallAction:
        if call.name != CODE_TOOL:
            return CallAction(
                problem=f"There is no tool named {call.name!r}: to run code, call "
                f"{CODE_TOOL} with the code; to finish, reply with your answer."
            )
        arguments = arguments_of(call)
        if isinstance(arguments, str):
            return CallAction(problem=f"Your {CODE_TOOL} call was not run: {arguments}.")
        code = arguments.get("code")
        if not isinstance(code, str) or not code.strip():
            return CallAction(
                problem=f'Your {CODE_TOOL} call was not run: give the Python to run as "code".'
            )
        attributes = {}
        replace = arguments.get("replace")
        if isinstance(replace, str) and replace.strip():
            attributes["replace"] = replace.strip()
        if arguments.get("new") in (True, "true", "True"):
            attributes["new"] = ""
        return CallAction(code=code.strip("\n"), attributes=attributes)
