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
- ``{"type": "user_message", "text": str, "context": str?, "approval": "auto"|"ask"?,
  "action_style": "auto"|"tags"|"tools"?, "replace_failed": bool?, "user_cell": str?}``: a
  request. ``context`` is the notebook/kernel summary the panel gathered (the server bounds
  it); ``approval`` the mode chosen in the panel; ``action_style`` the panel's choice of how
  the model acts (absent: ``c.CodeAct.action_style``); ``replace_failed`` the panel's
  *Replace failed cells* setting (default: ``c.CodeAct.replace_failed_cells``);
  ``user_cell`` the id the panel gave the user's cell this request is about (Fix the
  Error), which the agent may then name in a change the user accepts or rejects. Refused
  (a ``problem``) while a run is going on.
- ``{"type": "stop"}``: cancel the run (LLM stream cancelled, running cell interrupted).
- ``{"type": "approved", "request_id": str}``: the user pressed Run on an action that was
  waiting for approval; its cell is running now (its ``execute_result`` follows).
- ``{"type": "tool_call", "request_id": str, "call_id": str, "prompt": str}``: the cell of
  ``execute`` ``request_id`` called a tool: ``prompt`` is its kernel's ``input_request``
  prompt, ``call_id`` that message's id. Answered with a ``tool_result``; asked again (after
  a reconnection), the same answer comes back and the tool does not run twice.
- ``{"type": "execute_result", "request_id": str, "status": ExecutionStatus,
  "outputs": [nbformat output...], "code": str, "execution_count": int|null,
  "cell_id": str|null, "placement": ""|"new"|"replaced"?, "note": str?}``: the answer to an
  ``execute``; ``code`` is what ran (the user may have edited it), ``status`` ``skipped``
  if the user declined (or rejected a change to their cell), ``refused`` if the named cell
  may not be replaced (``note`` says why, for the model); ``placement`` where the code of a
  ``replaces`` request went.

server -> client (:data:`ServerMessage`):

- ``{"type": "snapshot", "chat": ChatInfo, "entries": [...], "state": ChatState}``
- ``{"type": "entry", "entry": ChatEntry}``: add the entry, or replace the one with its id.
- ``{"type": "delta", "id": str, "text": str, "field": "text"|"code"?}``: append streamed
  text to entry ``id``: to its ``text`` (an assistant reply or reasoning), or with
  ``field: "code"`` to the ``code`` of an assistant entry (the code of a native tool call
  as it streams). An ``entry`` with the whole reply follows when it is complete.
- ``{"type": "state", "state": ChatState, "tokens": int}``: what the agent is doing now,
  and the tokens the current run has used.
- ``{"type": "execute", "request_id": str, "action_id": str, "turn": int, "code": str,
  "timeout": float|null, "approval": "auto"|"ask", "path": str, "cell": str,
  "replaces": str, "or_new": bool, "tools"?: {"setup": str, "nonce": str}}``: insert
  ``code`` as a new cell of notebook ``path`` (whose id for the model is ``cell``), or,
  when ``replaces`` names a cell, put it in place of that cell's code (the rule is
  :mod:`jupyter_codeact.core.cells`; ``or_new``: a new cell if that one cannot be
  replaced, else refuse); run it (asking first if ``approval`` is ``ask``); answer with
  ``execute_result``. With ``tools``, first evaluate the expression ``setup`` silently in
  the kernel (a user expression), put ``{"codeact_tools": nonce}`` in the cell's execute
  request metadata, and relay its tool calls (``tool_call``). Sent once, to the page that
  sent the request: never again, so nothing runs twice.
- ``{"type": "tool_result", "call_id": str, "value": str}``: the ``input_reply`` value for
  a ``tool_call``.
- ``{"type": "interrupt", "request_id": str}``: the user stopped the run; interrupt that
  cell's kernel (or treat a pending approval as skipped) and answer as usual.
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
    "user", "assistant", "action", "observation", "final", "error", "thinking", "condensed"
]
"""Entry roles; the panel renders each entry with ``data-codeact-role`` set to its role."""

EXECUTION_STATUSES = ("ok", "error", "timeout", "interrupted", "died", "skipped", "refused")
PLACEMENTS = ("", "new", "replaced")
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

    - user: ``text``
    - assistant: ``text`` (the model's raw reply, markdown with ``<execute>`` /
      ``<solution>`` blocks), ``turn``, ``streaming`` (bool), ``prose`` (once the reply is
      complete: what the panel shows of it, as the reply grammar reads it), ``code`` (while
      streaming: the code of a native tool call, as it arrives)
    - thinking: ``text`` (the model's reasoning; never run, never sent back), ``turn``,
      ``streaming``, ``duration_ms`` (how long it took to stream, once known)
    - action: ``code``, ``turn``, ``action_id``, ``request_id``, ``phase``
      (``pending`` | ``running`` | ``waiting_approval`` | ``finished``), ``cell_id``,
      ``cell`` (the model's id of the cell it ran in), ``replaces`` (the cell it asked to
      replace), ``replaced`` (bool: it did replace that cell's earlier code)
    - observation: ``action_id``, ``turn``, ``status``, ``text`` (what the model read),
      ``code`` (what ran), ``outputs`` (nbformat, bounded), ``execution_count``,
      ``duration_ms`` (from sending ``execute`` to receiving its result), ``cell_id``,
      ``note`` (what the status means for the user, when it is not ``ok`` or ``error``)
    - final: ``text``, ``turn``
    - condensed: ``text`` (older steps were condensed for the model to fit its context
      window; the chat keeps them all), ``turn``
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
        replace_failed = message.get("replace_failed")
        if replace_failed is not None and not isinstance(replace_failed, bool):
            raise ProtocolError("'replace_failed' must be true or false.")
        return {
            "type": "user_message",
            "text": text,
            "context": _string(message, "context", required=False, limit=limits.max_context_chars),
            "approval": approval,
            "action_style": style,
            "replace_failed": replace_failed,
            "user_cell": _string(message, "user_cell", required=False, limit=ids) or "",
        }
    if kind == "stop":
        return {"type": "stop"}
    if kind == "approved":
        return {"type": "approved", "request_id": _string(message, "request_id", limit=ids)}
    if kind == "execute_result":
        status = message.get("status")
        if status not in EXECUTION_STATUSES:
            raise ProtocolError(f"'status' must be one of {', '.join(EXECUTION_STATUSES)}.")
        outputs = message.get("outputs", [])
        if not isinstance(outputs, list) or not all(isinstance(o, dict) for o in outputs):
            raise ProtocolError("'outputs' must be a list of nbformat outputs.")
        count = message.get("execution_count")
        placement = message.get("placement") or ""
        if placement not in PLACEMENTS:
            raise ProtocolError("'placement' must be 'new' or 'replaced'.")
        return {
            "type": "execute_result",
            "request_id": _string(message, "request_id", limit=ids),
            "status": status,
            "outputs": outputs,
            "code": _string(message, "code", required=False, limit=limits.max_context_chars),
            "execution_count": count if isinstance(count, int) else None,
            "cell_id": _string(message, "cell_id", required=False, limit=ids),
            "placement": placement,
            "note": _string(message, "note", required=False, limit=limits.max_context_chars) or "",
        }
    if kind == "tool_call":
        return {
            "type": "tool_call",
            "request_id": _string(message, "request_id", limit=ids),
            "call_id": _string(message, "call_id", limit=ids),
            "prompt": _string(message, "prompt"),
        }
    raise ProtocolError(f"Unknown message type {kind!r}.")
