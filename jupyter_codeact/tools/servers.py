"""MCP server settings: the common ``mcpServers`` shape, from the config and from JSON files.

::

    {"pricing": {"command": "python", "args": ["pricing.py"], "env": {"TOKEN": "${PRICING_TOKEN}"}},
     "search": {"url": "https://search.example/mcp", "headers": {"Authorization": "Bearer ..."}}}

A server with ``command`` is started as a subprocess and spoken to over stdio; one with
``url`` over streamable HTTP. ``${NAME}`` in a value is replaced by the environment
variable ``NAME`` of the host, so a secret can stay out of the file. ``"disabled": true``
skips a server; fields other clients use (``autoApprove``...) are ignored.

A project's own file (``.jupyter/mcp.json`` of the folder a host runs in, once the user
trusts it: :mod:`jupyter_codeact.trust`) never reads the host's environment: its
``${NAME}`` are only the variables the user's own configuration allows it
(``c.CodeAct.project_variables``).

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
ALLOW_TRAIT = "c.CodeAct.project_variables"


def referenced_variables(value: Any) -> set[str]:
    """The ``${NAME}`` variables that a JSON-like value (a server's entry) names."""
    if isinstance(value, str):
        return set(_VARIABLE.findall(value))
    if isinstance(value, dict):
        return set().union(*(referenced_variables(item) for item in value.values()))
    if isinstance(value, list):
        return set().union(*(referenced_variables(item) for item in value))
    return set()


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


@dataclass(frozen=True)
class _Variables:
    """Where ``${NAME}`` is looked up: the host's environment, or for a project file only
    the variables the user allowed."""

    environ: Mapping[str, str]
    allowed: frozenset[str] | None = None
    """None: any variable (the user's own configuration)."""

    def value(self, name: str, where: str) -> str:
        if self.allowed is not None and name not in self.allowed:
            raise ServerConfigError(
                f"{where} uses ${{{name}}}, but a project's file may not read your "
                f"environment: if you mean to give it {name}, add {name!r} to {ALLOW_TRAIT}."
            )
        if name not in self.environ:
            raise ServerConfigError(
                f"{where} uses ${{{name}}}, which is not set in the environment: set it before "
                "starting, or write the value in."
            )
        return self.environ[name]


def _expand(value: Any, where: str, variables: _Variables) -> str:
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ServerConfigError(f"{where} must be a string.")
    return _VARIABLE.sub(lambda match: variables.value(match.group(1), where), str(value))


def _strings(value: Any, where: str, variables: _Variables) -> dict[str, str]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise ServerConfigError(f"{where} must be an object of names and values.")
    return {str(k): _expand(v, f"{where}[{k!r}]", variables) for k, v in value.items()}


def parse_server(
    key: str,
    entry: Any,
    *,
    source: str,
    environ: Mapping[str, str],
    taken: list[str],
    allowed: frozenset[str] | None = None,
) -> ServerConfig | None:
    """One server's settings (None when disabled); raises :class:`ServerConfigError`.

    ``allowed``: for a project's file, the only variables ``${NAME}`` may name."""
    variables = _Variables(environ, allowed)
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
            command=_expand(command, f"{where}: command", variables),
            args=tuple(_expand(arg, f"{where}: args", variables) for arg in args),
            env=_strings(entry.get("env"), f"{where}: env", variables),
            cwd=_expand(cwd, f"{where}: cwd", variables) if cwd else None,
        )
    url = _expand(url, f"{where}: url", variables)
    if urlsplit(url).scheme not in ("http", "https"):
        raise ServerConfigError(f"{where}: url must start with http:// or https://.")
    return ServerConfig(
        key=key,
        name=name,
        source=source,
        url=url,
        headers=_strings(entry.get("headers"), f"{where}: headers", variables),
    )


def user_files(chosen: str, project_dir: Path | None, config_dir: Path | None) -> list[Path]:
    """The ``mcp.json`` files the user wrote: ``chosen`` (``c.CodeAct.mcp_config_file``,
    relative to ``project_dir``), else their Jupyter config folder's, where it exists."""
    if chosen:
        path = Path(chosen).expanduser()
        if not path.is_absolute() and project_dir is not None:
            path = project_dir / path
        return [path]
    own = config_dir / "mcp.json" if config_dir is not None else None
    return [own] if own is not None and own.is_file() else []


def project_file(chosen: str, project_dir: Path | None, config_dir: Path | None) -> Path | None:
    """The project's ``.jupyter/mcp.json``, where it exists and is not the user's own (a
    project in the home folder), unless the user chose their file (``chosen``)."""
    if chosen or project_dir is None:
        return None
    path = project_dir / ".jupyter" / "mcp.json"
    if not path.is_file():
        return None
    own = config_dir / "mcp.json" if config_dir is not None else None
    if own is not None and own.is_file() and own.resolve() == path.resolve():
        return None
    return path


def read_file(path: Path) -> dict[str, Any]:
    """The servers of one ``mcp.json`` (``mcpServers``, or VS Code's ``servers``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise ServerConfigError(f"Could not read {path} ({error}): fix or remove it.") from error
    return parse_file(text, str(path))


def parse_file(text: str, source: str) -> dict[str, Any]:
    """The servers of an ``mcp.json`` whose text was read already (``source`` names it)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ServerConfigError(f"Could not read {source} ({error}): fix or remove it.") from error
    servers = data.get("mcpServers", data.get("servers")) if isinstance(data, dict) else None
    if not isinstance(servers, dict):
        raise ServerConfigError(
            f'{source} has no "mcpServers" object: the file looks like '
            '{"mcpServers": {"name": {"command": ...}}}.'
        )
    return servers


@dataclass(frozen=True)
class ProjectServers:
    """A project's ``mcp.json`` the user trusts: its text as read (and hashed), where it
    is, and the variables the user allows it."""

    text: str
    source: str
    allowed: frozenset[str] = frozenset()


def load_servers(
    configured: Mapping[str, Any],
    files: list[Path],
    *,
    environ: Mapping[str, str] | None = None,
    project: ProjectServers | None = None,
) -> tuple[list[ServerConfig], list[str]]:
    """Every configured server (the config trait wins over the files on a name, the
    project's file over the user's), and a plain sentence for each entry or file that
    cannot be used (the others still load)."""
    environ = os.environ if environ is None else environ
    entries: dict[str, tuple[Any, str, frozenset[str] | None]] = {}
    problems: list[str] = []
    for path in files:
        try:
            servers = read_file(path)
        except ServerConfigError as error:
            problems.append(str(error))
            continue
        entries.update({str(key): (entry, str(path), None) for key, entry in servers.items()})
    if project is not None:
        try:
            servers = parse_file(project.text, project.source)
        except ServerConfigError as error:
            problems.append(str(error))
        else:
            entries.update(
                {str(k): (entry, project.source, project.allowed) for k, entry in servers.items()}
            )
    entries.update({str(key): (entry, CONFIG_TRAIT, None) for key, entry in configured.items()})
    parsed: list[ServerConfig] = []
    for key, (entry, source, allowed) in entries.items():
        try:
            server = parse_server(
                key,
                entry,
                source=source,
                environ=environ,
                taken=[s.name for s in parsed],
                allowed=allowed,
            )
        except ServerConfigError as error:
            problems.append(str(error))
            continue
        if server is not None:
            parsed.append(server)
    return parsed, problems
