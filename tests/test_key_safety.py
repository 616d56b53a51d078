"""The API key stays with the host: out of the kernels the agent's code runs in, and
redacted from what the agent reads, shows and stores."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Any

import pytest

from jupyter_codeact.cli.main import build_parser
from jupyter_codeact.cli.run import make_backend
from jupyter_codeact.config import CodeAct
from jupyter_codeact.executors.gateway import GatewayKernel
from jupyter_codeact.executors.kernel import KernelExecutor, LocalKernel
from jupyter_codeact.testing import ScriptedLLM

from .chat_client import ChatClient, PageNotebook
from .conftest import MODEL, json_events, run_cli
from .servers import jupyter_server, kernel_gateway

pytest_plugins = ["pytest_jupyter.jupyter_server"]

KEY = "sk-test-7Hq2mZ9xKc41"
# What the agent's code would run to find the key; it prints whether each variable is set.
PROBE = (
    "import os, json\n"
    "print(json.dumps({k: os.environ.get(k) is not None and os.environ.get(k) != '' "
    "for k in ['OPENAI_API_KEY', 'HOLDS_KEY', 'UNRELATED']}))"
)
NOTHING_SHARED = {"OPENAI_API_KEY": False, "HOLDS_KEY": False, "UNRELATED": True}


@pytest.fixture
def codeact_extra() -> dict[str, Any]:
    return {}


@pytest.fixture
def jp_server_config(
    tmp_path: Path,
    llm_server: ScriptedLLM,
    codeact_extra: dict[str, Any],
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, Any]:
    # The key comes from the server's environment, as for most users.
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    monkeypatch.setenv("HOLDS_KEY", f"Bearer {KEY}")
    monkeypatch.setenv("UNRELATED", "kept")
    return {
        "ServerApp": {"jpserver_extensions": {"jupyter_codeact": True}},
        "CodeAct": {"base_url": llm_server.url, "model": MODEL, "max_turns": 4, **codeact_extra},
        "CodeActExtension": {"chats_dir": str(tmp_path / "chats"), "page_grace": 0.5},
    }


async def probe(connection_file: str) -> dict[str, bool]:
    async with KernelExecutor(LocalKernel(connection_file=connection_file)) as kernel:
        result = await kernel.execute(PROBE, timeout=60)
    assert result.status == "ok", result
    found: dict[str, bool] = json.loads(result.outputs[0]["text"])
    return found


async def notebook_kernel(jp_fetch: Any, path: str = "nb.ipynb") -> tuple[str, str]:
    """Open a notebook's session as JupyterLab does; its (session id, kernel id)."""
    body = {"path": path, "name": path, "type": "notebook", "kernel": {"name": "python3"}}
    response = await jp_fetch("api", "sessions", method="POST", body=json.dumps(body))
    model = json.loads(response.body)
    return model["id"], model["kernel"]["id"]


async def test_notebook_kernels_get_no_key_even_after_a_rename_and_a_restart(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    kernels = jp_serverapp.kernel_manager
    session_id, kernel_id = await notebook_kernel(jp_fetch)
    assert await probe(kernels.get_kernel(kernel_id).connection_file) == NOTHING_SHARED
    # A rename updates the kernel's environment for its next start (JPY_SESSION_NAME): it
    # must not bring the key back with it.
    await jp_fetch(
        "api", "sessions", session_id, method="PATCH", body=json.dumps({"path": "moved.ipynb"})
    )
    await jp_fetch("api", "kernels", kernel_id, "restart", method="POST", body="")
    assert await probe(kernels.get_kernel(kernel_id).connection_file) == NOTHING_SHARED
    # A kernel started on its own (the Launcher's console, say) is guarded the same way.
    response = await jp_fetch("api", "kernels", method="POST", body=json.dumps({"name": "python3"}))
    other = json.loads(response.body)["id"]
    assert await probe(kernels.get_kernel(other).connection_file) == NOTHING_SHARED


@pytest.mark.parametrize("codeact_extra", [{"share_key_with_kernels": True}])
async def test_kernels_share_the_key_when_the_user_opts_in(
    jp_fetch: Any, jp_serverapp: Any
) -> None:
    _, kernel_id = await notebook_kernel(jp_fetch)
    found = await probe(jp_serverapp.kernel_manager.get_kernel(kernel_id).connection_file)
    assert found == {"OPENAI_API_KEY": True, "HOLDS_KEY": True, "UNRELATED": True}


async def test_a_key_from_the_config_is_kept_out_too(monkeypatch: pytest.MonkeyPatch) -> None:
    # The headless hosts (`run`, `eval`) build their kernel with make_backend.
    monkeypatch.setenv("HOLDS_KEY", "config-only-key-123")
    monkeypatch.setenv("UNRELATED", "kept")
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    args = build_parser().parse_args(["run", "task"])
    backend = make_backend(args, CodeAct(api_key="config-only-key-123"))
    assert isinstance(backend, LocalKernel) and backend.env is not None
    assert "HOLDS_KEY" not in backend.env and backend.env["UNRELATED"] == "kept"
    async with KernelExecutor(backend) as kernel:
        result = await kernel.execute(PROBE, timeout=60)
    assert json.loads(result.outputs[0]["text"]) == NOTHING_SHARED
    shared = make_backend(args, CodeAct(api_key="config-only-key-123", share_key_with_kernels=True))
    assert isinstance(shared, LocalKernel) and shared.env is None  # inherits everything


def test_the_runner_kernel_gets_no_key_and_prints_none(llm_server: ScriptedLLM) -> None:
    llm_server.push(
        f"<execute>\n{PROBE}\nprint(os.environ.get('OPENAI_API_KEY'))\n</execute>",
        "<solution>done</solution>",
    )
    done = run_cli(
        "run", "find the key", "--json", server=llm_server,
        OPENAI_API_KEY=KEY, HOLDS_KEY=KEY, UNRELATED="kept",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    observation = next(e for e in json_events(done.stdout) if e["type"] == "observation")
    lines = observation["text"].splitlines()
    assert json.loads(lines[1]) == NOTHING_SHARED and lines[2] == "None"
    assert KEY not in done.stdout


async def test_redacted_in_the_observation_the_chat_and_the_next_request(
    jp_fetch: Any,
    jp_ws_fetch: Any,
    jp_serverapp: Any,
    llm_server: ScriptedLLM,
    tmp_path: Path,
) -> None:
    # The notebook's kernel has the key (a notebook that set it itself, say).
    path = "nb.ipynb"
    _, kernel_id = await notebook_kernel(jp_fetch, path)
    client_of = jp_serverapp.kernel_manager.get_kernel(kernel_id).client()
    client_of.start_channels()
    await client_of.wait_for_ready(timeout=30)
    msg_id = client_of.execute(f"import os\nos.environ['K'] = {KEY!r}")
    while (await client_of.get_shell_msg(timeout=30))["parent_header"].get("msg_id") != msg_id:
        pass
    client_of.stop_channels()
    llm_server.push(
        "<execute>\nimport os\nprint('key:', os.environ['K'])\n</execute>",
        f"<solution>it is {KEY[:8]}{KEY[8:]}</solution>",
    )
    response = await jp_fetch("codeact", "chats", method="POST", body=json.dumps({"path": path}))
    chat_id = json.loads(response.body)["id"]
    page = PageNotebook()
    client = await ChatClient.connect(jp_ws_fetch, chat_id, notebook=page, path=path)
    client.ask(f"my key is {KEY}, use it")
    await client.until_state("done")
    await client.close()
    observation = next(e for e in client.entries() if e["role"] == "observation")
    assert observation["text"].startswith("Observation:\nkey: [redacted]\n(This ran in cell")
    assert observation["outputs"][0]["text"] == "key: [redacted]\n"
    assert client.entries()[0]["text"] == "my key is [redacted], use it"
    # The notebook's cell shows what the code printed, as any cell run in that kernel
    # would (the page's own kernel connection hears it too); the chat never shows it.
    assert "key: " in json.dumps(page.agent_cells())
    chat = [m for m in client.received if m["type"] != "ops"]
    assert KEY not in json.dumps(chat)  # the panel's chat never saw it
    stored = (tmp_path / "chats" / f"{chat_id}.json").read_text()
    assert "[redacted]" in json.dumps(json.loads(stored)["entries"])
    assert KEY not in json.dumps(json.loads(stored)["entries"])
    for request in llm_server.requests:  # nor did the model, in any request
        assert KEY not in json.dumps(request.messages)


@pytest.mark.asyncio
async def test_kernels_through_a_gateway_get_no_key(tmp_path: Path) -> None:
    env = {"PATH": "/usr/bin:/bin", "JUPYTER_PLATFORM_DIRS": "1", "UNRELATED": "kept"}
    env["JUPYTER_RUNTIME_DIR"] = str(tmp_path / "gateway-runtime")
    token = secrets.token_hex(8)
    with kernel_gateway({**env, "PATH": str(Path(sys.executable).parent) + ":/usr/bin"}) as gw:
        # The server forwards these variables of its own to the gateway's kernels.
        allowed = "--GatewayClient.allowed_envs=OPENAI_API_KEY,HOLDS_KEY"
        server_env = {"OPENAI_API_KEY": KEY, "HOLDS_KEY": KEY, "UNRELATED": "kept"}
        with jupyter_server(
            tmp_path, token, f"--gateway-url={gw}", allowed, "--CodeAct.model=m", env=server_env
        ) as url:
            async with KernelExecutor(GatewayKernel(url, token=token)) as kernel:
                result = await kernel.execute(PROBE, timeout=60)
    assert result.status == "ok", result
    found = json.loads(result.outputs[0]["text"])
    assert found["OPENAI_API_KEY"] is False and found["HOLDS_KEY"] is False


# -- the MCP servers' secrets ----------------------------------------------------------------

SVC = "svc-token-5Kq81zXw"
LITERAL = "literal-header-7f3e9a"
MCP_PROBE = (
    "import os, json\n"
    "print(json.dumps(sorted(k for k in ('SVC_TOKEN', 'SVC_COPY', 'HEADER_COPY', 'UNRELATED') "
    "if os.environ.get(k))))"
)
MCP_SERVERS = {
    "svc": {"command": "python", "args": ["svc.py"], "env": {"TOKEN": "${SVC_TOKEN}"}},
    "lit": {"url": "http://127.0.0.1:9/mcp", "headers": {"Authorization": f"Bearer {LITERAL}"}},
}


def mcp_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SVC_TOKEN", SVC)
    monkeypatch.setenv("SVC_COPY", SVC)  # the same secret under another name
    monkeypatch.setenv("HEADER_COPY", LITERAL)  # a value a server's header holds
    monkeypatch.setenv("UNRELATED", "kept")


@pytest.mark.parametrize("codeact_extra", [{"mcp_servers": MCP_SERVERS}])
async def test_notebook_kernels_get_none_of_the_mcp_servers_secrets(
    jp_fetch: Any, jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    mcp_env(monkeypatch)
    _, kernel_id = await notebook_kernel(jp_fetch)
    connection = jp_serverapp.kernel_manager.get_kernel(kernel_id).connection_file
    async with KernelExecutor(LocalKernel(connection_file=connection)) as kernel:
        result = await kernel.execute(MCP_PROBE, timeout=60)
    assert json.loads(result.outputs[0]["text"]) == ["UNRELATED"]


@pytest.mark.parametrize(
    "codeact_extra", [{"mcp_servers": MCP_SERVERS, "share_key_with_kernels": True}]
)
async def test_sharing_the_key_shares_no_mcp_secret(
    jp_fetch: Any, jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    mcp_env(monkeypatch)
    _, kernel_id = await notebook_kernel(jp_fetch)
    found = await probe(jp_serverapp.kernel_manager.get_kernel(kernel_id).connection_file)
    assert found["OPENAI_API_KEY"] is True  # shared, as asked
    connection = jp_serverapp.kernel_manager.get_kernel(kernel_id).connection_file
    async with KernelExecutor(LocalKernel(connection_file=connection)) as kernel:
        result = await kernel.execute(MCP_PROBE, timeout=60)
    assert json.loads(result.outputs[0]["text"]) == ["UNRELATED"]


@pytest.mark.parametrize("command", ["run", "eval"])
def test_run_and_eval_kernels_get_none_of_the_mcp_servers_secrets(
    llm_server: ScriptedLLM, tmp_path: Path, command: str
) -> None:
    config = tmp_path / "config"
    config.mkdir()
    settings = {"CodeAct": {"mcp_servers": MCP_SERVERS}}
    (config / "jupyter_codeact_config.json").write_text(json.dumps(settings))
    llm_server.push(f"<execute>\n{MCP_PROBE}\n</execute>", "<solution>0</solution>")
    args = (
        ["run", "probe"]
        if command == "run"
        else ["eval", "--with-tools", "--mode", "code", "--tasks", "dna/gc-s1", "--no-transcripts",
              "--output", str(tmp_path / "out")]
    )  # fmt: skip
    done = run_cli(
        *args, server=llm_server, cwd=tmp_path, JUPYTER_CONFIG_DIR=str(config),
        SVC_TOKEN=SVC, SVC_COPY=SVC, HEADER_COPY=LITERAL, UNRELATED="kept",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    observation = llm_server.requests[1].messages[-1]["content"]
    assert '["UNRELATED"]' in observation
    assert SVC not in done.stdout + done.stderr
