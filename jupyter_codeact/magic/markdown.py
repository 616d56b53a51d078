"""A ``%%codeact`` run written as static markdown: what the notebook keeps of it.

The request, the model's prose, each step (its code, status and outputs, folded) and the
answer, readable when the notebook is reopened without a kernel or widget state. Model
text goes through :func:`.safe.safe_markdown`; outputs are shown as text (fenced, or
escaped: :func:`.safe.as_text`), images inline. Nothing of the model's or of an output's
becomes markup: the result is a trusted output, rendered without a sanitizer.
"""

from __future__ import annotations

import base64
import binascii
import html
from typing import Any

from ..core import view as views
from ..core.events import Observation
from ..core.observation import collapse_carriage_returns, strip_ansi, truncate_middle
from .history import RunRecord
from .safe import as_text, fenced, folded, labelled, safe_markdown

_IMAGES = ("image/png", "image/jpeg", "image/gif")
MAX_OUTPUT_CHARS = 3000
MAX_IMAGE_CHARS = 2_000_000


def _joined(value: Any) -> str:
    return "".join(value) if isinstance(value, list) else str(value)


def _image(mime: str, data: Any) -> str | None:
    encoded = _joined(data).replace("\n", "")
    if len(encoded) > MAX_IMAGE_CHARS:
        return None
    try:
        base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        return None
    return f'<img src="data:{mime};base64,{encoded}" alt="output">'


def output_markdown(output: dict[str, Any]) -> str:
    """One nbformat output as static markdown: text in a block, images inline."""
    kind = output.get("output_type")
    if kind == "stream":
        text = collapse_carriage_returns(strip_ansi(_joined(output.get("text", ""))))
        return fenced(truncate_middle(text, MAX_OUTPUT_CHARS))
    if kind == "error":
        lines = [strip_ansi(_joined(line)) for line in output.get("traceback", [])]
        text = "\n".join(lines) or f"{output.get('ename', 'Error')}: {output.get('evalue', '')}"
        return fenced(truncate_middle(text, MAX_OUTPUT_CHARS))
    data = output.get("data", {})
    for mime in _IMAGES:
        if mime in data and (image := _image(mime, data[mime])):
            return image
    if "text/plain" in data:
        return fenced(truncate_middle(strip_ansi(_joined(data["text/plain"])), MAX_OUTPUT_CHARS))
    kinds = ", ".join(sorted(data)) or "output"
    return f"*\\[{as_text(kinds)}\\]*"  # mime keys are an output's: text, never markup


def step_markdown(number: int, observation: Observation) -> str:
    """A step, folded: its status in the summary; code and outputs inside."""
    parts = [fenced(observation.code, "python")]
    parts.extend(output_markdown(output) for output in observation.outputs)
    has_image = any(
        mime in output.get("data", {}) for output in observation.outputs for mime in _IMAGES
    )
    opened = " open" if has_image else ""
    body = "\n\n".join(parts)
    status = html.escape(str(observation.status))
    return f"<details{opened}><summary>Step {number} · {status}</summary>\n\n{body}\n\n</details>"


def run_markdown(record: RunRecord) -> str:
    """The run as static markdown, as a notebook shows it without a kernel or widgets."""
    parts = [labelled("CodeAct:", record.request)]
    step = 0
    for event in record.events:
        match views.view_of(event):
            case views.Reasoning(label=label, text=text) if text.strip():
                parts.append(folded(label, text))
            case views.Reply(prose=text) if text:
                parts.append(safe_markdown(text))
            case views.Result(observation=observation):
                step += 1
                parts.append(step_markdown(step, observation))
            case views.Answered(text=text):
                parts.append(labelled("Answer:", text))
            case views.Problem(message=message):
                parts.append(labelled("Error:", message))
    if record.failure is not None:
        parts.append(labelled("Error:", record.failure))
    summary = record.summary()
    parts.append(f"*{as_text(summary[:1].upper() + summary[1:])}*")
    return "\n\n".join(parts)
