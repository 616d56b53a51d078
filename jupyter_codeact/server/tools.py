"""The panel's tools and rules: the MCP clients run here, in the Jupyter server.

The notebook's kernel gets only generated Python (see :mod:`jupyter_codeact.tools`): before
each action, the server evaluates the code that defines the tools silently in the
notebook's kernel, and the action's execute request carries the chat's nonce. The
kernel's tool calls are ``input_request`` messages of that execution, which go only to
the client that sent it: the server's own (:mod:`.notebook_executor`), which answers them
here. A call is answered only with this chat's nonce, so a user's own cell, or another
chat, gets a plain error.
"""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path

from .. import rules as project_rules
from ..config import CodeAct
from ..host_prompt import system_prompt
from ..project import Project
from ..tools import Toolset, ToolSettings
from ..tools.toolset import KernelToolHost
from ..trust import fingerprint
from .trust import ServerTrust

log = logging.getLogger(__name__)


class ServerTools:
    """The server's toolset (one set of MCP clients for every chat) and its rules.

    The project is the server's root: its ``.jupyter/mcp.json`` and the ``AGENTS.md``
    files from a notebook's folder up to the root are used only once the user trusts them
    (:mod:`.trust`, the panel's prompt). The toolset is built again when what it is built
    from changes (a file trusted, or changed since)."""

    def __init__(self, settings: CodeAct, root_dir: Path | None) -> None:
        self.settings = settings
        self.root_dir = root_dir if root_dir is not None and root_dir.is_dir() else None
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
    """One chat's side of the tools: its nonce, the problems it has shown, and the answers
    to its actions' calls (:attr:`kernel_host`, the kernel executor's stdin host)."""

    def __init__(self, host: ServerTools) -> None:
        self.host = host
        self.reported: set[str] = set()
        self.rules: list[str] = []
        self.kernel_host: KernelToolHost | None = None
        """Set up by :meth:`prepare`; its nonce is the chat's for as long as it lives."""

    async def prepare(self, path: str) -> tuple[str, list[str]]:
        """Before a run: start the tools (when they changed), read the rules; the system
        prompt to use, and the problems not reported in this chat yet (first, once per
        content, the project files left out because the user has not trusted them)."""
        project = await self.host.project(path)
        toolset = await self.host.tools_for(project.tools)
        await toolset.start()
        if self.kernel_host is None or self.kernel_host.toolset is not toolset:
            # Tools built again (a project file trusted, or changed): the kernel gets
            # their code afresh, under a nonce of their own.
            self.kernel_host = KernelToolHost(toolset)
        self.rules = project_rules.sources(project.rules)
        problems = self.new_problems()
        if project.untrusted:  # said once per content of the files
            seen = fingerprint(project.untrusted)
            if seen not in self.reported:
                self.reported.add(seen)
                problems.insert(0, self.host.trust.notice(project.untrusted))
        return system_prompt(toolset, project.rules), problems

    def new_problems(self) -> list[str]:
        toolset = self.host.toolset
        return toolset.new_problems(self.reported) if toolset is not None else []
