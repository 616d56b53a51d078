"""The action modes: the paper's three, and native tool calls, over the same tools and the
same agent loop.

- code: the CodeAct format; the tools are functions defined in the kernel and the model
  writes Python that calls and combines them.
- json: one tool call per reply as a JSON object.
- text: one tool call per reply as ``Action: tool_name[arg1, arg2]``.
- tools: one tool call per reply through the endpoint's native function calling (the
  question everyone asks now: code actions against native tool calls, :mod:`.native`).

Every mode runs in :class:`~jupyter_codeact.core.agent.Agent` with a fresh kernel state
holding the tools; only the prompt and the action format differ (see :mod:`.toolcalls` for
why the non-code calls run as generated code in the kernel).
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable
from dataclasses import dataclass

from ..core.actions import ActionFormat, CodeActions
from ..core.code_tool import CallFormat
from .native import NativeToolCalls
from .suite import Domain
from .toolcalls import JsonToolCalls, TextToolCalls

_COMMON = """\
You are an assistant that solves tasks by using tools. {instructions}

You have at most {max_turns} replies for a task, one action in each; after each action \
you see its result as an observation. When you know the answer, reply with \
<solution>your answer</solution> and no action. Give only the answer, in the form the task \
asks for: a number (without units), a short text, or a list such as ["a", "b"].
{description}
Tools:
{tools}
"""

_CODE = """\
You act by writing Python code. Put each action in one block:
<execute>
...python code...
</execute>
It runs in a stateful Python kernel: variables persist from one action to the next. The \
tools listed below are Python functions already defined in the kernel: call them, keep \
their results in variables, and combine them with any Python you need (loops, arithmetic, \
comparisons). Use print() to see values: what the code prints, the value of its last \
expression, and the traceback of any error come back to you."""

_JSON = """\
You act by calling one tool per reply, written as a JSON object:
{"name": "tool_name", "arguments": {"parameter": value}}
The tool runs and you see what it returned (or the error it raised). You cannot run code: \
work out any arithmetic or comparison yourself."""

_TEXT = """\
You act by calling one tool per reply, written on a line of its own as:
Action: tool_name[argument1, argument2]
Give the arguments in the order of the tool's parameters; text needs no quotes unless it \
contains a comma or a bracket; write lists as [a, b]. The tool runs and you see what it \
returned (or the error it raised). You cannot run code: work out any arithmetic or \
comparison yourself."""

_TOOLS = """\
You act through native function calls: the tools below are offered to you as functions; \
call one per reply. The tool runs and you see what it returned (or the error it raised). \
You cannot run code: work out any arithmetic or comparison yourself."""


@dataclass(frozen=True)
class Mode:
    name: str
    instructions: str
    make_format: Callable[[Domain], ActionFormat | CallFormat]

    @property
    def marker(self) -> str:
        """A line found in this mode's system prompt only (the scripted oracle reads it)."""
        return self.instructions.split("\n", 1)[0]

    def action_format(self, domain: Domain) -> ActionFormat | CallFormat:
        return self.make_format(domain)

    def system_prompt(self, domain: Domain, *, max_turns: int) -> str:
        description = f"\n{domain.description.strip()}\n" if domain.description else ""
        return _COMMON.format(
            instructions=self.instructions,
            max_turns=max_turns,
            description=description,
            tools=describe_tools(domain),
        )


def describe_tools(domain: Domain) -> str:
    """Each tool's signature and docstring: the same text in every mode."""
    entries = []
    for tool in domain.tools:
        doc = textwrap.indent(tool.doc, "    ") if tool.doc else ""
        entries.append(f"- {tool.name}{tool.signature}" + (f"\n{doc}" if doc else ""))
    return "\n".join(entries)


MODES: dict[str, Mode] = {
    "code": Mode("code", _CODE, lambda domain: CodeActions()),
    "json": Mode("json", _JSON, lambda domain: JsonToolCalls(domain.tool_names)),
    "text": Mode("text", _TEXT, lambda domain: TextToolCalls(domain.tool_names)),
    "tools": Mode("tools", _TOOLS, NativeToolCalls),
}
