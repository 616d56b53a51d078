"""A turn's changes, read off the chat's operation log, and *Undo this turn*: through the
real HTTP and websocket API, with a page holding the notebook or with none (the file),
and after a server restart (the turn's record is in the chat's file)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeact.server.chat_file import ChatRecord
from jupyter_codeact.server.document.cells import source_text
from jupyter_codeact.server.document.hub import Documents
from jupyter_codeact.server.document.ops import Cells
from jupyter_codeact.server.document.undo import as_left, left_by, undo
from jupyter_codeact.server.kernels import NotebookKernels
from jupyter_codeact.server.manager import ChatManager
from jupyter_codeact.server.review.journal import TurnJournal
from jupyter_codeact.server.store import ChatStore
from jupyter_codeact.testing import ScriptedLLM

from . import test_server_document as document_tests
from .chat_client import ChatClient
from .test_server import new_chat
from .test_server_document import NOTEBOOK, on_disk

# The notebook file and the server of the document tests (their fixtures).
grace = document_tests.grace
jp_server_config = document_tests.jp_server_config
notebook_file = document_tests.notebook_file

pytest_plugins = ["pytest_jupyter.jupyter_server"]

# Turn 1 leaves a failed cell; turn 2 fixes it in place and adds two cells.
FAILED = "x = 1\nprint(totl)"
FIXED = "x = 1\nprint(x)"


def turn_one(llm: ScriptedLLM) -> None:
    llm.push(f"<execute>\n{FAILED}\n</execute>", "<solution>it failed</solution>")


def turn_two(llm: ScriptedLLM, ref: str) -> None:
    llm.push(
        f'<execute replace="{ref}">\n{FIXED}\n</execute>',
        "<execute>\ny = x + 1\n</execute>",
        "<execute>\nprint(y)\n</execute>",
        "<solution>2</solution>",
    )


def cell_ref(client: ChatClient) -> str:
    return str(next(e for e in client.entries() if e["role"] == "action")["cell"])


def changes_of(client: ChatClient) -> list[dict[str, Any]]:
    return [e for e in client.entries() if e.get("changes")]


async def undone(client: ChatClient, entry_id: str) -> dict[str, Any]:
    while True:
        message = await client.next("entry", timeout=60)
        if message["entry"]["id"] == entry_id and message["entry"].get("undone"):
            return dict(message["entry"])


def comparable(cells: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (c["id"], source_text(c["source"]), c.get("outputs"), c.get("execution_count"))
        for c in cells
    ]


# -- the journal and the operation, on nbformat JSON ----------------------------------------


def test_the_journal_lists_a_turns_changes_and_its_undo_gives_the_notebook_back() -> None:
    user = {"id": "u", "cell_type": "code", "source": "a = 1", "metadata": {}, "outputs": []}
    user["execution_count"] = 1
    failed = {
        "id": "f",
        "cell_type": "code",
        "source": FAILED,
        "metadata": {"codeact": {"request_id": "r0", "chat_id": "c", "cell": "c1"}},
        "outputs": [{"output_type": "error", "ename": "NameError", "evalue": "x", "traceback": []}],
        "execution_count": 2,
    }
    before = copy.deepcopy([user, failed])
    notebook = Cells(copy.deepcopy(before))
    journal = TurnJournal("c")
    journal.begin()
    journal.inspected({"found": 1, "cell": copy.deepcopy(failed)})
    seq = iter(range(1, 100))
    batches = [
        [{"op": "source", "cell_id": "f", "source": FIXED}],
        [{"op": "outputs", "cell_id": "f", "outputs": [], "execution_count": 3}],
        [{"op": "insert", "cell": {"id": "n1", "cell_type": "code", "source": "y = 2",
                                    "metadata": {}, "outputs": [], "execution_count": None},
          "after": "f", "selected": "", "at_end": False}],
        [{"op": "stream", "cell_id": "n1", "index": 0, "name": "stdout", "offset": 0,
          "text": "live"}],
        [{"op": "outputs", "cell_id": "n1", "outputs": [], "execution_count": 4}],
    ]  # fmt: skip
    for batch in batches:
        for op in batch:
            op["seq"] = next(seq)
            notebook.apply(op, "c")
        journal.emitted(batch)
    turn = journal.end(request_entry="e")
    assert turn is not None
    kinds = [(c["cell_id"], c["kind"], c["before"], c["after"]) for c in turn["changes"]]
    assert kinds == [("f", "replaced", FAILED, FIXED), ("n1", "added", None, "y = 2")]
    for change in turn["changes"]:  # what the turn left is what the notebook holds
        index = notebook.find(change["cell_id"])
        assert index is not None and as_left(notebook.items[index].cell, change["left"])

    op = undo(
        turn["id"],
        [c["left"] for c in turn["changes"] if c["kind"] == "added"],
        [{**c["left"], "cell": c["prior"]} for c in turn["changes"] if c["kind"] == "replaced"],
    )
    assert notebook.apply(op, "c")
    assert notebook.cells == before
    assert not notebook.apply(op, "c")  # applied again: nothing changes

    # A cell the user edited since the turn is theirs: an undo leaves it.
    edited = Cells(copy.deepcopy(before))
    edited.items[1].cell["source"] = "mine"
    assert not edited.apply(op, "c") and edited.cells[1]["source"] == "mine"
    assert not as_left(edited.cells[1], left_by(failed) | {"code_hash": "0"})


# -- through the server ---------------------------------------------------------------------


async def restart(serverapp: Any, chats_dir: Path) -> None:
    """What a server restart leaves of our side: only the chat files and the notebook."""
    old: ChatManager = serverapp.web_app.settings["codeact_chats"]
    await old.close()
    documents = Documents(old.documents.file, grace=old.documents.grace)
    new = ChatManager(
        ChatStore(chats_dir, server_root=serverapp.root_dir),
        old.settings,
        documents=documents,
        kernels=NotebookKernels(
            session_manager=serverapp.session_manager,
            kernel_manager=serverapp.kernel_manager,
            files=old.documents.file,
        ),
    )
    serverapp.web_app.settings["codeact_chats"] = new


async def test_undo_with_no_page_open_after_a_server_restart_gives_the_file_back(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_serverapp: Any,
    llm_server: ScriptedLLM,
    notebook_file: Path,
    tmp_path: Path,
) -> None:
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    client = await ChatClient.connect(jp_ws_fetch, chat_id)  # the chat; no notebook open
    turn_one(llm_server)
    client.ask("compute x")
    await client.until_state("done")
    first = changes_of(client)
    assert [c["kind"] for c in first[0]["changes"]] == ["added"]
    pre_turn = on_disk(notebook_file).cells.cells

    turn_two(llm_server, cell_ref(client))
    client.ask("fix it and add y")
    await client.until_state("done")
    listed = changes_of(client)[-1]
    assert [(c["kind"], c["before"], c["after"]) for c in listed["changes"]] == [
        ("replaced", FAILED, FIXED),
        ("added", None, "y = x + 1"),
        ("added", None, "print(y)"),
    ]
    assert len(on_disk(notebook_file).cells.cells) == 4
    await client.close()

    await restart(jp_serverapp, tmp_path / "chats")
    record = ChatRecord.from_json(
        json.loads((tmp_path / "chats" / f"{chat_id}.json").read_text()), chat_id
    )
    assert [len(turn["changes"]) for turn in record.turns] == [1, 3]

    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    await client.next("snapshot")
    client.send({"type": "undo", "entry_id": listed["id"]})
    entry = await undone(client, listed["id"])
    assert entry["undone"]["kept"] == []
    assert len(entry["undone"]["removed"]) == 2 and len(entry["undone"]["restored"]) == 1
    assert "kernel" in entry["undone"]["kernel_note"]
    after = on_disk(notebook_file).cells.cells
    assert comparable(after) == comparable(pre_turn)
    assert after == pre_turn  # sources, outputs, counts and metadata, exactly

    # Once only.
    client.send({"type": "undo", "entry_id": listed["id"]})
    problem = await client.next("problem")
    assert "undone already" in problem["message"]

    # The model hears of it in its next request, once.
    llm_server.push("<solution>ok</solution>")
    client.ask("what now?")
    await client.until_state("done")
    told = llm_server.requests[-1].messages[-1]["content"]
    assert "undid your turn" in told and "fix it and add y" in told and "kernel" in told
    llm_server.push("<solution>ok</solution>")
    client.ask("and now?")
    await client.until_state("done")
    assert "undid" not in llm_server.requests[-1].messages[-1]["content"]
    await client.close()


async def test_undo_with_the_page_open_keeps_the_cell_the_user_edited_and_names_it(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, notebook_file: Path
) -> None:
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    page = on_disk(notebook_file)
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    turn_one(llm_server)
    tab.ask("compute x")
    await tab.until_state("done")
    pre_turn = copy.deepcopy(page.cells.cells)
    turn_two(llm_server, cell_ref(tab))
    tab.ask("fix it and add y")
    await tab.until_state("done")
    listed = changes_of(tab)[-1]
    added = [c["cell_id"] for c in listed["changes"] if c["kind"] == "added"]
    page.find(added[0])["source"] = "y = x + 10  # mine"  # the user's edit, unsaved

    tab.send({"type": "undo", "entry_id": listed["id"]})
    entry = await undone(tab, listed["id"])
    assert [k["cell_id"] for k in entry["undone"]["kept"]] == [added[0]]
    assert entry["undone"]["kept"][0]["why"] == "edited"
    # The operation came before the entry, on the same socket: the page holds it.
    cells = page.cells.cells
    assert [source_text(c["source"]) for c in cells] == [
        *[source_text(c["source"]) for c in pre_turn],
        "y = x + 10  # mine",
    ]
    assert comparable(cells[:-1]) == comparable(pre_turn)
    await tab.close()


def test_an_undo_in_a_collaboration_room_is_one_transaction_that_keeps_a_users_edit() -> None:
    """The same operation on a real YNotebook (a room's shared notebook): the notebook
    from before the turn, in one transaction, a collaborator's edit kept."""
    pycrdt = pytest.importorskip("pycrdt")
    from jupyter_ydoc import YNotebook

    from jupyter_codeact.server.document.shared import SharedNotebook

    failed = {
        "id": "f",
        "cell_type": "code",
        "source": FAILED,
        "metadata": {"codeact": {"request_id": "r0", "chat_id": "c", "cell": "c1"}},
        "outputs": [{"output_type": "error", "ename": "NameError", "evalue": "x", "traceback": []}],
        "execution_count": 2,
    }
    added = [
        {"id": n, "cell_type": "code", "source": f"y{n} = 1", "metadata": {},
         "outputs": [], "execution_count": 3 + i}
        for i, n in enumerate(("n1", "n2"))
    ]  # fmt: skip
    fixed = {**copy.deepcopy(failed), "source": FIXED, "outputs": [], "execution_count": 5}
    shared = YNotebook(pycrdt.Doc())
    shared.set({"cells": [fixed, *added], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    # A collaborator edits the second added cell.
    text = shared.ycells[2]["source"]
    text += "  # theirs"
    op = {
        **undo("t", [left_by(cell) for cell in added], [{**left_by(fixed), "cell": failed}]),
        "seq": 1,
    }
    transactions = []
    shared.ydoc.observe(lambda event: transactions.append(event))
    assert SharedNotebook(shared, trusted=False).apply("c", [op])
    assert len(transactions) == 1
    cells = shared.get()["cells"]
    assert [source_text(c["source"]) for c in cells] == [FAILED, "yn2 = 1  # theirs"]
    assert cells[0]["outputs"][0]["ename"] == "NameError" and cells[0]["execution_count"] == 2
