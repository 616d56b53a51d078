"""The agent loop with an action format other than code: the strategy hook the evaluation
harness uses for JSON and text tool calls."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from jupyter_codeact.core import (
    Action,
    Agent,
    AgentOptions,
    CodeActions,
    Done,
    FinalAnswer,
    Observation,
    ParsedReply,
)
from jupyter_codeact.core.llm import OpenAIChat
from jupyter_codeact.core.prompts import NO_ACTION_NUDGE
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.testing import ScriptedLLM


@dataclass(frozen=True)
class AddCommands:
    """``ADD a b`` adds two numbers; ``ADD`` with anything else is malformed."""

    no_action_nudge: str = "Write ADD a b, or ANSWER x."

    def parse(self, reply: str) -> ParsedReply:
        words = reply.split()
        if words[:1] == ["ANSWER"]:
            return ParsedReply(text=reply, code=None, solution=" ".join(words[1:]))
        if words[:1] != ["ADD"]:
            return ParsedReply(text=reply, code=None, solution=None)
        if len(words) != 3 or not all(w.isdigit() for w in words[1:]):
            return ParsedReply(
                text=reply, code=None, solution=None, problem="ADD takes two whole numbers."
            )
        return ParsedReply(text=reply, code=f"print({words[1]} + {words[2]})", solution=None)


@pytest.mark.asyncio
async def test_a_custom_format_runs_its_code_and_explains_what_is_malformed(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("ADD two three", "ADD 2 3", "thinking", "ANSWER 5")
    options = AgentOptions(action_format=AddCommands(), max_turns=5)
    events = [event async for event in Agent(llm, kernel, options).run("add 2 and 3")]

    assert [e.code for e in events if isinstance(e, Action)] == ["print(2 + 3)"]
    assert [e.text for e in events if isinstance(e, Observation)] == ["Observation:\n5"]
    assert [e.answer for e in events if isinstance(e, FinalAnswer)] == ["5"]
    done = events[-1]
    assert isinstance(done, Done) and done.reason == "answered" and done.turns == 4
    # The malformed call and the reply without an action each cost a turn, and the model
    # was told what was wrong in the format's own words.
    told = [m["content"] for m in llm_server.requests[3].messages if m["role"] == "user"]
    assert told == [
        "add 2 and 3",
        "ADD takes two whole numbers.",
        "Observation:\n5",
        "Write ADD a b, or ANSWER x.",
    ]


@pytest.mark.asyncio
async def test_a_malformed_action_is_never_the_answer_in_chat_hosts(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    # Chat hosts take a reply without an action as the answer, but not a botched action.
    llm_server.push("ADD 1", "ANSWER 2")
    options = AgentOptions(action_format=AddCommands(), require_solution=False)
    events = [event async for event in Agent(llm, kernel, options).run("add")]
    assert [e.answer for e in events if isinstance(e, FinalAnswer)] == ["2"]


def test_the_default_format_is_codeact() -> None:
    options = AgentOptions()
    assert (options.action_style, options.action_format) == ("tags", None)
    format = CodeActions()
    assert format.no_action_nudge == NO_ACTION_NUDGE
    parsed = format.parse("<execute>x = 1</execute>")
    assert (parsed.code, parsed.problem) == ("x = 1", "")
