"""Model text made safe to show as markdown where no sanitizer runs.

In the user's kernel, outputs are trusted: JupyterLab renders their markdown without its
sanitizer, so whatever HTML a renderer finds in it runs. Model text (and anything the
model read: a web page, a file) is therefore never passed through as markdown. It is
parsed with a CommonMark parser (markdown-it-py, HTML off, plus tables and
strikethrough), and written again from the parse: structure (paragraphs, headings,
lists, quotes, tables, emphasis, code) as plain markdown syntax of ours, every piece of
text escaped so that it is only text (every ASCII punctuation character escaped, ``<``,
``>`` and ``&`` as entities). What the model wrote as HTML shows as text; code blocks are
fenced by backtick runs longer than any inside them, inline code is a ``<code>`` element
of escaped text; images become links (nothing is fetched unasked); links go only to
http(s), mailto or relative addresses. So the only raw ``<`` of the result is in markup
of ours, and no renderer's reading of the rest can make a tag of it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from urllib.parse import quote

from markdown_it import MarkdownIt
from markdown_it.tree import SyntaxTreeNode

_PARSER = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"])
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")
_PUNCTUATION = re.compile(r"[!-/:-@\[-`{-~]")
_ENTITIES = {"<": "&lt;", ">": "&gt;", "&": "&amp;"}
_BACKTICKS = re.compile(r"`+")
_INFO = re.compile(r"[^A-Za-z0-9_+.#-]")


def as_text(text: str) -> str:
    """``text`` as markdown that shows exactly it: no character is syntax."""

    def escape(match: re.Match[str]) -> str:
        char = match.group(0)
        return _ENTITIES.get(char, "\\" + char)

    return _PUNCTUATION.sub(escape, text)


def safe_markdown(markdown: str) -> str:
    """``markdown`` written again from its CommonMark parse, with all its text as text."""
    return _Writer().blocks(SyntaxTreeNode(_PARSER.parse(markdown)).children, tight=False)


def labelled(label: str, markdown: str) -> str:
    """``**label** text`` (``label`` is ours, ``markdown`` the model's, made safe): the label
    on the first paragraph's line, or on its own when the text starts with another block
    (a list, a heading)."""
    nodes = SyntaxTreeNode(_PARSER.parse(markdown)).children
    body = _Writer().blocks(nodes, tight=False)
    joint = " " if nodes and nodes[0].type == "paragraph" else "\n\n"
    return f"**{label}**{joint}{body}".rstrip()


def fenced(text: str, info: str = "") -> str:
    """``text`` as a code block whose fence no line of it can close (longer than any run
    of backticks in it); ``info`` keeps only what a language name holds."""
    runs = [len(run) for run in _BACKTICKS.findall(text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    language = _INFO.sub("", info.split()[0]) if info.strip() else ""
    body = text.rstrip("\n")
    return f"{fence}{language}\n{body}\n{fence}" if body else f"{fence}{language}\n{fence}"


def folded(summary: str, markdown: str) -> str:
    """Model text under a collapsed summary (the reasoning), made safe like the rest."""
    return (
        f"<details>\n<summary>{html.escape(summary)}</summary>\n\n"
        f"{safe_markdown(markdown)}\n\n</details>"
    )


def _code_span(code: str) -> str:
    """Inline code as a ``<code>`` element of escaped text. A backtick code span would show
    the same, but renderers disagree on where one ends (marked, JupyterLab's, lets an
    emphasis or a link label cut a span of several backticks short), and then what was
    inside it is parsed: HTML included."""
    return f"<code>{as_text(code)}</code>"


def _safe_href(href: str) -> str | None:
    """The address as a link may carry it, or None when it may not be a link."""
    scheme = _SCHEME.match(href)
    if scheme is not None and scheme.group(1).lower() not in _SAFE_SCHEMES:
        return None
    return quote(href, safe=":/?#@!$&'*+,;=%-._~[]").replace("(", "%28").replace(")", "%29")


def _indent(text: str, first: str, rest: str) -> str:
    lines = text.split("\n")
    return "\n".join(
        [first + lines[0], *((rest + line) if line else rest.rstrip() for line in lines[1:])]
    )


class _Writer:
    """Markdown from a markdown-it syntax tree: our syntax, the parsed text escaped."""

    def __init__(self) -> None:
        self._in_table = False

    # -- blocks -------------------------------------------------------------------------
    def blocks(self, nodes: list[SyntaxTreeNode], *, tight: bool) -> str:
        parts = [self.block(node) for node in nodes]
        return ("\n" if tight else "\n\n").join(part for part in parts if part)

    def block(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        writer: Callable[[SyntaxTreeNode], str] | None = getattr(self, f"_{kind}", None)
        if writer is not None:
            return writer(node)
        if node.children:  # a block of a kind not written here: its text, as text
            return self.blocks(node.children, tight=False)
        return as_text(node.content)

    def _paragraph(self, node: SyntaxTreeNode) -> str:
        return self.inline(node.children)

    def _heading(self, node: SyntaxTreeNode) -> str:
        level = int(node.tag[1])
        return "#" * level + " " + self.inline(node.children).replace("\n", " ")

    def _blockquote(self, node: SyntaxTreeNode) -> str:
        return _indent(self.blocks(node.children, tight=False), "> ", "> ")

    def _bullet_list(self, node: SyntaxTreeNode) -> str:
        return self._list(node, lambda _: "- ")

    def _ordered_list(self, node: SyntaxTreeNode) -> str:
        start = int(node.attrs.get("start", 1) or 1)
        return self._list(node, lambda index: f"{start + index}. ")

    def _list(self, node: SyntaxTreeNode, marker: Callable[[int], str]) -> str:
        tight = any(
            child.hidden for item in node.children for child in item.children if child.children
        )
        items = []
        for index, item in enumerate(node.children):
            first = marker(index)
            body = self.blocks(item.children, tight=tight) or ""
            items.append(_indent(body, first, " " * len(first)))
        return ("\n" if tight else "\n\n").join(items)

    def _fence(self, node: SyntaxTreeNode) -> str:
        return fenced(node.content, node.info)

    def _code_block(self, node: SyntaxTreeNode) -> str:
        return fenced(node.content)

    def _hr(self, node: SyntaxTreeNode) -> str:
        return "***"

    def _html_block(self, node: SyntaxTreeNode) -> str:  # never parsed with HTML off
        return as_text(node.content.rstrip("\n"))

    def _table(self, node: SyntaxTreeNode) -> str:
        rows = [row for section in node.children for row in section.children]
        if not rows:
            return ""
        self._in_table = True
        try:
            cells = [[self.inline(cell.children) for cell in row.children] for row in rows]
        finally:
            self._in_table = False
        aligns = []
        for cell in rows[0].children:
            style = str(cell.attrs.get("style", ""))
            left, right = (
                "left" in style or "center" in style,
                "right" in style or "center" in style,
            )
            aligns.append((":" if left else "") + "---" + (":" if right else ""))
        lines = [cells[0], aligns, *cells[1:]]
        return "\n".join("| " + " | ".join(line) + " |" for line in lines)

    # -- inline -------------------------------------------------------------------------
    def inline(self, nodes: list[SyntaxTreeNode]) -> str:
        out = []
        for node in nodes:
            if node.type == "inline":
                out.append(self.inline(node.children))
            else:
                out.append(self.span(node))
        return "".join(out)

    def span(self, node: SyntaxTreeNode) -> str:
        kind = node.type
        if kind == "text":
            return as_text(node.content)
        if kind == "softbreak":
            return " " if self._in_table else "\n"
        if kind == "hardbreak":
            return " " if self._in_table else "\\\n"
        if kind == "code_inline":
            return _code_span(node.content)
        if kind in ("em", "strong", "s"):
            mark = {"em": "*", "strong": "**", "s": "~~"}[kind]
            inner = self.inline(node.children)
            return f"{mark}{inner}{mark}" if inner.strip() else inner
        if kind in ("link", "image"):
            return self._link(node)
        if node.children:
            return self.inline(node.children)
        return as_text(node.content)  # html_inline (never with HTML off), and the unknown

    def _link(self, node: SyntaxTreeNode) -> str:
        href = str(node.attrs.get("href" if node.type == "link" else "src", ""))
        label = self.inline(node.children)
        target = _safe_href(href)
        if target is None:
            return label  # the text, not a link
        # An image is a link to it: nothing is fetched before the user clicks.
        return f"[{label or as_text(href)}]({target})"
