"""Real-time collaboration: the agent edits the room's shared notebook (jupyter-collaboration
in the server, found with no configuration), and a collaborator's page sees it live.

The first tests apply operations to a real YNotebook beside the file writer's rules; the
others run the real server with jupyter-collaboration's rooms, a real Y client for a
collaborator's page, and the real chat socket."""

from __future__ import annotations

import asyncio
import copy
import json
from pathlib import Path
from typing import Any

import nbformat
import pytest
from jupyter_ydoc import YNotebook
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook
from pycrdt import Array, Doc

from jupyter_codeact.server.document import ops
from jupyter_codeact.server.document.cells import provenance, source_hash, source_text
from jupyter_codeact.server.document.ops import Cells, joined_outputs
from jupyter_codeact.server.document.shared import TRUSTED, SharedNotebook
from jupyter_codeact.testing import ScriptedLLM

from .chat_client import ChatClient, PageNotebook, text_of
from .collaborator import Collaborator
from .conftest import MODEL
from .test_server import new_chat

pytest_plugins = ["pytest_jupyter.jupyter_server"]

NOTEBOOK = "shared.ipynb"
CONTENTS_EVENTS = "https://events.jupyter.org/jupyter_server/contents_service/v1"
CHAT = "c" * 32


def mark(cell: str, **extra: Any) -> dict[str, Any]:
    return {"chat_id": CHAT, "request_id": "r1", "cell": cell, "turn": 1, **extra}


def user_notebook() -> dict[str, Any]:
    nb = new_notebook(
        cells=[
            new_markdown_cell("# Sales", id="u-md"),
            new_code_cell("data = [1, 2, 3]", id="u-code", execution_count=1),
        ]
    )
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    return dict(json.loads(nbformat.writes(nb)))


def numbered(batch: list[dict[str, Any]], start: int) -> list[dict[str, Any]]:
    return [{**op, "seq": start + index} for index, op in enumerate(batch)]


def stream(offset: int, text: str) -> dict[str, Any]:
    return {"op": "stream", "cell_id": "a1", "index": 0, "name": "stdout", "offset": offset,
            "text": text}  # fmt: skip


def a_run() -> list[list[dict[str, Any]]]:
    """An action's operations in batches, as the notebook executor emits them."""
    code = "print('one')\nprint('two')"
    explanation = ops.markdown_cell("n1", "First, the data.", mark("c1", role="narration"))
    return [
        [ops.insert(ops.code_cell("a1", code, mark("c1")), selected="u-code")],
        [ops.narrate("a1", explanation)],
        [{"op": "running", "cell_id": "a1"}],
        [stream(0, "on")],
        [stream(2, "e\n")],
        [{"op": "output", "cell_id": "a1", "index": 1, "output": {
            "output_type": "display_data", "data": {"text/plain": "<plot>"}, "metadata": {}}}],
        [ops.set_outputs("a1", [
            {"output_type": "stream", "name": "stdout", "text": "one\n"},
            {"output_type": "display_data", "data": {"text/plain": "<plot>"}, "metadata": {}},
            {"output_type": "stream", "name": "stdout", "text": "two\n"},
        ], 3)],
        [ops.set_provenance("a1", mark("c1", execution_count=3, code_hash=source_hash(code)))],
        # The next action replaces it, and rewrites its explanation.
        [ops.set_source("a1", "print('three')"),
         ops.narrate("a1", ops.markdown_cell("n2", "Then, again.", mark("c1", role="narration")))],
        [{"op": "running", "cell_id": "a1"}, {"op": "clear", "cell_id": "a1"}],
        [ops.set_outputs("a1", [{"output_type": "stream", "name": "stdout", "text": "3\n"}], 4)],
        [ops.insert(ops.code_cell("a2", "x = 1", mark("c2")), after="a1")],
        # It fails; the fix goes below it, which is kept whole (tagged), then cut, then
        # fully replaced elsewhere (the tag goes).
        [ops.set_outputs("a2", [{"output_type": "error", "ename": "E", "evalue": "",
                                 "traceback": []}], 5)],
        [ops.keep("a2", "")],
        [ops.keep("a2", "x = 1")],
        [ops.unmark("a2")],
    ]  # fmt: skip


def comparable(cells: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cells as nbformat reads them, whatever held them (lists of lines joined, no trust)."""
    result = []
    for cell in copy.deepcopy(cells):
        cell["source"] = source_text(cell.get("source"))
        cell.get("metadata", {}).pop(TRUSTED, None)
        if "outputs" in cell:
            cell["outputs"] = joined_outputs(cell["outputs"])
        result.append(cell)
    return result


def test_the_shared_notebook_ends_as_the_file_does_and_an_op_twice_changes_nothing() -> None:
    content = user_notebook()
    shared = YNotebook(Doc())
    shared.set(content)
    file = Cells(copy.deepcopy(content["cells"]))
    writer = SharedNotebook(shared)
    seq = 1
    for batch in a_run():
        batch = numbered(batch, seq)
        seq += len(batch)
        for op in batch:
            file.apply(op, CHAT)
        assert writer.apply(CHAT, batch)
        if batch[0]["op"] not in ("running", "clear"):  # (they reset the outputs)
            assert not writer.apply(CHAT, batch), batch  # a second time: nothing changes
    result = shared.get()
    assert comparable(result["cells"]) == comparable(file.cells)
    assert [cell["id"] for cell in result["cells"]] == ["u-md", "u-code", "n1", "a1", "a2"]
    assert source_text(result["cells"][2]["source"]) == "Then, again."
    assert text_of(result["cells"][3]) == "3\n" and result["cells"][3]["execution_count"] == 4
    # The agent's code cells are trusted (their outputs come from the user's kernel).
    assert result["cells"][3]["metadata"][TRUSTED] is True
    assert TRUSTED not in result["cells"][1]["metadata"]
    assert result["metadata"]["codeact"]["applied"] == {CHAT: seq - 1}
    assert writer.applied() == {CHAT: seq - 1}


def test_untrusted_outputs_leave_the_cells_untrusted() -> None:
    shared = YNotebook(Doc())
    shared.set(user_notebook())
    writer = SharedNotebook(shared, trusted=False)
    writer.apply(CHAT, numbered(a_run()[0] + a_run()[2], 1))
    assert TRUSTED not in shared.get()["cells"][2]["metadata"]


def test_a_stream_merges_with_a_collaborator_typing_in_the_same_notebook() -> None:
    """Two copies of the room's document: the server's (the agent streams into its cell and
    rewrites its code) and a collaborator's (typing in their own cell and in the agent's
    code at once). Merged, both sets of edits are there."""
    content = user_notebook()
    server = YNotebook(Doc())
    server.set(content)
    page = YNotebook(Doc())
    page.ydoc.apply_update(server.ydoc.get_update())
    writer = SharedNotebook(server)
    writer.apply(CHAT, numbered(a_run()[0], 1))
    page.ydoc.apply_update(server.ydoc.get_update())
    state = page.ydoc.get_state()
    # Concurrently: the agent streams and rewrites its cell's last line ...
    writer.apply(CHAT, numbered(a_run()[2] + a_run()[3] + a_run()[4], 2))
    writer.apply(CHAT, numbered([ops.set_source("a1", "print('one')\nprint('TWO')")], 6))
    # ... while the collaborator types in their cell and adds a comment atop the agent's.
    typed = page.ycells[1]["source"]
    typed += "\ntotal = sum(data)"
    page.ycells[2]["source"].insert(0, "# mine\n")
    server.ydoc.apply_update(page.ydoc.get_update(state))
    page.ydoc.apply_update(server.ydoc.get_update())
    for copy_ in (server, page):
        cells = copy_.get()["cells"]
        assert cells[1]["source"] == "data = [1, 2, 3]\ntotal = sum(data)"
        assert cells[2]["source"] == "# mine\nprint('one')\nprint('TWO')"
        assert text_of(cells[2]) == "one\n"


# -- the real server, with jupyter-collaboration's rooms ------------------------------------

SLOW = "<execute>\nimport time\nprint('one', flush=True)\ntime.sleep(2)\nprint('two')\n</execute>"


@pytest.fixture
def jp_server_config(jp_root_dir: Path, tmp_path: Path, llm_server: ScriptedLLM) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {
                "jupyter_server_ydoc": True,
                "jupyter_server_fileid": True,
                "jupyter_codeact": True,
            },
        },
        "BaseFileIdManager": {
            "root_dir": str(jp_root_dir),
            "db_path": str(tmp_path / "fileid.db"),
            "db_journal_mode": "OFF",
        },
        "SQLiteYStore": {"db_path": str(tmp_path / "ystore.db")},
        # Freed half a second after its last page leaves: a run mid-cell must keep it.
        "YDocExtension": {"document_save_delay": 0.2, "document_cleanup_delay": 0.5},
        "CodeAct": {"base_url": llm_server.url, "api_key": "k", "model": MODEL, "max_turns": 6},
        "CodeActExtension": {"chats_dir": str(tmp_path / "chats"), "page_grace": 0.5},
    }


@pytest.fixture
def notebook_file(jp_root_dir: Path) -> Path:
    path = jp_root_dir / NOTEBOOK
    path.write_text(json.dumps(user_notebook(), indent=1) + "\n", encoding="utf-8")
    return path


@pytest.fixture
def room_server(
    jp_http_port: int, jp_base_url: str, jp_auth_header: dict[str, str]
) -> tuple[int, str, dict[str, str]]:
    return jp_http_port, jp_base_url, jp_auth_header


def on_disk(path: Path) -> PageNotebook:
    return PageNotebook.from_file(path.read_text(encoding="utf-8"))


def agent_texts(cells: list[dict[str, Any]]) -> list[str]:
    return [text_of(cell) for cell in cells if provenance(cell) is not None]


def rooms_of(serverapp: Any) -> dict[str, Any]:
    return dict(serverapp.web_app.settings["jupyter_server_ydoc"].ywebsocket_server.rooms)


async def until_changed(ydoc: Doc, holds: Any, timeout: float = 30) -> None:
    """Until ``holds()``, checked after each change of ``ydoc`` (a room's document)."""
    changed = asyncio.Event()
    subscription = ydoc.observe(lambda _event: changed.set())

    async def wait() -> None:
        while not holds():
            changed.clear()
            await changed.wait()

    try:
        await asyncio.wait_for(wait(), timeout)
    finally:
        ydoc.unobserve(subscription)


async def until_saved(serverapp: Any, path: Path, holds: Any, timeout: float = 30) -> PageNotebook:
    """The file once the room has saved what ``holds(notebook)`` needs (it saves on its
    own, a moment after each change)."""
    saves = asyncio.Event()

    async def listener(logger: Any, schema_id: str, data: dict[str, Any]) -> None:
        if data.get("action") == "save":
            saves.set()

    serverapp.event_logger.add_listener(schema_id=CONTENTS_EVENTS, listener=listener)

    async def wait() -> PageNotebook:
        while not holds(notebook := on_disk(path)):
            saves.clear()
            await saves.wait()
        return notebook

    try:
        return await asyncio.wait_for(wait(), timeout)
    finally:
        serverapp.event_logger.remove_listener(schema_id=CONTENTS_EVENTS, listener=listener)


async def test_the_agent_writes_into_the_room_and_a_collaborator_sees_it_live(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_serverapp: Any,
    room_server: Any,
    llm_server: ScriptedLLM,
    notebook_file: Path,
) -> None:
    llm_server.push(SLOW, "<execute>\nprint('three')\n</execute>", "<solution>done</solution>")
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    collaborator = await Collaborator.open(jp_fetch, room_server, NOTEBOOK)
    page = await ChatClient.connect(
        jp_ws_fetch, chat_id, notebook=on_disk(notebook_file), path=NOTEBOOK
    )
    (room,) = rooms_of(jp_serverapp).values()
    page.ask("two steps")
    # Live: the first line is in the collaborator's copy while the cell still runs.
    await collaborator.until(lambda c: "one\n" in agent_texts(c.cells()))
    assert "two" not in "".join(agent_texts(collaborator.cells()))
    # The collaborator types in their own cell while the agent's streams.
    typed = collaborator.notebook.ycells[1]["source"]
    typed += "\ntotal = sum(data)"
    await until_changed(
        room.ydoc, lambda: "total" in str(room.ydoc.get("cells", type=Array)[1]["source"])
    )
    # Every page closes mid-cell; the room would be freed half a second later.
    await collaborator.close()
    await page.close()
    watcher = await ChatClient.connect(jp_ws_fetch, chat_id)
    await watcher.until_state("done", timeout=60)
    assert rooms_of(jp_serverapp).get(collaborator.room_id) is room  # kept, not reloaded
    file = await until_saved(
        jp_serverapp, notebook_file, lambda nb: len(nb.agent_cells()) == 2 and nb.applied
    )
    assert [c["id"] for c in file.cells.cells][:2] == ["u-md", "u-code"]
    assert source_text(file.cells.cells[1]["source"]) == "data = [1, 2, 3]\ntotal = sum(data)"
    assert agent_texts(file.cells.cells) == ["one\ntwo\n", "three\n"]
    assert all(cell["execution_count"] for cell in file.agent_cells())
    assert file.applied[chat_id] > 0
    # The page was told which cells changed, never sent operations to apply.
    told = [m for m in page.received + watcher.received if m["type"] == "ops"]
    assert told and all(m.get("shared") for m in told)
    assert not page.notebook.applied_ops  # type: ignore[union-attr]
    # A page that opens the notebook again finds it all in the room, once.
    again = await Collaborator.open(jp_fetch, room_server, NOTEBOOK)
    assert agent_texts(again.cells()) == ["one\ntwo\n", "three\n"]
    await again.close()
    await watcher.close()


async def test_a_fix_replaces_the_failed_cell_in_the_room(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    room_server: Any,
    llm_server: ScriptedLLM,
    notebook_file: Path,
) -> None:
    """The cell rule asks the room what it holds (no page is asked)."""
    llm_server.push(
        "<execute>\nprint(1 / 0)\n</execute>",
        "<execute>\nprint(1 / 1)\n</execute>",
        "<solution>fixed</solution>",
    )
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    collaborator = await Collaborator.open(jp_fetch, room_server, NOTEBOOK)
    page = await ChatClient.connect(jp_ws_fetch, chat_id)
    page.ask("divide")
    await page.until_state("done", timeout=60)
    await collaborator.until(lambda c: agent_texts(c.cells()) == ["1.0\n"])
    cells = collaborator.cells()
    assert [source_text(c["source"]) for c in cells if provenance(c)] == ["print(1 / 1)"]
    assert not page.questions  # the room answered
    await collaborator.close()
    await page.close()
