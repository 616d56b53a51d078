"""Run actions in the running IPython shell: the user's own namespace, outputs shown inline.

Threads, and why
----------------
The ``%%codeact`` magic runs *inside* a cell: the kernel's main thread is executing that
cell, and ipykernel's event loop is blocked until the cell returns, so the async agent core
cannot run on it (``asyncio.run`` refuses to start inside a running loop, and nesting loops
would let other kernel messages run in the middle of a cell). So:

* the agent loop (LLM streaming, the core's own tasks) runs on a *worker thread* with its
  own event loop, one for the kernel's lifetime (the openai client's connection pool is
  bound to the loop that first used it, and the conversation continues across cells);
* everything that must happen on the *main thread* — ``shell.run_cell`` (user code expects
  the main thread: signals, matplotlib, GUI toolkits), display and widget updates,
  ``input()`` — is handed to it through a :class:`MainThreadQueue`, which the magic serves
  until the run ends. :meth:`ShellExecutor.execute` (awaited on the worker) queues
  :meth:`ShellExecutor.run_now` and awaits its result.

Interrupts
----------
The front end's Stop sends SIGINT to the kernel. For the length of a run the host installs
a SIGINT handler that raises KeyboardInterrupt only while :attr:`ShellExecutor.interruptible`
(the user's code or the approval prompt is running); at any other moment (waiting for the
model, updating the display, our own bookkeeping) it asks the run to stop instead, so a
KeyboardInterrupt never lands in the middle of our code. In the user's code, IPython
reports it and the action ends ``interrupted``; the executor then calls
``on_user_interrupt``, so the host stops the run before the model sees the observation.
:meth:`MainThreadQueue.serve` also turns a stray KeyboardInterrupt into a stop request.

Timeouts raise KeyboardInterrupt in the main thread too (a timer sends SIGINT to that
thread, which also cuts short a blocking ``sleep`` or socket read). Python code and most
C extensions stop at once; a C call that never returns to the interpreter (or that
swallows signals) cannot be stopped from inside the process: the cell stays busy until it
returns, exactly as with the front end's own Stop, and only a kernel restart ends it.
Signals reach the main thread only: run from an ipykernel subshell (another thread), an
action is neither timed out nor stopped, only the model's side of the run is.
"""

from __future__ import annotations

import _thread
import asyncio
import concurrent.futures
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

from ..core.events import Action, ExecutionStatus
from ..core.executor import ExecutionResult
from .main_thread import InterruptedOnMainThread, MainThreadQueue
from .outputs import DEFAULT_MAX_STREAM_CHARS
from .shell_outputs import ShellOutputCapture

STOPPED_BEFORE_START = "The run was stopped before this code started; nothing was executed."

Approver = Callable[[Action | None, str], bool]
"""Asks the user (on the main thread) whether to run this code; False skips it."""

OutputContext = Callable[[Action | None], AbstractContextManager[Any]]
"""Where an action's outputs are shown (a host's step view); entered on the main thread."""


@dataclass(frozen=True)
class ShellRun:
    """One run's hooks, given with each action (``run=`` of :meth:`ShellExecutor.execute`,
    the host's :attr:`~jupyter_codeact.core.options.RunOptions.executor`) rather than set
    on the executor, which outlives the run. All are called on the main thread."""

    main: MainThreadQueue
    """The queue the main thread serves for this run (a fresh one per run)."""
    approve: Approver | None = None
    """Asked before each action (None: run without asking)."""
    output_context: OutputContext | None = None
    """Where the action's outputs are shown (the run's view)."""
    on_user_interrupt: Callable[[], None] | None = None
    """Told when the user interrupted the action's code (the host stops the run)."""


@dataclass
class ShellExecutorOptions:
    max_stream_chars: int = DEFAULT_MAX_STREAM_CHARS
    """Bound on the recorded text of one stream (what is shown is not cut)."""
    store_history: bool = False
    """False: actions run inside the magic's cell, taking no prompt number and leaving
    ``In``/``Out`` and the history as the user's own cells made them."""


class ShellExecutor:
    """:class:`~jupyter_codeact.core.executor.Executor` on a running ``InteractiveShell``.

    A run's hooks come with each action, as a :class:`ShellRun`; without one, actions go
    through ``main`` and nothing is asked or shown.
    """

    def __init__(
        self, shell: Any, main: MainThreadQueue, options: ShellExecutorOptions | None = None
    ) -> None:
        self.shell = shell
        self.main = main
        """The queue of actions run without a :class:`ShellRun`."""
        self.options = options or ShellExecutorOptions()
        self._lock = threading.Lock()
        self._interruptible = False
        self._on_main_thread = True
        self._stop_pending = False
        self._section = 0
        self._timed_out = False
        self._queued: set[concurrent.futures.Future[ExecutionResult]] = set()

    @property
    def interruptible(self) -> bool:
        """True while the user's code or the approval prompt runs on the main thread.

        A host's SIGINT handler raises KeyboardInterrupt only then, and otherwise asks the
        run to stop: a KeyboardInterrupt anywhere else would land in our own bookkeeping.
        """
        return self._interruptible

    # -- the Executor protocol (awaited on the agent's thread) ------------------------------
    async def execute(
        self,
        code: str,
        *,
        timeout: float | None,
        action: Action | None = None,
        run: object | None = None,
    ) -> ExecutionResult:
        """``run``: the run's :class:`ShellRun` (anything else: the executor's ``main``,
        no hooks)."""
        hooks = run if isinstance(run, ShellRun) else ShellRun(self.main)
        with self._lock:
            self._stop_pending = False
        future = hooks.main.call(
            lambda: self.run_now(code, timeout=timeout, action=action, run=hooks)
        )
        self._queued.add(future)
        try:
            return await asyncio.wrap_future(future)
        except InterruptedOnMainThread:
            return ExecutionResult(status="interrupted", code=code)
        except asyncio.CancelledError:
            if future.cancelled():  # our interrupt() took it off the queue
                return ExecutionResult(status="interrupted", code=code, note=STOPPED_BEFORE_START)
            raise
        finally:
            self._queued.discard(future)

    async def interrupt(self) -> None:
        for future in list(self._queued):
            future.cancel()  # only succeeds while it waits for the main thread
        with self._lock:
            if not self._interruptible:
                self._stop_pending = True  # about to start: it will not
            elif self._on_main_thread:
                _interrupt_main_thread()

    # -- on the main thread ------------------------------------------------------------------
    def run_now(
        self,
        code: str,
        *,
        timeout: float | None = None,
        action: Action | None = None,
        run: ShellRun | None = None,
    ) -> ExecutionResult:
        """Run ``code`` in the shell now (main thread only) and return what happened."""
        hooks = run or ShellRun(self.main)
        not_started = ExecutionResult(status="interrupted", code=code, note=STOPPED_BEFORE_START)
        if hooks.approve is not None:
            try:
                try:  # _enter inside: a Stop that lands as it returns must still be left
                    if not self._enter(None):
                        return not_started
                    approved = hooks.approve(action, code)
                finally:
                    self._leave(None)
            except KeyboardInterrupt:
                self._user_interrupted(hooks)
                return ExecutionResult(status="skipped", code=code)
            if not approved:
                return ExecutionResult(status="skipped", code=code)
        capture = ShellOutputCapture(self.shell, max_stream_chars=self.options.max_stream_chars)
        context = hooks.output_context(action) if hooks.output_context else nullcontext()
        interrupted = False
        error: BaseException | None = None
        try:
            with context, capture:
                timer = self._timer(timeout)
                # _enter inside the try: a Stop landing between it and the user's code
                # (starting the timer waits for its thread) must not leave us interruptible
                # with the timer running, to fire into whatever runs next.
                try:
                    if not self._enter(timer):
                        return not_started
                    result = self._run_cell(code)
                finally:
                    self._leave(timer)
                error = result.error_before_exec or result.error_in_exec
        except KeyboardInterrupt:  # landed just outside the user's code
            interrupted = True
        interrupted = interrupted or isinstance(error, KeyboardInterrupt)
        if error is not None and capture.error is None and not interrupted:
            capture.add_error(error)  # an error the shell did not display
        status: ExecutionStatus = "ok"
        if self._timed_out:
            status = "timeout"
        elif interrupted:
            status = "interrupted"
            self._user_interrupted(hooks)
        elif error is not None:
            status = "error"
        return ExecutionResult(status=status, outputs=capture.outputs(), code=code)

    def _run_cell(self, code: str) -> Any:
        shell = self.shell
        # The magic's own cell is still running: keep what its reply and result depend on.
        saved = {
            name: vars(shell)[name]
            for name in ("_last_traceback", "_last_traceback_during_displayhook")
            if name in vars(shell)
        }
        exec_result = getattr(shell.displayhook, "exec_result", None)
        try:
            return shell.run_cell(code, store_history=self.options.store_history)
        finally:
            for name, value in saved.items():
                setattr(shell, name, value)
            if hasattr(shell.displayhook, "exec_result"):
                shell.displayhook.exec_result = exec_result

    @staticmethod
    def _user_interrupted(hooks: ShellRun) -> None:
        if hooks.on_user_interrupt is not None:
            hooks.on_user_interrupt()

    def _timer(self, timeout: float | None) -> threading.Timer | None:
        self._timed_out = False
        if not timeout:
            return None
        timer = threading.Timer(timeout, self._on_timeout, args=(self._section + 1,))
        timer.daemon = True
        return timer

    def _enter(self, timer: threading.Timer | None) -> bool:
        """Become interruptible (and start the timer); False if a stop came first."""
        with self._lock:
            if self._stop_pending:
                return False
            self._interruptible = True
            self._on_main_thread = threading.current_thread() is threading.main_thread()
            self._section += 1
        if timer is not None:
            timer.start()
        return True

    def _leave(self, timer: threading.Timer | None) -> None:
        with self._lock:
            self._interruptible = False
        if timer is not None:
            timer.cancel()

    def _on_timeout(self, section: int) -> None:
        with self._lock:
            if self._interruptible and section == self._section and self._on_main_thread:
                self._timed_out = True
                _interrupt_main_thread()


def _interrupt_main_thread() -> None:
    """Raise KeyboardInterrupt in the main thread, waking it from a blocking call."""
    handler = signal.getsignal(signal.SIGINT)
    if not callable(handler):
        return  # SIGINT ignored or fatal here: sending it would not raise, or kill us
    ident = threading.main_thread().ident
    if sys.platform != "win32" and ident is not None:
        signal.pthread_kill(ident, signal.SIGINT)
    else:
        _thread.interrupt_main()
