"""Action styles: how the one loop talks to the model in each way of acting.

``tags``
    The model writes its action in the text of its reply (``<execute>``, the reply grammar of
    :mod:`.actions`; the evaluation's JSON and text tool calls too). The reply goes back as
    an assistant message, the observation as a user message.
``tools``
    The request offers native functions (:mod:`.code_tool`); the reply's first call is the
    action and its result goes back as a ``tool`` message with the call's id, in the
    standard OpenAI form. Every other call of the reply is answered with a note (an
    endpoint refuses a conversation with an unanswered call). A reply without a call is
    the answer. With ``text_fallback`` (the ``auto`` style), a reply that writes its call
    in the text instead (``<execute>``, Hermes' ``<tool_call>`` JSON, ``<function=...>``
    XML) is run as written and read as the tags style reads it: the loop then acts through
    tags with this model from the next request on.

Both styles share the executor, the observation's text and the reasoning stream; only the
request's ``tools`` and the shape of the messages differ.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from .actions import ActionFormat, ParsedReply, parse_reply
from .code_tool import CallFormat
from .observation import FormattedObservation
from .prompts import CALLS_IN_TEXT_NUDGE, EXTRA_CALL_NOTE, tools_wording
from .reply_tokens import ACTION_TAGS, Token, tokenize
from .request import Message
from .tool_calls import ToolCall

ActionStyle = Literal["auto", "tags", "tools"]
"""The setting: ``auto`` is ``tools`` where the endpoint takes them, else ``tags``."""

_SOLUTION = re.compile(r"<solution>(.*?)(?:</solution>|\Z)", re.DOTALL | re.IGNORECASE)
_PARAMETER = re.compile(r"<parameter=([\w.-]+)>\n?(.*?)\n?</parameter>", re.DOTALL)


@dataclass(frozen=True)
class ModelReply:
    """One complete reply: its text (reasoning split out already) and its native calls."""

    text: str
    tool_calls: tuple[ToolCall, ...] = ()


class Style(Protocol):
    @property
    def name(self) -> Literal["tags", "tools"]: ...

    @property
    def tools(self) -> Sequence[dict[str, Any]]:
        """Functions offered with each request (none for tags)."""
        ...

    @property
    def streamed_argument(self) -> str | None:
        """The call argument to show as it streams (the code), if any."""
        ...

    @property
    def no_action_nudge(self) -> str: ...

    def system_prompt(self, prompt: str) -> str: ...

    def words(self, text: str) -> str:
        """``text`` (written for the tags style) as the model acting in this style reads
        it: the cells guide and the notes on where an action goes name the tags."""
        ...

    def read(self, reply: ModelReply) -> ParsedReply: ...

    def assistant_message(self, parsed: ParsedReply) -> Message: ...

    def observation_messages(
        self, parsed: ParsedReply, observation: FormattedObservation
    ) -> list[Message]: ...

    def problem_messages(self, parsed: ParsedReply, text: str) -> list[Message]:
        """What tells the model that its reply did not act (``text`` says why)."""
        ...


class TextStyle:
    """The tags style over any text format (the reply grammar, or the eval's JSON/text)."""

    name: Literal["tags", "tools"] = "tags"
    tools: Sequence[dict[str, Any]] = ()
    streamed_argument: str | None = None

    def __init__(self, format: ActionFormat) -> None:
        self.format = format

    @property
    def no_action_nudge(self) -> str:
        return self.format.no_action_nudge

    def system_prompt(self, prompt: str) -> str:
        return prompt

    def words(self, text: str) -> str:
        return text

    def read(self, reply: ModelReply) -> ParsedReply:
        return self.format.parse(reply.text)

    def assistant_message(self, parsed: ParsedReply) -> Message:
        return {"role": "assistant", "content": parsed.text}

    def observation_messages(
        self, parsed: ParsedReply, observation: FormattedObservation
    ) -> list[Message]:
        return [observation.message()]

    def problem_messages(self, parsed: ParsedReply, text: str) -> list[Message]:
        return [{"role": "user", "content": text}]


class ToolStyle:
    """The tools style over a native format (the code tool, or the eval's tools)."""

    name: Literal["tags", "tools"] = "tools"

    def __init__(self, format: CallFormat, *, text_fallback: bool = False) -> None:
        self.format = format
        self.text_fallback = text_fallback
        self.tools = tuple(format.tools)
        self.streamed_argument = format.streamed_argument

    @property
    def no_action_nudge(self) -> str:
        return self.format.no_action_nudge

    def system_prompt(self, prompt: str) -> str:
        return self.format.system_prompt(prompt)

    def words(self, text: str) -> str:
        return tools_wording(text)

    def read(self, reply: ModelReply) -> ParsedReply:
        tokens = tokenize(reply.text)
        reasoning = "\n\n".join(t.body.strip() for t in tokens if t.kind == "reasoning").strip()
        text = "".join(reply.text[t.start : t.end] for t in tokens if t.kind != "reasoning")
        if reply.tool_calls:
            first = reply.tool_calls[0]
            action = self.format.action(first)
            return ParsedReply(
                text=text,
                code=action.code,
                solution=None,
                problem=action.problem,
                attributes=dict(action.attributes),
                reasoning=reasoning,
                tool_calls=reply.tool_calls,
                call_id=first.id,
            )
        in_text = self._call_in_text(reply.text, tokens)
        if in_text is not None:
            if self.text_fallback:
                return ParsedReply(
                    text=in_text.text,
                    code=in_text.code,
                    solution=None,
                    problem=in_text.problem,
                    attributes=in_text.attributes,
                    reasoning=reasoning,
                )
            return ParsedReply(
                text=text,
                code=None,
                solution=None,
                problem=CALLS_IN_TEXT_NUDGE,
                reasoning=reasoning,
            )
        match = _SOLUTION.search(text)
        answer = (match.group(1) if match else text).strip()
        return ParsedReply(text=text, code=None, solution=answer or None, reasoning=reasoning)

    def wrote_call_in_text(self, parsed: ParsedReply) -> bool:
        """Whether ``parsed`` is a call the model wrote in its text (see the module doc)."""
        return parsed.call_id is None and (parsed.code is not None or bool(parsed.problem))

    def _call_in_text(self, source: str, tokens: list[Token]) -> ParsedReply | None:
        for token in tokens:
            if token.kind != "tag":
                continue
            if token.name in ACTION_TAGS:
                return parse_reply(source)
            call = _written_call(token)
            if call is not None:
                action = self.format.action(call)
                kept = (t for t in tokens if t.kind != "reasoning" and t.end <= token.end)
                return ParsedReply(
                    text="".join(source[t.start : t.end] for t in kept),
                    code=action.code,
                    solution=None,
                    problem=action.problem,
                    attributes=dict(action.attributes),
                )
        return None

    def assistant_message(self, parsed: ParsedReply) -> Message:
        message: Message = {"role": "assistant", "content": parsed.text}
        if parsed.tool_calls:
            message["tool_calls"] = [call.to_wire() for call in parsed.tool_calls]
        return message

    def observation_messages(
        self, parsed: ParsedReply, observation: FormattedObservation
    ) -> list[Message]:
        if parsed.call_id is None:
            return [observation.message()]
        messages = self._answers(parsed, observation.text)
        if observation.images:
            # Tool results carry text only: the pictures follow as the user's.
            shown = FormattedObservation(
                "Observation: what the code displayed.", observation.images
            )
            messages.append(shown.message())
        return messages

    def problem_messages(self, parsed: ParsedReply, text: str) -> list[Message]:
        if not parsed.tool_calls:
            return [{"role": "user", "content": text}]
        return self._answers(parsed, text)

    def _answers(self, parsed: ParsedReply, first: str) -> list[Message]:
        answers: list[Message] = []
        for index, call in enumerate(parsed.tool_calls):
            content = first if index == 0 else EXTRA_CALL_NOTE
            answers.append({"role": "tool", "tool_call_id": call.id, "content": content})
        return answers


def _written_call(token: Token) -> ToolCall | None:
    """A native call written as text: ``<tool_call>{"name": ..., "arguments": ...}`` (Hermes,
    Qwen) or ``<function=NAME><parameter=code>...`` (Qwen3-Coder, OpenHands)."""
    if token.name == "tool_call":
        try:
            data = json.loads(token.body.strip())
        except ValueError:
            return None
        if not isinstance(data, dict) or not isinstance(data.get("name"), str):
            return None
        arguments = data.get("arguments", data.get("parameters", {}))
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments)
        return ToolCall(id="", name=data["name"], arguments=arguments)
    if token.name.startswith("function="):
        parameters = dict(_PARAMETER.findall(token.body))
        return ToolCall(id="", name=token.name.split("=", 1)[1], arguments=json.dumps(parameters))
    return None


def answer_open_calls(messages: list[Message], note: str) -> int:
    """Answer, with ``note``, the calls of the last reply that acted that have no result yet
    (a run that ended before its call ran, or a chat saved mid-action): an endpoint refuses
    a conversation with an unanswered call. The answers go right after that reply, where
    they belong; returns how many were added."""
    for index in range(len(messages) - 1, -1, -1):
        message = messages[index]
        if message.get("role") != "assistant" or not message.get("tool_calls"):
            continue
        answered = {m.get("tool_call_id") for m in messages[index + 1 :] if m.get("role") == "tool"}
        missing = [
            {"role": "tool", "tool_call_id": call.get("id"), "content": note}
            for call in message["tool_calls"]
            if isinstance(call, dict) and call.get("id") not in answered
        ]
        messages[index + 1 : index + 1] = missing
        return len(missing)
    return 0
