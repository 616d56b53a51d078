"""The error bodies real OpenAI-compatible servers send, for the scripted server.

Each is the shape the server sends (looked up in their issue trackers and sources):
OpenAI names a refused parameter in ``param`` and ``code``; vLLM (an ``error`` object, or
the older top-level form), Ollama and llama.cpp say it only in the message.
"""

from __future__ import annotations

import json
from typing import Any, Literal

ErrorStyle = Literal["openai", "vllm", "vllm-legacy", "ollama", "llamacpp"]


def refusal_body(
    body: dict[str, Any], rejects: tuple[str, ...], style: ErrorStyle
) -> dict[str, Any] | None:
    """The 400 body a server of ``style`` answers a request with a parameter it refuses.

    The bodies are the shapes these servers send: OpenAI names the parameter in ``param``
    and ``code``; vLLM (``error`` object, or the older top-level form), Ollama and
    llama.cpp say it only in the message.
    """
    refused = next((name for name in rejects if name in body), None)
    if refused is None or (refused == "temperature" and body["temperature"] == 1):
        return None
    value = json.dumps(body[refused])
    if style == "openai":
        if refused == "temperature":
            message = (
                f"Unsupported value: 'temperature' does not support {value} with this model. "
                "Only the default (1) value is supported."
            )
            code = "unsupported_value"
        else:
            message = f"Unsupported parameter: '{refused}' is not supported with this model."
            code = "unsupported_parameter"
        error: dict[str, Any] = {
            "message": message,
            "type": "invalid_request_error",
            "param": refused,
        }
        return {"error": {**error, "code": code}}
    if style in ("vllm", "vllm-legacy"):
        # vLLM passes unknown fields to the model's chat template, whose tokenizer refuses.
        message = (
            f"Kwargs ['{refused}'] are not supported by `MistralCommonTokenizer.apply_chat_"
            "template`."
        )
        return _vllm(message, style)
    if style == "ollama":
        if refused == "reasoning_effort":
            message = f'"{body.get("model")}" does not support thinking'
        else:
            message = f"invalid {refused} value: {value}"
        error = {"message": message, "type": "invalid_request_error", "param": None}
        return {"error": {**error, "code": None}}
    message = f"Unsupported param: {refused}"
    return {"error": {"code": 400, "message": message, "type": "invalid_request_error"}}


def tools_refusal(body: dict[str, Any], style: ErrorStyle) -> tuple[int, dict[str, Any]]:
    """The status and body of a server of ``style`` refusing a request's ``tools``."""
    if style == "ollama":  # a model whose template has no tool support
        message = f"registry.ollama.ai/library/{body.get('model')} does not support tools"
        return 400, {
            "error": {"message": message, "type": "api_error", "param": None, "code": None}
        }
    if style == "llamacpp":  # llama-server started without --jinja (an HTTP 500)
        return 500, {
            "error": {
                "code": 500,
                "message": "tools param requires --jinja flag",
                "type": "server_error",
            }
        }
    if style in ("vllm", "vllm-legacy"):  # no --enable-auto-tool-choice
        message = (
            '"auto" tool choice requires --enable-auto-tool-choice and --tool-call-parser to be set'
        )
        return 400, _vllm(message, style)
    return 400, {
        "error": {
            "message": "Unsupported parameter: 'tools' is not supported with this model.",
            "type": "invalid_request_error",
            "param": "tools",
            "code": "unsupported_parameter",
        }
    }


def overflow(window: int, tokens: int, style: ErrorStyle) -> tuple[int, dict[str, Any]] | None:
    """The status and body of a server of ``style`` refusing a prompt of ``tokens`` over its
    ``window``; None for Ollama, which cuts the prompt to its window without a word."""
    if style == "ollama":
        return None
    if style == "llamacpp":
        return 400, {
            "error": {
                "code": 400,
                "message": "the request exceeds the available context size, try increasing it",
                "type": "exceed_context_size_error",
                "n_prompt_tokens": tokens,
                "n_ctx": window,
            }
        }
    if style in ("vllm", "vllm-legacy"):
        message = (
            f"This model's maximum context length is {window} tokens. However, you "
            f"requested {tokens} tokens ({tokens} in the messages, 0 in the completion). "
            "Please reduce the length of the messages or completion."
        )
        return 400, _vllm(message, style)
    return 400, {
        "error": {
            "message": f"This model's maximum context length is {window} tokens. However, "
            f"your messages resulted in {tokens} tokens. Please reduce the length of the "
            "messages.",
            "type": "invalid_request_error",
            "param": "messages",
            "code": "context_length_exceeded",
        }
    }


def window_fields(window: int, style: ErrorStyle) -> dict[str, Any]:
    """What a ``/v1/models`` entry of a server of ``style`` says about its window."""
    if style == "ollama":
        return {}
    if style == "llamacpp":
        return {"meta": {"n_ctx_train": window, "n_vocab": 151936}}
    return {"max_model_len": window}  # vLLM (OpenAI itself reports none)


def _vllm(message: str, style: ErrorStyle) -> dict[str, Any]:
    """A vLLM 400 body: ``{"error": ...}``, or the error's fields at the top (older vLLM).
    Its ``code`` is the HTTP status, where OpenAI's is a string."""
    error = {"message": message, "type": "BadRequestError", "param": None, "code": 400}
    return {"object": "error", **error} if style == "vllm-legacy" else {"error": error}
