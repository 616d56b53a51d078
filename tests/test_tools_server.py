"""The panel's tools, through the server's real HTTP and websocket API: the MCP client in
the Jupyter server, the kernel calling back over its stdin channel, relayed by the page
(here tests/chat_client.py, which does what the panel's executor does)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.testing import ScriptedLLM
from jupyter_codeact.tools.kernel_side import MARKER

from .chat_client import ChatClient
from .conftest import MODEL
from .mcp import SECRET, broken_server, stdio_server
from .test_server import new_chat

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
        "CodeActExtension": {"chats_dir": str(chats_dir), "orphan_timeout": 1.0},
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


@pytest.fixture
def kernel(jp_asyncio_loop: Any) -> Any:
    executor = KernelExecutor()
    jp_asyncio_loop.run_until_complete(executor.start())
    yield executor
    jp_asyncio_loop.run_until_complete(executor.shutdown())


async def test_rules_of_a_notebook_in_a_subfolder(jp_fetch: Any, rules_tree: Path) -> None:
    response = await jp_fetch("codeact", "rules", params={"path": NOTEBOOK})
    files = json.loads(response.body)["files"]
    assert files == ["c.CodeAct.instructions", "AGENTS.md", "project/sub/AGENTS.md"]


async def test_the_agent_composes_mcp_tools_in_the_notebook_kernel(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    llm_server: ScriptedLLM,
    kernel: KernelExecutor,
    chats_dir: Path,
    rules_tree: Path,
) -> None:
    llm_server.push(
        "<execute>\nprice = pricing.lookup_price('A1')\nunits = pricing.in_stock(sku='A1')\n"
        "print(price['unit_price'] * units)\n</execute>",
        "<execute>\npricing.lookup_price('Z9')\n</execute>",
        "<execute>\nprint(pricing.whoami())\n</execute>",
        "<solution>300 EUR</solution>",
        "<execute>\nprint(pricing.list_skus())\n</execute>",
        "<solution>three</solution>",
    )
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    client = await ChatClient.connect(jp_ws_fetch, chat_id, kernel=kernel)
    client.ask("What is the A1 stock worth?")
    execute = await client.next("execute")
    assert set(execute["tools"]) == {"setup", "nonce"}
    assert SECRET not in json.dumps(execute)  # the kernel gets code and a nonce, no secret
    await client.until_state("done")
    observations = [e for e in client.entries() if e["role"] == "observation"]
    assert observations[0]["status"] == "ok" and "300.0" in observations[0]["text"]
    assert observations[1]["status"] == "error"
    assert "ToolError: pricing.lookup_price: " in observations[1]["text"]
    assert "unknown SKU 'Z9'" in observations[1]["text"]
    assert "demo account, token [redacted]" in observations[2]["text"]
    assert len(client.tool_calls) == 4  # two in the first action, then one each
    # The failed server: one entry, in plain words; the other server kept working.
    problems = [e for e in client.entries() if e.get("kind") == "tools"]
    assert len(problems) == 1 and "The MCP server 'broken'" in problems[0]["text"]
    system = llm_server.requests[0].messages[0]["content"]
    assert "- pricing.in_stock(sku: str) -> int: How many units" in system
    rules = system[system.index("<rules>") :]
    assert rules.index("Answer in one sentence.") < rules.index("Root rule") < rules.index("Sub")
    assert "never seen" not in system

    # The kernel restarts: the next action defines the tools again; nothing is reported twice.
    assert await kernel.backend.restart()
    client.ask("How many SKUs?")
    await client.until_state("done")
    last = [e for e in client.entries() if e["role"] == "observation"][-1]
    assert last["status"] == "ok" and "['A1', 'B2', 'C3']" in last["text"]
    assert len([e for e in client.entries() if e.get("kind") == "tools"]) == 1

    # The secret is nowhere: not sent to the model, not in the chat, not stored.
    for request in llm_server.requests:
        assert SECRET not in json.dumps(request.body)
    assert SECRET not in json.dumps(client.received)
    assert SECRET not in (chats_dir / f"{chat_id}.json").read_text()
    await client.close()


async def test_calls_outside_the_running_action_are_refused(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push("<execute>pricing.list_skus()</execute>", "<solution>done</solution>")
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    answers: dict[str, Any] = {}

    def prompt(nonce: str) -> str:
        call = {"nonce": nonce, "server": "pricing", "tool": "list-skus", "arguments": {}}
        return MARKER + json.dumps(call)

    async def forge(request: dict[str, Any]) -> dict[str, Any]:
        request_id = request["request_id"]
        answers["forged"] = await client.relay_tool_call(request_id, prompt("forged-nonce"))
        answers["other"] = await client.relay_tool_call("not-running", prompt("x"))
        nonce = request["tools"]["nonce"]
        answers["right"] = await client.relay_tool_call(request_id, prompt(nonce))
        return {
            "type": "execute_result", "request_id": request_id, "status": "ok",
            "outputs": [], "code": request["code"], "execution_count": 1,
        }  # fmt: skip

    client.on_execute = forge
    client.ask("list them")
    await client.until_state("done")
    refused = json.loads(answers["forged"])
    assert refused["ok"] is False and "refused" in refused["error"]
    assert json.loads(answers["other"])["ok"] is False
    assert json.loads(answers["right"]) == {"ok": True, "value": ["A1", "B2", "C3"]}
    await client.close()
