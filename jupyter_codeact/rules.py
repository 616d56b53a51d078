"""Project rules for the agent: ``AGENTS.md`` files and ``c.CodeAct.instructions``.

The files apply from a folder up to a boundary: for the panel, from the notebook's folder up
to the Jupyter server's root (never above it); for the command line and the magic, from the
working directory up to the root of the git repository it is in (else the file system's
root). They are read root-most first, so that the nearest folder's rules come last and win
where they disagree; ``c.CodeAct.instructions`` (the user's own) come before them all. The
whole is bounded: a file too long keeps its beginning, with a note of what was cut.

``AGENTS.md`` files come with the project, so they are used only once the user trusts them
(:mod:`jupyter_codeact.trust`); the instructions are the user's own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

RULES_FILE = "AGENTS.md"
DEFAULT_MAX_CHARS = 12_000
INSTRUCTIONS_SOURCE = "c.CodeAct.instructions"
_MAX_FILES = 12
_MAX_FILE_BYTES = 1_000_000

HEADER = (
    "Rules for this project, from its AGENTS.md files (and the user's settings): follow them. "
    "Where they disagree, the later ones (nearer the notebook) win."
)


@dataclass(frozen=True)
class Rule:
    source: str
    """Where it comes from, as the user knows it (a path relative to the boundary)."""
    text: str


def find(start: Path, stop: Path | None) -> list[Path]:
    """The ``AGENTS.md`` files from ``start`` up to ``stop`` (inclusive), root-most first.

    With ``stop`` None, up to the enclosing git repository's root, else to the file
    system's root. A ``start`` outside ``stop`` finds nothing.
    """
    try:
        start = start.resolve()
        stop = stop.resolve() if stop is not None else None
    except OSError:
        return []
    if stop is not None and stop != start and stop not in start.parents:
        return []
    found: list[Path] = []
    folder = start
    while True:
        candidate = folder / RULES_FILE
        if candidate.is_file():
            found.append(candidate)
        if folder == stop or folder.parent == folder:
            break
        if stop is None and (folder / ".git").exists():
            break
        folder = folder.parent
    return list(reversed(found))[-_MAX_FILES:]


def read(
    files: list[Path], *, relative_to: Path | None = None, instructions: str = ""
) -> list[Rule]:
    """The rules: the instructions, then each file's text (unreadable files are skipped)."""
    texts: list[tuple[Path, str]] = []
    for path in files:
        try:
            with path.open("rb") as handle:
                texts.append((path, handle.read(_MAX_FILE_BYTES).decode("utf-8", "replace")))
        except OSError:
            continue
    return from_texts(texts, relative_to=relative_to, instructions=instructions)


def from_texts(
    files: list[tuple[Path, str]], *, relative_to: Path | None = None, instructions: str = ""
) -> list[Rule]:
    """The rules from files already read (a project's, once trusted: the text the user
    trusted is the text used)."""
    rules: list[Rule] = []
    if instructions.strip():
        rules.append(Rule(INSTRUCTIONS_SOURCE, instructions.strip()))
    for path, text in files:
        if text.strip():
            rules.append(Rule(_label(path, relative_to), text.strip()))
    return rules


def _label(path: Path, relative_to: Path | None) -> str:
    if relative_to is None:
        return str(path)
    return Path(os.path.relpath(path.resolve(), relative_to.resolve())).as_posix()


def prompt_section(rules: list[Rule], *, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The rules for the system prompt, at most about ``max_chars`` characters; "" if none.

    Each rule gets an equal share of what is left when it is its turn, so that a long file
    near the root cannot crowd out the notebook's own folder's.
    """
    if not rules:
        return ""
    parts = [HEADER]
    left = max(max_chars - len(HEADER), 0)
    for index, rule in enumerate(rules):
        share = left // (len(rules) - index)
        heading = f"## {rule.source}\n"
        room = max(share - len(heading), 0)
        text = rule.text
        if len(text) > room:
            cut = len(text) - room
            text = text[:room].rstrip() + f"\n[... {cut:,} more characters of {rule.source} cut]"
        block = heading + text
        parts.append(block)
        left -= len(block)
    return "\n\n".join(parts)


def sources(rules: list[Rule]) -> list[str]:
    return [rule.source for rule in rules]
