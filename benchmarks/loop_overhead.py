"""The agent loop's cost per turn as the chat grows, and the request path's own overhead.

All figures are ratios (or differences) measured in one run, against the scripted server
running in a process of its own (so that its JSON work does not share our interpreter):

1. A ``--turns`` episode (default 200) in the tags style, then in the tools style: the
   time of each turn (one streamed reply and one kernel execution), the median of the
   last 20 turns against the first 20. Target: at most 1.2x.
2. The request path at 400 messages (a 200-turn chat): one streamed request through the
   agent's client (``OpenAIChat``: the messages' encodings joined, sent through the
   ``openai`` client's own request, retry and streaming machinery) against the same bytes
   as a raw ``httpx`` request, and against ``chat.completions.create`` (the client's
   per-message transform, the old path). Target: at most 2 ms over raw HTTP.
3. The floor of a short episode (``--floor-turns``, default 20): the agent against the same
   requests sent as raw ``httpx`` streams plus one raw ``jupyter_client`` execute per turn.
   Target: at most 1.25x.

    python benchmarks/loop_overhead.py [--turns 200] [--rounds 30]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import queue
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import openai
from jupyter_client.manager import AsyncKernelManager

from jupyter_codeact.core import Agent, AgentOptions, LLMSettings, OpenAIChat
from jupyter_codeact.core.events import Observation
from jupyter_codeact.core.prompts import CODE_TOOL
from jupyter_codeact.core.request import Prompt
from jupyter_codeact.executors.kernel import KernelExecutor

MODEL = "scripted-model"
# A realistic reply: some prose, then an action; streamed a few characters (a token) a chunk.
PROSE = "Let me look at the data and compute the next value of the series. "


def code(i: int) -> str:
    return f"x{i} = {i} * 2\nprint(x{i})"


def script(turns: int, style: str) -> list[dict[str, Any]]:
    replies: list[dict[str, Any]] = []
    for i in range(turns - 1):
        if style == "tools":
            call = {"name": CODE_TOOL, "arguments": {"code": code(i)}}
            replies.append({"content": PROSE, "tool_calls": [call], "chunk_size": 4})
        else:
            replies.append(
                {"content": f"{PROSE}\n<execute>\n{code(i)}\n</execute>", "chunk_size": 4}
            )
    final = PROSE + ("done" if style == "tools" else "<solution>done</solution>")
    replies.append({"content": final, "chunk_size": 4})
    return replies


class Server:
    """The scripted server in a subprocess, driven through its control endpoint."""

    def __init__(self) -> None:
        self._dir = tempfile.TemporaryDirectory(prefix="codeact-bench-")
        port_file = Path(self._dir.name) / "port"
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "jupyter_codeact.testing.scripted_llm",
                "--port",
                "0",
                "--port-file",
                str(port_file),
                "--model",
                MODEL,
            ],
            stdout=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        self.process.stdout.readline()  # "scripted LLM serving at ...": it is listening
        self.root = f"http://127.0.0.1:{port_file.read_text()}"
        self.url = f"{self.root}/v1"

    def script(self, replies: list[dict[str, Any]]) -> None:
        httpx.post(f"{self.root}/_control/reset", json={}).raise_for_status()
        httpx.post(f"{self.root}/_control/script", json={"replies": replies}).raise_for_status()

    def requests(self) -> list[dict[str, Any]]:
        return list(httpx.get(f"{self.root}/_control/requests").json())

    def close(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        self._dir.cleanup()


async def episode(server: Server, executor: KernelExecutor, turns: int, style: str) -> list[float]:
    """One run of ``turns`` turns; the time each turn took (reply and execution)."""
    server.script(script(turns, style))
    llm = OpenAIChat(LLMSettings(model=MODEL, api_key="k", base_url=server.url))
    options = AgentOptions(max_turns=turns, token_budget=None, action_style=style)  # type: ignore[arg-type]
    agent = Agent(llm, executor, options)
    marks = [time.perf_counter()]
    async for event in agent.run("Compute the series."):
        if isinstance(event, Observation):
            marks.append(time.perf_counter())
        if event.type == "done":
            assert event.reason == "answered", event  # type: ignore[attr-defined]
    await llm.close()
    return [b - a for a, b in itertools.pairwise(marks)]


def history(turns: int) -> list[dict[str, Any]]:
    """The messages of a ``turns``-turn tags chat, as the agent keeps them."""
    messages: list[dict[str, Any]] = [
        {"role": "system", "content": "You act by writing code."},
        {"role": "user", "content": "Compute the series."},
    ]
    for i in range(turns):
        messages.append(
            {"role": "assistant", "content": f"{PROSE}\n<execute>\n{code(i)}\n</execute>"}
        )
        messages.append({"role": "user", "content": f"Observation:\n{i * 2}"})
    return messages


async def request_path(server: Server, rounds: int, size: int) -> dict[str, float]:
    """Median milliseconds of one streamed request of ``size`` messages, three ways."""
    messages = history(size // 2)[:size]
    prompt = Prompt.of(messages)
    llm = OpenAIChat(LLMSettings(model=MODEL, api_key="k", base_url=server.url, temperature=None))
    fields = {"model": MODEL, "stream": True, "stream_options": {"include_usage": True}}
    body = prompt.body(fields)
    raw = httpx.AsyncClient(base_url=server.url, headers={"Authorization": "Bearer k"})
    plain = openai.AsyncOpenAI(api_key="k", base_url=server.url)
    times: dict[str, list[float]] = {"agent": [], "raw": [], "create": []}
    server.script([{"content": "ok", "chunk_size": 0}] * (3 * rounds + 3))

    async def agent_request() -> None:
        async for _ in llm.stream(prompt):
            pass

    async def raw_request() -> None:
        headers = {"Content-Type": "application/json"}
        async with raw.stream("POST", "/chat/completions", content=body, headers=headers) as r:
            async for _ in r.aiter_bytes():
                pass

    async def create_request() -> None:
        stream = await plain.chat.completions.create(
            model=MODEL, messages=messages, stream=True, stream_options={"include_usage": True}
        )
        async for _ in stream:
            pass

    ways = {"agent": agent_request, "raw": raw_request, "create": create_request}
    for way in ways.values():  # warm up connections and code paths
        await way()
    for _ in range(rounds):
        for name, way in ways.items():
            began = time.perf_counter()
            await way()
            times[name].append((time.perf_counter() - began) * 1000)
    await llm.close()
    await raw.aclose()
    await plain.close()
    return {name: statistics.median(values) for name, values in times.items()}


async def floor(server: Server, executor: KernelExecutor, turns: int, rounds: int) -> float:
    """The agent's time per turn over a short episode, against raw parts replaying it."""
    ipc = tempfile.TemporaryDirectory(prefix="codeact-bench-")
    manager = AsyncKernelManager(
        kernel_name="python3", transport="ipc", ip=str(Path(ipc.name) / "kernel")
    )
    await manager.start_kernel()
    kernel = manager.client()
    kernel.start_channels()
    await kernel.wait_for_ready(timeout=60)
    raw = httpx.AsyncClient(base_url=server.url, headers={"Authorization": "Bearer k"})
    headers = {"Content-Type": "application/json"}
    agent_times, floor_times = [], []
    for _ in range(rounds + 1):  # the first round warms up
        agent_times.append(sum(await episode(server, executor, turns, "tags")))
        bodies = [json.dumps(r["body"]).encode() for r in server.requests()]
        server.script(script(turns, "tags"))
        began = time.perf_counter()
        for index, body in enumerate(bodies):
            async with raw.stream("POST", "/chat/completions", content=body, headers=headers) as r:
                async for _ in r.aiter_bytes():
                    pass
            if index < turns - 1:
                msg_id = kernel.execute(code(index))
                while True:
                    try:
                        msg = await kernel.get_iopub_msg(timeout=10)
                    except queue.Empty as error:
                        raise RuntimeError("the kernel did not answer") from error
                    if (
                        msg["parent_header"].get("msg_id") == msg_id
                        and msg["msg_type"] == "status"
                        and msg["content"]["execution_state"] == "idle"
                    ):
                        break
        floor_times.append(time.perf_counter() - began)
    await raw.aclose()
    kernel.stop_channels()
    await manager.shutdown_kernel(now=True)
    ipc.cleanup()
    return statistics.median(agent_times[1:]) / statistics.median(floor_times[1:])


def growth(times: list[float]) -> tuple[float, float, float]:
    """Medians (a turn that waited for another process does not move them)."""
    first, last = statistics.median(times[:20]), statistics.median(times[-20:])
    return first * 1000, last * 1000, last / first


async def main(turns: int, rounds: int, floor_turns: int) -> None:
    server = Server()
    try:
        async with KernelExecutor() as executor:
            await episode(server, executor, 10, "tags")  # warm up
            styles = {
                style: await episode(server, executor, turns, style) for style in ("tags", "tools")
            }
            path_400 = await request_path(server, rounds, 400)
            path_2 = await request_path(server, rounds, 2)
            ratio = await floor(server, executor, floor_turns, 3)
    finally:
        server.close()
    print(f"episode: {turns} turns ({turns - 1} actions) per style, server in its own process")
    for style, times in styles.items():
        first, last, grown = growth(times)
        print(
            f"  {style:5} per turn: first 20 {first:.2f} ms, last 20 {last:.2f} ms, "
            f"growth {grown:.2f}x (target <= 1.2x)"
        )
    tags, tools = (statistics.mean(styles[s]) * 1000 for s in ("tags", "tools"))
    print(
        f"  tools against tags, mean per turn: {tools:.2f} ms / {tags:.2f} ms = {tools / tags:.2f}x"
    )
    print("request path, median of one streamed request (a one-chunk reply):")
    for size, path in ((2, path_2), (400, path_400)):
        print(
            f"  {size:3} messages: agent {path['agent']:.2f} ms, raw HTTP {path['raw']:.2f} ms "
            f"(overhead {path['agent'] - path['raw']:.2f} ms, target <= 2 ms at 400); "
            f"chat.completions.create {path['create']:.2f} ms"
        )
    print(
        f"floor ({floor_turns}-turn episode): agent / (raw request + raw execute) = "
        f"{ratio:.2f}x (target <= 1.25x)"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--turns", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=30, help="requests per way, for medians")
    parser.add_argument("--floor-turns", type=int, default=20)
    args = parser.parse_args()
    asyncio.run(main(args.turns, args.rounds, args.floor_turns))
