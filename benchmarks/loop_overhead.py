"""The agent loop's own overhead per turn, as a ratio to the floor measured in the same run.

The floor of one turn is what no agent can avoid: one streamed chat completion (the same
request the agent sent, replayed through ``openai.AsyncOpenAI``) plus one raw
``jupyter_client`` execute of the same code. The agent runs a 20-turn episode against the
scripted server at zero latency; the floor replays it. Rounds alternate, and the medians
are compared. Target: at most 1.25x.

    python benchmarks/loop_overhead.py [--rounds 5] [--turns 20]
"""

from __future__ import annotations

import argparse
import asyncio
import queue
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import openai
from jupyter_client.manager import AsyncKernelManager

from jupyter_codeact.core import Agent, AgentOptions, LLMSettings, OpenAIChat
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.testing import Reply, ScriptedLLM

MODEL = "scripted-model"
# A realistic reply: some prose, then an action; streamed a few characters (a token) a chunk.
PROSE = "Let me look at the data and compute the next value of the series. "


def script(turns: int) -> list[Reply]:
    replies = [
        Reply(content=f"{PROSE}\n<execute>\nx{i} = {i} * 2\nprint(x{i})\n</execute>", chunk_size=4)
        for i in range(turns - 1)
    ]
    replies.append(Reply(content=f"{PROSE}<solution>done</solution>", chunk_size=4))
    return replies


async def agent_episode(server: ScriptedLLM, executor: KernelExecutor, turns: int) -> float:
    server.set_script(script(turns))
    start = len(server.requests)
    llm = OpenAIChat(LLMSettings(model=MODEL, api_key="k", base_url=server.url))
    agent = Agent(llm, executor, AgentOptions(max_turns=turns, token_budget=None))
    began = time.perf_counter()
    async for event in agent.run("Compute the series."):
        if event.type == "done":
            assert event.reason == "answered", event  # type: ignore[attr-defined]
    elapsed = time.perf_counter() - began
    await llm.close()
    assert len(server.requests) - start == turns
    return elapsed


async def floor_episode(
    server: ScriptedLLM, client: Any, kernel: Any, requests: list[dict[str, Any]], turns: int
) -> float:
    """Replay the agent's requests raw, and raw-execute the same code."""
    server.set_script(script(turns))
    codes = [f"x{i} = {i} * 2\nprint(x{i})" for i in range(turns - 1)]
    began = time.perf_counter()
    for index, body in enumerate(requests):
        stream = await client.chat.completions.create(
            model=MODEL,
            messages=body["messages"],
            stream=True,
            stream_options={"include_usage": True},
            temperature=0.0,
        )
        async for _chunk in stream:
            pass
        if index < len(codes):
            msg_id = kernel.execute(codes[index])
            while True:
                try:
                    msg = await kernel.get_iopub_msg(timeout=10)
                except queue.Empty as error:
                    raise RuntimeError("kernel did not answer") from error
                if (
                    msg["parent_header"].get("msg_id") == msg_id
                    and msg["msg_type"] == "status"
                    and msg["content"]["execution_state"] == "idle"
                ):
                    break
    return time.perf_counter() - began


async def main(rounds: int, turns: int) -> None:
    with ScriptedLLM(models=(MODEL,)) as server:
        ipc = tempfile.TemporaryDirectory(prefix="codeact-bench-")
        # The same transport as the agent's kernel executor (IPC), for a like-for-like floor.
        manager = AsyncKernelManager(
            kernel_name="python3", transport="ipc", ip=str(Path(ipc.name) / "kernel")
        )
        await manager.start_kernel()
        raw_kernel = manager.client()
        raw_kernel.start_channels()
        await raw_kernel.wait_for_ready(timeout=60)
        raw_llm = openai.AsyncOpenAI(api_key="k", base_url=server.url)
        async with KernelExecutor() as executor:
            # Warm up both paths once (imports, connections, kernel caches).
            await agent_episode(server, executor, turns)
            requests = [r.body for r in server.requests[-turns:]]
            await floor_episode(server, raw_llm, raw_kernel, requests, turns)
            agent_times, floor_times = [], []
            for _ in range(rounds):
                agent_times.append(await agent_episode(server, executor, turns))
                requests = [r.body for r in server.requests[-turns:]]
                floor_times.append(
                    await floor_episode(server, raw_llm, raw_kernel, requests, turns)
                )
        await raw_llm.close()
        raw_kernel.stop_channels()
        await manager.shutdown_kernel(now=True)
        ipc.cleanup()
    agent = statistics.median(agent_times) / turns * 1000
    floor = statistics.median(floor_times) / turns * 1000
    print(f"turns per episode:      {turns} ({turns - 1} actions), {rounds} rounds")
    print(f"floor per turn:         {floor:.2f} ms (raw streamed request + raw execute)")
    print(f"agent loop per turn:    {agent:.2f} ms")
    print(f"overhead per turn:      {agent - floor:.2f} ms")
    print(f"ratio to the floor:     {agent / floor:.2f}x (target <= 1.25x)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--turns", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.rounds, args.turns))
