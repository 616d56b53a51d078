"""A scripted model that knows every task's reference solution (for tests and benchmarks).

Give an :class:`Oracle` to :class:`~jupyter_codeact.testing.ScriptedLLM` as its responder.
It reads the conversation it is sent, works out the mode (from the system prompt) and the
task (from the statement), and replies as a model would in that mode: in code mode one
``<execute>`` block that makes the reference calls and prints the computed answer; in JSON,
text and tools mode one reference call per reply (in tools mode as a native call). Its
answer is derived from the observations it was sent, never copied from the task, so it
scores 100% only if the harness ran every call and showed the model what it returned.
``wrong=True`` answers something else of the same form; ``malformed_turns=k`` starts with k
replies whose action cannot be used.
"""

from __future__ import annotations

import ast
import json
from typing import Any

from ..testing.scripted_llm import RecordedRequest, Reply
from .checker import format_answer, perturb
from .modes import MODES, Mode
from .reference import compute_answer
from .suite import Suite, Task, ToolCall
from .toolcalls import Call, text_value

MALFORMED: dict[str, Reply | str] = {
    "code": "Let me run it.\n<execute>\n</execute>",
    "json": 'Calling the tool.\n{"name": "lookup", "arguments": {"key": 1}',
    "text": "Action: lookup(key)",
    "tools": Reply(tool_calls=[{"name": "lookup", "arguments": '{"key": 1'}]),
}
"""An unusable action in each mode: an empty code block, JSON cut short, the wrong brackets,
a native call of no such tool (its arguments cut short too)."""

_OBSERVATION = "Observation:\n"
_NOTHING = "(the cell ran and printed nothing)"
_UNSAFE_BARE = set(",[](){}'\"\n")


class Oracle:
    def __init__(self, suite: Suite, *, wrong: bool = False, malformed_turns: int = 0) -> None:
        self.suite = suite
        self.wrong = wrong
        self.malformed_turns = malformed_turns
        self._tasks = {task.statement: task for task in suite.tasks}

    def __call__(self, request: RecordedRequest) -> Reply | str:
        messages = request.messages
        mode = self._mode(str(messages[0]["content"]))
        task = self._tasks[str(messages[1]["content"])]
        # After the statement, the conversation alternates: reply, observation (or nudge).
        turns = [str(m["content"]) for m in messages[2:]]
        replies, observations = turns[0::2], turns[1::2]
        if len(replies) < self.malformed_turns:
            return MALFORMED[mode.name]
        replies = replies[self.malformed_turns :]
        observations = observations[self.malformed_turns :]
        if mode.name == "code":
            return self._code(task, len(replies), observations)
        return self._calls(task, mode, len(replies), observations)

    def _mode(self, system: str) -> Mode:
        for mode in MODES.values():
            if mode.marker in system:
                return mode
        raise ValueError("The system prompt is not one of the evaluation modes'.")

    def _code(self, task: Task, step: int, observations: list[str]) -> str:
        if step == 0:
            lines = ["import math, re", "r = []"]
            lines += [f"r.append({_call(call).expression()})" for call in task.calls]
            lines += [f"answer = {task.compute}", "print(repr(answer))"]
            code = "\n".join(lines)
            return f"I will call the tools and compute the answer.\n<execute>\n{code}\n</execute>"
        return self._solution(task, parse_printed(observations[0]))

    def _calls(self, task: Task, mode: Mode, step: int, observations: list[str]) -> Reply | str:
        if step < len(task.calls):
            call = task.calls[step]
            spec = next(t for t in self.suite.domains[task.domain].tools if t.name == call.name)
            if mode.name == "tools":  # named arguments, as native calls have them
                named = dict(zip(spec.parameters, call.args, strict=False)) | call.kwargs
                native = {"name": call.name, "arguments": named}
                return Reply(content=f"Next I call {call.name}.", tool_calls=[native])
            if mode.name == "json":
                arguments: Any = call.kwargs if call.kwargs else list(call.args)
                return f"Next I call {call.name}.\n" + json.dumps(
                    {"name": call.name, "arguments": arguments}
                )
            # The text format is positional: put keyword arguments in parameter order.
            values = [*call.args, *(call.kwargs[p] for p in spec.parameters if p in call.kwargs)]
            args = ", ".join(_text_argument(value) for value in values)
            return f"Next I call {call.name}.\nAction: {call.name}[{args}]"
        results = [parse_printed(text) for text in observations[: len(task.calls)]]
        return self._solution(task, compute_answer(task, results))

    def _solution(self, task: Task, value: Any) -> str:
        if self.wrong:
            value = perturb(task.answer, task.checker, task.tolerance)
        return f"The answer is below.\n<solution>{format_answer(value)}</solution>"


def parse_printed(observation: str) -> Any:
    """The value a printed tool result stands for: a Python literal, else the text."""
    text = observation.removeprefix(_OBSERVATION)
    if text == _NOTHING:
        return ""
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text


def _call(call: ToolCall) -> Call:
    return Call(call.name, call.args, call.kwargs)


def _text_argument(value: Any) -> str:
    """Bare text where the text format reads it back unchanged, a literal otherwise."""
    bare = isinstance(value, str) and value == value.strip() and not _UNSAFE_BARE & set(value)
    if bare and value and text_value(value) == value:
        return str(value)
    return repr(value)
