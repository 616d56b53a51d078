"""The server extension through its real HTTP and websocket API (pytest-jupyter)."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_codeact.config import NO_MODEL_MESSAGE, SERVER_NO_MODEL_MESSAGE
from jupyter_codeact.core.prompts import CODE_TOOL
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.server.document.cells import source_hash
from jupyter_codeact.testing import Reply, ScriptedLLM

from .chat_client import ChatClient, PageNotebook, text_of
from .conftest import MODEL

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def chats_dir(tmp_path: Path) -> Path:
    return tmp_path / "chats"


@pytest.fixture
def codeact_config(llm_server: ScriptedLLM, request: pytest.FixtureRequest) -> dict[str, Any]:
    extra = getattr(request, "param", {})
    return {
        "base_url": llm_server.url,
        "api_key": "test-key",
        "model": MODEL,
        "max_turns": 6,
        **extra,
    }


@pytest.fixture
def jp_server_config(chats_dir: Path, codeact_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_codeact": True}},
        "CodeAct": codeact_config,
        "CodeActExtension": {"chats_dir": str(chats_dir), "page_grace": 0.5},
    }


@pytest.fixture
def kernel(jp_asyncio_loop: asyncio.AbstractEventLoop) -> Iterator[KernelExecutor]:
    """A kernel of our own, on the server's event loop (for what the panel evaluates)."""
    executor = KernelExecutor()
    jp_asyncio_loop.run_until_complete(executor.start())
    yield executor
    jp_asyncio_loop.run_until_complete(executor.shutdown())


def messages_of(saved: dict[str, Any]) -> list[dict[str, Any]]:
    """What the model was sent, as a chat file keeps it: in its steps."""
    return [message for step in saved["steps"] for message in step["messages"]]


async def new_chat(jp_fetch: Any, path: str = "analysis.ipynb") -> str:
    response = await jp_fetch("codeact", "chats", method="POST", body=json.dumps({"path": path}))
    assert response.code == 201
    return str(json.loads(response.body)["id"])


async def test_config_never_contains_the_key(jp_fetch: Any) -> None:
    response = await jp_fetch("codeact", "config")
    body = json.loads(response.body)
    assert body["model"] == MODEL
    assert body["has_api_key"] is True
    assert "test-key" not in response.body.decode()


async def test_config_sends_the_base_url_without_its_credentials(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    settings = jp_serverapp.web_app.settings["codeact_settings"]
    settings.base_url = (
        "https://alice:pa55word-xyz@llm.example:8443/v1?api-key=qs-secret-123456&api-version=1"
    )
    response = await jp_fetch("codeact", "config")
    assert json.loads(response.body)["base_url"] == "https://llm.example:8443/v1"
    for secret in ("alice", "pa55word-xyz", "qs-secret-123456"):
        assert secret not in response.body.decode()
    # They are secrets wherever else they might show.
    assert settings.redactor().redact("pa55word-xyz qs-secret-123456") == "[redacted] [redacted]"


async def test_chats_are_listed_per_notebook(jp_fetch: Any) -> None:
    first = await new_chat(jp_fetch, "a.ipynb")
    await new_chat(jp_fetch, "b.ipynb")
    second = await new_chat(jp_fetch, "a.ipynb")
    listed = json.loads((await jp_fetch("codeact", "chats", params={"path": "a.ipynb"})).body)
    assert [chat["id"] for chat in listed["chats"]] == [second, first]
    chat = json.loads((await jp_fetch("codeact", "chats", first)).body)
    assert chat["entries"] == [] and chat["state"] == "idle"


async def test_a_run_inserts_actions_gets_outputs_and_answers(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_serverapp: Any,
    llm_server: ScriptedLLM,
    chats_dir: Path,
) -> None:
    llm_server.push(
        "Computing.\n<execute>\ntotal = sum([1, 2, 3])\nprint(total)\n</execute>"
        "\nObservation: 7 (imagined)",
        "The total is 6.\n<solution>6</solution>",
    )
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    await client.next("snapshot")
    client.ask("add 1, 2 and 3", context="notebook: analysis.ipynb")
    await client.until_state("done")
    assert client.roles() == ["user", "assistant", "action", "observation", "assistant", "final"]
    entries = client.entries()
    observation = entries[3]
    assert observation["status"] == "ok" and observation["outputs"][0]["text"] == "6\n"
    assert observation["duration_ms"] > 0
    assert entries[2]["phase"] == "finished"
    # The server ran the code in the notebook's session kernel, and the page's copy of the
    # notebook got the cell: source, outputs, count and provenance, from the operations.
    (cell,) = page.agent_cells()
    code = "total = sum([1, 2, 3])\nprint(total)"
    assert cell["source"] == code and text_of(cell) == "6\n"
    assert cell["execution_count"] == observation["execution_count"] == 1
    mark = cell["metadata"]["codeact"]
    assert mark["chat_id"] == chat_id and mark["code_hash"] == source_hash(code)
    assert mark["cell"] == entries[2]["cell"] and mark["execution_count"] == 1
    assert observation["cell_id"] == entries[2]["cell_id"] == cell["id"]
    assert page.applied == {chat_id: max(op["seq"] for op in page.applied_ops)}
    (session,) = await jp_serverapp.session_manager.list_sessions()
    assert session["path"] == "analysis.ipynb" and session["type"] == "notebook"
    # Outputs came as they happened (a live op), before the run's final state.
    kinds = [op["op"] for op in page.applied_ops]
    assert kinds.index("stream") < kinds.index("outputs")
    # The reply as the model reads it back, without what it imagined after its action.
    assert entries[1]["text"].endswith("</execute>")
    assert entries[5]["text"] == "6"
    assert any(m["type"] == "delta" for m in client.received)  # text streamed as it came
    # The model saw the context, and the cell's output as its observation.
    assert llm_server.requests[0].messages[1]["content"].startswith("<context>")
    assert llm_server.requests[1].messages[-1]["content"] == (
        f"Observation:\n6\n(This ran in cell {mark['cell']}.)"
    )
    # Everything is on disk, atomically written, outside the notebook.
    saved = json.loads((chats_dir / f"{chat_id}.json").read_text())
    assert [e["role"] for e in saved["entries"]] == client.roles()
    assert messages_of(saved)[-1]["role"] == "assistant"
    assert saved["ops_seq"] >= max(op["seq"] for op in page.applied_ops)
    await client.close()


async def test_a_follow_up_keeps_the_conversation(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push("<solution>first</solution>", "<solution>second</solution>")
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=PageNotebook())
    client.ask("one")
    await client.until_state("done")
    client.ask("two")
    await client.until_state("done")
    contents = [m["content"] for m in llm_server.requests[1].messages]
    assert contents[1:] == ["one", "<solution>first</solution>", "two"]
    await client.close()


async def test_a_plain_reply_is_the_answer(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push("Which column holds the dates?")
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    client.ask("plot it")
    await client.until_state("done")
    assert client.roles() == ["user", "assistant", "final"]
    await client.close()


async def test_stop_during_a_long_cell_interrupts_it(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push("<execute>import time\nprint('started', flush=True)\ntime.sleep(60)</execute>")
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("wait a minute")
    await client.until_state("running")
    # The cell's first output reached the page while it still runs.
    while not page.agent_cells() or "started" not in text_of(page.agent_cells()[0]):
        await client.next("ops")
    client.send({"type": "stop"})
    await client.until_state("idle")
    entries = client.entries()
    assert entries[-2]["role"] == "observation" and entries[-2]["status"] == "interrupted"
    assert entries[-2]["note"] == "The cell was interrupted before it finished."
    assert entries[-1]["role"] == "error" and entries[-1]["kind"] == "stopped"
    assert "KeyboardInterrupt" in text_of(page.agent_cells()[0])
    await client.close()


async def test_stop_while_the_model_streams(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push(Reply(hang=True))
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    client.ask("think forever")
    await asyncio.to_thread(llm_server.wait_for_requests, 1)
    client.send({"type": "stop"})
    await client.until_state("idle")
    assert client.entries()[-1]["kind"] == "stopped"
    await client.close()


async def test_one_run_at_a_time(jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM) -> None:
    llm_server.push(Reply(hang=True))
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    client.ask("first")
    await asyncio.to_thread(llm_server.wait_for_requests, 1)
    client.ask("second")
    problem = await client.next("problem")
    assert "still working" in problem["message"]
    client.send({"type": "stop"})
    await client.until_state("idle")
    await client.close()


async def test_a_page_that_reconnects_before_its_old_socket_is_noticed_gets_each_op_once(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push(
        Reply(content="<execute>print('hi')</execute>", delay=1.0), "<solution>hi</solution>"
    )
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    old = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page, client_id="page-1")
    old.ask("say hi")
    await asyncio.to_thread(llm_server.wait_for_requests, 1)
    # The page reconnected (a network blip) while its old socket still looks open.
    new = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page, client_id="page-1")
    await new.until_state("done")
    assert not any(m["type"] == "ops" for m in old.received)
    seqs = [op["seq"] for op in page.applied_ops]
    assert seqs == sorted(set(seqs))  # each operation once, in order
    assert [text_of(cell) for cell in page.agent_cells()] == ["hi\n"]
    await old.close()
    await new.close()


async def test_ask_before_run_reports_edits_and_skips(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push(
        "<execute>print('as written')</execute>",
        "<execute>import shutil; shutil.rmtree('/')</execute>",
        "<solution>ok</solution>",
    )
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("go", approval="ask")
    first = await client.next_approval()
    assert (first["kind"], first["code"]) == ("run", "print('as written')")
    # It waits in the notebook, where it will run, and nothing ran before the user says so.
    [waiting] = page.agent_cells()
    assert waiting["id"] == first["cell_id"] and waiting["execution_count"] is None
    # Another page of the chat, opened now, is shown what waits.
    watcher = await ChatClient.connect(jp_ws_fetch, chat_id)
    assert (await watcher.next("snapshot"))["approval"] == first
    client.decide(first, True, "print('as edited')")
    second = await client.next_approval()
    watcher.decide(second, False)
    await client.until_state("done")
    # Edited and run: the step stopped waiting for approval.
    phases = [
        m["entry"]["phase"]
        for m in client.received
        if m["type"] == "entry" and m["entry"]["role"] == "action"
    ]
    assert phases[:3] == ["pending", "waiting_approval", "running"]
    told = [llm_server.requests[i].messages[-1]["content"] for i in (1, 2)]
    assert "edited the code" in told[0] and "print('as edited')" in told[0]
    assert "chose not to run" in told[1]
    assert [e["status"] for e in client.entries() if e["role"] == "observation"] == [
        "ok",
        "skipped",
    ]
    assert [cell["source"] for cell in page.agent_cells()] == ["print('as edited')"]
    assert client.received[-1]["type"] != "approval" or client.received[-1]["approval"] is None
    await client.close()
    await watcher.close()


@pytest.mark.parametrize(
    "codeact_config", [{"approval_mode": "ask", "api_key": "k", "model": MODEL}], indirect=True
)
async def test_the_servers_ask_is_a_floor_the_page_cannot_lower(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push("<execute>print('x')</execute>", "<solution>ok</solution>")
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("go", approval="auto")  # the panel's own setting says auto
    pending = await client.next_approval()  # the server's ask holds all the same
    assert pending["code"] == "print('x')"
    assert [cell["execution_count"] for cell in page.agent_cells()] == [None]  # it waits
    client.decide(pending, False)
    await client.until_state("done")
    assert [e["status"] for e in client.entries() if e["role"] == "observation"] == ["skipped"]
    await client.close()


@pytest.mark.parametrize(
    "codeact_config",
    [{"approval_mode": "ask", "action_style": "tools", "api_key": "k", "model": MODEL}],
    indirect=True,
)
async def test_one_rule_the_pages_choice_wins_above_the_servers_floor(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    """The page's action style wins over the server's; the server's ask still holds; and a
    request that chooses nothing gets the server's values (server/resolve.py)."""
    llm_server.push("<execute>print('x')</execute>", "<solution>ok</solution>")
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("go", approval="auto", action_style="tags")
    pending = await client.next_approval()
    assert pending["code"] == "print('x')"
    assert [cell["execution_count"] for cell in page.agent_cells()] == [None]  # it waits
    assert "tools" not in llm_server.requests[0].body  # the page's tags, not the server's tools
    client.decide(pending, False)
    await client.until_state("done")
    llm_server.push(Reply(tool_calls=[{"name": CODE_TOOL, "arguments": {"code": "print(2)"}}]))
    llm_server.push("Done.")
    client.ask("again")  # nothing chosen: the server's tools style, and its ask
    second = await client.next_approval()
    assert second["code"] == "print(2)" and "tools" in llm_server.requests[2].body
    client.decide(second, False)
    await client.until_state("done")
    await client.close()


async def test_endpoint_errors_are_entries_with_the_fix(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.required_key = "another-key"
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    client.ask("hi")
    await client.until_state("error")
    error = client.entries()[-1]
    assert error["kind"] == "auth"
    assert "rejected the API key" in error["text"] and "OPENAI_API_KEY" in error["text"]
    await client.close()


@pytest.mark.parametrize("codeact_config", [{"base_url": None, "api_key": None}])
async def test_no_model_configured_says_how_to_set_one(
    jp_fetch: Any, jp_ws_fetch: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = json.loads((await jp_fetch("codeact", "config")).body)
    # The panel's note: what to set, and that the Jupyter server must restart.
    assert config["configured"] is False and config["problem"] == SERVER_NO_MODEL_MESSAGE
    assert "restart the Jupyter server" in config["problem"]
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    client.ask("hi")
    await client.until_state("error")
    assert client.entries()[-1]["text"] == NO_MODEL_MESSAGE
    await client.close()


async def test_bad_messages_get_a_problem_not_a_crash(jp_fetch: Any, jp_ws_fetch: Any) -> None:
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    client.ws.write_message("not json")
    assert (await client.next("problem"))["message"] == "The message is not valid JSON."
    client.send({"type": "user_message", "text": "  "})
    assert (await client.next("problem"))["message"] == "The message is empty."
    client.send({"type": "decide", "request_id": "x", "run": "maybe"})
    assert (await client.next("problem"))["message"] == "'run' must be true or false."
    client.send({"type": "document", "path": "elsewhere.ipynb", "applied": {}})
    problem = (await client.next("problem"))["message"]
    assert problem == "This chat belongs to analysis.ipynb, not elsewhere.ipynb."
    client.send({"type": "dance"})
    assert (await client.next("problem"))["message"] == "Unknown message type 'dance'."
    await client.close()


async def test_a_chat_follows_its_notebook_when_renamed(
    jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Path
) -> None:
    (jp_root_dir / "old.ipynb").write_text(
        json.dumps({"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5})
    )
    chat_id = await new_chat(jp_fetch, "old.ipynb")
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    await client.next("snapshot")
    await jp_fetch(
        "api", "contents", "old.ipynb", method="PATCH", body=json.dumps({"path": "new.ipynb"})
    )
    update = await client.next("chat")
    assert update["chat"]["path"] == "new.ipynb"
    listed = json.loads((await jp_fetch("codeact", "chats", params={"path": "new.ipynb"})).body)
    assert [chat["id"] for chat in listed["chats"]] == [chat_id]
    await client.close()


async def test_unknown_and_malformed_chat_ids(jp_fetch: Any, jp_ws_fetch: Any) -> None:
    with pytest.raises(HTTPClientError) as missing:
        await jp_fetch("codeact", "chats", "0" * 32)
    assert missing.value.code == 404
    with pytest.raises(HTTPClientError) as malformed:
        await jp_fetch("codeact", "chats", "..%2F..%2Fetc")
    assert malformed.value.code == 404
    with pytest.raises(HTTPClientError) as no_path:
        await jp_fetch("codeact", "chats")
    assert no_path.value.code == 400


async def test_delete_a_chat(jp_fetch: Any, chats_dir: Path) -> None:
    chat_id = await new_chat(jp_fetch)
    assert (chats_dir / f"{chat_id}.json").exists()
    response = await jp_fetch("codeact", "chats", chat_id, method="DELETE")
    assert response.code == 204
    assert not (chats_dir / f"{chat_id}.json").exists()


async def test_context_expression_summarises_a_kernel_silently(
    jp_fetch: Any, kernel: KernelExecutor
) -> None:
    """Evaluated the way the panel does: silent, as a user expression, in a plain kernel."""
    expression = json.loads((await jp_fetch("codeact", "context", "expression")).body)["expression"]
    setup = await kernel.execute("import json\nsales = [1, 2, 3]\nrate = 0.5", timeout=30)
    assert setup.status == "ok"
    client = kernel.backend.client  # type: ignore[attr-defined]
    before = await kernel.execute("len(In)", timeout=30)
    msg_id = client.execute(
        "", silent=True, store_history=False, user_expressions={"ns": expression}
    )
    reply = await client.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = await client.get_shell_msg(timeout=30)
    result = reply["content"]["user_expressions"]["ns"]
    assert result["status"] == "ok", result
    text = result["data"]["application/json"]["text"]
    assert "- sales: list" in text and "- rate: float" in text
    assert "json" not in text  # modules are left out
    after = await kernel.execute("len(In)", timeout=30)
    # Nothing was added to the kernel's history or namespace.
    assert (
        int(after.outputs[0]["data"]["text/plain"])
        == int(before.outputs[0]["data"]["text/plain"]) + 1
    )
    leaked = await kernel.execute("[n for n in globals() if 'codeact' in n.lower()]", timeout=30)
    assert leaked.outputs[0]["data"]["text/plain"] == "[]"


async def test_a_run_cut_short_by_a_server_stop_is_closed_on_load(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM, chats_dir: Path
) -> None:
    chat_id = await new_chat(jp_fetch)
    # What the file holds when the server stopped while the agent's cell was running.
    file = chats_dir / f"{chat_id}.json"
    saved = json.loads(file.read_text())
    now = saved["info"]["updated"]
    saved["entries"] = [
        {"id": "u", "role": "user", "time": now, "text": "count"},
        {"id": "a", "role": "assistant", "time": now, "text": "<execute>1</execute>"},
        {"id": "action-x", "role": "action", "time": now, "code": "1", "phase": "running"},
    ]
    saved["messages"] = [
        {"role": "system", "content": "prompt"},
        {"role": "user", "content": "count"},
        {"role": "assistant", "content": "<execute>1</execute>"},
    ]
    file.write_text(json.dumps(saved))
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    snapshot = await client.next("snapshot")
    assert snapshot["entries"][2]["phase"] == "finished"
    assert snapshot["entries"][-1]["role"] == "error"
    assert "server stopped" in snapshot["entries"][-1]["text"]
    llm_server.push("<solution>1</solution>")
    client.ask("go on")
    await client.until_state("done")
    # The model hears that its last action's outcome is unknown, before the follow-up.
    told = [m["content"] for m in llm_server.requests[0].messages[-2:]]
    assert "server stopped" in told[0] and told[1] == "go on"
    await client.close()


async def test_reasoning_is_an_entry_of_its_own_stored_and_never_sent_back(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    llm_server: ScriptedLLM,
    chats_dir: Path,
) -> None:
    llm_server.push(
        Reply(
            reasoning="The user wants the row count. <execute>rm()</execute> would be wrong.",
            content="Counting.\n```\nThis is quoted text.\n```\n<execute>\nprint(3)\n</execute>",
            chunk_size=8,
        ),
        "<solution>3 rows</solution>",
    )
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=PageNotebook())
    client.ask("how many rows?")
    await client.until_state("done")
    assert client.roles() == [
        "user",
        "thinking",
        "assistant",
        "action",
        "observation",
        "assistant",
        "final",
    ]
    thinking = client.entries()[1]
    assert (
        thinking["text"] == "The user wants the row count. <execute>rm()</execute> would be wrong."
    )
    assert thinking["streaming"] is False and thinking["duration_ms"] >= 0
    streamed = [
        m["text"] for m in client.received if m.get("id") == thinking["id"] and m["type"] == "delta"
    ]
    assert len(streamed) > 1 and "".join(streamed) == thinking["text"]
    # The panel shows the prose as the grammar reads it: the bare fence of text stays.
    assert client.entries()[2]["prose"] == "Counting.\n```\nThis is quoted text.\n```"
    saved = json.loads((chats_dir / f"{chat_id}.json").read_text())
    assert saved["entries"][1]["role"] == "thinking"
    assert "row count" not in json.dumps(messages_of(saved))
    assert "row count" not in json.dumps(llm_server.requests[1].messages)
    await client.close()


async def test_tools_style_streams_the_code_runs_it_and_records_the_style(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    llm_server: ScriptedLLM,
    chats_dir: Path,
) -> None:
    code = "total = sum([1, 2, 3])\nprint(total)"
    call = {"name": "execute_python", "arguments": {"code": code}}
    llm_server.push(Reply(content="Computing.", tool_calls=[call], chunk_size=4), "It is 6.")
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    await client.next("snapshot")
    client.ask("add 1, 2 and 3", action_style="tools")  # the panel's setting
    await client.until_state("done")
    assert [cell["source"] for cell in page.agent_cells()] == [code]
    pieces = [m for m in client.received if m["type"] == "delta" and m.get("field") == "code"]
    assert len(pieces) > 3 and "".join(m["text"] for m in pieces) == code
    assert client.roles() == ["user", "assistant", "action", "observation", "assistant", "final"]
    reply = client.entries()[1]
    assert reply["prose"] == "Computing." and "code" not in reply  # the step shows it now
    saved = json.loads((chats_dir / f"{chat_id}.json").read_text())
    assert saved["info"]["action_style"] == "tools"
    calls = [m for m in messages_of(saved) if m.get("tool_calls")]
    results = [m for m in messages_of(saved) if m["role"] == "tool"]
    assert [r["tool_call_id"] for r in results] == [calls[0]["tool_calls"][0]["id"]]
    ran = r"Observation:\n6\n\(This ran in cell c[0-9a-f]+\.\)"
    assert re.fullmatch(ran, results[0]["content"])
    await client.close()


async def test_the_chat_says_when_older_steps_were_condensed(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.context_window = 1200  # reported in /v1/models, as vLLM does
    steps = [f"<execute>\nprint('step {i} ' + 'y' * 700)\n</execute>" for i in range(5)]
    llm_server.push(*steps, "<solution>done</solution>")
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=PageNotebook())
    client.ask("print the steps", action_style="tags")
    await client.until_state("done")
    notes = [e for e in client.entries() if e["role"] == "condensed"]
    assert notes and notes[0]["text"].startswith("Older steps were condensed for the model")
    assert client.roles().count("observation") == 5  # the chat keeps every step
    assert all("prompt_tokens" not in e for e in notes)
    assert max(len(json.dumps(r.body["messages"])) // 4 for r in llm_server.requests) < 1200
    await client.close()
