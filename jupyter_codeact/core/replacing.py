"""What replacing a cell's code with new code would lose, decided with ``ast``.

The notebook must re-run: a cell's code may give way to new code only when nothing the
rest relies on goes with it. What a cell did is what its top-level statements did, up to
the one that failed (the traceback names its line, :mod:`.failure`); all of them for a
cell that ran to its end. Replacing it loses a name when one of those statements:

- bound it (an assignment, an import, a ``def`` or ``class``, a ``for`` or ``with``
  target, a walrus...) and the new code does not bind it again before it reads it, or
- changed its object in place (``df['x'] = ...``, ``items.append(...)``) and the new code
  neither repeats that statement nor binds the name again first.

Any such name counts, whether or not the new code reads it: the cells that come next
(the model's next actions, the user's own cells) may read any name the kernel now holds,
and they cannot be known yet. A statement whose effect cannot be seen (``from m import *``,
``%run``, an unknown magic) counts as losing something, unless the new code repeats it.

The statement that failed ran in part; a ``for`` loop or a ``with`` block may have bound
names before its error. Those matter only when the new code reads them (a check such as
``print(row)`` right after the failure).

When something would be lost, the cell is cut to the statements that ran (:attr:`Loss.trim`)
when that is exact: the traceback names the line of the failing top-level statement, no
other statement shares that line, and nothing it bound in part is needed. Otherwise the
cell can only be kept whole.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from .failure import Failure
from .ipython_syntax import python_view
from .names import effects
from .redact import REDACTED

_COMPOUND = (
    ast.For,
    ast.AsyncFor,
    ast.While,
    ast.With,
    ast.AsyncWith,
    ast.If,
    ast.Try,
    ast.Match,
    *((ast.TryStar,) if hasattr(ast, "TryStar") else ()),
)


@dataclass(frozen=True)
class Loss:
    """What replacing a cell's code would lose; empty (false) when nothing."""

    names: tuple[str, ...] = ()
    """Names the cell set or changed that the new code does not set again, in order."""
    used: tuple[str, ...] = ()
    """Those of :attr:`names` that the new code reads."""
    unknown: tuple[str, ...] = ()
    """What the cell ran whose effect on names cannot be told (``%run prep.py``)."""
    trim: str | None = None
    """The cell cut to exactly the statements that ran before the failing one; None when
    it cannot be cut exactly (it must be kept whole)."""

    def __bool__(self) -> bool:
        return bool(self.names or self.unknown)


@dataclass
class _NewCode:
    """What the new code does: names it binds before reading them, names it reads first."""

    readable: bool
    provides: set[str] = field(default_factory=set)
    reads: set[str] = field(default_factory=set)
    body: list[ast.stmt] = field(default_factory=list)
    unknown_lines: set[str] = field(default_factory=set)
    _dumps: set[str] | None = None

    def repeats(self, statement: ast.stmt) -> bool:
        """Whether the new code has ``statement`` too (so it redoes its changes)."""
        if self._dumps is None:
            self._dumps = {ast.dump(s) for s in self.body}
        return ast.dump(statement) in self._dumps


def replacing_loses(old: str, new: str, failure: Failure | None = None) -> Loss:
    """What replacing cell code ``old`` with ``new`` loses. ``failure`` says where ``old``
    failed; None means it ran to its end."""
    if failure is not None and not failure.compiled:
        return Loss()  # it did not compile: none of it ran
    view = python_view(old)
    fresh = _read_new(new)
    if view.tree is None:
        if view.runs_no_python:  # %%bash: only what --out and friends bind
            return _loss([n for n in sorted(view.binds) if n not in fresh.provides], fresh)
        what = next(iter(view.unknown.values()), "code CodeAct cannot read as Python")
        return Loss(unknown=(what,))
    body = view.tree.body
    at = len(body) if failure is None else _failing_index(body, failure.line)
    ran = body if at is None else body[:at]
    if at is not None and at < len(body) and _shares_its_line(body, at):
        ran, at = body[: _last_on_line(body, at) + 1], None  # a; b: which failed is unknown
    names: list[str] = []
    unknown: list[str] = []
    for statement in ran:
        found = effects(statement)
        changes = found.changes - found.binds
        repeated = bool(changes or found.unknown) and fresh.repeats(statement)
        touched = sorted(found.binds) + sorted(changes if not repeated else ())
        names += [n for n in touched if n not in fresh.provides and n not in names]
        if not repeated:
            unknown += found.unknown
        unknown += [
            what
            for line, what in sorted(view.unknown.items())
            if _first_line(statement) <= line <= (statement.end_lineno or 0)
            and what not in fresh.unknown_lines
        ]
    names += [n for n in sorted(view.binds) if n not in fresh.provides and n not in names]
    failing = body[at] if at is not None and at < len(body) else None
    partly = _needed_in_part(failing, fresh) if failing is not None else []
    names += [n for n in partly if n not in names]
    loss = _loss(names, fresh, unknown)
    if not loss or at is None or at == 0 or failing is None or partly:
        return loss
    return Loss(loss.names, loss.used, loss.unknown, trim=_cut(old, body, at))


def _loss(names: list[str], fresh: _NewCode, unknown: list[str] | None = None) -> Loss:
    used = [n for n in names if not fresh.readable or n in fresh.reads]
    return Loss(names=tuple(names), used=tuple(used), unknown=tuple(dict.fromkeys(unknown or ())))


def _read_new(code: str) -> _NewCode:
    view = python_view(code)
    if view.tree is None:
        return _NewCode(readable=False, provides=set(view.binds))
    body = view.tree.body
    fresh = _NewCode(readable=True, body=body, unknown_lines=set(view.unknown.values()))
    bound: set[str] = set()
    for statement in body:
        found = effects(statement)
        fresh.reads |= found.reads_first - bound
        bound |= found.binds
    fresh.provides = (bound | view.binds) - fresh.reads
    return fresh


def _needed_in_part(failing: ast.stmt, fresh: _NewCode) -> list[str]:
    """Names the failing statement may have set before its error that the new code reads."""
    if isinstance(failing, _COMPOUND):
        found = effects(failing)
        partly = found.binds | found.changes
    else:  # a simple statement binds its targets only once it succeeded
        partly = {n.target.id for n in ast.walk(failing) if isinstance(n, ast.NamedExpr)}
        if isinstance(failing, ast.Import) and len(failing.names) > 1:
            partly |= effects(failing).binds
    return sorted(
        n for n in partly if n not in fresh.provides and (not fresh.readable or n in fresh.reads)
    )


def _first_line(statement: ast.stmt) -> int:
    decorators: list[ast.expr] = getattr(statement, "decorator_list", [])
    return min([statement.lineno, *(d.lineno for d in decorators)])


def _failing_index(body: list[ast.stmt], line: int | None) -> int | None:
    """The index of the top-level statement that holds ``line`` (None if none does)."""
    if line is None:
        return None
    for index, statement in enumerate(body):
        if _first_line(statement) <= line <= (statement.end_lineno or statement.lineno):
            return index
    return None


def _shares_its_line(body: list[ast.stmt], at: int) -> bool:
    return _last_on_line(body, at) != at or (
        at > 0 and (body[at - 1].end_lineno or 0) >= _first_line(body[at])
    )


def _last_on_line(body: list[ast.stmt], at: int) -> int:
    end = body[at].end_lineno or body[at].lineno
    last = at
    while last + 1 < len(body) and _first_line(body[last + 1]) <= end:
        last += 1
    return last


def _cut(code: str, body: list[ast.stmt], at: int) -> str | None:
    """``code`` cut after the line where statement ``at - 1`` ends (no other statement
    shares it), if the rest still reads as the cell's code."""
    last = body[at - 1]
    # Whole lines: a comment at the end of the last one stays.
    # Complete statements, with no other one on their last line: the rest parses as is.
    trimmed = "\n".join(code.split("\n")[: last.end_lineno or last.lineno]).rstrip()
    return None if not trimmed or REDACTED in code else trimmed
