"""A cell's code as plain Python, line for line, without IPython: what the cell rule reads.

Agent cells run in IPython, which also takes ``%magics``, ``!shell`` lines, ``x = !ls``,
``obj?`` help and ``%%cell`` magics. The core may not import IPython, so this module turns
those lines into Python of the same effect *on the names a cell binds*, keeping every line
where it was (tracebacks name cell lines, and trimming a cell cuts its own lines):

- ``!cmd``, ``obj?``, ``%pip``, ``%matplotlib`` and the other line magics that bind no
  name become ``pass``; ``x = !cmd`` and ``x = %magic`` become ``x = None``;
- ``%time stmt``, ``%timeit stmt`` and ``%prun stmt`` become ``stmt``;
- a ``%%time`` (``%%timeit``, ``%%prun``) cell is its body; ``%%capture out`` binds ``out``;
- ``%%bash``, ``%%writefile`` and the other cell magics that run no Python bind nothing
  (except the names given to ``--out``, ``--err``, ``--proc``);
- anything else (``%run``, ``%store -r``, an unknown magic, a cell magic CodeAct does not
  know) is named in :attr:`PythonView.unknown`: the rule cannot tell what it binds, so it
  takes the safe choice.
"""

from __future__ import annotations

import ast
import functools
import re
from dataclasses import dataclass, field

RUNS_ITS_ARGUMENT = frozenset({"time", "timeit", "prun"})
"""Line and cell magics whose argument (or body) is Python run in the user's namespace."""

BINDS_NOTHING = frozenset(
    {
        "aimport", "alias", "autoawait", "autocall", "automagic", "autoreload", "bookmark",
        "cat", "cd", "clear", "colors", "conda", "config", "cp", "debug", "dhist", "dirs",
        "doctest_mode", "env", "history", "killbgscripts", "less", "load_ext", "logoff",
        "logon", "logstart", "logstate", "logstop", "ls", "lsmagic", "magic", "mamba", "man",
        "matplotlib", "mkdir", "more", "mv", "page", "pdb", "pdef", "pdoc", "pfile", "pinfo",
        "pinfo2", "pip", "popd", "pprint", "precision", "psearch", "psource", "pushd", "pwd",
        "pycat", "quickref", "reload_ext", "reset", "reset_selective", "rm", "rmdir", "save",
        "sx", "system", "tb", "unalias", "unload_ext", "uv", "who", "who_ls", "whos", "xdel",
        "xmode",
    }
)  # fmt: skip
"""Line magics that bind no name of the user's namespace (as statements)."""

SCRIPT_CELLS = frozenset(
    {
        "bash", "sh", "script", "perl", "ruby", "python", "python2", "python3", "pypy",
        "html", "HTML", "javascript", "js", "latex", "markdown", "svg", "writefile", "file",
    }
)  # fmt: skip
"""Cell magics that run no Python in the user's namespace."""

_LINE_MAGIC = re.compile(r"^(?P<indent>[ \t]*)%(?P<name>[A-Za-z_]\w*)(?P<rest>.*)$")
_SHELL = re.compile(r"^(?P<indent>[ \t]*)!")
_ASSIGNED = re.compile(
    r"^(?P<indent>[ \t]*)(?P<targets>[A-Za-z_]\w*(?:[ \t]*,[ \t]*[A-Za-z_]\w*)*)[ \t]*=[ \t]*"
    r"(?P<escape>!|%[A-Za-z_]\w*)"
)
_HELP = re.compile(r"^[ \t]*(\?{1,2}[\w.%*]+|[\w.%*\[\]()'\"]+\?{1,2})[ \t]*$")
_OUTPUT_OPTION = re.compile(r"--(?:out|err|proc)[ \t=]+([A-Za-z_]\w*)")


@dataclass(frozen=True)
class PythonView:
    """The Python a cell amounts to, line for line with the cell."""

    source: str | None
    """Plain Python with the cell's line numbers; None when the cell runs no Python (a
    ``%%bash`` cell) or could not be read as Python (:attr:`tree` is None then too)."""
    tree: ast.Module | None = None
    """``source`` parsed; None when it is not Python this interpreter parses."""
    binds: frozenset[str] = frozenset()
    """Names bound by IPython syntax the tree does not show (``%%capture out``,
    ``%%bash --out x``)."""
    unknown: dict[int, str] = field(default_factory=dict)
    """Lines (1-based) whose effect on names cannot be told, with what they are."""
    cell_magic: str = ""
    """The cell magic of the cell (``time``, ``bash``...), "" for none."""
    changed: frozenset[int] = frozenset()
    """Lines (1-based) that were rewritten: their columns are not the cell's."""

    @property
    def runs_no_python(self) -> bool:
        """A cell magic that runs no Python in the user's namespace (``%%bash``)."""
        return self.cell_magic in SCRIPT_CELLS


@functools.lru_cache(maxsize=16)
def python_view(code: str) -> PythonView:
    """The Python that ``code`` (a cell's source, IPython syntax allowed) amounts to.

    Cached: a failed cell is read when it is recorded and again when the next action is
    placed (the view is never changed by its readers)."""
    plain = _parse(code)
    if plain is not None:
        return PythonView(source=code, tree=plain)
    lines = code.split("\n")
    first = next((i for i, line in enumerate(lines) if line.strip()), 0)
    if lines and lines[first].startswith("%%"):
        return _cell_magic(lines, first)
    return _line_syntax(lines)


def _parse(source: str) -> ast.Module | None:
    try:
        return ast.parse(source)
    except (SyntaxError, ValueError):  # ValueError: a NUL byte
        return None


def _cell_magic(lines: list[str], first: int) -> PythonView:
    header = lines[first][2:].strip()
    name, _, arguments = header.partition(" ")
    if name in SCRIPT_CELLS:
        names = frozenset(_OUTPUT_OPTION.findall(arguments))
        return PythonView(source=None, binds=names, cell_magic=name)
    if name in RUNS_ITS_ARGUMENT or name == "capture":
        # The body is Python run in the user's namespace; the header line binds nothing
        # (``%%capture out`` binds ``out``).
        body = _line_syntax(["" for _ in lines[: first + 1]] + lines[first + 1 :])
        binds = body.binds
        if name == "capture":
            words = [word for word in arguments.split() if not word.startswith("-")]
            binds = binds | frozenset(words[:1])
        return PythonView(
            source=body.source,
            tree=body.tree,
            binds=binds,
            unknown=body.unknown,
            cell_magic=name,
            changed=body.changed | {first + 1},
        )
    return PythonView(source=None, unknown={first + 1: f"%%{name}"}, cell_magic=name)


def _line_syntax(lines: list[str]) -> PythonView:
    out: list[str] = []
    unknown: dict[int, str] = {}
    changed: set[int] = set()
    for number, line in enumerate(lines, start=1):
        rewritten, what = _rewrite(line)
        if rewritten != line:
            changed.add(number)
        if what:
            unknown[number] = what
        out.append(rewritten)
    source = "\n".join(out)
    tree = _parse(source)
    if tree is not None and unknown:
        # A "%s" line inside a multi-line string is text, not a magic.
        inside = _string_lines(tree)
        unknown = {line: what for line, what in unknown.items() if line not in inside}
    return PythonView(
        source=source if tree is not None else None,
        tree=tree,
        unknown=unknown,
        changed=frozenset(changed),
    )


def _string_lines(tree: ast.Module) -> set[int]:
    """The lines after the first of each string that spans lines."""
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant | ast.JoinedStr) and node.end_lineno:
            lines.update(range(node.lineno + 1, node.end_lineno + 1))
    return lines


def _rewrite(line: str) -> tuple[str, str]:
    """One line as Python, and what in it cannot be told ("" if nothing)."""
    if assigned := _ASSIGNED.match(line):
        # x = !ls, files = %sx ls: binds the names, to something we need not know.
        return f"{assigned['indent']}{assigned['targets']} = None", ""
    if shell := _SHELL.match(line):
        return f"{shell['indent']}pass", ""
    if magic := _LINE_MAGIC.match(line):
        indent, name, rest = magic["indent"], magic["name"], magic["rest"]
        if name in RUNS_ITS_ARGUMENT:
            statement = _magic_statement(name, rest)
            return (f"{indent}{statement}", "") if statement else (f"{indent}pass", "")
        if name in BINDS_NOTHING or rest.rstrip().endswith("?"):
            return f"{indent}pass", ""
        return f"{indent}pass", f"%{name}{rest}".strip()
    if _HELP.match(line):
        indent = line[: len(line) - len(line.lstrip())]
        return f"{indent}pass", ""
    return line, ""


_VALUED_OPTIONS = {"timeit": frozenset("nrp"), "prun": frozenset("lsTD"), "time": frozenset()}


def _magic_statement(name: str, rest: str) -> str:
    """The Python of ``%time stmt``: its options (``%timeit -n1 -r1``) dropped."""
    skip_value = False
    for word in re.finditer(r"\S+", rest):
        if skip_value:
            skip_value = False
        elif word[0].startswith("-"):
            skip_value = len(word[0]) == 2 and word[0][1] in _VALUED_OPTIONS[name]
        else:
            return rest[word.start() :].strip()
    return ""
