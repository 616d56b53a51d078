"""Project trust in the panel, through the server's real HTTP and websocket API: the root's
``.jupyter/mcp.json`` runs nothing until the user trusts it in the prompt, and asks again
once it changes."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_codeact.testing import ScriptedLLM

from .chat_client import ChatClient, PageNotebook
from .conftest import MODEL
from .mcp import SERVER
from .test_server import new_chat
from .trusting import decide, pending

pytest_plugins = ["pytest_jupyter.jupyter_server"]

KEY = "sk-panel-key-5Jw7Qz3x"


@pytest.fixture
def jp_server_config(tmp_path: Path, llm_server: ScriptedLLM) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_codeact": True}},
        "CodeAct": {"base_url": llm_server.url, "api_key": KEY, "model": MODEL, "max_turns": 4},
        "CodeActExtension": {"chats_dir": str(tmp_path / "chats"), "page_grace": 0.5},
    }


def project_file(root: Path, token: str) -> Path:
    """The root's mcp.json: a server that says in ran.txt when it starts."""
    marker = root / "ran.txt"
    command = f"echo ran >> {marker}; exec {sys.executable} {SERVER}"
    server = {"command": "sh", "args": ["-c", command], "env": {"PRICING_TOKEN": token}}
    path = root / ".jupyter" / "mcp.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps({"mcpServers": {"shop": server}}))
    return path


async def test_the_prompt_then_trust_then_a_change_asks_again(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_root_dir: Path,
    llm_server: ScriptedLLM,
) -> None:
    mcp = project_file(jp_root_dir, "token-one-12345")
    ran = jp_root_dir / "ran.txt"
    # The prompt names the file and the command it would run.
    (waiting,) = await pending(jp_fetch, "nb.ipynb")
    assert waiting["label"] == ".jupyter/mcp.json" and waiting["kind"] == "mcp"
    (shop,) = waiting["servers"]
    assert shop["name"] == "shop" and shop["command"].startswith("sh -c 'echo ran >> ")
    assert shop["env"] == ["PRICING_TOKEN"] and waiting["declined"] is False

    # Untrusted: the request runs without it, and the chat says so once.
    llm_server.push("<solution>one</solution>", "<solution>two</solution>")
    chat_id = await new_chat(jp_fetch, "nb.ipynb")
    client = await ChatClient.connect(
        jp_ws_fetch, chat_id, notebook=PageNotebook(), path="nb.ipynb"
    )
    client.ask("hello")
    await client.until_state("done")
    client.ask("again")
    await client.until_state("done")
    assert not ran.exists()
    notices = [e for e in client.entries() if e["role"] == "error"]
    assert len(notices) == 1 and notices[0]["kind"] == "tools"
    assert notices[0]["text"].startswith(
        "Not used, because you have not trusted them: .jupyter/mcp.json (MCP servers shop "
        "(runs `sh -c"
    )
    assert "shop" not in llm_server.requests[0].messages[0]["content"]

    # Not now: folded in the prompt, still not used.
    assert (await decide(jp_fetch, "nb.ipynb", [waiting], "not_now"))[0]["declined"] is True
    # A decision on a file as it no longer is: refused, nothing recorded.
    mcp.write_text(mcp.read_text().replace("token-one-12345", "token-two-67890"))
    with pytest.raises(HTTPClientError) as stale:
        await decide(jp_fetch, "nb.ipynb", [waiting])
    assert stale.value.code == 409
    assert "changed (or went) since it was shown: look at it again" in str(
        stale.value.response.body
    )
    (waiting,) = await pending(jp_fetch, "nb.ipynb")
    assert waiting["declined"] is False  # another content: asked again

    # Trust: the next request uses it.
    assert await decide(jp_fetch, "nb.ipynb", [waiting]) == []
    llm_server.push("<execute>\nprint(shop.list_skus())\n</execute>", "<solution>three</solution>")
    client.ask("skus?")
    await client.until_state("done")
    assert ran.read_text() == "ran\n"
    observation = [e for e in client.entries() if e["role"] == "observation"][-1]
    assert observation["status"] == "ok" and "['A1', 'B2', 'C3']" in observation["text"]
    assert "token-two-67890" not in json.dumps(client.received)  # its secret, redacted

    # Changed once more: not used from the next request on, and said again.
    mcp.write_text(mcp.read_text().replace("token-two-67890", "token-three-999"))
    llm_server.push("<solution>four</solution>")
    client.ask("and now?")
    await client.until_state("done")
    assert ran.read_text() == "ran\n"
    notices = [e for e in client.entries() if e["role"] == "error"]
    assert len(notices) == 2
    assert "shop" not in llm_server.requests[-1].messages[0]["content"]
    assert [f["label"] for f in await pending(jp_fetch, "nb.ipynb")] == [".jupyter/mcp.json"]
    await client.close()


async def test_bad_decisions_are_refused_plainly(jp_fetch: Any, jp_root_dir: Path) -> None:
    project_file(jp_root_dir, "token-one-12345")
    bodies = [
        {"path": "nb.ipynb", "decision": "maybe", "files": []},
        {"path": "nb.ipynb", "decision": "trust", "files": []},
        {"path": "nb.ipynb", "decision": "trust", "files": [{"path": 1}]},
        {"decision": "trust", "files": [{"path": "x", "sha256": "y"}]},
    ]
    for body in bodies:
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch("codeact", "trust", method="POST", body=json.dumps(body))
        assert refused.value.code == 400
    # A file that is not one of the notebook's project files cannot be trusted through it.
    outside = {"path": str(jp_root_dir.parent / "mcp.json"), "sha256": "0" * 64}
    with pytest.raises(HTTPClientError) as unknown:
        await decide(jp_fetch, "nb.ipynb", [outside])
    assert unknown.value.code == 409
