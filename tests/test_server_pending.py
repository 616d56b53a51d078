"""*Ask before running* in the notebook: the action waits as a pending cell where it will
run, written by the server's document operations (a page, the file, or nobody holding
the notebook), and what runs is what the cell holds when the user decides."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_codeact.server.document.cells import provenance, source_text
from jupyter_codeact.server.document.ops import Cells
from jupyter_codeact.server.document.pending import pending_of, remove, set_pending, stale
from jupyter_codeact.testing import ScriptedLLM

from .chat_client import ChatClient, text_of
from .conftest import MODEL
from .test_server import new_chat
from .test_server_document import NOTEBOOK, on_disk, until

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def jp_server_config(tmp_path: Path, llm_server: ScriptedLLM) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_codeact": True}},
        "CodeAct": {"base_url": llm_server.url, "api_key": "k", "model": MODEL, "max_turns": 6},
        "CodeActExtension": {"chats_dir": str(tmp_path / "chats"), "page_grace": 0.5},
    }


@pytest.fixture
def notebook_file(jp_root_dir: Path) -> Path:
    """The notebook as the user last saved it: one cell of theirs."""
    nb = new_notebook(cells=[new_code_cell("data = [1, 2, 3]", execution_count=1)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = jp_root_dir / NOTEBOOK
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path


def requests_text(llm_server: ScriptedLLM, index: int) -> str:
    return json.dumps(llm_server.requests[index].messages)


async def test_with_the_tab_closed_the_pending_cell_is_in_the_file_and_what_it_holds_runs(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, notebook_file: Path
) -> None:
    llm_server.push("<execute>\nprint('as proposed')\n</execute>", "<solution>ok</solution>")
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    watcher = await ChatClient.connect(jp_ws_fetch, chat_id)  # the chat only: no notebook
    watcher.ask("print it", approval="ask")
    pending = await watcher.next_approval()
    # Written through the document operations into the file, marked, not run.
    cells = on_disk(notebook_file).cells.cells
    assert [source_text(cell["source"]) for cell in cells] == [
        "data = [1, 2, 3]",
        "print('as proposed')",
    ]
    assert pending["cell_id"] == cells[1]["id"]
    assert pending_of(cells[1]) == {"request_id": pending["request_id"]}
    assert cells[1]["outputs"] == [] and cells[1]["execution_count"] is None
    # The user edits the cell (here: in the file, as no page holds it), then waits.
    nb = nbformat.read(notebook_file, as_version=4)
    nb.cells[1].source = "import time\nstarted = time.time()\nprint('as edited')"
    nbformat.write(nb, notebook_file)
    await asyncio.sleep(2.0)  # the wait for the user, which the step's time leaves out
    watcher.decide(pending, True)
    await watcher.until_state("done")
    cell = on_disk(notebook_file).cells.cells[1]
    assert text_of(cell) == "as edited\n" and cell["execution_count"]
    mark = provenance(cell)
    assert mark is not None and "pending" not in mark
    observation = next(e for e in watcher.entries() if e["role"] == "observation")
    assert observation["status"] == "ok" and observation["cell_id"] == cell["id"]
    assert observation["duration_ms"] < 2000  # the execution's time, not the wait's
    assert "as edited" in requests_text(llm_server, 1)  # the model was told what ran
    await watcher.close()


async def test_skip_removes_the_pending_cell_and_tells_the_model(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, notebook_file: Path
) -> None:
    llm_server.push("<execute>\nprint('unwanted')\n</execute>", "<solution>ok</solution>")
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    page = on_disk(notebook_file)
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    tab.ask("print it", approval="ask")
    pending = await tab.next_approval()
    [cell] = page.agent_cells()
    assert cell["id"] == pending["cell_id"] and pending_of(cell) is not None
    tab.decide(pending, False)
    await tab.until_state("done")
    assert page.sources() == ["data = [1, 2, 3]"]  # the cell is gone
    assert "chose not to run" in llm_server.requests[1].messages[-1]["content"]
    await tab.close()


async def test_stop_leaves_no_pending_cell(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, notebook_file: Path
) -> None:
    llm_server.push("<execute>\nprint('never')\n</execute>", "<solution>ok</solution>")
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    page = on_disk(notebook_file)
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    tab.ask("print it", approval="ask")
    await tab.next_approval()
    assert len(page.agent_cells()) == 1
    tab.send({"type": "stop"})
    await tab.until_state("idle")
    await until(lambda: page.agent_cells() == [], tab)
    assert page.sources() == ["data = [1, 2, 3]"]
    await tab.close()


async def test_a_replacement_waits_in_its_cell_and_runs_the_proposal(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, notebook_file: Path
) -> None:
    llm_server.push(
        "<execute>\nprint(totl)\n</execute>",
        "<execute>\nprint(sum([1, 2, 3]))\n</execute>",  # the loop replaces the failed cell
        "<solution>6</solution>",
    )
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    page = on_disk(notebook_file)
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    tab.ask("sum the data", approval="ask")
    first = await tab.next_approval()
    tab.decide(first, True)
    fix = await tab.next_approval()
    # The failed cell keeps its code while the fix waits in it, as a proposal.
    cell = page.find(first["cell_id"])
    assert fix["cell_id"] == first["cell_id"] and fix["before"] == "print(totl)"
    assert source_text(cell["source"]) == "print(totl)"
    assert pending_of(cell) == {"request_id": fix["request_id"], "code": "print(sum([1, 2, 3]))"}
    tab.decide(fix, True)
    await tab.until_state("done")
    [cell] = page.agent_cells()
    assert (source_text(cell["source"]), text_of(cell)) == ("print(sum([1, 2, 3]))", "6\n")
    assert pending_of(cell) is None
    await tab.close()


def test_remove_takes_only_the_pending_cell_of_its_request() -> None:
    mark = {"chat_id": "c", "pending": {"request_id": "r1"}}
    pending = {**new_code_cell("x = 1", metadata={"codeact": mark}), "id": "p"}
    ran = {**new_code_cell("y = 2", metadata={"codeact": {"chat_id": "c"}}), "id": "a"}
    cells = Cells([ran, pending])
    assert not cells.apply(remove("p", "r2"), "c")  # another request's
    assert not cells.apply(remove("a", "r1"), "c")  # a cell that waits for nothing
    assert cells.apply(remove("p", "r1"), "c")
    assert not cells.apply(remove("p", "r1"), "c")  # applied twice: nothing more
    assert [cell["id"] for cell in cells.cells] == ["a"]
    assert cells.apply(set_pending("a", {"request_id": "r3", "code": "y = 3"}), "c")
    assert not cells.apply(set_pending("a", {"request_id": "r3", "code": "y = 3"}), "c")
    assert cells.apply(set_pending("a", None), "c")
    assert cells.cells[0]["metadata"]["codeact"] == {"chat_id": "c"}


def test_a_server_that_stopped_mid_approval_leaves_no_pending_cell() -> None:
    """What a chat's kept operations still show waiting is withdrawn when it loads again."""
    mark = {"chat_id": "c", "pending": {"request_id": "r1"}}
    waiting = {**new_code_cell("x = 1", metadata={"codeact": mark}), "id": "p"}
    decided = {**new_code_cell("y = 1", metadata={"codeact": mark}), "id": "q"}
    kept = [
        {"op": "insert", "cell": waiting, "seq": 1},
        {"op": "insert", "cell": decided, "seq": 2},
        {"op": "provenance", "cell_id": "q", "value": {"chat_id": "c"}, "seq": 3},
        {"op": "pending", "cell_id": "a", "value": {"request_id": "r2", "code": "z"}, "seq": 4},
        {"op": "pending", "cell_id": "b", "value": {"request_id": "r3", "code": "z"}, "seq": 5},
        {"op": "pending", "cell_id": "b", "value": None, "seq": 6},
    ]
    assert stale(kept) == [remove("p", "r1"), set_pending("a", None)]
    assert stale([]) == []
