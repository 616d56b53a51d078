"""Collaborators in one chat: each request names its author (jupyter_server's identity
provider), requests from two people queue as one chat, and anyone who may change the
notebook (jupyter_server's authorizer) answers an approval, whoever asked."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from jupyter_server.auth import Authorizer, IdentityProvider, User

from jupyter_codeact.testing import Reply, ScriptedLLM

from .chat_client import ChatClient
from .conftest import MODEL
from .test_server import new_chat

pytest_plugins = ["pytest_jupyter.jupyter_server"]

USER_HEADER = "X-Test-User"


class HeaderIdentity(IdentityProvider):  # type: ignore[misc]
    """Who a request is from, as its header says (a hub's proxy would say it for real)."""

    def get_user(self, handler: Any) -> User:
        name = handler.request.headers.get(USER_HEADER, "ada")
        return User(username=name, name=name.title(), display_name=name.title())


class ReadersCannotWrite(Authorizer):  # type: ignore[misc]
    def is_authorized(self, handler: Any, user: User, action: str, resource: str) -> bool:
        return not (user.username == "reader" and action == "write")


@pytest.fixture
def jp_server_config(tmp_path: Path, llm_server: ScriptedLLM) -> dict[str, Any]:
    return {
        "ServerApp": {
            "jpserver_extensions": {"jupyter_codeact": True},
            "identity_provider_class": HeaderIdentity,
            "authorizer_class": ReadersCannotWrite,
            "disable_check_xsrf": True,  # (the header names the user: no token)
        },
        "CodeAct": {"base_url": llm_server.url, "api_key": "k", "model": MODEL, "max_turns": 6},
        "CodeActExtension": {"chats_dir": str(tmp_path / "chats"), "page_grace": 0.5},
    }


async def page_of(jp_ws_fetch: Any, chat_id: str, user: str) -> ChatClient:
    ws = await jp_ws_fetch("codeact", "chats", chat_id, "ws", headers={USER_HEADER: user})
    client = ChatClient(ws)
    client.send({"type": "hello", "client_id": client.client_id})
    return client


def user_entries(client: ChatClient) -> list[dict[str, Any]]:
    return [entry for entry in client.entries() if entry["role"] == "user"]


async def test_two_collaborators_requests_queue_as_one_chat_and_name_their_authors(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push(
        Reply(content="<solution>first answer</solution>", delay=1.0),
        "<solution>second answer</solution>",
    )
    chat_id = await new_chat(jp_fetch)
    ada = await page_of(jp_ws_fetch, chat_id, "ada")
    bob = await page_of(jp_ws_fetch, chat_id, "bob")
    ada.ask("first question")
    await ada.until_state("thinking")
    bob.ask("second question")
    queued = await ada.next("entry")
    while queued["entry"]["role"] != "user" or not queued["entry"].get("queued"):
        queued = await ada.next("entry")
    assert queued["entry"]["author"]["username"] == "bob"
    ada.ask("first question, again")  # the same person waits as before
    assert "still working" in (await ada.next("problem"))["message"]
    await ada.until_state("done")
    # The second run starts after the first: its request waits no more, then it ends.
    await bob.next("entry", entry={**queued["entry"], "queued": False})
    await bob.until_state("done")
    finals = [entry["text"] for entry in bob.entries() if entry["role"] == "final"]
    assert finals == ["first answer", "second answer"]
    asked = user_entries(bob)
    assert [(entry["text"], entry["author"]["display_name"]) for entry in asked] == [
        ("first question", "Ada"),
        ("second question", "Bob"),
    ]
    assert not asked[1].get("queued")  # it ran
    # Every page of the chat shows the same chat.
    response = await jp_fetch("codeact", "chats", chat_id)
    stored = [e for e in json.loads(response.body)["entries"] if e["role"] == "user"]
    assert [entry["author"]["username"] for entry in stored] == ["ada", "bob"]
    await ada.close()
    await bob.close()


async def test_any_collaborator_who_may_write_answers_an_approval_and_a_reader_cannot(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.push("<execute>\nprint('approved')\n</execute>", "<solution>ran</solution>")
    chat_id = await new_chat(jp_fetch)
    ada = await page_of(jp_ws_fetch, chat_id, "ada")
    reader = await page_of(jp_ws_fetch, chat_id, "reader")
    bob = await page_of(jp_ws_fetch, chat_id, "bob")
    ada.ask("print it", approval="ask")
    approval = await bob.next_approval()
    reader.decide(approval, run=True)
    assert "only someone who may change" in (await reader.next("problem"))["message"].lower()
    bob.decide(approval, run=True)  # not the one who asked
    await ada.until_state("done")
    observation = [entry for entry in ada.entries() if entry["role"] == "observation"]
    assert observation[0]["status"] == "ok"
    for client in (ada, reader, bob):
        await client.close()
