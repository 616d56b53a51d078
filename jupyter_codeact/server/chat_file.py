"""One chat file: its format, and the checks a file must pass before the store trusts it.

Format 3 (this one) keeps the conversation once, as the agent's steps, each with the
messages it rendered to (:meth:`~jupyter_codeact.core.steps.Conversation.to_json`): what
the model was sent is read back from them. Format 2 kept the model's messages apart, with
steps that counted theirs (or none, saved before steps were recorded); such a file is read
into steps when it is loaded, and written as format 3 at its next save (a version that
reads format 2 only then leaves it alone). Format 2 also brought ``info.root``, the real
path of the server root that ``info.path`` is relative to, so that a chat belongs to one
notebook file. Format 1 had no root: such chats are matched to a notebook only where that
is unambiguous (see :mod:`jupyter_codeact.server.store`).
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from ..core.steps import Conversation
from .protocol import ChatEntry, ChatInfo

log = logging.getLogger(__name__)

FORMAT_VERSION = 3


class ChatFileError(ValueError):
    """A chat file that cannot be used; the message says why, in a few words."""


class NewerFormat(ChatFileError):
    """Written by a newer jupyter-codeact (which may be running now): leave it alone."""


@dataclass
class ChatRecord:
    """Everything a chat needs to survive a reload or a server restart."""

    info: ChatInfo
    entries: list[ChatEntry] = field(default_factory=list)
    steps: list[dict[str, Any]] = field(default_factory=list)
    """The LLM conversation as the agent's steps, each with its messages (system prompt
    included), so a follow-up keeps its context (:mod:`jupyter_codeact.core.steps`)."""
    messages: list[dict[str, Any]] = field(default_factory=list)
    """Only for a chat saved before steps were recorded (or whose steps did not match its
    messages), until it is run again: the model's messages as that file kept them, which
    :mod:`.history` reads into steps. Empty once the chat has ``steps``, which say it."""
    turn: int = 0
    ops_seq: int = 0
    """The number of the chat's last document operation (:mod:`.document.log`)."""
    ops: list[dict[str, Any]] = field(default_factory=list)
    """Its operations that the notebook file may not hold yet."""
    turns: list[dict[str, Any]] = field(default_factory=list)
    """What the last turns changed in the notebook, to undo them (:mod:`.review.journal`)."""

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "version": FORMAT_VERSION,
            "info": self.info,
            "entries": self.entries,
            "steps": self.steps,
            "turn": self.turn,
            "ops_seq": self.ops_seq,
            "ops": self.ops,
            "turns": self.turns,
        }
        if self.messages and not self.steps:  # an older chat not run since: kept as it came
            data["messages"] = self.messages
        return data

    @classmethod
    def from_json(cls, data: Any, chat_id: str) -> ChatRecord:
        """Check ``data`` (a decoded file of chat ``chat_id``); raise ChatFileError."""
        if not isinstance(data, dict):
            raise ChatFileError("the file does not hold a JSON object")
        version = data.get("version", 1)
        if not _is_int(version) or version < 1:
            raise ChatFileError("'version' must be a positive integer")
        if version > FORMAT_VERSION:
            raise NewerFormat(f"format {version} is newer than this version reads")
        info = _info(data.get("info"), chat_id, legacy=version == 1)
        entries = data.get("entries", [])
        _list_of_objects(entries, "entries", required=("id", "role"))
        messages = data.get("messages", [])
        _list_of_objects(messages, "messages", required=("role",))
        steps = data.get("steps", [])
        _list_of_objects(steps, "steps", required=("type",))
        steps, messages = _conversation(steps, messages, version)
        turn = data.get("turn", 0)
        if not _is_int(turn) or turn < 0:
            raise ChatFileError("'turn' must be a non-negative integer")
        ops_seq = data.get("ops_seq", 0)
        if not _is_int(ops_seq) or ops_seq < 0:
            raise ChatFileError("'ops_seq' must be a non-negative integer")
        ops = data.get("ops", [])
        _list_of_objects(ops, "ops", required=("op",))
        if any(not _is_int(op.get("seq")) or op["seq"] > ops_seq for op in ops):
            raise ChatFileError("'ops' must be numbered up to 'ops_seq'")
        turns = data.get("turns", [])
        _list_of_objects(turns, "turns", required=("id",))
        for index, undoable in enumerate(turns):
            _list_of_objects(
                undoable.get("changes"), f"turns[{index}].changes", required=("cell_id",)
            )
        return cls(
            info=info,
            entries=list(entries),
            messages=list(messages),
            steps=list(steps),
            turn=turn,
            ops_seq=ops_seq,
            ops=list(ops),
            turns=list(turns),
        )


def _conversation(
    steps: list[dict[str, Any]], messages: list[dict[str, Any]], version: int
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The file's (steps, messages) as a record holds them: steps, each with its messages
    (those a file keeps apart are ignored then: the steps say the conversation); messages
    only for a chat saved before steps, until it runs again."""
    if not steps:
        return [], messages
    try:
        return Conversation.load(messages, steps).to_json(), []
    except ValueError as error:
        if version >= 3:  # the steps are the conversation: a file without them is damaged
            raise ChatFileError(f"'steps' cannot be read ({error})") from error
        # A format-2 file whose steps disagree with its messages (written by hand, or by
        # a broken version): its messages are read in as those of a chat before steps.
        log.warning("CodeAct: a chat's steps were not read (%s)", error)
        return [], messages


def decode(text: str, chat_id: str) -> ChatRecord:
    """Parse and check the text of a chat file."""
    if not text.strip():
        raise ChatFileError("the file is empty")
    try:
        data = json.loads(text)
    except RecursionError as error:
        raise ChatFileError("the JSON is nested too deeply") from error
    except ValueError as error:
        raise ChatFileError(f"not valid JSON ({error})") from error
    return ChatRecord.from_json(data, chat_id)


_FIELD = r'"{name}"\s*:\s*("(?:[^"\\]|\\.)*")'


def recover_location(text: str) -> tuple[str | None, str | None]:
    """The (root, path) a damaged file names, if they can still be read from its start
    (``info`` is written first), so that the notebook's panel can be told."""
    head = text[:65536]
    found: list[str | None] = []
    for name in ("root", "path"):
        match = re.search(_FIELD.format(name=name), head)
        value: Any = None
        if match:
            try:
                value = json.loads(match.group(1))
            except ValueError:
                value = None
        found.append(value if isinstance(value, str) and value else None)
    return found[0], found[1]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _info(value: Any, chat_id: str, *, legacy: bool) -> ChatInfo:
    if not isinstance(value, dict):
        raise ChatFileError("'info' is missing or not an object")
    checks: list[tuple[str, Any, str]] = [
        ("id", lambda v: isinstance(v, str) and v, "a string"),
        ("path", lambda v: isinstance(v, str) and v, "a non-empty string"),
        ("title", lambda v: isinstance(v, str), "a string"),
        ("created", _is_number, "a number"),
        ("updated", _is_number, "a number"),
    ]
    if not legacy:
        checks.append(("root", lambda v: isinstance(v, str), "a string"))
    for name, check, kind in checks:
        if name not in value:
            raise ChatFileError(f"'info.{name}' is missing")
        if not check(value[name]):
            raise ChatFileError(f"'info.{name}' must be {kind}")
    if value["id"] != chat_id:
        raise ChatFileError(f"'info.id' is {value['id']!r}, not the file's name")
    return value  # type: ignore[return-value]


def _list_of_objects(value: Any, name: str, *, required: tuple[str, ...]) -> None:
    if not isinstance(value, list):
        raise ChatFileError(f"'{name}' must be a list")
    for index, item in enumerate(value):
        if not isinstance(item, dict):
            raise ChatFileError(f"{name}[{index}] is not an object")
        for key in required:
            if not isinstance(item.get(key), str):
                raise ChatFileError(f"{name}[{index}] has no '{key}' string")
