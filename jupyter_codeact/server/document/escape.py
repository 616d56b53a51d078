"""Model text made safe to render as markdown, as ``escapeHtmlInMarkdown`` in
``src/panel/text.ts`` does: raw HTML shows as text and images become links, while code
blocks and code spans (which markdown shows literally) are left alone. The rendermime
sanitizer still runs on the result in the page."""

from __future__ import annotations

import re

_FENCE_LINE = re.compile(r"^[ \t]*(`{3,}|~{3,})")
_CODE_SPAN = re.compile(r"(?<!`)(`+)(?!`)[\s\S]*?[^`]\1(?!`)")


def _escape_text(text: str) -> str:
    # `![alt](url)` would be fetched as soon as it is shown: a link instead.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace("![", "&#33;[")


def _escape_inline(text: str) -> str:
    out: list[str] = []
    last = 0
    for match in _CODE_SPAN.finditer(text):
        out.append(_escape_text(text[last : match.start()]) + match.group(0))
        last = match.end()
    out.append(_escape_text(text[last:]))
    return "".join(out)


def escape_html_in_markdown(markdown: str) -> str:
    """``markdown`` with its HTML shown as text and its images as links."""
    fence: str | None = None
    paragraph: list[str] = []
    out: list[str] = []

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
