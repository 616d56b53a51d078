"""Streaming chat completions from any OpenAI-compatible endpoint.

HTTP-level retries (429 and 5xx, honouring Retry-After, with exponential backoff) are the
``openai`` client's own; a parameter the endpoint refuses is learned and left out
(:mod:`.endpoint`); reasoning, however the endpoint sends it, streams apart from the text
(:mod:`.reasoning`). What is left becomes :class:`LLMError` with one plain sentence that
says what to fix.
"""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any, Protocol

import httpx
import openai

from .endpoint import EndpointQuirks, quirks_for
from .events import ErrorKind
from .reasoning import Piece, ThinkSplitter

Message = dict[str, Any]
"""One chat message in the OpenAI wire form (``role`` and ``content``)."""


@dataclass(frozen=True)
class TokenUsage:
    prompt_tokens: int
    completion_tokens: int

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True)
class LLMChunk:
    """A piece of a streamed reply: text, reasoning, or the usage report that ends it."""

    text: str = ""
    usage: TokenUsage | None = None
    reasoning: str = ""
    """The model's reasoning (never part of ``text``; never sent back to the model)."""


class LLMError(Exception):
    """The endpoint failed in a way the user must hear about.

    ``retryable`` errors (a stream cut mid-way) may succeed if the request is sent again.
    """

    def __init__(self, kind: ErrorKind, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.kind: ErrorKind = kind
        self.message = message
        self.retryable = retryable


class LLM(Protocol):
    """What the agent loop needs from a model."""

    @property
    def model(self) -> str: ...

    def stream(self, messages: list[Message]) -> AsyncIterator[LLMChunk]:
        """Stream the reply to ``messages``; raise :class:`LLMError` on failure."""
        ...


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
        return str(self._client.base_url).rstrip("/")

    async def close(self) -> None:
        await self._client.close()

    def _request(self, messages: list[Message]) -> dict[str, Any]:
        settings = self.settings
        request: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        if settings.temperature is not None:
            request["temperature"] = settings.temperature
        if settings.stop:
            request["stop"] = list(settings.stop)
        if settings.reasoning_effort:
            request["reasoning_effort"] = settings.reasoning_effort
        if settings.extra_body:
            request["extra_body"] = dict(settings.extra_body)
        return self.quirks.prepare(request)

    async def _open(self, messages: list[Message]) -> tuple[dict[str, Any], Any]:
        """Send the request; while the endpoint refuses a parameter it names, drop it."""
        while True:
            request = self._request(messages)
            try:
                return request, await self._client.chat.completions.create(**request)
            except (openai.BadRequestError, openai.UnprocessableEntityError) as error:
                if not self.quirks.learn(error.status_code, error.body, request):
                    raise

    async def stream(self, messages: list[Message]) -> AsyncIterator[LLMChunk]:
        started = False
        try:
            request, response = await self._open(messages)
            splitter = ThinkSplitter()
            finish: str | None = None
            wrote = reasoned = False
            async for chunk in response:
                started = True
                if chunk.usage is not None:
                    yield LLMChunk(
                        usage=TokenUsage(
                            prompt_tokens=chunk.usage.prompt_tokens or 0,
                            completion_tokens=chunk.usage.completion_tokens or 0,
                        )
                    )
                for choice in chunk.choices or ():
                    finish = choice.finish_reason or finish
                    if choice.delta is None:
                        continue
                    if reasoning := _reasoning_of(choice.delta):
                        reasoned = True
                        yield LLMChunk(reasoning=reasoning)
                    for piece in splitter.feed(choice.delta.content or ""):
                        wrote, reasoned = _note(piece, wrote, reasoned)
                        yield _chunk(piece)
            for piece in splitter.close():
                wrote, reasoned = _note(piece, wrote, reasoned)
                yield _chunk(piece)
            cut = splitter.in_reasoning or (reasoned and not wrote)
            if finish == "stop" and "stop" in request and cut:
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


def _chunk(piece: Piece) -> LLMChunk:
    kind, text = piece
    return LLMChunk(reasoning=text) if kind == "reasoning" else LLMChunk(text=text)


def _note(piece: Piece, wrote: bool, reasoned: bool) -> tuple[bool, bool]:
    return wrote or piece[0] == "text", reasoned or piece[0] == "reasoning"


def _reasoning_of(delta: Any) -> str:
    """The reasoning in a streamed delta, under whichever name the endpoint uses."""
    for name in ("reasoning_content", "reasoning"):
        value = getattr(delta, name, None)
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
