"""One trajectory: a conversation as the model saw it, and what is known about its run.

Readers (:mod:`.notebooks`, :mod:`.eval_folder`, :mod:`.chats`) make them; the pipeline
(:mod:`.pipeline`) cleans their messages here, filters them and hands them to a format.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Literal

from ..core.code_tool import CodeTool
from ..core.llm import Message
from ..core.prompts import CODE_TOOL

Kind = Literal["eval", "run", "history", "chat"]
"""Where a trajectory comes from: an eval task, a ``jupyter codeact run --output``
notebook, a ``%codeact --history`` notebook, a stored chat."""

MESSAGE_FIELDS = ("role", "content", "name", "tool_calls", "tool_call_id")
"""What a message keeps: the chat-completions fields a trainer reads. Anything else a host
stored beside them (reasoning, bookkeeping) stays out."""

CHARS_PER_TOKEN = 4
"""The estimate the agent uses for endpoints that report no usage."""


@dataclass
class Trajectory:
    kind: Kind
    source: str
    """The file it was read from, as the user named it (normalised)."""
    messages: list[Message]
    key: str = ""
    """Which conversation of the source: ``MODE/TASK`` in an eval folder, a chat's id."""
    model: str | None = None
    success: bool | None = None
    """Eval: the checker accepted the answer. Otherwise: the run ended with an answer."""
    reason: str | None = None
    """Why the (last) run ended, when the source says: ``answered``, ``max_turns``..."""
    mode: str | None = None
    """The eval's action mode (``code``, ``json``, ``text``...)."""
    action_style: str | None = None
    """How the model acted: ``tags`` (``<execute>``), ``tools`` (native tool calls), or
    the eval's ``json`` / ``text`` calls."""
    run_tokens: int | None = None
    """Tokens the run used (every request's prompt and completion), when recorded."""
    recorded: bool = True
    """True: the messages are the ones the model was sent. False: rebuilt from cells."""
    details: dict[str, Any] = field(default_factory=dict)
    """Source-specific metadata (``task_id``, ``chat_id``, ``notebook``)."""
    tools: list[dict[str, Any]] = field(default_factory=list)
    """The native functions offered with the requests, where the source recorded them."""

    @property
    def id(self) -> str:
        """Stable across exports of the same file: a hash of where it came from."""
        digest = hashlib.sha256(f"{self.kind}\0{self.source}\0{self.key}".encode())
        return digest.hexdigest()[:16]


def clean_message(message: Message, *, keep_images: bool) -> Message:
    """``message`` with only :data:`MESSAGE_FIELDS`, and images kept or dropped."""
    clean = {name: message[name] for name in MESSAGE_FIELDS if name in message}
    content = clean.get("content")
    if isinstance(content, list):
        parts = [
            part
            for part in content
            if keep_images or not (isinstance(part, dict) and part.get("type") == "image_url")
        ]
        texts = [part for part in parts if isinstance(part, dict) and part.get("type") == "text"]
        if len(texts) == len(parts):
            # Text only (the images dropped): the plain string form every trainer reads.
            clean["content"] = "\n".join(str(part.get("text", "")) for part in texts)
        else:
            clean["content"] = parts
    return clean


def prepared(messages: list[Message], *, keep_images: bool) -> list[Message]:
    """The messages to write: cleaned, ending with the model's last reply (a trailing
    observation or request that it never answered teaches nothing)."""
    result = [
        clean_message(message, keep_images=keep_images)
        for message in messages
        if isinstance(message, dict) and isinstance(message.get("role"), str)
    ]
    while result and result[-1]["role"] != "assistant":
        result.pop()
    return result


def count_turns(messages: list[Message]) -> int:
    """The model's replies."""
    return sum(1 for message in messages if message["role"] == "assistant")


def text_of(message: Message) -> str:
    """All the text of a message: its content and the arguments of its tool calls."""
    content = message.get("content")
    if isinstance(content, list):
        pieces = [str(p.get("text", "")) for p in content if isinstance(p, dict)]
    else:
        pieces = [content] if isinstance(content, str) else []
    for call in message.get("tool_calls") or ():
        function = call.get("function") if isinstance(call, dict) else None
        if isinstance(function, dict):
            pieces += [str(function.get("name", "")), str(function.get("arguments", ""))]
    return "\n".join(pieces)


def estimate_tokens(messages: list[Message]) -> int:
    """About how many tokens the conversation takes (its text; images not counted)."""
    return sum(len(text_of(message)) for message in messages) // CHARS_PER_TOKEN


def uses_tool_calls(messages: list[Message]) -> bool:
    return any(message.get("role") == "tool" or message.get("tool_calls") for message in messages)


def offered_tools(trajectory: Trajectory) -> list[dict[str, Any]]:
    """The functions a trainer should offer with the trajectory's messages: as recorded,
    else (a chat, an older transcript) the code tool where every call is to it."""
    if trajectory.tools:
        return trajectory.tools
    names = {
        call.get("function", {}).get("name")
        for message in trajectory.messages
        for call in message.get("tool_calls") or ()
        if isinstance(call, dict)
    }
    if names != {CODE_TOOL}:
        return []
    # Hosts that keep actions as cells (the panel, the magic) offer cell targeting too.
    tool = CodeTool(cell_targeting=trajectory.kind in ("chat", "history"))
    return [dict(definition) for definition in tool.tools]
