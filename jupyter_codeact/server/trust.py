"""The panel's side of project trust (:mod:`jupyter_codeact.trust`).

The project is the server's root: its ``.jupyter/mcp.json``, and for a notebook the
``AGENTS.md`` files from its folder up to the root. Until the user trusts a file as it is,
runs leave it out and the chat says so once; the panel shows a prompt naming what each
file would do (``GET trust?path=``), with *Trust* and *Not now* (``POST trust``). *Trust*
records the files' hashes, shared with the command line and the magic; the next request
uses them. *Not now* is kept for this server's life: the panel folds its prompt.
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

from jupyter_core.utils import ensure_async
from jupyter_server.auth.decorator import authorized
from tornado import web

from ..config import CodeAct
from ..project import Project, find_files, trust_store, use
from ..trust import ProjectFile, describe, summary
from .handlers import AUTH_RESOURCE, CodeActHandler

MAX_FILES = 50


class TrustChanged(ValueError):
    """A file changed (or went) between the prompt and the decision."""


class ServerTrust:
    def __init__(self, settings: CodeAct, root: Path | None) -> None:
        self.settings = settings
        self.root = root
        self.declined: set[tuple[str, str]] = set()

    def files(self, path: str) -> list[ProjectFile]:
        """The project files of notebook ``path`` as they are now (reads files)."""
        if self.root is None:
            return []
        return find_files(
            self.settings,
            project_dir=self.root,
            rules_from=(self.root / path).parent,
            rules_to=self.root,
        )

    def project(self, path: str) -> Project:
        """What a run of notebook ``path`` uses (reads files)."""
        store = trust_store(self.settings)
        return use(
            self.settings, self.files(path), store, project_dir=self.root, relative_to=self.root
        )

    def label(self, file: ProjectFile) -> str:
        """The file as the user knows it: relative to the root."""
        if self.root is None:
            return file.key
        return Path(os.path.relpath(file.path, self.root.resolve())).as_posix()

    def pending(self, path: str) -> list[dict[str, Any]]:
        """The project files of notebook ``path`` that the user has not trusted, described
        for the prompt (``declined``: the user said Not now to this content)."""
        allowed = list(self.settings.project_variables)
        shown = []
        for file in self.project(path).untrusted:
            item = describe(file, allowed)
            item["label"] = self.label(file)
            item["declined"] = (file.key, file.sha256) in self.declined
            shown.append(item)
        return shown

    def decide(self, path: str, chosen: list[tuple[str, str]], trust: bool) -> None:
        """Trust (or not now) exactly the files ``chosen`` (real path, hash) of notebook
        ``path``, as shown; :class:`TrustChanged` if one is not as shown any more."""
        current = {(file.key, file.sha256): file for file in self.files(path)}
        files = []
        for key in chosen:
            file = current.get(key)
            if file is None:
                raise TrustChanged(
                    f"{key[0]} changed (or went) since it was shown: look at it again."
                )
            files.append(file)
        if trust:
            trust_store(self.settings).trust(files)
            self.declined.difference_update(chosen)
        else:
            self.declined.update(chosen)

    def notice(self, files: list[ProjectFile]) -> str:
        """The chat's note that a run left ``files`` out."""
        named = "; ".join(f"{self.label(file)} ({summary(file)})" for file in files)
        return (
            f"Not used, because you have not trusted them: {named}. They came with the "
            "project; review them in the prompt above the chat, and choose Trust to use them "
            "from the next request."
        )


class TrustHandler(CodeActHandler):
    """``GET trust?path=P``: the files of notebook ``P`` waiting for the user's trust.
    ``POST trust`` ``{"path": P, "decision": "trust"|"not_now", "files": [{"path",
    "sha256"}...]}``: the user's decision on those files as shown (409 if one changed)."""

    @property
    def trust(self) -> ServerTrust:
        return self.chats.tools.trust

    @web.authenticated
    @authorized
    async def get(self) -> None:
        path = self.get_query_argument("path", None)
        if path is None:
            raise self.refuse("Give the notebook's path: ?path=...")
        path = self.notebook_path(path)
        self.finish({"files": await asyncio.to_thread(self.trust.pending, path)})

    @web.authenticated
    @authorized
    async def post(self) -> None:
        # Trusting lets the project's commands run: as much as the chat socket's `execute`.
        allowed = await ensure_async(
            self.authorizer.is_authorized(self, self.current_user, "execute", AUTH_RESOURCE)
        )
        if not allowed:
            raise web.HTTPError(403)
        body = self.body()
        path = self.notebook_path(body.get("path"))
        decision = body.get("decision")
        if decision not in ("trust", "not_now"):
            raise self.refuse("'decision' must be 'trust' or 'not_now'.")
        files = body.get("files")
        if not isinstance(files, list) or not files or len(files) > MAX_FILES:
            raise self.refuse(f"'files' must list the files decided on (1 to {MAX_FILES}).")
        chosen = []
        for item in files:
            if not (
                isinstance(item, dict)
                and isinstance(item.get("path"), str)
                and isinstance(item.get("sha256"), str)
            ):
                raise self.refuse('Each of \'files\' must be {"path": str, "sha256": str}.')
            chosen.append((item["path"], item["sha256"]))
        try:
            await asyncio.to_thread(self.trust.decide, path, chosen, decision == "trust")
        except TrustChanged as error:
            raise web.HTTPError(409, str(error)) from error
        except OSError as error:
            raise web.HTTPError(500, f"The decision could not be saved ({error}).") from error
        self.finish({"files": await asyncio.to_thread(self.trust.pending, path)})
