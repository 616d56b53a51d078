"""What needs a person, held by the server until one answers: *Ask before running* (Run,
Edit, Skip) and a change to the user's own cell (Accept, Reject).

The pending approval is part of the chat's state: every page of the chat shows it (the
snapshot carries it, an ``approval`` message follows it), whichever page or none was
open when it was asked; any of them may answer. It waits with no deadline. Stop answers
it with Skip.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, TypedDict


class _Approval(TypedDict):
    request_id: str
    action_id: str
    kind: Literal["run", "change"]
    code: str
    path: str


class Approval(_Approval, total=False):
    """A pending approval as the pages see it (:class:`.wire_schema.Approval`)."""

    cell_id: str
    """The notebook cell concerned (a change to the user's cell)."""
    before: str
    """The user's cell as it is (a change)."""
    replaces: str
    """The model's id of the cell whose code the action replaces."""


@dataclass(frozen=True)
class Decision:
    run: bool
    code: str = ""
    stopped: bool = False
    """Skipped because the user pressed Stop (not an answer about the code)."""


class Approvals:
    """The one approval a chat's run may be waiting for."""

    def __init__(self, publish: Callable[[Approval | None], None]) -> None:
        self._publish = publish
        self.pending: Approval | None = None
        self._decision: asyncio.Future[Decision] | None = None

    async def ask(self, approval: Approval) -> Decision:
        """Show ``approval`` to every page of the chat; wait for an answer."""
        self.pending = approval
        self._decision = asyncio.get_running_loop().create_future()
        self._publish(approval)
        try:
            return await self._decision
        finally:
            self.pending, self._decision = None, None
            self._publish(None)

    def decide(self, request_id: str, *, run: bool, code: str | None = None) -> bool:
        """A page answered; False when nothing waits under ``request_id``."""
        pending, decision = self.pending, self._decision
        if pending is None or decision is None or decision.done():
            return False
        if pending["request_id"] != request_id:
            return False
        decision.set_result(Decision(run=run, code=pending["code"] if code is None else code))
        return True

    def stop(self) -> bool:
        """Stop pressed: what waits is skipped."""
        if self._decision is None or self._decision.done():
            return False
        self._decision.set_result(Decision(run=False, stopped=True))
        return True

    def snapshot(self) -> dict[str, Any] | None:
        return dict(self.pending) if self.pending is not None else None
