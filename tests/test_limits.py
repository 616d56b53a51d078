"""Bounded input: whatever a client sends, a clear 400 or `problem` naming the limit."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_codeact.testing import ScriptedLLM

from .chat_client import ChatClient, PageNotebook, text_of
from .conftest import MODEL

pytest_plugins = ["pytest_jupyter.jupyter_server"]

DEEP = "[" * 100_000 + "]" * 100_000


@pytest.fixture
def jp_server_config(tmp_path: Path, llm_server: ScriptedLLM) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_codeact": True}},
        "CodeAct": {"base_url": llm_server.url, "api_key": "k", "model": MODEL},
        "CodeActExtension": {
            "chats_dir": str(tmp_path / "chats"),
            "page_grace": 0.5,
            "max_chat_mb": 1,
        },
    }


async def refused(jp_fetch: Any, *parts: str, **kw: Any) -> str:
    with pytest.raises(HTTPClientError) as error:
        await jp_fetch(*parts, **kw)
    assert error.value.code == 400, error.value
    assert error.value.response is not None
    message: str = json.loads(error.value.response.body)["message"]
    return message


async def new_chat(jp_fetch: Any) -> str:
    response = await jp_fetch("codeact", "chats", method="POST", body='{"path": "nb.ipynb"}')
    return str(json.loads(response.body)["id"])


async def test_rest_bodies_and_paths_are_bounded(
    jp_fetch: Any, jp_serverapp: Any, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING):
        deep = await refused(jp_fetch, "codeact", "chats", method="POST", body=DEEP)
        nested = await refused(
            jp_fetch,
            "codeact",
            "chats",
            method="POST",
            body='{"path": ' + "[" * 150 + "]" * 150 + "}",
        )
        huge = await refused(
            jp_fetch, "codeact", "chats", method="POST", body=json.dumps({"path": "x" * 2_000_000})
        )
        long_path = await refused(
            jp_fetch, "codeact", "chats", method="POST", body=json.dumps({"path": "a" * 10_000})
        )
        query = await refused(jp_fetch, "codeact", "chats", params={"path": "b" * 10_000})
        outside = await refused(jp_fetch, "codeact", "chats", params={"path": "../other/x.ipynb"})
    assert deep == "The request body is nested more than 100 levels deep."
    assert nested == "The request body is nested more than 100 levels deep."
    assert huge == "The request body is 1.91 MB, over the limit of 1 MB."
    assert (
        long_path == "The notebook path is 10,000 characters, over the limit of 4,096 characters."
    )
    assert query == long_path.replace("10,000", "10,000")
    assert "inside the server's root" in outside
    logged = [r.getMessage() for r in caplog.records if r.name == jp_serverapp.log.name]
    assert sum("CodeAct: refused POST /a%40b/codeact/chats" in line for line in logged) == 4
    # Nothing was stored.
    listing = json.loads((await jp_fetch("codeact", "chats", params={"path": "x"})).body)
    assert listing["chats"] == []


async def test_socket_frames_are_bounded_and_the_socket_stays_open(
    jp_fetch: Any, jp_ws_fetch: Any, jp_serverapp: Any, caplog: pytest.LogCaptureFixture
) -> None:
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    await client.next("snapshot")
    with caplog.at_level(logging.WARNING):
        client.ws.write_message(DEEP)
        deep = (await client.next("problem"))["message"]
        client.ask("x" * 6_000_000)
        long_text = (await client.next("problem"))["message"]
        client.ask("hi", context="c" * 1_500_000)
        context = (await client.next("problem"))["message"]
        client.ws.write_message(json.dumps({"type": "hello", "client_id": "x" * 20_000_000}))
        frame = (await client.next("problem"))["message"]
    assert deep == "The message is nested more than 100 levels deep."
    assert long_text == (
        "The message is 5.72 MB long, over the limit of 100,000 characters: put long data in "
        "a file and ask the agent to read it."
    )
    assert context == (
        "'context' of a 'user_message' message is 1.43 MB, over the limit of 1,000,000 characters."
    )
    assert frame == "The message is 19.1 MB, over the limit of 16 MB."
    logged = [r.getMessage() for r in caplog.records if r.name == jp_serverapp.log.name]
    assert sum(f"CodeAct: refused a message on chat {chat_id}" in line for line in logged) == 4
    # The socket still works, and nothing of the refused messages was stored.
    client.send({"type": "stop"})
    chat = json.loads((await jp_fetch("codeact", "chats", chat_id)).body)
    assert chat["entries"] == [] and chat["chat"]["title"] == "New chat"
    await client.close()


async def test_a_cell_that_prints_too_much_reaches_the_page_bounded(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push(
        "<execute>\nfor _ in range(30):\n    print('y' * 100_000)\n</execute>",
        "<solution>too much output</solution>",
    )
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page, path="nb.ipynb")
    client.ask("print a lot")
    await client.until_state("done")
    # Streamed as written until the bound, then its head and tail at most twice a second;
    # the cell keeps 1 MB of its 3 MB, with a note of what was dropped.
    streamed = sum(len(op["text"]) for op in page.applied_ops if op["op"] == "stream")
    assert streamed == 1_000_000
    (cell,) = page.agent_cells()
    text = text_of(cell)
    assert len(text) < 1_100_000 and "characters of output dropped" in text
    sent = sum(len(json.dumps(m)) for m in client.received if m["type"] == "ops")
    assert sent < 8_000_000
    observation = next(e for e in client.entries() if e["role"] == "observation")
    assert len(observation["outputs"][0]["text"]) < 5_000  # the chat's entry is shorter still
    await client.close()


async def test_a_chat_past_its_size_limit_takes_no_new_message(
    jp_fetch: Any, jp_ws_fetch: Any, tmp_path: Path, llm_server: ScriptedLLM
) -> None:
    chat_id = await new_chat(jp_fetch)
    file = tmp_path / "chats" / f"{chat_id}.json"
    data = json.loads(file.read_text())
    data["entries"] = [
        {"id": f"e{i}", "role": "user", "time": 1.0, "text": "z" * 100_000} for i in range(12)
    ]
    file.write_text(json.dumps(data))
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    await client.next("snapshot")
    client.ask("one more")
    problem = (await client.next("problem"))["message"]
    assert problem == (
        "This chat is 1.15 MB, over the limit of 1 MB for one chat: start a new chat (New chat)."
    )
    assert llm_server.requests == []
    await client.close()
