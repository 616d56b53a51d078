"""The tools action style end to end: native tool calls through the real openai client on
the scripted server, run in a real kernel; and ``auto`` falling back to tags."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator

import pytest
import pytest_asyncio

from jupyter_codeact.core import (
    Action,
    ActionDelta,
    Agent,
    AgentOptions,
    AnyEvent,
    Done,
    Error,
    FinalAnswer,
    Observation,
)
from jupyter_codeact.core.llm import LLMSettings, OpenAIChat
from jupyter_codeact.core.prompts import CODE_TOOL, EXTRA_CALL_NOTE
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.testing import Reply, ScriptedLLM

pytestmark = pytest.mark.asyncio
MODEL = "scripted-model"


def call(code: str, **extra: str) -> dict[str, object]:
    return {"name": CODE_TOOL, "arguments": {"code": code, **extra}}


async def run(agent: Agent, message: str = "task") -> list[AnyEvent]:
    return [event async for event in agent.run(message)]


def of(kind: type, events: list[AnyEvent]) -> list:
    return [event for event in events if isinstance(event, kind)]


@pytest_asyncio.fixture
async def client(llm_server: ScriptedLLM) -> AsyncIterator[OpenAIChat]:
    # No retries: llama.cpp refuses tools with an HTTP 500, which the client would retry.
    chat = OpenAIChat(LLMSettings(model=MODEL, api_key="k", base_url=llm_server.url, max_retries=0))
    yield chat
    await chat.close()


async def test_code_streams_runs_and_its_result_answers_the_call(
    client: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    code = 'word = "caf\\u00e9"\nprint(word, len(word))'
    llm_server.push(
        Reply(content="Counting.", tool_calls=[call(code), call("print('twice')")], chunk_size=3),
        Reply(content="It has 4 letters."),
    )
    events = await run(Agent(client, kernel, AgentOptions(action_style="tools")), "count")

    # The code was shown as it streamed, and it is what ran.
    streamed = "".join(e.text for e in of(ActionDelta, events))
    assert streamed == code and len(of(ActionDelta, events)) > 5
    assert [e.code for e in of(Action, events)] == [code]
    assert of(Observation, events)[0].text == "Observation:\ncafé 4"
    assert [e.answer for e in of(FinalAnswer, events)] == ["It has 4 letters."]
    first, second = llm_server.requests
    assert [t["function"]["name"] for t in first.body["tools"]] == [CODE_TOOL]
    assert first.body["parallel_tool_calls"] is False and "stop" not in first.body
    system = first.messages[0]["content"]
    assert CODE_TOOL in system and "<execute>" not in system and "<solution>" not in system
    # The history is the standard OpenAI form: the calls, then one tool message per call.
    reply, result, extra = second.messages[2:]
    ids = [c["id"] for c in reply["tool_calls"]]
    assert reply["content"] == "Counting." and len(ids) == 2
    assert json.loads(reply["tool_calls"][0]["function"]["arguments"]) == {"code": code}
    assert result == {"role": "tool", "tool_call_id": ids[0], "content": "Observation:\ncafé 4"}
    assert extra == {"role": "tool", "tool_call_id": ids[1], "content": EXTRA_CALL_NOTE}


async def test_a_call_that_cannot_run_is_answered_and_the_model_tries_again(
    client: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    bad = {"name": CODE_TOOL, "arguments": '{"code": "print(1)'}  # cut short
    llm_server.push(
        Reply(tool_calls=[bad]),
        Reply(tool_calls=[{"name": "final_answer", "arguments": {"answer": "1"}}]),
        Reply(tool_calls=[call("print(1)")]),
        Reply(content="1"),
    )
    events = await run(Agent(client, kernel, AgentOptions(action_style="tools")))
    assert [e.code for e in of(Action, events)] == ["print(1)"]
    assert isinstance(events[-1], Done) and events[-1].reason == "answered"
    answers = [m for m in llm_server.requests[3].messages if m["role"] == "tool"]
    assert "not valid JSON" in answers[0]["content"]
    assert "no tool named 'final_answer'" in answers[1]["content"]
    assert answers[2]["content"] == "Observation:\n1"


async def test_without_a_call_the_reply_is_the_answer_headless_too(
    client: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("Paris is the capital of France.")
    options = AgentOptions(action_style="tools", require_solution=True)
    events = await run(Agent(client, kernel, options))
    assert [e.answer for e in of(FinalAnswer, events)] == ["Paris is the capital of France."]


@pytest.mark.parametrize("style", ["ollama", "llamacpp", "vllm"])
async def test_auto_falls_back_to_tags_where_the_endpoint_refuses_tools_and_remembers(
    style: str,
    client: OpenAIChat,
    llm_server: ScriptedLLM,
    kernel: KernelExecutor,
    caplog: pytest.LogCaptureFixture,
) -> None:
    llm_server.rejects, llm_server.error_style = ("tools",), style  # type: ignore[assignment]
    llm_server.push("<execute>print(6 * 7)</execute>", "<solution>42</solution>")
    caplog.set_level(logging.INFO, logger="jupyter_codeact")
    agent = Agent(client, kernel, AgentOptions(action_style="auto"))
    events = await run(agent)
    assert [e.answer for e in of(FinalAnswer, events)] == ["42"]
    refused, *rest = llm_server.requests
    assert "tools" in refused.body and all("tools" not in r.body for r in rest)
    assert "<execute>" in rest[0].messages[0]["content"]  # the system prompt says tags now
    assert agent.action_style == "tags"
    # Learned once for the endpoint and model: a new chat asks without tools at once.
    llm_server.push("<solution>again</solution>")
    await run(Agent(client, kernel, AgentOptions(action_style="auto")))
    assert "tools" not in llm_server.requests[-1].body
    notes = [r.message for r in caplog.records if "native tools" in r.message]
    assert len(notes) == 1 and MODEL in notes[0]


async def test_auto_falls_back_to_tags_when_the_model_writes_its_call_as_text(
    client: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    # Qwen on a server without a tool parser: the call comes back as Hermes-style text.
    written = json.dumps({"name": CODE_TOOL, "arguments": {"code": "print(2 + 2)"}})
    llm_server.push(f"<tool_call>\n{written}\n</tool_call>", "<solution>4</solution>")
    agent = Agent(client, kernel, AgentOptions(action_style="auto"))
    events = await run(agent)
    assert [e.text for e in of(Observation, events)] == ["Observation:\n4"]
    assert [e.answer for e in of(FinalAnswer, events)] == ["4"]
    second = llm_server.requests[1]
    assert "tools" not in second.body and agent.action_style == "tags"
    assert second.messages[-1] == {"role": "user", "content": "Observation:\n4"}


async def test_explicit_tools_on_an_endpoint_without_them_says_what_to_do(
    client: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.rejects, llm_server.error_style = ("tools",), "ollama"
    events = await run(Agent(client, kernel, AgentOptions(action_style="tools")))
    error = of(Error, events)[0]
    assert "does not support tools" in error.message
    assert "action_style" in error.message and "'tags'" in error.message
    assert isinstance(events[-1], Done) and events[-1].reason == "error"
    assert len(llm_server.requests) == 1


async def test_a_call_left_unanswered_is_answered_before_the_next_request(
    client: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    # A chat saved while its action ran (the server stopped): the call never got its result.
    reply = {
        "role": "assistant",
        "content": "",
        "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": CODE_TOOL, "arguments": "{}"}}
        ],
    }
    history = [{"role": "system", "content": "act"}, {"role": "user", "content": "go"}, reply]
    history.append({"role": "user", "content": "Observation:\nThe server stopped."})
    llm_server.push("Done.")
    agent = Agent(client, kernel, AgentOptions(action_style="tools"), history=history)
    await run(agent, "go on")
    sent = llm_server.requests[0].messages
    assert sent[2]["tool_calls"][0]["id"] == "call_1"
    assert sent[3]["role"] == "tool" and sent[3]["tool_call_id"] == "call_1"
    assert sent[3]["content"].startswith("Not run:")
    assert [m["content"] for m in sent[4:]] == ["Observation:\nThe server stopped.", "go on"]


async def test_the_cell_rule_is_the_same_through_tool_arguments(
    client: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(
        Reply(tool_calls=[call("print(totl)")]),
        Reply(tool_calls=[call("total = 3\nprint(total)")]),  # the fix: replaces by rule 3
        Reply(tool_calls=[call("x = 1", replace="c999")]),  # not a cell of this chat
        Reply(tool_calls=[call("print(nope)")]),
        Reply(tool_calls=[{"name": CODE_TOOL, "arguments": {"code": "print(4)", "new": True}}]),
        Reply(content="3"),
    )
    agent = Agent(client, kernel, AgentOptions(action_style="tools", cells=True))
    events = await run(agent, "print the total")
    actions, observations = of(Action, events), of(Observation, events)
    failed = actions[0].cell
    assert actions[1].replaces == failed and observations[1].replaced
    assert observations[2].status == "refused" and "no cell c999" in observations[2].text
    assert observations[3].status == "error" and not actions[4].replaces  # "new" kept it
    assert [c.code for c in agent.cells.cells] == [
        "total = 3\nprint(total)",
        "print(nope)",
        "print(4)",
    ]

    # The model is told in the tool's own terms, never in tags it cannot write here.
    first = llm_server.requests[0]
    offered = first.body["tools"][0]["function"]["parameters"]["properties"]
    assert set(offered) == {"code", "replace", "new"}
    system = first.messages[0]["content"]
    assert f'an {CODE_TOOL} call with "replace": "c3a1"' in system and "<execute" not in system
    told = [m["content"] for m in llm_server.requests[1].messages if m["role"] == "tool"]
    assert told[-1].endswith(
        f"Your next action replaces the code of cell {failed} if it is complete code for the "
        f'cell; otherwise, or with an {CODE_TOOL} call with "new": true, it goes into a new cell '
        "below it."
    )
    refusal = [m for m in llm_server.requests[3].messages if m["role"] == "tool"][-1]
    assert "There is no cell c999" in refusal["content"] and "<execute" not in refusal["content"]
