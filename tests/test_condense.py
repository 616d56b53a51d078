"""Chats longer than the context window: older steps condensed before each request, the
endpoint's own context-length refusal handled, and the work incremental."""

from __future__ import annotations

import io

import pytest

from jupyter_codeact.cli.view import LiveView
from jupyter_codeact.core import Agent, AgentOptions, Condensed, Done, FinalAnswer
from jupyter_codeact.core import condense as condense_module
from jupyter_codeact.core.condense import CONDENSED_OBSERVATION, Condenser, observation_summary
from jupyter_codeact.core.llm import LLMSettings, OpenAIChat
from jupyter_codeact.core.prompts import CODE_TOOL
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.testing import RecordedRequest, Reply, ScriptedLLM
from jupyter_codeact.testing.scripted_llm import prompt_tokens
from jupyter_codeact.transcript import Transcript

MODEL = "scripted-model"
TASK = "Print the blocks of the report one at a time, then tell me how many there were."
STEPS = 39


def long_task(style: str):  # type: ignore[no-untyped-def]
    """A model that prints a 600-character block per turn, then answers on turn 40 (it
    counts its replies itself: the prompt it is sent holds fewer once condensed)."""
    replies = 0

    def respond(request: RecordedRequest) -> Reply:
        nonlocal replies
        step, replies = replies, replies + 1
        if step == STEPS:
            answer = f"There were {STEPS} blocks."
            return Reply(content=answer if style == "tools" else f"<solution>{answer}</solution>")
        code = f"print('block {step}: ' + 'x' * 600)"
        if style == "tools":
            return Reply(
                content="Next block.", tool_calls=[{"name": CODE_TOOL, "arguments": {"code": code}}]
            )
        return Reply(content=f"Next block.\n<execute>\n{code}\n</execute>")

    return respond


@pytest.mark.asyncio
@pytest.mark.parametrize("style", ["tags", "tools"])
async def test_a_40_turn_run_against_a_small_window_answers_within_it(
    style: str, kernel: KernelExecutor
) -> None:
    window = 4000
    with ScriptedLLM(long_task(style), models=(MODEL,), context_window=window) as server:
        llm = OpenAIChat(LLMSettings(model=MODEL, api_key="k", base_url=server.url))
        agent = Agent(llm, kernel, AgentOptions(action_style=style, max_turns=50))  # type: ignore[arg-type]
        events = [event async for event in agent.run(TASK)]
        await llm.close()
    assert [e.answer for e in events if isinstance(e, FinalAnswer)] == [
        f"There were {STEPS} blocks."
    ]
    assert isinstance(events[-1], Done) and events[-1].turns == STEPS + 1
    sizes = [prompt_tokens(r.body) for r in server.requests]
    assert len(sizes) == STEPS + 1 and max(sizes) < window  # never refused, never over
    assert sizes[-1] > window // 3  # it grew, then stayed under
    last = server.requests[-1].messages
    # The task is there, verbatim, saying how many of its older steps were left out.
    request = next(m["content"] for m in last if m["role"] == "user")
    assert request.startswith(TASK) and "earlier steps taken for this request" in request
    assert any(CONDENSED_OBSERVATION in str(m.get("content")) for m in last)
    assert "block 38: xxx" in str(last[-1]["content"])  # the recent steps are verbatim
    condensed = [e for e in events if isinstance(e, Condensed)]
    assert condensed and condensed[-1].window == window and condensed[-1].steps > 10
    # Hysteresis: condensing happens in a few rounds, not on every turn.
    assert len(condensed) < STEPS // 4
    # The conversation the host keeps is complete.
    kept = [str(m.get("content")) for m in agent.messages]
    assert sum("x" * 600 in text for text in kept) == STEPS
    # The transcript and the terminal say where older steps were condensed.
    transcript, out = Transcript(TASK), io.StringIO()
    view = LiveView(out=out, err=io.StringIO())
    for event in events:
        transcript.add(event)
        view.show(event)
    notes = [c for c in transcript.nb["cells"] if "condensed" in c["metadata"].get("codeact", {})]
    assert len(notes) == len(condensed) and notes[0]["source"].startswith("*Older steps were")
    assert sum(1 for c in transcript.nb["cells"] if c["cell_type"] == "code") == STEPS
    assert out.getvalue().count("[Older steps were condensed for the model") == len(condensed)


@pytest.mark.asyncio
async def test_a_context_length_refusal_is_learned_condensed_harder_and_retried_once(
    kernel: KernelExecutor,
) -> None:
    # The server's window is small and it does not say so in /v1/models: the agent assumes
    # the default window until the refusal states the real one.
    respond = long_task("tags")
    with ScriptedLLM(respond, models=(MODEL,), context_window=2500, report_window=False) as server:
        llm = OpenAIChat(LLMSettings(model=MODEL, api_key="k", base_url=server.url))
        agent = Agent(llm, kernel, AgentOptions(max_turns=50))
        events = [event async for event in agent.run(TASK)]
        await llm.close()
    assert isinstance(events[-1], Done) and events[-1].reason == "answered"
    refused = [r for r in server.requests if prompt_tokens(r.body) > 2500]
    assert len(refused) == 1  # one refusal, then the window was known
    retries = [e for e in events if isinstance(e, Condensed) and e.retry]
    assert len(retries) == 1 and retries[0].window == 2500
    assert llm.quirks.context_window == 2500


def test_condensing_is_incremental(monkeypatch: pytest.MonkeyPatch) -> None:
    encoded = 0
    real = condense_module.encode_message

    def counting(message: dict[str, object]) -> bytes:
        nonlocal encoded
        encoded += 1
        return real(message)

    monkeypatch.setattr(condense_module, "encode_message", counting)
    messages: list[dict[str, object]] = [
        {"role": "system", "content": "act"},
        {"role": "user", "content": "print the numbers"},
    ]
    condenser = Condenser(messages)
    per_turn = []
    for turn in range(300):
        messages.append({"role": "assistant", "content": f"<execute>\nprint({turn})\n</execute>"})
        messages.append({"role": "user", "content": "Observation:\n" + "y" * 500})
        before = encoded
        prompt, _ = condenser.prompt(window=8000, tokens_per_byte=0.25)
        per_turn.append(encoded - before)
        assert prompt.size * 0.25 <= 8000 * 0.75
    # Each message is encoded once when it arrives, and again only when it is condensed: the
    # work per turn does not grow with the conversation.
    assert min(per_turn) == 2 and sum(per_turn) <= 3 * len(messages)
    assert sum(per_turn[-100:]) <= sum(per_turn[100:200]) * 1.2


def test_an_observation_summary_says_what_happened() -> None:
    text = "Observation:\nTraceback (most recent call last):\n  File x\nZeroDivisionError: boom"
    summary = observation_summary(text)
    assert summary.startswith(f"{CONDENSED_OBSERVATION}: error, ")
    assert '"Traceback (most recent call last):"' in summary
    assert '"ZeroDivisionError: boom"' in summary
    timeout = observation_summary(
        "Observation:\n(no output)\nThe cell did not finish within 5 seconds and was interrupted."
    )
    assert ": timeout" in timeout
    assert "no output" in observation_summary("Observation:\n(the cell ran and printed nothing)")
