"""The server's notebook executor: runs each agent action on the notebook's own kernel and
says, as document operations, what the notebook holds.

For one action:

1. Where the code goes is decided (:mod:`.placement`): a new cell, in place of an agent
   cell the user has not changed, or, for the user's own cell (*Fix the Error*), a diff
   the user accepts or rejects.
2. With *Ask before running*, the action waits in the notebook as a pending cell there,
   and the user decides (Run, Edit in the cell, or Skip) in it or in any page of the
   chat, with no deadline (:mod:`.pending`, :mod:`.approvals`); what runs is what the
   cell holds then.
3. The cell's operations go out (:mod:`.document.hub` delivers them to the pages that
   have the notebook open, or the file), then the code runs on the notebook's kernel
   through our own client channels (:mod:`.kernels`), with the tools' calls answered
   here (the kernel's ``input_request``, checked against the chat's nonce): outputs
   stream into the cell as they arrive, and the run ends with the cell's outputs, count
   and provenance, after which a notebook no page holds is written.
4. Interrupts, the cell timeout, a kernel that dies or is restarted: the kernel
   executor's logic, the same as for the command line.

Nothing runs in the page; closing it changes nothing here.
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from ..core.events import Action
from ..core.executor import ExecutionResult, ExecutorError
from ..executors.kernel import KernelExecutor, KernelRun, StdinHost
from ..executors.outputs import DEFAULT_MAX_STREAM_CHARS
from . import placement
from .approvals import Approvals
from .document import ops
from .document.cells import CELL_METADATA_KEY
from .document.hub import NotebookDocument
from .document.live import LiveOutputs
from .document.log import OpLog
from .kernels import NotebookKernels, SessionKernel
from .pending import DELETED_NOTE, PendingCell

log = logging.getLogger(__name__)

REJECTED_NOTE = "The user rejected your change to their cell and kept their own version."

Phase = Literal["waiting_approval", "running"]


class Journal(Protocol):
    """What watches a turn's changes (:class:`.review.journal.TurnJournal`)."""

    def emitted(self, ops: list[ops.Op]) -> None: ...

    def inspected(self, facts: ops.Facts) -> None: ...

    @property
    def active(self) -> bool: ...


@dataclass(frozen=True)
class RoundTrip:
    """What an action's execution took, for the chat entry."""

    request_id: str
    duration_ms: float
    cell_id: str | None


@dataclass(frozen=True)
class NotebookRun:
    """One request's choices, as the server resolved them: the chat builds one per run and
    the agent hands it to each of the run's actions (``run=`` of
    :meth:`NotebookExecutor.execute`, :attr:`~jupyter_codeact.core.options.RunOptions.executor`),
    so that nothing about one request is kept on the executor the chat's runs share."""

    approval: Literal["auto", "ask"] = "auto"
    """``ask``: each action waits in the notebook as a pending cell until the user decides."""
    where: placement.Where = field(default_factory=placement.Where)
    """Where new cells go."""
    untrusted: bool = False
    """The agent's outputs are to be treated as untrusted (the notebook's signature is
    left alone)."""
    grants: Mapping[str, str] = field(default_factory=dict)
    """The user's cells this request may change (Fix the Error), by the id the model uses
    (``u1a2``) -> notebook cell id; a change to one is a diff the user accepts."""


NO_RUN = (
    "The notebook executor was given no request's choices (approval, where cells go); "
    "nothing ran. This is a bug in the host: report it."
)


class NotebookExecutor:
    """:class:`~jupyter_codeact.core.executor.Executor` on the notebook's own kernel."""

    def __init__(
        self,
        *,
        chat_id: str,
        path: Callable[[], str],
        document: Callable[[], NotebookDocument],
        oplog: OpLog,
        kernels: NotebookKernels,
        approvals: Approvals,
        on_phase: Callable[[Action, str, Phase], None],
        tools: Callable[[], StdinHost | None] = lambda: None,
        narration: Callable[[int], str] = lambda turn: "",
        max_stream_chars: int = DEFAULT_MAX_STREAM_CHARS,
    ) -> None:
        """``on_phase(action, request_id, phase)`` is told when an action waits for
        approval and when it runs; ``narration(turn)`` gives the prose of the reply
        whose action this is (for an explanation cell above it)."""
        self.chat_id = chat_id
        self._path = path
        self._document = document
        self.oplog = oplog
        self.approvals = approvals
        self._on_phase = on_phase
        self._tools = tools
        self._narration = narration
        self.max_stream_chars = max_stream_chars
        self.cells = placement.ChatCells(chat_id)
        self.backend = SessionKernel(kernels, path)
        self.kernel = KernelExecutor(self.backend, max_stream_chars=max_stream_chars)
        self.last_round_trip: RoundTrip | None = None
        self._skip_note = ""
        self.journal: Journal | None = None
        """Told every operation and every answer about the notebook (:mod:`.review`)."""

    # -- operations ------------------------------------------------------------------------
    def emit(self, batch: list[ops.Op]) -> None:
        """Number ``batch`` in the chat's log and deliver it."""
        if batch:
            numbered = self.oplog.add(batch)
            if self.journal is not None:
                self.journal.emitted(numbered)
            self._document().emit(self.chat_id, numbered)

    async def inspect(self, query: dict[str, Any]) -> ops.Facts:
        if self.journal is not None and self.journal.active:
            query = {**query, "cell": True}  # the cell as it is, for an undo of the turn
        facts = await self._document().inspect(self.chat_id, query)
        if self.journal is not None:
            self.journal.inspected(facts)
        return facts

    # -- one action ------------------------------------------------------------------------
    async def execute(
        self,
        code: str,
        *,
        timeout: float | None,
        action: Action | None = None,
        run: object | None = None,
    ) -> ExecutionResult:
        """``run`` is the request's :class:`NotebookRun`; without one nothing runs (an
        action must never run outside the user's approval mode)."""
        if not isinstance(run, NotebookRun):
            raise ExecutorError(NO_RUN)
        self.last_round_trip = None
        action = action or Action(turn=0, code=code, action_id=uuid.uuid4().hex[:12])
        request_id = uuid.uuid4().hex
        user_change = bool(action.replaces) and action.replaces in run.grants
        document = self._document()
        await document.begin_action(untrusted=run.untrusted)
        try:
            return await self._place_and_run(
                action,
                code,
                request_id,
                timeout,
                run,
                ask=run.approval == "ask" and not user_change,
            )
        finally:
            document.end_action()

    async def _place_and_run(
        self,
        action: Action,
        code: str,
        request_id: str,
        timeout: float | None,
        request: NotebookRun,
        *,
        ask: bool,
    ) -> ExecutionResult:
        plan = await placement.plan(
            action,
            code,
            request_id=request_id,
            cells=self.cells,
            where=request.where,
            grants=request.grants,
            inspect=self.inspect,
        )
        if plan.kind == "refuse":
            return ExecutionResult(status="refused", code=code, note=plan.note)
        if ask:  # a pending cell where it will run, until the user decides
            pending = await PendingCell.propose(plan, request_id, code, self.inspect)
            self.emit(pending.show())
            await self._document().checkpoint()  # with no page open: into the file now
            self._on_phase(action, request_id, "waiting_approval")
            held = await self._decided(pending, action)
            if held is None:
                await self._document().checkpoint()
                return ExecutionResult(status="skipped", code=code, note=self._skip_note)
            code, plan = held, pending.approved(held)
        if plan.kind == "user":
            self._on_phase(action, request_id, "waiting_approval")
            decision = await self.approvals.ask(
                {
                    "request_id": request_id,
                    "action_id": action.action_id,
                    "kind": "change",
                    "code": code,
                    "path": self._path(),
                    "cell_id": plan.cell_id,
                    "before": plan.before,
                    "replaces": action.replaces,
                }
            )
            if not decision.run:
                note = "" if decision.stopped else REJECTED_NOTE
                return ExecutionResult(status="skipped", code=code, note=note)
            plan.ops = [ops.set_source(plan.cell_id, code)]
        self._on_phase(action, request_id, "running")
        batch = list(plan.ops)
        mark = self._mark(plan)
        if request.where.narrate and plan.kind != "user" and mark is not None:
            explanation = placement.narration(plan.cell_id, mark, self._narration(action.turn))
            if explanation is not None:
                batch.append(explanation)
        self.emit(batch)
        if plan.kind != "user":
            self.cells.refs[action.replaces if plan.kind == "replace" else action.cell] = (
                plan.cell_id
            )
            self.cells.last = plan.cell_id
        result = await self._run(plan.cell_id, code, timeout, request_id)
        if mark is not None:
            final_mark = {**mark, "execution_count": result.execution_count}
            self.emit([ops.set_provenance(plan.cell_id, final_mark)])
        result.placement = plan.placement
        if plan.note:
            result.note = "\n".join(filter(None, [plan.note, result.note]))
        await self._document().checkpoint()
        return result

    async def _decided(self, pending: PendingCell, action: Action) -> str | None:
        """The code the user approved (None: skipped, and the pending cell withdrawn,
        also when the run is cancelled meanwhile: no stray cell is left)."""
        held: str | None = None
        self._skip_note = ""
        try:
            decision = await self.approvals.ask(pending.approval(action, self._path()))
            if decision.code != pending.code:  # a page sent its edit with the decision
                held = decision.code if decision.run else None
            elif decision.run:
                held = await pending.code_now(self.inspect)
                self._skip_note = DELETED_NOTE if held is None else ""
            return held
        finally:
            if held is None:
                self.emit(pending.withdraw())

    def _mark(self, plan: placement.Plan) -> dict[str, Any] | None:
        """The provenance the plan writes into its cell (None: the user's cell)."""
        for op in plan.ops:
            if op["op"] == "insert":
                mark = op["cell"]["metadata"][CELL_METADATA_KEY]
                return dict(mark)
            if op["op"] == "provenance":
                return dict(op["value"])
        return None

    async def _run(
        self, cell_id: str, code: str, timeout: float | None, request_id: str
    ) -> ExecutionResult:
        """Run ``code`` on the notebook's kernel, its outputs streaming into ``cell_id``."""
        kernel = self.kernel
        hooks = KernelRun(  # this action's: the kernel executor is the chat's, for every run
            stdin=self._tools(),
            listener=LiveOutputs(
                cell_id,
                self.emit,
                max_stream_chars=self.max_stream_chars,
                collector=lambda: kernel.collector,
            ),
        )
        self.emit([{"op": "running", "cell_id": cell_id}])
        self.oplog.running(cell_id, lambda: kernel.collector.outputs() if kernel.collector else [])
        result: ExecutionResult | None = None
        started = time.perf_counter()
        try:
            if not kernel.usable:  # its kernel died for good: the session may have another
                await kernel.shutdown()
            await kernel.start()
            await self.backend.follow()
            started = time.perf_counter()  # the step's time is its execution's
            result = await kernel.execute(code, timeout=timeout, run=hooks)
            return result
        finally:
            self.oplog.running(None)
            if result is not None:
                outputs, count = result.outputs, result.execution_count
            else:  # cancelled, or the kernel could not be reached: what arrived stays
                collector = kernel.collector
                outputs = collector.outputs() if collector is not None else []
                count = collector.execution_count if collector is not None else None
            self.emit([ops.set_outputs(cell_id, outputs, count)])
            self.last_round_trip = RoundTrip(
                request_id, (time.perf_counter() - started) * 1000, cell_id
            )

    async def interrupt(self) -> None:
        if self.approvals.stop():
            return
        await self.kernel.interrupt()

    async def close(self) -> None:
        """Close our channels to the kernel (it is the notebook's: it keeps running)."""
        with contextlib.suppress(Exception):
            await self.kernel.shutdown()


def restore_cells(cells: placement.ChatCells, entries: Sequence[Mapping[str, Any]]) -> None:
    """What the chat knew of its cells, from its entries (a chat loaded after a restart)."""
    placed = {
        entry.get("action_id")
        for entry in entries
        if entry.get("role") == "observation" and entry.get("status") not in ("skipped", "refused")
    }
    for entry in entries:
        if entry.get("role") != "action" or entry.get("action_id") not in placed:
            continue
        ref, cell_id = entry.get("cell"), entry.get("cell_id")
        if ref and cell_id and not str(ref).startswith("u"):
            cells.refs[str(ref)] = str(cell_id)
            cells.last = str(cell_id)
