"""The run on a kernel behind a Kernel Gateway: jupyter_server's Gateway client holds the
notebook's session, and the server runs the agent's actions on that kernel through its
own websocket to the gateway (jupyter-kernel-gateway, a real process)."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tornado.httpclient import AsyncHTTPClient

from jupyter_codeact.server.kernel_guard import is_gateway
from jupyter_codeact.testing import ScriptedLLM

from .chat_client import ChatClient, PageNotebook, text_of
from .conftest import MODEL
from .servers import kernel_gateway
from .test_server import new_chat

pytest_plugins = ["pytest_jupyter.jupyter_server"]


@pytest.fixture(scope="module")
def gateway(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    runtime = tmp_path_factory.mktemp("gateway-runtime")
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "JUPYTER_PLATFORM_DIRS": "1",
        "JUPYTER_RUNTIME_DIR": str(runtime),
        "HOME": os.environ.get("HOME", str(runtime)),
    }
    with kernel_gateway(env) as url:
        yield url


@pytest.fixture
def jp_server_config(tmp_path: Path, llm_server: ScriptedLLM, gateway: str) -> Iterator[Any]:
    from jupyter_server.gateway.gateway_client import GatewayClient

    # A process-wide singleton: a server made earlier in this process left its own.
    GatewayClient.clear_instance()
    yield {
        "ServerApp": {"jpserver_extensions": {"jupyter_codeact": True}},
        "GatewayClient": {"url": gateway, "request_timeout": 60.0},
        "CodeAct": {"base_url": llm_server.url, "api_key": "k", "model": MODEL, "cell_timeout": 2},
        "CodeActExtension": {"chats_dir": str(tmp_path / "chats"), "page_grace": 0.5},
    }
    GatewayClient.clear_instance()


async def test_actions_run_on_the_gateways_kernel_with_timeouts_and_state(
    jp_fetch: Any, jp_ws_fetch: Any, jp_serverapp: Any, llm_server: ScriptedLLM, gateway: str
) -> None:
    assert is_gateway(jp_serverapp.kernel_manager)
    llm_server.push(
        "<execute>\nx = 20\nprint('remote')\n</execute>",
        "<execute new>\nprint(x + 22)\n</execute>",
        "<execute new>\nimport time\nwhile True: time.sleep(0.05)\n</execute>",
        "<execute new>\nprint(x)\n</execute>",
        "<solution>42</solution>",
    )
    chat_id = await new_chat(jp_fetch)
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page)
    client.ask("compute remotely")
    await client.until_state("done", timeout=120)
    statuses = [e["status"] for e in client.entries() if e["role"] == "observation"]
    assert statuses == ["ok", "ok", "timeout", "ok"]  # interrupted, and the state kept
    assert [text_of(cell) for cell in page.agent_cells()] == [
        "remote\n",
        "42\n",
        text_of(page.agent_cells()[2]),
        "20\n",
    ]
    # The kernel is the notebook session's, and the gateway's.
    (session,) = await jp_serverapp.session_manager.list_sessions()
    response = await AsyncHTTPClient().fetch(f"{gateway}/api/kernels")
    assert session["kernel"]["id"] in [k["id"] for k in json.loads(response.body)]
    await client.close()
