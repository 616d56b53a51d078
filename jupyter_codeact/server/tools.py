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
from ..tools import Toolset, ToolSettings
from ..tools.toolset import KernelToolHost

log = logging.getLogger(__name__)


class ServerTools:
    """The server's toolset (one set of MCP clients for every chat) and its rules."""

    def __init__(self, settings: CodeAct, root_dir: Path | None) -> None:
        self.settings = settings
        self.root_dir = root_dir
        self._toolset: Toolset | None = None

    @property
    def toolset(self) -> Toolset:
        # Built on first use: a server whose agent is never asked starts no MCP server.
        if self._toolset is None:
            config = ToolSettings.from_config(self.settings, project_dir=self.root_dir)
            self._toolset = Toolset(config)
            # A second line of defence: what a tool echoes is redacted everywhere.
            self.settings.redactor().add_secret(*self._toolset.secrets())
        return self._toolset

    def rules_for(self, path: str) -> list[project_rules.Rule]:
        """The rules of notebook ``path`` (relative to the root): reads files, so run it off
        the event loop."""
        if self.root_dir is None or not self.root_dir.is_dir():
            files: list[Path] = []
        else:
            folder = (self.root_dir / path).parent
            files = project_rules.find(folder, self.root_dir)
        return project_rules.read(
            files, relative_to=self.root_dir, instructions=self.settings.instructions
        )

    async def rules(self, path: str) -> list[project_rules.Rule]:
        return await asyncio.to_thread(self.rules_for, path)

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
        """Before a run: start the tools (the first time), read the rules; the system prompt
        to use, and the problems not reported in this chat yet."""
        toolset = self.host.toolset
        await toolset.start()
        if self.kernel_host is None:
            self.kernel_host = KernelToolHost(toolset)
        rules = await self.host.rules(path)
        self.rules = project_rules.sources(rules)
        return system_prompt(self.host.settings, toolset, rules), self.new_problems()

    def new_problems(self) -> list[str]:
        toolset = self.host._toolset
        return toolset.new_problems(self.reported) if toolset is not None else []
