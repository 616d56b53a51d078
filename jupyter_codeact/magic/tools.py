"""The magic's tools: MCP clients and the user's functions, in the kernel itself.

The magic runs inside the user's kernel, so its MCP clients do too: on the agent's thread
(its event loop), with the servers' secrets in this process's memory (the settings come
from ``ipython_config.py`` or ``%config``; code in the kernel could read them, the model is
never shown them). The tools are bound in the user's namespace and called directly (no
round trip through a client), from the agent's cells and the user's own alike.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
from typing import TYPE_CHECKING, Any

from .. import rules as project_rules
from ..host_prompt import system_prompt
from ..project import headless
from ..tools import Toolset, ToolSettings, kernel_side
from ..trust import fingerprint, untrusted_message

if TYPE_CHECKING:
    from ..config import CodeAct
    from .session import AgentThread


TRUST_HOW = "run the cell again with %%codeact --trust-project"


class MagicTools:
    def __init__(self, shell: Any, thread: AgentThread) -> None:
        self.shell = shell
        self.thread = thread
        self.toolset: Toolset | None = None
        self.rules: list[str] = []
        self._settings: ToolSettings | None = None
        self._reported: set[str] = set()

    def prepare(self, settings: CodeAct, *, trust_project: bool = False) -> tuple[str, list[str]]:
        """Before a run (on the main thread): the tools started and bound in the namespace,
        the rules read (the project's files only if the user trusts them; ``trust_project``
        trusts them as they are now); the system prompt, and the problems not reported yet."""
        project = headless(settings, trust_now=trust_project)
        config = project.tools
        if config != self._settings:  # the configuration changed (%config): start over
            self.close()
            self.toolset, self._settings, self._reported = Toolset(config), config, set()
        toolset = self.toolset
        assert toolset is not None
        settings.redactor().add_secret(*toolset.secrets())
        self.thread.submit(toolset.start()).result()
        if toolset.configured:
            payload = toolset.payload()
            # Not the panel's version: the same kernel may have its tools too (which call
            # back over stdin); each host installs its own kind when it runs.
            payload["version"] = f"{payload['version']}:in-process"
            kernel_side.install(payload, self._call, self.shell.user_ns)
        self.rules = project_rules.sources(project.rules)
        problems = toolset.new_problems(self._reported)
        if project.untrusted:  # said once per content of the files
            seen = fingerprint(project.untrusted)
            if seen not in self._reported:
                self._reported.add(seen)
                problems.insert(0, untrusted_message(project.untrusted, how=TRUST_HOW))
        return system_prompt(toolset, project.rules), problems

    def new_problems(self) -> list[str]:
        return self.toolset.new_problems(self._reported) if self.toolset is not None else []

    def summary(self) -> list[str]:
        return self.toolset.summary() if self.toolset is not None else []

    def _call(self, server: str, tool: str, arguments: dict[str, Any], label: str) -> Any:
        """A tool function's transport: the call, on the agent's event loop."""
        toolset = self.toolset
        if toolset is None:
            return {"ok": False, "kind": "unavailable", "error": f"{label} is gone."}
        future = self.thread.submit(toolset.call(server, tool, arguments))
        try:
            return future.result().reply()
        except BaseException:  # Stop, a timeout: the call is abandoned
            future.cancel()
            raise

    def close(self) -> None:
        if self.toolset is not None and self.thread.loop.is_running():
            with contextlib.suppress(Exception, concurrent.futures.TimeoutError):
                self.thread.submit(self.toolset.close()).result(timeout=15)
        self.toolset = None
