"""What an endpoint accepts: refusals read from the 400 bodies real servers send."""

from __future__ import annotations

import logging

import pytest

from jupyter_codeact.core.endpoint import (
    EndpointQuirks,
    context_overflow,
    quirks_for,
    refusal_in,
    tools_refusal,
    window_in_models,
)
from jupyter_codeact.testing import error_bodies
from jupyter_codeact.testing.scripted_llm import refusal_body

REQUEST = {
    "model": "m",
    "messages": [{"role": "user", "content": "hi"}],
    "stream": True,
    "stream_options": {"include_usage": True},
    "temperature": 0.0,
    "stop": ["</execute>"],
    "reasoning_effort": "low",
}


REFUSALS = [
    (style, parameter)
    for style in ("openai", "vllm", "vllm-legacy", "llamacpp")
    for parameter in ("temperature", "stop", "reasoning_effort")
] + [("ollama", "reasoning_effort")]  # Ollama takes temperature and stop


@pytest.mark.parametrize(("style", "parameter"), REFUSALS)
def test_each_servers_refusal_names_the_parameter(style: str, parameter: str) -> None:
    body = refusal_body(REQUEST, (parameter,), style)  # type: ignore[arg-type]
    refusal = refusal_in(400, body, REQUEST)
    assert refusal is not None and refusal.parameter == parameter


def test_openai_refusals_are_the_real_bodies() -> None:
    temperature = refusal_body(REQUEST, ("temperature",), "openai")
    assert temperature == {
        "error": {
            "message": "Unsupported value: 'temperature' does not support 0.0 with this model. "
            "Only the default (1) value is supported.",
            "type": "invalid_request_error",
            "param": "temperature",
            "code": "unsupported_value",
        }
    }
    assert refusal_body({**REQUEST, "temperature": 1}, ("temperature",), "openai") is None
    stop = refusal_body(REQUEST, ("stop",), "openai")
    assert stop is not None and stop["error"]["code"] == "unsupported_parameter"


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (400, {"error": {"message": "This model's maximum context length is 8192 tokens."}}),
        (400, {"error": {"message": "Invalid 'messages[1].content': string too long."}}),
        (500, {"error": {"message": "Unsupported parameter: 'stop'", "param": "stop"}}),
        (400, "Bad Request"),
        (400, None),
    ],
)
def test_other_errors_are_not_refusals(status: int, body: object) -> None:
    assert refusal_in(status, body, REQUEST) is None


def test_a_parameter_not_sent_is_never_blamed() -> None:
    body = {"error": {"message": "Unsupported parameter: 'top_p'", "param": "top_p"}}
    assert refusal_in(400, body, REQUEST) is None


def test_a_refused_parameter_is_left_out_once_learned_and_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    quirks = EndpointQuirks("http://host/v1", "m")
    body = refusal_body(REQUEST, ("stop",), "openai")
    with caplog.at_level(logging.INFO, logger="jupyter_codeact.core.endpoint"):
        assert quirks.learn(400, body, REQUEST)
        assert not quirks.learn(400, body, REQUEST)  # nothing new: do not ask again
    assert "stop" not in quirks.prepare(REQUEST)
    assert quirks.prepare(REQUEST)["temperature"] == 0.0
    assert [r.getMessage() for r in caplog.records if "'stop'" in r.getMessage()] == [
        "CodeAct: http://host/v1 does not accept 'stop' for model m (Unsupported parameter: "
        "'stop' is not supported with this model.); leaving it out from now on."
    ]


def test_a_parameter_the_endpoint_wants_renamed_is_renamed() -> None:
    quirks = EndpointQuirks("http://host/v1", "m")
    request = {**REQUEST, "extra_body": {"max_tokens": 500}}
    body = {
        "error": {
            "message": "Unsupported parameter: 'max_tokens' is not supported with this model. "
            "Use 'max_completion_tokens' instead.",
            "type": "invalid_request_error",
            "param": "max_tokens",
            "code": "unsupported_parameter",
        }
    }
    assert quirks.learn(400, body, request)
    assert quirks.prepare(request)["extra_body"] == {"max_completion_tokens": 500}


def test_what_is_learned_is_shared_per_endpoint_and_model() -> None:
    first = quirks_for("http://host/v1/", "m")
    first.reject("stop", "test")
    assert quirks_for("http://host/v1", "m") is first
    assert quirks_for("http://host/v1", "other").accepts("stop")


# -- native tools, the context window ----------------------------------------------------------


@pytest.mark.parametrize("style", ["openai", "vllm", "vllm-legacy", "ollama", "llamacpp"])
def test_each_servers_refusal_of_tools_is_recognised(style: str) -> None:
    status, body = error_bodies.tools_refusal({"model": "m", "tools": [{}]}, style)  # type: ignore[arg-type]
    said = tools_refusal(status, body)
    assert said is not None and said == body.get("error", body)["message"]
    # ...and never taken for a parameter to drop.
    assert refusal_in(status, body, {**REQUEST, "tools": [{}], "tool_choice": "auto"}) is None


def test_other_errors_are_no_refusal_of_tools() -> None:
    assert tools_refusal(400, {"error": {"message": "Invalid 'messages[1].content'"}}) is None
    assert tools_refusal(401, {"error": {"message": "model does not support tools"}}) is None


@pytest.mark.parametrize("style", ["openai", "vllm", "vllm-legacy", "llamacpp"])
def test_each_servers_context_length_error_states_the_window(style: str) -> None:
    too_long = error_bodies.overflow(4096, 5000, style)  # type: ignore[arg-type]
    assert too_long is not None
    overflow = context_overflow(*too_long)
    assert overflow is not None and (overflow.window, overflow.prompt_tokens) == (4096, 5000)
    assert refusal_in(too_long[0], too_long[1], REQUEST) is None  # not a parameter's fault
    assert context_overflow(400, {"error": {"message": "Unsupported parameter: 'stop'"}}) is None


@pytest.mark.parametrize(
    ("entry", "window"),
    [
        ({"id": "m", "max_model_len": 8192}, 8192),  # vLLM
        ({"id": "m", "meta": {"n_ctx_train": 32768, "n_vocab": 5}}, 32768),  # llama.cpp
        ({"id": "m", "meta": {"n_ctx": 4096, "n_ctx_train": 32768}}, 4096),  # its own -c
        ({"id": "m", "loaded_context_length": 4096, "max_context_length": 32768}, 4096),
        ({"id": "m", "context_length": 131072, "top_provider": {}}, 131072),  # OpenRouter
        ({"id": "m", "top_provider": {"context_length": 65536}}, 65536),
        ({"id": "m", "context_window": 8192}, 8192),  # Groq
        ({"id": "m", "owned_by": "library"}, None),  # Ollama, OpenAI: none
        ({"id": "other", "max_model_len": 1}, None),
    ],
)
def test_the_window_is_read_from_models_as_each_server_reports_it(
    entry: dict[str, object], window: int | None
) -> None:
    second = {"id": "another", "max_model_len": 2}  # the model is found among several
    assert window_in_models({"object": "list", "data": [second, entry]}, "m") == window


def test_a_server_of_one_model_reports_its_window_under_any_name() -> None:
    assert window_in_models({"data": [{"id": "/models/qwen", "max_model_len": 2048}]}, "q") == 2048
    assert window_in_models({"data": "nonsense"}, "m") is None
    assert window_in_models(None, "m") is None
