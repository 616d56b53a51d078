"""Where an action's code goes in the notebook, as document operations: the server's half
of the cell rule (:mod:`jupyter_codeact.core.cells` decides which cell the model means;
this module checks, against the notebook as its writer holds it, whether that cell may
still be changed, and says the change as operations).

The one place that turns an :class:`~jupyter_codeact.core.events.Action` into
operations: a new kind of placement adds a branch to :func:`plan` and reuses the
operations of :mod:`.document.ops`.

- A new cell goes below the chat's last cell, else below the cell that was selected when
  the user asked, else at the end (the page's *Where cells go* setting can say: at the
  end); the writer resolves that against its copy of the notebook (:mod:`.document.ops`).
- An agent cell is replaced only if it is in the notebook once and the user has neither
  edited nor run it since; otherwise the action is refused, or, when the loop chose the
  replacement itself (``or_new``), its code goes into a new cell below.
- An action that keeps a failed agent cell (``keeps``: its fix would lose what the cell
  defined) goes right below it, and that cell is first cut to ``trim_to`` or kept whole
  and tagged ``raises-exception`` (a ``keep`` operation), if the user has not changed it;
  otherwise it is left as it is and the code goes below the chat's last cell. A later
  replacement of a cell kept whole takes the tag off (``unmark``).
- The user's cell that the request is about (*Fix the Error*) is changed only through a
  diff the user accepts: the plan says so, and the executor asks.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from ..core.events import Action
from .document import ops
from .document.cells import source_hash, why_not_replaceable
from .document.escape import escape_html_in_markdown
from .document.ops import Facts, Op

Inspect = Callable[[dict[str, Any]], Awaitable[Facts]]


def new_cell_id() -> str:
    """An nbformat cell id (as JupyterLab makes them)."""
    return str(uuid.uuid4())


@dataclass
class ChatCells:
    """What the chat knows of its cells in the notebook."""

    chat_id: str
    refs: dict[str, str] = field(default_factory=dict)
    """The model's cell ids (``c3a1``) -> notebook cell ids."""
    last: str = ""
    """The notebook id of the chat's last cell (new cells go below it)."""


@dataclass(frozen=True)
class Where:
    """The user's choices for this request that say where new cells go."""

    selected: str = ""
    """The notebook id of the cell selected when the user asked."""
    at_end: bool = False
    narrate: bool = False


@dataclass
class Plan:
    kind: Literal["new", "replace", "user", "refuse"]
    cell_id: str = ""
    ops: list[Op] = field(default_factory=list)
    placement: Literal["", "new", "replaced"] = ""
    note: str = ""
    before: str = ""
    """The user's cell as it is (``user``), for the diff."""


def provenance(
    chat_id: str, action: Action, request_id: str, code: str, ref: str
) -> dict[str, Any]:
    """The provenance of an agent cell (``src/tokens.ts`` ``ICellProvenance``)."""
    return {
        "chat_id": chat_id,
        "turn": action.turn,
        "action_id": action.action_id,
        "request_id": request_id,
        "code_hash": source_hash(code),
        "cell": ref,
    }


async def plan(
    action: Action,
    code: str,
    *,
    request_id: str,
    cells: ChatCells,
    where: Where,
    inspect: Inspect,
    grants: Mapping[str, str] | None = None,
) -> Plan:
    """Where ``code`` (what will run of ``action``) goes, as operations to emit before it
    runs (``user``: after the user accepts). ``grants``: the user's cells this request may
    change, by the id the model uses -> notebook cell id."""
    grants = grants or {}
    if action.keeps:
        return await _keep(action, code, request_id, cells, where, inspect)
    ref = action.replaces
    if not ref:
        return _new(action, code, request_id, cells, where)
    if ref in grants:
        cell_id = grants[ref]
        facts = await inspect({"ref": ref, "cell_id": cell_id, "user": True})
        if not facts.get("found"):
            return Plan("refuse", note=f"The user's cell {ref} is no longer in the notebook.")
        return Plan("user", cell_id, placement="replaced", before=str(facts.get("source") or ""))
    facts = await inspect({"ref": ref, "cell_id": cells.refs.get(ref, ""), "user": False})
    found: list[str] = list(facts.get("cell_ids") or [])
    why = why_not_replaceable(int(facts.get("found") or 0), facts.get("change"), ref)
    if why is None:
        cell_id = found[0]
        mark = provenance(cells.chat_id, action, request_id, code, ref)
        return Plan(
            "replace",
            cell_id,
            # A cell kept whole loses its raises-exception tag: the new code may pass.
            [
                ops.unmark(cell_id),
                ops.set_source(cell_id, code),
                ops.set_provenance(cell_id, mark),
            ],
            placement="replaced",
        )
    if not action.or_new:
        return Plan("refuse", note=why)
    below = found[-1] if found else cells.last
    new = _new(action, code, request_id, cells, where, after=below)
    new.placement = "new"
    new.note = f"{why} Your code went into a new cell instead."
    return new


async def _keep(
    action: Action,
    code: str,
    request_id: str,
    cells: ChatCells,
    where: Where,
    inspect: Inspect,
) -> Plan:
    """A new cell right below the failed cell ``action.keeps``, which is cut or marked
    first if it is still the agent's unchanged cell (else it is left as the user has it)."""
    ref = action.keeps
    facts = await inspect({"ref": ref, "cell_id": cells.refs.get(ref, ""), "user": False})
    found: list[str] = list(facts.get("cell_ids") or [])
    why = why_not_replaceable(int(facts.get("found") or 0), facts.get("change"), ref)
    if why is None:
        new = _new(action, code, request_id, cells, where, after=found[0])
        new.ops.insert(0, ops.keep(found[0], action.trim_to))
        return new
    new = _new(action, code, request_id, cells, where, after=found[-1] if found else None)
    new.note = f"{why} It was left as it is." if found else why
    return new


def _new(
    action: Action,
    code: str,
    request_id: str,
    cells: ChatCells,
    where: Where,
    *,
    after: str | None = None,
) -> Plan:
    cell_id = new_cell_id()
    mark = provenance(cells.chat_id, action, request_id, code, action.cell)
    insert = ops.insert(
        ops.code_cell(cell_id, code, mark),
        after=cells.last if after is None else after,
        selected=where.selected,
        at_end=where.at_end,
    )
    return Plan("new", cell_id, [insert])


def narration(cell_id: str, mark: dict[str, Any], prose: str) -> Op | None:
    """The markdown cell that explains code cell ``cell_id`` with the model's ``prose``
    (made safe: raw HTML shows as text, images become links); None when there is none."""
    source = escape_html_in_markdown(prose.strip())
    if not source:
        return None
    explanation = {**mark, "role": "narration", "code_hash": source_hash(source)}
    return ops.narrate(cell_id, ops.markdown_cell(new_cell_id(), source, explanation))
