"""The agent loop with a real kernel and the real openai client on the scripted server."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from jupyter_codeact.core import (
    Action,
    Agent,
    AgentOptions,
    AnyEvent,
    Done,
    Error,
    ExecutionResult,
    FinalAnswer,
    Observation,
    Retry,
    TextDelta,
    Thinking,
    ThinkingDelta,
)
from jupyter_codeact.core.executor import ExecutorError
from jupyter_codeact.core.llm import OpenAIChat
from jupyter_codeact.core.options import RunOptions
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.testing import Reply, ScriptedLLM

pytestmark = pytest.mark.asyncio


async def run(agent: Agent, message: str = "task") -> list[AnyEvent]:
    return [event async for event in agent.run(message)]


def of(kind: type, events: list[AnyEvent]) -> list:
    return [event for event in events if isinstance(event, kind)]


async def test_each_observation_goes_back_to_the_model(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(
        "<execute>\nvalues = [3, 4]\nprint(sum(values))\n</execute>", "<solution>7</solution>"
    )
    events = await run(Agent(llm, kernel), "add 3 and 4")
    assert [e.type for e in events if e.type != "text_delta"] == [
        "message",
        "usage",
        "action",
        "observation",
        "message",
        "usage",
        "final",
        "done",
    ]
    second_request = llm_server.requests[1].messages
    assert second_request[0]["role"] == "system" and "<execute>" in second_request[0]["content"]
    assert second_request[1] == {"role": "user", "content": "add 3 and 4"}
    assert second_request[3] == {"role": "user", "content": "Observation:\n7"}
    assert of(Done, events)[0].reason == "answered"


async def test_follow_up_messages_continue_the_conversation_and_the_kernel(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    agent = Agent(llm, kernel)
    llm_server.push("<execute>total = 10</execute>", "<solution>set</solution>")
    await run(agent, "set total")
    llm_server.push("<execute>print(total * 2)</execute>", "<solution>20</solution>")
    events = await run(agent, "double it")
    assert of(Observation, events)[0].text == "Observation:\n20"
    assert [m["content"] for m in llm_server.requests[2].messages if m["role"] == "user"][:2] == [
        "set total",
        "Observation:\n(the cell ran and printed nothing)",
    ]
    assert of(Action, events)[0].turn == 3  # turns count across the conversation


async def test_context_precedes_the_request(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("<solution>ok</solution>")
    agent = Agent(llm, kernel)
    _ = [e async for e in agent.run("plot it", context="df: DataFrame (3, 2)")]
    assert llm_server.requests[0].messages[1]["content"] == (
        "<context>\ndf: DataFrame (3, 2)\n</context>\n\nplot it"
    )


async def test_max_turns_ends_the_run_unanswered(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(*["<execute>print('again')</execute>"] * 3)
    events = await run(Agent(llm, kernel, AgentOptions(max_turns=3)))
    done = of(Done, events)[0]
    assert (done.reason, done.turns) == ("max_turns", 3)
    assert len(of(Observation, events)) == 3
    assert llm_server.remaining == 0


async def test_token_budget_ends_the_run(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(*["<execute>x = 1</execute>"] * 5)
    events = await run(Agent(llm, kernel, AgentOptions(token_budget=300)))
    done = of(Done, events)[0]
    assert done.reason == "token_budget"
    assert "over its budget of 300" in done.detail
    assert done.total_tokens >= 300
    assert len(llm_server.requests) < 5


async def test_a_budget_spent_on_the_last_turn_is_reported_as_the_budget(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("<execute>x = 1</execute>")
    # The system prompt alone is a few hundred tokens: one turn spends this budget.
    events = await run(Agent(llm, kernel, AgentOptions(max_turns=1, token_budget=100)))
    done = of(Done, events)[0]
    assert done.reason == "token_budget" and done.total_tokens > 100


async def test_reply_without_action_is_nudged_in_headless_mode(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("I think the answer is 5.", "<solution>5</solution>")
    events = await run(Agent(llm, kernel))
    assert of(FinalAnswer, events)[0].answer == "5"
    assert "<solution>" in llm_server.requests[1].messages[-1]["content"]


async def test_reply_without_action_is_the_answer_in_chat_mode(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("Which file should I load?")
    events = await run(Agent(llm, kernel, AgentOptions(require_solution=False)))
    assert of(FinalAnswer, events)[0].answer == "Which file should I load?"
    assert len(llm_server.requests) == 1


async def test_code_runs_before_a_premature_solution(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(
        "<execute>print(2 + 2)</execute><solution>5</solution>", "<solution>4</solution>"
    )
    events = await run(Agent(llm, kernel))
    assert of(FinalAnswer, events)[0].answer == "4"
    assert "solution was not taken" in llm_server.requests[1].messages[-1]["content"]


async def test_broken_stream_is_asked_again_and_partial_text_discarded(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(
        Reply(content="<solution>wrong half", chunk_size=4, cut_after=2), "<solution>42</solution>"
    )
    events = await run(Agent(llm, kernel))
    assert len(of(Retry, events)) == 1
    assert of(FinalAnswer, events)[0].answer == "42"
    retry_index = next(i for i, e in enumerate(events) if isinstance(e, Retry))
    assert "".join(e.text for e in of(TextDelta, events[retry_index:])) == "<solution>42</solution>"


async def test_llm_failure_is_an_error_event_then_done(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.required_key = "another-key"
    events = await run(Agent(llm, kernel))
    assert of(Error, events)[0].kind == "auth"
    assert events[-1] == Done(turn=1, reason="error", detail=of(Error, events)[0].message, turns=1)


async def test_stop_while_the_model_is_replying(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(Reply(hang=True))
    agent = Agent(llm, kernel)
    events: list[AnyEvent] = []

    async def consume() -> None:
        async for event in agent.run("task"):
            events.append(event)

    task = asyncio.ensure_future(consume())
    await asyncio.to_thread(llm_server.wait_for_requests, 1)
    agent.stop()
    await asyncio.wait_for(task, timeout=10)
    assert events[-1].reason == "cancelled"  # type: ignore[union-attr]
    assert not agent.running


class StopAsTheRequestStarts:
    """The real client, with a Stop landing just as a request starts: after the stream's
    task is made, before it first runs (the moment a Stop can cancel it unstarted)."""

    def __init__(self, llm: OpenAIChat) -> None:
        self.llm = llm
        self.agent: Agent | None = None
        self.model, self.quirks = llm.model, llm.quirks

    async def context_window(self) -> int:
        return await self.llm.context_window()

    def stream(self, prompt: Any) -> AsyncIterator[Any]:
        assert self.agent is not None
        asyncio.get_running_loop().call_soon(self.agent.stop)
        return self.llm.stream(prompt)


async def test_a_stop_as_a_request_starts_ends_the_run(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("<solution>never read</solution>")
    stopping = StopAsTheRequestStarts(llm)
    agent = stopping.agent = Agent(stopping, kernel)  # type: ignore[arg-type]
    events = await asyncio.wait_for(run(agent), timeout=10)
    assert isinstance(events[-1], Done) and events[-1].reason == "cancelled"
    assert not agent.running


async def test_stop_while_an_action_runs_interrupts_the_kernel(
    llm: OpenAIChat, llm_server: ScriptedLLM
) -> None:
    started = asyncio.Event()
    llm_server.push("<execute>import time\nprint('working', flush=True)\ntime.sleep(60)</execute>")

    def on_message(kind: str, content: dict) -> None:
        if "working" in content.get("text", ""):
            started.set()

    async with KernelExecutor(on_message=on_message) as kernel:
        agent = Agent(llm, kernel)
        events: list[AnyEvent] = []

        async def consume() -> None:
            async for event in agent.run("task"):
                events.append(event)

        task = asyncio.ensure_future(consume())
        await asyncio.wait_for(started.wait(), timeout=30)
        agent.stop()
        await asyncio.wait_for(task, timeout=30)
        observation = of(Observation, events)[0]
        assert observation.status == "interrupted"
        assert "working" in observation.text
        assert events[-1].reason == "cancelled"  # type: ignore[union-attr]
        # The model will know, next time, that its action was interrupted.
        assert agent.messages[-1]["content"].startswith("Observation:\nworking")
        assert (await kernel.execute("1", timeout=10)).status == "ok"


async def test_a_run_cancelled_by_its_host_interrupts_the_running_action(
    llm: OpenAIChat, llm_server: ScriptedLLM
) -> None:
    started = asyncio.Event()
    llm_server.push("<execute>import time\nprint('working', flush=True)\ntime.sleep(60)</execute>")

    def on_message(kind: str, content: dict) -> None:
        if "working" in content.get("text", ""):
            started.set()

    async with KernelExecutor(on_message=on_message) as kernel:
        agent = Agent(llm, kernel)

        async def consume() -> None:
            async for _ in agent.run("task"):
                pass

        task = asyncio.ensure_future(consume())
        await asyncio.wait_for(started.wait(), timeout=30)
        task.cancel()  # the host goes away (server shutdown), not the user's Stop
        with pytest.raises(asyncio.CancelledError):
            await task
        # The sleeping cell was interrupted: the kernel answers at once, not in a minute
        # (the first request may be aborted, if it was queued behind the interrupted cell).
        await asyncio.wait_for(kernel.execute("1", timeout=10), timeout=20)
        assert (await asyncio.wait_for(kernel.execute("1", timeout=10), timeout=20)).status == "ok"


async def test_stop_after_the_reply_but_before_the_action_runs_sends_nothing(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("<execute>ran = True</execute>")
    agent = Agent(llm, kernel)
    events: list[AnyEvent] = []
    async for event in agent.run("task"):
        events.append(event)
        if isinstance(event, Action):
            agent.stop()  # the reply is complete; its code has not gone out yet
    observation = of(Observation, events)[0]
    assert observation.status == "skipped"
    assert events[-1].reason == "cancelled"  # type: ignore[union-attr]
    assert (await kernel.execute("'ran' in dir()", timeout=10)).outputs[0]["data"] == {
        "text/plain": "False"
    }


async def test_stop_between_two_steps_asks_the_model_nothing_more(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("<execute>1 + 1</execute>", "<solution>2</solution>")
    agent = Agent(llm, kernel)
    events: list[AnyEvent] = []
    async for event in agent.run("task"):
        events.append(event)
        if isinstance(event, Observation):
            agent.stop()  # between the observation and the next request
    assert of(Observation, events)[0].status == "ok"
    assert events[-1].reason == "cancelled"  # type: ignore[union-attr]
    assert len(llm_server.requests) == 1
    assert not agent.running


async def test_images_reach_vision_models_as_parts(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    code = (
        "from IPython.display import Image, display\nimport base64\n"
        "display(Image(data=base64.b64decode("
        "'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==')))"
    )
    llm_server.push(f"<execute>{code}</execute>", "<solution>a dot</solution>")
    await run(Agent(llm, kernel, AgentOptions(include_images=True)))
    parts = llm_server.requests[1].messages[-1]["content"]
    assert parts[0]["type"] == "text"
    assert parts[1]["image_url"]["url"].startswith("data:image/png;base64,iVBOR")


class EditingExecutor:
    """An executor whose user edits the code before it runs (as the notebook approval does)."""

    def __init__(self, inner: KernelExecutor) -> None:
        self.inner = inner

    async def execute(
        self, code: str, *, timeout: float | None, action: Action | None = None
    ) -> ExecutionResult:
        return await self.inner.execute(code.replace("1", "2"), timeout=timeout)

    async def interrupt(self) -> None:
        await self.inner.interrupt()


async def test_the_model_is_told_what_really_ran(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("<execute>print(1)</execute>", "<solution>2</solution>")
    events = await run(Agent(llm, EditingExecutor(kernel)))
    assert of(Observation, events)[0].code == "print(2)"
    told = llm_server.requests[1].messages[-1]["content"]
    assert "edited the code" in told and "print(2)" in told


class BrokenExecutor:
    async def execute(
        self, code: str, *, timeout: float | None, action: Action | None = None
    ) -> ExecutionResult:
        raise ExecutorError("No notebook is open to run the code in.")

    async def interrupt(self) -> None:
        pass


async def test_executor_failure_is_reported_not_raised(
    llm: OpenAIChat, llm_server: ScriptedLLM
) -> None:
    llm_server.push("<execute>1</execute>")
    events = await run(Agent(llm, BrokenExecutor()))
    assert of(Error, events)[0].message == "No notebook is open to run the code in."
    assert events[-1].reason == "error"  # type: ignore[union-attr]


async def test_a_second_run_at_once_is_refused(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(Reply(hang=True))
    agent = Agent(llm, kernel)
    first = agent.run("one")
    first_event: AsyncIterator[AnyEvent] = first
    task = asyncio.ensure_future(first_event.__anext__())
    await asyncio.to_thread(llm_server.wait_for_requests, 1)
    with pytest.raises(RuntimeError, match="already running"):
        await agent.run("two").__anext__()
    agent.stop()
    await asyncio.wait_for(task, timeout=10)
    await first.aclose()  # type: ignore[attr-defined]


async def test_reasoning_streams_as_thinking_and_stays_out_of_the_history(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(
        Reply(reasoning="Add them. <execute>boom()</execute>", content="<execute>x = 3</execute>"),
        "<solution>3</solution>",
    )
    events = await run(Agent(llm, kernel))
    assert events[0].type == "thinking_delta"
    assert events.index(of(Thinking, events)[0]) < events.index(of(TextDelta, events)[0])
    assert "".join(d.text for d in of(ThinkingDelta, events)) == of(Thinking, events)[0].text
    assert [a.code for a in of(Action, events)] == ["x = 3"]
    assistant = llm_server.requests[1].messages[2]
    assert assistant == {"role": "assistant", "content": "<execute>x = 3</execute>"}


async def test_reasoning_in_the_middle_of_a_reply_is_found_when_it_is_complete(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(
        "Sure.\n<thinking>Or <execute>boom()</execute>?</thinking>\n<execute>y = 4</execute>",
        "<solution>4</solution>",
    )
    events = await run(Agent(llm, kernel))
    (thinking,) = of(Thinking, events)
    assert thinking.text == "Or <execute>boom()</execute>?" and thinking.seconds is None
    assert [a.code for a in of(Action, events)] == ["y = 4"]
    assert "boom" not in str(llm_server.requests[1].messages)


async def test_a_plain_answer_after_empty_reasoning_is_the_answer_without_it(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("<think>\n\n</think>\n\nWhich file should I load?")
    events = await run(Agent(llm, kernel, AgentOptions(require_solution=False)))
    assert of(FinalAnswer, events)[0].answer == "Which file should I load?"
    assert of(Thinking, events) == [] and of(ThinkingDelta, events) == []


async def test_a_secret_in_the_reasoning_is_redacted_even_split_across_pieces(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    from jupyter_codeact.core.redact import Redactor

    secret = "sk-reasoning-secret-0123456789"
    llm_server.push(
        Reply(reasoning=f"The key is {secret}, keep it.", content="<solution>ok</solution>")
    )
    options = AgentOptions(redactor=Redactor(secrets=[secret]))
    events = await run(Agent(llm, kernel, options))
    deltas = [d.text for d in of(ThinkingDelta, events)]
    assert len(deltas) > 1  # it streamed in pieces, the secret across several of them
    assert "".join(deltas) == "The key is [redacted], keep it."
    assert of(Thinking, events)[0].text == "The key is [redacted], keep it."


class RecordingExecutor:
    """Runs on the kernel and keeps the ``run`` value each execution was given."""

    def __init__(self, inner: KernelExecutor) -> None:
        self.inner = inner
        self.runs: list[object] = []

    async def execute(
        self,
        code: str,
        *,
        timeout: float | None,
        action: Action | None = None,
        run: object | None = None,
    ) -> ExecutionResult:
        self.runs.append(run)
        return await self.inner.execute(code, timeout=timeout)

    async def interrupt(self) -> None:
        await self.inner.interrupt()


async def test_the_hosts_run_value_reaches_each_action_of_that_run_only(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    executor = RecordingExecutor(kernel)
    agent = Agent(llm, executor)
    first, second = object(), object()
    llm_server.push("<execute>1</execute>", "<execute>2</execute>", "<solution>a</solution>")
    _ = [e async for e in agent.run("one", RunOptions(executor=first))]
    llm_server.push("<execute>3</execute>", "<solution>b</solution>")
    _ = [e async for e in agent.run("two", RunOptions(executor=second))]
    llm_server.push("<execute>4</execute>", "<solution>c</solution>")
    _ = [e async for e in agent.run("three")]
    # Each action gets its own run's value, as it was given; a run without one passes none.
    assert executor.runs[0] is first and executor.runs[1] is first
    assert executor.runs[2] is second
    assert executor.runs[3] is None
