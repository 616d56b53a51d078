"""Where a cell failed, read from its error output: the line of the cell it failed on.

Every host runs agent code in IPython (the notebook's kernel, a ``jupyter_client`` kernel,
the magic's own shell) and gets the same error output: ``ename``, ``evalue`` and the
``traceback`` lines IPython formats (with ANSI colours). The first frame of that traceback
is the cell's own top-level code, whatever failed deeper down:

- IPython 8 and later: ``Cell In[3], line 4`` (a function of the cell or of another cell
  follows as ``Cell In[3], line 2, in total(d)``);
- IPython 8.0 to 8.5: ``Input In [3], in <cell line: 4>()``; IPython 7:
  ``<ipython-input-3-1f0c...> in <module>`` and its ``----> 4`` arrow;
- a ``%%time`` cell: its first frame is the magic's line; the body's line follows as
  ``File <timed exec>:2``.

A cell that did not compile shows no frames (``Cell In[3], line 2`` and the
``SyntaxError``): nothing of it ran. Anything else (``%xmode Minimal``, an error the shell
raised with no traceback) gives no line: the cell rule then takes the safe choice.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from .ipython_syntax import PythonView

_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
_FRAME = re.compile(
    r"^(?:Cell In\[\d*\], line (?P<cell>\d+)"
    r"|Input In \[\d*\], in <cell line: (?P<cell_8_0>\d+)>"
    r"|File (?P<file>.+?):(?P<file_line>\d+)"
    r"|(?P<input><ipython-input-\d+-[0-9a-f]+>|Input In \[\d*\])"
    r"|(?P<other>\S+\.py) in )"
)
_ARROW = re.compile(r"^-+>\s*(\d+)")
_KERNEL_CELL_FILE = re.compile(r"ipykernel_\d+[/\\]\d+\.py$")
_COMPILE_ERRORS = frozenset({"SyntaxError", "IndentationError", "TabError"})
_TRACEBACK_HEADER = "Traceback (most recent call last)"


@dataclass(frozen=True)
class Failure:
    """Where a cell's run stopped."""

    line: int | None
    """The 1-based line of the cell where the top-level statement that failed is; None
    when the error output does not say."""
    compiled: bool = True
    """False when the cell did not compile, so none of it ran."""
    error: str = ""
    """The error's name (``KeyError``), for the notes."""


def failure_of(outputs: Iterable[dict[str, Any]], code: str, view: PythonView) -> Failure:
    """Where the cell ``code`` (read as ``view``) failed, from its ``outputs``."""
    error = next((o for o in outputs if o.get("output_type") == "error"), None)
    if error is None:
        return Failure(line=None)
    name = str(error.get("ename", ""))
    traceback = error.get("traceback") or []
    text = _ANSI.sub("", "\n".join(str(part) for part in traceback))
    lines = [line.strip() for line in text.split("\n")]
    if name in _COMPILE_ERRORS and _TRACEBACK_HEADER not in text and view.tree is None:
        return Failure(line=None, compiled=False, error=name)
    line = _first_frame_line(lines)
    if line is not None and view.cell_magic and line <= _magic_line(code):
        line = _body_line(lines, code)  # the line of a %%time cell's body
    if line is not None and not 1 <= line <= code.count("\n") + 1:
        line = None
    return Failure(line=line, error=name)


def _first_frame_line(lines: list[str]) -> int | None:
    """The line of the traceback's first frame, if that frame is the cell's own code."""
    for index, line in enumerate(lines):
        frame = _FRAME.match(line)
        if frame is None:
            continue
        if frame["cell"] or frame["cell_8_0"]:
            return int(frame["cell"] or frame["cell_8_0"])
        if frame["file"] and _KERNEL_CELL_FILE.search(frame["file"]):
            return int(frame["file_line"])
        if frame["input"]:
            for after in lines[index + 1 :]:
                if arrow := _ARROW.match(after):
                    return int(arrow[1])
                if _FRAME.match(after):
                    break
        return None  # the first frame is not the cell's: a host we do not know
    return None


def _magic_line(code: str) -> int:
    lines = code.split("\n")
    return next((i for i, line in enumerate(lines, start=1) if line.strip()), 1)


def _body_line(lines: list[str], code: str) -> int | None:
    for line in lines:
        frame = _FRAME.match(line)
        if frame is not None and frame["file"] == "<timed exec>":
            return _magic_line(code) + int(frame["file_line"])
    return None
