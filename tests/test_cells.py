"""The replace rule (core/cells.py): which cell an action's code goes into."""

from __future__ import annotations

import itertools

import pytest

from jupyter_codeact.core import Action, Agent, AgentOptions, AnyEvent, Observation
from jupyter_codeact.core.actions import parse_reply
from jupyter_codeact.core.cells import CellBook, Placement, Refusal
from jupyter_codeact.core.executor import ExecutionResult
from jupyter_codeact.core.llm import OpenAIChat
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.testing import ScriptedLLM


def book(**kw: bool) -> CellBook:
    """A book whose new ids are c1, c2, ... (the real ones are random)."""
    counter = itertools.count(1)
    return CellBook(new_id=lambda taken: f"c{next(counter)}", **kw)


def run(cells: CellBook, reply: str, status: str = "ok", placement: str = "") -> Action:
    """Place the action of ``reply`` and record how it ended; the action."""
    place = cells.place(parse_reply(reply).attributes)
    assert isinstance(place, Placement), place
    action = Action(
        turn=1,
        code="x",
        action_id="a",
        cell=place.cell,
        replaces=place.replaces,
        or_new=place.or_new,
    )
    cells.record(action, ExecutionResult(status=status, placement=placement))  # type: ignore[arg-type]
    return action


def test_the_action_after_a_failure_replaces_the_failed_cell() -> None:
    cells = book()
    cells.begin()
    first = run(cells, "<execute>prnt(1)</execute>", status="error")
    assert first.cell == "c1" and not first.replaces
    fix = run(cells, "<execute>print(1)</execute>")
    assert fix.replaces == "c1" and fix.or_new  # the loop's choice: a new cell if need be
    assert [(c.id, c.status) for c in cells.cells] == [("c1", "ok")]
    # After a success, the next action is a new cell again.
    assert not run(cells, "<execute>print(2)</execute>").replaces
    assert [c.id for c in cells.cells] == ["c1", "c3"]  # c2 went unused: it replaced


@pytest.mark.parametrize("status", ["error", "timeout", "died"])
def test_every_kind_of_failure_is_replaced(status: str) -> None:
    cells = book()
    run(cells, "<execute>a</execute>", status=status)
    assert run(cells, "<execute>b</execute>").replaces == "c1"


@pytest.mark.parametrize("status", ["ok", "interrupted"])
def test_a_cell_that_did_not_fail_is_not_replaced(status: str) -> None:
    cells = book()
    run(cells, "<execute>a</execute>", status=status)
    assert not run(cells, "<execute>b</execute>").replaces


def test_new_keeps_the_failed_cell() -> None:
    cells = book()
    run(cells, "<execute>a</execute>", status="error")
    assert not run(cells, "<execute new>b</execute>").replaces
    assert len(cells.cells) == 2


def test_the_setting_off_never_replaces_by_itself() -> None:
    cells = book(replace_failed=False)
    run(cells, "<execute>a</execute>", status="error")
    assert cells.note("c1", False) == "(This ran in cell c1.)"  # no promise of a replace
    assert not run(cells, "<execute>b</execute>").replaces
    # Naming a cell still works.
    assert run(cells, '<execute replace="c1">c</execute>').replaces == "c1"


def test_a_failure_is_pending_within_one_request_only() -> None:
    cells = book()
    run(cells, "<execute>a</execute>", status="error")
    cells.begin()  # the next user message
    assert not run(cells, "<execute>b</execute>").replaces


def test_a_skipped_or_refused_action_keeps_the_failure_pending() -> None:
    cells = book()
    run(cells, "<execute>a</execute>", status="error")
    run(cells, "<execute>b</execute>", status="skipped")  # the user declined the fix
    assert run(cells, "<execute>c</execute>").replaces == "c1"


def test_a_fix_that_could_not_replace_makes_a_new_cell_and_that_one_is_pending() -> None:
    cells = book()
    run(cells, "<execute>a</execute>", status="error")
    # The user edited c1 meanwhile: the host put the fix into a new cell, which failed too.
    fix = run(cells, "<execute>b</execute>", status="error", placement="new")
    assert [c.id for c in cells.cells] == ["c1", fix.cell]
    assert cells.pending_fix == fix.cell
    assert cells.note(fix.cell, False).startswith(f"(This ran in cell {fix.cell}.) Your next")


def test_an_earlier_cell_can_be_revised_by_its_id() -> None:
    cells = book()
    run(cells, "<execute>plot('a')</execute>")
    run(cells, "<execute>print(2)</execute>")
    revise = run(cells, '<execute replace="c1">plot("b")</execute>')
    assert revise.replaces == "c1" and not revise.or_new  # refused if the user changed it
    assert [c.id for c in cells.cells] == ["c1", "c2"]  # c1 kept its place


@pytest.mark.parametrize(
    ("reply", "says"),
    [
        ('<execute replace="c9">x</execute>', "no cell c9"),
        ('<execute replace="">x</execute>', "needs the id"),
        ('<execute new replace="c1">x</execute>', "not both"),
    ],
)
def test_anything_but_a_known_cell_is_refused_with_a_plain_message(reply: str, says: str) -> None:
    cells = book()
    run(cells, "<execute>a</execute>")
    place = cells.place(parse_reply(reply).attributes)
    assert isinstance(place, Refusal) and says in place.message


def test_refusal_lists_the_ids_the_model_may_use() -> None:
    cells = book()
    run(cells, "<execute>a</execute>")
    place = cells.place({"replace": "u7"})
    assert isinstance(place, Refusal) and "(c1)" in place.message


def test_the_users_cell_of_a_fix_request_may_be_named() -> None:
    cells = book()
    cells.begin(user_cell="u1f")
    assert cells.place({"replace": "u1f"}) == Placement(cell="c1", replaces="u1f")
    assert cells.cells == []  # it is not one of the agent's


def test_random_ids_are_short_and_unique() -> None:
    cells = CellBook()
    ids = {run(cells, "<execute>x</execute>").cell for _ in range(300)}
    assert len(ids) == 300
    assert all(len(i) == 4 and i.startswith("c") for i in ids)


# -- the loop, with a real kernel and the scripted model -----------------------------------


async def events(agent: Agent, message: str, **kw: str) -> list[AnyEvent]:
    return [event async for event in agent.run(message, **kw)]


@pytest.mark.asyncio
async def test_the_model_is_told_and_the_fix_replaces_the_failed_cell(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(
        "<execute>\nprint(totl)\n</execute>",
        "<execute>\ntotal = 3\nprint(total)\n</execute>",
        "<solution>3</solution>",
    )
    agent = Agent(llm, kernel, AgentOptions(cells=True))
    run_events = await events(agent, "print the total")
    actions = [e for e in run_events if isinstance(e, Action)]
    observations = [e for e in run_events if isinstance(e, Observation)]
    failed = actions[0].cell
    assert actions[1].replaces == failed and actions[1].or_new
    assert observations[1].cell == failed and observations[1].replaced
    # The system prompt explains cells; the failure says what the next action does.
    messages = llm_server.requests[1].messages
    assert "<execute replace=" in messages[0]["content"]
    assert messages[-1]["content"].endswith(
        f"(This ran in cell {failed}.) Your next action replaces the code of cell {failed} "
        "if it is complete code for the cell; otherwise, or with <execute new>, it goes into a "
        "new cell below it."
    )
    assert llm_server.requests[2].messages[-1]["content"] == (
        f"Observation:\n3\n(This replaced the code of cell {failed} and ran there.)"
    )
    assert [(c.id, c.code) for c in agent.cells.cells] == [(failed, "total = 3\nprint(total)")]


@pytest.mark.asyncio
async def test_a_refused_action_never_runs_and_the_model_reads_why(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push(
        '<execute replace="c999">\nran = True\n</execute>',
        "<execute>\nprint('ran' in dir())\n</execute>",
        "<solution>no</solution>",
    )
    agent = Agent(llm, kernel, AgentOptions(cells=True))
    run_events = await events(agent, "change the user's cell")
    observations = [e for e in run_events if isinstance(e, Observation)]
    assert observations[0].status == "refused" and not observations[0].cell
    assert "There is no cell c999 that you may replace" in observations[0].text
    assert (
        llm_server.requests[1]
        .messages[-1]["content"]
        .startswith("Observation:\nNothing was run.\nThere is no cell c999")
    )
    assert "False" in observations[1].text  # the refused code never reached the kernel


@pytest.mark.asyncio
async def test_a_fix_request_names_the_users_cell(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push('<execute replace="u12">\nprint(1)\n</execute>', "<solution>ok</solution>")
    agent = Agent(llm, kernel, AgentOptions(cells=True))
    run_events = await events(agent, "Fix the error in cell 2", user_cell="u12")
    action = next(e for e in run_events if isinstance(e, Action))
    assert action.replaces == "u12" and not action.or_new
    request = llm_server.requests[0].messages[-1]["content"]
    assert request.startswith("Fix the error in cell 2") and 'replace="u12"' in request


@pytest.mark.asyncio
async def test_without_cells_nothing_changes(
    llm: OpenAIChat, llm_server: ScriptedLLM, kernel: KernelExecutor
) -> None:
    llm_server.push("<execute>\nprint(totl)\n</execute>", "<solution>no</solution>")
    agent = Agent(llm, kernel)
    run_events = await events(agent, "print")
    action = next(e for e in run_events if isinstance(e, Action))
    assert not action.cell and not action.replaces
    assert "cell" not in llm_server.requests[1].messages[-1]["content"].rsplit("\n", 1)[-1]
    assert "replace=" not in llm_server.requests[0].messages[0]["content"]
