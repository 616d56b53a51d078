"""What the tools cost, as ratios measured in one run against a real MCP server (stdio).

- per action: an action with the tools configured (their setup evaluated silently first,
  the stdin channel served) against the same action without them;
- per call: a tool called from the kernel's code (a stdin round trip to the host, then the
  MCP call) against the same call made by the host's MCP client directly.

    python benchmarks/tools_overhead.py [--rounds 5] [--calls 50]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.tools import KernelToolHost, Toolset, ToolSettings

SERVER = Path(__file__).resolve().parent.parent / "tests" / "mcp" / "pricing_server.py"


async def _per(count: int, step: object) -> float:
    """Milliseconds per step, over ``count`` steps."""
    began = time.perf_counter()
    for _ in range(count):
        await step()  # type: ignore[operator]
    return (time.perf_counter() - began) * 1000 / count


async def main(rounds: int, calls: int) -> None:
    server = {"command": sys.executable, "args": [str(SERVER)], "env": {"PRICING_TOKEN": "x" * 8}}
    toolset = Toolset(ToolSettings(servers={"pricing": server}))
    await toolset.start()
    host = KernelToolHost(toolset)
    plain, tools, direct, kernel_calls = [], [], [], []
    async with KernelExecutor() as executor:
        await executor.execute("pass", timeout=30)
        executor.stdin = host
        await executor.execute("pricing.list_skus()", timeout=30)  # warm up both sides
        for _ in range(rounds):
            executor.stdin = None
            plain.append(await _per(20, lambda: executor.execute("x = 1", timeout=30)))
            executor.stdin = host
            tools.append(await _per(20, lambda: executor.execute("x = 1", timeout=30)))
            direct.append(await _per(calls, lambda: toolset.call("pricing", "list-skus", {})))
            code = f"for _ in range({calls}):\n    pricing.list_skus()"
            began = time.perf_counter()
            await executor.execute(code, timeout=60)
            kernel_calls.append((time.perf_counter() - began) * 1000 / calls)
    await toolset.close()
    a, b = statistics.median(plain), statistics.median(tools)
    c, d = statistics.median(direct), statistics.median(kernel_calls)
    print(f"action without tools {a:.2f} ms, with tools {b:.2f} ms: {b / a:.2f}x")
    print(f"tool call: host's client {c:.2f} ms, from the kernel's code {d:.2f} ms: {d / c:.2f}x")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--calls", type=int, default=50)
    options = parser.parse_args()
    asyncio.run(main(options.rounds, options.calls))
