"""One connection to one MCP server, through the ``mcp`` SDK (an optional dependency).

The connection lives in a task of its own (the SDK's client is an async context manager
whose task groups must be entered and left by the same task); calls are made from any task
of the same event loop. A server that cannot start, or stops answering, is ``failed`` with
a plain sentence saying why (its last words on stderr included), and every later call of
its tools is refused with that sentence at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import sys
import tempfile
from dataclasses import dataclass
from typing import IO, Any, Literal

from .servers import ServerConfig

log = logging.getLogger(__name__)

MISSING_SDK = (
    "The MCP servers {names} need the mcp package, which is not installed here "
    "({python}): pip install 'jupyter_codeact[mcp]' there, then restart."
)

_STDERR_TAIL = 400
_CONNECTION_CLOSED = -32000

State = Literal["new", "starting", "ready", "failed", "closed"]


@dataclass(frozen=True)
class McpTool:
    name: str
    description: str
    input_schema: dict[str, Any]
    output_schema: dict[str, Any] | None


@dataclass(frozen=True)
class CallOutcome:
    """What a call gave: ``value`` (structured content as data, else text), or an error."""

    ok: bool
    value: Any = None
    error: str = ""
    unavailable: bool = False

    def reply(self) -> dict[str, Any]:
        """As the kernel's tool function reads it (see :func:`.channel.reply_data`)."""
        from .channel import reply_data

        return reply_data(self.ok, self.value, self.error, self.unavailable)


def sdk_available() -> bool:
    try:
        import mcp  # noqa: F401
    except ImportError:
        return False
    return True


def _flatten(error: BaseException) -> BaseException:
    """The first leaf of an exception group (anyio wraps the real error in several)."""
    # Duck-typed: Python 3.10 has no BaseExceptionGroup (anyio uses a backport there).
    while isinstance(getattr(error, "exceptions", None), list | tuple) and error.exceptions:  # type: ignore[attr-defined]
        leaf = error.exceptions[0]  # type: ignore[attr-defined]
        if not isinstance(leaf, BaseException):
            break
        error = leaf
    return error


def _describe(error: BaseException) -> str:
    error = _flatten(error)
    text = str(error).strip()
    if isinstance(error, FileNotFoundError):
        return "its command was not found"
    if getattr(getattr(error, "error", None), "code", None) == _CONNECTION_CLOSED:
        return "the connection closed: the server exited or hung up"
    if isinstance(error, OSError) and not text:
        return type(error).__name__
    return f"{type(error).__name__}: {text}" if text else type(error).__name__


class McpConnection:
    def __init__(self, config: ServerConfig, *, startup_timeout: float = 30.0) -> None:
        self.config = config
        self.startup_timeout = startup_timeout
        self.state: State = "new"
        self.tools: list[McpTool] = []
        self.problem: str | None = None
        self.instructions: str = ""
        self._client: Any = None
        self._task: asyncio.Task[None] | None = None
        self._ready = asyncio.Event()
        self._closing = asyncio.Event()
        self._stderr: IO[str] | None = None

    @property
    def label(self) -> str:
        return f"The MCP server {self.config.key!r} ({self.config.where()})"

    async def start(self) -> None:
        """Connect and list the tools; afterwards ``state`` is ``ready`` or ``failed``."""
        if self.state != "new":
            return
        self.state = "starting"
        self._task = asyncio.ensure_future(self._serve())
        try:
            await asyncio.wait_for(asyncio.shield(self._ready.wait()), self.startup_timeout)
        except asyncio.TimeoutError:
            self._fail(f"did not answer within {self.startup_timeout:g} seconds")
            self._closing.set()

    async def _serve(self) -> None:
        try:
            from mcp import Client
        except ImportError:
            message = MISSING_SDK.format(names=repr(self.config.key), python=sys.executable)
            self._fail(None, message=message)
            self._ready.set()
            return
        try:
            async with Client(self._transport(), mode="auto") as client:
                tools = await self._list(client)
                self.instructions = str(getattr(client, "instructions", None) or "")
                self._client, self.tools, self.state = client, tools, "ready"
                self._ready.set()
                await self._closing.wait()
        except BaseException as error:
            if not self._closing.is_set():
                self._fail(_describe(error))
            if isinstance(_flatten(error), asyncio.CancelledError):
                raise
        finally:
            self._client = None
            self._ready.set()
            if self.state == "ready":
                self.state = "closed"

    def _transport(self) -> Any:
        config = self.config
        if config.command:
            from mcp.client.stdio import StdioServerParameters, stdio_client

            # The server's stderr goes to a file of ours: its last lines explain a failure.
            self._stderr = tempfile.TemporaryFile("w+", encoding="utf-8", errors="replace")  # noqa: SIM115 (open while the server runs)
            params = StdioServerParameters(
                command=config.command, args=list(config.args), env=config.env, cwd=config.cwd
            )
            return stdio_client(params, errlog=self._stderr)
        import httpx2
        from mcp.client.streamable_http import streamable_http_client

        http = httpx2.AsyncClient(headers=config.headers, timeout=httpx2.Timeout(30, read=300))
        return _OwnedHttp(streamable_http_client(config.url or "", http_client=http), http)

    async def _list(self, client: Any) -> list[McpTool]:
        tools: list[McpTool] = []
        cursor: str | None = None
        for _ in range(50):  # a server whose pages never end cannot hang the start
            page = await client.list_tools(cursor=cursor)
            for tool in page.tools:
                tools.append(
                    McpTool(
                        name=tool.name,
                        description=tool.description or "",
                        input_schema=dict(tool.input_schema or {}),
                        output_schema=dict(tool.output_schema) if tool.output_schema else None,
                    )
                )
            cursor = page.next_cursor
            if not cursor:
                break
        return tools

    def _stderr_tail(self) -> str:
        if self._stderr is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self._stderr.seek(0)
            text = self._stderr.read().strip()
            if text:
                return text[-_STDERR_TAIL:].splitlines()[-1].strip()
        return ""

    def _fail(self, reason: str | None, *, message: str | None = None) -> None:
        if self.state == "failed":
            return
        started = self.state == "ready"
        self.state = "failed"
        if message is None:
            tail = self._stderr_tail()
            said = f"; it said: {tail}" if tail and tail not in (reason or "") else ""
            verb = "stopped" if started else "could not start"
            message = (
                f"{self.label} {verb} ({reason}{said}). Its tools are unavailable; the "
                "others still work."
            )
        self.problem = message
        log.info("CodeAct: %s", message)  # the host reports it, once

    async def call(self, tool: str, arguments: dict[str, Any]) -> CallOutcome:
        client = self._client
        if self.state != "ready" or client is None:
            return CallOutcome(
                ok=False, error=self.problem or f"{self.label} is not running.", unavailable=True
            )
        try:
            result = await client.call_tool(tool, arguments)
        except BaseException as error:
            leaf = _flatten(error)
            if isinstance(leaf, asyncio.CancelledError):
                raise
            if getattr(getattr(leaf, "error", None), "code", None) == _CONNECTION_CLOSED:
                self._fail("the connection closed: the server exited or hung up")
                self._closing.set()
                return CallOutcome(ok=False, error=self.problem or "", unavailable=True)
            # The server answered, but with a protocol error (bad arguments, say).
            return CallOutcome(ok=False, error=_describe(leaf))
        return outcome(result, self._output_schema(tool))

    def _output_schema(self, tool: str) -> dict[str, Any] | None:
        for known in self.tools:
            if known.name == tool:
                return known.output_schema
        return None

    async def close(self) -> None:
        self._closing.set()
        if self._task is not None:
            try:
                await asyncio.wait_for(asyncio.shield(self._task), 10)
            except (asyncio.TimeoutError, Exception):
                self._task.cancel()
            self._task = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None
        if self.state != "failed":
            self.state = "closed"


class _OwnedHttp:
    """The streamable HTTP transport, closing the httpx client it was given."""

    def __init__(self, transport: Any, http: Any) -> None:
        self._transport = transport
        self._http = http

    async def __aenter__(self) -> Any:
        await self._http.__aenter__()
        try:
            return await self._transport.__aenter__()
        except BaseException:
            await self._http.__aexit__(None, None, None)
            raise

    async def __aexit__(self, *exc: Any) -> Any:
        try:
            return await self._transport.__aexit__(*exc)
        finally:
            await self._http.__aexit__(None, None, None)


def outcome(result: Any, output_schema: dict[str, Any] | None) -> CallOutcome:
    """A ``CallToolResult`` as Python data: structured content (unwrapped when the server
    wrapped a plain value as ``{"result": ...}``), else the text of its content."""
    from .schema import wrapped_result

    text = content_text(getattr(result, "content", None) or [])
    if getattr(result, "is_error", False):
        return CallOutcome(ok=False, error=text or "the tool reported an error")
    structured = getattr(result, "structured_content", None)
    if structured is not None:
        if (
            wrapped_result(output_schema) is not None
            and isinstance(structured, dict)
            and list(structured) == ["result"]
        ):
            return CallOutcome(ok=True, value=structured["result"])
        return CallOutcome(ok=True, value=structured)
    return CallOutcome(ok=True, value=text)


def content_text(content: list[Any]) -> str:
    """The text parts, joined; other parts (images, audio, binary resources) named."""
    parts: list[str] = []
    for item in content:
        kind = getattr(item, "type", "")
        if kind == "text":
            parts.append(str(getattr(item, "text", "")))
        elif kind == "resource":
            resource = getattr(item, "resource", None)
            text = getattr(resource, "text", None)
            parts.append(str(text) if text is not None else f"[resource {resource}]")
        else:
            mime = getattr(item, "mime_type", None) or kind or "content"
            parts.append(f"[{mime} omitted]")
    return "\n".join(parts)
