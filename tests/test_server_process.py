"""The extension in a real `jupyter server` process: restarts, authentication, authorization."""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth.authorizer import Authorizer
from tornado.httpclient import AsyncHTTPClient, HTTPClientError, HTTPRequest
from tornado.websocket import websocket_connect

from jupyter_codeact.testing import ScriptedLLM

from .chat_client import ChatClient, PageNotebook
from .conftest import MODEL
from .servers import jupyter_server

pytestmark = pytest.mark.asyncio


class DenyCodeAct(Authorizer):  # type: ignore[misc]
    """An authorizer that lets a user do everything but use CodeAct."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return resource != "codeact"


class DenyExecute(Authorizer):  # type: ignore[misc]
    """An authorizer that lets a user read and write CodeAct's chats but run nothing."""

    def is_authorized(self, handler: Any, user: Any, action: str, resource: str) -> bool:
        return not (resource == "codeact" and action == "execute")


TRUST = '{"path": "nb.ipynb", "decision": "trust", "files": [{"path": "x", "sha256": "y"}]}'


class Server:
    def __init__(self, url: str, token: str) -> None:
        self.url, self.token = url, token

    async def fetch(self, path: str, *, token: str | None = None, **kw: Any) -> Any:
        token = self.token if token is None else token
        headers = {"Authorization": f"token {token}"} if token else {}
        response = await AsyncHTTPClient().fetch(f"{self.url}/{path}", headers=headers, **kw)
        return json.loads(response.body) if response.body else None

    def ws_fetch(self, *, token: str | None = None) -> Callable[..., Any]:
        token = self.token if token is None else token

        def connect(*parts: str) -> Any:
            url = self.url.replace("http", "ws", 1) + "/" + "/".join(parts)
            headers = {"Authorization": f"token {token}"} if token else {}
            return websocket_connect(HTTPRequest(url, headers=headers))

        return connect


@contextmanager
def codeact_server(root: Path, llm: ScriptedLLM, *extra: str) -> Iterator[Server]:
    token = secrets.token_hex(8)
    args = [
        f"--CodeAct.base_url={llm.url}", "--CodeAct.api_key=test-key", f"--CodeAct.model={MODEL}",
        *extra,
    ]  # fmt: skip
    # PYTHONPATH: the authorizer test names a class in this module.
    env = {"PYTHONPATH": str(Path(__file__).parent.parent)}
    with jupyter_server(root, token, *args, env=env) as url:
        yield Server(url, token)


async def test_chats_survive_a_server_restart(tmp_path: Path, llm_server: ScriptedLLM) -> None:
    llm_server.push("<execute>x = 41\nprint(x + 1)</execute>", "<solution>42</solution>")
    with codeact_server(tmp_path, llm_server) as server:
        chat = await server.fetch("codeact/chats", method="POST", body='{"path": "nb.ipynb"}')
        client = await ChatClient.connect(
            server.ws_fetch(), chat["id"], notebook=PageNotebook(), path="nb.ipynb"
        )
        client.ask("what is 41 + 1?")
        await client.until_state("done")
        before = client.entries()
        await client.close()
    llm_server.push("<solution>it was 42</solution>")
    with codeact_server(tmp_path, llm_server) as server:
        listed = await server.fetch("codeact/chats?path=nb.ipynb")
        assert [c["id"] for c in listed["chats"]] == [chat["id"]]
        client = await ChatClient.connect(
            server.ws_fetch(), chat["id"], notebook=PageNotebook(), path="nb.ipynb"
        )
        snapshot = await client.next("snapshot")
        assert snapshot["entries"] == before
        client.ask("what was it?")
        await client.until_state("done")
        # The model still has the whole conversation after the restart.
        history = [m["content"] for m in llm_server.requests[-1].messages[1:]]
        assert history[0] == "what is 41 + 1?"
        assert re.fullmatch(r"Observation:\n42\n\(This ran in cell c[0-9a-f]+\.\)", history[2])
        assert history[-1] == "what was it?"
        await client.close()


async def test_every_handler_requires_authentication(
    tmp_path: Path, llm_server: ScriptedLLM
) -> None:
    with codeact_server(tmp_path, llm_server) as server:
        chat = await server.fetch("codeact/chats", method="POST", body='{"path": "nb.ipynb"}')
        for path, kw in [
            ("codeact/config", {}),
            ("codeact/context/expression", {}),
            ("codeact/chats?path=nb.ipynb", {}),
            ("codeact/chats", {"method": "POST", "body": '{"path": "x.ipynb"}'}),
            (f"codeact/chats/{chat['id']}", {}),
            (f"codeact/chats/{chat['id']}", {"method": "DELETE"}),
            ("codeact/rules?path=nb.ipynb", {}),
            ("codeact/trust?path=nb.ipynb", {}),
            ("codeact/trust", {"method": "POST", "body": TRUST}),
        ]:
            with pytest.raises(HTTPClientError) as refused:
                await server.fetch(path, token="", **kw)
            assert refused.value.code == 403, path
        with pytest.raises(HTTPClientError) as refused_ws:
            await server.ws_fetch(token="wrong")("codeact", "chats", chat["id"], "ws")
        assert refused_ws.value.code == 403
        still_there = await server.fetch(f"codeact/chats/{chat['id']}")
        assert still_there["chat"]["id"] == chat["id"]


async def test_every_handler_is_authorized(tmp_path: Path, llm_server: ScriptedLLM) -> None:
    authorizer = "--ServerApp.authorizer_class=tests.test_server_process.DenyCodeAct"
    with codeact_server(tmp_path, llm_server, authorizer) as server:
        assert (await server.fetch("api/status"))["started"]  # the user is authenticated
        for path, kw in [
            ("codeact/config", {}),
            ("codeact/context/expression", {}),
            ("codeact/chats?path=nb.ipynb", {}),
            ("codeact/chats", {"method": "POST", "body": '{"path": "x.ipynb"}'}),
            (f"codeact/chats/{'a' * 32}", {}),
            (f"codeact/chats/{'a' * 32}", {"method": "DELETE"}),
            ("codeact/rules?path=nb.ipynb", {}),
            ("codeact/trust?path=nb.ipynb", {}),
            ("codeact/trust", {"method": "POST", "body": TRUST}),
        ]:
            with pytest.raises(HTTPClientError) as refused:
                await server.fetch(path, **kw)
            assert refused.value.code == 403, path
        connect = server.ws_fetch()
        with pytest.raises(HTTPClientError) as refused_ws:
            await connect("codeact", "chats", "a" * 32, "ws")
        assert refused_ws.value.code == 403


async def test_trusting_a_project_needs_the_right_to_run_code(
    tmp_path: Path, llm_server: ScriptedLLM
) -> None:
    """Trust lets a project's commands run: a user who may not execute cannot give it."""
    authorizer = "--ServerApp.authorizer_class=tests.test_server_process.DenyExecute"
    with codeact_server(tmp_path, llm_server, authorizer) as server:
        assert (await server.fetch("codeact/trust?path=nb.ipynb"))["files"] == []
        with pytest.raises(HTTPClientError) as refused:
            await server.fetch("codeact/trust", method="POST", body=TRUST)
        assert refused.value.code == 403
