"""The panel's tools, through the server's real HTTP and websocket API: the MCP client in
the Jupyter server, the notebook's kernel calling back over its stdin channel, answered by
the server's own client of that kernel (no page takes part)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeact.testing import ScriptedLLM

from .chat_client import ChatClient, PageNotebook, text_of
from .conftest import MODEL
from .mcp import SECRET, broken_server, stdio_server
from .test_server import new_chat
from .trusting import pending, trust_all

pytest_plugins = ["pytest_jupyter.jupyter_server"]

NOTEBOOK = "project/sub/analysis.ipynb"


@pytest.fixture
def jp_server_config(chats_dir: Path, llm_server: ScriptedLLM) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_codeact": True}},
        "CodeAct": {
            "base_url": llm_server.url,
            "api_key": "test-key",
            "model": MODEL,
            "max_turns": 6,
            "mcp_servers": {"pricing": stdio_server(), "broken": broken_server()},
            "instructions": "Answer in one sentence.",
        },
        "CodeActExtension": {"chats_dir": str(chats_dir), "page_grace": 0.5},
    }


@pytest.fixture
def chats_dir(tmp_path: Path) -> Path:
    return tmp_path / "chats"


@pytest.fixture
def rules_tree(jp_root_dir: Path) -> Path:
    """AGENTS.md files around the notebook: the root's and its folder's apply."""
    (jp_root_dir / "project" / "sub").mkdir(parents=True)
    (jp_root_dir / "other").mkdir()
    (jp_root_dir / "AGENTS.md").write_text("Root rule: use pandas.\n")
    (jp_root_dir / "project" / "sub" / "AGENTS.md").write_text("Sub rule: prices in EUR.\n")
    (jp_root_dir / "other" / "AGENTS.md").write_text("Other rule: never seen.\n")
    (jp_root_dir.parent / "AGENTS.md").write_text("Above the root: never seen.\n")
    return jp_root_dir


async def session_kernel(jp_serverapp: Any, path: str) -> Any:
    """A client of notebook ``path``'s kernel, as the page has one."""
    model = await jp_serverapp.session_manager.get_session(path=path)
    client = jp_serverapp.kernel_manager.get_kernel(model["kernel"]["id"]).client()
    client.start_channels()
    await client.wait_for_ready(timeout=30)
    return client


async def test_rules_of_a_notebook_in_a_subfolder(jp_fetch: Any, rules_tree: Path) -> None:
    async def rules() -> list[str]:
        response = await jp_fetch("codeact", "rules", params={"path": NOTEBOOK})
        files: list[str] = json.loads(response.body)["files"]
        return files

    # The project's files wait for the user's trust; the user's own instructions do not.
    assert await rules() == ["c.CodeAct.instructions"]
    waiting = await pending(jp_fetch, NOTEBOOK)
    assert [f["label"] for f in waiting] == ["AGENTS.md", "project/sub/AGENTS.md"]
    assert waiting[1]["excerpt"] == "Sub rule: prices in EUR.\n"
    await trust_all(jp_fetch, NOTEBOOK)
    assert await rules() == ["c.CodeAct.instructions", "AGENTS.md", "project/sub/AGENTS.md"]


async def test_the_agent_composes_mcp_tools_in_the_notebook_kernel(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_serverapp: Any,
    llm_server: ScriptedLLM,
    chats_dir: Path,
    rules_tree: Path,
) -> None:
    llm_server.push(
        "<execute>\nprice = pricing.lookup_price('A1')\nunits = pricing.in_stock(sku='A1')\n"
        "print(price['unit_price'] * units)\n</execute>",
        "<execute new>\npricing.lookup_price('Z9')\n</execute>",
        "<execute new>\nprint(pricing.whoami())\n</execute>",
        "<solution>300 EUR</solution>",
        "<execute>\nprint(pricing.list_skus())\n</execute>",
        "<solution>three</solution>",
    )
    await trust_all(jp_fetch, NOTEBOOK)
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page, path=NOTEBOOK)
    client.ask("What is the A1 stock worth?")
    await client.until_state("done")
    observations = [e for e in client.entries() if e["role"] == "observation"]
    assert observations[0]["status"] == "ok" and "300.0" in observations[0]["text"]
    assert observations[1]["status"] == "error"
    assert "ToolError: pricing.lookup_price: " in observations[1]["text"]
    assert "unknown SKU 'Z9'" in observations[1]["text"]
    assert "demo account, token [redacted]" in observations[2]["text"]
    # The notebook's cells hold what they printed (the real output, as the user's would).
    assert text_of(page.agent_cells()[0]) == "300.0\n"
    # The failed server: one entry, in plain words; the other server kept working.
    problems = [e for e in client.entries() if e.get("kind") == "tools"]
    assert len(problems) == 1 and "The MCP server 'broken'" in problems[0]["text"]
    system = llm_server.requests[0].messages[0]["content"]
    assert "- pricing.in_stock(sku: str) -> int: How many units" in system
    rules = system[system.index("<rules>") :]
    assert rules.index("Answer in one sentence.") < rules.index("Root rule") < rules.index("Sub")
    assert "never seen" not in system

    # A cell of the user's own calls a tool: a plain error, never a prompt or an answer.
    kernel = await session_kernel(jp_serverapp, NOTEBOOK)
    msg_id = kernel.execute("pricing.list_skus()", allow_stdin=True)
    reply = await kernel.get_shell_msg(timeout=30)
    while reply["parent_header"].get("msg_id") != msg_id:
        reply = await kernel.get_shell_msg(timeout=30)
    assert reply["content"]["status"] == "error"
    assert reply["content"]["ename"] == "ToolUnavailable"

    # The kernel restarts: the next action defines the tools again; nothing is reported twice.
    model = await jp_serverapp.session_manager.get_session(path=NOTEBOOK)
    await jp_fetch("api", "kernels", model["kernel"]["id"], "restart", method="POST", body="")
    kernel.stop_channels()
    client.ask("How many SKUs?")
    await client.until_state("done")
    last = [e for e in client.entries() if e["role"] == "observation"][-1]
    assert last["status"] == "ok" and "['A1', 'B2', 'C3']" in last["text"]
    assert len([e for e in client.entries() if e.get("kind") == "tools"]) == 1

    # The secret is nowhere: not sent to the model, not in the chat or the notebook's
    # operations, not stored.
    for request in llm_server.requests:
        assert SECRET not in json.dumps(request.body)
    assert SECRET not in json.dumps(client.received)
    assert SECRET not in (chats_dir / f"{chat_id}.json").read_text()
    await client.close()


async def test_tool_calls_are_answered_with_no_page_open(
    jp_fetch: Any, jp_ws_fetch: Any, jp_root_dir: Path, llm_server: ScriptedLLM
) -> None:
    import nbformat
    from nbformat.v4 import new_notebook

    (jp_root_dir / "shop.ipynb").write_text(nbformat.writes(new_notebook()), encoding="utf-8")
    llm_server.push(
        "<execute>\nimport time\ntime.sleep(1)\nprint(pricing.list_skus())\n</execute>",
        "<solution>three</solution>",
    )
    chat_id = await new_chat(jp_fetch, "shop.ipynb")
    tab = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=PageNotebook(), path="shop.ipynb")
    tab.ask("list the SKUs")
    await tab.until_state("running")
    await tab.close()  # the tab goes away before the cell calls its tool
    watcher = await ChatClient.connect(jp_ws_fetch, chat_id)
    await watcher.until_state("done")
    saved = PageNotebook.from_file((jp_root_dir / "shop.ipynb").read_text(encoding="utf-8"))
    assert [text_of(cell) for cell in saved.agent_cells()] == ["['A1', 'B2', 'C3']\n"]
    await watcher.close()
