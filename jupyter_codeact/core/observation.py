"""Turn an execution's nbformat outputs into the observation the model reads."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from typing import Any

from .executor import ExecutionResult, Output

_ANSI = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[@-Z\\-_]")
_TAGS = re.compile(r"<[^>]+>")
_DEFAULT_REPR = re.compile(r"^<[\w.]+ object(?: at 0x[0-9a-fA-F]+)?>$")
_IMAGE_TYPES = ("image/png", "image/jpeg", "image/gif", "image/webp")

STATUS_NOTES = {
    "timeout": "The cell did not finish within {timeout} and was interrupted.",
    "interrupted": "The cell was interrupted before it finished.",
    "died": "The kernel died while running the cell (out of memory, or a crash in native code).",
    "skipped": "The user chose not to run this code; nothing was executed.",
    "refused": "Nothing was run.",
}


def status_note(status: str, timeout: float | None = None) -> str:
    """What an execution status means, in a sentence ("" for ``ok`` and ``error``)."""
    if status not in STATUS_NOTES:
        return ""
    limit = f"{timeout:g} seconds" if timeout else "the time limit"
    return STATUS_NOTES[status].format(timeout=limit)


def strip_ansi(text: str) -> str:
    """Remove terminal colour and cursor codes (IPython tracebacks are full of them)."""
    return _ANSI.sub("", text)


def collapse_carriage_returns(text: str) -> str:
    """Keep what a terminal would show of lines rewritten with ``\\r`` (progress bars)."""
    if "\r" not in text:
        return text
    lines = []
    for line in text.replace("\r\n", "\n").split("\n"):
        lines.append(line.rsplit("\r", 1)[-1] if "\r" in line else line)
    return "\n".join(lines)


def truncate_middle(text: str, limit: int) -> str:
    """Bound ``text`` to about ``limit`` characters, keeping its head and tail.

    The tail gets the larger share: errors and final results come last.
    """
    if limit <= 0 or len(text) <= limit:
        return text
    head = limit * 2 // 5
    tail = limit - head
    cut = len(text) - head - tail
    return f"{text[:head]}\n... [{cut:,} characters cut] ...\n{text[-tail:]}"


def _joined(value: Any) -> str:
    # nbformat allows multiline strings as lists of lines.
    if isinstance(value, list):
        return "".join(str(part) for part in value)
    return str(value)


def _rich_text(data: dict[str, Any]) -> str | None:
    """The best text form of a MIME bundle, or None if it only holds images."""
    plain = _joined(data["text/plain"]) if "text/plain" in data else None
    # `<IPython.core.display.HTML object>` says nothing: prefer the richer form's text.
    if plain is not None and not _DEFAULT_REPR.match(plain.strip()):
        return plain
    for mime in ("text/markdown", "text/latex"):
        if mime in data:
            return _joined(data[mime])
    if "text/html" in data:
        return html.unescape(_TAGS.sub("", _joined(data["text/html"]))).strip()
    if "application/json" in data:
        return str(data["application/json"])
    return plain


@dataclass
class FormattedObservation:
    """The text the model reads, and images for models that can see them."""

    text: str
    images: list[tuple[str, str]] = field(default_factory=list)  # (mime type, base64 data)

    def message(self) -> dict[str, Any]:
        """As a user message (images as parts after the text, for models that see them)."""
        if not self.images:
            return {"role": "user", "content": self.text}
        parts: list[dict[str, Any]] = [{"type": "text", "text": self.text}]
        for mime, data in self.images:
            parts.append({"type": "image_url", "image_url": {"url": f"data:{mime};base64,{data}"}})
        return {"role": "user", "content": parts}


def output_text(output: Output) -> str:
    """One output as plain text (no ANSI codes)."""
    kind = output.get("output_type")
    if kind == "stream":
        stream = collapse_carriage_returns(_joined(output.get("text", "")))
        return f"[stderr]\n{stream}" if output.get("name") == "stderr" else stream
    if kind in ("execute_result", "display_data"):
        data = output.get("data", {})
        text = _rich_text(data)
        if text is None:
            kinds = ", ".join(sorted(k for k in data if k.startswith("image/"))) or "output"
            return f"[{kinds} displayed]"
        if kind == "execute_result" and output.get("execution_count") is not None:
            return f"Out[{output['execution_count']}]: {text}"
        return text
    if kind == "error":
        traceback = "\n".join(strip_ansi(_joined(line)) for line in output.get("traceback", []))
        ename = output.get("ename", "Error")
        last = traceback.rstrip().rsplit("\n", 1)[-1]
        if last.startswith(ename):
            return traceback
        # Some kernels send no traceback, or one without the summary line.
        return f"{traceback}\n{ename}: {output.get('evalue', '')}".strip()
    return ""


def format_observation(
    result: ExecutionResult,
    *,
    max_chars: int,
    timeout: float | None = None,
    include_images: bool = False,
) -> FormattedObservation:
    """Build the observation for ``result``, bounded to about ``max_chars`` characters."""
    parts = [strip_ansi(output_text(output)).rstrip("\n") for output in result.outputs]
    body = "\n".join(part for part in parts if part)
    notes = [note] if (note := status_note(result.status, timeout)) else []
    if result.note:
        notes.append(result.note)
    if result.status not in ("skipped", "refused") and not body:
        body = "(the cell ran and printed nothing)" if result.status == "ok" else "(no output)"
    text = truncate_middle(body, max_chars) if body else ""
    header = "Observation:"
    full = "\n".join(part for part in (header, text, *notes) if part)
    images: list[tuple[str, str]] = []
    if include_images:
        for output in result.outputs:
            for mime in _IMAGE_TYPES:
                data = output.get("data", {}).get(mime)
                if data:
                    images.append((mime, _joined(data).replace("\n", "")))
    return FormattedObservation(text=full, images=images)
