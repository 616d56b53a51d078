"""The environment of kernels the agent's code runs in: the host's, less its secrets.

Kernels inherit their parent's environment, and code the model writes can print it. The
API key must stay with the host: the variables that name it (``OPENAI_API_KEY``) or hold
its text are left out of every kernel the host starts. So are the MCP servers' secrets:
every variable a configured server names as ``${NAME}`` (and those a project's file may
name, ``c.CodeAct.project_variables``), and every variable whose value is one of the
servers' secrets (their ``env`` and header values, their URL's credentials).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from .core.redact import MIN_SECRET_CHARS

if TYPE_CHECKING:
    from .config import CodeAct

SECRET_VARIABLES = ("OPENAI_API_KEY",)
"""Variables left out whatever their value."""

NEVER_SECRET = frozenset(
    {"PATH", "HOME", "USER", "LOGNAME", "SHELL", "PWD", "LANG", "TMPDIR", "TERM", "TZ"}
)
"""Variables a server may name (``"cwd": "${HOME}/srv"``) that are not secrets, and that a
kernel needs to work: never left out for being named."""


def secret_variables(
    env: Mapping[str, str],
    secrets: Iterable[str | None],
    *,
    names: Iterable[str] = SECRET_VARIABLES,
    values: Iterable[str] = (),
) -> set[str]:
    """The names in ``env`` to leave out: ``names``, any variable whose value is one of
    ``secrets`` or contains one (``Bearer <key>``) when it is long enough to be
    unambiguous, and any variable whose value equals one of ``values``."""
    texts = [secret for secret in secrets if secret]
    equal = {value for value in values if value}
    hidden = {name for name in names if name in env}
    for name, value in env.items():
        if value in equal or any(
            value == secret or (len(secret) >= MIN_SECRET_CHARS and secret in value)
            for secret in texts
        ):
            hidden.add(name)
    return hidden


def without_secrets(
    env: Mapping[str, str],
    secrets: Iterable[str | None],
    *,
    names: Iterable[str] = SECRET_VARIABLES,
    values: Iterable[str] = (),
) -> dict[str, str]:
    """A copy of ``env`` without :func:`secret_variables`."""
    hidden = secret_variables(env, secrets, names=names, values=values)
    return {name: value for name, value in env.items() if name not in hidden}


def tool_secrets(
    settings: CodeAct, project_dir: Path | None = None, environ: Mapping[str, str] | None = None
) -> tuple[set[str], set[str]]:
    """The variables the user's MCP configuration names (``c.CodeAct.mcp_servers``, their
    ``mcp.json``, and ``c.CodeAct.project_variables``), and the secret values of its
    servers: what a kernel must not see. Reads the user's ``mcp.json`` (small)."""
    from .tools.servers import load_servers, read_file, referenced_variables, user_files
    from .tools.toolset import user_config_dir

    environ = os.environ if environ is None else environ
    chosen = str(settings.mcp_config_file or "")
    files = user_files(chosen, project_dir, user_config_dir())
    names = referenced_variables(dict(settings.mcp_servers)) | set(settings.project_variables)
    for path in files:
        try:
            names |= referenced_variables(read_file(path))
        except ValueError:  # said where the tools are loaded
            continue
    names -= NEVER_SECRET
    values = {environ[name] for name in names if environ.get(name)}
    servers, _ = load_servers(dict(settings.mcp_servers), files, environ=environ)
    values |= {s for server in servers for s in server.secrets() if len(s) >= MIN_SECRET_CHARS}
    return names, values - ordinary_values(environ)


def ordinary_values(environ: Mapping[str, str]) -> set[str]:
    """The values of :data:`NEVER_SECRET` variables: a server given ``${HOME}`` does not
    make every variable holding the home folder a secret."""
    return {environ[name] for name in NEVER_SECRET if environ.get(name)}
