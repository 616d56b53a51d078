"""Conversations saved as bare messages, before the loop recorded steps.

Chat files, transcripts and message lists written by earlier versions hold only the
messages the model was sent. This is the one place that tells what such a message was from
its role and text (an ``Observation`` is a user message starting so, a reply acted if it
has calls or code in ``<execute>`` tags), once, when the conversation is read in.
"""

from __future__ import annotations

from .actions import parse_reply
from .request import Message
from .steps import (
    Conversation,
    Kind,
    NoteStep,
    ObservationStep,
    ReplyStep,
    RequestStep,
    Step,
    SystemStep,
)


def kind_of(message: Message, index: int) -> Kind:
    """What a bare message was, told from its role and text."""
    role = message.get("role")
    if role == "system" and index == 0:
        return "system"
    if role == "tool":
        return "observation"
    if role == "assistant":
        return "action" if _acted(message) else "reply"
    if role == "user":
        return "observation" if _text(message).startswith("Observation") else "request"
    return "other"


def conversation_of(messages: list[Message]) -> Conversation:
    """The steps of a conversation saved as bare messages, one step per message."""
    return Conversation(_step(message, index) for index, message in enumerate(messages))


def _step(message: Message, index: int) -> Step:
    kind = kind_of(message, index)
    if kind == "system":
        return SystemStep(messages=[message], started=0.0)
    if kind == "request":
        return RequestStep(messages=[message], started=0.0, text=_text(message))
    if kind in ("reply", "action"):
        return ReplyStep(
            messages=[message], started=0.0, text=_text(message), acted=kind == "action"
        )
    if kind == "observation":
        return ObservationStep(messages=[message], started=0.0)
    return NoteStep(messages=[message], started=0.0)


def _acted(message: Message) -> bool:
    if message.get("tool_calls"):
        return True
    return parse_reply(str(message.get("content") or "")).code is not None


def _text(message: Message) -> str:
    content = message.get("content")
    if isinstance(content, list):
        return "".join(p.get("text", "") for p in content if isinstance(p, dict))
    return str(content or "")
