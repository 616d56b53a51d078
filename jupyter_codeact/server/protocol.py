"""The chat wire protocol between the panel and the server: what each message means.

Every shape below is declared once, in :mod:`.wire_schema` (its docstring says how to add
a message); the panel's types and guards are generated from it (``src/wire/generated.ts``).
This module checks what a client sends. Everything is JSON.

REST (all under ``{base_url}codeact/``, authenticated and authorized):

- ``GET config``: :func:`~jupyter_codeact.config.CodeAct.public_settings` (never the key).
- ``GET rules?path=P``: ``{"files": [str...]}``, the rules that apply to notebook ``P``
  (its ``AGENTS.md`` files up to the root that the user trusts, ``c.CodeAct.instructions``).
- ``GET trust?path=P``: ``{"files": [TrustFile...]}``, the project files of notebook ``P``
  (the root's ``.jupyter/mcp.json``, ``AGENTS.md`` files up to the root) that the user has
  not trusted as they are now, none of which runs use (:func:`jupyter_codeact.trust.describe`).
- ``POST trust`` with ``{"path": P, "decision": "trust"|"not_now", "files": [{"path",
  "sha256"}...]}``: the user's decision on exactly those files as shown (``execute``
  permission, as running code); 409 if one changed since (nothing recorded). Answers as
  ``GET trust``. Trust is recorded for every host (:mod:`jupyter_codeact.trust`); the next
  request uses the files.
- ``GET chats?path=P``: ``{"chats": [ChatInfo...], "problems": [str...]}`` of notebook
  ``P``, newest first; ``problems`` says which of its chat files could not be read and
  where they were moved.
- ``POST chats`` with ``{"path": P}``: a new, empty chat for notebook ``P`` (ChatInfo, 201).
- ``GET chats/{id}``: ``{"chat": ChatInfo, "entries": [ChatEntry...], "state": ChatState}``.
- ``DELETE chats/{id}``: forget a chat (204).

Every body, query value and websocket message is bounded (:mod:`.limits`): what breaks a
limit gets a 400 (REST) or a ``problem`` (websocket) that names it.

WebSocket ``chats/{id}/ws``: the server first sends a ``snapshot``; then (the fields of
each message, and what each means, are in :mod:`.wire_schema`)

client -> server (:data:`~.wire_schema.ClientMessage`):

- ``{"type": "hello"}``: who this page is, so a reconnecting page is recognised.
- ``{"type": "document"}``: this page has the chat's notebook open, and holds its document
  operations up to ``applied``. Sent once the notebook is loaded, and again after every
  reconnection: the page is sent what it lacks, then every operation as it happens.
- ``{"type": "user_message"}``: a request, with the user's choices in the panel. ``model``
  is checked against the endpoint's ``/v1/models`` (:mod:`.models`): a model it does not
  list is refused with a ``problem``, as is a request while a run is going on.
- ``{"type": "stop"}``: cancel the run.
- ``{"type": "decide"}``: the user's answer to the pending approval.
- ``{"type": "facts"}``: the answer to an ``inspect``.
- ``{"type": "undo"}``: *Undo this turn* (:mod:`.review`); anyone with ``write`` on
  ``contents`` may. Refused (a ``problem``) while a run goes on, or when it was undone
  already.

server -> client (:data:`~.wire_schema.ServerMessage`):

- ``{"type": "snapshot"}``: the whole chat, and what waits for the user.
- ``{"type": "entry"}``: add the entry, or replace the one with its id.
- ``{"type": "delta"}``: streamed text of an entry; an ``entry`` follows when it is whole.
- ``{"type": "state"}``: what the agent is doing now, and the tokens the run has used.
- ``{"type": "approval"}``: what waits for the user now (:mod:`.approvals`), or nothing.
  A ``run`` waits in the notebook as the pending cell ``cell_id`` (:mod:`.pending`, and
  the ``pending``/``remove`` operations).
- ``{"type": "ops"}``: document operations (:mod:`.document.ops` lists them), in order.
  The page applies them to its notebook and records the last ``seq`` in the notebook's
  metadata; with ``shared`` (real-time collaboration) it follows them and applies nothing.
- ``{"type": "inspect"}``: what does the page's notebook hold of a cell? Answered with
  ``facts``.
- ``{"type": "chat"}``: the chat's metadata changed (e.g. the notebook was renamed).
- ``{"type": "problem"}``: a message from the client was refused, and why.
"""

from __future__ import annotations

from typing import Any, get_args

from ..core.events import ExecutionStatus
from .limits import DEFAULT_LIMITS, Limits, size
from .wire_schema import ActionStyle, ChatEntry, ChatInfo, ChatState, Role

EXECUTION_STATUSES = get_args(ExecutionStatus)
ACTION_STYLES = get_args(ActionStyle)

__all__ = ["ChatEntry", "ChatInfo", "ChatState", "ProtocolError", "Role", "parse_client_message"]


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


class ProtocolError(ValueError):
    """A client message that does not follow the protocol; the message says how."""


def _string(
    message: dict[str, Any], key: str, *, required: bool = True, limit: int | None = None
) -> str | None:
    value = message.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise ProtocolError(f"'{key}' must be a string in a '{message.get('type')}' message.")
    if limit is not None and len(value) > limit:
        raise ProtocolError(
            f"'{key}' of a '{message.get('type')}' message is {size(len(value))}, over the "
            f"limit of {size(limit)}."
        )
    return value


def parse_client_message(message: Any, limits: Limits = DEFAULT_LIMITS) -> dict[str, Any]:
    """Check a decoded client message; return it (normalised) or raise ProtocolError."""
    if not isinstance(message, dict):
        raise ProtocolError("A message must be a JSON object.")
    kind = message.get("type")
    ids = limits.max_id_chars
    if kind == "hello":
        return {"type": "hello", "client_id": _string(message, "client_id", limit=ids)}
    if kind == "user_message":
        text = _string(message, "text") or ""
        if len(text) > limits.max_message_chars:
            raise ProtocolError(
                f"The message is {size(len(text))} long, over the limit of "
                f"{size(limits.max_message_chars)}: put long data in a file and ask the "
                "agent to read it."
            )
        if not text.strip():
            raise ProtocolError("The message is empty.")
        approval = message.get("approval")
        if approval not in (None, "auto", "ask"):
            raise ProtocolError("'approval' must be 'auto' or 'ask'.")
        style = message.get("action_style")
        if style not in (None, *ACTION_STYLES):
            raise ProtocolError(f"'action_style' must be one of {', '.join(ACTION_STYLES)}.")
        flags = {}
        for key in ("replace_failed", "narrate", "untrusted"):
            value = message.get(key)
            if value is not None and not isinstance(value, bool):
                raise ProtocolError(f"'{key}' must be true or false.")
            flags[key] = value
        position = message.get("position")
        if position not in (None, "belowLast", "end"):
            raise ProtocolError("'position' must be 'belowLast' or 'end'.")
        return {
            "type": "user_message",
            "text": text,
            "context": _string(message, "context", required=False, limit=limits.max_context_chars),
            "approval": approval,
            "action_style": style,
            "replace_failed": flags["replace_failed"],
            "user_cell": _string(message, "user_cell", required=False, limit=ids) or "",
            "user_cell_id": _string(message, "user_cell_id", required=False, limit=ids) or "",
            "selected_cell": _string(message, "selected_cell", required=False, limit=ids) or "",
            "position": position or "belowLast",
            "narrate": bool(flags["narrate"]),
            "untrusted": bool(flags["untrusted"]),
            "model": _string(message, "model", required=False, limit=ids) or None,
            "reasoning_effort": _string(message, "reasoning_effort", required=False, limit=ids)
            or None,
        }
    if kind == "stop":
        return {"type": "stop"}
    if kind == "document":
        applied = message.get("applied", {})
        if not isinstance(applied, dict) or not all(
            isinstance(k, str) and _is_int(v) and v >= 0 for k, v in applied.items()
        ):
            raise ProtocolError("'applied' must map chat ids to operation numbers.")
        if len(applied) > 1000:
            raise ProtocolError("'applied' names too many chats.")
        return {
            "type": "document",
            "path": _string(message, "path", limit=limits.max_path_chars),
            "applied": applied,
        }
    if kind == "decide":
        run = message.get("run")
        if not isinstance(run, bool):
            raise ProtocolError("'run' must be true or false.")
        return {
            "type": "decide",
            "request_id": _string(message, "request_id", limit=ids),
            "run": run,
            "code": _string(message, "code", required=False, limit=limits.max_context_chars),
        }
    if kind == "facts":
        facts = message.get("facts")
        if not isinstance(facts, dict):
            raise ProtocolError("'facts' must be an object.")
        found = facts.get("found")
        cell_ids = facts.get("cell_ids", [])
        change = facts.get("change")
        source = facts.get("source")
        if not isinstance(found, int) or isinstance(found, bool) or found < 0:
            raise ProtocolError("'facts.found' must be a count.")
        if not isinstance(cell_ids, list) or not all(isinstance(c, str) for c in cell_ids):
            raise ProtocolError("'facts.cell_ids' must be a list of cell ids.")
        if change not in (None, "edited", "ran"):
            raise ProtocolError("'facts.change' must be 'edited', 'ran' or null.")
        if source is not None and not isinstance(source, str):
            raise ProtocolError("'facts.source' must be a string or null.")
        cell = facts.get("cell")
        if cell is not None and not isinstance(cell, dict):
            raise ProtocolError("'facts.cell' must be a notebook cell.")
        return {
            "type": "facts",
            "query_id": _string(message, "query_id", limit=ids),
            "facts": {
                "found": found,
                "cell_ids": cell_ids[:1000],
                "change": change,
                "source": source,
                **({"cell": cell} if cell is not None else {}),
            },
        }
    if kind == "undo":
        return {"type": "undo", "entry_id": _string(message, "entry_id", limit=ids)}
    raise ProtocolError(f"Unknown message type {kind!r}.")
