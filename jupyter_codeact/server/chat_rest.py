"""REST handlers of the panel's header: the model list, and a chat's title.

- ``GET codeact/models[?refresh=1]``: :meth:`.models.ModelCatalog.listing` (model ids only,
  never the key).
- ``PUT codeact/chats/{id}/title`` with ``{"title": str}``: rename a chat (its pages hear a
  ``chat`` message); answers the chat's ChatInfo.
- ``GET codeact/docs/setup``: ``{"title": str, "markdown": str}``, the README's section on
  pointing the agent at a model, as installed (the panel shows it when no model is set up).
"""

from __future__ import annotations

import importlib.metadata

from jupyter_server.auth.decorator import authorized
from tornado import web

from .handlers import CHAT_ID, CodeActHandler

MAX_TITLE_CHARS = 120
SETUP_SECTION = "Point it at a model"


def readme_section(heading: str) -> str:
    """The ``## heading`` section of the installed package's README (its description)."""
    try:
        metadata = importlib.metadata.metadata("jupyter_codeact")
    except importlib.metadata.PackageNotFoundError:
        return ""
    text = metadata.get_payload() or metadata.get("Description") or ""  # type: ignore[attr-defined]
    found: list[str] = []
    for line in str(text).splitlines():
        if line.startswith("## "):
            if found:
                break
            if line[3:].strip() == heading:
                found.append(line)
        elif found:
            found.append(line)
    return "\n".join(found).strip()


class ModelsHandler(CodeActHandler):
    """The models the endpoint serves, for the panel's picker."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        refresh = self.get_query_argument("refresh", "") == "1"
        self.finish(await self.chats.models.listing(refresh=refresh))


class ChatTitleHandler(CodeActHandler):
    """A chat's title, as the user renames it in the chat history."""

    @web.authenticated
    @authorized
    async def put(self, chat_id: str) -> None:
        title = self.body().get("title")
        if not isinstance(title, str) or not title.strip():
            raise self.refuse('Give the new title: {"title": "..."}.')
        title = self.codeact.redactor().redact(" ".join(title.split()))
        if len(title) > MAX_TITLE_CHARS:
            raise self.refuse(f"A title has at most {MAX_TITLE_CHARS} characters.")
        session = self.chats.session(chat_id)
        if session is None:
            raise web.HTTPError(404, self.chats.missing(chat_id))
        session.renamed({"title": title})
        await session.flush()  # listed with its new title from now on
        self.finish(dict(session.record.info))


class SetupDocsHandler(CodeActHandler):
    """How to point the agent at a model: the README's section, for the panel."""

    @web.authenticated
    @authorized
    async def get(self) -> None:
        markdown = readme_section(SETUP_SECTION)
        if not markdown:
            raise web.HTTPError(404, "The README is not installed with this package.")
        self.finish({"title": SETUP_SECTION, "markdown": markdown})


def handlers() -> list[tuple[str, type]]:
    return [
        (r"/codeact/models", ModelsHandler),
        (r"/codeact/docs/setup", SetupDocsHandler),
        (rf"/codeact/chats/{CHAT_ID}/title", ChatTitleHandler),
    ]
