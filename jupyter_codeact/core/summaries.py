"""The short forms of older messages that :mod:`.condense` sends in their place."""

from __future__ import annotations

import json
import re

from .actions import parse_reply, prose
from .observation import STATUS_NOTES
from .request import Message
from .tool_calls import ToolCall

CONDENSED_OBSERVATION = "Observation (condensed; the full output is in the notebook)"
CONTEXT_BLOCK = re.compile(r"\A<context>\n.*?\n</context>\n\n", re.DOTALL)
CONTEXT_NOTE = "(The notebook context sent with this request was condensed.)\n\n"
_ERROR_LINE = re.compile(r"^\s*[\w.]*(?:Error|Exception|Interrupt)\b")
_CLIP = 120
_PROSE_KEPT = 300


def text_of(message: Message) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content or "")


def _clip(line: str) -> str:
    line = line.strip()
    return line if len(line) <= _CLIP else line[: _CLIP - 1] + "…"


def observation_summary(text: str, images: int = 0) -> str:
    """One line standing for an observation: its status, size, first and last lines."""
    body = text.removeprefix("Observation:").strip("\n")
    status = "error" if _failed(body) else "ok"
    for name, note in STATUS_NOTES.items():
        if note.split("{", 1)[0] in body:
            status = name
    lines = body.splitlines()
    parts = [f"{CONDENSED_OBSERVATION}: {status}"]
    if body and body not in ("(the cell ran and printed nothing)", "(no output)"):
        parts[0] += f", {len(body):,} characters in {len(lines):,} lines"
        parts.append(f'first line "{_clip(lines[0])}"')
        if len(lines) > 1:
            parts.append(f'last line "{_clip(lines[-1])}"')
    else:
        parts[0] += ", no output"
    if images:
        parts.append(f"{images} image{'s' if images > 1 else ''}")
    return "; ".join(parts) + "."


def _failed(body: str) -> bool:
    if "Traceback (most recent call last)" in body:
        return True
    last = body.rstrip().rsplit("\n", 1)[-1]
    return bool(_ERROR_LINE.match(last))


def condensed_observation(message: Message) -> Message:
    content = message.get("content")
    images = 0
    if isinstance(content, list):
        images = sum(1 for part in content if isinstance(part, dict) and part.get("image_url"))
    summary = observation_summary(text_of(message), images)
    return {**message, "content": summary}


def code_summary(code: str) -> str:
    """One line standing for code that ran."""
    lines = [line for line in code.splitlines() if line.strip()]
    if not lines:
        return "(no code)"
    count = f"{len(lines)} line{'s' if len(lines) > 1 else ''}"
    if len(lines) == 1:
        return f"{count} of code ran here (condensed): `{_clip(lines[0])}`"
    return (
        f"{count} of code ran here (condensed): first `{_clip(lines[0])}`, "
        f"last `{_clip(lines[-1])}`"
    )


def _short_prose(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _PROSE_KEPT else text[: _PROSE_KEPT - 1] + "…"


def condensed_reply(message: Message) -> Message | None:
    content = str(message.get("content") or "")
    calls = [ToolCall.from_wire(c) for c in message.get("tool_calls") or ()]
    if any(calls):
        wire = []
        for call in calls:
            if call is None:
                continue
            code = _call_code(call)
            arguments = json.dumps({"code": f"# {code_summary(code)}"})
            wire.append(ToolCall(call.id, call.name, arguments).to_wire())
        return {**message, "content": _short_prose(content), "tool_calls": wire}
    found = parse_reply(content).code
    if found is None:
        if len(content) <= _PROSE_KEPT:
            return None
        return {**message, "content": _short_prose(content)}
    said = _short_prose(prose(content))
    note = f"[{code_summary(found)}.]"
    return {**message, "content": f"{said}\n{note}" if said else note}


def _call_code(call: ToolCall) -> str:
    try:
        arguments = json.loads(call.arguments or "{}")
    except ValueError:
        return call.arguments
    if isinstance(arguments, dict) and isinstance(arguments.get("code"), str):
        return str(arguments["code"])
    return call.arguments


def omitted_note(steps: int) -> str:
    plural = "s" if steps > 1 else ""
    return (
        f"\n\n[{steps} earlier step{plural} taken for this request (code and its output) "
        "were condensed out of this conversation to fit the context window; their cells are "
        "in the notebook.]"
    )
