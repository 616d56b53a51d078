"""The two line formats: OpenAI chat fine-tuning (``messages``) and ShareGPT
(``conversations`` of ``from``/``value``). Each line also carries ``metadata``.

ShareGPT, as trainers read it (LLaMA-Factory, axolotl): ``system``, ``human`` and ``gpt``
turns; a native tool call is a ``function_call`` turn (its value the call as JSON) and its
result an ``observation`` turn. Observations of the tag style were user messages for the
model, so they are ``human`` turns, and turns of one side in a row (an observation, then a
request) are merged, since trainers expect the sides to alternate. Kept images become
``<image>`` placeholders in the text, their data URLs listed in ``images``.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

from ..core.llm import Message

Line = dict[str, Any]
Format = Callable[[list[Message], dict[str, Any], list[dict[str, Any]]], Line]
"""A line from the messages, the metadata and the functions offered with them."""

_SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt", "tool": "observation"}
_MERGED = {"human", "observation"}
IMAGE_PLACEHOLDER = "<image>"


def openai_line(
    messages: list[Message], metadata: dict[str, Any], tools: list[dict[str, Any]]
) -> Line:
    line: Line = {"messages": messages}
    if tools:  # as OpenAI's fine-tuning takes function calling: one call at a time
        line["tools"] = tools
        line["parallel_tool_calls"] = False
    line["metadata"] = metadata
    return line


def sharegpt_line(
    messages: list[Message], metadata: dict[str, Any], tools: list[dict[str, Any]]
) -> Line:
    conversations: list[dict[str, str]] = []
    images: list[str] = []
    for message in messages:
        if message["role"] == "assistant" and message.get("tool_calls"):
            turn = {"from": "function_call", "value": _calls(message["tool_calls"])}
        else:
            speaker = _SHAREGPT_ROLES.get(message["role"], "human")
            turn = {"from": speaker, "value": _text(message.get("content"), images)}
        previous = conversations[-1] if conversations else None
        if previous and previous["from"] == turn["from"] and turn["from"] in _MERGED:
            previous["value"] = f"{previous['value']}\n\n{turn['value']}"
        else:
            conversations.append(turn)
    line: Line = {"id": metadata["id"], "conversations": conversations}
    if tools:  # LLaMA-Factory's column: the functions as one JSON string
        functions = [tool.get("function", tool) for tool in tools]
        line["tools"] = json.dumps(functions, ensure_ascii=False)
    if images:
        line["images"] = images
    line["metadata"] = metadata
    return line


def _text(content: Any, images: list[str]) -> str:
    if isinstance(content, str):
        return content
    if not isinstance(content, list):
        return "" if content is None else str(content)
    pieces = []
    for part in content:
        if not isinstance(part, dict):
            continue
        if part.get("type") == "image_url":
            url = part.get("image_url", {}).get("url", "")
            images.append(str(url))
            pieces.append(IMAGE_PLACEHOLDER)
        else:
            pieces.append(str(part.get("text", "")))
    return "\n".join(pieces)


def _calls(tool_calls: list[Any]) -> str:
    """The calls as JSON: ``{"name", "arguments"}`` (a list of them for several)."""
    calls = []
    for call in tool_calls:
        function = call.get("function", {}) if isinstance(call, dict) else {}
        arguments: Any = function.get("arguments", "")
        if isinstance(arguments, str):
            with contextlib.suppress(ValueError):  # else keep the text the model wrote
                arguments = json.loads(arguments)
        calls.append({"name": function.get("name", ""), "arguments": arguments})
    return json.dumps(calls[0] if len(calls) == 1 else calls, ensure_ascii=False)


FORMATS: dict[str, Format] = {"openai": openai_line, "sharegpt": sharegpt_line}
