"""What an endpoint accepts, learned from what it refuses.

OpenAI-compatible servers differ in the request parameters they take: OpenAI's reasoning
models refuse ``temperature`` (other than 1) and ``stop``, some servers refuse
``stream_options`` or ``reasoning_effort``. Rather than guessing from model names, the
client sends what is configured and, when the endpoint answers 400 (or 422) naming a
parameter it sent, sends the request again without it. What is learned is kept per base
URL and model for the life of the process (every chat and every task shares it), and
logged once, at info level.

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

_ESSENTIAL = frozenset({"model", "messages", "stream"})
"""Parameters a request cannot do without: never dropped."""

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
    error = body.get("error", body) if isinstance(body, dict) else body
    message = error.get("message", "") if isinstance(error, dict) else error
    message = message if isinstance(message, str) else str(message or "")
    sent = _droppable(request)
    named = error.get("param") if isinstance(error, dict) else None
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
