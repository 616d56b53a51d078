"""Streaming chat completions from any OpenAI-compatible endpoint.

HTTP-level retries (429 and 5xx, honouring Retry-After, with exponential backoff), errors
and the streaming types are the ``openai`` client's own; the body is sent as bytes built
from the encoding of each message, made once (:mod:`.request`), so that the client's
per-message validation is not paid again on every turn. A parameter the endpoint refuses
is learned and left out, a refusal of native tools and a prompt too long for the window
are recognised (:mod:`.endpoint`); reasoning, however the endpoint sends it, streams apart
from the text (:mod:`.reasoning`); native tool calls stream as their pieces
(:mod:`.tool_calls`). What is left becomes :class:`LLMError` with one plain sentence that
says what to fix. The interface the agent needs (:class:`LLM`, its chunks and errors) is
:mod:`.llm_types`; its names are importable from here too.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx
import openai
from openai.types.chat import ChatCompletion

from .endpoint import (
    DEFAULT_CONTEXT_WINDOW,
    EndpointQuirks,
    context_overflow,
    quirks_for,
    tools_refusal,
    window_in_models,
)
from .llm_types import LLM, ContextOverflow, LLMChunk, LLMError, TokenUsage, ToolsRefused
from .reasoning import Piece, ThinkSplitter
from .redact import public_url
from .request import Message, Prompt
from .tool_calls import ToolCallDelta

__all__ = [
    "LLM",
    "ContextOverflow",
    "LLMChunk",
    "LLMError",
    "LLMSettings",
    "Message",
    "OpenAIChat",
    "Prompt",
    "TokenUsage",
    "ToolsRefused",
]

log = logging.getLogger(__name__)

_STATED = "stated in a context-length error"


@dataclass(frozen=True)
class LLMSettings:
    model: str
    api_key: str
    base_url: str | None = None
    temperature: float | None = 0.0
    max_retries: int = 3
    request_timeout: float = 120.0
    stop: tuple[str, ...] = ()
    extra_body: dict[str, Any] | None = None
    reasoning_effort: str | None = None
    context_window: int | None = None
    """Tokens; None: what the endpoint reports, else a default."""


_VISION_MODELS = re.compile(
    r"gpt-4o|gpt-4\.1|gpt-4-turbo|gpt-5|o[134]|vision|claude|gemini|llava|pixtral|-vl\b|-vl-|qwen2\.5-vl",
    re.IGNORECASE,
)


def model_sees_images(model: str) -> bool:
    """A guess from the model's name; the ``images`` setting overrides it."""
    return bool(_VISION_MODELS.search(model))


class OpenAIChat:
    """:class:`LLM` over ``openai.AsyncOpenAI`` with streaming."""

    def __init__(self, settings: LLMSettings) -> None:
        self.settings = settings
        self._client = openai.AsyncOpenAI(
            api_key=settings.api_key,
            base_url=settings.base_url,
            max_retries=settings.max_retries,
            timeout=settings.request_timeout,
        )
        self.quirks: EndpointQuirks = quirks_for(self.endpoint, settings.model)
        """What this endpoint accepts for this model (shared by every client of it)."""

    @property
    def model(self) -> str:
        return self.settings.model

    @property
    def endpoint(self) -> str:
        """The endpoint's address as messages and results name it: without credentials."""
        return (public_url(str(self._client.base_url)) or "").rstrip("/")

    async def close(self) -> None:
        await self._client.close()

    async def context_window(self) -> int:
        """The configured window, else what ``/v1/models`` reports (asked once per endpoint
        and model), else what a context-length error stated, else a default."""
        quirks = self.quirks
        configured = self.settings.context_window
        if configured:
            # What the endpoint said when it refused a prompt overrides a larger setting.
            stated = quirks.context_window if quirks.window_source == _STATED else None
            return min(configured, stated) if stated else configured
        if quirks.context_window is None and not quirks.window_probed:
            quirks.window_probed = True
            try:
                data = await self._client.get(
                    "/models", cast_to=object, options={"max_retries": 0, "timeout": 10.0}
                )
            except (openai.OpenAIError, httpx.HTTPError, ValueError) as error:
                log.debug("CodeAct: %s/models did not answer: %s", self.endpoint, error)
            else:
                if tokens := window_in_models(data, self.model):
                    quirks.learn_window(tokens, "reported by its /v1/models")
        return quirks.context_window or DEFAULT_CONTEXT_WINDOW

    def _fields(self, tools: bool) -> dict[str, Any]:
        """The request's fields other than its messages and tools, as the endpoint takes
        them (``extra_body`` merged in)."""
        settings = self.settings
        request: dict[str, Any] = {
            "model": self.model,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if settings.temperature is not None:
            request["temperature"] = settings.temperature
        if settings.stop and not tools:  # stop sequences end text actions; calls need none
            request["stop"] = list(settings.stop)
        if settings.reasoning_effort:
            request["reasoning_effort"] = settings.reasoning_effort
        if tools:
            request["parallel_tool_calls"] = False  # one action per reply
        if settings.extra_body:
            request["extra_body"] = dict(settings.extra_body)
        return self.quirks.prepare(request)

    async def _open(self, prompt: Prompt) -> tuple[dict[str, Any], Any]:
        """Send the request; while the endpoint refuses a parameter it names, drop it."""
        while True:
            fields = self._fields(bool(prompt.tools))
            wire = {k: v for k, v in fields.items() if k != "extra_body"}
            wire.update(fields.get("extra_body") or {})
            try:
                response = await self._client.post(
                    "/chat/completions",
                    cast_to=ChatCompletion,
                    content=prompt.body(wire),
                    stream=True,
                    # Chunks as the JSON they are: the client's model per chunk costs more
                    # than the rest of a turn (its errors, retries and SSE parsing stay).
                    stream_cls=openai.AsyncStream[object],
                )
            except openai.APIStatusError as error:
                self._raise_known(error, prompt)
                retry = isinstance(error, openai.BadRequestError | openai.UnprocessableEntityError)
                if not retry or not self.quirks.learn(error.status_code, error.body, fields):
                    raise
            else:
                return fields, response

    def _raise_known(self, error: openai.APIStatusError, prompt: Prompt) -> None:
        """Raise the refusals the agent acts on: native tools, and a prompt too long."""
        status, body = error.status_code, error.body
        said = tools_refusal(status, body) if prompt.tools else None
        if said is not None:
            self.quirks.refuse_tools(said)
            raise ToolsRefused(
                f"The LLM endpoint at {self.endpoint} does not take native tool calls for "
                f"model '{self.model}' ({said[:200]}): set c.CodeAct.action_style to 'tags' "
                "or 'auto' (or --action-style), or use a model and server with tool support "
                "(Ollama: a model tagged 'tools'; llama.cpp: start llama-server with --jinja; "
                "vLLM: --enable-auto-tool-choice --tool-call-parser ...).",
                said,
            ) from error
        overflow = context_overflow(status, body)
        if overflow is not None:
            if overflow.window:
                self.quirks.learn_window(overflow.window, _STATED)
            raise ContextOverflow(
                f"The conversation is longer than the context window of model '{self.model}' "
                f"at {self.endpoint} ({overflow.message[:200]}): start a new chat, or set "
                "c.CodeAct.context_window to the model's real window.",
                overflow,
            ) from error

    async def stream(self, prompt: Prompt | Sequence[Message]) -> AsyncIterator[LLMChunk]:
        if not isinstance(prompt, Prompt):
            prompt = Prompt.of(prompt)
        started = False
        try:
            fields, response = await self._open(prompt)
            splitter = ThinkSplitter()
            finish: str | None = None
            wrote = reasoned = called = False
            async for chunk in response:
                started = True
                usage = _mapping(chunk, "usage")
                if usage:
                    yield LLMChunk(
                        usage=TokenUsage(
                            prompt_tokens=_count(usage.get("prompt_tokens")),
                            completion_tokens=_count(usage.get("completion_tokens")),
                        )
                    )
                for choice in _items(chunk, "choices"):
                    finish = _text(choice.get("finish_reason")) or finish
                    delta = _mapping(choice, "delta")
                    if reasoning := _reasoning_of(delta):
                        reasoned = True
                        yield LLMChunk(reasoning=reasoning)
                    for piece in splitter.feed(_text(delta.get("content"))):
                        wrote, reasoned = _note(piece, wrote, reasoned)
                        yield _chunk(piece)
                    for call in _items(delta, "tool_calls"):
                        called = True
                        yield LLMChunk(tool_call=_tool_call_delta(call))
            for piece in splitter.close():
                wrote, reasoned = _note(piece, wrote, reasoned)
                yield _chunk(piece)
            cut = splitter.in_reasoning or (reasoned and not wrote and not called)
            if finish == "stop" and "stop" in fields and cut:
                raise self._stopped_in_reasoning()
        except LLMError:
            raise
        except Exception as error:
            raise self._explain(error, started=started) from error

    def _stopped_in_reasoning(self) -> LLMError:
        """A stop sequence ended the reply inside the model's reasoning (it thought about
        ``</execute>``): ask again without stop sequences, for this model from now on."""
        self.quirks.reject("stop", "a stop sequence ended a reply inside its reasoning")
        return LLMError(
            "bad_response",
            "The reply stopped at a stop sequence inside the model's reasoning; asking again "
            "without stop sequences.",
            retryable=True,
        )

    def _explain(self, error: Exception, *, started: bool) -> LLMError:
        """One sentence saying what went wrong and what to do about it."""
        url, model, retries = self.endpoint, self.model, self.settings.max_retries
        if isinstance(error, openai.APITimeoutError):
            return LLMError(
                "unreachable",
                f"The LLM endpoint at {url} did not answer within "
                f"{self.settings.request_timeout:g} seconds: check that the server is up and "
                "not overloaded, or raise c.CodeAct.request_timeout.",
                retryable=started,
            )
        # Older openai releases let transport errors through unwrapped (a stream cut
        # mid-way surfaces as httpx.RemoteProtocolError): they mean the same thing.
        if isinstance(error, openai.APIConnectionError | httpx.TransportError):
            if started:
                return LLMError(
                    "server",
                    f"The connection to the LLM endpoint at {url} broke in the middle of a reply.",
                    retryable=True,
                )
            return LLMError(
                "unreachable",
                f"Could not reach the LLM endpoint at {url}: check OPENAI_BASE_URL "
                "(or c.CodeAct.base_url) and that the server is running.",
            )
        if isinstance(error, openai.AuthenticationError | openai.PermissionDeniedError):
            return LLMError(
                "auth",
                f"The LLM endpoint at {url} rejected the API key (HTTP {error.status_code}): "
                "set a valid key in OPENAI_API_KEY or c.CodeAct.api_key, then restart.",
            )
        if isinstance(error, openai.NotFoundError):
            return LLMError(
                "not_found",
                f"The LLM endpoint at {url} does not know the model '{model}' (HTTP 404): set "
                "c.CodeAct.model (or --model) to a model it serves, and check that the base URL "
                "ends in /v1.",
            )
        if isinstance(error, openai.RateLimitError):
            return LLMError(
                "rate_limited",
                f"The LLM endpoint at {url} is still rate limiting requests (HTTP 429) after "
                f"{retries} retries: wait a minute and try again, or check your quota.",
            )
        if isinstance(error, openai.APIStatusError):
            detail = _error_detail(error)
            if error.status_code >= 500:
                return LLMError(
                    "server",
                    f"The LLM endpoint at {url} failed with HTTP {error.status_code} after "
                    f"{retries} retries{detail}: try again later or check the server's logs.",
                )
            return LLMError(
                "bad_response",
                f"The LLM endpoint at {url} refused the request with HTTP "
                f"{error.status_code}{detail}.",
            )
        if isinstance(error, ValueError | openai.APIError | KeyError | TypeError):
            # Malformed stream data: invalid JSON, or chunks without the fields we need.
            return LLMError(
                "bad_response",
                f"The LLM endpoint at {url} sent a reply that is not valid OpenAI chat-completion "
                f"data ({type(error).__name__}): check that it is an OpenAI-compatible server.",
                retryable=started,
            )
        raise error


def _mapping(value: Any, key: str) -> dict[str, Any]:
    """``value[key]`` where both are JSON objects, else {} (a server may send anything)."""
    found = value.get(key) if isinstance(value, dict) else None
    return found if isinstance(found, dict) else {}


def _items(value: Any, key: str) -> list[dict[str, Any]]:
    """The objects in the list ``value[key]`` ([] where there is none)."""
    found = value.get(key) if isinstance(value, dict) else None
    return [item for item in found if isinstance(item, dict)] if isinstance(found, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _tool_call_delta(call: dict[str, Any]) -> ToolCallDelta:
    function = _mapping(call, "function")
    index = call.get("index")
    return ToolCallDelta(
        index=index if isinstance(index, int) else None,
        id=_text(call.get("id")) or None,
        name=_text(function.get("name")) or None,
        arguments=_text(function.get("arguments")),
    )


def _chunk(piece: Piece) -> LLMChunk:
    kind, text = piece
    return LLMChunk(reasoning=text) if kind == "reasoning" else LLMChunk(text=text)


def _note(piece: Piece, wrote: bool, reasoned: bool) -> tuple[bool, bool]:
    return wrote or piece[0] == "text", reasoned or piece[0] == "reasoning"


def _reasoning_of(delta: dict[str, Any]) -> str:
    """The reasoning in a streamed delta, under whichever name the endpoint uses."""
    for name in ("reasoning_content", "reasoning"):
        value = delta.get(name)
        if isinstance(value, str) and value:
            return value
    return ""


def _error_detail(error: openai.APIStatusError) -> str:
    body = error.body
    message = None
    if isinstance(body, dict):
        inner = body.get("error", body)
        message = inner.get("message") if isinstance(inner, dict) else inner
    if not message:
        message = error.message
    text = str(message if not isinstance(message, dict | list) else json.dumps(message))
    return f" ({text[:300]})" if text else ""
