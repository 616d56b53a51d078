"""Where an action's code goes: into a new cell, or in place of an existing cell's code.

The rule, the same for every host and every action style (a tag attribute or a tool
argument only says what the model asked for):

1. An action that names a cell (``replace="c3a1"``) replaces that cell's code, if it is a
   cell this conversation may change: one an earlier action of it made, or the user's cell
   that the current request is about (*Fix the Error in This Cell*, where the change is
   shown to the user as a diff to accept). Any other id is refused: nothing runs, and the
   model is told which ids it may use. The host refuses as well when the user has changed
   the cell since (edited, ran or deleted it).
2. An action that asks for a new cell (``new``) gets one.
3. Otherwise, when the previous action of the same request failed (an error, a timeout,
   a kernel death) and *replace failed cells* is on, the action is its fix: it replaces the
   failed cell's code in place, so the notebook keeps the working version only. If the
   host cannot replace it (the user changed it meanwhile), the code goes into a new cell.
   The failed observation tells the model so before it writes its next action.
4. Anything else makes a new cell.

A new request starts with no failure pending: rule 3 applies within one request. The chat
keeps every attempt; only the notebook is rewritten.
"""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from .events import Action, ExecutionStatus
from .executor import ExecutionResult
from .prompts import (
    NEXT_REPLACES,
    RAN_IN_CELL,
    RAN_REPLACING,
    REFUSED_BOTH,
    REFUSED_NO_ID,
    REFUSED_UNKNOWN,
)

FAILED: frozenset[ExecutionStatus] = frozenset({"error", "timeout", "died"})
"""Statuses whose cell the next action replaces (rule 3)."""

NOT_PLACED: frozenset[ExecutionStatus] = frozenset({"skipped", "refused"})
"""Statuses of actions that never reached a cell."""


@dataclass
class Cell:
    """A cell this conversation may change, as far as the loop knows it."""

    id: str
    owner: Literal["agent", "user"]
    code: str = ""
    status: ExecutionStatus | None = None


@dataclass(frozen=True)
class Placement:
    """Where the code of an action goes: see :class:`~.events.Action` for the fields."""

    cell: str
    replaces: str = ""
    or_new: bool = False


@dataclass(frozen=True)
class Refusal:
    """The action may not run: ``message`` says why, for the model."""

    message: str


def random_cell_id(taken: Collection[str]) -> str:
    """A short id such as ``c3a1``: not a position (cells move), unique in ``taken``.

    Long enough that a random pick is almost always free (the space is kept at least
    eight times the ids taken), so it costs the same however long the conversation is.
    """
    digits = 3
    while 16**digits < 8 * (len(taken) + 1):
        digits += 1
    while True:
        candidate = "c" + secrets.token_hex((digits + 1) // 2)[:digits]
        if candidate not in taken:
            return candidate


class CellBook:
    """The cells of one conversation and the rule above.

    ``cells`` lists the agent's cells in the order they were made (a replaced cell keeps
    its place), which is the order they have in a notebook the agent alone wrote.
    """

    def __init__(
        self,
        *,
        replace_failed: bool = True,
        new_id: Callable[[Collection[str]], str] = random_cell_id,
    ) -> None:
        self.replace_failed = replace_failed
        self._new_id = new_id
        self._cells: dict[str, Cell] = {}
        self._failed = ""

    @property
    def cells(self) -> list[Cell]:
        return [cell for cell in self._cells.values() if cell.owner == "agent"]

    def get(self, cell_id: str) -> Cell | None:
        return self._cells.get(cell_id)

    @property
    def pending_fix(self) -> str:
        """The failed cell the next action replaces by rule 3 ("" if none)."""
        return self._failed if self.replace_failed else ""

    def restore(self, cells: Iterable[Cell]) -> None:
        """Know these cells again (a chat reloaded after a restart)."""
        for cell in cells:
            self._cells[cell.id] = cell

    def begin(self, *, user_cell: str = "") -> None:
        """A new request: no failure pending; ``user_cell`` may be changed (with a diff)."""
        self._failed = ""
        if user_cell and user_cell not in self._cells:
            self._cells[user_cell] = Cell(id=user_cell, owner="user")

    def place(self, attributes: Mapping[str, str]) -> Placement | Refusal:
        """Where the next action goes, from what it asked (its tag attributes)."""
        fresh = self._new_id(self._cells.keys())  # a view: no copy per action
        wants_new = "new" in attributes
        if "replace" in attributes:
            target = attributes["replace"].strip()
            if wants_new:
                return Refusal(REFUSED_BOTH)
            if not target:
                return Refusal(REFUSED_NO_ID)
            if target not in self._cells:
                return Refusal(self._unknown(target))
            return Placement(cell=fresh, replaces=target)
        if not wants_new and self.pending_fix:
            return Placement(cell=fresh, replaces=self._failed, or_new=True)
        return Placement(cell=fresh)

    def record(self, action: Action, result: ExecutionResult) -> tuple[str, bool]:
        """Note where ``action`` ran and how it ended; returns (cell id, replaced)."""
        if result.status in NOT_PLACED or not action.cell:
            return "", False
        code = result.code or action.code
        replaced = bool(action.replaces) and result.placement != "new"
        if replaced and action.replaces in self._cells:
            cell = self._cells[action.replaces]
            cell.code, cell.status = code, result.status
        else:
            replaced = False
            cell = Cell(id=action.cell, owner="agent", code=code, status=result.status)
            self._cells[cell.id] = cell
        self._failed = cell.id if result.status in FAILED else ""
        return cell.id, replaced

    def note(self, cell_id: str, replaced: bool) -> str:
        """What the observation adds about the cell: where it ran, what comes next."""
        if not cell_id:
            return ""
        text = (RAN_REPLACING if replaced else RAN_IN_CELL).format(id=cell_id)
        if self.pending_fix == cell_id:
            text += " " + NEXT_REPLACES.format(id=cell_id)
        return text

    def _unknown(self, target: str) -> str:
        newest = list(itertools.islice(reversed(self._cells), 20))[::-1]
        listed = ", ".join(newest) if newest else "none yet"
        return REFUSED_UNKNOWN.format(id=target, ids=listed)
