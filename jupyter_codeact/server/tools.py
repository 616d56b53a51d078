"""The panel's tools and rules: the MCP clients run here, in the Jupyter server.

The notebook's kernel gets only generated Python (see :mod:`jupyter_codeact.tools`): each
``execute`` carries the code that defines the tools and a nonce. The page runs that code
silently before the action's cell, puts the nonce in the cell's execute request, and relays
the kernel's tool calls (``input_request`` messages of that execution, which reach no other
client) to this server over the chat's authenticated socket as ``tool_call`` messages; the
answer goes back as ``tool_result`` and into the kernel as the ``input_reply``. A call is
answered only for the action this chat is running, with this chat's nonce.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from .. import rules as project_rules
from ..config import CodeAct
from ..host_prompt import system_prompt
from ..project import Project
from ..tools import Toolset, ToolSettings
from ..tools.channel import error_reply, new_nonce, parse
from ..trust import fingerprint
from .trust import ServerTrust

log = logging.getLogger(__name__)

REFUSED = error_reply(
    "This tool call does not belong to an action the agent is running; it was refused.",
    kind="unavailable",
)


class ServerTools:
    """The server's toolset (one set of MCP clients for every chat) and its rules.

    The project is the server's root: its ``.jupyter/mcp.json`` and the ``AGENTS.md``
    files from a notebook's folder up to the root are used only once the user trusts them
    (:mod:`.trust`, the panel's prompt). The toolset is built again when what it is built
    from changes (a file trusted, or changed since)."""

    def __init__(
        self,
        settings: CodeAct,
        root_dir: Path | None,
        interrupt: Callable[[str], Awaitable[bool]] | None = None,
    ) -> None:
        """``interrupt(path)`` interrupts the kernel of notebook ``path`` (False if it has
        none): a cell waiting for a tool's answer that no page can deliver is stopped."""
        self.settings = settings
        self.root_dir = root_dir if root_dir is not None and root_dir.is_dir() else None
        self.interrupt = interrupt
        self.trust = ServerTrust(settings, self.root_dir)
        self._toolset: Toolset | None = None
        self._built_from: ToolSettings | None = None

    @property
    def toolset(self) -> Toolset | None:
        """The toolset of the last run (None before the first): built by :meth:`tools_for`."""
        return self._toolset

    async def project(self, path: str) -> Project:
        """The tools and rules for notebook ``path`` (relative to the root), with the
        project's files the user trusts; reads files off the event loop."""
        return await asyncio.to_thread(self.trust.project, path)

    async def tools_for(self, config: ToolSettings) -> Toolset:
        """The toolset built from ``config`` (the one there is, if built from the same)."""
        if self._toolset is None or self._built_from != config:
            old = self._toolset
            # Built on first use: a server whose agent is never asked starts no MCP server.
            self._toolset, self._built_from = Toolset(config), config
            # A second line of defence: what a tool echoes is redacted everywhere.
            self.settings.redactor().add_secret(*self._toolset.secrets())
            if old is not None:
                await old.close()
        return self._toolset

    async def rules(self, path: str) -> list[project_rules.Rule]:
        return (await self.project(path)).rules

    async def close(self) -> None:
        if self._toolset is not None:
            await self._toolset.close()


class ChatTools:
    """One chat's side of the tools: its nonce, the problems it has shown, its calls."""

    def __init__(self, host: ServerTools) -> None:
        self.host = host
        self.nonce = new_nonce()
        self.reported: set[str] = set()
        self.rules: list[str] = []
        self._calls: dict[str, asyncio.Future[str]] = {}
        self._relayed: dict[str, Any] = {}  # call id -> the page that relayed it
        self._sending: set[asyncio.Task[None]] = set()
        self._setup: tuple[str, str] | None = None

    async def prepare(self, path: str) -> tuple[str, list[str]]:
        """Before a run: start the tools (when they changed), read the rules; the system
        prompt to use, and the problems not reported in this chat yet (first, once per
        content, the project files left out because the user has not trusted them)."""
        project = await self.host.project(path)
        toolset = await self.host.tools_for(project.tools)
        await toolset.start()
        self.rules = project_rules.sources(project.rules)
        problems = self.new_problems()
        if project.untrusted:  # said once per content of the files
            seen = fingerprint(project.untrusted)
            if seen not in self.reported:
                self.reported.add(seen)
                problems.insert(0, self.host.trust.notice(project.untrusted))
        return system_prompt(self.host.settings, toolset, project.rules), problems

    def new_problems(self) -> list[str]:
        toolset = self.host.toolset
        return toolset.new_problems(self.reported) if toolset is not None else []

    def execute_fields(self) -> dict[str, Any] | None:
        """What an ``execute`` carries for the tools: the code that defines them in the
        notebook's kernel, and the nonce its execute request must carry."""
        toolset = self.host.toolset
        if toolset is None or not toolset.configured:
            return None
        version = str(toolset.payload()["version"])
        if self._setup is None or self._setup[0] != version:
            self._setup = (version, toolset.kernel_code())
        return {"setup": self._setup[1], "nonce": self.nonce}

    def relay(self, peer: Any, call_id: str, prompt: str, *, allowed: bool) -> None:
        """Answer one call to the page that relays it. The same call asked again (by a page
        that reconnected) gets the same answer: the tool runs once."""
        future = self._calls.get(call_id)
        if future is None:
            if allowed:
                future = asyncio.ensure_future(self._answer(prompt))
                self._calls[call_id] = future
            else:
                future = asyncio.get_running_loop().create_future()
                future.set_result(REFUSED)
        self._relayed[call_id] = peer
        task = asyncio.ensure_future(self._send_result(peer, call_id, future))
        self._sending.add(task)
        task.add_done_callback(self._sending.discard)

    async def _send_result(self, peer: Any, call_id: str, future: asyncio.Future[str]) -> None:
        """Send the answer of a call to the page that relays it (if it is still there)."""
        with contextlib.suppress(asyncio.CancelledError):
            value = await asyncio.shield(future)
            if not peer.closed:
                peer.send({"type": "tool_result", "call_id": call_id, "value": value})

    async def _answer(self, prompt: str) -> str:
        request = parse(prompt)
        if request is None:
            return error_reply("The tool call could not be read.", kind="unavailable")
        toolset = self.host.toolset
        if toolset is None:
            return error_reply("The tools are not ready.", kind="unavailable")
        return await toolset.answer(request, self.nonce)

    def action_ended(self) -> bool:
        """The action is over: its calls that are still running are abandoned. True if a
        page that relayed one of its calls is gone: the kernel may still be waiting for an
        answer that can no longer reach it."""
        calls, self._calls = self._calls, {}
        for future in calls.values():
            if not future.done():
                future.cancel()
        relayed, self._relayed = self._relayed, {}
        return any(peer.closed for peer in relayed.values())
