"""The harness itself, on real kernels and the real openai client: an oracle scores 100% in
every mode, a model that answers wrong 0%, and malformed actions are failed turns."""

from __future__ import annotations

import asyncio
import json
import os
import re
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from jupyter_codeact.core import AgentOptions, ExecutorError, LLMSettings, OpenAIChat
from jupyter_codeact.core.prompts import NO_ACTION_NUDGE
from jupyter_codeact.eval.modes import MODES
from jupyter_codeact.eval.oracle import Oracle
from jupyter_codeact.eval.report import summarise
from jupyter_codeact.eval.runner import EvalAborted, EvalRun, RunOptions, evaluate
from jupyter_codeact.eval.suite import Suite, Task, load_suite
from jupyter_codeact.eval.workspace import KernelPool
from jupyter_codeact.executors.kernel import LocalKernel
from jupyter_codeact.testing import RecordedRequest, Reply, ScriptedLLM
from jupyter_codeact.testing.scripted_llm import Responder

pytestmark = pytest.mark.asyncio


@pytest.fixture
def no_task_folder_left(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """Each task runs in a folder of its own in the kernel; none may outlive the run.

    The kernels get a temporary folder of this test's own, so that other runs on the
    machine (an eval, another checkout's tests) cannot leave folders in what is counted.
    """
    private = tmp_path_factory.mktemp("kernel-tmp")
    monkeypatch.setenv("TMPDIR", str(private))
    monkeypatch.setattr(tempfile, "tempdir", None)  # recomputed from TMPDIR
    yield
    assert [name for name in os.listdir(private) if name.startswith("codeact-eval-")] == []


async def run_suite(
    suite: Suite,
    tasks: Sequence[Task],
    responder: Responder,
    *,
    modes: Sequence[str] = tuple(MODES),
    max_turns: int = 10,
    concurrency: int = 2,
    fresh_kernels: bool = False,
    transcripts: Path | None = None,
) -> tuple[EvalRun, ScriptedLLM]:
    with ScriptedLLM(responder) as server:
        llm = OpenAIChat(LLMSettings(model="scripted-model", api_key="k", base_url=server.url))
        try:
            run = await evaluate(
                suite,
                tasks,
                [MODES[name] for name in modes],
                llm=llm,
                pool=KernelPool(concurrency, LocalKernel, fresh_kernels=fresh_kernels),
                options=RunOptions(
                    agent=AgentOptions(max_turns=max_turns, cell_timeout=30),
                    concurrency=concurrency,
                    transcripts=transcripts,
                ),
            )
        finally:
            await llm.close()
    return run, server


def mode_of(request: RecordedRequest) -> str:
    system = request.messages[0]["content"]
    return next(name for name, mode in MODES.items() if mode.marker in system)


# The whole built-in suite in the four modes: about 18 s at concurrency 4 on 2 cores, well
# within the 120 s limit of pyproject.toml.
async def test_the_oracle_solves_every_task_of_the_suite_in_every_mode() -> None:
    suite = load_suite()
    tasks = suite.tasks
    assert len(tasks) >= 40 and len(suite.domains) >= 5
    run, _ = await run_suite(suite, tasks, Oracle(suite), concurrency=4)

    assert [(r.mode, r.task_id) for r in run.results] == [
        (mode, task.full_id) for mode in MODES for task in tasks
    ]
    calls = {task.full_id: len(task.calls) for task in tasks}
    for result in run.results:
        assert result.solved, result
        assert (result.invalid_actions, result.action_errors, result.error) == (0, 0, "")
        # Code makes every call in one action; JSON, text and tools take a turn per call.
        expected_turns = 2 if result.mode == "code" else calls[result.task_id] + 1
        assert result.turns == expected_turns, result
        assert result.prompt_tokens > 0 and result.completion_tokens > 0
    summary = summarise(run, {})
    assert {m: s["success_rate"] for m, s in summary["modes"].items()} == {
        "code": 1.0,
        "json": 1.0,
        "text": 1.0,
        "tools": 1.0,
    }
    assert summary["modes"]["code"]["avg_turns"] == 2.0
    assert summary["modes"]["json"]["avg_turns"] == sum(calls.values()) / len(calls) + 1
    assert set(summary["modes"]["text"]["domains"]) == set(suite.domains)


@pytest.mark.usefixtures("no_task_folder_left")
async def test_a_model_that_answers_wrong_scores_zero(tmp_path: Path) -> None:
    suite = load_suite()
    tasks = suite.select("finance/above-100,travel/earliest-arrival,dna/gc-s1")
    # Fresh kernels here, pooled ones elsewhere: both ways of getting a kernel are covered.
    run, _ = await run_suite(
        suite, tasks, Oracle(suite, wrong=True), fresh_kernels=True, transcripts=tmp_path
    )
    assert len(run.results) == 12
    assert all(r.reason == "answered" and r.answer and not r.solved for r in run.results)
    rates = {mode: s["success_rate"] for mode, s in summarise(run, {})["modes"].items()}
    assert rates == {"code": 0.0, "json": 0.0, "text": 0.0, "tools": 0.0}
    notebook = json.loads((tmp_path / "text" / "dna--gc-s1.ipynb").read_text())
    assert "".join(notebook["cells"][-1]["source"]).startswith("**Answer:**")


async def test_a_malformed_action_is_a_failed_turn_in_every_mode() -> None:
    suite = load_suite()
    tasks = suite.select("decoding/caesar-m1")
    run, server = await run_suite(suite, tasks, Oracle(suite, malformed_turns=1))
    # The oracle's turns, plus the malformed one.
    turns = {"code": 3, "json": 4, "text": 4, "tools": 4}
    assert [(r.mode, r.solved, r.turns, r.invalid_actions) for r in run.results] == [
        (mode, True, turns[mode], 1) for mode in MODES
    ]
    # The model was told what was wrong, in the words of its mode.
    told = {mode_of(r): r.messages[3]["content"] for r in server.requests if len(r.messages) == 4}
    assert told["code"] == NO_ACTION_NUDGE
    assert told["json"].startswith("Your action is not valid JSON (Expecting ',' delimiter")
    assert "square brackets" in told["text"]
    assert told["tools"].startswith("There is no tool named 'lookup'; the tools are: list_")


async def test_a_model_that_never_acts_properly_fails_without_crashing() -> None:
    suite = load_suite()
    tasks = suite.select("travel/cheapest-flight")
    run, _ = await run_suite(suite, tasks, Oracle(suite, malformed_turns=99), max_turns=3)
    assert [(r.solved, r.reason, r.turns, r.invalid_actions) for r in run.results] == [
        (False, "max_turns", 3, 3)
    ] * 4
    summary = summarise(run, {})
    assert summary["modes"]["code"]["avg_turns"] is None
    assert summary["modes"]["text"]["invalid_actions"] == 3


BAD_CALLS: dict[str, Reply | str] = {
    "code": "<execute>\nprint(get_price('XYZ', '2024-03-04'))\n</execute>",
    "json": '{"name": "get_price", "arguments": {"ticker": "XYZ", "date": "2024-03-04"}}',
    "text": "Action: get_price[XYZ, 2024-03-04]",
    "tools": Reply(
        tool_calls=[{"name": "get_price", "arguments": {"ticker": "XYZ", "date": "2024-03-04"}}]
    ),
}


async def test_a_failing_tool_is_observed_alike_in_every_mode() -> None:
    suite = load_suite()
    tasks = suite.select("finance/nova-gain")

    def responder(request: RecordedRequest) -> Reply | str:
        if len(request.messages) == 2:
            return BAD_CALLS[mode_of(request)]
        return "<solution>gave up</solution>"

    run, server = await run_suite(suite, tasks, responder, concurrency=1)
    assert [(r.turns, r.action_errors, r.solved) for r in run.results] == [(2, 1, False)] * 4
    observations = [r.messages[-1]["content"] for r in server.requests if len(r.messages) == 4]
    assert len(observations) == 4
    for observation in observations:
        assert "ValueError: Unknown ticker 'XYZ': use ACME, NOVA, ORBT or VELA." in observation
        assert "Traceback" in observation and "\x1b[" not in observation


TOOLS = '''"""A counter."""

_count = 0


def bump() -> int:
    """Add one to the counter and return it."""
    global _count
    _count += 1
    return _count
'''


async def test_a_pooled_kernel_starts_each_task_afresh(tmp_path: Path) -> None:
    (tmp_path / "counter").mkdir()
    (tmp_path / "counter" / "tools.py").write_text(TOOLS)
    tasks = [
        {"id": "first", "statement": "First.", "answer": "x", "calls": [["bump"]]},
        {"id": "second", "statement": "Second.", "answer": "x", "calls": [["bump"]]},
    ]
    (tmp_path / "counter" / "tasks.json").write_text(json.dumps(tasks))
    suite = load_suite(tmp_path)
    first_dir: list[str] = []

    def responder(request: RecordedRequest) -> str:
        if len(request.messages) == 4:  # echo the observation as the answer
            return f"<solution>{request.messages[3]['content']}</solution>"
        if request.messages[1]["content"] == "First.":
            code = "leftover = 1\nopen('note.txt', 'w').write('x')\nprint(bump(), os.getcwd())"
            return f"<execute>\nimport os\n{code}\n</execute>"
        checks = (
            "'leftover' in globals()",
            "os.path.exists('note.txt')",
            f"os.path.exists({first_dir[0]!r})",
            "any('leftover = 1' in cell for cell in In[:-1])",
            "bump()",
        )
        return f"<execute>\nimport os\nprint({', '.join(checks)})\n</execute>"

    def remember_dir(request: RecordedRequest) -> str:
        reply = responder(request)
        if request.messages[1]["content"] == "First." and len(request.messages) == 4:
            first_dir.append(re.split(r"\s", request.messages[3]["content"])[2])
        return reply

    run, _ = await run_suite(suite, suite.tasks, remember_dir, modes=["code"], concurrency=1)
    first, second = run.results
    assert first.answer is not None and first.answer.startswith("Observation:\n1 ")
    # No variable, file, input history or tool state of the first task is left.
    assert second.answer == "Observation:\nFalse False False False 1"


async def test_an_endpoint_that_refuses_the_key_stops_the_run() -> None:
    suite = load_suite()
    refusal = Reply(status=401, error_message="Incorrect API key provided.")
    with ScriptedLLM(lambda request: refusal) as server:
        llm = OpenAIChat(
            LLMSettings(model="scripted-model", api_key="wrong-key", base_url=server.url)
        )
        run = EvalRun()
        with pytest.raises(EvalAborted, match="API key"):
            await evaluate(
                suite,
                suite.select("dna/*"),
                [MODES["code"]],
                llm=llm,
                pool=KernelPool(1, LocalKernel),
                options=RunOptions(agent=AgentOptions()),
                run=run,
            )
        await llm.close()
    # It stopped at the first task instead of failing every one of them.
    assert len(server.requests) == 1
    assert run.results == []


@pytest.mark.usefixtures("no_task_folder_left")
async def test_tools_that_cannot_load_in_a_kernel_stop_the_run(tmp_path: Path) -> None:
    (tmp_path / "picky").mkdir()
    (tmp_path / "picky" / "tools.py").write_text(
        "try:\n    get_ipython()\nexcept NameError:\n    pass\nelse:\n"
        "    raise RuntimeError('not in a kernel')\n\n\ndef f() -> int:\n    return 1\n"
    )
    task = {"id": "one", "statement": "One.", "answer": 1, "calls": [["f"]]}
    (tmp_path / "picky" / "tasks.json").write_text(
        json.dumps([task, {**task, "id": "two", "statement": "Two."}])
    )
    suite = load_suite(tmp_path)  # the harness process loads it: no get_ipython here
    with pytest.raises(ExecutorError, match="The tools of picky could not be set up") as raised:
        await run_suite(suite, suite.tasks, Oracle(suite), modes=["code"], concurrency=1)
    assert "RuntimeError: not in a kernel" in str(raised.value)


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


async def test_a_kernel_that_cannot_start_leaves_none_of_the_others_running() -> None:
    suite = load_suite()
    pids: list[int] = []
    others_up = asyncio.Event()
    half_started: list[Path] = []

    class Kernel(LocalKernel):
        """A python3 kernel that notes its process once it has started."""

        async def start(self) -> None:
            await super().start()
            assert self.manager is not None
            pid = getattr(self.manager.provisioner, "pid", None)
            assert isinstance(pid, int)
            pids.append(pid)
            if len(pids) == 2:
                others_up.set()

    class Missing(LocalKernel):
        """A kernel that is not installed, tried once the two others have started."""

        async def start(self) -> None:
            await others_up.wait()
            try:
                await super().start()
            finally:
                if self._ipc_dir is not None:  # made before the kernel could not be found
                    half_started.append(Path(self._ipc_dir.name))

    backends = [Kernel(), Kernel(), Missing(kernel_name="no-such-kernel-codeact")]
    make = iter(backends)
    with ScriptedLLM(Oracle(suite)) as server:
        llm = OpenAIChat(LLMSettings(model="scripted-model", api_key="k", base_url=server.url))
        try:
            with pytest.raises(ExecutorError, match="no-such-kernel-codeact"):
                await evaluate(
                    suite,
                    suite.select("dna/gc-s1"),
                    [MODES["code"]],
                    llm=llm,
                    pool=KernelPool(3, lambda: next(make)),
                    options=RunOptions(agent=AgentOptions(), concurrency=3),
                )
            assert len(pids) == 2 and half_started
            assert [pid for pid in pids if process_exists(pid)] == []
            assert not any(folder.exists() for folder in half_started)
        finally:
            await llm.close()
            for backend in backends:  # when the test fails: leave nothing running
                await backend.shutdown()
    assert server.requests == []
