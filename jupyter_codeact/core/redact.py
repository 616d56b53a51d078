"""Redaction: secrets out of everything the agent stores, shows or sends to the model.

One :class:`Redactor` holds the secrets (exact texts, such as the API key) and the
patterns (regular expressions, ``c.CodeAct.redact_patterns``) to replace with
:data:`REDACTED`. Hosts build one from their settings and hand it to the agent, which
applies it to observations, replies and history; the chat store, the transcript and
exporters apply the same one. Parts that hold secrets of their own (an MCP server's
environment or headers, say) add them with :meth:`Redactor.add_secret`.

It is the second line of defence: the first keeps secrets out of the kernel's reach.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit, urlunsplit

REDACTED = "[redacted]"

MIN_SECRET_CHARS = 8
"""Shorter secrets are not redacted: "ollama" or "none" are placeholders that local
servers accept, and replacing such words everywhere would garble ordinary text."""

T = TypeVar("T")

_BINARY_PREFIX = "data:image/"


class Redactor:
    """Replaces secrets and pattern matches in text and in JSON-like values.

    ``patterns`` are regular expressions (strings or compiled); an invalid one raises
    ``ValueError`` naming it. Safe to share between chats: adding a secret or a pattern
    swaps the compiled state in one assignment.
    """

    def __init__(
        self,
        secrets: Iterable[str | None] = (),
        patterns: Iterable[str | re.Pattern[str]] = (),
    ) -> None:
        self._secrets: tuple[str, ...] = ()
        self._patterns: tuple[re.Pattern[str], ...] = ()
        self._combined: re.Pattern[str] | None = None
        self.add_secret(*secrets)
        self.add_pattern(*patterns)

    # -- what to redact ------------------------------------------------------------------------
    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    @property
    def patterns(self) -> tuple[str, ...]:
        return tuple(pattern.pattern for pattern in self._patterns)

    def add_secret(self, *secrets: str | None) -> None:
        """Redact these exact texts from now on (empty, None and short ones are ignored)."""
        known = set(self._secrets)
        fresh = [s for s in secrets if s and len(s) >= MIN_SECRET_CHARS and s not in known]
        if fresh:
            # Longest first: a secret that contains another is replaced whole.
            self._secrets = tuple(sorted({*known, *fresh}, key=len, reverse=True))

    def add_pattern(self, *patterns: str | re.Pattern[str]) -> None:
        """Redact every match of these regular expressions from now on."""
        compiled = list(self._patterns)
        for pattern in patterns:
            if isinstance(pattern, str):
                try:
                    pattern = re.compile(pattern)
                except re.error as error:
                    raise ValueError(
                        f"The redaction pattern {pattern!r} is not a valid regular "
                        f"expression ({error})."
                    ) from error
            if pattern.pattern and pattern.pattern not in {p.pattern for p in compiled}:
                compiled.append(pattern)
        if len(compiled) != len(self._patterns):
            combined = "|".join(f"(?:{p.pattern})" for p in compiled)
            self._combined = re.compile(combined)
            self._patterns = tuple(compiled)

    def set_patterns(self, patterns: Iterable[str | re.Pattern[str]]) -> None:
        """Replace the patterns (the configuration changed)."""
        fresh = Redactor(patterns=patterns)
        self._patterns, self._combined = fresh._patterns, fresh._combined

    def __bool__(self) -> bool:
        """Whether there is anything to redact."""
        return bool(self._secrets or self._patterns)

    # -- redacting -----------------------------------------------------------------------------
    def redact(self, text: str) -> str:
        """``text`` with every secret and every pattern match replaced by ``[redacted]``."""
        for secret in self._secrets:
            if secret in text:  # a substring search: cheap enough for megabytes of output
                text = text.replace(secret, REDACTED)
        if self._combined is not None and not text.startswith(_BINARY_PREFIX):
            text = self._combined.sub(REDACTED, text)
        return text

    def redact_value(self, value: T) -> T:
        """A copy of a JSON-like ``value`` (dicts, lists, strings) with its strings redacted.

        Keys are redacted too. Base64 image data (``image/*`` MIME values and
        ``data:image/`` URLs) is only checked for the exact secrets, so that a broad
        pattern cannot corrupt a picture.
        """
        if not self:
            return value
        return self._value(value, binary=False)  # type: ignore[no-any-return]

    def redact_fields(self, record: T) -> T:
        """A dataclass instance (an event, say) with its text fields redacted; the same
        instance when nothing in it changed."""
        if not self or not dataclasses.is_dataclass(record) or isinstance(record, type):
            return record
        changes = {}
        for item in dataclasses.fields(record):
            if not item.init:
                continue
            value = getattr(record, item.name)
            if isinstance(value, str | list | dict):
                clean = self._value(value, binary=False)
                if clean != value:
                    changes[item.name] = clean
        return dataclasses.replace(record, **changes) if changes else record

    def _value(self, value: Any, *, binary: bool) -> Any:
        if isinstance(value, str):
            return self._binary(value) if binary else self.redact(value)
        if isinstance(value, dict):
            return {
                self.redact(key) if isinstance(key, str) else key: self._value(
                    item, binary=isinstance(key, str) and key.startswith("image/")
                )
                for key, item in value.items()
            }
        if isinstance(value, list | tuple):
            return type(value)(self._value(item, binary=binary) for item in value)
        return value

    def _binary(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


def url_secrets(url: str | None) -> list[str]:
    """The parts of ``url`` that may be credentials: its user-info and its query values
    (``https://user:pass@host/v1?api-key=...``)."""
    if not url:
        return []
    try:
        parts = urlsplit(url)
        values = [parts.username, parts.password]
    except ValueError:  # a malformed port, say: nothing can be told apart
        return []
    values.extend(value for _, value in parse_qsl(parts.query))
    values.extend(value for _, value in parse_qsl(parts.fragment))
    return [value for value in values if value]


def public_url(url: str | None) -> str | None:
    """``url`` as it may be shown (a page, a log, a results file): scheme, host, port and
    path, without user-info, query or fragment, which can carry credentials."""
    if not url:
        return url
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "(an address that could not be read)"
    if ":" in host:  # IPv6
        host = f"[{host}]"
    netloc = f"{host}:{port}" if port is not None else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


class StreamRedactor:
    """Redacts a text that arrives in pieces (a streamed reply): a secret split across two
    pieces is still caught, by holding back the end of the text so far that could be the
    start of a secret (the longest suffix that is a prefix of one) until the next piece or
    :meth:`flush`. Ordinary text is released at once. Patterns apply to each piece released
    (the whole reply is redacted again once complete)."""

    def __init__(self, redactor: Redactor) -> None:
        self.redactor = redactor
        self._pending = ""

    def feed(self, text: str) -> str:
        """What can be shown of the text so far, beyond what was already released."""
        secrets = self.redactor.secrets
        if not secrets:
            return self.redactor.redact(text)
        # Complete secrets are replaced first; one still arriving starts in the held tail.
        pending = self._redact_secrets(self._pending + text)
        cut = len(pending) - _secret_start(pending, secrets)
        self._pending = pending[cut:]
        return self.redactor.redact(pending[:cut]) if cut else ""

    def flush(self) -> str:
        """The rest (the stream ended)."""
        rest, self._pending = self._pending, ""
        return self.redactor.redact(rest) if rest else ""

    def reset(self) -> None:
        """Drop what is held (the stream restarts)."""
        self._pending = ""

    def _redact_secrets(self, text: str) -> str:
        for secret in self.redactor.secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text


def _secret_start(text: str, secrets: tuple[str, ...]) -> int:
    """Length of the longest end of ``text`` that is the beginning of a secret (0 if none).

    Only the places where a secret's first character occurs in the last ``len - 1``
    characters are tried, so a feed costs about the length of the longest secret.
    """
    longest = 0
    for secret in secrets:
        window = min(len(secret) - 1, len(text))
        start = len(text) - window
        first = secret[0]
        index = text.find(first, start)
        while index != -1 and len(text) - index > longest:
            if secret.startswith(text[index:]):
                longest = len(text) - index
                break
            index = text.find(first, index + 1)
    return longest
