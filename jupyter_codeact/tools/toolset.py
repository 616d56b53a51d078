"""Every tool a host offers the agent: its MCP servers and the user's own functions.

The host (the Jupyter server for the panel, the command-line process for ``run`` and
``eval``, the kernel itself for the magic) owns one :class:`Toolset`: it runs the MCP
clients, so their secrets never enter a kernel; it gives the kernel the code that defines
the tools there (:meth:`Toolset.kernel_code`, or :meth:`Toolset.payload` for an in-process
install), the model a compact listing (:meth:`Toolset.prompt_section`), and it answers the
kernel's calls (:meth:`Toolset.answer`). What it cannot use is said once per problem, in a
sentence (:meth:`Toolset.new_problems`); the rest keeps working.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import inspect
import json
import logging
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import kernel_side
from .channel import METADATA_KEY, ToolRequest, error_reply, new_nonce, parse
from .functions import FunctionRef, describe, parse_refs
from .mcp_client import MISSING_SDK, CallOutcome, McpConnection, McpTool, sdk_available
from .schema import Param, parameters, python_name, returns, signature
from .servers import ProjectServers, load_servers, user_files
from .spec import ToolGroup, ToolSpec, compact_listing

log = logging.getLogger(__name__)

REDACTED = "[redacted]"
MIN_SECRET_CHARS = 8
"""Shorter values ("1", "true") are settings, not secrets: replacing them would garble text."""
DEFAULT_LISTING_CHARS = 6000

PROMPT_HEADER = """\
Tools: these Python functions are already defined in the kernel (no import needed). Call \
them from your code like any function, and combine several in one action (loops, filters, \
arithmetic): they return Python data (dicts, lists, numbers, str), and a failed call \
raises an exception with the tool's message. help(name) shows a tool's full description. \
Should a name be taken by one of the user's variables, the tool is also \
codeact_tools.<name> (import codeact_tools)."""


# Run in a namespace of its own, so that nothing lands in the user's.
_BOOTSTRAP = """\
import json, sys
module = sys.modules.get("codeact_tools")
if module is None or getattr(module, "__codeact_version__", None) != VERSION:
    setup = {"__name__": "codeact_tools_setup"}
    exec(compile(SOURCE, "<codeact-tools>", "exec"), setup)
    setup["install"](json.loads(PAYLOAD), "stdin")
else:
    module.__codeact_rebind__()
"""


@dataclass(frozen=True)
class ToolSettings:
    """What a host needs from the ``CodeAct`` configuration to build its toolset."""

    servers: Mapping[str, Any] = field(default_factory=dict)
    files: tuple[Path, ...] = ()
    """The user's own ``mcp.json`` files."""
    functions: tuple[str, ...] = ()
    startup_timeout: float = 30.0
    listing_chars: int = DEFAULT_LISTING_CHARS
    project: ProjectServers | None = None
    """The project's ``mcp.json``, once the user trusts it (:mod:`jupyter_codeact.trust`)."""

    @classmethod
    def from_config(
        cls,
        settings: Any,
        *,
        project_dir: Path | None,
        config_dir: Path | None = None,
        project: ProjectServers | None = None,
    ) -> ToolSettings:
        """From a ``CodeAct`` instance: ``c.CodeAct.mcp_servers``, the user's ``mcp.json``
        (:func:`.servers.user_files`) and ``project``, a project file the user trusts."""
        chosen = str(getattr(settings, "mcp_config_file", "") or "")
        return cls(
            servers=dict(settings.mcp_servers),
            files=tuple(user_files(chosen, project_dir, config_dir or user_config_dir())),
            functions=tuple(settings.tools),
            startup_timeout=float(settings.mcp_startup_timeout),
            project=project,
        )


def user_config_dir() -> Path:
    from jupyter_core.paths import jupyter_config_dir

    return Path(jupyter_config_dir())


class Toolset:
    def __init__(self, settings: ToolSettings, *, environ: Mapping[str, str] | None = None):
        self.settings = settings
        servers, problems = load_servers(
            settings.servers, list(settings.files), environ=environ, project=settings.project
        )
        functions, function_problems = parse_refs(list(settings.functions))
        taken = {server.name for server in servers} | {kernel_side.MODULE}
        self.functions: list[FunctionRef] = []
        for function in functions:
            if function.name in taken:
                function_problems.append(
                    f"c.CodeAct.tools: {function.ref} has the name {function.name!r}, which "
                    "an MCP server (or CodeAct) already uses; it is left out."
                )
                continue
            taken.add(function.name)
            self.functions.append(function)
        self.connections = [
            McpConnection(server, startup_timeout=settings.startup_timeout) for server in servers
        ]
        self._problems = problems + function_problems
        self._function_specs: list[ToolSpec] = []
        self._secrets = sorted(
            {s for server in servers for s in server.secrets() if len(s) >= MIN_SECRET_CHARS},
            key=len,
            reverse=True,
        )
        self._started: asyncio.Future[None] | None = None

    @property
    def configured(self) -> bool:
        """Whether there is anything at all: no tools means no prompt section, no setup."""
        return bool(self.connections or self.functions or self._problems)

    # -- starting ------------------------------------------------------------------------------
    async def start(self) -> None:
        """Start the servers and read the functions' signatures (once; later calls wait for
        the first). Never raises: what fails becomes a problem."""
        if self._started is None:
            self._started = asyncio.ensure_future(self._start())
        await asyncio.shield(self._started)

    async def _start(self) -> None:
        if self.connections and not sdk_available():
            names = ", ".join(repr(c.config.key) for c in self.connections)
            self._problems.append(MISSING_SDK.format(names=names, python=sys.executable))
            self.connections = []
        # Importing runs the user's code: not on the host's event loop.
        describing = asyncio.ensure_future(
            asyncio.to_thread(lambda: [describe(f) for f in self.functions])
        )
        await asyncio.gather(*(connection.start() for connection in self.connections))
        for spec, problem in await describing:
            self._function_specs.append(spec)
            if problem:
                self._problems.append(problem)

    def new_problems(self, seen: set[str]) -> list[str]:
        """Problems not in ``seen`` (which is updated): each is reported once per host."""
        found = list(self._problems)
        found += [c.problem for c in self.connections if c.problem]
        fresh = [self.redact(problem) for problem in found]
        fresh = [problem for problem in dict.fromkeys(fresh) if problem not in seen]
        seen.update(fresh)
        return fresh

    # -- what the kernel and the model get -----------------------------------------------------
    def _ready(self) -> list[McpConnection]:
        return [c for c in self.connections if c.state == "ready"]

    def payload(self) -> dict[str, Any]:
        """What :func:`.kernel_side.install` builds the kernel's tools from (plain data)."""
        servers = []
        for connection in self._ready():
            tools = []
            for tool, name, params in _named_tools(connection):
                tools.append(
                    {
                        "name": name,
                        "wire": tool.name,
                        "doc": self.redact(tool.description),
                        "params": [dataclasses.asdict(param) for param in params],
                        "returns": returns(tool.output_schema),
                    }
                )
            config = connection.config
            doc = self.redact(connection.instructions)
            servers.append({"key": config.key, "name": config.name, "doc": doc, "tools": tools})
        data: dict[str, Any] = {
            "servers": servers,
            "functions": [function.payload() for function in self.functions],
        }
        digest = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
        data["version"] = digest[:16]
        return data

    def kernel_code(self) -> str:
        """A Python expression that defines the tools in a kernel, which calls back over the
        stdin channel; hosts evaluate it silently (as a user expression). Cheap to run
        before every action: unless the tools changed, it only binds their names again (a
        user's variable of the same name is left alone), so a kernel that restarted or
        reset its namespace gets them back."""
        payload = self.payload()
        data = {
            "VERSION": payload["version"],
            "SOURCE": inspect.getsource(kernel_side),
            "PAYLOAD": json.dumps(payload),
        }
        return f"exec({_BOOTSTRAP!r}, {data!r})"

    def specs(self) -> list[ToolGroup]:
        """The tools as the model is told about them, one group per server."""
        groups = []
        for connection in self._ready():
            config = connection.config
            specs = tuple(
                ToolSpec(
                    name=name,
                    signature=signature(params, tool.output_schema),
                    doc=self.redact(tool.description),
                    parameters=tuple(param.name for param in params),
                )
                for tool, name, params in _named_tools(connection)
            )
            groups.append(
                ToolGroup(
                    title=f"{config.name} (MCP server {config.key!r})",
                    tools=specs,
                    prefix=config.name,
                    more_hint=f"help({config.name}) lists them",
                )
            )
        if self._function_specs:
            groups.append(ToolGroup(title="Your functions", tools=tuple(self._function_specs)))
        return groups

    def prompt_section(self) -> str:
        """The tools for the system prompt, compact and bounded; "" when there are none."""
        groups = self.specs()
        lines = []
        if groups:
            lines.append(PROMPT_HEADER)
            lines.append(compact_listing(groups, max_chars=self.settings.listing_chars))
        down = [c.config for c in self.connections if c.state == "failed"]
        if down:
            names = ", ".join(config.name for config in down)
            lines.append(f"Unavailable now (their servers are down): {names}.")
        return self.redact("\n".join(lines))

    def summary(self) -> list[str]:
        """One line per server and for the functions, for the user ("pricing: 3 tools")."""
        lines = []
        for connection in self.connections:
            state = (
                f"{len(connection.tools)} tools" if connection.state == "ready" else "unavailable"
            )
            lines.append(f"{connection.config.name} (MCP): {state}")
        if self.functions:
            lines.append(f"your functions: {', '.join(f.name for f in self.functions)}")
        return lines

    # -- calls ---------------------------------------------------------------------------------
    async def call(self, server: str, tool: str, arguments: dict[str, Any]) -> CallOutcome:
        """Call ``tool`` of the server configured as ``server``; never raises."""
        connection = next((c for c in self.connections if c.config.key == server), None)
        if connection is None:
            return CallOutcome(
                ok=False, error=f"There is no MCP server {server!r}.", unavailable=True
            )
        try:
            result = await connection.call(tool, arguments)
        except asyncio.CancelledError:
            raise
        except Exception as error:  # a bug of ours or of the SDK: the kernel still hears back
            log.exception("CodeAct: calling %s.%s failed", server, tool)
            result = CallOutcome(ok=False, error=f"{type(error).__name__}: {error}")
        return CallOutcome(
            ok=result.ok,
            value=self.redact_value(result.value),
            error=self.redact(result.error),
            unavailable=result.unavailable,
        )

    async def answer(self, request: ToolRequest, nonce: str) -> str:
        """The ``input_reply`` value for a call read from the kernel."""
        if request.nonce != nonce:
            return error_reply(
                "This call did not come from an action of this agent; it was refused.",
                kind="unavailable",
            )
        outcome = await self.call(request.server, request.tool, request.arguments)
        return json.dumps(outcome.reply(), ensure_ascii=False)

    async def answer_prompt(self, prompt: str, nonce: str) -> str | None:
        """Like :meth:`answer`, from an ``input_request``'s prompt; None when the prompt is
        not a tool call (the code called ``input()`` itself)."""
        request = parse(prompt)
        return None if request is None else await self.answer(request, nonce)

    # -- secrets -------------------------------------------------------------------------------
    def secrets(self) -> list[str]:
        """The servers' secrets (environment, headers, URL credentials), for redactors."""
        return list(self._secrets)

    def redact(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, REDACTED)
        return text

    def redact_value(self, value: Any) -> Any:
        if not self._secrets:
            return value
        if isinstance(value, str):
            return self.redact(value)
        if isinstance(value, dict):
            return {self.redact_value(k): self.redact_value(v) for k, v in value.items()}
        if isinstance(value, list | tuple):
            return [self.redact_value(item) for item in value]
        return value

    async def close(self) -> None:
        if self._started is not None and not self._started.done():
            self._started.cancel()
        await asyncio.gather(*(c.close() for c in self.connections), return_exceptions=True)


def _named_tools(connection: McpConnection) -> list[tuple[McpTool, str, list[Param]]]:
    """Each tool of a server with its Python name and parameters."""
    named = []
    taken: list[str] = []
    for tool in connection.tools:
        name = python_name(tool.name, taken)
        taken.append(name)
        named.append((tool, name, parameters(tool.input_schema)))
    return named


class KernelToolHost:
    """A toolset as a kernel executor's stdin host (:class:`..executors.kernel.StdinHost`):
    the setup code before each action, the nonce in its request, the calls answered."""

    def __init__(self, toolset: Toolset) -> None:
        self.toolset = toolset
        self.nonce = new_nonce()
        self.metadata: dict[str, Any] = {METADATA_KEY: self.nonce}
        self._code: tuple[str, str] | None = None

    def setup_expression(self) -> str | None:
        if not self.toolset.configured:
            return None
        version = str(self.toolset.payload()["version"])
        if self._code is None or self._code[0] != version:
            self._code = (version, self.toolset.kernel_code())
        return self._code[1]

    async def answer(self, prompt: str) -> str | None:
        return await self.toolset.answer_prompt(prompt, self.nonce)
