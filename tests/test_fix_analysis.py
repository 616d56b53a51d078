"""The parts of the cell rule's decision: IPython syntax read as Python, the failing line
from real tracebacks, the names a statement binds and changes, and what a replacement
would lose."""

from __future__ import annotations

import ast

import pytest

from jupyter_codeact.core.cells import CellBook, Placement
from jupyter_codeact.core.events import Action
from jupyter_codeact.core.executor import ExecutionResult
from jupyter_codeact.core.failure import Failure, failure_of
from jupyter_codeact.core.ipython_syntax import python_view
from jupyter_codeact.core.names import effects
from jupyter_codeact.core.replacing import replacing_loses
from jupyter_codeact.executors.kernel import KernelExecutor

# -- IPython syntax ------------------------------------------------------------------------


def test_ipython_lines_become_python_on_the_same_lines() -> None:
    view = python_view(
        "import os\n!ls -l\nfiles = !ls\n%time x = 1\n%timeit -n 10 -r 1 y = 2\ndf?\n"
        "??df.head\n%pip install rich\nif x:\n    %matplotlib inline\nz = 3  # why?"
    )
    assert view.source == (
        "import os\npass\nfiles = None\nx = 1\ny = 2\npass\npass\npass\nif x:\n    pass\n"
        "z = 3  # why?"
    )
    assert not view.unknown and view.tree is not None


def test_plain_python_is_left_alone_even_where_it_looks_like_ipython() -> None:
    code = "total = (10\n% 3)\nnote = '''\n!not a shell line\n'''"
    assert python_view(code).source == code


def test_magics_whose_effect_cannot_be_told_are_named() -> None:
    view = python_view("%run prep.py\nx = 1\n%store -r model\n%load_ext autoreload")
    assert view.unknown == {1: "%run prep.py", 3: "%store -r model"}
    # In a string, a line that starts with % is text.
    query = python_view('!ls\nsql = """\nSELECT * FROM t WHERE a LIKE\n%s\n"""')
    assert query.unknown == {} and query.tree is not None


@pytest.mark.parametrize(
    ("cell", "source", "binds", "runs_no_python"),
    [
        ("%%time\na = 1\nb = a + 1", "\na = 1\nb = a + 1", set(), False),
        ("%%capture out\nprint(1)", "\nprint(1)", {"out"}, False),
        ("%%bash\nls", None, set(), True),
        ("%%bash --out listing --err problems\nls", None, {"listing", "problems"}, True),
        ("%%writefile notes.txt\nhello", None, set(), True),
    ],
)
def test_cell_magics(cell: str, source: str | None, binds: set[str], runs_no_python: bool) -> None:
    view = python_view(cell)
    assert (view.source, set(view.binds), view.runs_no_python) == (source, binds, runs_no_python)


def test_an_unknown_cell_magic_cannot_be_told() -> None:
    view = python_view("%%sql\nSELECT 1")
    assert view.tree is None and view.unknown == {1: "%%sql"}


# -- the failing line, from real tracebacks ------------------------------------------------


async def failed(kernel: KernelExecutor, code: str) -> Failure:
    result = await kernel.execute(code, timeout=30)
    assert result.status == "error"
    return failure_of(result.outputs, code, python_view(code))


@pytest.mark.asyncio
async def test_the_failing_line_is_the_cells_own_top_level_line(kernel: KernelExecutor) -> None:
    assert await failed(kernel, "a = 1\n\nb = {}['x']\nc = 3") == Failure(3, error="KeyError")
    nested = "def f(d):\n    return d['x']\n\nf({})"
    assert (await failed(kernel, nested)).line == 4  # the call, not the function's line 2
    assert (await failed(kernel, "import os\n%time y = 1\n!true\nz = {}['q']")).line == 4
    assert (await failed(kernel, "%%time\na = 1\nb = {}['x']")).line == 3  # the body's line
    assert await failed(kernel, "a = 1\nb = (2,") == Failure(
        None, compiled=False, error="SyntaxError"
    )
    await kernel.execute("%xmode Minimal", timeout=30)
    assert (await failed(kernel, "x = 1\n{}['q']")).line is None  # no frames: cannot tell
    await kernel.execute("%xmode Context", timeout=30)


@pytest.mark.parametrize(
    "traceback",
    [
        # IPython 8.0 to 8.5
        "KeyError  Traceback (most recent call last)\nInput In [7], in <cell line: 3>()\n"
        "      1 a = 1\n----> 3 b = {}['x']\n\nKeyError: 'x'",
        # IPython 7
        "KeyError  Traceback (most recent call last)\n<ipython-input-7-0a1b2c3d4e5f> in "
        "<module>\n      1 a = 1\n      2 \n----> 3 b = {}['x']\n\nKeyError: 'x'",
        # A cell file IPython could not name (ANSI colours as the kernel sends them)
        "\x1b[0;31mKeyError\x1b[0m  Traceback (most recent call last)\n"
        "File \x1b[0;32m/tmp/ipykernel_4242/3301.py:3\x1b[0m\n----> 3 b = {}['x']",
    ],
)
def test_older_and_other_traceback_shapes(traceback: str) -> None:
    outputs = [{"output_type": "error", "ename": "KeyError", "traceback": traceback.split("\n")}]
    code = "a = 1\n\nb = {}['x']"
    assert failure_of(outputs, code, python_view(code)).line == 3


def test_a_first_frame_outside_the_cell_gives_no_line() -> None:
    outputs = [
        {
            "output_type": "error",
            "ename": "KeyError",
            "traceback": ["File /usr/lib/python3/json/decoder.py:337, in decode()", "KeyError"],
        }
    ]
    assert failure_of(outputs, "x = 1", python_view("x = 1")).line is None


# -- names ---------------------------------------------------------------------------------


def effects_of(code: str) -> tuple[set[str], set[str], set[str]]:
    found = effects(ast.parse(code).body[0])
    return found.binds, found.reads, found.changes


@pytest.mark.parametrize(
    ("code", "binds", "reads", "changes"),
    [
        ("a, (b, *c) = d", {"a", "b", "c"}, {"d"}, set()),
        ("x += y", {"x"}, {"x", "y"}, set()),
        ("import a.b as c, d.e", {"c", "d"}, set(), set()),
        ("for i, row in rows: total = row", {"i", "row", "total"}, {"rows", "row"}, set()),
        ("with open(p) as f: text = f.read()", {"f", "text"}, {"open", "p", "f"}, set()),
        ("if (n := len(s)) > 3: pass", {"n"}, {"len", "s"}, set()),
        ("[y := v for v in items]", {"y"}, {"items"}, set()),
        ("def f(a, b=c):\n    d = a\n    return d + e", {"f"}, {"c", "e"}, set()),
        ("def g():\n    global cache\n    cache = 1", {"g", "cache"}, set(), set()),
        ("class K(Base):\n    n = 1\n    def m(self): return n", {"K"}, {"Base", "n"}, set()),
        ("df['x'] = df.a * 2", set(), {"df"}, {"df"}),
        ("df.loc[0, 'x'] += 1", set(), {"df"}, {"df"}),
        ("items.append(4)", set(), {"items"}, {"items"}),
        ("df.dropna(inplace=True)", set(), {"df"}, {"df"}),
        ("del d['k']", set(), {"d"}, {"d"}),
        ("print(items.copy())", set(), {"print", "items"}, set()),
        ("match p:\n    case {'k': v, **rest}: pass", {"v", "rest"}, {"p"}, set()),
        ("try:\n    x = 1\nexcept E as err:\n    y = err", {"x", "y"}, {"E", "err"}, set()),
    ],
)
def test_effects_of_a_statement(
    code: str, binds: set[str], reads: set[str], changes: set[str]
) -> None:
    assert effects_of(code) == (binds, reads, changes)


def test_reads_before_the_statement_binds_them() -> None:
    assert effects(ast.parse("for row in rows: print(row)").body[0]).reads_first == {
        "rows",
        "print",
    }
    assert effects(ast.parse("x += 1").body[0]).reads_first == {"x"}


def test_a_star_import_is_unknown() -> None:
    assert effects(ast.parse("from json import *").body[0]).unknown == ["from json import *"]


# -- what a replacement loses --------------------------------------------------------------

SALES = "sales = {'revenue': [1, 2]}\nprint(sum(sales['Revenue']))"


def test_nothing_is_lost_when_the_new_code_binds_it_again_before_reading_it() -> None:
    assert not replacing_loses(SALES, "sales = {'revenue': [1]}\nprint(sales)", Failure(2))
    # Read first, bound after: the old value is still needed.
    assert replacing_loses(SALES, "print(sales)\nsales = {}", Failure(2)).names == ("sales",)


def test_a_complete_fix_of_a_failed_loop_loses_nothing() -> None:
    old = "rows = [{'a': 1}]\ntotal = 0\nfor row in rows:\n    total += row['b']"
    fix = "rows = [{'a': 1}]\ntotal = 0\nfor row in rows:\n    total += row.get('b', 0)"
    assert not replacing_loses(old, fix, Failure(4))
    # Only the loop again: `rows` and `total` are read before the fix binds them.
    loop = "for row in rows:\n    total += row.get('b', 0)"
    assert replacing_loses(old, loop, Failure(4)).names == ("rows", "total")


def test_a_repeated_change_in_place_is_redone_by_the_new_code() -> None:
    old = "df['x'] = 1\nprint(df['y'])"
    assert not replacing_loses(old, "df['x'] = 1\nprint(df['Y'])", Failure(2))
    assert replacing_loses(old, "print(df['Y'])", Failure(2)).names == ("df",)


def test_statements_sharing_the_failing_line_cannot_be_cut() -> None:
    loss = replacing_loses("a = 1; b = a['x']", "print(a)", Failure(1))
    assert loss.names == ("a", "b") and loss.trim is None


def test_an_unknown_failing_line_counts_the_whole_cell_as_run() -> None:
    loss = replacing_loses(SALES, "print(1)", Failure(None))
    assert loss.names == ("sales",) and loss.trim is None


def test_a_cell_that_did_not_compile_loses_nothing() -> None:
    assert not replacing_loses("sales = {}\nprint(", "print(1)", Failure(None, compiled=False))


def test_a_cell_that_ran_to_its_end_loses_all_it_bound() -> None:
    loss = replacing_loses("x = 1\ny = 2", "x = 3", None)
    assert loss.names == ("y",) and loss.trim is None


def test_a_cut_keeps_whole_lines_and_never_a_redacted_cell() -> None:
    old = "key = 'abc'  # the token\n\n# now use it\nprint(key['x'])"
    assert replacing_loses(old, "print(key)", Failure(4)).trim == "key = 'abc'  # the token"
    redacted = "key = '[redacted]'\nprint(key['x'])"
    assert replacing_loses(redacted, "print(key)", Failure(2)).trim is None


# -- the book: a cell that killed the kernel ------------------------------------------------


def test_a_cell_that_killed_the_kernel_is_replaced_unless_it_can_be_cut() -> None:
    cells = CellBook(new_id=lambda taken: f"c{len(taken) + 1}")
    code = "sales = {'revenue': [1]}\nimport os; os._exit(1)"
    place = cells.place({}, code)
    assert isinstance(place, Placement)
    cells.record(
        Action(turn=1, code=code, action_id="a", cell=place.cell),
        ExecutionResult(status="died", code=code),  # no traceback: where it died is unknown
    )
    check = cells.place({}, "print(list(sales))")
    assert isinstance(check, Placement) and check.replaces == "c1" and not check.keeps
