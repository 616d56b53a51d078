"""The paper's non-code action formats: one tool call per reply, as JSON or as text.

A parsed call becomes the one line of Python that performs it, ``print(tool(args))``,
which the agent loop runs in the task's kernel like any code action. So all three modes
call the same functions in the same kind of kernel and read the outcome through the same
observation (printed result, or the traceback of an exception the tool raised): only the
way the model writes its action differs. A reply whose call cannot be understood is a
failed turn: the model is told what is wrong and the turn counts.

Arguments are only ever data (JSON values, or Python literals in the text format) and the
tool name must be one of the domain's tools, so a call cannot run arbitrary code.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..core.actions import ParsedReply, without_reasoning

_SOLUTION = re.compile(r"<solution>(.*?)(?:</solution>|\Z)", re.DOTALL | re.IGNORECASE)
_IDENTIFIER = re.compile(r"[A-Za-z_]\w*\Z")
_TEXT_ACTION = re.compile(r"^[ \t]*Action[ \t]*:[ \t]*", re.MULTILINE | re.IGNORECASE)
_TEXT_CALL = re.compile(r"([A-Za-z_]\w*)[ \t]*\[")
_CLOSERS = {"[": "]", "(": ")", "{": "}"}


@dataclass(frozen=True)
class Call:
    name: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def expression(self) -> str:
        parts = [repr(value) for value in self.args]
        parts += [f"{key}={value!r}" for key, value in self.kwargs.items()]
        return f"{self.name}({', '.join(parts)})"

    def code(self) -> str:
        """The Python that performs the call and shows its result."""
        return f"print({self.expression()})"


class _Malformed(Exception):
    """The reply attempts a call that cannot be understood; the message tells the model."""


class _ToolCallFormat:
    """Shared by both formats: find the call outside any ``<solution>``, turn it into code."""

    no_action_nudge = ""

    def __init__(self, tools: tuple[str, ...]) -> None:
        self.tools = tools

    def parse(self, reply: str) -> ParsedReply:
        reply = without_reasoning(reply)  # reasoning is never searched for calls
        match = _SOLUTION.search(reply)
        solution = match.group(1).strip() if match else None
        # Blank out the solution so that a list or object in the answer is not a call.
        searchable = _SOLUTION.sub(lambda m: " " * len(m.group(0)), reply)
        try:
            found = self._find(searchable)
        except _Malformed as malformed:
            if solution is not None:
                return ParsedReply(text=reply, code=None, solution=solution)
            return ParsedReply(text=reply, code=None, solution=None, problem=str(malformed))
        if found is None:
            return ParsedReply(text=reply, code=None, solution=solution)
        end, call = found
        if call.name not in self.tools:
            tools = ", ".join(self.tools)
            problem = f"There is no tool named {call.name!r}; the tools are: {tools}."
            return ParsedReply(text=reply[:end], code=None, solution=None, problem=problem)
        return ParsedReply(text=reply[:end], code=call.code(), solution=solution)

    def _find(self, text: str) -> tuple[int, Call] | None:
        """The end of the first call in ``text`` and the call; None if there is none."""
        raise NotImplementedError


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


class JsonToolCalls(_ToolCallFormat):
    """``{"name": "tool", "arguments": {"param": value}}`` (arguments may be a list)."""

    no_action_nudge = (
        "I found no action in your reply. To call a tool, write one JSON object such as "
        '{"name": "tool_name", "arguments": {"parameter": "value"}}; to finish, put your '
        "final answer inside <solution> ... </solution>."
    )

    def _find(self, text: str) -> tuple[int, Call] | None:
        decoder = json.JSONDecoder(parse_constant=_reject_constant)
        first_error: str | None = None
        shapeless: dict[str, Any] | None = None
        covered = -1
        for brace in re.finditer(r"\{", text):
            if brace.start() < covered:
                continue  # inside an object already decoded
            try:
                value, end = decoder.raw_decode(text, brace.start())
            except ValueError as error:
                if first_error is None and shapeless is None:
                    first_error = str(error)
                continue
            covered = end
            if isinstance(value, dict) and "name" in value:
                return end, self._call(value)
            shapeless = shapeless or value
        if first_error is not None:
            raise _Malformed(
                f"Your action is not valid JSON ({first_error}). Write one tool call as "
                '{"name": "tool_name", "arguments": {"parameter": "value"}}.'
            )
        if shapeless is not None:
            raise _Malformed(
                'A tool call is a JSON object with "name" (the tool) and "arguments" (an '
                'object of parameter values), such as {"name": "tool_name", "arguments": '
                '{"parameter": "value"}}.'
            )
        return None

    def _call(self, value: dict[str, Any]) -> Call:
        name = value["name"]
        arguments = value.get("arguments", {})
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise _Malformed('"name" must be the name of a tool, as a string.')
        if isinstance(arguments, list):
            return Call(name, args=tuple(arguments))
        if not isinstance(arguments, dict):
            raise _Malformed('"arguments" must be an object of parameter values (or a list).')
        bad = [key for key in arguments if not _IDENTIFIER.match(key)]
        if bad:
            raise _Malformed(f"{bad[0]!r} is not a parameter name.")
        return Call(name, kwargs=dict(arguments))


class TextToolCalls(_ToolCallFormat):
    """``Action: tool_name[arg1, arg2]``: arguments by position, literals or bare text."""

    no_action_nudge = (
        "I found no action in your reply. To call a tool, write a line such as "
        "Action: tool_name[argument1, argument2]; to finish, put your final answer inside "
        "<solution> ... </solution>."
    )

    def _find(self, text: str) -> tuple[int, Call] | None:
        action = _TEXT_ACTION.search(text)
        if action is None:
            return None
        call = _TEXT_CALL.match(text, action.end())
        if call is None:
            raise _Malformed(
                "Write the action as Action: tool_name[argument1, argument2], with the "
                "arguments in square brackets."
            )
        # An apostrophe in bare text ("O'Hare") is not a quote: retry without quotes.
        end = _closing(text, call.end() - 1) or _closing(text, call.end() - 1, quotes=False)
        if end is None:
            raise _Malformed(
                "The action's [ is never closed: write Action: tool_name[argument1, argument2]."
            )
        inner = text[call.end() : end - 1]
        parts = _split_args(inner)
        if parts is None:
            parts = _split_args(inner, quotes=False) or []
        return end, Call(call.group(1), args=tuple(text_value(p) for p in parts))


def _closing(text: str, start: int, *, quotes: bool = True) -> int | None:
    """The index just after the bracket that closes the one at ``start``."""
    stack: list[str] = []
    quote: str | None = None
    index = start
    while index < len(text):
        char = text[index]
        if quote is not None:
            if char == "\\":
                index += 1
            elif char == quote:
                quote = None
        elif quotes and char in "\"'":
            quote = char
        elif char in _CLOSERS:
            stack.append(_CLOSERS[char])
        elif stack and char == stack[-1]:
            stack.pop()
            if not stack:
                return index + 1
        index += 1
    return None


def _split_args(inner: str, *, quotes: bool = True) -> list[str] | None:
    """Split at the commas that are not inside brackets or quotes (None: a quote is open)."""
    parts: list[str] = []
    depth = 0
    quote: str | None = None
    current: list[str] = []
    escaped = False
    for char in inner:
        if quote is not None:
            if escaped:
                escaped = False
            elif char == "\\":
                escaped = True
            elif char == quote:
                quote = None
        elif quotes and char in "\"'":
            quote = char
        elif char in _CLOSERS:
            depth += 1
        elif char in _CLOSERS.values():
            depth -= 1
        elif char == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quote is not None:
        return None
    parts.append("".join(current))
    parts = [part.strip() for part in parts]
    return [] if parts == [""] else parts


def text_value(text: str) -> Any:
    """A Python literal if ``text`` is one (``3``, ``'a, b'``, ``[1, 2]``), else the text."""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
