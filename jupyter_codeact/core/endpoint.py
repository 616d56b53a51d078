"""What an endpoint accepts, learned from what it says and what it refuses.

OpenAI-compatible servers differ in the request parameters they take: OpenAI's reasoning
models refuse ``temperature`` (other than 1) and ``stop``, some servers refuse
``stream_options``, ``reasoning_effort`` or ``parallel_tool_calls``. Rather than guessing
from model names, the client sends what is configured and, when the endpoint answers 400
(or 422) naming a parameter it sent, sends the request again without it. What is learned
is kept per base URL and model for the life of the process (every chat and every task
shares it), and logged once, at info level.

Besides parameters, the same record holds:

Native tools
    Whether the endpoint takes ``tools`` for this model: unknown until a request with tools
    is answered. Ollama answers 400 ``"<model> does not support tools"`` for a model whose
    template has no tool support, llama.cpp ``"tools param requires --jinja flag"`` (HTTP
    500) when started without ``--jinja``, vLLM ``"auto" tool choice requires
    --enable-auto-tool-choice ...`` without a tool parser (:func:`tools_refusal`). A model
    that writes its calls in the text while tools are offered counts as refusing them too.
    ``tools`` is never dropped like other parameters: the action style changes instead.

The context window
    From ``/v1/models`` where the endpoint reports it (:func:`window_in_models`: vLLM's
    ``max_model_len``, llama.cpp's ``meta.n_ctx`` / ``meta.n_ctx_train``, LM Studio's
    ``loaded_context_length`` / ``max_context_length``, OpenRouter's and Together's
    ``context_length``, Groq's ``context_window``), or from a ``context_length_exceeded``
    error that states it (:func:`context_overflow`: OpenAI and vLLM say "This model's
    maximum context length is N tokens", llama.cpp sends ``n_ctx``). Ollama reports none
    (and cuts longer prompts silently): configure it.

Tokens per byte
    How many tokens one byte of the request's JSON costs for this model, from the prompt
    sizes the endpoint reports; prompts are estimated with it.

One :class:`EndpointQuirks` per endpoint and model is the one place such knowledge lives;
the request path asks it what to send.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

_ESSENTIAL = frozenset({"model", "messages", "stream", "tools"})
"""Parameters a request cannot do without: never dropped (a refusal of ``tools`` changes
the action style, see :func:`tools_refusal`)."""

DEFAULT_CONTEXT_WINDOW = 32_768
"""Tokens assumed when neither ``c.CodeAct.context_window`` nor the endpoint says more."""

DEFAULT_TOKENS_PER_BYTE = 1 / 3
"""Before the endpoint has reported a prompt's size: on the high side (English text and
code run at about a token per four bytes), so that the first estimates err towards room."""

_TOOLS_REFUSED = re.compile(
    r"does not support (?:tools|tool[ _]?(?:calls|calling|use)|function[ _]calling)|"
    r"tools? param(?:eter)?s? requires|tool[ _]choice requires|"
    r"tools? (?:is|are) not supported|(?:tool[ _]calling|function[ _]calling) is not supported|"
    r"unsupported parameter: 'tools'",
    re.IGNORECASE,
)
_OVERFLOW = re.compile(
    r"maximum context length|context length|context[_ ]size|context window|"
    r"exceeds? the (?:available )?context|prompt is too long|too many (?:input )?tokens",
    re.IGNORECASE,
)
_WINDOW_IN_MESSAGE = re.compile(r"maximum context length is (\d[\d,]*) tokens", re.IGNORECASE)
_PROMPT_IN_MESSAGE = re.compile(
    r"(?:resulted in|you requested|request has|prompt has|prompt is) (\d[\d,]*) (?:input )?tokens",
    re.IGNORECASE,
)
_WINDOW_FIELDS = (
    ("max_model_len",),  # vLLM
    ("meta", "n_ctx"),  # llama.cpp (the server's own -c), llama-swap
    ("loaded_context_length",),  # LM Studio, as loaded
    ("context_length",),  # OpenRouter, Together
    ("top_provider", "context_length"),  # OpenRouter
    ("context_window",),  # Groq
    ("max_context_length",),  # LM Studio (the model's most), Mistral
    ("meta", "n_ctx_train"),  # llama.cpp, when it does not say n_ctx
)

_REJECTING = re.compile(
    r"unsupported|not supported|unrecognized|unknown|not allowed|not permitted|"
    r"extra (?:fields|inputs)|does not support|invalid|unexpected",
    re.IGNORECASE,
)
_INSTEAD = re.compile(r"[Uu]se '([A-Za-z_]\w*)' instead")
# Servers that refuse reasoning options name the feature, not always the parameter
# (Ollama: '"llama3.2" does not support thinking').
_ALIASES = {"reasoning_effort": ("reasoning_effort", "reasoning", "thinking")}


@dataclass(frozen=True)
class Refusal:
    """A parameter an endpoint refused, and what it said."""

    parameter: str
    message: str
    instead: str | None = None
    """The parameter the endpoint asks for in its place (``max_completion_tokens``)."""


def refusal_in(status: int, body: Any, request: dict[str, Any]) -> Refusal | None:
    """The parameter of ``request`` that an error response refuses, if it names one."""
    if status not in (400, 422):
        return None
    error, message = _error_parts(body)
    sent = _droppable(request)
    named = error.get("param")
    instead = _INSTEAD.search(message)
    if isinstance(named, str) and named in sent:
        return Refusal(named, message, instead.group(1) if instead else None)
    if not _REJECTING.search(message):
        return None
    found: list[tuple[int, str]] = []
    for parameter in sent:
        for word in _ALIASES.get(parameter, (parameter,)):
            match = re.search(rf"(?<![\w.]){re.escape(word)}(?!\w)", message, re.IGNORECASE)
            if match:
                found.append((match.start(), parameter))
                break
    if not found:
        return None
    parameter = min(found)[1]
    return Refusal(parameter, message, instead.group(1) if instead else None)


def _error_parts(body: Any) -> tuple[dict[str, Any], str]:
    """The error object of a response body (``{}`` if none) and its message."""
    error = body.get("error", body) if isinstance(body, dict) else body
    message = error.get("message", "") if isinstance(error, dict) else error
    message = message if isinstance(message, str) else str(message or "")
    return (error if isinstance(error, dict) else {}), message


def tools_refusal(status: int, body: Any) -> str | None:
    """What the endpoint said, if its error (to a request with tools) refuses them."""
    if status not in (400, 422, 500, 501):
        return None
    error, message = _error_parts(body)
    if error.get("param") == "tools" or _TOOLS_REFUSED.search(message):
        return message or f"HTTP {status}"
    return None


@dataclass(frozen=True)
class Overflow:
    """An endpoint's refusal of a prompt longer than its context window."""

    message: str
    window: int | None = None
    """The window it states, if it does."""
    prompt_tokens: int | None = None
    """The size it counted for the prompt, if it says."""


def context_overflow(status: int, body: Any) -> Overflow | None:
    """The context-length refusal in an error response, if it is one."""
    if status not in (400, 413, 422, 500):
        return None
    error, message = _error_parts(body)
    known = error.get("code") == "context_length_exceeded" or (
        error.get("type") == "exceed_context_size_error"
    )
    if not known and not _OVERFLOW.search(message):
        return None
    window = _integer(error.get("n_ctx")) or _number_in(_WINDOW_IN_MESSAGE, message)
    prompt = _integer(error.get("n_prompt_tokens")) or _number_in(_PROMPT_IN_MESSAGE, message)
    return Overflow(message=message or f"HTTP {status}", window=window, prompt_tokens=prompt)


def window_in_models(data: Any, model: str) -> int | None:
    """The context window a ``/v1/models`` answer reports for ``model`` (None: none)."""
    entries = data.get("data") if isinstance(data, dict) else data
    if not isinstance(entries, list):
        return None
    entries = [e for e in entries if isinstance(e, dict)]
    chosen = [e for e in entries if model in (e.get("id"), *(e.get("aliases") or ()))]
    if not chosen and len(entries) == 1:
        chosen = entries  # a server of one model may name it differently
    for entry in chosen[:1]:
        for path in _WINDOW_FIELDS:
            value: Any = entry
            for key in path:
                value = value.get(key) if isinstance(value, dict) else None
            if (tokens := _integer(value)) is not None:
                return tokens
    return None


def _integer(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        return None
    return int(value)


def _number_in(pattern: re.Pattern[str], text: str) -> int | None:
    match = pattern.search(text)
    return int(match.group(1).replace(",", "")) if match else None


def _droppable(request: dict[str, Any]) -> set[str]:
    names = {name for name in request if name not in _ESSENTIAL and name != "extra_body"}
    names.update(request.get("extra_body") or {})
    return names


@dataclass
class EndpointQuirks:
    """What one endpoint accepts for one model, as learned so far."""

    base_url: str
    model: str
    rejected: set[str] = field(default_factory=set)
    renamed: dict[str, str] = field(default_factory=dict)
    tools: bool | None = None
    """Whether native tools work for this model (None: not known yet)."""
    context_window: int | None = None
    """The window in tokens, once the endpoint has said (see :meth:`learn_window`)."""
    window_source: str = ""
    window_probed: bool = False
    """True once ``/v1/models`` was asked (it is asked once)."""
    tokens_per_byte: float = DEFAULT_TOKENS_PER_BYTE
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def accepts(self, parameter: str) -> bool:
        return parameter not in self.rejected

    def prepare(self, request: dict[str, Any]) -> dict[str, Any]:
        """``request`` as this endpoint takes it: refused parameters left out or renamed."""
        with self._lock:
            rejected, renamed = set(self.rejected), dict(self.renamed)
        prepared = {key: value for key, value in request.items() if key not in rejected}
        extra = {k: v for k, v in (request.get("extra_body") or {}).items() if k not in rejected}
        for old, new in renamed.items():
            if old in prepared:
                extra[new] = prepared.pop(old)
            elif old in extra:
                extra[new] = extra.pop(old)
        prepared.pop("extra_body", None)
        if extra:
            prepared["extra_body"] = extra
        return prepared

    def learn(self, status: int, body: Any, request: dict[str, Any]) -> bool:
        """Learn from an error response to ``request``; True if it should be sent again."""
        refusal = refusal_in(status, body, request)
        if refusal is None:
            return False
        if refusal.instead and refusal.instead not in _droppable(request):
            with self._lock:
                if self.renamed.get(refusal.parameter) == refusal.instead:
                    return False
                self.renamed[refusal.parameter] = refusal.instead
            log.info(
                "CodeAct: %s refuses %r for model %s (%s); sending %r instead from now on.",
                self.base_url,
                refusal.parameter,
                self.model,
                refusal.message[:200],
                refusal.instead,
            )
            return True
        return self.reject(refusal.parameter, refusal.message)

    def reject(self, parameter: str, why: str) -> bool:
        """Leave ``parameter`` out from now on; False if it already was."""
        with self._lock:
            if parameter in self.rejected:
                return False
            self.rejected.add(parameter)
        log.info(
            "CodeAct: %s does not accept %r for model %s (%s); leaving it out from now on.",
            self.base_url,
            parameter,
            self.model,
            why[:200],
        )
        return True

    def refuse_tools(self, why: str) -> bool:
        """Native tools do not work for this model; False if that was known already."""
        with self._lock:
            if self.tools is False:
                return False
            self.tools = False
        log.info(
            "CodeAct: %s does not take native tools for model %s (%s); acting through text "
            "tags from now on where the action style is auto.",
            self.base_url,
            self.model,
            why[:200],
        )
        return True

    def tools_work(self) -> None:
        """A request with tools was answered with a tool call."""
        with self._lock:
            if self.tools is None:
                self.tools = True

    def learn_window(self, tokens: int, source: str) -> bool:
        """The endpoint says its window is ``tokens``; False if that was known already."""
        with self._lock:
            if self.context_window == tokens:
                return False
            self.context_window, self.window_source = tokens, source
        log.info(
            "CodeAct: the context window of %s for model %s is %s tokens (%s).",
            self.base_url,
            self.model,
            f"{tokens:,}",
            source,
        )
        return True

    def calibrate(self, prompt_bytes: int, prompt_tokens: int) -> None:
        """The endpoint counted ``prompt_tokens`` for a request of ``prompt_bytes``."""
        if prompt_bytes > 0 and prompt_tokens > 0:
            self.tokens_per_byte = prompt_tokens / prompt_bytes


_KNOWN: dict[tuple[str, str], EndpointQuirks] = {}
_KNOWN_LOCK = threading.Lock()


def quirks_for(base_url: str, model: str) -> EndpointQuirks:
    """The shared record for an endpoint and model (hosts may run agents on threads)."""
    key = (base_url.rstrip("/"), model)
    with _KNOWN_LOCK:
        if key not in _KNOWN:
            _KNOWN[key] = EndpointQuirks(*key)
        return _KNOWN[key]


def forget_all() -> None:
    """Forget everything learned (tests start from a clean slate)."""
    with _KNOWN_LOCK:
        _KNOWN.clear()
