"""The chat store: one chat per notebook file, and damaged files set aside, not fatal."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_codeact.server.chat_file import FORMAT_VERSION
from jupyter_codeact.server.store import ChatStore
from jupyter_codeact.testing import ScriptedLLM

from .chat_client import ChatClient

pytest_plugins = ["pytest_jupyter.jupyter_server"]

LOG = "test.codeact.store"

FAULTS = {
    "missing path": lambda data: data["info"].pop("path"),
    "wrong type": lambda data: data.update(entries={"not": "a list"}),
    "empty info": lambda data: data.update(info={}),
    "entry without id": lambda data: data["entries"].append({"role": "user"}),
    "info.id of another chat": lambda data: data["info"].update(id="0" * 32),
}


def make_store(directory: Path, root: Path) -> ChatStore:
    return ChatStore(directory, server_root=root, log=logging.getLogger(LOG))


def good_chats(store: ChatStore, count: int, path: str = "nb.ipynb") -> list[str]:
    ids = []
    for index in range(count):
        record = store.create(path, title=f"chat {index}")
        record.entries.append({"id": f"e{index}", "role": "user", "time": 1.0, "text": "hi"})
        store.save(record)
        ids.append(record.info["id"])
    return ids


def damage(file: Path, fault: str) -> None:
    if fault == "truncated":
        file.write_text(file.read_text()[:-10])  # a write cut short: the head is intact
    elif fault == "not UTF-8":
        file.write_bytes(b"\xff\xfe" + file.read_bytes())
    else:
        data = json.loads(file.read_text())
        FAULTS[fault](data)
        file.write_text(json.dumps(data))


@pytest.mark.parametrize("fault", [*FAULTS, "truncated", "not UTF-8"])
def test_a_damaged_file_is_set_aside_and_every_other_chat_kept(
    tmp_path: Path, fault: str, caplog: pytest.LogCaptureFixture
) -> None:
    directory, root = tmp_path / "chats", tmp_path / "project"
    ids = good_chats(make_store(directory, root), 16)
    bad = ids[5]
    damage(directory / f"{bad}.json", fault)
    store = make_store(directory, root)  # a server starting: it builds its index from disk
    with caplog.at_level(logging.WARNING, logger=LOG):
        listed = [chat["id"] for chat in store.chats_for("nb.ipynb")]
    assert sorted(listed) == sorted(set(ids) - {bad})  # the 15 others, all of them
    assert not (directory / f"{bad}.json").exists()
    assert (directory / f"{bad}.json.corrupt").is_file()  # kept for the user, not deleted
    (record,) = [r for r in caplog.records if r.name == LOG]
    assert str(directory / f"{bad}.json") in record.getMessage()
    assert "moved it to" in record.getMessage() and str(directory / f"{bad}.json.corrupt") in (
        record.getMessage()
    )
    assert store.load(bad) is None
    # Still usable: another chat of the same notebook is created and listed.
    fresh = store.create("nb.ipynb").info["id"]
    assert fresh in [chat["id"] for chat in store.chats_for("nb.ipynb")]


def test_the_reason_names_what_is_wrong(tmp_path: Path) -> None:
    directory, root = tmp_path / "chats", tmp_path / "p"
    ids = good_chats(make_store(directory, root), 3)
    damage(directory / f"{ids[0]}.json", "missing path")
    damage(directory / f"{ids[1]}.json", "truncated")
    damage(directory / f"{ids[2]}.json", "wrong type")
    store = make_store(directory, root)
    assert store.chats_for("nb.ipynb") == []
    reasons = {problem.chat_id: problem.reason for problem in store.problems}
    assert reasons[ids[0]] == "'info.path' is missing"
    assert reasons[ids[1]].startswith("not valid JSON")
    assert reasons[ids[2]] == "'entries' must be a list"
    # Files that still name their notebook: that notebook's panel is told.
    problems = {problem.chat_id: problem for problem in store.problems_for("nb.ipynb")}
    assert sorted(problems) == sorted(ids[1:])
    problem = problems[ids[1]]
    assert problem.message() == (
        f"A chat of this notebook could not be read ({problem.reason}): its file was moved "
        f"to {directory / (ids[1] + '.json.corrupt')}."
    )


def test_a_file_damaged_after_listing_is_set_aside_when_opened(tmp_path: Path) -> None:
    directory, root = tmp_path / "chats", tmp_path / "p"
    store = make_store(directory, root)
    first, second = good_chats(store, 2)
    assert len(store.chats_for("nb.ipynb")) == 2
    (directory / f"{first}.json").write_text('{"version": 2, "info": [')
    assert store.load(first) is None
    assert [chat["id"] for chat in store.chats_for("nb.ipynb")] == [second]
    assert store.problem_of(first) is not None


def test_a_newer_format_is_left_alone(tmp_path: Path) -> None:
    directory, root = tmp_path / "chats", tmp_path / "p"
    (chat_id,) = good_chats(make_store(directory, root), 1)
    file = directory / f"{chat_id}.json"
    file.write_text(json.dumps({**json.loads(file.read_text()), "version": 99}))
    store = make_store(directory, root)
    assert store.chats_for("nb.ipynb") == []
    assert file.is_file() and not store.problems  # a newer server may be using it


def test_chats_belong_to_the_notebook_file_not_its_name(tmp_path: Path) -> None:
    directory = tmp_path / "chats"  # one store, as every server of a user shares
    sales_a = make_store(directory, tmp_path / "a")
    sales_b = make_store(directory, tmp_path / "b")
    (in_a,) = good_chats(sales_a, 1, "sales.ipynb")
    assert make_store(directory, tmp_path / "b").chats_for("sales.ipynb") == []
    assert sales_b.load(in_a) is None  # not even by id
    (in_b,) = good_chats(sales_b, 1, "sales.ipynb")
    assert [c["id"] for c in make_store(directory, tmp_path / "a").chats_for("sales.ipynb")] == [
        in_a
    ]
    # A server started one folder up sees the same file's chat, under its own path.
    parent = make_store(directory, tmp_path)
    (chat,) = parent.chats_for("a/sales.ipynb")
    assert chat["id"] == in_a and chat["path"] == "a/sales.ipynb"
    record = parent.load(in_a)
    assert record is not None and record.info["path"] == "a/sales.ipynb"
    assert in_b not in [c["id"] for c in parent.chats_for("a/sales.ipynb")]


def real(path: Path) -> str:
    return os.path.realpath(path)


def legacy_chat(directory: Path, chat_id: str, path: str) -> None:
    """A chat as the previous format wrote it: no root."""
    directory.mkdir(parents=True, exist_ok=True)
    info = {"id": chat_id, "path": path, "title": "old", "created": 1.0, "updated": 2.0}
    entries = [{"id": "e1", "role": "user", "time": 1.0, "text": "the secret is 42"}]
    data = {"version": 1, "info": info, "entries": entries, "messages": [], "turn": 1}
    (directory / f"{chat_id}.json").write_text(json.dumps(data))


def notebook(path: Path, *chat_ids: str) -> None:
    cells = [
        {"cell_type": "code", "id": f"c{i}", "source": "1", "outputs": [], "execution_count": 1,
         "metadata": {"codeact": {"chat_id": chat_id, "turn": 1}}}
        for i, chat_id in enumerate(chat_ids)
    ]  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))


def test_old_chats_are_matched_only_by_the_cells_they_wrote(tmp_path: Path) -> None:
    directory = tmp_path / "chats"
    mine, theirs, no_cells = "a" * 32, "b" * 32, "c" * 32
    for chat_id in (mine, theirs, no_cells):
        legacy_chat(directory, chat_id, "sales.ipynb")
    notebook(tmp_path / "a" / "sales.ipynb", mine)
    notebook(tmp_path / "b" / "sales.ipynb", theirs)
    store_a = make_store(directory, tmp_path / "a")
    assert sorted(store_a.unmatched("sales.ipynb")) == [mine, theirs, no_cells]
    assert store_a.chats_for("sales.ipynb") == []  # nothing is shown before it is matched
    assert store_a.claim("sales.ipynb", store_a.provenance("sales.ipynb")) == [mine]
    assert [c["id"] for c in store_a.chats_for("sales.ipynb")] == [mine]
    store_b = make_store(directory, tmp_path / "b")
    assert store_b.claim("sales.ipynb", store_b.provenance("sales.ipynb")) == [theirs]
    assert [c["id"] for c in store_b.chats_for("sales.ipynb")] == [theirs]
    # One that never ran a cell cannot be told apart: it stays on disk, unlisted.
    assert (directory / f"{no_cells}.json").is_file()
    assert make_store(directory, tmp_path / "a").unmatched("sales.ipynb") == [no_cells]


# -- through the server ----------------------------------------------------------------------


@pytest.fixture
def jp_server_config(tmp_path: Path) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_codeact": True}},
        "CodeAct": {"base_url": "http://127.0.0.1:9/v1", "model": "m"},
        "CodeActExtension": {"chats_dir": str(tmp_path / "chats")},
    }


async def test_the_panel_hears_which_chat_could_not_be_read(
    jp_fetch: Any, jp_serverapp: Any, jp_root_dir: Path, tmp_path: Path, caplog: Any
) -> None:
    directory = tmp_path / "chats"
    good = make_store(directory, jp_root_dir)
    ids = good_chats(good, 4, "nb.ipynb")
    damage(directory / f"{ids[0]}.json", "truncated")
    damage(directory / f"{ids[1]}.json", "empty info")
    with caplog.at_level(logging.WARNING):
        response = await jp_fetch("codeact", "chats", params={"path": "nb.ipynb"})
    listing = json.loads(response.body)
    assert sorted(chat["id"] for chat in listing["chats"]) == sorted(ids[2:])
    (problem,) = listing["problems"]  # the truncated one still names this notebook
    assert "A chat of this notebook could not be read (not valid JSON" in problem
    assert str(directory / f"{ids[0]}.json.corrupt") in problem
    # Both are in the server's log, through the server's logger.
    logged = [r.getMessage() for r in caplog.records if r.name == jp_serverapp.log.name]
    assert any(f"{ids[0]}.json could not be read" in line for line in logged)
    assert any(f"{ids[1]}.json could not be read ('info.id' is missing)" in line for line in logged)
    # Opening the damaged chat says what happened to it.
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch("codeact", "chats", ids[0])
    assert raised.value.code == 404 and raised.value.response is not None
    assert "This chat could not be read" in raised.value.response.body.decode()


async def test_an_old_chat_is_matched_when_its_notebook_is_opened(
    jp_fetch: Any, jp_root_dir: Path, tmp_path: Path
) -> None:
    legacy_chat(tmp_path / "chats", "d" * 32, "work/sales.ipynb")
    notebook(jp_root_dir / "work" / "sales.ipynb", "d" * 32)
    response = await jp_fetch("codeact", "chats", params={"path": "work/sales.ipynb"})
    assert [chat["id"] for chat in json.loads(response.body)["chats"]] == ["d" * 32]
    chat = json.loads((await jp_fetch("codeact", "chats", "d" * 32)).body)
    assert chat["entries"][0]["text"] == "the secret is 42"
    saved = json.loads((tmp_path / "chats" / f"{'d' * 32}.json").read_text())
    assert saved["version"] == FORMAT_VERSION and saved["info"]["root"] == real(jp_root_dir)


@pytest.mark.asyncio
async def test_two_servers_in_two_projects_keep_separate_chats(
    tmp_path: Path, llm_server: ScriptedLLM
) -> None:
    from .test_server_process import codeact_server

    shared = f"--CodeActExtension.chats_dir={tmp_path / 'chats'}"  # every server of a user
    for project in ("a", "b"):
        notebook(tmp_path / project / "sales.ipynb")
    llm_server.push("<solution>noted</solution>", "<solution>I do not know it</solution>")
    with codeact_server(tmp_path / "a", llm_server, shared) as first:
        chat_a = await first.fetch("codeact/chats", method="POST", body='{"path": "sales.ipynb"}')
        client = await ChatClient.connect(first.ws_fetch(), chat_a["id"])
        client.ask("the code word is pineapple")
        await client.until_state("done")
        await client.close()
        with codeact_server(tmp_path / "b", llm_server, shared) as second:
            assert (await second.fetch("codeact/chats?path=sales.ipynb"))["chats"] == []
            chat_b = await second.fetch(
                "codeact/chats", method="POST", body='{"path": "sales.ipynb"}'
            )
            client = await ChatClient.connect(second.ws_fetch(), chat_b["id"])
            client.ask("what was the code word?")
            await client.until_state("done")
            await client.close()
        # The second project's model never heard the first one's conversation.
        assert "pineapple" not in json.dumps(llm_server.requests[-1].messages)
        listed = await first.fetch("codeact/chats?path=sales.ipynb")
        assert [chat["id"] for chat in listed["chats"]] == [chat_a["id"]]


async def test_another_root_cannot_delete_a_chat(
    jp_fetch: Any, jp_root_dir: Path, tmp_path: Path
) -> None:
    """Both servers share the user's store; a chat of another project is not ours to delete,
    by id or otherwise (it is not ours to read either)."""
    directory = tmp_path / "chats"
    (elsewhere,) = good_chats(make_store(directory, tmp_path / "elsewhere"), 1, "sales.ipynb")
    with pytest.raises(HTTPClientError) as refused:
        await jp_fetch("codeact", "chats", elsewhere, method="DELETE")
    assert refused.value.code == 404
    assert (directory / f"{elsewhere}.json").is_file()
    with pytest.raises(HTTPClientError) as unread:
        await jp_fetch("codeact", "chats", elsewhere)
    assert unread.value.code == 404
    # An old chat not matched to a notebook of this server is kept as well.
    legacy_chat(directory, "d" * 32, "sales.ipynb")
    with pytest.raises(HTTPClientError):
        await jp_fetch("codeact", "chats", "d" * 32, method="DELETE")
    assert (directory / f"{'d' * 32}.json").is_file()
    # Its own chats still go.
    mine = json.loads(
        (
            await jp_fetch("codeact", "chats", method="POST", body=json.dumps({"path": "a.ipynb"}))
        ).body
    )["id"]
    assert (await jp_fetch("codeact", "chats", mine, method="DELETE")).code == 204
    assert not (directory / f"{mine}.json").exists()
