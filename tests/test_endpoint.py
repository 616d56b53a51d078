"""What an endpoint accepts: refusals read from the 400 bodies real servers send."""

from __future__ import annotations

import logging

import pytest

from jupyter_codeact.core.endpoint import EndpointQuirks, quirks_for, refusal_in
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
