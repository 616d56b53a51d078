"""The panel's tools, through the server's real HTTP and websocket API: the MCP client in
the Jupyter server, the kernel calling back over its stdin channel, relayed by the page
(here tests/chat_client.py, which does what the panel's executor does)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeact.executors.gateway import GatewayKernel
from jupyter_codeact.executors.kernel import KernelExecutor
from jupyter_codeact.server.notebook_executor import BROWSER_GONE
from jupyter_codeact.testing import ScriptedLLM
from jupyter_codeact.tools.kernel_side import MARKER, METADATA_KEY

from .chat_client import ChatClient
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
    await trust_all(jp_fetch, NOTEBOOK)
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


async def test_a_tab_closed_while_a_tool_call_waits_interrupts_the_kernel(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_serverapp: Any,
    jp_http_port: int,
    jp_base_url: str,
    llm_server: ScriptedLLM,
) -> None:
    # The notebook's kernel is the server's own (as JupyterLab's), reached as the page does:
    # through the server's kernels websocket.
    url = f"http://127.0.0.1:{jp_http_port}{jp_base_url.rstrip('/')}"
    backend = GatewayKernel(url, token=jp_serverapp.identity_provider.token)
    kernel = KernelExecutor(backend)
    await kernel.start()
    body = {"path": NOTEBOOK, "type": "notebook", "name": "", "kernel": {"id": backend.kernel_id}}
    await jp_fetch("api", "sessions", method="POST", body=json.dumps(body))
    llm_server.push("<execute>\npricing.list_skus()\n</execute>")
    chat_id = await new_chat(jp_fetch, NOTEBOOK)
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    watcher = await ChatClient.connect(jp_ws_fetch, chat_id)
    ended: asyncio.Future[Any] = asyncio.get_running_loop().create_future()

    class TabCloses:
        """The page goes away as the cell calls its tool: no answer will ever come."""

        def __init__(self, request: dict[str, Any]) -> None:
            self.request = request
            self.metadata = {METADATA_KEY: request["tools"]["nonce"]}

        def setup_expression(self) -> str:
            return str(self.request["tools"]["setup"])

        async def answer(self, prompt: str) -> str | None:
            call = {"type": "tool_call", "call_id": "m1", "prompt": prompt}
            client.send({**call, "request_id": self.request["request_id"]})
            client.ws.close()
            await asyncio.Event().wait()
            return None

    async def run(request: dict[str, Any]) -> None:
        kernel.stdin = TabCloses(request)
        ended.set_result(await kernel.execute(request["code"], timeout=None))

    client.on_execute = run
    client.ask("list the SKUs")
    await watcher.until_state("error", timeout=30)
    assert watcher.entries()[-1]["text"] == BROWSER_GONE
    # The server interrupted the kernel that waited for the answer: it is not left blocked.
    result = await asyncio.wait_for(ended, timeout=30)
    assert result.status == "interrupted"
    await watcher.close()
    await kernel.shutdown()
