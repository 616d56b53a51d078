"""``jupyter codeact export`` of the chat store: a chat the real server stored, and stores
holding what a store can hold (damaged files, tool calls, images, a planted key)."""

from __future__ import annotations

import io
import json
import logging
import re
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeact.cli.main import main
from jupyter_codeact.core.steps import (
    AnswerStep,
    Conversation,
    ObservationStep,
    ReplyStep,
    RequestStep,
    SystemStep,
)
from jupyter_codeact.export.progress import MIN_FILES, Progress
from jupyter_codeact.server.chat_file import ChatRecord
from jupyter_codeact.server.store import ChatStore
from jupyter_codeact.testing import ScriptedLLM

from .chat_client import ChatClient, PageNotebook
from .conftest import MODEL
from .exporting import export, lines

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture
def chats_dir(tmp_path: Path) -> Path:
    return tmp_path / "chats"


@pytest.fixture
def jp_server_config(chats_dir: Path, llm_server: ScriptedLLM) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_codeact": True}},
        "CodeAct": {"base_url": llm_server.url, "api_key": "test-key", "model": MODEL},
        "CodeActExtension": {"chats_dir": str(chats_dir)},
    }


async def test_a_chat_stored_by_the_server_exports_as_the_model_saw_it(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_root_dir: Path,
    llm_server: ScriptedLLM,
    chats_dir: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    llm_server.push(
        "Summing.\n<execute>\nprint(sum([1, 2, 3]))\n</execute>",
        "<solution>6</solution>",
        "<solution>12</solution>",
    )
    response = await jp_fetch(
        "codeact", "chats", method="POST", body=json.dumps({"path": "work/sums.ipynb"})
    )
    chat_id = json.loads(response.body)["id"]
    other = await jp_fetch(
        "codeact", "chats", method="POST", body=json.dumps({"path": "other.ipynb"})
    )
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page, path="work/sums.ipynb")
    client.ask("add 1, 2 and 3", context="notebook: work/sums.ipynb")
    await client.until_state("done")
    client.ask("and doubled?")
    await client.until_state("done")
    await client.close()
    stored = (chats_dir / f"{chat_id}.json").read_text()
    out = tmp_path / "chat.jsonl"
    notebook = str(jp_root_dir / "work" / "sums.ipynb")
    said = export(capsys, out, str(chats_dir), "--notebook", notebook)
    (line,) = lines(out)  # the other notebook's chat is not selected
    last = llm_server.requests[-1].messages
    assert line["messages"] == [*last, {"role": "assistant", "content": "<solution>12</solution>"}]
    assert line["messages"][1]["content"].startswith("<context>")  # what the model was sent
    assert re.fullmatch(  # the sidebar's observation names the cell
        r"Observation:\n6\n\(This ran in cell c[0-9a-f]+\.\)", line["messages"][3]["content"]
    )
    meta = line["metadata"]
    assert (meta["kind"], meta["chat_id"], meta["notebook"], meta["model"]) == (
        "chat",
        chat_id,
        "work/sums.ipynb",
        MODEL,
    )
    assert (meta["success"], meta["turns"], meta["action_style"]) == (True, 3, "tags")
    assert meta["source"] == f"{chats_dir}/{chat_id}.json"
    # The same chat by its id, and as a file, in the other format; the store is untouched.
    export(capsys, out, str(chats_dir), "--chat", chat_id)
    assert [line["metadata"]["chat_id"] for line in lines(out)] == [chat_id]
    export(capsys, out, str(chats_dir / f"{chat_id}.json"), "--format", "sharegpt")
    (share,) = lines(out)
    assert [turn["from"] for turn in share["conversations"]] == [
        "system",
        "human",
        "gpt",
        "human",
        "gpt",
        "human",
        "gpt",
    ]
    assert (chats_dir / f"{chat_id}.json").read_text() == stored
    said = export(capsys, out, str(chats_dir))
    assert "skipped 1: 1 with no reply of the model" in said
    assert json.loads(other.body)["id"] not in out.read_text()


KEY = "sk-planted-0123456789abcdef"


def make_store(directory: Path, root: Path) -> ChatStore:
    return ChatStore(directory, server_root=root, log=logging.getLogger("test.export"))


def add_chat(
    store: ChatStore, path: str, messages: list[dict[str, Any]], answered: bool = True
) -> ChatRecord:
    record = store.create(path, title="chat")
    record.entries = [{"id": "u", "role": "user", "time": 1.0, "text": "hi", "model": "m1"}]
    if answered:
        record.entries.append({"id": "f", "role": "final", "time": 2.0, "text": "done"})
    record.messages = messages
    store.save(record)
    return record


def tag_chat(secret: str = "") -> list[dict[str, Any]]:
    return [
        {"role": "system", "content": "system prompt"},
        {"role": "user", "content": "Read the key"},
        {"role": "assistant", "content": "<execute>\nprint(key)\n</execute>"},
        {"role": "user", "content": f"Observation:\n{secret or 'nothing'}"},
        {"role": "assistant", "content": "<solution>done</solution>", "reasoning_content": "hm"},
    ]


def test_a_planted_key_and_damaged_files_in_the_store(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A key stored before it was the key (or under another one) is redacted on the way out;
    a damaged file is named and skipped, and left for the server to deal with."""
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    chats = tmp_path / "data" / "codeact" / "chats"  # the default store
    store = make_store(chats, tmp_path)
    planted = add_chat(store, "a.ipynb", tag_chat(secret=KEY))
    unanswered = add_chat(store, "b.ipynb", tag_chat()[:3], answered=False)
    damaged = add_chat(store, "c.ipynb", tag_chat())
    bad_file = chats / f"{damaged.info['id']}.json"
    bad_file.write_text(bad_file.read_text()[:-20])
    out = tmp_path / "out.jsonl"
    for format in ("openai", "sharegpt"):
        said = export(capsys, out, "chats", "--format", format)
        assert KEY not in out.read_text() and "[redacted]" in out.read_text()
        assert len(lines(out)) == 2
    assert f"Skipped {bad_file}: not valid JSON" in said
    assert "Exported 2 trajectories" in said and "1 file could not be read" in said
    assert bad_file.exists() and not list(chats.glob("*.corrupt"))
    export(capsys, out, str(chats), "--format", "openai")
    by_chat = {line["metadata"]["chat_id"]: line for line in lines(out)}
    assert by_chat[planted.info["id"]]["messages"][3]["content"] == "Observation:\n[redacted]"
    assert by_chat[planted.info["id"]]["metadata"]["model"] == "m1"
    # Reasoning is never exported, whatever a host stored beside a message.
    assert "reasoning_content" not in out.read_text()
    # An unanswered chat ends at the model's last reply, and --solved-only leaves it out.
    assert by_chat[unanswered.info["id"]]["metadata"]["success"] is False
    said = export(capsys, out, "--notebook", str(tmp_path / "b.ipynb"), "--solved-only")
    assert lines(out) == [] and "skipped 1: 1 not solved (--solved-only)" in said
    assert "No chat ffff" in export(capsys, out, "--chat", "f" * 32, status=2)


def tool_chat(image: str) -> list[dict[str, Any]]:
    """A chat in the tools style: native tool calls, and their results as tool messages."""
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "execute_python", "arguments": json.dumps({"code": "plot()"})},
    }
    return [
        {"role": "system", "content": "system prompt"},
        {"role": "user", "content": "Plot it"},
        {"role": "assistant", "content": "Plotting.", "tool_calls": [call]},
        {
            "role": "tool",
            "tool_call_id": "call_1",
            "content": [
                {"type": "text", "text": "Observation:\n<Figure>"},
                {"type": "image_url", "image_url": {"url": image}},
            ],
        },
        {"role": "assistant", "content": "Here is the plot."},
    ]


def test_tool_calls_and_images_pass_through_or_map_to_sharegpt(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    image = "data:image/png;base64,iVBORw0KGgo="
    store = make_store(tmp_path / "chats", tmp_path)
    add_chat(store, "plot.ipynb", tool_chat(image))
    out = tmp_path / "out.jsonl"
    export(capsys, out, str(tmp_path / "chats"))
    (line,) = lines(out)
    messages = line["messages"]
    assert messages[2]["tool_calls"][0]["function"]["name"] == "execute_python"
    # The chat did not record what it offered: the panel's code tool, with its cell targeting.
    (tool,) = line["tools"]
    assert tool["function"]["name"] == "execute_python"
    assert set(tool["function"]["parameters"]["properties"]) == {"code", "replace", "new"}
    assert messages[3] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": "Observation:\n<Figure>",
    }
    assert line["metadata"]["action_style"] == "tools" and image not in out.read_text()
    export(capsys, out, str(tmp_path / "chats"), "--images", "keep")
    (line,) = lines(out)
    assert line["messages"][3]["content"][1] == {"type": "image_url", "image_url": {"url": image}}
    export(capsys, out, str(tmp_path / "chats"), "--images", "keep", "--format", "sharegpt")
    (line,) = lines(out)
    assert line["conversations"][2:] == [
        {
            "from": "function_call",
            "value": '{"name": "execute_python", "arguments": {"code": "plot()"}}',
        },
        {"from": "observation", "value": "Observation:\n<Figure>\n<image>"},
        {"from": "gpt", "value": "Here is the plot."},
    ]
    assert line["images"] == [image]


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_a_large_store_shows_a_progress_bar_on_a_terminal(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = make_store(tmp_path / "chats", tmp_path)
    for index in range(MIN_FILES + 5):
        add_chat(store, f"n{index}.ipynb", tag_chat())
    damaged = min((tmp_path / "chats").glob("*.json"))  # read first: the bar goes on after it
    damaged.write_text("{}")
    screen = Terminal()
    monkeypatch.setattr("sys.stderr", screen)
    assert main(["export", str(tmp_path / "chats"), "-o", str(tmp_path / "out.jsonl")]) == 0
    shown = screen.getvalue()
    total = MIN_FILES + 5
    assert f"] {total}/{total} files" in shown
    # A problem is said on a line of its own, the bar cleared first; the summary comes last.
    assert f"\r\x1b[KSkipped {damaged}: 'info' is missing or not an object.\n" in shown
    assert shown.endswith(
        f"\r\x1b[KExported {total - 1} trajectories to {tmp_path}/out.jsonl; "
        "none skipped; 1 file could not be read (above).\n"
    )
    # Not a terminal, or a small store: no bar.
    for stream, count in ((io.StringIO(), total), (Terminal(), MIN_FILES - 1)):
        quiet = Progress(count, stream)
        for _ in range(count):
            quiet.step()
        quiet.close()
        assert stream.getvalue() == ""


def test_keys_the_hosts_configure_are_redacted_without_the_environment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's own config set the key (not the environment of this command): a chat
    that holds it, stored before it was redacted, is exported without it; so is the
    magic's key and an MCP server's header."""
    server_key, magic_key, header = "sk-server-4Kd9qQ2x", "sk-magic-8Pw3zN7c", "hdr-9a8b7c6d5e4f"
    config, ipython = tmp_path / "config", tmp_path / "ipython" / "profile_default"
    config.mkdir()
    ipython.mkdir(parents=True)
    (config / "jupyter_server_config.py").write_text(
        f"c.CodeAct.api_key = {server_key!r}\n"
        "c.CodeAct.mcp_servers = {'svc': {'url': 'http://127.0.0.1:9/mcp', "
        f"'headers': {{'Authorization': 'Bearer {header}'}}}}}}\n"
    )
    (ipython / "ipython_config.py").write_text(f"c.CodeAct.api_key = {magic_key!r}\n")
    monkeypatch.setenv("JUPYTER_CONFIG_DIR", str(config))
    monkeypatch.setenv("IPYTHONDIR", str(tmp_path / "ipython"))
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    store = make_store(tmp_path / "chats", tmp_path)
    for secret in (server_key, magic_key, header):
        add_chat(store, f"{secret}.ipynb", tag_chat(secret=secret))
    out = tmp_path / "out.jsonl"
    export(capsys, out, str(tmp_path / "chats"))
    text = out.read_text()
    assert len(lines(out)) == 3 and text.count("[redacted]") >= 3
    for secret in (server_key, magic_key, header):
        assert secret not in text


def test_a_link_in_the_store_to_a_file_outside_is_not_followed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = make_store(tmp_path / "chats", tmp_path)
    add_chat(store, "a.ipynb", tag_chat())
    elsewhere = make_store(tmp_path / "elsewhere", tmp_path)
    private = add_chat(elsewhere, "b.ipynb", tag_chat(secret="PRIVATE-ELSEWHERE"))
    link = tmp_path / "chats" / f"{'e' * 32}.json"
    link.symlink_to(tmp_path / "elsewhere" / f"{private.info['id']}.json")
    out = tmp_path / "out.jsonl"
    said = export(capsys, out, str(tmp_path / "chats"))
    assert "PRIVATE-ELSEWHERE" not in out.read_text() and len(lines(out)) == 1
    assert f"Skipped {link}: the file (a link) leads outside {tmp_path / 'chats'}" in said


def test_a_chat_is_exported_from_its_steps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A chat file keeps its steps, each with its messages: the export reads them, whatever
    else the file holds, and the steps say whether the last request was answered."""
    store = make_store(tmp_path / "chats", tmp_path)
    record = store.create("a.ipynb", title="chat")
    record.entries = [{"id": "u", "role": "user", "time": 1.0, "text": "hi", "model": "m1"}]
    sent = tag_chat()
    record.steps = Conversation(
        [
            SystemStep(messages=sent[:1]),
            RequestStep(messages=sent[1:2], text="Read the key"),
            ReplyStep(messages=sent[2:3], code="print(key)", acted=True),
            ObservationStep(messages=sent[3:4], status="ok"),
            AnswerStep(messages=sent[4:], answer="done"),
        ]
    ).to_json()
    store.save(record)
    file = tmp_path / "chats" / f"{record.info['id']}.json"
    assert "messages" not in json.loads(file.read_text())  # the steps hold them
    out = tmp_path / "out.jsonl"
    export(capsys, out, str(tmp_path / "chats"))
    (line,) = lines(out)
    assert line["messages"] == [*sent[:4], {"role": "assistant", "content": sent[4]["content"]}]
    assert line["metadata"]["success"] is True  # no entry says so: the answer step does
    # A file that also holds messages which disagree with its steps is read from the steps.
    data = json.loads(file.read_text())
    data["messages"] = [{"role": "user", "content": "not what the model was sent"}]
    file.write_text(json.dumps(data))
    export(capsys, out, str(tmp_path / "chats"))
    assert lines(out)[0]["messages"] == line["messages"]
