"""What ``%%codeact --insert`` puts into the next cell: the run's cells, as a notebook keeps them.

IPython takes one ``set_next_input`` per execution, so the run's cells become one cell, in
the order the cell rule keeps them (:mod:`jupyter_codeact.core.cells`): a fix in place of
the step it fixed, a revised step in place of the earlier one, a failed step that a later
one went below cut to the statements that ran before its error. A failed step kept whole
(what ran of it is needed, and it cannot be cut exactly) goes in guarded, so that running
the cell goes on past its error, as the ``raises-exception`` tag does for a cell of its own.
Other failed steps are left out.
"""

from __future__ import annotations

import io
import textwrap
import tokenize
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field

from IPython.core.inputtransformer2 import TransformerManager

from ..core.cells import Cell

GUARD = "try:  # CodeAct: this step failed{error}; it stays for what it defines before its error"
LEFT_OUT = (
    "Step {id} failed and is not in the cell below (it could not be guarded as it is); "
    "run it first if the code below needs what it defines."
)


@dataclass
class Inserted:
    """The code for the next cell ("" for none), and what the user must be told."""

    code: str = ""
    notes: list[str] = field(default_factory=list)


def inserted(cells: Iterable[Cell], ran: Collection[str]) -> Inserted:
    """The code of the ``cells`` (the agent's, in order) that this run's steps ran in."""
    out = Inserted()
    codes: list[str] = []
    for cell in cells:
        if cell.id not in ran:
            continue
        if cell.status == "ok":
            codes.append(cell.code)
        elif cell.kept:
            guarded = guard(cell)
            if guarded is None:
                out.notes.append(LEFT_OUT.format(id=cell.id))
            else:
                codes.append(guarded)
    out.code = "\n\n".join(codes)
    return out


def guard(cell: Cell) -> str | None:
    """``cell``'s code inside ``try``/``except Exception``, or None when indenting it would
    change it (a string that spans lines) or it is a cell magic."""
    code = cell.code.strip("\n")
    if code.lstrip().startswith("%%"):
        return None
    try:
        python = TransformerManager().transform_cell(code)  # type: ignore[no-untyped-call]
        tokens = list(tokenize.generate_tokens(io.StringIO(python).readline))
    except (SyntaxError, tokenize.TokenError, IndentationError):
        return None
    spanning = (tokenize.NEWLINE, tokenize.NL, tokenize.DEDENT, tokenize.INDENT)
    if any(t.start[0] != t.end[0] and t.type not in spanning for t in tokens):
        return None
    error = f" ({cell.failure.error})" if cell.failure and cell.failure.error else ""
    body = textwrap.indent(code, "    ", lambda line: True)
    return f"{GUARD.format(error=error)}\n{body}\nexcept Exception:\n    pass"
