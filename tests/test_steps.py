"""The conversation as typed steps: what a run records, what a saved chat reads back (in
today's format and in the format before steps), and that nothing is told from text."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeact.core import Agent, AgentOptions, RunOptions
from jupyter_codeact.core.cells import cells_of
from jupyter_codeact.core.condense import Condenser
from jupyter_codeact.core.events import AnyEvent, Done
from jupyter_codeact.core.llm import OpenAIChat
from jupyter_codeact.core.steps import (
    AnswerStep,
    CellsStep,
    Conversation,
    InterruptedStep,
    ObservationStep,
    ReplyStep,
    RequestStep,
    SystemStep,
)
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.server.chat_file import ChatFileError, decode
from jupyter_codeact.server.history import conversation
from jupyter_codeact.testing import Reply, ScriptedLLM

BEFORE_STEPS = Path(__file__).parent / "fixtures" / "chat-before-steps.json"
"""A chat file as the server wrote it before steps (format 2, messages and entries only):
a failed cell, a check that kept it cut to what ran, and the answer."""


async def events_of(
    agent: Agent, message: str, options: RunOptions | None = None
) -> list[AnyEvent]:
    return [event async for event in agent.run(message, options)]


@pytest.mark.asyncio
async def test_a_run_records_its_steps_and_the_model_reads_them_as_messages(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(
        Reply(reasoning="Divide first.", content="<execute>\n1 / 0\n</execute>"),
        "Fixed.\n<execute>\nx = 6\nprint(x)\n</execute>",
        "<solution>6</solution>",
    )
    agent = Agent(llm, kernel, AgentOptions(cells=True, require_solution=False))
    events = await events_of(agent, "six?", RunOptions(context="a notebook"))
    assert isinstance(events[-1], Done) and events[-1].reason == "answered"
    steps = agent.conversation.steps
    assert [type(s) for s in steps] == [
        SystemStep,
        RequestStep,
        ReplyStep,
        ObservationStep,
        ReplyStep,
        ObservationStep,
        ReplyStep,
        AnswerStep,
    ]
    request, first = steps[1], steps[2]
    assert isinstance(request, RequestStep) and request.context == "a notebook"
    assert request.text == "six?"
    # The reasoning is kept with its reply, apart from what the model is sent back.
    assert isinstance(first, ReplyStep) and first.reasoning == "Divide first."
    assert first.acted and first.code == "1 / 0" and first.completion_tokens > 0
    assert "Divide first" not in json.dumps(agent.messages)
    failed, fixed = steps[3], steps[5]
    assert isinstance(failed, ObservationStep) and isinstance(fixed, ObservationStep)
    assert failed.status == "error" and failed.failure is not None
    assert failed.failure["error"] == "ZeroDivisionError"
    assert fixed.replaced and fixed.cell == failed.cell and fixed.duration > 0
    assert isinstance(steps[-1], AnswerStep) and steps[-1].answer == "6"
    # The messages are the steps' own, in order; the last request sent them all.
    assert agent.messages == [m for step in steps for m in step.messages]
    assert llm_server.requests[-1].messages == agent.messages[:-1]
    # Saved and read back: the same steps, and the cells the rule knows.
    saved = json.loads(json.dumps(agent.conversation.to_json()))
    again = Conversation.load(json.loads(json.dumps(agent.messages)), saved)
    assert again.to_json() == saved and again.kinds == agent.conversation.kinds
    (cell,) = cells_of(again.steps)
    assert (cell.id, cell.code, cell.status) == (failed.cell, "x = 6\nprint(x)", "ok")


@pytest.mark.asyncio
async def test_a_host_changes_a_run_with_options_not_by_changing_the_agent(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("<solution>1</solution>", "<solution>2</solution>")
    options = AgentOptions(require_solution=False)
    agent = Agent(llm, kernel, options)
    await events_of(agent, "one", RunOptions(action_style="tools"))
    assert agent.options is options and agent.action_style == "tools"
    assert llm_server.requests[0].body.get("tools")  # the run's style offered the code tool
    await events_of(agent, "two")
    assert agent.action_style == "tags" and not llm_server.requests[1].body.get("tools")


def test_a_chat_saved_before_steps_reads_its_steps_and_cells() -> None:
    record = decode(BEFORE_STEPS.read_text(), "93cdfc476a15488fa243454966251fb5")
    assert record.steps == []
    read = conversation(record)
    assert read.messages == record.messages
    assert read.kinds == [
        "system",
        "request",
        "action",
        "observation",
        "action",
        "observation",
        "reply",
    ]
    # The cells come from its entries, once, as a step of their own: the failed cell as
    # the check below it cut it, and the check.
    (listed,) = [s for s in read.steps if isinstance(s, CellsStep)]
    cells = {cell.id: cell for cell in cells_of(read.steps)}
    first, check = [e for e in record.entries if e["role"] == "action"]
    sales = "sales = {'revenue': [120, 80]}"
    assert (cells[first["cell"]].code, cells[first["cell"]].status) == (sales, "ok")
    assert cells[check["cell"]].code == "print(list(sales))"
    assert len(listed.cells) == 2
    # Written back with its steps, it reads the same without the entries' help.
    record.steps = read.to_json()
    record.entries = []
    again = conversation(record)
    assert {c.id: c.code for c in cells_of(again.steps)} == {c.id: c.code for c in cells.values()}


def test_an_action_cut_off_is_answered_by_its_interruption() -> None:
    record = decode(BEFORE_STEPS.read_text(), "93cdfc476a15488fa243454966251fb5")
    read = conversation(record)
    assert not read.answer_open_action("gone", InterruptedStep)  # it answered: nothing open
    first = next(i for i, s in enumerate(read.steps) if isinstance(s, ReplyStep))
    cut = Conversation(read.steps[: first + 1])  # ends with an action, its outcome unknown
    assert cut.answer_open_action("The server stopped.", InterruptedStep)
    assert cut.messages[-1] == {"role": "user", "content": "Observation:\nThe server stopped."}
    assert cut.kinds[-1] == "observation" and cut.open_action() is None


def test_the_condenser_takes_kinds_from_the_steps_not_the_text() -> None:
    # An answer that quotes an observation is still a request; a reply whose code is in a
    # format of the host's own still acted.
    steps = Conversation(
        [
            SystemStep(messages=[{"role": "system", "content": "act"}]),
            RequestStep(messages=[{"role": "user", "content": "Observation: is a word"}]),
            ReplyStep(messages=[{"role": "assistant", "content": '{"code": "1"}'}], acted=True),
            ObservationStep(messages=[{"role": "user", "content": "1"}]),
        ]
    )
    assert steps.kinds == ["system", "request", "action", "observation"]
    prompt, condensing = Condenser(steps).prompt(window=100_000, tokens_per_byte=0.25)
    assert prompt.messages == steps.messages and condensing.changed == 0


def counted(steps: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Steps as format 2 saved them: counting their messages, kept in a list apart."""
    flat = [message for step in steps for message in step["messages"]]
    return [{**step, "messages": len(step["messages"])} for step in steps], flat


def test_a_chat_file_keeps_the_steps_with_their_messages_and_reads_them_back() -> None:
    record = decode(BEFORE_STEPS.read_text(), "93cdfc476a15488fa243454966251fb5")
    read = conversation(record)
    record.steps, record.messages = read.to_json(), []
    saved = record.to_json()
    # One source: the messages are in the steps, and nowhere else in the file.
    assert saved["version"] == 3 and "messages" not in saved
    assert [m for step in saved["steps"] for m in step["messages"]] == read.messages
    again = decode(json.dumps(saved), record.info["id"])
    assert conversation(again).messages == read.messages
    assert [type(s) for s in conversation(again).steps] == [type(s) for s in read.steps]
    # Where a file also holds messages that say otherwise, the steps are what is read.
    stray = {**saved, "messages": [{"role": "user", "content": "not what was sent"}]}
    assert conversation(decode(json.dumps(stray), record.info["id"])).messages == read.messages


def test_a_format_2_file_with_counted_steps_still_loads_and_is_saved_as_format_3() -> None:
    record = decode(BEFORE_STEPS.read_text(), "93cdfc476a15488fa243454966251fb5")
    read = conversation(record)
    data = json.loads(BEFORE_STEPS.read_text())
    data["steps"], data["messages"] = counted(read.to_json())
    older = decode(json.dumps(data), record.info["id"])
    assert conversation(older).messages == read.messages
    assert [s["type"] for s in older.steps] == [s.type for s in read.steps]
    assert older.to_json()["version"] == 3 and "messages" not in older.to_json()
    # Counted steps that do not match its messages: the messages are read, as before.
    data["steps"] = data["steps"][:-1]
    broken = decode(json.dumps(data), record.info["id"])
    assert broken.steps == [] and conversation(broken).messages == read.messages


def test_a_format_3_file_whose_steps_cannot_be_read_is_damaged() -> None:
    record = decode(BEFORE_STEPS.read_text(), "93cdfc476a15488fa243454966251fb5")
    record.steps, record.messages = conversation(record).to_json(), []
    saved = record.to_json()
    saved["steps"][1]["messages"] = 3  # counts messages the file no longer keeps
    with pytest.raises(ChatFileError, match="'steps' cannot be read"):
        decode(json.dumps(saved), record.info["id"])
