"""One escalation per action: a deadline and a stop interrupt it the same way, with one grace.

The kernel is real; its backend only notes when it is interrupted and restarted.
"""

from __future__ import annotations

import asyncio

import pytest

from jupyter_codeact.core import Agent, AgentOptions, AnyEvent, Done, Observation
from jupyter_codeact.core.llm import OpenAIChat
from jupyter_codeact.core.stopping import Deadline, Escalation, Stopping
from jupyter_codeact.executors.kernel import KernelExecutor, LocalKernel
from jupyter_codeact.testing import ScriptedLLM

pytestmark = pytest.mark.asyncio

# A cell whose handler swallows every interrupt (it prints instead of raising).
SWALLOWS_INTERRUPTS = """
import signal, time
signal.signal(signal.SIGINT, lambda *args: print('swallowed', flush=True))
print('working', flush=True)
while True:
    time.sleep(0.05)
"""


class NotingKernel(LocalKernel):
    """A local kernel that notes when it is interrupted and restarted (loop time)."""

    def __init__(self) -> None:
        super().__init__()
        self.interrupts: list[float] = []
        self.restarts: list[float] = []
        self.interrupted_twice = asyncio.Event()

    async def interrupt(self) -> None:
        self.interrupts.append(asyncio.get_running_loop().time())
        if len(self.interrupts) == 2:
            self.interrupted_twice.set()
        await super().interrupt()

    async def restart(self) -> bool:
        self.restarts.append(asyncio.get_running_loop().time())
        return await super().restart()


async def test_a_stop_during_a_deadlines_escalation_waits_out_the_same_grace(
    llm: OpenAIChat, llm_server: ScriptedLLM
) -> None:
    grace = 6.0
    llm_server.push(f"<execute>{SWALLOWS_INTERRUPTS}</execute>")
    backend = NotingKernel()
    # The executor's own grace is far longer: run by the agent, the action is interrupted
    # in the agent's escalation, with the agent's grace, whatever began it.
    async with KernelExecutor(backend, interrupt_grace=120) as kernel:
        options = AgentOptions(cell_timeout=1, interrupt_grace=grace)
        agent = Agent(llm, kernel, options)
        events: list[AnyEvent] = []

        async def consume() -> None:
            async for event in agent.run("task"):
                events.append(event)

        task = asyncio.ensure_future(consume())
        # The deadline's escalation is under way (both its interrupts are sent) when the
        # user presses Stop.
        await asyncio.wait_for(backend.interrupted_twice.wait(), timeout=60)
        agent.stop()
        await asyncio.wait_for(task, timeout=60)
        first = backend.interrupts[0]
        # One escalation: its two interrupts, none more for the stop, and the kernel that
        # ignored them restarted once the one grace ran out, not a second grace later.
        assert len(backend.interrupts) == 2
        assert len(backend.restarts) == 1
        assert grace <= backend.restarts[0] - first < grace * 1.25
        observation = next(e for e in events if isinstance(e, Observation))
        assert observation.status == "timeout"
        assert observation.text.count("swallowed") == 2
        assert "did not respond to the interrupt" in observation.text
        assert "restarted" in observation.text
        done = events[-1]
        assert isinstance(done, Done) and done.reason == "cancelled"
        assert (await kernel.execute("1", timeout=30)).status == "ok"


async def test_a_deadline_during_a_stops_escalation_joins_it() -> None:
    """The stop began it: the deadline neither restarts its clock nor makes it a timeout."""
    loop = asyncio.get_running_loop()
    interrupts: list[float] = []
    grace = 1.0

    async def interrupt() -> None:
        interrupts.append(loop.time())

    seen: list[Escalation] = []

    async def executor_side() -> str:
        escalation = Escalation.current()
        assert escalation is not None  # the agent's, carried to the executor
        seen.append(escalation)
        never = loop.create_future()
        with Deadline(escalation, grace / 4) as deadline:
            await never  # cancelled by the agent's give-up, not by the deadline
        return "given up" if deadline.gave_up else "ended"

    stopping = Stopping()
    stopping.begin()
    loop.call_soon(stopping.stop)
    started = loop.time()
    outcome = await stopping.interruptible(
        executor_side(), interrupt, grace=grace, gave_up=lambda: "gave up"
    )
    assert outcome == "gave up"
    assert seen[0].cause == "stop" and seen[0].expired
    assert len(interrupts) == 2
    assert grace <= loop.time() - started < grace * 2
