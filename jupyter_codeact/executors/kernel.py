"""Run actions in a Jupyter kernel: local (jupyter_client), attached, or behind a gateway.

The execution logic (outputs, timeouts, interrupts, a kernel that dies, ``input()``) is
written once in :class:`KernelExecutor`; a :class:`KernelBackend` only moves messages
(:mod:`.kernel_backend`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..core.events import Action
from ..core.executor import ExecutionResult, ExecutorError
from ..core.stopping import INTERRUPT_GRACE, Deadline, Escalation
from .kernel_backend import (
    ATTACHED_HEARTBEAT_SECONDS,
    LIVENESS_INTERVAL,
    ExecuteOptions,
    KernelBackend,
    KernelDied,
    LocalKernel,
    StdinHost,
)
from .outputs import DEFAULT_MAX_STREAM_CHARS, OutputCollector, OutputListener

__all__ = [
    "ATTACHED_HEARTBEAT_SECONDS",
    "ExecuteOptions",
    "KernelBackend",
    "KernelDied",
    "KernelExecutor",
    "KernelRun",
    "LocalKernel",
    "StdinHost",
]

log = logging.getLogger(__name__)

# A kernel sends its execute reply before it goes idle; this covers the two channels'
# delivery order. A reply missing past it means the request died in the kernel itself.
_REPLY_GRACE = 2.0

NOT_RUN_NOTE = (
    "The kernel ended the request without running the code to its end (it sent no reply)."
)
ABORTED_NOTE = (
    "The kernel did not run the code: it aborted the request, because the one before it "
    "failed or was interrupted."
)

RESTARTED_NOTE = (
    "It was restarted: every variable, import and loaded file is lost; re-run what you need "
    "before going on."
)


INPUT_NOTE = (
    "The code called input(), which waits for a person: nobody can answer here, so it read "
    "end-of-file (EOFError)."
)


@dataclass(frozen=True)
class KernelRun:
    """What one run (or one action) brings to :meth:`KernelExecutor.execute` in place of
    the executor's own ``stdin`` and ``listener`` (``run=``): a host that changes them per
    action says so with the call instead of setting them on the shared executor."""

    stdin: StdinHost | None = None
    """Answers the action's input requests (the tools' calls); None: nobody does."""
    listener: OutputListener | None = None
    """Told each change of the action's outputs (a notebook cell mirrors them)."""


class KernelExecutor:
    """:class:`~jupyter_codeact.core.executor.Executor` over a Jupyter kernel.

    Use it as an async context manager, or call :meth:`start` and :meth:`shutdown`.
    """

    def __init__(
        self,
        backend: KernelBackend | None = None,
        *,
        interrupt_grace: float = INTERRUPT_GRACE,
        max_stream_chars: int = DEFAULT_MAX_STREAM_CHARS,
        on_message: Callable[[str, dict[str, Any]], None] | None = None,
        stdin: StdinHost | None = None,
        listener: OutputListener | None = None,
    ) -> None:
        """``on_message(msg_type, content)`` sees each output message of a running action
        as it arrives (for hosts that show progress live); ``listener`` each change of its
        outputs (for hosts that mirror them, e.g. into a notebook's cell); ``stdin``
        answers the action's input requests (the tools' calls); ``interrupt_grace`` is the
        grace of a timeout's escalation when the caller keeps none (run by an agent, an
        action is interrupted in the agent's, with its grace)."""
        self.backend: KernelBackend = backend or LocalKernel()
        self.on_message = on_message
        self.stdin = stdin
        self.listener = listener
        self.interrupt_grace = interrupt_grace
        self.max_stream_chars = max_stream_chars
        self._lock = asyncio.Lock()
        self._started = False
        self._usable = True
        self._interrupt_requested = False
        self._running_msg_id: str | None = None
        self.collector: OutputCollector | None = None
        """The outputs of the execution going on (or the last one)."""

    async def __aenter__(self) -> KernelExecutor:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.shutdown()

    async def start(self) -> None:
        if not self._started:
            try:
                await self.backend.start()
            except BaseException:
                # Whatever it got as far as (a kernel that never answered, its sockets'
                # folder) must not outlive the failure.
                with contextlib.suppress(Exception):
                    await self.backend.shutdown()
                raise
            self._started = True

    async def shutdown(self) -> None:
        if self._started:
            self._started = False
            await self.backend.shutdown()
        self._usable = True  # a new start may reach a kernel again

    @property
    def usable(self) -> bool:
        """False once the kernel died and could not be restarted (until :meth:`shutdown`)."""
        return self._usable

    async def interrupt(self) -> None:
        if self._started:
            self._interrupt_requested = True
            await self.backend.interrupt()

    async def execute(
        self,
        code: str,
        *,
        timeout: float | None,
        action: Action | None = None,
        run: object | None = None,
    ) -> ExecutionResult:
        """``run``: a :class:`KernelRun` for this call (anything else: the executor's own
        ``stdin`` and ``listener``)."""
        if not self._usable:
            raise ExecutorError(
                f"{self.backend.description.capitalize()} died earlier and could not be "
                "restarted: start the run again."
            )
        hooks = run if isinstance(run, KernelRun) else KernelRun(self.stdin, self.listener)
        await self.start()
        async with self._lock:
            return await self._within_deadline(code, timeout, hooks)

    async def _within_deadline(
        self, code: str, timeout: float | None, hooks: KernelRun
    ) -> ExecutionResult:
        """Run ``code``; past ``timeout`` seconds, interrupt it in the action's escalation
        (the caller's, whose stop may have begun it, else one of our own grace): the result
        is a ``timeout``, and a kernel that ignored the interrupts is restarted."""
        escalation = Escalation.current()
        own = escalation is None
        if escalation is None:
            escalation = Escalation(self.interrupt, self.interrupt_grace)
        result: ExecutionResult | None = None
        try:
            with Deadline(escalation, timeout) as deadline:
                result = await self._execute(code, hooks)
        finally:
            if own:
                escalation.close()
        if result is None or deadline.gave_up:
            # The kernel ignored the interrupts (e.g. stuck in C code): restart it.
            collector = self.collector or OutputCollector()
            restarted = await self._restart()
            note = "The kernel did not respond to the interrupt. " + (
                RESTARTED_NOTE if restarted else "It could not be restarted from here."
            )
            return self._result("timeout", code, collector, note)
        if escalation.cause == "deadline" and result.status != "died":
            result.status = "timeout"
        return result

    async def _execute(self, code: str, hooks: KernelRun) -> ExecutionResult:
        host = hooks.stdin
        if host is None:
            return await self._execute_once(code, hooks.listener)
        setup = host.setup_expression()
        if setup:
            await self._evaluate_silently(setup)
        notes: list[str] = []
        serving = asyncio.ensure_future(self._serve_stdin(host, notes))
        try:
            request = ExecuteOptions(allow_stdin=True, metadata=dict(host.metadata))
            result = await self._execute_once(code, hooks.listener, request)
        finally:
            serving.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await serving
        if notes:
            result.note = "\n".join(filter(None, [result.note, *dict.fromkeys(notes)]))
        return result

    async def _evaluate_silently(self, expression: str) -> None:
        """Evaluate ``expression`` before an action, leaving no trace: no history, execution
        count or output (a user expression, which also skips IPython's cell transforms)."""
        request = ExecuteOptions(silent=True, user_expressions={"setup": expression})
        msg_id = self.backend.execute("", request=request)
        reply = await self.backend.reply(msg_id, 30)
        outcome = ((reply or {}).get("user_expressions") or {}).get("setup") or {}
        if outcome.get("status") != "ok":
            # The action runs anyway: its calls of the tools then fail, visibly.
            log.warning("preparing the kernel failed: %s", outcome.get("evalue", "no reply"))

    async def _serve_stdin(self, host: StdinHost, notes: list[str]) -> None:
        """Answer the running action's input requests, one at a time, until cancelled."""
        while True:
            request = await self.backend.next_input_request()
            if request.get("parent_header", {}).get("msg_id") != self._running_msg_id:
                continue  # left over from an execution that was interrupted while it asked
            prompt = str(request.get("content", {}).get("prompt", ""))
            try:
                value = await host.answer(prompt)
            except Exception:
                log.exception("answering the kernel's input request failed")
                value = None
            if value is None:
                notes.append(INPUT_NOTE)
                value = "\x04"  # end-of-file: input() raises EOFError
            self.backend.input_reply(value, request)

    async def _execute_once(
        self,
        code: str,
        listener: OutputListener | None,
        request: ExecuteOptions | None = None,
    ) -> ExecutionResult:
        backend = self.backend
        collector = OutputCollector(max_stream_chars=self.max_stream_chars, listener=listener)
        self.collector = collector
        self._interrupt_requested = False
        msg_id = backend.execute(code, request=request)
        self._running_msg_id = msg_id
        while True:
            try:
                msg = await backend.next_message(LIVENESS_INTERVAL)
            except KernelDied:
                return await self._died(code, collector)
            if msg is None:
                if not await backend.is_alive():
                    return await self._died(code, collector)
                continue
            if msg.get("parent_header", {}).get("msg_id") != msg_id:
                continue
            msg_type = msg["header"]["msg_type"]
            content = msg.get("content", {})
            if msg_type == "status":
                if content.get("execution_state") == "idle":
                    break
                continue
            collector.add(msg_type, content)
            if self.on_message is not None:
                self.on_message(msg_type, content)
        if collector.error is not None:
            status = (
                "interrupted" if collector.error.get("ename") == "KeyboardInterrupt" else "error"
            )
            if (
                status == "interrupted"
                and not self._interrupt_requested
                and not await backend.is_alive()
            ):
                # Nobody here interrupted it: the kernel is being restarted (a restart
                # interrupts the code first), and its state is lost.
                return await self._died(code, collector)
            return self._result(status, code, collector)
        reply = await backend.reply(msg_id, _REPLY_GRACE)
        if reply is None or reply.get("status") != "ok":
            # An interrupt that lands in the kernel's own code, just before or after the
            # user's, is swallowed there: idle, no error output, and no reply. Not "ok".
            status = "interrupted" if self._interrupt_requested else "error"
            note = ABORTED_NOTE if reply and reply.get("status") == "aborted" else NOT_RUN_NOTE
            return self._result(status, code, collector, note)
        return self._result("ok", code, collector)

    def _result(
        self, status: Any, code: str, collector: OutputCollector, note: str = ""
    ) -> ExecutionResult:
        return ExecutionResult(
            status=status,
            outputs=collector.outputs(),
            code=code,
            execution_count=collector.execution_count,
            note=note,
        )

    async def _died(self, code: str, collector: OutputCollector) -> ExecutionResult:
        restarted = await self._restart()
        note = (
            RESTARTED_NOTE
            if restarted
            else "It could not be restarted from here (it was started elsewhere)."
        )
        return self._result("died", code, collector, note)

    async def _restart(self) -> bool:
        try:
            restarted = await self.backend.restart()
        except Exception:
            log.exception("restarting %s failed", self.backend.description)
            restarted = False
        if not restarted:
            self._usable = False
        return restarted
