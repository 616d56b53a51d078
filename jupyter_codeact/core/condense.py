"""Keeping a long conversation within the model's context window.

Before each request the loop asks :class:`Condenser` for the prompt. While the estimated
prompt stays under ``trigger`` (a share of the window) everything is sent as stored. Past
it, older steps are condensed until the prompt is under ``target``, in this order, oldest
first (:mod:`.summaries` writes the short forms):

1. observations older than the recent turns shrink to one summary line (what ran, its
   status, its size, its first and last lines);
2. the notebook context sent with older requests is dropped (the request itself stays);
3. the code of older replies shrinks to a line (how long, its first and last lines), and
   their prose to its start;
4. older steps (a reply that acted and its observations, together, so that every call
   keeps its answer) are left out, and the request they served says how many;
5. if that is not enough, the recent turns are condensed too, except the last exchange.

The system prompt and every request of the user are always sent verbatim, and so are the
answers the model gave them (shortened at most) and the last exchange: messages keep
alternating between the user and the assistant as chat templates require. The stored
conversation is never changed: condensing only chooses what is sent.

The hysteresis (condense down to ``target``, well below ``trigger``) keeps the start of
the prompt the same for many turns, which endpoints' prompt caches reward, and makes the
work incremental: each message is encoded once when it is first sent and condensed at
most once per stage, the stages move forward only, so a turn costs the same at turn 200 as
at turn 2.

After the endpoint refused a prompt as too long anyway (its tokens counted differently),
:meth:`Condenser.harder` makes the next prompt condense to a smaller target at once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from . import legacy
from .request import Message, Prompt, encode_message, encode_tools
from .steps import Conversation, Kind
from .summaries import (
    CONDENSED_OBSERVATION,
    CONTEXT_BLOCK,
    CONTEXT_NOTE,
    code_summary,
    condensed_observation,
    condensed_reply,
    observation_summary,
    omitted_note,
)

__all__ = [
    "CONDENSED_OBSERVATION",
    "Condenser",
    "Condensing",
    "code_summary",
    "observation_summary",
]

_STAGES = 5
_OMITTED = 3
"""The level of a message left out of the prompt."""


@dataclass
class _Item:
    message: Message
    """As stored."""
    kind: Kind
    sent: Message
    encoded: bytes
    level: int = 0
    """0: verbatim; 1: output (or context) condensed; 2: code condensed too; 3: left out."""
    base: Message | None = None
    """A request's form before the note of the steps left out after it."""
    omitted_steps: int = 0


@dataclass(frozen=True)
class Condensing:
    """What one request's condensing did."""

    steps: int
    """Older actions condensed (summarized or left out) in the prompt, in all."""
    changed: int
    """Messages condensed for this request (0: the prompt was already small enough)."""
    prompt_tokens: int


class Condenser:
    """The prompt of one conversation (shared with the agent, appended to).

    Each message's kind comes from its step (:mod:`.steps`); a bare list of messages (a
    conversation saved before steps) is read as :mod:`.legacy` tells.
    """

    def __init__(
        self,
        conversation: Conversation | list[Message],
        *,
        trigger: float = 0.75,
        target: float = 0.5,
        keep_recent: int = 6,
    ) -> None:
        self.conversation = conversation
        self.trigger = trigger
        self.target = target
        self.keep_recent = keep_recent
        self._reset()
        self._harder = False

    def harder(self) -> None:
        """The endpoint refused the last prompt as too long: condense further next time."""
        self._harder = True

    def prompt(
        self,
        *,
        window: int,
        tokens_per_byte: float,
        tools: Sequence[dict[str, Any]] = (),
    ) -> tuple[Prompt, Condensing]:
        """The prompt to send now, and what was condensed for it."""
        self._sync()
        extra = encode_tools(tools)

        def tokens() -> int:
            return int((self._bytes + len(extra)) * tokens_per_byte)

        changed = 0
        harder, self._harder = self._harder, False
        if harder or tokens() > self.trigger * window:
            goal = (self.target / 2 if harder else self.target) * window
            keep = 2 if harder else self.keep_recent
            for stage in range(_STAGES):
                if tokens() <= goal:
                    break
                changed += self._condense(stage, keep, lambda: tokens() <= goal)
        kept = [item for item in self._items if item.level != _OMITTED]
        prompt = Prompt(
            messages=[item.sent for item in kept],
            encoded=[item.encoded for item in kept],
            tools=tuple(tools),
            encoded_tools=extra,
            size=self._bytes + len(extra),
        )
        return prompt, Condensing(steps=self._steps, changed=changed, prompt_tokens=tokens())

    # -- keeping up with the conversation ---------------------------------------------------
    def _reset(self) -> None:
        self._items: list[_Item] = []
        self._bytes = 0
        self._cursors = [0] * _STAGES
        self._last_request = 0
        self._anchor: int | None = None
        """The request the steps being left out belong to (stage 4's cursor's)."""
        self._renote_later: set[int] = set()
        self._steps = 0

    def _sync(self) -> None:
        """Take in what was appended since the last prompt (only that is encoded)."""
        source = self.conversation
        messages, items = (
            (source.messages if isinstance(source, Conversation) else source),
            self._items,
        )
        kinds = source.kinds if isinstance(source, Conversation) else None
        if items:
            known = len(items)
            changed = len(messages) < known or messages[known - 1] is not items[-1].message
            if changed and (known > 1 or len(messages) < known):
                self._reset()  # not the conversation we knew: start over
            if self._items and messages[0] is not self._items[0].message:
                old = self._items[0]
                self._bytes -= len(old.encoded)
                kind: Kind = kinds[0] if kinds is not None else legacy.kind_of(messages[0], 0)
                self._items[0] = self._item(messages[0], kind)  # the system prompt changed
                self._bytes += len(self._items[0].encoded)
        for index in range(len(self._items), len(messages)):
            message = messages[index]
            kind = kinds[index] if kinds is not None else legacy.kind_of(message, index)
            item = self._item(message, kind)
            self._items.append(item)
            self._bytes += len(item.encoded)
            if item.kind == "request":
                self._last_request = index

    def _item(self, message: Message, kind: Kind) -> _Item:
        return _Item(message, kind, message, encode_message(message))

    def _set(self, index: int, sent: Message, level: int) -> None:
        item = self._items[index]
        encoded = encode_message(sent)
        self._bytes += len(encoded) - len(item.encoded)
        if item.kind == "observation" and item.level == 0:
            self._steps += 1
        item.sent, item.encoded, item.level = sent, encoded, level

    def _omit(self, index: int) -> None:
        item = self._items[index]
        self._bytes -= len(item.encoded)
        if item.kind == "observation" and item.level == 0:
            self._steps += 1
        item.level = _OMITTED

    # -- the stages -------------------------------------------------------------------------
    def _condense(self, stage: int, keep: int, enough: Callable[[], bool]) -> int:
        """Condense with one stage, oldest first, until ``enough()``; how many changed."""
        items = self._items
        recent = stage == _STAGES - 1
        limit = len(items) - (2 if recent else keep)
        if stage == 1:
            limit = min(limit, self._last_request)
        cursor = max(len(items) - keep, 0) if recent else self._cursors[stage]
        changed = 0
        self._renote_later = set()
        while cursor < limit and not enough():
            if stage == _OMITTED:
                step = self._omit_step(cursor, limit)
                if step is None:
                    break
                omitted, cursor = step
                changed += omitted
                continue
            changed += self._condense_one(stage, cursor)
            cursor += 1
        for index in self._renote_later:
            self._renote(self._items[index])
        if not recent:
            self._cursors[stage] = max(self._cursors[stage], cursor)
        return changed

    def _condense_one(self, stage: int, index: int) -> bool:
        item = self._items[index]
        if item.level >= _OMITTED:
            return False
        if item.kind == "observation" and item.level == 0 and stage in (0, 4):
            self._set(index, condensed_observation(item.message), 1)
            return True
        if item.kind == "request" and item.level == 0 and stage == 1:
            base = item.base or item.sent
            content = base.get("content")
            if isinstance(content, str) and CONTEXT_BLOCK.match(content):
                self._set(index, {**base, "content": CONTEXT_BLOCK.sub(CONTEXT_NOTE, content)}, 1)
                if item.base is not None:
                    item.base = item.sent
                    self._renote(item)
                return True
        if item.kind in ("reply", "action") and item.level < 2 and stage in (2, 4):
            condensed = condensed_reply(item.message)
            if condensed is not None:
                self._set(index, condensed, 2)
                return True
        return False

    def _omit_step(self, index: int, limit: int) -> tuple[int, int] | None:
        """Leave out the step starting at ``index`` (a reply that acted, and the messages
        answering it); returns how many messages were left out and where to go on, None
        where the step reaches into the recent turns (it is kept whole)."""
        item = self._items[index]
        if item.kind == "request":
            self._anchor = index
        if item.kind != "action" or item.level >= _OMITTED:
            return 0, index + 1  # requests and answers stay
        end = index + 1
        while end < len(self._items) and self._items[end].kind in ("observation", "other"):
            end += 1
        if self._anchor is None or end > limit:
            return None
        for position in range(index, end):
            self._omit(position)
        self._note_on_anchor()
        return end - index, end

    def _note_on_anchor(self) -> None:
        """The request before the steps left out says how many there were."""
        assert self._anchor is not None
        anchor = self._items[self._anchor]
        anchor.omitted_steps += 1
        if anchor.base is None:
            anchor.base = anchor.sent
            self._renote(anchor)  # the note appears: its size counts at once
        else:
            self._renote_later.add(self._anchor)  # only its count changes

    def _renote(self, item: _Item) -> None:
        assert item.base is not None
        content = item.base.get("content")
        if isinstance(content, str):
            sent = {**item.base, "content": content + omitted_note(item.omitted_steps)}
            encoded = encode_message(sent)
            self._bytes += len(encoded) - len(item.encoded)
            item.sent, item.encoded = sent, encoded
