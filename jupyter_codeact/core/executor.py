"""The one interface every host implements to run an action, and what it returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from .events import Action, ExecutionStatus

Output = dict[str, Any]
"""One nbformat v4 output (``stream``, ``execute_result``, ``display_data`` or ``error``)."""


@dataclass
class ExecutionResult:
    """The end of one execution.

    ``code`` is what actually ran, which differs from the action when the user edited it;
    ``note`` is anything the executor must tell the model beyond the outputs (for example
    that the kernel was restarted); ``placement`` where the code went when the action
    asked to replace a cell: ``replaced``, ``new`` (the cell could not be replaced, so it
    went into a new cell), or "" (as the action asked, or the host has no cells).
    """

    status: ExecutionStatus
    outputs: list[Output] = field(default_factory=list)
    code: str = ""
    execution_count: int | None = None
    note: str = ""
    placement: Literal["", "new", "replaced"] = ""


@runtime_checkable
class Executor(Protocol):
    """Runs code somewhere stateful: a kernel, the user's notebook, the running shell."""

    async def execute(
        self,
        code: str,
        *,
        timeout: float | None,
        action: Action | None = None,
        run: object | None = None,
    ) -> ExecutionResult:
        """Run ``code``; return when it has finished, failed, or hit ``timeout`` seconds.

        Past ``timeout`` (counted from when the code starts, not from an approval), the
        code is interrupted in the action's :class:`~.stopping.Escalation`: the caller's
        when it keeps one (:meth:`~.stopping.Escalation.current`: an agent's, which its
        stop may have begun already), else one of the executor's own. After a deadline's
        escalation ran out of grace, giving up is the executor's (a kernel is restarted).

        ``action`` is the event the code came from (its turn and id), for executors that
        record provenance, such as the notebook's cell metadata. ``run`` is the host's
        value for the run this action belongs to (:attr:`.options.RunOptions.executor`),
        passed only when the host gave one: each executor reads the type it defines and
        keeps nothing of it past the call.

        Errors in the code are results (``status="error"``), never exceptions; raise
        :class:`ExecutorError` only when the executor itself cannot work.
        """
        ...

    async def interrupt(self) -> None:
        """Stop whatever is running now (the user pressed Stop)."""
        ...


class ExecutorError(Exception):
    """The executor cannot run code at all (no kernel, no notebook); the message says why."""
