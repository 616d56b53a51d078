"""What the model is told about one callable, and the compact listing of many in a prompt.

A :class:`ToolSpec` describes a Python function (the eval suites' ``tools.py``, the user's
``c.CodeAct.tools``) or an MCP tool (its signature generated from the input schema) the
same way, so every listing reads alike.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

MAX_SUMMARY_CHARS = 160
"""Bound on the first line of a description in a compact listing."""


@dataclass(frozen=True)
class ToolSpec:
    """What the model is told about one tool."""

    name: str
    signature: str
    """Parameters and return type, as in ``def``: ``(ticker: str, date: str) -> float``."""
    doc: str
    parameters: tuple[str, ...]

    @property
    def summary(self) -> str:
        """The first line of the description, bounded."""
        return clip(first_line(self.doc), MAX_SUMMARY_CHARS)


def spec_of(function: Callable[..., Any], *, name: str | None = None) -> ToolSpec:
    """The spec of a Python function, from its signature and docstring."""
    signature = inspect.signature(function)
    params = []
    starred = False
    for param in signature.parameters.values():
        if param.kind is param.KEYWORD_ONLY and not starred:
            params.append("*")  # what follows is keyword-only
        starred = starred or param.kind in (param.KEYWORD_ONLY, param.VAR_POSITIONAL)
        text = param.name
        if param.kind is param.VAR_POSITIONAL:
            text = "*" + text
        elif param.kind is param.VAR_KEYWORD:
            text = "**" + text
        if param.annotation is not param.empty:
            text += f": {annotation_text(param.annotation)}"
        if param.default is not param.empty:
            sep = " = " if param.annotation is not param.empty else "="
            text += f"{sep}{param.default!r}"
        params.append(text)
    returns = ""
    if signature.return_annotation is not signature.empty:
        returns = f" -> {annotation_text(signature.return_annotation)}"
    return ToolSpec(
        name=name or function.__name__,
        signature=f"({', '.join(params)}){returns}",
        doc=inspect.getdoc(function) or "",
        parameters=tuple(signature.parameters),
    )


def annotation_text(annotation: Any) -> str:
    # Tools written with ``from __future__ import annotations`` carry strings.
    if isinstance(annotation, str):
        return annotation
    return inspect.formatannotation(annotation)


def first_line(text: str) -> str:
    """The first paragraph's first line of ``text`` ("" if there is none)."""
    for line in text.strip().splitlines():
        if line.strip():
            return line.strip()
    return ""


def clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class ToolGroup:
    """Tools listed together: one MCP server's (``prefix`` is its name in the kernel), or the
    user's own functions (no prefix)."""

    title: str
    tools: tuple[ToolSpec, ...]
    prefix: str = ""
    more_hint: str = ""
    """How the model finds the tools left out of a listing that ran out of room."""


def compact_listing(groups: Sequence[ToolGroup], *, max_chars: int) -> str:
    """One line per tool (``- name(signature): first line of its description``), grouped,
    at most about ``max_chars`` characters; tools that do not fit are counted instead."""
    lines: list[str] = []
    used = 0
    for group in groups:
        header = f"{group.title}:"
        lines.append(header)
        used += len(header) + 1
        left = list(group.tools)
        while left:
            tool = left[0]
            name = f"{group.prefix}.{tool.name}" if group.prefix else tool.name
            line = f"- {name}{tool.signature}"
            if tool.summary:
                line += f": {tool.summary}"
            if used + len(line) + 1 > max_chars:
                break
            lines.append(line)
            used += len(line) + 1
            left.pop(0)
        if left:
            hint = f" ({group.more_hint})" if group.more_hint else ""
            lines.append(f"- … {len(left)} more not listed here{hint}")
            used += len(lines[-1]) + 1
    return "\n".join(lines)
