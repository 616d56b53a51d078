"""What a renderer makes of the magic's markdown: JupyterLab renders it trusted (no
sanitizer), so the check renders it as one that passes HTML through would, and lists the
elements and the text a user would get."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from markdown_it import MarkdownIt

CORPUS: list[dict[str, str]] = json.loads(
    (Path(__file__).parent / "markdown_corpus.json").read_text(encoding="utf-8")
)
"""Model text that tries every way into markup (shared with ui-tests/tests/magic.spec.ts)."""

RENDERER = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])
MARKDOWN_TAGS = {
    "p", "em", "strong", "s", "code", "pre", "a", "ul", "ol", "li", "blockquote", "hr", "br",
    "h1", "h2", "h3", "h4", "h5", "h6", "table", "thead", "tbody", "tr", "th", "td",
}  # fmt: skip
OURS = {"details", "summary", "img"}
"""Elements the run's markdown holds that are ours (a step, folded; a plot)."""
SAFE_LINK = re.compile(r"^(https?:|mailto:|[^:]*$)", re.IGNORECASE)


@dataclass
class Rendered(HTMLParser):
    elements: list[tuple[str, dict[str, str | None]]] = field(default_factory=list)
    chunks: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__(convert_charrefs=True)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.chunks.append(data)

    @property
    def text(self) -> str:
        return "".join(self.chunks)


def render(markdown: str, *, ours: bool = False) -> Rendered:
    """The elements and text of ``markdown``; fails on any element it may not hold (one of
    ours only with ``ours``), any event handler, a link that is not http(s), mailto or
    relative, and an image that is not a data URL of ours."""
    rendered = Rendered()
    rendered.feed(RENDERER.render(markdown))
    allowed = MARKDOWN_TAGS | (OURS if ours else set())
    for tag, attrs in rendered.elements:
        assert tag in allowed, f"<{tag}> in {markdown!r}"
        assert not any(name.startswith("on") for name in attrs), f"{attrs} in {markdown!r}"
        if tag == "a":
            assert SAFE_LINK.match(attrs.get("href") or ""), f"{attrs} in {markdown!r}"
        if tag == "img":
            assert (attrs.get("src") or "").startswith("data:image/"), markdown
    return rendered


def html_tokens(markdown: str) -> list[str]:
    """The raw HTML a CommonMark parser finds in ``markdown``."""
    found = []
    for token in RENDERER.parse(markdown):
        for item in [token, *(token.children or [])]:
            if item.type.startswith("html"):
                found.append(item.content)
    return found


def corpus_ids() -> list[str]:
    return [case["name"] for case in CORPUS]


def case_args() -> list[Any]:
    return [(case["text"], case["shows"]) for case in CORPUS]
