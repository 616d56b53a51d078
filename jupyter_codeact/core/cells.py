"""Where an action's code goes: into a new cell, or in place of an existing cell's code.

The rule, the same for every host and every action style (a tag attribute or a tool
argument only says what the model asked for):

1. An action that names a cell (``replace="c3a1"``) replaces that cell's code, if it is a
   cell this conversation may change: one an earlier action of it made, or the user's cell
   that the current request is about (*Fix the Error in This Cell*, where the change is
   shown to the user as a diff to accept). Any other id is refused: nothing runs, and the
   model is told which ids it may use. An agent cell is refused too when the new code
   would lose what the cell defined (:mod:`.replacing`): the model is told which names, so
   that it can write the complete code. The host refuses as well when the user has
   changed the cell since (edited, ran or deleted it).
2. An action that asks for a new cell (``new``) gets one. After a failure, the failed cell
   is kept as it is, marked as failed (``keeps``), and the new cell goes below it.
3. Otherwise, when the previous action of the same request failed (an error, a timeout,
   a kernel death) and *replace failed cells* is on, the action is its fix: it replaces the
   failed cell's code in place, so the notebook keeps the working version only. Unless the
   replacement would lose something the failed cell defined before its error (a check
   such as ``print(list(sales))``, only the corrected line, a step elsewhere): then the
   failed cell is kept (``keeps``), cut to the statements that ran before its error when
   that is exact (``trim_to``), else whole and marked as failed (but a cell that killed
   the kernel is replaced: kept whole, it would kill it again), and the action goes into
   a new cell below it. If the host cannot replace the failed cell (the user changed it
   meanwhile), the code goes into a new cell. The failed observation tells the model so
   before it writes its next action.
4. Anything else makes a new cell.

A new request starts with no failure pending: rule 3 applies within one request. The chat
keeps every attempt; only the notebook is rewritten.
"""

from __future__ import annotations

import dataclasses
import itertools
import secrets
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from .events import Action, ExecutionStatus
from .executor import ExecutionResult
from .failure import Failure, failure_of
from .ipython_syntax import python_view
from .prompts import (
    KEPT_TRIMMED,
    KEPT_WHOLE,
    KEPT_WHY_NAMES,
    KEPT_WHY_NEW,
    KEPT_WHY_UNKNOWN,
    NEXT_REPLACES,
    RAN_BELOW_KEPT,
    RAN_IN_CELL,
    RAN_REPLACING,
    REFUSED_BOTH,
    REFUSED_NO_ID,
    REFUSED_UNKNOWN,
    REFUSED_WOULD_LOSE,
)
from .replacing import Loss, replacing_loses
from .steps import CellsStep, ObservationStep, Step

FAILED: frozenset[ExecutionStatus] = frozenset({"error", "timeout", "died"})
"""Statuses whose cell the next action replaces (rule 3)."""

NOT_PLACED: frozenset[ExecutionStatus] = frozenset({"skipped", "refused"})
"""Statuses of actions that never reached a cell."""

STOPPED_PART_WAY: frozenset[ExecutionStatus] = FAILED | {"interrupted"}
"""Statuses of cells that ran only up to some statement."""

KEPT_NOTE = "Kept the cell that defines {names}{how}; this code goes into a new cell below it."
KEPT_UNKNOWN_NOTE = (
    "Kept the cell, since what {what} defines cannot be told{how}; this code goes into a new "
    "cell below it."
)
KEPT_NEW_NOTE = (
    "Kept the failed cell as it is, marked as failed, as the model asked; this code goes into "
    "a new cell below it."
)
HOW_TRIMMED = " (cut to the statements that ran before its error)"
HOW_WHOLE = " as it is, marked as failed"


@dataclass
class Cell:
    """A cell this conversation may change, as far as the loop knows it."""

    id: str
    owner: Literal["agent", "user"]
    code: str = ""
    status: ExecutionStatus | None = None
    failure: Failure | None = None
    """Where it stopped, when it failed or was interrupted (from its error output)."""
    kept: bool = False
    """It failed, and a later action went below it rather than replace it: it stays whole,
    marked as failed (its error is expected when the notebook is run again)."""


@dataclass(frozen=True)
class Placement:
    """Where the code of an action goes: see :class:`~.events.Action` for the fields."""

    cell: str
    replaces: str = ""
    or_new: bool = False
    keeps: str = ""
    trim_to: str = ""
    note: str = ""


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
        self._why_kept: dict[str, str] = {}  # new cell id -> why the failed cell was kept

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

    def place(self, attributes: Mapping[str, str], code: str = "") -> Placement | Refusal:
        """Where the next action goes, from what it asked (its tag attributes) and its code."""
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
            cell = self._cells[target]
            if cell.owner == "agent" and (loss := self._loses(cell, code)):
                return Refusal(_would_lose(cell, loss))
            return Placement(cell=fresh, replaces=target)
        if not self.pending_fix:
            return Placement(cell=fresh)
        failed = self._cells[self._failed]
        if wants_new:
            self._why_kept[fresh] = KEPT_WHY_NEW
            return Placement(cell=fresh, keeps=failed.id, note=KEPT_NEW_NOTE)
        loss = self._loses(failed, code)
        # A cell that killed the kernel, kept whole, would kill it again on Run All; and
        # what it defined died with the kernel: the model rebuilds it anyway.
        if not loss or (failed.status == "died" and loss.trim is None):
            return Placement(cell=fresh, replaces=failed.id, or_new=True)
        how = HOW_TRIMMED if loss.trim else HOW_WHOLE
        if loss.names:
            names = describe_names(loss.names)
            note = KEPT_NOTE.format(names=names, how=how)
            self._why_kept[fresh] = KEPT_WHY_NAMES.format(names=names)
        else:
            what = _code_words(loss.unknown)
            note = KEPT_UNKNOWN_NOTE.format(what=what, how=how)
            self._why_kept[fresh] = KEPT_WHY_UNKNOWN.format(what=what)
        return Placement(cell=fresh, keeps=failed.id, trim_to=loss.trim or "", note=note)

    def record(self, action: Action, result: ExecutionResult) -> tuple[str, bool]:
        """Note where ``action`` ran and how it ended; returns (cell id, replaced)."""
        if result.status in NOT_PLACED or not action.cell:
            return "", False
        code = result.code or action.code
        kept = self._cells.get(action.keeps) if action.keeps else None
        if kept is not None:
            if action.trim_to:
                kept.code, kept.status, kept.failure = action.trim_to, "ok", None
            else:
                kept.kept = True
        replaced = bool(action.replaces) and result.placement != "new"
        if replaced and action.replaces in self._cells:
            cell = self._cells[action.replaces]
            cell.code, cell.status, cell.kept = code, result.status, False
        else:
            replaced = False
            cell = Cell(id=action.cell, owner="agent", code=code, status=result.status)
            self._cells[cell.id] = cell
        cell.failure = stopped_at(result.outputs, code, result.status)
        self._failed = cell.id if result.status in FAILED else ""
        return cell.id, replaced

    def note(self, cell_id: str, replaced: bool, action: Action | None = None) -> str:
        """What the observation adds about the cell: where it ran, what comes next."""
        if not cell_id:
            return ""
        why = self._why_kept.pop(cell_id, "")
        if action is not None and action.keeps and not replaced:
            how = KEPT_TRIMMED if action.trim_to else KEPT_WHOLE
            text = RAN_BELOW_KEPT.format(
                id=cell_id,
                kept=action.keeps,
                why=why or KEPT_WHY_NEW,
                how=how.format(kept=action.keeps),
            )
        else:
            text = (RAN_REPLACING if replaced else RAN_IN_CELL).format(id=cell_id)
        if self.pending_fix == cell_id:
            text += " " + NEXT_REPLACES.format(id=cell_id)
        return text

    def _loses(self, cell: Cell, code: str) -> Loss:
        """What putting ``code`` in place of ``cell``'s code would lose."""
        failure = cell.failure
        if failure is None and cell.status in STOPPED_PART_WAY:
            failure = Failure(line=None)  # stopped somewhere: count all of it as run
        return replacing_loses(cell.code, code, failure)

    def _unknown(self, target: str) -> str:
        newest = list(itertools.islice(reversed(self._cells), 20))[::-1]
        listed = ", ".join(newest) if newest else "none yet"
        return REFUSED_UNKNOWN.format(id=target, ids=listed)


def stopped_at(
    outputs: list[dict[str, Any]], code: str, status: ExecutionStatus | None
) -> Failure | None:
    """Where a cell that stopped part way (``status``) stopped, from its outputs; None
    for a cell that ran to its end."""
    if status not in STOPPED_PART_WAY:
        return None
    return failure_of(outputs, code, python_view(code))


def describe_names(names: Iterable[str], limit: int = 4) -> str:
    """``a``, ``a` and `b``, ``a`, `b` and 3 more``: names in a sentence."""
    quoted = [f"`{name}`" for name in names]
    if len(quoted) > limit:
        rest = len(quoted) - limit + 1
        quoted = [*quoted[: limit - 1], f"{rest} more"]
    if len(quoted) <= 1:
        return "".join(quoted)
    return ", ".join(quoted[:-1]) + " and " + quoted[-1]


def _code_words(unknown: Iterable[str]) -> str:
    return describe_names(unknown, limit=2)


def _would_lose(cell: Cell, loss: Loss) -> str:
    what = describe_names(loss.names) if loss.names else f"what {_code_words(loss.unknown)} defines"
    before = " before its error" if cell.status in STOPPED_PART_WAY else ""
    return REFUSED_WOULD_LOSE.format(id=cell.id, what=what, before=before)


def cells_of(steps: Iterable[Step]) -> list[Cell]:
    """The agent's cells as a conversation's steps tell (a chat reloaded after a restart)."""
    cells: dict[str, Cell] = {}
    for step in steps:
        if isinstance(step, CellsStep):
            for data in step.cells:
                cell = _cell_of(data)
                cells[cell.id] = cell
        if not isinstance(step, ObservationStep) or not step.cell:
            continue
        if (kept := cells.get(step.keeps)) is not None:
            if step.trim_to:  # cut to what ran before its error
                kept.code, kept.status, kept.failure = step.trim_to, "ok", None
            else:
                kept.kept = True
        failure = Failure(**step.failure) if step.failure else None
        status: Any = step.status or None
        cells[step.cell] = Cell(step.cell, "agent", step.code, status, failure)
    return list(cells.values())


def cell_json(cell: Cell) -> dict[str, Any]:
    """A cell as a :class:`~.steps.CellsStep` keeps it."""
    failure = dataclasses.asdict(cell.failure) if cell.failure is not None else None
    return {
        "id": cell.id,
        "code": cell.code,
        "status": cell.status,
        "failure": failure,
        "kept": cell.kept,
    }


def _cell_of(data: dict[str, Any]) -> Cell:
    failure = data.get("failure")
    return Cell(
        str(data.get("id", "")),
        "agent",
        str(data.get("code", "")),
        data.get("status"),
        Failure(**failure) if isinstance(failure, dict) else None,
        kept=bool(data.get("kept")),
    )
