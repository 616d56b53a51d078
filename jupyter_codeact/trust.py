"""Project trust: configuration that comes with a project is used only once the user trusts it.

A folder someone else wrote (a cloned repository, a downloaded project) can hold a
``.jupyter/mcp.json``, whose servers are commands the host would start and URLs it would
call, and ``AGENTS.md`` rules the model would follow. Such a *project file* is used only
after the user has trusted that file's exact content: its SHA-256, recorded with its real
path. A file that changes asks again. What the user wrote themselves is trusted as
configuration: ``c.CodeAct.mcp_servers``, ``c.CodeAct.mcp_config_file``, their own
``~/.jupyter/mcp.json`` and ``c.CodeAct.instructions``.

Decisions are kept in ``<jupyter data dir>/codeact/trust.json``, shared by every host (the
panel's *Trust*, ``--trust-project`` on the command line and in the magic);
``c.CodeAct.trusted_project_files`` pins more in the user's configuration.

A file is read once: what is hashed, shown to the user and used is the same text.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shlex
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from .tools.servers import referenced_variables

log = logging.getLogger(__name__)

Kind = Literal["mcp", "rules"]
MAX_FILE_BYTES = 1_000_000
EXCERPT_CHARS = 4000
STORE_VERSION = 1


@dataclass(frozen=True)
class ProjectFile:
    """One project file as read: its real path, what it is, its text and that text's hash."""

    path: Path
    kind: Kind
    text: str
    sha256: str

    @property
    def key(self) -> str:
        return str(self.path)


def fingerprint(files: Iterable[ProjectFile]) -> str:
    """What these files are now, in one string: a host says once per content that it left
    them out."""
    return "untrusted " + " ".join(f"{file.key}:{file.sha256}" for file in files)


def read_project_file(path: Path, kind: Kind) -> ProjectFile | None:
    """The file at ``path`` (links resolved), or None when it is missing or unreadable."""
    try:
        real = path.resolve()
        with real.open("rb") as handle:
            data = handle.read(MAX_FILE_BYTES + 1)
    except OSError:
        return None
    digest = hashlib.sha256(data).hexdigest()
    text = data[:MAX_FILE_BYTES].decode("utf-8", errors="replace")
    return ProjectFile(path=real, kind=kind, text=text, sha256=digest)


def default_store_path() -> Path:
    from jupyter_core.paths import jupyter_data_dir

    return Path(jupyter_data_dir()) / "codeact" / "trust.json"


class TrustStore:
    """The user's trust decisions: the file (``path``) and the pinned ones of the config."""

    def __init__(self, path: Path | None = None, pinned: Mapping[str, str] | None = None):
        self.path = path if path is not None else default_store_path()
        self.pinned = {_real(name): str(digest).lower() for name, digest in (pinned or {}).items()}

    def trusted(self, file: ProjectFile) -> bool:
        """Whether the user trusts this exact content of this file."""
        if self.pinned.get(file.key) == file.sha256:
            return True
        recorded = self._read().get(file.key)
        return isinstance(recorded, dict) and recorded.get("sha256") == file.sha256

    def split(self, files: Iterable[ProjectFile]) -> tuple[list[ProjectFile], list[ProjectFile]]:
        """The trusted files and the others."""
        trusted: list[ProjectFile] = []
        untrusted: list[ProjectFile] = []
        for file in files:
            (trusted if self.trusted(file) else untrusted).append(file)
        return trusted, untrusted

    def trust(self, files: Iterable[ProjectFile]) -> None:
        """Record that the user trusts these files as they are now (written atomically)."""
        chosen = list(files)
        if not chosen:
            return
        decisions = self._read()
        for file in chosen:
            decisions[file.key] = {"sha256": file.sha256, "kind": file.kind, "time": time.time()}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"version": STORE_VERSION, "files": decisions}, indent=1)
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=".trust-")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise

    def _read(self) -> dict[str, Any]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as error:
            log.warning(
                "CodeAct: cannot read %s (%s); no project file is trusted.", self.path, error
            )
            return {}
        files = data.get("files") if isinstance(data, dict) else None
        return dict(files) if isinstance(files, dict) else {}


def _real(name: str) -> str:
    return os.path.realpath(os.path.expanduser(name))


# -- what a file would do, for the user to decide ------------------------------------------------


def describe(file: ProjectFile, allowed: Iterable[str] = ()) -> dict[str, Any]:
    """What the user is asked to trust, as plain data: for an ``mcp.json`` each server's
    command or URL (as written: nothing expanded), the names of the variables and headers
    it sets, and which of your variables it names (``given``: allowed by
    ``c.CodeAct.project_variables``); for rules, their text (bounded)."""
    shown: dict[str, Any] = {"path": file.key, "kind": file.kind, "sha256": file.sha256}
    if file.kind == "rules":
        shown["excerpt"] = file.text[:EXCERPT_CHARS]
        shown["truncated"] = len(file.text) > EXCERPT_CHARS
        return shown
    allowed_names = set(allowed)
    try:
        data = json.loads(file.text)
    except ValueError as error:
        shown["servers"] = []
        shown["problem"] = f"not valid JSON ({error})"
        return shown
    entries = data.get("mcpServers", data.get("servers")) if isinstance(data, dict) else None
    servers = []
    for name, entry in (entries or {}).items() if isinstance(entries, dict) else ():
        servers.append(_describe_server(str(name), entry, allowed_names))
    shown["servers"] = servers
    return shown


def _describe_server(name: str, entry: Any, allowed: set[str]) -> dict[str, Any]:
    server: dict[str, Any] = {"name": name}
    if not isinstance(entry, dict):
        server["problem"] = "not an object"
        return server
    if entry.get("disabled") is True:
        server["disabled"] = True
    command, url = entry.get("command"), entry.get("url")
    if command:
        args = entry.get("args")
        args = args if isinstance(args, list) else []
        server["command"] = shlex.join([str(command), *(str(arg) for arg in args)])
        if entry.get("cwd"):
            server["cwd"] = str(entry["cwd"])
    if url:
        server["url"] = str(url)
    for field in ("env", "headers"):
        value = entry.get(field)
        if isinstance(value, dict) and value:
            server[field] = sorted(str(key) for key in value)
    names = sorted(referenced_variables(entry))
    if names:
        server["variables"] = [{"name": n, "given": n in allowed} for n in names]
    return server


def summary(file: ProjectFile) -> str:
    """One line of what the file would do: "its MCP servers: build (runs `sh -c ...`)"."""
    if file.kind == "rules":
        return "rules for the agent"
    servers = describe(file)["servers"]
    if not servers:
        return "MCP servers (none could be read)"
    parts = []
    for server in servers:
        if "command" in server:
            parts.append(f"{server['name']} (runs `{_clip(server['command'])}`)")
        elif "url" in server:
            parts.append(f"{server['name']} (connects to {_clip(server['url'])})")
        else:
            parts.append(server["name"])
    return "MCP servers " + ", ".join(parts)


def _clip(text: str, limit: int = 160) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def untrusted_message(files: list[ProjectFile], *, how: str) -> str:
    """For hosts without a prompt (the command line, the magic): which files are not used,
    what they would do, and how to trust them (``how``: the option of this host)."""
    lines = [
        "CodeAct: these files come with the project and you have not trusted them, so they "
        "are not used:"
    ]
    lines.extend(f"  {file.key}: {summary(file)}" for file in files)
    pins = ", ".join(f'"{file.key}": "{file.sha256}"' for file in files)
    lines.append(
        f"If you trust them as they are, {how} (remembered until a file changes), or add "
        f"{{{pins}}} to c.CodeAct.trusted_project_files."
    )
    return "\n".join(lines)
