"""The models a user may pick in the panel: what the endpoint lists in its ``/v1/models``.

The panel shows the list (:class:`ModelCatalog.listing`) and sends the choice with each
request; the server checks it against the list it last read (:meth:`ModelCatalog.check`)
before anything is asked of the endpoint. The configured ``c.CodeAct.model`` is always
allowed. Reasoning effort is offered for the models that take it: those whose entry lists
``reasoning_effort`` (or ``reasoning``) in its ``supported_parameters`` (OpenRouter does),
and OpenAI's reasoning families by name. The key is used here and never leaves the server.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from dataclasses import dataclass
from typing import Any

import httpx
import openai

from ..config import PLACEHOLDER_KEY, CodeAct

log = logging.getLogger(__name__)

REASONING_EFFORTS = ("minimal", "low", "medium", "high")
MAX_MODELS = 500
"""Models kept from one listing (some gateways list thousands)."""
CACHE_SECONDS = 60.0
_REASONING_NAMES = re.compile(r"^(?:openai/)?(?:o[1-9](?:-|$)|gpt-5|gpt-oss)", re.IGNORECASE)
_REASONING_PARAMETERS = {"reasoning_effort", "reasoning"}


@dataclass(frozen=True)
class ModelChoice:
    """The model (and reasoning effort) the user picked for one request; None: configured."""

    model: str | None = None
    reasoning_effort: str | None = None


def takes_reasoning_effort(entry: dict[str, Any]) -> bool:
    """Whether a ``/v1/models`` entry is a model that takes ``reasoning_effort``."""
    parameters = entry.get("supported_parameters")
    if isinstance(parameters, list) and _REASONING_PARAMETERS & {str(p) for p in parameters}:
        return True
    return bool(_REASONING_NAMES.match(str(entry.get("id", ""))))


class ModelCatalog:
    """The endpoint's models, read when the panel asks (at most once a minute)."""

    def __init__(self, settings: CodeAct) -> None:
        self.settings = settings
        self._models: dict[str, bool] | None = None
        """Model id -> takes reasoning effort; None until read."""
        self._problem: str | None = None
        self._read_at = 0.0
        self._lock = asyncio.Lock()

    async def listing(self, *, refresh: bool = False) -> dict[str, Any]:
        """``{"models": [{"id", "reasoning_effort"}...], "default": str, "problem": str|None}``."""
        settings = self.settings
        configured = bool(settings.api_key or settings.base_url)
        if configured:
            async with self._lock:
                stale = time.monotonic() - self._read_at > CACHE_SECONDS
                if refresh or stale or self._models is None:
                    await self._read()
        models = self._models or {}
        if configured and settings.model and settings.model not in models:
            # What the server is configured with is offered even when not listed.
            models = {settings.model: bool(_REASONING_NAMES.match(settings.model)), **models}
        return {
            "models": [{"id": name, "reasoning_effort": effort} for name, effort in models.items()],
            "default": settings.model,
            "efforts": list(REASONING_EFFORTS),
            "problem": self._problem if configured else None,
        }

    async def _read(self) -> None:
        settings = self.settings
        client = openai.AsyncOpenAI(
            api_key=settings.api_key or PLACEHOLDER_KEY,
            base_url=settings.base_url,
            max_retries=0,
            timeout=10.0,
        )
        try:
            data = await client.get("/models", cast_to=object)
        except (openai.OpenAIError, httpx.HTTPError, ValueError) as error:
            log.info("CodeAct: the endpoint's /models could not be read: %s", error)
            self._problem = (
                "The endpoint's model list could not be read, so only the configured model "
                f"'{settings.model}' is offered."
            )
            self._read_at = time.monotonic()
            return
        finally:
            await client.close()
        entries = data.get("data") if isinstance(data, dict) else None
        models: dict[str, bool] = {}
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict) and isinstance(entry.get("id"), str):
                models[entry["id"]] = takes_reasoning_effort(entry)
            if len(models) >= MAX_MODELS:
                break
        self._models, self._problem = dict(sorted(models.items())), None
        self._read_at = time.monotonic()

    def check(self, choice: ModelChoice) -> str | None:
        """Why ``choice`` cannot be used, in a sentence with the fix; None when it can."""
        configured = self.settings.model
        model = choice.model or configured
        if choice.model and choice.model != configured:
            if self._models is None:
                return (
                    f"The endpoint's models have not been read yet, so '{choice.model}' cannot "
                    "be checked: reopen the model list in the chat's header, or pick the "
                    "server's model."
                )
            if choice.model not in self._models:
                return (
                    f"The endpoint does not list the model '{choice.model}' in its /v1/models: "
                    "pick one of its models in the chat's header."
                )
        effort = choice.reasoning_effort
        if effort:
            if effort not in REASONING_EFFORTS:
                return f"Reasoning effort must be one of {', '.join(REASONING_EFFORTS)}."
            takes = (self._models or {}).get(model, bool(_REASONING_NAMES.match(model)))
            if not takes:
                return (
                    f"The model '{model}' takes no reasoning effort: choose 'default' in the "
                    "chat's header."
                )
        return None
