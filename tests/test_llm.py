"""The LLM client against the scripted server: streaming, retries, and plain errors."""

from __future__ import annotations

import socket

import httpx
import pytest

from jupyter_codeact.core.llm import LLMChunk, LLMError, LLMSettings, OpenAIChat
from jupyter_codeact.testing import Reply, ScriptedLLM

from .conftest import MODEL

pytestmark = pytest.mark.asyncio


async def collect(llm: OpenAIChat) -> list[LLMChunk]:
    return [chunk async for chunk in llm.stream([{"role": "user", "content": "hi"}])]


def client(server: ScriptedLLM, **kw: object) -> OpenAIChat:
    settings = {"model": MODEL, "api_key": "test-key", "base_url": server.url, "max_retries": 2}
    settings.update(kw)
    return OpenAIChat(LLMSettings(**settings))  # type: ignore[arg-type]


async def test_streams_text_in_pieces_and_reports_usage(
    llm: OpenAIChat, llm_server: ScriptedLLM
) -> None:
    llm_server.push(Reply(content="Hello there, world", chunk_size=5))
    chunks = await collect(llm)
    texts = [c.text for c in chunks if c.text]
    assert texts == ["Hello", " ther", "e, wo", "rld"]
    usage = [c.usage for c in chunks if c.usage]
    assert len(usage) == 1 and usage[0].completion_tokens > 0
    request = llm_server.requests[0]
    assert request.body["stream"] is True
    assert request.body["stream_options"] == {"include_usage": True}
    assert request.headers["authorization"] == "Bearer test-key"


async def test_rate_limit_that_clears_is_retried_honouring_retry_after(
    llm: OpenAIChat, llm_server: ScriptedLLM
) -> None:
    llm_server.push(
        Reply(status=429, headers={"retry-after-ms": "20"}, error_message="slow down"),
        Reply(status=503, headers={"retry-after-ms": "20"}),
        "ok",
    )
    chunks = await collect(llm)
    assert "".join(c.text for c in chunks) == "ok"
    assert len(llm_server.requests) == 3
    gap = llm_server.requests[1].received_at - llm_server.requests[0].received_at
    assert gap >= 0.02


async def test_rate_limit_that_does_not_clear_says_so(llm_server: ScriptedLLM) -> None:
    llm_server.push(*[Reply(status=429, headers={"retry-after-ms": "5"})] * 3)
    llm = client(llm_server)
    with pytest.raises(LLMError) as caught:
        await collect(llm)
    assert caught.value.kind == "rate_limited"
    assert "HTTP 429" in caught.value.message and "2 retries" in caught.value.message
    assert len(llm_server.requests) == 3


async def test_rejected_key_is_one_sentence_with_the_fix(llm_server: ScriptedLLM) -> None:
    llm_server.required_key = "right-key"
    with pytest.raises(LLMError) as caught:
        await collect(client(llm_server, api_key="wrong-key"))
    assert caught.value.kind == "auth"
    assert "rejected the API key" in caught.value.message
    assert "OPENAI_API_KEY" in caught.value.message
    assert len(llm_server.requests) == 0  # refused before any completion was recorded


async def test_unknown_model(llm_server: ScriptedLLM) -> None:
    with pytest.raises(LLMError) as caught:
        await collect(client(llm_server, model="no-such-model"))
    assert caught.value.kind == "not_found"
    assert "'no-such-model'" in caught.value.message


async def test_unreachable_endpoint() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    llm = OpenAIChat(
        LLMSettings(model=MODEL, api_key="k", base_url=f"http://127.0.0.1:{port}/v1", max_retries=0)
    )
    with pytest.raises(LLMError) as caught:
        await collect(llm)
    assert caught.value.kind == "unreachable"
    assert f"127.0.0.1:{port}" in caught.value.message
    assert "OPENAI_BASE_URL" in caught.value.message


async def test_stream_cut_mid_way_is_a_retryable_error(
    llm: OpenAIChat, llm_server: ScriptedLLM
) -> None:
    llm_server.push(Reply(content="a long reply that breaks", chunk_size=4, cut_after=2))
    received: list[str] = []

    async def consume() -> None:
        async for chunk in llm.stream([{"role": "user", "content": "hi"}]):
            received.append(chunk.text)

    with pytest.raises(LLMError) as caught:
        await consume()
    assert "".join(received) == "a long r"
    assert caught.value.retryable
    assert "broke in the middle" in caught.value.message


@pytest.mark.parametrize("started", [True, False])
async def test_transport_errors_that_escape_the_client_are_explained(started: bool) -> None:
    # Older openai releases let httpx's own errors through (a stream cut mid-way is an
    # httpx.RemoteProtocolError there): they must read like the wrapped ones.
    llm = OpenAIChat(LLMSettings(model=MODEL, api_key="k", base_url="http://127.0.0.1:9/v1"))
    cut = httpx.RemoteProtocolError("peer closed connection without sending complete message")
    error = llm._explain(cut, started=started)
    await llm.close()
    assert error.retryable is started
    assert error.kind == ("server" if started else "unreachable")
    assert ("broke in the middle" if started else "Could not reach") in error.message


async def test_malformed_chunk_is_a_bad_response(llm: OpenAIChat, llm_server: ScriptedLLM) -> None:
    llm_server.push(Reply(content="fine so far", malformed=True))
    with pytest.raises(LLMError) as caught:
        await collect(llm)
    assert caught.value.kind == "bad_response"
    assert "not valid OpenAI" in caught.value.message


async def test_odd_chunks_real_servers_send_are_passed_over(
    llm: OpenAIChat, llm_server: ScriptedLLM
) -> None:
    llm_server.push(Reply(content="<execute>\nprint(1)\n</execute>", odd_chunks=True, chunk_size=5))
    chunks = await collect(llm)
    assert "".join(c.text for c in chunks) == "<execute>\nprint(1)\n</execute>"
    assert not any(c.reasoning or c.tool_call for c in chunks)
    assert [c.usage for c in chunks if c.usage] and chunks[-1].usage is not None


async def test_server_error_after_retries(llm_server: ScriptedLLM) -> None:
    llm_server.push(*[Reply(status=500, headers={"retry-after-ms": "1"})] * 3)
    with pytest.raises(LLMError) as caught:
        await collect(client(llm_server))
    assert caught.value.kind == "server"
    assert "HTTP 500" in caught.value.message


async def test_endpoint_without_stream_options_is_asked_again_without_them(
    llm: OpenAIChat, llm_server: ScriptedLLM
) -> None:
    llm_server.push(
        Reply(status=400, error_message="Unrecognized request argument: stream_options"), "hi"
    )
    chunks = await collect(llm)
    assert "".join(c.text for c in chunks) == "hi"
    assert "stream_options" not in llm_server.requests[1].body
    llm_server.push("again")
    await collect(llm)
    assert "stream_options" not in llm_server.requests[2].body  # learnt once


async def test_models_endpoint_lists_the_scripted_model(llm_server: ScriptedLLM) -> None:
    import openai

    async with openai.AsyncOpenAI(api_key="k", base_url=llm_server.url) as raw:
        models = await raw.models.list()
    assert [m.id for m in models.data] == [MODEL]


async def test_non_streaming_completion_works_too(llm_server: ScriptedLLM) -> None:
    import openai

    llm_server.push("plain reply")
    async with openai.AsyncOpenAI(api_key="k", base_url=llm_server.url) as raw:
        completion = await raw.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": "hi"}]
        )
    assert completion.choices[0].message.content == "plain reply"
    assert completion.usage is not None and completion.usage.total_tokens > 0


# -- reasoning and what the endpoint accepts -----------------------------------------------


def texts(chunks: list[LLMChunk]) -> tuple[str, str]:
    return "".join(c.reasoning for c in chunks), "".join(c.text for c in chunks)


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
async def test_reasoning_deltas_stream_apart_from_the_text(
    llm: OpenAIChat, llm_server: ScriptedLLM, field: str
) -> None:
    llm_server.push(
        Reply(reasoning="Six sevens. ", content="<solution>42</solution>", reasoning_field=field)
    )
    chunks = await collect(llm)
    assert texts(chunks) == ("Six sevens. ", "<solution>42</solution>")
    # The reasoning streamed first, in pieces, before any text.
    first_text = next(i for i, c in enumerate(chunks) if c.text)
    assert all(c.reasoning for c in chunks[:first_text]) and first_text > 1


async def test_think_in_the_content_is_reasoning(llm: OpenAIChat, llm_server: ScriptedLLM) -> None:
    llm_server.push(Reply(content="<think>\nMaybe 41?\n</think>\n\nIt is 42.", chunk_size=3))
    assert texts(await collect(llm)) == ("\nMaybe 41?\n", "It is 42.")


async def test_an_endpoint_refusing_temperature_and_stop_is_asked_without_them_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with ScriptedLLM(models=(MODEL,), rejects=("temperature", "stop")) as server:
        server.push("first", "second")
        llm = client(server, stop=("</execute>",), temperature=0.0)
        with caplog.at_level("INFO", logger="jupyter_codeact.core.endpoint"):
            assert texts(await collect(llm)) == ("", "first")
            assert texts(await collect(client(server, stop=("</execute>",)))) == ("", "second")
        await llm.close()
    bodies = [request.body for request in server.requests]
    assert [("temperature" in b, "stop" in b) for b in bodies] == [
        (True, True),  # refused: temperature
        (False, True),  # refused: stop
        (False, False),
        (False, False),  # learnt for the endpoint and model, by every client of them
    ]
    learned = [r.getMessage() for r in caplog.records if "leaving it out" in r.getMessage()]
    assert len(learned) == 2 and "'temperature'" in learned[0] and "'stop'" in learned[1]


@pytest.mark.parametrize("style", ["vllm", "vllm-legacy", "ollama", "llamacpp"])
async def test_reasoning_effort_is_sent_and_dropped_where_refused(style: str) -> None:
    with ScriptedLLM(models=(MODEL,), rejects=("reasoning_effort",), error_style=style) as server:
        server.push("ok")
        llm = client(server, reasoning_effort="high")
        assert texts(await collect(llm)) == ("", "ok")
        await llm.close()
    assert server.requests[0].body["reasoning_effort"] == "high"
    assert "reasoning_effort" not in server.requests[1].body


async def test_reasoning_effort_is_not_sent_unless_set(
    llm: OpenAIChat, llm_server: ScriptedLLM
) -> None:
    llm_server.push("ok")
    await collect(llm)
    assert "reasoning_effort" not in llm_server.requests[0].body


async def test_a_refusal_naming_nothing_we_can_drop_is_an_error(llm_server: ScriptedLLM) -> None:
    llm_server.push(Reply(status=400, error_message="Unsupported value: 'messages[0].role'"))
    with pytest.raises(LLMError) as caught:
        await collect(client(llm_server))
    assert caught.value.kind == "bad_response" and "messages[0].role" in caught.value.message
    assert len(llm_server.requests) == 1


async def test_stop_sequences_end_the_reply_before_them(llm_server: ScriptedLLM) -> None:
    llm_server.push("<execute>\nprint(1)\n</execute>\nObservation: 1 (imagined)")
    chunks = await collect(client(llm_server, stop=("</execute>",)))
    assert texts(chunks) == ("", "<execute>\nprint(1)\n")


async def test_a_stop_sequence_inside_the_reasoning_asks_again_without_stop(
    llm_server: ScriptedLLM,
) -> None:
    reply = "<think>\nOr <execute>x = 1</execute>?\n</think>\n<execute>\nx = 2\n</execute>"
    llm_server.push(reply, reply)
    llm = client(llm_server, stop=("</execute>",))
    with pytest.raises(LLMError) as caught:
        await collect(llm)
    assert caught.value.retryable
    assert texts(await collect(llm)) == (
        "\nOr <execute>x = 1</execute>?\n",
        reply.split("</think>\n")[1],
    )
    assert ["stop" in r.body for r in llm_server.requests] == [True, False]
