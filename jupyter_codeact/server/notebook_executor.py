"""The server's half of the notebook executor: ask the browser to run a cell, await its outputs.

The browser that sent the request owns the notebook: it inserts the cell, runs it in the
notebook's own kernel and answers with the cell's outputs. An ``execute`` goes only to that
page (again if the same page reconnects: it runs each request id once), so nothing runs
twice; if that page goes away and does not come back within ``orphan_timeout``, the action
fails with a plain message.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..core.events import Action
from ..core.executor import ExecutionResult, ExecutorError

BROWSER_GONE = (
    "The browser tab running this notebook went away while the agent's cell was pending, so "
    "its outcome is unknown: reopen the notebook and ask again."
)
NO_BROWSER = (
    "No browser has this chat open to run the agent's code: open the notebook in JupyterLab "
    "and ask again."
)
NO_ANSWER_NOTE = "The browser did not report the cell's outcome in time."

# Extra seconds the server waits past the cell timeout for the browser's own timeout report.
_REPORT_GRACE = 30.0


class Peer(Protocol):
    """A connected page (a websocket); ``closed`` once it has gone."""

    @property
    def closed(self) -> bool: ...

    def send(self, message: dict[str, Any]) -> None: ...


@dataclass
class _Pending:
    request_id: str
    message: dict[str, Any]
    peer: Peer
    future: asyncio.Future[dict[str, Any]]
    sent_at: float
    orphan_timer: asyncio.TimerHandle | None = None
    interrupted: bool = field(default=False)


@dataclass(frozen=True)
class RoundTrip:
    """What an action's execution took, for the chat entry."""

    request_id: str
    duration_ms: float
    cell_id: str | None


class NotebookExecutor:
    """:class:`~jupyter_codeact.core.executor.Executor` that runs code in the browser's notebook."""

    def __init__(
        self,
        *,
        path: Callable[[], str],
        driver: Callable[[], Peer | None],
        on_sent: Callable[[Action, str, Literal["auto", "ask"]], None],
        orphan_timeout: float = 30.0,
        tools: Callable[[], dict[str, Any] | None] | None = None,
    ) -> None:
        """``path`` gives the notebook's current path (it follows renames); ``driver`` the
        page that owns the run; ``on_sent(action, request_id, approval)`` is told when an
        ``execute`` has gone out; ``tools`` what an ``execute`` carries for the tools (see
        :mod:`.tools`)."""
        self._path = path
        self._tools = tools
        self._driver = driver
        self._on_sent = on_sent
        self.orphan_timeout = orphan_timeout
        self.approval: Literal["auto", "ask"] = "auto"
        self._pending: dict[str, _Pending] = {}
        self.last_round_trip: RoundTrip | None = None

    @property
    def pending(self) -> bool:
        return bool(self._pending)

    async def execute(
        self, code: str, *, timeout: float | None, action: Action | None = None
    ) -> ExecutionResult:
        peer = self._driver()
        if peer is None or peer.closed:
            raise ExecutorError(NO_BROWSER)
        self.last_round_trip = None
        loop = asyncio.get_running_loop()
        request_id = uuid.uuid4().hex
        approval = self.approval
        message = {
            "type": "execute",
            "request_id": request_id,
            "action_id": action.action_id if action else "",
            "turn": action.turn if action else 0,
            "code": code,
            "timeout": timeout,
            "approval": approval,
            "path": self._path(),
            "cell": action.cell if action else "",
            "replaces": action.replaces if action else "",
            "or_new": action.or_new if action else False,
            "keeps": action.keeps if action else "",
            "trim_to": action.trim_to if action else "",
        }
        if self._tools is not None and (tools := self._tools()) is not None:
            message["tools"] = tools
        pending = _Pending(request_id, message, peer, loop.create_future(), time.perf_counter())
        self._pending[request_id] = pending
        peer.send(message)
        if action is not None:
            self._on_sent(action, request_id, approval)
        # Waiting for a person to approve has no deadline; a running cell has the browser's.
        deadline = None if approval == "ask" or timeout is None else timeout + _REPORT_GRACE
        try:
            reply = await asyncio.wait_for(asyncio.shield(pending.future), timeout=deadline)
        except asyncio.TimeoutError:
            return ExecutionResult(status="timeout", code=code, note=NO_ANSWER_NOTE)
        finally:
            self._forget(request_id)
        self.last_round_trip = RoundTrip(
            request_id=request_id,
            duration_ms=(time.perf_counter() - pending.sent_at) * 1000,
            cell_id=reply.get("cell_id"),
        )
        return ExecutionResult(
            status=reply["status"],
            outputs=reply.get("outputs", []),
            code=reply.get("code") or code,
            execution_count=reply.get("execution_count"),
            placement=reply.get("placement") or "",
            note=reply.get("note") or "",
        )

    def _forget(self, request_id: str) -> None:
        pending = self._pending.pop(request_id, None)
        if pending is not None and pending.orphan_timer is not None:
            pending.orphan_timer.cancel()

    async def interrupt(self) -> None:
        for pending in self._pending.values():
            pending.interrupted = True
            if not pending.peer.closed:
                pending.peer.send({"type": "interrupt", "request_id": pending.request_id})

    def is_pending(self, request_id: str) -> bool:
        """Whether ``request_id`` is an execution still waiting for its result."""
        pending = self._pending.get(request_id)
        return pending is not None and not pending.future.done()

    def resolve(self, result: dict[str, Any]) -> bool:
        """An ``execute_result`` arrived (from any page of this chat). False if unknown."""
        pending = self._pending.get(result["request_id"])
        if pending is None or pending.future.done():
            return False
        pending.future.set_result(result)
        return True

    def peer_gone(self, peer: Peer) -> None:
        """``peer`` disconnected: its pending requests fail unless answered soon."""
        loop = asyncio.get_running_loop()
        for pending in self._pending.values():
            if pending.peer is peer and pending.orphan_timer is None:
                pending.orphan_timer = loop.call_later(
                    self.orphan_timeout, self._orphaned, pending.request_id
                )

    def peer_back(self, old: Peer, new: Peer) -> None:
        """The same page reconnected: it still owns what it was running.

        The ``execute`` goes to it again, since it may have been lost with the old socket:
        the page runs each request id once (and reports a finished one), so this never runs
        anything twice.
        """
        for pending in self._pending.values():
            if pending.peer is old:
                pending.peer = new
                if pending.orphan_timer is not None:
                    pending.orphan_timer.cancel()
                    pending.orphan_timer = None
                if not pending.future.done():
                    new.send(pending.message)
                if pending.interrupted:
                    new.send({"type": "interrupt", "request_id": pending.request_id})

    def _orphaned(self, request_id: str) -> None:
        pending = self._pending.get(request_id)
        if pending is not None and not pending.future.done():
            pending.future.set_exception(ExecutorError(BROWSER_GONE))
