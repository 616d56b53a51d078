"""*Ask before running* in the notebook: the action waits as a pending cell where it will
run, and what runs is what that cell holds when the user decides.

The placement is decided first (:mod:`.placement`); then, while the approval waits
(:mod:`.approvals`, no deadline, any page of the chat), the notebook shows it:

- a new cell is inserted, marked pending (:mod:`.document.pending`); the user may edit it
  in the cell editor;
- a replacement of an agent cell marks that cell pending with the proposed code, which
  the page shows as a diff in the cell (its Edit puts the proposal into the cell's editor).

On Run the cell's source is read from whoever holds the notebook (the page, the shared
room or the file) and the plan is carried out with it; on Skip or Stop the new cell goes
(a replaced cell gets its code and mark back), so no stray pending cell is left.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from ..core.events import Action
from . import placement
from .approvals import Approval
from .document import ops
from .document.cells import CELL_METADATA_KEY, source_hash
from .document.file_writer import NotebookFileError
from .document.pending import PENDING_KEY, remove, set_pending

DELETED_NOTE = "The user deleted the proposed cell instead of running it."


@dataclass
class PendingCell:
    """One action waiting in its cell."""

    plan: placement.Plan
    request_id: str
    code: str
    before: str = ""
    """A replacement: the agent cell's source when the change was proposed."""

    @classmethod
    async def propose(
        cls, plan: placement.Plan, request_id: str, code: str, inspect: placement.Inspect
    ) -> PendingCell:
        before = ""
        if plan.kind == "replace":
            facts = await inspect({"ref": "", "cell_id": plan.cell_id, "user": True})
            before = str(facts.get("source") or "")
        return cls(plan, request_id, code, before)

    @property
    def cell_id(self) -> str:
        return self.plan.cell_id

    def show(self) -> list[ops.Op]:
        """The operations that put the pending action into the notebook."""
        if self.plan.kind == "replace":
            return [set_pending(self.cell_id, {"request_id": self.request_id, "code": self.code})]
        # A failed cell the action goes below is cut or tagged only once it runs.
        insert = copy.deepcopy(next(op for op in self.plan.ops if op["op"] == "insert"))
        insert["cell"]["metadata"][CELL_METADATA_KEY][PENDING_KEY] = {"request_id": self.request_id}
        return [insert]

    def approval(self, action: Action, path: str) -> Approval:
        asked: Approval = {
            "request_id": self.request_id,
            "action_id": action.action_id,
            "kind": "run",
            "code": self.code,
            "path": path,
            "cell_id": self.cell_id,
        }
        if action.replaces:
            asked["replaces"] = action.replaces
        if self.plan.kind == "replace":
            asked["before"] = self.before  # the page shows the diff in the cell
        return asked

    async def code_now(self, inspect: placement.Inspect) -> str | None:
        """What the cell holds now (None: the user deleted it). A replacement the user did
        not open in the editor runs the proposal."""
        try:
            facts = await inspect({"ref": "", "cell_id": self.cell_id, "user": True})
        except NotebookFileError:  # no file to read it from: the cell is only in the log
            return self.code
        if not facts.get("found"):
            return None
        source = str(facts.get("source") or "")
        if self.plan.kind == "replace" and source == self.before:
            return self.code
        return source

    def approved(self, code: str) -> placement.Plan:
        """The plan carried out with ``code``, the code that runs; its provenance says
        ``code`` (so the cell counts as the agent's unchanged one) and has no pending mark."""
        batch: list[ops.Op] = []
        for op in self.plan.ops:
            if op["op"] == "insert":
                mark = dict(op["cell"]["metadata"][CELL_METADATA_KEY])
                mark["code_hash"] = source_hash(code)
                batch.append(ops.set_source(self.cell_id, code))
                batch.append(ops.set_provenance(self.cell_id, mark))
            elif op["op"] == "source":
                batch.append(ops.set_source(self.cell_id, code))
            elif op["op"] == "provenance":
                value: dict[str, Any] = {**op["value"], "code_hash": source_hash(code)}
                batch.append(ops.set_provenance(self.cell_id, value))
            else:  # keep, unmark
                batch.append(op)
        plan = self.plan
        return placement.Plan(plan.kind, plan.cell_id, batch, plan.placement, plan.note)

    def withdraw(self) -> list[ops.Op]:
        """Skipped or stopped: the new cell goes; a replaced cell keeps its own code."""
        if self.plan.kind == "replace":
            return [ops.set_source(self.cell_id, self.before), set_pending(self.cell_id, None)]
        return [remove(self.cell_id, self.request_id)]
