"""What a host takes from the project it runs in: the user's own tool configuration, and the
project's files (``.jupyter/mcp.json``, ``AGENTS.md``) that the user trusts.

Every host goes through here, so that no host can load a project file the user has not
trusted: the panel (the server's root, rules from the notebook's folder up), the command
line and the magic (the working directory, rules up to its git repository's root).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from . import rules as project_rules
from .tools import ToolSettings
from .tools.servers import ProjectServers, project_file
from .tools.toolset import user_config_dir
from .trust import ProjectFile, TrustStore, read_project_file

if TYPE_CHECKING:
    from .config import CodeAct


@dataclass(frozen=True)
class Project:
    """A project's files as read now, and what the host may use of them."""

    tools: ToolSettings
    rules: list[project_rules.Rule]
    files: list[ProjectFile] = field(default_factory=list)
    """Every project file found (trusted or not)."""
    untrusted: list[ProjectFile] = field(default_factory=list)
    """Those left out: the user has not trusted them (as they are now)."""


def trust_store(settings: CodeAct) -> TrustStore:
    return TrustStore(pinned=dict(settings.trusted_project_files))


def find_files(
    settings: CodeAct,
    *,
    project_dir: Path | None,
    rules_from: Path | None,
    rules_to: Path | None,
    config_dir: Path | None = None,
) -> list[ProjectFile]:
    """The project's files, each read once: its ``.jupyter/mcp.json`` (in ``project_dir``)
    and the ``AGENTS.md`` files from ``rules_from`` up to ``rules_to`` (see
    :func:`.rules.find`). Reads files: off the server's event loop."""
    chosen = str(settings.mcp_config_file or "")
    mcp = project_file(chosen, project_dir, config_dir or user_config_dir())
    found = [read_project_file(mcp, "mcp")] if mcp is not None else []
    if rules_from is not None:
        found += [read_project_file(p, "rules") for p in project_rules.find(rules_from, rules_to)]
    return [file for file in found if file is not None]


def use(
    settings: CodeAct,
    files: list[ProjectFile],
    store: TrustStore,
    *,
    project_dir: Path | None,
    relative_to: Path | None,
    config_dir: Path | None = None,
) -> Project:
    """The tools and rules a run gets: the user's configuration, and of ``files`` those
    the user trusts as they are."""
    trusted, untrusted = store.split(files)
    mcp = next((file for file in trusted if file.kind == "mcp"), None)
    servers = (
        ProjectServers(mcp.text, mcp.key, frozenset(settings.project_variables))
        if mcp is not None
        else None
    )
    tools = ToolSettings.from_config(
        settings, project_dir=project_dir, config_dir=config_dir, project=servers
    )
    rules = project_rules.from_texts(
        [(file.path, file.text) for file in trusted if file.kind == "rules"],
        relative_to=relative_to,
        instructions=settings.instructions,
    )
    return Project(tools=tools, rules=rules, files=files, untrusted=untrusted)


def headless(settings: CodeAct, cwd: Path | None = None, *, trust_now: bool = False) -> Project:
    """The project of a run in ``cwd`` (the command line, the magic): its ``mcp.json`` and
    the ``AGENTS.md`` files up to its git repository's root. ``trust_now``: the user said
    to trust them as they are (``--trust-project``), which is recorded."""
    folder = cwd or Path.cwd()
    files = find_files(settings, project_dir=folder, rules_from=folder, rules_to=None)
    store = trust_store(settings)
    if trust_now:
        untrusted = store.split(files)[1]
        try:
            store.trust(untrusted)
        except OSError as error:  # trusted for this run all the same, as the user said
            print(f"CodeAct: could not remember the trust ({error}).", file=sys.stderr)
            pins = {**store.pinned, **{file.key: file.sha256 for file in untrusted}}
            store = TrustStore(store.path, pinned=pins)
    return use(settings, files, store, project_dir=folder, relative_to=folder)
