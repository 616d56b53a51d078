"""Run tasks in each mode: concurrently, each task on a kernel of its own while it runs."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..core import view as views
from ..core.agent import Agent, AgentOptions
from ..core.events import AnyEvent
from ..core.llm import LLM
from ..core.prompts import system_prompt_with
from ..transcript import Transcript
from .checker import check
from .modes import Mode
from .suite import Suite, Task
from .workspace import KernelPool

# Errors that every other task would hit as well: stop the run instead of failing them all.
FATAL_ERRORS = {"auth", "not_found", "unreachable", "config"}


class EvalAborted(Exception):
    """The endpoint cannot be used at all; the message says why."""


@dataclass
class TaskResult:
    """How one task went in one mode."""

    task_id: str
    domain: str
    mode: str
    solved: bool = False
    turns: int = 0
    """Model replies used (malformed ones included)."""
    reason: str = ""
    """Why the run ended (``answered``, ``max_turns``, ``token_budget``, ``error``)."""
    answer: str | None = None
    expected: Any = None
    invalid_actions: int = 0
    """Replies with neither a usable action nor an answer (a malformed call, say)."""
    action_errors: int = 0
    """Actions that ran and failed (a traceback, a timeout)."""
    prompt_tokens: int = 0
    completion_tokens: int = 0
    wall_time_s: float = 0.0
    error: str = ""
    """What went wrong, when the run ended on an error (the endpoint's, or the kernel's)."""
    error_kind: str = ""

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"total_tokens": self.total_tokens}


@dataclass(frozen=True)
class RunOptions:
    agent: AgentOptions
    """The base options of every agent (max_turns, cell_timeout, token_budget...)."""
    concurrency: int = 1
    transcripts: Path | None = None
    """Write each run as a notebook under this folder (``MODE/DOMAIN--ID.ipynb``)."""
    model: str = ""
    tools_prompt: str = ""
    """The configured tools (``--with-tools``), listed to the code mode only: the JSON and
    text modes call the suite's tools."""


@dataclass
class EvalRun:
    results: list[TaskResult] = field(default_factory=list)
    mode_wall_time_s: dict[str, float] = field(default_factory=dict)
    wall_time_s: float = 0.0


async def evaluate(
    suite: Suite,
    tasks: Sequence[Task],
    modes: Sequence[Mode],
    *,
    llm: LLM,
    pool: KernelPool,
    options: RunOptions,
    run: EvalRun | None = None,
    on_result: Callable[[TaskResult], None] | None = None,
) -> EvalRun:
    """Every task in every mode, one mode after the other (so that each mode's wall time is
    its own); raise :class:`EvalAborted` if the endpoint cannot be used, ExecutorError if
    the kernels cannot.

    Results go into ``run`` as tasks finish, so a caller that is interrupted keeps them.
    """
    run = run if run is not None else EvalRun()
    began = time.perf_counter()
    try:
        await pool.start()  # inside the try: if one kernel fails, close the others
        for mode in modes:
            mode_began = time.perf_counter()
            try:
                jobs = [(task, mode) for task in tasks]
                await _run_jobs(suite, jobs, llm, pool, options, run, on_result)
            finally:
                run.mode_wall_time_s[mode.name] = time.perf_counter() - mode_began
    finally:
        run.wall_time_s = time.perf_counter() - began
        await pool.close()
    order = [(mode.name, task.full_id) for mode in modes for task in tasks]
    run.results.sort(key=lambda result: order.index((result.mode, result.task_id)))
    return run


async def _run_jobs(
    suite: Suite,
    jobs: list[tuple[Task, Mode]],
    llm: LLM,
    pool: KernelPool,
    options: RunOptions,
    run: EvalRun,
    on_result: Callable[[TaskResult], None] | None,
) -> None:
    queue = iter(jobs)  # shared by the workers: each takes the next job

    async def worker() -> None:
        for task, mode in queue:
            result = await run_task(suite, task, mode, llm=llm, pool=pool, options=options)
            run.results.append(result)
            if on_result is not None:
                on_result(result)

    workers = [asyncio.ensure_future(worker()) for _ in range(max(1, options.concurrency))]
    try:
        done, _ = await asyncio.wait(workers, return_when=asyncio.FIRST_EXCEPTION)
        for finished in done:
            finished.result()  # re-raise EvalAborted (or a bug) at once
    finally:
        for running in workers:
            running.cancel()
        await asyncio.gather(*workers, return_exceptions=True)


async def run_task(
    suite: Suite, task: Task, mode: Mode, *, llm: LLM, pool: KernelPool, options: RunOptions
) -> TaskResult:
    domain = suite.domains[task.domain]
    result = TaskResult(task.full_id, task.domain, mode.name, expected=task.answer)
    transcript = (
        Transcript(
            task.statement, model=options.model, redactor=options.agent.redactor, kind="eval"
        )
        if options.transcripts
        else None
    )
    began = time.perf_counter()
    # An ExecutorError here means that even a new kernel cannot hold the tools: every task
    # would fail the same way, so it ends the run (the agent reports its own as events).
    async with pool.kernel(domain) as executor:
        prompt = mode.system_prompt(domain, max_turns=options.agent.max_turns)
        if options.tools_prompt and mode.name == "code":
            prompt = system_prompt_with(prompt, tools=options.tools_prompt)
        agent_options = dataclasses.replace(
            options.agent,
            system_prompt=prompt,
            action_format=mode.action_format(domain),
            require_solution=True,
        )
        tally = _Tally(result)
        agent = Agent(llm, executor, agent_options)
        async for event in agent.run(task.statement):
            tally.add(event)
            if transcript is not None:
                transcript.add(event)
        if transcript is not None:
            transcript.set_conversation(agent.conversation.to_json(), agent.offered_tools)
    result.wall_time_s = time.perf_counter() - began
    if result.answer is not None:
        result.solved = check(task.checker, result.answer, task.answer, task.tolerance)
    if transcript is not None and options.transcripts is not None:
        name = f"{task.domain}--{task.id}.ipynb".replace("/", "_")
        transcript.write(options.transcripts / mode.name / name)
    if result.error_kind in FATAL_ERRORS:
        raise EvalAborted(result.error)
    return result


class _Tally:
    """Fills a :class:`TaskResult` from a run's events."""

    def __init__(self, result: TaskResult) -> None:
        self.result = result
        self._reply_pending = False

    def add(self, event: AnyEvent) -> None:
        result = self.result
        view = views.view_of(event)
        if isinstance(view, views.Reply | views.Ended) and self._reply_pending:
            result.invalid_actions += 1  # the previous reply had no action and no answer
        match view:
            case views.Reply():
                self._reply_pending = True
            case views.Code():
                self._reply_pending = False
            case views.Answered(text=text):
                self._reply_pending = False
                result.answer = text
            case views.Result(observation=observation) if observation.status != "ok":
                result.action_errors += 1
            case views.Tokens(prompt=prompt, completion=completion):
                result.prompt_tokens += prompt
                result.completion_tokens += completion
            case views.Problem(kind=kind, message=message):
                result.error_kind, result.error = kind, message
            case views.Ended(turns=turns, reason=reason):
                result.turns, result.reason = turns, reason
