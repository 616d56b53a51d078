"""The chat wire protocol between the panel and the server; mirrored in ``src/wire.ts``.

Change both files together. Everything is JSON.

REST (all under ``{base_url}codeact/``, authenticated and authorized):

- ``GET config``: :func:`~jupyter_codeact.config.CodeAct.public_settings` (never the key).
- ``GET rules?path=P``: ``{"files": [str...]}``, the rules that apply to notebook ``P``
  (its ``AGENTS.md`` files up to the root that the user trusts, ``c.CodeAct.instructions``).
- ``GET trust?path=P``: ``{"files": [TrustFile...]}``, the project files of notebook ``P``
  (the root's ``.jupyter/mcp.json``, ``AGENTS.md`` files up to the root) that the user has
  not trusted as they are now, none of which runs use: ``{"path": real path, "label": path
  below the root, "kind": "mcp"|"rules", "sha256": str, "declined": bool (Not now, in
  this server's life), "servers": [{"name", "command"?, "cwd"?, "url"?, "env"?: [names],
  "headers"?: [names], "variables"?: [{"name", "given"}], "disabled"?, "problem"?}]
  (mcp), "excerpt": str, "truncated": bool (rules), "problem"?: str}``
  (:func:`jupyter_codeact.trust.describe`).
- ``POST trust`` with ``{"path": P, "decision": "trust"|"not_now", "files": [{"path",
  "sha256"}...]}``: the user's decision on exactly those files as shown (``execute``
  permission, as running code); 409 if one changed since (nothing recorded). Answers as
  ``GET trust``. Trust is recorded for every host (:mod:`jupyter_codeact.trust`); the next
  request uses the files.
- ``GET chats?path=P``: ``{"chats": [ChatInfo...], "problems": [str...]}`` of notebook
  ``P``, newest first; ``problems`` says which of its chat files could not be read and
  where they were moved.

Every body, query value and websocket message is bounded (:mod:`.limits`): what breaks a
limit gets a 400 (REST) or a ``problem`` (websocket) that names it.
- ``POST chats`` with ``{"path": P}``: a new, empty chat for notebook ``P`` (ChatInfo, 201).
- ``GET chats/{id}``: ``{"chat": ChatInfo, "entries": [ChatEntry...], "state": ChatState}``.
- ``DELETE chats/{id}``: forget a chat (204).

WebSocket ``chats/{id}/ws``: the server first sends a ``snapshot``; then

client -> server (:data:`ClientMessage`):

- ``{"type": "hello", "client_id": str}``: who this page is (one id per page load), so a
  reconnecting page is recognised.
- ``{"type": "document", "path": str, "applied": {chat_id: int}}``: this page has the
  chat's notebook open, and its copy holds the document operations up to ``applied``
  (per chat, from the notebook's metadata ``codeact.applied``). Sent once the notebook is
  loaded, and again after every reconnection: the page is sent what it lacks, then every
  operation as it happens (see ``ops``).
- ``{"type": "user_message", "text": str, "context": str?, "approval": "auto"|"ask"?,
  "action_style": "auto"|"tags"|"tools"?, "replace_failed": bool?, "user_cell": str?,
  "user_cell_id": str?, "selected_cell": str?, "position": "belowLast"|"end"?,
  "narrate": bool?, "untrusted": bool?, "model": str?, "reasoning_effort": str?}``: a
  request. ``model`` and ``reasoning_effort`` are the user's pick in the panel's header
  (absent: ``c.CodeAct.model`` and ``c.CodeAct.reasoning_effort``), checked against the
  endpoint's ``/v1/models`` (:mod:`.models`); a model it does not list is refused with a
  ``problem``. ``context`` is the notebook/kernel
  summary the panel gathered (the server bounds it); ``approval`` the mode chosen in the
  panel; ``action_style`` the panel's choice of how the model acts (absent:
  ``c.CodeAct.action_style``); ``replace_failed`` the panel's *Replace failed cells*
  setting (default: ``c.CodeAct.replace_failed_cells``); ``user_cell`` the id the panel
  gave the user's cell this request is about (Fix the Error), notebook cell
  ``user_cell_id``, which the agent may then change with the user's consent;
  ``selected_cell`` the notebook id of the cell selected when the user asked (new cells go
  below it when the chat has none yet); ``position`` the panel's *Where cells go*;
  ``narrate`` its *Explain steps in markdown cells*; ``untrusted`` its *Untrusted agent
  outputs*. Refused (a ``problem``) while a run is going on.
- ``{"type": "stop"}``: cancel the run (LLM stream cancelled, running cell interrupted, a
  pending approval skipped).
- ``{"type": "decide", "request_id": str, "run": bool, "code": str?}``: the user's answer
  to the pending approval: Run (``code``: what to run, maybe edited) or Skip; Accept or
  Reject of a change to their cell.
- ``{"type": "facts", "query_id": str, "facts": Facts}``: the answer to an ``inspect``.
- ``{"type": "undo", "entry_id": str}``: *Undo this turn*, the turn of the request whose
  entry ``entry_id`` lists its ``changes`` (:mod:`.review`); anyone with ``write`` on
  ``contents`` may. Refused (a ``problem``) while a run goes on, or when it was undone
  already.

server -> client (:data:`ServerMessage`):

- ``{"type": "snapshot", "chat": ChatInfo, "entries": [...], "state": ChatState,
  "approval": Approval|null}``
- ``{"type": "entry", "entry": ChatEntry}``: add the entry, or replace the one with its id.
- ``{"type": "delta", "id": str, "text": str, "field": "text"|"code"?}``: append streamed
  text to entry ``id``: to its ``text`` (an assistant reply or reasoning), or with
  ``field: "code"`` to the ``code`` of an assistant entry (the code of a native tool call
  as it streams). An ``entry`` with the whole reply follows when it is complete.
- ``{"type": "state", "state": ChatState, "tokens": int}``: what the agent is doing now,
  and the tokens the current run has used.
- ``{"type": "approval", "approval": Approval|null}``: what waits for the user now
  (``{"request_id", "action_id", "kind": "run"|"change", "code", "path", "cell_id"?,
  "before"?, "replaces"?}``; :mod:`.approvals`), or nothing any more.
- ``{"type": "ops", "path": str, "chat_id": str, "ops": [Op...], "disk"?: [Write...]}``:
  document operations of chat ``chat_id`` for notebook ``path``, in order
  (:mod:`.document.ops` lists them; each has ``op`` and ``seq``). The page applies them
  to its notebook and records the last ``seq`` in the notebook's metadata. ``disk`` (in
  what a page is sent when it comes back) lists the server's writes of the file while no
  page held it: ``{"before": hash, "after": hash, "applied": {chat_id: int}}``.
- ``{"type": "inspect", "query_id": str, "path": str, "chat_id": str, "ref": str,
  "cell_id": str, "user": bool, "cell"?: bool}``: what does the page's notebook hold of
  the chat's cell ``ref`` (or, with ``user``, of the user's cell ``cell_id``)? With
  ``cell``, the facts carry the one cell found, as it is (for an undo). Answered with ``facts``:
  ``{"found": int, "cell_ids": [str], "change": "edited"|"ran"|null, "source": str|null,
  "cell"?: nbformat cell}``.
- ``{"type": "chat", "chat": ChatInfo}``: the chat's metadata changed (e.g. the notebook
  was renamed).
- ``{"type": "problem", "message": str}``: a message from the client was refused.
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict

from ..core.events import ExecutionStatus
from .limits import DEFAULT_LIMITS, Limits, size

ChatState = Literal["idle", "thinking", "running", "waiting_approval", "done", "error"]
"""``idle``: never run or stopped; ``done``: the last run ended with an answer."""

Role = Literal[
    "user",
    "assistant",
    "action",
    "observation",
    "final",
    "error",
    "thinking",
    "condensed",
]
"""Entry roles; the panel renders each entry with ``data-codeact-role`` set to its role."""

EXECUTION_STATUSES = ("ok", "error", "timeout", "interrupted", "died", "skipped", "refused")
ACTION_STYLES = ("auto", "tags", "tools")


class _ChatInfo(TypedDict):
    id: str
    path: str
    """The notebook this chat belongs to (follows renames)."""
    title: str
    created: float
    updated: float
    root: str
    """The real path of the server root that ``path`` is relative to (a chat belongs to one
    notebook file, whichever folder the server was started in)."""


class ChatInfo(_ChatInfo, total=False):
    action_style: str
    """How the model acted in the chat's last run (``tags`` or ``tools``): the stored
    messages are in the standard OpenAI form of that style."""


class ChatEntry(TypedDict, total=False):
    """One item of the chat as the panel shows it. Every entry has ``id``, ``role``, ``time``.

    - user: ``text``, ``author`` (who asked, from the server's identity provider:
      ``{"username", "name", "display_name", "initials", "color"}``), ``queued`` (true
      while it waits for the run of another collaborator's request to end)
    - assistant: ``text`` (the model's raw reply, markdown with ``<execute>`` /
      ``<solution>`` blocks), ``turn``, ``streaming`` (bool), ``prose`` (once the reply is
      complete: what the panel shows of it, as the reply grammar reads it), ``code`` (while
      streaming: the code of a native tool call, as it arrives)
    - thinking: ``text`` (the model's reasoning; never run, never sent back), ``turn``,
      ``streaming``, ``duration_ms`` (how long it took to stream, once known)
    - action: ``code``, ``turn``, ``action_id``, ``request_id``, ``phase``
      (``pending`` | ``running`` | ``waiting_approval`` | ``finished``), ``cell_id``,
      ``cell`` (the model's id of the cell it ran in), ``replaces`` (the cell it asked to
      replace), ``replaced`` (bool: it did replace that cell's earlier code); ``keeps``
      (the failed cell it went below rather than replace), ``trim_to`` (what that cell was
      cut to; "" for kept whole, marked as failed) and ``note`` (what happened to that
      cell, in a sentence), when it kept one
    - observation: ``action_id``, ``turn``, ``status``, ``text`` (what the model read),
      ``code`` (what ran), ``outputs`` (nbformat, bounded by :mod:`.entry_outputs`: text,
      one image thumbnail, DataFrames as ``application/vnd.codeact.table+json``
      ``{"head", "body", "index_columns", "note"?}``), ``execution_count``,
      ``duration_ms`` (from the code going to the kernel to its result), ``cell_id``,
      ``note`` (what the status means for the user, when it is not ``ok`` or ``error``)
    - final: ``text``, ``turn``
    - condensed: ``text`` (older steps were condensed for the model to fit its context
      window; the chat keeps them all), ``turn``
    - user, once its run ended having changed the notebook (:mod:`.review`): ``turn_id``,
      ``changes`` (``[{"cell_id", "kind": "added"|"replaced", "cell_type",
      "ref" (the model's id of the cell), "role", "before" (source before the turn, for
      a replaced cell), "after" (source the turn left)}]``), ``undone`` once undone
      (``{"time", "removed": [cell_id], "restored": [cell_id], "kept": [{"cell_id",
      "ref", "kind", "why": "edited"|"ran"|"no_copy"|"unknown"}], "kernel_note"}``)
    - error: ``text`` (one sentence with the fix), ``kind`` (an ErrorKind, or
      ``max_turns`` | ``token_budget`` | ``stopped`` | ``interrupted`` (the server stopped
      mid-run) | ``internal`` | ``tools`` (an MCP server or function that cannot be used,
      or project files left out because the user has not trusted them))

    A user entry also records the ``model`` asked to answer it (exports say which model
    wrote a chat).
    """

    id: str
    role: Role
    time: float
    text: str
    turn: int
    streaming: bool
    code: str
    action_id: str
    request_id: str
    phase: str
    cell_id: str | None
    status: ExecutionStatus
    outputs: list[dict[str, Any]]
    execution_count: int | None
    duration_ms: float
    note: str
    kind: str
    prose: str
    model: str
    cell: str
    replaces: str
    replaced: bool
    author: dict[str, str]
    queued: bool
    keeps: str
    trim_to: str
    turn_id: str
    changes: list[dict[str, Any]]
    undone: dict[str, Any]


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
