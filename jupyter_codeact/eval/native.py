"""The fourth mode: the suite's tools as the endpoint's native function calls.

Each tool of the domain is offered as a function whose JSON schema comes from its
signature (``str`` is a string, ``float`` a number, ``list[...]`` an array...). One call
runs per reply, as in the JSON and text modes, and becomes the same line of Python,
``print(tool(param=value))``, run in the task's kernel and observed the same way; only the
way the model writes the call differs. Extra calls in a reply are answered with a note.
"""

from __future__ import annotations

import ast
import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..core.code_tool import CallAction
from ..core.tool_calls import ToolCall, arguments_of
from ..tools.spec import ToolSpec
from .suite import Domain
from .toolcalls import _IDENTIFIER, Call

_JSON_TYPES = {
    "str": "string",
    "int": "integer",
    "float": "number",
    "bool": "boolean",
    "list": "array",
    "tuple": "array",
    "dict": "object",
}


def _schema_of(annotation: ast.expr | None) -> dict[str, Any]:
    """The JSON schema of one parameter's annotation (empty: anything)."""
    if annotation is None:
        return {}
    if isinstance(annotation, ast.Constant) and isinstance(annotation.value, str):
        try:
            annotation = ast.parse(annotation.value, mode="eval").body
        except SyntaxError:
            return {}
    if isinstance(annotation, ast.BinOp) and isinstance(annotation.op, ast.BitOr):
        options = [_schema_of(annotation.left), _schema_of(annotation.right)]
        options = [option for option in options if option]
        return {"anyOf": options} if len(options) > 1 else (options[0] if options else {})
    base = annotation.value if isinstance(annotation, ast.Subscript) else annotation
    name = base.id if isinstance(base, ast.Name) else ""
    schema: dict[str, Any] = {"type": _JSON_TYPES[name]} if name in _JSON_TYPES else {}
    if name == "list" and isinstance(annotation, ast.Subscript):
        items = _schema_of(annotation.slice)
        if items:
            schema["items"] = items
    return schema


@functools.lru_cache(maxsize=256)
def function_of(tool: ToolSpec) -> dict[str, Any]:
    """The tool as a native function definition."""
    tree = ast.parse(f"def _{tool.signature}: pass")
    definition = tree.body[0]
    assert isinstance(definition, ast.FunctionDef)
    arguments = definition.args
    properties: dict[str, Any] = {}
    required: list[str] = []
    positional = [*arguments.posonlyargs, *arguments.args]
    defaults = [None] * (len(positional) - len(arguments.defaults)) + list(arguments.defaults)
    for argument, default in zip(positional, defaults, strict=True):
        properties[argument.arg] = _schema_of(argument.annotation)
        if default is None:
            required.append(argument.arg)
    for argument, kw_default in zip(arguments.kwonlyargs, arguments.kw_defaults, strict=True):
        properties[argument.arg] = _schema_of(argument.annotation)
        if kw_default is None:
            required.append(argument.arg)
    return {
        "type": "function",
        "function": {
            "name": tool.name,
            "description": tool.doc or tool.name,
            "parameters": {"type": "object", "properties": properties, "required": required},
        },
    }


@dataclass(frozen=True)
class NativeToolCalls:
    """The domain's tools as native functions (a :class:`~..core.code_tool.CallFormat`)."""

    domain: Domain
    no_action_nudge: str = (
        "Your reply was empty. Call one of the tools, or give your final answer inside "
        "<solution> ... </solution>."
    )
    streamed_argument: str | None = None

    @property
    def tools(self) -> Sequence[dict[str, Any]]:
        return tuple(function_of(tool) for tool in self.domain.tools)

    def system_prompt(self, prompt: str) -> str:
        return prompt

    def action(self, call: ToolCall) -> CallAction:
        names = self.domain.tool_names
        if call.name not in names:
            return CallAction(
                problem=f"There is no tool named {call.name!r}; the tools are: {', '.join(names)}."
            )
        arguments = arguments_of(call)
        if isinstance(arguments, str):
            return CallAction(problem=f"Your call of {call.name} was not run: {arguments}.")
        bad = [key for key in arguments if not _IDENTIFIER.match(key)]
        if bad:
            return CallAction(problem=f"{bad[0]!r} is not a parameter name.")
        return CallAction(code=Call(call.name, kwargs=dict(arguments)).code())
