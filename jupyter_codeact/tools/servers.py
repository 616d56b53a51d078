"""MCP server settings: the common ``mcpServers`` shape, from the config and from JSON files.

::

    {"pricing": {"command": "python", "args": ["pricing.py"], "env": {"TOKEN": "${PRICING_TOKEN}"}},
     "search": {"url": "https://search.example/mcp", "headers": {"Authorization": "Bearer ..."}}}

A server with ``command`` is started as a subprocess and spoken to over stdio; one with
``url`` over streamable HTTP. ``${NAME}`` in a value is replaced by the environment
variable ``NAME`` of the host, so a secret can stay out of the file. ``"disabled": true``
skips a server; fields other clients use (``autoApprove``...) are ignored.

Everything a server is given (its environment, headers, the URL's credentials) is a secret:
:meth:`ServerConfig.secrets` lists them so they can be redacted wherever they might show.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from .schema import python_name

_VARIABLE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")

CONFIG_TRAIT = "c.CodeAct.mcp_servers"


class ServerConfigError(ValueError):
    """A server's settings cannot work; the message says which server, where, and the fix."""


@dataclass(frozen=True)
class ServerConfig:
    key: str
    """The name it is configured under."""
    name: str
    """Its name in the kernel (a Python identifier)."""
    source: str
    """Where it was configured (a file, or the config trait), for messages."""
    command: str | None = None
    args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    cwd: str | None = None
    url: str | None = None
    headers: dict[str, str] = field(default_factory=dict)

    @property
    def transport(self) -> Literal["stdio", "http"]:
        return "stdio" if self.command else "http"

    def where(self) -> str:
        """The command or the URL, without anything secret, for messages."""
        if self.command:
            return " ".join([self.command, *self.args])
        parts = urlsplit(self.url or "")
        return urlunsplit((parts.scheme, parts.hostname or "", parts.path, "", ""))

    def secrets(self) -> list[str]:
        """Values that must never be shown: the environment, the headers, the URL's
        credentials and query values."""
        values = [*self.env.values(), *self.headers.values()]
        for header in self.headers.values():
            # "Bearer <token>": the token alone may show up too.
            values.extend(part for part in header.split() if len(part) >= 8)
        if self.url:
            parts = urlsplit(self.url)
            values.extend(filter(None, (parts.password, parts.username)))
            values.extend(value for _, value in parse_qsl(parts.query))
        return [value for value in values if value]


def _expand(value: Any, where: str, environ: Mapping[str, str]) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ServerConfigError(f"{where} must be a string.")

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in environ:
            raise ServerConfigError(
                f"{where} uses ${{{name}}}, which is not set in the environment: set it before "
                "starting, or write the value in."
            )
        return environ[name]

    return _VARIABLE.sub(variable, str(value))


def _strings(value: Any, where: str, environ: Mapping[str, str]) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ServerConfigError(f"{where} must be an object of names and values.")
    return {str(k): _expand(v, f"{where}[{k!r}]", environ) for k, v in value.items()}


def parse_server(
    key: str, entry: Any, *, source: str, environ: Mapping[str, str], taken: list[str]
) -> ServerConfig | None:
    """One server's settings (None when disabled); raises :class:`ServerConfigError`."""
    where = f"The MCP server {key!r} in {source}"
    if not isinstance(entry, dict):
        raise ServerConfigError(f"{where} must be an object with a command or a url.")
    if entry.get("disabled") is True:
        return None
    kind = entry.get("type") or entry.get("transport")
    if kind in ("sse",):
        raise ServerConfigError(
            f"{where} uses the SSE transport, which is not supported: use its streamable HTTP "
            "URL (often ending in /mcp)."
        )
    command, url = entry.get("command"), entry.get("url")
    if bool(command) == bool(url):
        raise ServerConfigError(
            f"{where} needs either a command (a server started over stdio) or a url "
            "(streamable HTTP), not both."
        )
    name = python_name(key, taken)
    if command:
        args = entry.get("args") or []
        if not isinstance(args, list):
            raise ServerConfigError(f"{where}: args must be a list of strings.")
        cwd = entry.get("cwd")
        return ServerConfig(
            key=key,
            name=name,
            source=source,
            command=_expand(command, f"{where}: command", environ),
            args=tuple(_expand(arg, f"{where}: args", environ) for arg in args),
            env=_strings(entry.get("env"), f"{where}: env", environ),
            cwd=_expand(cwd, f"{where}: cwd", environ) if cwd else None,
        )
    url = _expand(url, f"{where}: url", environ)
    if urlsplit(url).scheme not in ("http", "https"):
        raise ServerConfigError(f"{where}: url must start with http:// or https://.")
    return ServerConfig(
        key=key,
        name=name,
        source=source,
        url=url,
        headers=_strings(entry.get("headers"), f"{where}: headers", environ),
    )


def default_files(project_dir: Path | None, config_dir: Path | None) -> list[Path]:
    """Where users keep an ``mcp.json``: their Jupyter config folder, then the project's
    ``.jupyter`` folder (later files win on a name both define)."""
    found: list[Path] = []
    for folder in (config_dir, project_dir / ".jupyter" if project_dir else None):
        if folder is None:
            continue
        path = folder / "mcp.json"
        if path.is_file() and all(path.resolve() != known.resolve() for known in found):
            found.append(path)
    return found


def read_file(path: Path) -> dict[str, Any]:
    """The servers of one ``mcp.json`` (``mcpServers``, or VS Code's ``servers``)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ServerConfigError(f"Could not read {path} ({error}): fix or remove it.") from error
    servers = data.get("mcpServers", data.get("servers")) if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise ServerConfigError(
            f'{path} has no "mcpServers" object: the file looks like '
            '{"mcpServers": {"name": {"command": ...}}}.'
        )
    return servers


def load_servers(
    configured: Mapping[str, Any],
    files: list[Path],
    *,
    environ: Mapping[str, str] | None = None,
) -> tuple[list[ServerConfig], list[str]]:
    """Every configured server (the config trait wins over the files on a name), and a
    plain sentence for each entry or file that cannot be used (the others still load)."""
    environ = os.environ if environ is None else environ
    entries: dict[str, tuple[Any, str]] = {}
    problems: list[str] = []
    for path in files:
        try:
            servers = read_file(path)
        except ServerConfigError as error:
            problems.append(str(error))
            continue
        entries.update({str(key): (entry, str(path)) for key, entry in servers.items()})
    entries.update({str(key): (entry, CONFIG_TRAIT) for key, entry in configured.items()})
    parsed: list[ServerConfig] = []
    for key, (entry, source) in entries.items():
        try:
            server = parse_server(
                key, entry, source=source, environ=environ, taken=[s.name for s in parsed]
            )
        except ServerConfigError as error:
            problems.append(str(error))
            continue
        if server is not None:
            parsed.append(server)
    return parsed, problems
