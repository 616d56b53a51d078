"""One agent per IPython shell: its thread, its conversation, one run at a time.

See :mod:`jupyter_codeact.executors.shell` for why the agent loop runs on a worker thread
while the main thread serves the actions and the display.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import signal
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeVar

from ..config import CodeAct, ConfigError
from ..core.agent import Agent
from ..core.events import AnyEvent, Done
from ..core.executor import ExecutorError
from ..core.llm import LLMError, LLMSettings, OpenAIChat
from ..core.options import RunOptions as AgentRun
from ..executors.main_thread import MainThreadQueue
from ..executors.shell import ShellExecutor, ShellRun
from ..namespace import summarize_namespace
from .approval import Approver
from .display import RunView, make_view
from .history import Answer, History, RunRecord
from .insert import inserted
from .tools import MagicTools

T = TypeVar("T")

STOPPED_EARLY = "Stopped by the user before the model was asked."

STILL_STOPPING = "The previous request is still stopping; run the cell again in a moment."


class RunError(Exception):
    """The agent cannot take this request; the message says why, in a sentence."""


EXPLAINED_ERRORS: tuple[type[Exception], ...] = (ConfigError, RunError, LLMError, ExecutorError)
"""Errors whose message is written for the user: shown as they are, without a traceback."""

NAMESPACE_HEADER = (
    "Your code runs in the user's own IPython kernel. These variables are in its namespace "
    "(newest last); what you define stays there for the user:"
)


class AgentThread:
    """A daemon thread running one event loop for the kernel's lifetime."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None

    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="codeact-agent", daemon=True)
            self._thread.start()
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call_soon(self, fn: Any) -> None:
        with contextlib.suppress(RuntimeError):  # the loop was closed
            self.loop.call_soon_threadsafe(fn)

    def close(self) -> None:
        if self._thread is not None:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=5)
            self._thread = None
        if not self.loop.is_running():
            self.loop.close()

    def _run(self) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_forever()


@dataclass(frozen=True)
class RunOptions:
    approve: bool = False
    """Ask before each action (``input()``)."""
    insert: bool = False
    """Put the code that ran into a new cell below (``set_next_input``)."""
    trust_project: bool = False
    """Trust the project's ``.jupyter/mcp.json`` and ``AGENTS.md`` as they are now."""


class ShellSession:
    """The agent of one shell. Its conversation continues across runs until :meth:`forget`."""

    def __init__(self, shell: Any) -> None:
        self.shell = shell
        self.thread = AgentThread()
        self.executor = ShellExecutor(shell, MainThreadQueue())
        self.history = History()
        self.tools = MagicTools(shell, self.thread)
        self.agent: Agent | None = None
        self._llm: OpenAIChat | None = None
        self._stop_requested = False
        self._busy = False

    @property
    def busy(self) -> bool:
        return self._busy

    def forget(self) -> None:
        """Start a new conversation (``--new``)."""
        self.agent = None
        self.history = History()

    def run(self, request: str, settings: CodeAct, options: RunOptions) -> Answer | None:
        """Run ``request`` to its end on the main thread; the answer, if any.

        Raises :class:`~jupyter_codeact.config.ConfigError` when nothing can be reached and
        :class:`RunError` when the agent cannot take a request now; nothing is shown then.
        Once the run's view is up, the view always finishes: an error whose message is
        written for the user ends the run with that message (and no exception); any other
        exception (a bug) is shown in the view and re-raised, with the agent stopped.
        """
        if self.agent is not None and self.agent.running:
            # Only if the last run broke off in a way that kept it from serving to the end.
            raise RunError(STILL_STOPPING)
        llm = self._llm_for(settings.llm_settings())
        prompt, problems = self.tools.prepare(settings, trust_project=options.trust_project)
        # Steps are cells (what --insert keeps follows the cell rule of core/cells.py).
        agent_options = settings.agent_options(
            require_solution=False, system_prompt=prompt, cells=True
        )
        if self.agent is None:
            self.agent = Agent(llm, self.executor, agent_options)
            self.history.steps = self.agent.conversation.to_json
        else:
            self.agent.llm = llm
            self.agent.use_system_prompt(prompt)
        agent = self.agent
        view = make_view(self.shell, request)
        record = self.history.start(request, model=settings.model)
        record.rules, record.tools = list(self.tools.rules), self.tools.summary()
        # A fresh queue per run: nothing left over from a run that ended badly can leak in.
        main = MainThreadQueue()
        # The run's hooks travel with the run, to each action (the executor outlives it).
        hooks = ShellRun(
            main=main,
            approve=(
                Approver(request_stop=self.request_stop, before_asking=view.awaiting_approval)
                if options.approve
                else None
            ),
            output_context=view.action_outputs,
            on_user_interrupt=self.request_stop,
        )
        # The configuration as it is now (``%config`` may have changed it since the last run).
        run_options = partial(AgentRun, settings=agent_options, executor=hooks)
        self._stop_requested = False
        self._busy = True
        # Until the view has finished: a Stop in our own code stops the run, and never
        # raises into the middle of it.
        restore_sigint = _handle_sigint(self._on_sigint)
        try:
            view.start()
            self._note(view, record, problems)
            self._serve(agent, main, request, record, view, run_options)
            self._note(view, record, self.tools.new_problems())  # a server that stopped
        except BaseException as error:
            record.fail(_failure_message(error))
            with contextlib.suppress(Exception):  # a broken view must not hide the error
                view.finish(record)
            if isinstance(error, EXPLAINED_ERRORS):
                return None
            raise
        else:
            view.finish(record)
            if options.insert:
                self._insert(record, view)
        finally:
            self._busy = False
            self.history.offered_tools = agent.offered_tools
            restore_sigint()
        answer = record.answer
        return Answer(answer) if answer is not None else None

    def request_stop(self) -> None:
        """Stop the current run (from any thread): the LLM stream, or the action."""
        self._stop_requested = True
        agent = self.agent
        if agent is not None:
            self.thread.call_soon(agent.stop)

    def close(self) -> None:
        """Release the thread and the HTTP client (when the extension is unloaded)."""
        self.tools.close()
        if self._llm is not None and self.thread.loop.is_running():
            with contextlib.suppress(Exception):
                self.thread.submit(self._llm.close()).result(timeout=5)
        self.thread.close()

    # -- internals ---------------------------------------------------------------------
    def _note(self, view: RunView, record: RunRecord, notes: list[str]) -> None:
        for note in notes:
            record.notes.append(note)
            view.note(note)

    def _on_sigint(self, signum: int, frame: Any) -> None:
        """The front end's Stop during a run: interrupt the user's code (or the approval
        prompt) if it is running, else stop the run, without raising into our own code."""
        if self.executor.interruptible:
            raise KeyboardInterrupt
        self.request_stop()

    def _serve(
        self,
        agent: Agent,
        main: MainThreadQueue,
        request: str,
        record: RunRecord,
        view: RunView,
        run_options: Callable[..., AgentRun],
    ) -> None:
        """Start the run on the agent's thread and serve it here until it has ended.

        If the view fails, the run is stopped and served (recorded, no longer shown) to its
        end, so that no agent is left running; then the view's error is raised.
        """
        view_error: list[Exception] = []

        def show(events: Sequence[AnyEvent]) -> None:
            for event in events:
                record.add(event)
            if view_error:
                return
            try:
                view.show(events)
            except Exception as error:
                view_error.append(error)
                self.request_stop()

        options = run_options(context=self._context())
        run = self.thread.submit(self._drive(agent, main, request, options))
        try:
            main.serve(show, until=run, on_interrupt=self.request_stop)
        except BaseException:
            self.request_stop()  # the main thread cannot serve the run: do not leave it going
            raise
        run.result()
        if view_error:
            raise view_error[0]

    async def _drive(
        self, agent: Agent, main: MainThreadQueue, request: str, options: AgentRun
    ) -> None:
        try:
            if self._stop_requested:  # stopped before it started: agent.stop() cannot help
                main.post(Done(turn=agent.turn, reason="cancelled", detail=STOPPED_EARLY))
                return
            # From here on the agent is running: request_stop() reaches it.
            async for event in agent.run(request, options):
                main.post(event)
        finally:
            main.end()

    def _llm_for(self, settings: LLMSettings) -> OpenAIChat:
        """The client for these settings, reused while they stay the same."""
        if self._llm is not None and self._llm.settings == settings:
            return self._llm
        if self._llm is not None:
            self.thread.submit(self._llm.close())
        self._llm = OpenAIChat(settings)
        return self._llm

    def _context(self) -> str | None:
        summary = summarize_namespace(
            self.shell.user_ns, exclude=getattr(self.shell, "user_ns_hidden", {})
        )
        return f"{NAMESPACE_HEADER}\n{summary}" if summary else None

    def _insert(self, record: RunRecord, view: RunView) -> None:
        """The run's cells as a notebook would keep them (see :mod:`.insert`)."""
        ran = {o.cell for o in record.observations}
        cells = self.agent.cells.cells if self.agent is not None else []
        found = inserted(cells, ran)
        self._note(view, record, found.notes)
        if not found.code:
            view.note("No code ran without errors, so no cell was added.")
            return
        first = record.request.strip().splitlines()[0][:80]
        self.shell.set_next_input(f"# CodeAct: {first}\n{found.code}", replace=False)
        view.note("The code that ran is in a new cell below.")


def _failure_message(error: BaseException) -> str:
    """What the view says about the exception that broke a run off."""
    if isinstance(error, EXPLAINED_ERRORS):
        return str(error)
    if isinstance(error, KeyboardInterrupt):
        return "Stopped by the user."
    detail = f"{type(error).__name__}: {error}" if str(error) else type(error).__name__
    return (
        f"CodeAct broke off on an internal error ({detail}); this is a bug in CodeAct, and "
        "the traceback below is what to report."
    )


def _handle_sigint(handler: Callable[[int, Any], None]) -> Callable[[], None]:
    """Install ``handler`` for SIGINT; returns what puts the previous one back.

    Only the main thread may set handlers; a run elsewhere (an ipykernel subshell) gets no
    signals anyway.
    """
    try:
        previous = signal.signal(signal.SIGINT, handler)
    except ValueError:
        return lambda: None
    if previous is None:  # set outside Python: the usual behaviour is the best guess
        previous = signal.default_int_handler

    def restore() -> None:
        signal.signal(signal.SIGINT, previous)

    return restore
