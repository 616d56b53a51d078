"""The prompt's size per turn over a long scripted chat: it grows, then stays under the
window (older steps condensed), in each action style.

A ``--turns`` chat (default 300) against the scripted server reporting a ``--window``
(default 32,768 tokens) in ``/v1/models``; each action prints ``--output`` characters
(default 1,500). The server counts a prompt's tokens as its JSON characters over four and
refuses a longer one than its window, as a real server would.

    python benchmarks/prompt_size.py [--turns 300] [--window 32768]
"""

from __future__ import annotations

import argparse
import asyncio
from typing import Any

from jupyter_codeact.core import Agent, AgentOptions, Condensed, LLMSettings, OpenAIChat
from jupyter_codeact.core.prompts import CODE_TOOL
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.testing import RecordedRequest, Reply, ScriptedLLM
from jupyter_codeact.testing.scripted_llm import prompt_tokens

MODEL = "scripted-model"


def model(turns: int, output: int, style: str) -> Any:
    replies = 0

    def respond(request: RecordedRequest) -> Reply:
        nonlocal replies
        step, replies = replies, replies + 1
        if step == turns - 1:
            return Reply(content="done" if style == "tools" else "<solution>done</solution>")
        code = f"print('step {step}: ' + 'x' * {output})"
        if style == "tools":
            return Reply(
                content="Next.", tool_calls=[{"name": CODE_TOOL, "arguments": {"code": code}}]
            )
        return Reply(content=f"Next.\n<execute>\n{code}\n</execute>")

    return respond


async def chat(turns: int, window: int, output: int, style: str) -> tuple[list[int], int, bool]:
    with ScriptedLLM(model(turns, output, style), models=(MODEL,), context_window=window) as server:
        llm = OpenAIChat(LLMSettings(model=MODEL, api_key="k", base_url=server.url))
        async with KernelExecutor() as executor:
            options = AgentOptions(max_turns=turns, token_budget=None, action_style=style)  # type: ignore[arg-type]
            rounds, answered = 0, False
            async for event in Agent(llm, executor, options).run("Print the steps."):
                rounds += isinstance(event, Condensed)
                answered = answered or (event.type == "done" and event.reason == "answered")  # type: ignore[attr-defined]
        await llm.close()
        return [prompt_tokens(r.body) for r in server.requests], rounds, answered


async def main(turns: int, window: int, output: int) -> None:
    print(f"{turns}-turn chat, window {window:,} tokens, {output:,} characters of output a step")
    for style in ("tags", "tools"):
        sizes, rounds, answered = await chat(turns, window, output, style)
        marks = sorted({1, 10, 25, 50, 100, 150, 200, 250, turns} & set(range(1, len(sizes) + 1)))
        shown = ", ".join(f"{turn}: {sizes[turn - 1]:,}" for turn in marks)
        print(f"  {style}: prompt tokens at turn {shown}")
        print(
            f"  {style}: largest {max(sizes):,} = {max(sizes) / window:.0%} of the window, "
            f"{rounds} condensing rounds, {'answered' if answered else 'NOT answered'}, "
            f"{len(sizes)} requests"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=300)
    parser.add_argument("--window", type=int, default=32_768)
    parser.add_argument("--output", type=int, default=1_500)
    args = parser.parse_args()
    asyncio.run(main(args.turns, args.window, args.output))
