"""The run belongs to the server: what the notebook holds when pages close, reload, drop
their connection and come back (through the real HTTP and websocket API)."""

from __future__ import annotations

import asyncio
import itertools
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_notebook

from jupyter_codeact.server.document.cells import provenance, source_hash, source_text
from jupyter_codeact.testing import Reply, ScriptedLLM

from .chat_client import ChatClient, PageNotebook, text_of
from .conftest import MODEL
from .test_server import new_chat

pytest_plugins = ["pytest_jupyter.jupyter_server"]

NOTEBOOK = "analysis.ipynb"
SLOW = "<execute>\nimport time\nprint('one', flush=True)\ntime.sleep(2)\nprint('two')\n</execute>"


@pytest.fixture
def grace() -> float:
    return 0.5


@pytest.fixture
def jp_server_config(tmp_path: Path, llm_server: ScriptedLLM, grace: float) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_codeact": True}},
        "CodeAct": {"base_url": llm_server.url, "api_key": "k", "model": MODEL, "max_turns": 6},
        "CodeActExtension": {"chats_dir": str(tmp_path / "chats"), "page_grace": grace},
    }


@pytest.fixture
def notebook_file(jp_root_dir: Path) -> Path:
    """The notebook as the user last saved it: one cell of theirs."""
    nb = new_notebook(cells=[new_code_cell("data = [1, 2, 3]", execution_count=1)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = jp_root_dir / NOTEBOOK
    path.write_text(nbformat.writes(nb) + "\n", encoding="utf-8")
    return path


def on_disk(path: Path) -> PageNotebook:
    return PageNotebook.from_file(path.read_text(encoding="utf-8"))


async def until(condition: Any, client: ChatClient) -> None:
    """Wait (on the page's messages) until ``condition()`` holds."""
    while not condition():
        await client.next("ops", timeout=30)


async def test_a_tab_closed_mid_run_and_the_run_is_all_in_the_file(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, notebook_file: Path
) -> None:
    llm_server.push(SLOW, "<execute>\nprint('three')\n</execute>", "<solution>done</solution>")
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    page = on_disk(notebook_file)
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    tab.ask("two steps")
    await until(lambda: any("one" in text_of(c) for c in page.agent_cells()), tab)
    await tab.close()  # mid-cell
    watcher = await ChatClient.connect(jp_ws_fetch, chat_id)
    await watcher.until_state("done", timeout=60)
    saved = on_disk(notebook_file)
    cells = saved.cells.cells
    assert [text_of(cell) for cell in cells] == ["", "one\ntwo\n", "three\n"]
    assert cells[0]["source"] == ["data = [1, 2, 3]"]  # the user's cell, as it was
    assert [provenance(cell) is not None for cell in cells] == [False, True, True]
    assert all(cell["execution_count"] for cell in cells[1:])
    assert saved.applied[chat_id] > 0
    # A page that opens it now has nothing to catch up on: no cell twice.
    again = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=saved)
    await again.next("snapshot")
    assert watcher.entries()[-1]["text"] == "done"
    again.ws.write_message("not json")  # a round trip: anything it was sent has arrived
    await again.next("problem")
    assert len(saved.cells.cells) == 3
    await again.close()
    await watcher.close()


async def test_a_run_with_no_page_at_all_writes_the_file(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, notebook_file: Path
) -> None:
    llm_server.push(
        "<execute>\nprint(totl)\n</execute>",  # fails; the fix replaces it, asked of the file
        "<execute>\nprint(sum([1, 2, 3]))\n</execute>",
        "<solution>6</solution>",
    )
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    watcher = await ChatClient.connect(jp_ws_fetch, chat_id)
    watcher.ask("sum the data")
    await watcher.until_state("done")
    cells = on_disk(notebook_file).cells.cells
    assert [(cell["source"], text_of(cell)) for cell in cells[1:]] == [
        (["print(sum([1, 2, 3]))"], "6\n")
    ]
    assert watcher.entries()[-3]["cell_id"] == cells[1]["id"]  # the observation names it
    await watcher.close()


async def test_with_no_page_the_file_keeps_a_failed_cell_cut_or_tagged_as_a_page_would(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, notebook_file: Path
) -> None:
    user = on_disk(notebook_file).cells.cells[0]
    sales = "sales = {'revenue': [120, 80]}"
    rows = "total = 0\nfor row in [{'revenue': 1}, {'Revenue': 2}]:"
    llm_server.push(
        f"<execute>\n{sales}\nprint(sum(sales['Revenue']))\n</execute>",
        "<execute>\nprint(list(sales))\n</execute>",  # a check: the failed cell is cut
        f"<execute>\n{rows}\n    total += row['revenue']\n</execute>",
        "<execute>\nprint(row, total)\n</execute>",  # cannot be cut: kept whole, tagged
        "<solution>done</solution>",
    )
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    watcher = await ChatClient.connect(jp_ws_fetch, chat_id)  # the chat, with no notebook
    watcher.ask("total revenue")
    await watcher.until_state("done")
    cells = on_disk(notebook_file).cells.cells
    assert [source_text(c["source"]) for c in cells] == [
        "data = [1, 2, 3]",
        sales,
        "print(list(sales))",
        f"{rows}\n    total += row['revenue']",
        "print(row, total)",
    ]
    cut, check, whole, below = cells[1:]
    assert cut["outputs"] == [] and cut["metadata"]["codeact"]["kept"] == "trimmed"
    assert cut["metadata"]["codeact"]["code_hash"] == source_hash(sales)
    assert "tags" not in cut["metadata"] and text_of(check) == "['revenue']\n"
    assert whole["metadata"]["tags"] == ["raises-exception"]
    assert [o["output_type"] for o in whole["outputs"]] == ["error"]
    assert text_of(below) == "{'Revenue': 2} 1\n"
    assert cells[0] == user

    # Later, a complete fix of the cell kept whole replaces it and takes the tag off.
    fixed = f"{rows}\n    total += row.get('revenue', row.get('Revenue'))"
    ref = [e for e in watcher.entries() if e["role"] == "action"][2]["cell"]
    llm_server.push(f'<execute replace="{ref}">\n{fixed}\n</execute>', "<solution>3</solution>")
    watcher.ask("fix the loop")
    await watcher.until_state("done")
    whole = on_disk(notebook_file).cells.cells[3]
    assert source_text(whole["source"]) == fixed and "tags" not in whole["metadata"]
    assert "kept" not in whole["metadata"]["codeact"]
    await watcher.close()


@pytest.mark.parametrize("grace", [30.0])
async def test_a_reload_mid_run_catches_up_once_and_continues_live(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, notebook_file: Path
) -> None:
    llm_server.push(
        "<execute>\nprint('first')\n</execute>",
        "<execute>\nimport time\nprint('a', flush=True)\ntime.sleep(2)\nprint('b')\n</execute>",
        "<solution>done</solution>",
    )
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    before = on_disk(notebook_file)
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=before)
    tab.ask("go")
    await until(lambda: any(text_of(c) == "a\n" for c in before.agent_cells()), tab)
    await tab.close()  # reloaded: the page's unsaved copy is gone
    reloaded = on_disk(notebook_file)  # the file as last saved: no agent cell yet
    assert reloaded.agent_cells() == []
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=reloaded)
    await tab.until_state("done")
    assert [text_of(cell) for cell in reloaded.agent_cells()] == ["first\n", "a\nb\n"]
    ids = [cell["id"] for cell in reloaded.cells.cells]
    assert len(ids) == len(set(ids)) == 3
    # It was sent what its copy lacked (the first cell, the running one's outputs so far),
    # then the rest live: no operation twice.
    seqs = [op["seq"] for op in reloaded.applied_ops]
    assert seqs == sorted(set(seqs))
    assert any(op["op"] == "stream" for op in reloaded.applied_ops)  # live after the reload
    await tab.close()


async def test_a_dropped_connection_catches_up_and_keeps_the_users_unsaved_edit(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, notebook_file: Path
) -> None:
    llm_server.push(SLOW, "<execute>\nprint('three')\n</execute>", "<solution>done</solution>")
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    loaded = await asyncio.to_thread(notebook_file.read_bytes)
    page = on_disk(notebook_file)
    page.cells.cells[0]["source"] = "data = [1, 2, 3, 4]  # unsaved"
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page, client_id="page-1")
    tab.ask("two steps")
    await until(lambda: any("one" in text_of(c) for c in page.agent_cells()), tab)
    await tab.close()  # the connection drops; the page stays open, with its copy
    watcher = await ChatClient.connect(jp_ws_fetch, chat_id)
    await watcher.until_state("done")
    # Written meanwhile, past the grace period.
    assert await asyncio.to_thread(notebook_file.read_bytes) != loaded
    back = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page, client_id="page-1")
    catch_up = await back.next("ops")
    # What it missed, once; its own edit untouched.
    assert [text_of(cell) for cell in page.agent_cells()] == ["one\ntwo\n", "three\n"]
    assert page.cells.cells[0]["source"] == "data = [1, 2, 3, 4]  # unsaved"
    assert len(page.cells.cells) == 3
    # The server's writes, so that the page can take the file as its own: from the hash
    # of the file it loaded to the file now, holding what the page now holds.
    disk = catch_up["disk"]
    assert disk[0]["before"] is not None and disk[-1]["applied"] == page.applied
    for earlier, later in itertools.pairwise(disk):
        assert later["before"] == earlier["after"]
    await back.close()
    await watcher.close()


async def test_fix_the_error_waits_for_the_user_with_the_tab_closed(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, notebook_file: Path
) -> None:
    llm_server.push(
        '<execute replace="u1a2">\ndata = [1, 2, 3]\nprint(sum(data) / len(data))\n</execute>',
        "<solution>fixed</solution>",
    )
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    page = on_disk(notebook_file)
    user_cell = page.cells.cells[0]["id"]
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    tab.ask("Fix the error in cell 1", user_cell="u1a2", user_cell_id=user_cell)
    change = await tab.next_approval()
    assert (change["kind"], change["cell_id"], change["before"]) == (
        "change",
        user_cell,
        "data = [1, 2, 3]",
    )
    await tab.close()
    await asyncio.sleep(1.0)  # past the grace period: still waiting, no deadline
    reopened = on_disk(notebook_file)
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=reopened)
    snapshot = await tab.next("snapshot")
    assert snapshot["state"] == "waiting_approval" and snapshot["approval"] == change
    tab.decide(change, True)
    await tab.until_state("done")
    cell = reopened.find(user_cell)
    assert cell["source"] == "data = [1, 2, 3]\nprint(sum(data) / len(data))"
    assert text_of(cell) == "2.0\n" and provenance(cell) is None  # still the user's cell
    await tab.close()


async def test_ask_before_running_waits_with_no_page_and_runs_when_approved(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, notebook_file: Path
) -> None:
    llm_server.push("<execute>\nprint('approved')\n</execute>", "<solution>ok</solution>")
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=on_disk(notebook_file))
    tab.ask("print it", approval="ask")
    pending = await tab.next_approval()
    await tab.close()
    await asyncio.sleep(1.0)
    # It waits in the file as a pending cell; nothing ran.
    [waiting] = on_disk(notebook_file).agent_cells()
    assert waiting["id"] == pending["cell_id"] and waiting["execution_count"] is None
    other = await ChatClient.connect(jp_ws_fetch, chat_id)
    assert (await other.next("snapshot"))["approval"] == pending
    other.decide(pending, True)
    await other.until_state("done")
    assert [text_of(c) for c in on_disk(notebook_file).agent_cells()] == ["approved\n"]
    await other.close()


async def test_a_kernel_that_dies_is_reported_and_the_next_action_runs_in_its_restart(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push(
        "<execute>\nstate = 1\nimport os\nos._exit(1)\n</execute>",
        "<execute>\nprint('state' in dir())\n</execute>",
        "<solution>lost</solution>",
    )
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    page = PageNotebook()
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    tab.ask("crash")
    await tab.until_state("done", timeout=90)
    statuses = [e["status"] for e in tab.entries() if e["role"] == "observation"]
    assert statuses == ["died", "ok"]
    assert "restarted" in llm_server.requests[1].messages[-1]["content"]
    # The next action took the dead cell's place (a failed cell's fix) and ran in the
    # restarted kernel: the state was gone.
    assert [text_of(cell) for cell in page.agent_cells()] == ["False\n"]
    await tab.close()


async def test_a_timeout_interrupts_the_cell_on_the_notebooks_kernel(
    jp_fetch: Any, jp_ws_fetch: Any, jp_serverapp: Any, llm_server: ScriptedLLM
) -> None:
    jp_serverapp.web_app.settings["codeact_settings"].cell_timeout = 1
    llm_server.push(
        "<execute>\nimport time\nwhile True: time.sleep(0.05)\n</execute>",
        Reply(content="<solution>too slow</solution>"),
    )
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=PageNotebook())
    tab.ask("loop")
    await tab.until_state("done")
    observation = next(e for e in tab.entries() if e["role"] == "observation")
    assert observation["status"] == "timeout"
    assert "did not finish within 1 seconds" in observation["note"]
    await tab.close()


async def test_a_restart_from_the_page_during_an_action_is_reported_at_once(
    jp_fetch: Any, jp_ws_fetch: Any, jp_serverapp: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push(
        "<execute>\nimport time\nprint('started', flush=True)\ntime.sleep(60)\n</execute>",
        "<solution>it was restarted</solution>",
    )
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    page = PageNotebook()
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    tab.ask("wait")
    await until(lambda: any("started" in text_of(c) for c in page.agent_cells()), tab)
    session = await jp_serverapp.session_manager.get_session(path=NOTEBOOK)
    # What the page's Restart Kernel does (no death: the server's restarter is not told).
    await jp_fetch("api", "kernels", session["kernel"]["id"], "restart", method="POST", body="")
    await tab.until_state("done", timeout=40)  # long before the cell's minute
    observation = next(e for e in tab.entries() if e["role"] == "observation")
    assert observation["status"] == "died"
    assert "restarted" in llm_server.requests[1].messages[-1]["content"]
    await tab.close()
