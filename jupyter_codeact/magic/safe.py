"""Model text made safe to show as markdown where no sanitizer runs.

In the user's kernel, outputs are trusted: JupyterLab renders their markdown without its
sanitizer. So model text is made safe first, by the panel's rules (``escapeHtmlInMarkdown``
in ``src/panel/text.ts``) and one more for links: raw HTML shows as text, images become
links (nothing is fetched unasked), and links go only to http(s), mailto or relative
addresses. Code spans and code blocks are left alone: markdown shows them literally.
"""

from __future__ import annotations

import html
import re

_FENCE_LINE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)[\s\S]*?[^`]\1(?!`)")
_LINK_TARGET = re.compile(r"\]\(\s*<?\s*([a-zA-Z][a-zA-Z0-9+.-]*):")
_REFERENCE = re.compile(r"^( {0,3})\[([^\]]+)\]:\s*<?\s*([a-zA-Z][a-zA-Z0-9+.-]*):", re.MULTILINE)
_SAFE_SCHEMES = frozenset({"http", "https", "mailto"})


def _escape_text(text: str) -> str:
    # Links first, on the text as written (escaping would hide a `<javascript:` target).
    def link(match: re.Match[str]) -> str:
        if match.group(1).lower() in _SAFE_SCHEMES:
            return match.group(0)
        return "]\\(" + match.group(0)[2:]  # shown as text, not a link

    text = _LINK_TARGET.sub(link, text)

    def reference(match: re.Match[str]) -> str:
        if match.group(3).lower() in _SAFE_SCHEMES:
            return match.group(0)
        return f"{match.group(1)}\\[{match.group(0)[len(match.group(1)) + 1 :]}"

    text = _REFERENCE.sub(reference, text)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("![", "&#33;[")


def _escape_inline(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_escape_text(text[last : match.start()]))
        out.append(match.group(0))
        last = match.end()
    out.append(_escape_text(text[last:]))
    return "".join(out)


def safe_markdown(markdown: str) -> str:
    """``markdown`` with raw HTML as text, images as links and only safe links."""
    out: list[str] = []
    paragraph: list[str] = []
    fence: str | None = None

    def flush() -> None:
        if paragraph:
            out.append(_escape_inline("\n".join(paragraph)))
            paragraph.clear()

    for line in markdown.split("\n"):
        match = _FENCE_LINE.match(line)
        if fence is not None:
            out.append(line)
            if match and match.group(1)[0] == fence[0] and len(match.group(1)) >= len(fence):
                fence = None
        elif match:
            flush()
            fence = match.group(1)
            out.append(line)
        else:
            paragraph.append(line)
    flush()
    return "\n".join(out)


def fenced(text: str, info: str = "") -> str:
    """``text`` as a code block whose fence no line of it can close."""
    runs = [len(run) for run in re.findall(r"`{3,}", text)]
    fence = "`" * max(3, max(runs, default=0) + 1)
    return f"{fence}{info}\n{text.rstrip(chr(10))}\n{fence}"


def folded(summary: str, markdown: str) -> str:
    """Model text under a collapsed summary (the reasoning), made safe like the rest."""
    return (
        f"<details>\n<summary>{html.escape(summary)}</summary>\n\n"
        f"{safe_markdown(markdown)}\n\n</details>"
    )
