"""The cell rule against the ways real models debug: a fix replaces its failed cell only when
nothing the notebook needs goes with it. Each test runs a reply sequence shaped like real
ones (prose, then the action) through the real loop, a real kernel and the scripted model,
then runs the cells the conversation kept on a fresh kernel, as *Restart Kernel and Run
All Cells* would."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from jupyter_codeact.core import Action, Agent, AgentOptions, AnyEvent, Observation
from jupyter_codeact.core.cells import Cell
from jupyter_codeact.core.llm import OpenAIChat
from jupyter_codeact.core.prompts import CODE_TOOL
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.testing import Reply, ScriptedLLM

pytestmark = pytest.mark.asyncio

SALES = "sales = {'region': ['north', 'south'], 'revenue': [120, 80]}"


def execute(code: str, prose: str = "") -> str:
    return (
        f"{prose}\n\n<execute>\n{code}\n</execute>" if prose else f"<execute>\n{code}\n</execute>"
    )


Start = Callable[..., Awaitable[tuple[list[AnyEvent], list[Cell]]]]


@pytest.fixture
def start(llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor) -> Start:
    """Run one request answered by the given replies (then a final answer); its events
    and the agent's cells."""

    async def go(*replies: str | Reply) -> tuple[list[AnyEvent], list[Cell]]:
        llm_server.push(*replies, "<solution>done</solution>")
        agent = Agent(llm, kernel, AgentOptions(cells=True))
        events = [e async for e in agent.run("What is the total revenue?")]
        return events, agent.cells.cells

    return go


def actions(events: list[AnyEvent]) -> list[Action]:
    return [e for e in events if isinstance(e, Action)]


def observations(events: list[AnyEvent]) -> list[Observation]:
    return [e for e in events if isinstance(e, Observation)]


async def run_all(cells: list[Cell]) -> list[str]:
    """Run the cells' code in order on a fresh kernel; each cell's text output. A cell kept
    whole (marked as failed) may fail again; any other failure fails the test."""
    printed = []
    async with KernelExecutor() as fresh:
        for cell in cells:
            result = await fresh.execute(cell.code, timeout=60)
            assert result.status == "ok" or cell.kept, (cell.code, result.outputs)
            printed.append("".join(o.get("text", "") for o in result.outputs))
    return printed


async def test_diagnose_then_fix_keeps_the_cell_that_defines_the_data(start: Start) -> None:
    events, cells = await start(
        execute(f"{SALES}\nprint(sum(sales['Revenue']))", "Let me add up the revenue."),
        execute("print(list(sales))", "There is no 'Revenue' key. Let me look at the keys:"),
        execute("print(sum(sales['revenue']))", "The key is lowercase."),
    )
    first, check, fix = actions(events)
    assert check.keeps == first.cell and not check.replaces
    assert check.trim_to == SALES
    assert check.note == (
        "Kept the cell that defines `sales` (cut to the statements that ran before its error); "
        "this code goes into a new cell below it."
    )
    assert not fix.replaces and not fix.keeps  # the check succeeded: nothing pending
    assert [(c.id, c.code, c.status) for c in cells] == [
        (first.cell, SALES, "ok"),
        (check.cell, "print(list(sales))", "ok"),
        (fix.cell, "print(sum(sales['revenue']))", "ok"),
    ]
    told = observations(events)[1].text
    assert (
        f"(This ran in a new cell {check.cell}, inserted after cell {first.cell}, which was "
        "kept rather than replaced: this code does not define `sales` again; cell "
        f"{first.cell} now holds only the statements that ran before its error.)"
    ) in told
    assert await run_all(cells) == ["", "['region', 'revenue']\n", "200\n"]


async def test_a_fix_of_only_the_failing_line_goes_below_the_cell_it_needs(start: Start) -> None:
    setup = (
        "import sqlite3\n"
        "conn = sqlite3.connect(':memory:')\n"
        "conn.execute('CREATE TABLE people (name TEXT, \"Last elected\" INTEGER)')\n"
        "conn.execute(\"INSERT INTO people VALUES ('Ada', 2017)\")\n"
    )
    failing = "result = conn.execute('SELECT Last_elected FROM people').fetchone()\nprint(result)"
    fixed = (
        "result = conn.execute('SELECT \"Last elected\" FROM people').fetchone()\nprint(result[0])"
    )
    events, cells = await start(
        execute(setup + failing, "I will load the table and query it."),
        execute(fixed, "The column name is actually 'Last elected'. Let me modify the query:"),
    )
    first, fix = actions(events)
    assert fix.keeps == first.cell and fix.trim_to == setup.rstrip()
    assert "`sqlite3` and `conn`" in fix.note
    assert await run_all(cells) == ["", "2017\n"]


async def test_a_full_fix_still_replaces_the_failed_cell(start: Start) -> None:
    events, cells = await start(
        execute(f"{SALES}\nprint(sum(sales['Revenue']))"),
        execute(f"{SALES}\nprint(sum(sales['revenue']))", "The key is lowercase; corrected:"),
    )
    first, fix = actions(events)
    assert fix.replaces == first.cell and fix.or_new and not fix.keeps
    assert observations(events)[1].replaced
    assert [c.code for c in cells] == [f"{SALES}\nprint(sum(sales['revenue']))"]
    assert await run_all(cells) == ["200\n"]


async def test_a_failure_in_the_first_statement_loses_nothing_and_replaces(start: Start) -> None:
    events, cells = await start(
        execute("sales = load_sales()\ntotal = sum(sales['revenue'])"),
        execute("print([name for name in dir() if not name.startswith('_')])", "Let me see:"),
    )
    first, check = actions(events)
    assert check.replaces == first.cell and not check.keeps
    assert len(cells) == 1 and cells[0].status == "ok"


async def test_a_failure_inside_a_function_body_is_placed_at_its_call(start: Start) -> None:
    cell = f"def total(data):\n    return sum(data['Revenue'])\n\n{SALES}\nprint(total(sales))"
    redefined = "def total(data):\n    return sum(data['revenue'])\n\nprint(total(sales))"
    events, cells = await start(
        execute(cell, "A helper, then the total."),
        execute(redefined, "The helper used the wrong key; here it is again:"),
    )
    first, fix = actions(events)
    # The traceback's first frame is the call (line 5); the function's line 2 is deeper.
    assert fix.keeps == first.cell
    assert fix.trim_to == f"def total(data):\n    return sum(data['Revenue'])\n\n{SALES}"
    assert "`sales`" in fix.note and "`total`" not in fix.note  # the fix defines total again
    assert await run_all(cells) == ["", "200\n"]


async def test_imports_above_the_failure_are_kept_for_a_fix_that_drops_them(start: Start) -> None:
    cell = (
        "import json\nimport statistics\ndata = json.loads('[3, 5, 10]')\n"
        "statistics.mean(data['values'])"
    )
    events, cells = await start(
        execute(cell),
        execute("data = json.loads('[3, 5, 10]')\nprint(statistics.mean(data))", "It is a list:"),
    )
    first, fix = actions(events)
    assert fix.keeps == first.cell
    assert fix.trim_to == "import json\nimport statistics\ndata = json.loads('[3, 5, 10]')"
    assert "`json` and `statistics`" in fix.note  # `data` is defined again by the fix
    assert await run_all(cells) == ["", "6\n"]


async def test_ipython_syntax_in_the_cell_does_not_break_the_rule(start: Start) -> None:
    cell = (
        f"import os\n!echo ready\n%time {SALES}\n%env CODEACT_TEST=1\nprint(sum(sales['Revenue']))"
    )
    events, cells = await start(
        execute(cell, "Loading, timed:"),
        execute("sales?\nprint(list(sales))", "Let me look at it:"),
        execute("%time total = sum(sales['revenue'])\nprint(total)"),
    )
    first, check, _ = actions(events)
    assert check.keeps == first.cell
    assert check.trim_to == f"import os\n!echo ready\n%time {SALES}\n%env CODEACT_TEST=1"
    printed = await run_all(cells)
    assert printed[0].startswith("ready") and printed[2].endswith("200\n")


async def test_a_shell_cell_that_binds_nothing_is_replaced_by_its_fix(start: Start) -> None:
    events, cells = await start(
        execute("%%bash\necho start\nexit 3"),
        execute("%%bash\necho fixed"),
    )
    first, fix = actions(events)
    assert fix.replaces == first.cell and not fix.keeps
    assert await run_all(cells) == ["fixed\n"]


async def test_what_cannot_be_told_keeps_the_cell(start: Start) -> None:
    events, _ = await start(
        execute("from json import *\nloads('[1]')['x']"),
        execute("print(dumps([1]))"),
    )
    first, check = actions(events)
    assert check.keeps == first.cell and check.trim_to == "from json import *"
    assert "since what `from json import *` defines cannot be told" in check.note


async def test_names_a_failed_loop_bound_in_part_keep_it_whole_when_read(start: Start) -> None:
    cell = (
        "rows = [{'revenue': 1}, {'Revenue': 2}]\ntotal = 0\n"
        "for row in rows:\n    total += row['revenue']"
    )
    events, cells = await start(
        execute(cell),
        execute("print(row, total)", "Which row failed?"),
        execute("print(sum(r.get('revenue', r.get('Revenue')) for r in rows))"),
    )
    first, check, _ = actions(events)
    assert check.keeps == first.cell and check.trim_to == ""  # row: bound in part
    assert "as it is, marked as failed" in check.note
    assert "stays whole, marked as failed" in observations(events)[1].text
    kept = cells[0]
    assert kept.kept and kept.status == "error" and kept.code == cell
    assert await run_all(cells) == ["", "{'Revenue': 2} 1\n", "3\n"]


async def test_execute_new_keeps_the_failed_cell_whole(start: Start) -> None:
    events, cells = await start(
        execute("print(totl)"),
        '<execute new>\nprint("a new step")\n</execute>',
    )
    first, new = actions(events)
    assert new.keeps == first.cell and not new.trim_to and not new.replaces
    assert cells[0].kept
    assert "you wrote <execute new>" in observations(events)[1].text


async def test_an_explicit_replace_that_would_lose_names_is_refused(start: Start) -> None:
    first_reply = execute(f"{SALES}\nprint(sum(sales['revenue']))")
    revise = Reply(
        content='<execute replace="{cell}">\nprint(max(sales["revenue"]))\n</execute>',
        quote={"cell": r"\(This ran in cell (c[0-9a-f]+)\.\)"},
    )
    complete = Reply(
        content=f'<execute replace="{{cell}}">\n{SALES}\nprint(max(sales["revenue"]))\n</execute>',
        quote={"cell": r"\(This ran in cell (c[0-9a-f]+)\.\)"},
    )
    events, cells = await start(first_reply, revise, complete)
    first, _, accepted = actions(events)
    observed = observations(events)
    assert observed[1].status == "refused"
    assert observed[1].text.endswith(
        f"Not run: replacing cell {first.cell} with this code would lose `sales`, which cell "
        f"{first.cell} defines and this code does not define again. Write the complete code "
        "for the cell, or put this code in a new cell with <execute new>."
    )
    assert accepted.replaces == first.cell and observed[2].replaced
    assert [c.code for c in cells] == [f'{SALES}\nprint(max(sales["revenue"]))']


async def test_the_tools_style_follows_the_same_rule_in_its_own_words(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    def call(code: str, **extra: str) -> dict[str, object]:
        return {"name": CODE_TOOL, "arguments": {"code": code, **extra}}

    llm_server.push(
        Reply(tool_calls=[call(f"{SALES}\nprint(sum(sales['Revenue']))")]),
        Reply(content="Let me look at the keys.", tool_calls=[call("print(list(sales))")]),
        Reply(tool_calls=[call("print(1)")]),
        Reply(content="200"),
    )
    agent = Agent(llm, kernel, AgentOptions(cells=True, action_style="tools"))
    events = [e async for e in agent.run("What is the total revenue?")]
    first, check, _ = actions(events)
    assert check.keeps == first.cell and check.trim_to == SALES
    # Asked to replace the cut cell with code that does not define `sales`: refused.
    llm_server.push(
        Reply(tool_calls=[call("print(max(sales['revenue']))", replace=first.cell)]),
        Reply(content="done"),
    )
    events = [e async for e in agent.run("And the largest?")]
    refused = observations(events)[0]
    assert refused.status == "refused" and "would lose `sales`" in refused.text
    assert (
        f'an {CODE_TOOL} call with "new": true' in refused.text and "<execute" not in refused.text
    )
    told = [m for m in agent.messages if m["role"] == "tool"]
    assert "inserted after cell" in str(told[1]["content"])
