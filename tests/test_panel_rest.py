"""The panel header's REST API, through the real server: the model picker (the endpoint's
``/v1/models``, the pick checked by the server), renaming a chat, the set-up docs."""

from __future__ import annotations

import json
from typing import Any

import pytest
from tornado.httpclient import HTTPClientError

from jupyter_codeact.testing import ScriptedLLM

from .chat_client import ChatClient
from .conftest import MODEL
from .test_server import chats_dir, codeact_config, jp_server_config, new_chat

pytest_plugins = ["pytest_jupyter.jupyter_server"]
__all__ = ["chats_dir", "codeact_config", "jp_server_config"]

REASONING_MODEL = {"id": "gpt-5-mini", "supported_parameters": ["reasoning_effort", "tools"]}


async def models(jp_fetch: Any) -> dict[str, Any]:
    response = await jp_fetch("codeact", "models", params={"refresh": "1"})
    assert "test-key" not in response.body.decode()  # never the key
    body: dict[str, Any] = json.loads(response.body)
    return body


async def test_the_models_the_endpoint_lists_and_which_take_reasoning_effort(
    jp_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.set_models([MODEL, REASONING_MODEL, "o3-mini", "llama3.1:8b"])
    listing = await models(jp_fetch)
    assert listing["default"] == MODEL
    assert listing["problem"] is None
    assert {m["id"]: m["reasoning_effort"] for m in listing["models"]} == {
        MODEL: False,
        "gpt-5-mini": True,  # its entry says so
        "o3-mini": True,  # OpenAI's reasoning family, by name
        "llama3.1:8b": False,
    }


async def test_a_picked_model_is_used_and_one_the_endpoint_does_not_list_is_refused(
    jp_fetch: Any, jp_ws_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.set_models([MODEL, REASONING_MODEL])
    await models(jp_fetch)
    llm_server.push("<solution>from the picked model</solution>")
    chat_id = await new_chat(jp_fetch)
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    client.ask("hi", model="gpt-5-mini", reasoning_effort="low")
    await client.until_state("done")
    [request] = llm_server.requests
    assert request.body["model"] == "gpt-5-mini"
    assert request.body["reasoning_effort"] == "low"
    assert client.entries()[0]["model"] == "gpt-5-mini"  # the chat records who answered

    client.ask("again", model="not-served")
    problem = await client.next("problem")
    assert "does not list the model 'not-served'" in problem["message"]
    client.ask("again", reasoning_effort="high")  # the configured model takes none
    problem = await client.next("problem")
    assert f"'{MODEL}' takes no reasoning effort" in problem["message"]
    assert len(llm_server.requests) == 1  # nothing refused reached the endpoint
    await client.close()


async def test_an_endpoint_without_a_model_list_offers_the_configured_model(
    jp_fetch: Any, llm_server: ScriptedLLM
) -> None:
    llm_server.required_key = "another-key"  # /v1/models answers 401
    listing = await models(jp_fetch)
    assert [m["id"] for m in listing["models"]] == [MODEL]
    assert "could not be read" in listing["problem"]


async def test_rename_a_chat(jp_fetch: Any, jp_ws_fetch: Any) -> None:
    chat_id = await new_chat(jp_fetch, "sales.ipynb")
    client = await ChatClient.connect(jp_ws_fetch, chat_id)
    await client.next("snapshot")
    response = await jp_fetch(
        "codeact", "chats", chat_id, "title", method="PUT", body=json.dumps({"title": " Q3  "})
    )
    assert json.loads(response.body)["title"] == "Q3"
    changed = await client.next("chat")
    assert changed["chat"]["title"] == "Q3"  # its pages hear of it
    listed = json.loads((await jp_fetch("codeact", "chats", params={"path": "sales.ipynb"})).body)
    assert [chat["title"] for chat in listed["chats"]] == ["Q3"]
    for body in ({"title": ""}, {"title": "x" * 500}, {}):
        with pytest.raises(HTTPClientError) as refused:
            await jp_fetch(
                "codeact", "chats", chat_id, "title", method="PUT", body=json.dumps(body)
            )
        assert refused.value.code == 400
    await client.close()


async def test_the_setup_docs_are_the_readme_section(jp_fetch: Any) -> None:
    docs = json.loads((await jp_fetch("codeact", "docs", "setup")).body)
    assert docs["title"] == "Point it at a model"
    assert docs["markdown"].startswith("## Point it at a model")
    assert "OPENAI_API_KEY" in docs["markdown"]
    assert "## Keeping the key" not in docs["markdown"]
