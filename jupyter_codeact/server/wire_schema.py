"""The wire schema: every JSON shape the panel and the server exchange, once.

This module is the source of truth. ``src/wire/generated.ts`` (the panel's types and the
runtime guards that check each message from the server) is generated from it by
:mod:`.wire_ts`; ``make lint`` fails when the two disagree. :mod:`.protocol` says what the
messages mean and checks the client's.

To add a message or a field:

1. Declare it here: a ``TypedDict`` whose ``type`` (or, for a document operation, ``op``)
   is a one-value ``Literal``, added to :data:`ClientMessage`, :data:`ServerMessage` or
   :data:`DocumentOp`; a field is an annotated attribute (``NotRequired[...]`` when it may
   be absent), its docstring the line below it.
2. Run ``python -m jupyter_codeact.server.wire_ts`` and commit ``src/wire/generated.ts``.
3. A client message is also checked by :func:`.protocol.parse_client_message` (a test
   fails until it returns exactly the fields declared here); a server message is sent as
   declared (``tests/test_wire_schema.py`` checks what the server sends).

Python names become TypeScript names as they are, a ``TypedDict`` with an ``I`` before
it. Types the generator knows: ``str``, ``int``, ``float``, ``bool``, ``None``,
``Literal``, ``list``, ``dict[str, X]``, ``Any``, unions, the ``TypedDict`` classes and
aliases here (each named alias is emitted once and referred to by name), and
:data:`NbCell` / :data:`NbOutput` (nbformat's JSON, checked only as objects: the panel
reads them with JupyterLab's own code).

Longer than a module should be, on purpose: it is the whole protocol, one declaration per
shape (most of its lines are the docstrings the panel's types carry too), in one place
that the generator, the server's check and a reader each read whole.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Annotated, Any, Literal, Union

if sys.version_info >= (3, 11):
    from typing import NotRequired, TypedDict
else:  # Python 3.10: NotRequired is in typing_extensions (openai depends on it)
    from typing_extensions import NotRequired, TypedDict

from ..core.events import ExecutionStatus


@dataclass(frozen=True)
class External:
    """A type the panel takes from a library (the guard checks only that it is an object)."""

    typescript: str


NbCell = Annotated[dict[str, Any], External("nbformat.ICell")]
"""A notebook cell as nbformat JSON, with its ``id``."""

NbOutput = Annotated[dict[str, Any], External("nbformat.IOutput")]
"""One output of a code cell as nbformat JSON."""

TABLE_MIME = "application/vnd.codeact.table+json"
"""The MIME type of a DataFrame in an observation's ``outputs``: a compact table the
server read from pandas' HTML (never HTML itself)."""

# -- values ------------------------------------------------------------------------------

ChatState = Literal["idle", "thinking", "running", "waiting_approval", "done", "error"]
"""What the agent is doing now. ``idle``: never run or stopped; ``done``: the last run
ended with an answer."""

Role = Literal[
    "user", "assistant", "action", "observation", "final", "error", "thinking", "condensed"
]
"""Entry roles; each rendered entry carries ``data-codeact-role`` = its role."""

ActionPhase = Literal["pending", "running", "waiting_approval", "finished"]
"""Where an action is in its round trip."""

ApprovalMode = Literal["auto", "ask"]
"""Whether each action runs at once or waits for the user's approval."""

ActionStyle = Literal["auto", "tags", "tools"]
"""How the model acts: code in ``<execute>`` tags, native tool calls (one function whose
argument is the code), or ``auto`` (tools where the endpoint takes them, else tags)."""

CellPosition = Literal["belowLast", "end"]
"""Where the panel puts new cells (its *Where cells go* setting)."""

TrustDecision = Literal["trust", "not_now"]
"""The user's decision on project files."""

# -- chats -------------------------------------------------------------------------------


class ChatInfo(TypedDict):
    """A chat's metadata."""

    id: str
    path: str
    """The notebook this chat belongs to (follows renames)."""
    title: str
    created: float
    updated: float
    root: NotRequired[str]
    """The real path of the server root that ``path`` is relative to (a chat belongs to
    one notebook file, whichever folder the server was started in)."""
    action_style: NotRequired[str]
    """How the model acted in the chat's last run (``tags`` or ``tools``): the stored
    messages are in the standard OpenAI form of that style."""


class Author(TypedDict):
    """Who asked: a user of jupyter_server's identity provider."""

    username: str
    name: NotRequired[str]
    display_name: NotRequired[str]
    initials: NotRequired[str]
    color: NotRequired[str]


class TableData(TypedDict):
    """The data of :data:`TABLE_MIME`."""

    head: list[list[str]]
    body: list[list[str]]
    index_columns: int
    """Leading columns of the body that are the index."""
    note: NotRequired[str]
    """What pandas said of its size, and what was cut."""


class ChatEntry(TypedDict):
    """One item of the chat as the panel shows it. Every entry has ``id``, ``role`` and
    ``time``; the other fields depend on the role:

    - user: ``text``, ``author`` (who asked), ``queued`` (true while it waits for the run
      of another collaborator's request to end), ``model`` (the model asked to answer it:
      exports say which model wrote a chat)
    - assistant: ``text`` (the model's raw reply, markdown with ``<execute>`` /
      ``<solution>`` blocks), ``turn``, ``streaming``, ``prose`` (once the reply is
      complete: what the panel shows of it, as the reply grammar reads it), ``code``
      (while streaming: the code of a native tool call, as it arrives)
    - thinking: ``text`` (the model's reasoning; never run, never sent back), ``turn``,
      ``streaming``, ``duration_ms`` (how long it took to stream, once known)
    - action: ``code``, ``turn``, ``action_id``, ``request_id``, ``phase`` (an
      ActionPhase), ``cell_id``, ``cell`` (the model's id of the cell it ran in),
      ``replaces`` (the cell it asked to replace), ``replaced`` (it did replace that
      cell's earlier code); ``keeps`` (the failed cell it went below rather than
      replace), ``trim_to`` (what that cell was cut to; "" for kept whole, marked as
      failed) and ``note`` (what happened to that cell, in a sentence), when it kept one
    - observation: ``action_id``, ``turn``, ``status``, ``text`` (what the model read),
      ``code`` (what ran), ``outputs`` (nbformat, bounded by :mod:`.entry_outputs`: text,
      one image thumbnail, DataFrames as :data:`TABLE_MIME`), ``execution_count``,
      ``duration_ms`` (from the code going to the kernel to its result), ``cell_id``,
      ``note`` (what the status means for the user, when it is not ``ok`` or ``error``)
    - final: ``text``, ``turn``
    - condensed: ``text`` (older steps were condensed for the model to fit its context
      window; the chat keeps them all), ``turn``
    - error: ``text`` (one sentence with the fix), ``kind`` (an ErrorKind, or
      ``max_turns`` | ``token_budget`` | ``stopped`` | ``interrupted`` (the server
      stopped mid-run) | ``internal`` | ``tools`` (an MCP server or function that cannot
      be used, or project files left out because the user has not trusted them))

    A user entry whose run changed the notebook also has ``turn_id``, ``changes`` (the
    cells the turn changed, :mod:`.review`) and, once the turn was undone, ``undone``.
    """

    id: str
    role: Role
    time: float
    text: NotRequired[str]
    turn: NotRequired[int]
    streaming: NotRequired[bool]
    code: NotRequired[str]
    action_id: NotRequired[str]
    request_id: NotRequired[str]
    phase: NotRequired[str]
    cell_id: NotRequired[str | None]
    status: NotRequired[ExecutionStatus]
    outputs: NotRequired[list[NbOutput]]
    execution_count: NotRequired[int | None]
    duration_ms: NotRequired[float]
    note: NotRequired[str]
    kind: NotRequired[str]
    prose: NotRequired[str]
    model: NotRequired[str]
    cell: NotRequired[str]
    replaces: NotRequired[str]
    replaced: NotRequired[bool]
    author: NotRequired[Author]
    queued: NotRequired[bool]
    keeps: NotRequired[str]
    trim_to: NotRequired[str]
    turn_id: NotRequired[str]
    changes: NotRequired[list[TurnChange]]
    undone: NotRequired[TurnUndone]


class TurnChange(TypedDict):
    """One cell a turn changed (:mod:`.review.journal`): added, or replaced."""

    cell_id: str
    kind: Literal["added", "replaced"]
    cell_type: str
    ref: str
    """The model's id of the cell (``c3a1``), or "" (the user's cell)."""
    role: str
    """``narration`` for an explanation cell, else ""."""
    before: str | None
    """The cell's source before the turn (a replaced cell)."""
    after: str
    """The source the turn left."""


class KeptCell(TypedDict):
    """A cell an undo left alone, and why."""

    cell_id: str
    ref: str
    kind: Literal["added", "replaced"]
    why: Literal["edited", "ran", "no_copy", "unknown"]


class TurnUndone(TypedDict):
    """What an undo did: cells removed and restored, and the cells it kept."""

    time: float
    removed: list[str]
    restored: list[str]
    kept: list[KeptCell]
    kernel_note: str
    """That the kernel's state is not undone, and what to do."""


class Approval(TypedDict):
    """What waits for the user (held by the server, :mod:`.approvals`): Run / Edit / Skip
    of an action (``run``), or Accept / Reject of a change to the user's cell
    (``change``, with the cell's current source in ``before``)."""

    request_id: str
    action_id: str
    kind: Literal["run", "change"]
    code: str
    path: str
    cell_id: NotRequired[str]
    before: NotRequired[str]
    replaces: NotRequired[str]


# -- REST --------------------------------------------------------------------------------


class PublicConfig(TypedDict):
    """``GET codeact/config``: the server's settings, never the API key
    (:meth:`jupyter_codeact.config.CodeAct.public_settings`)."""

    model: str
    base_url: str | None
    has_api_key: bool
    configured: bool
    max_turns: int
    cell_timeout: float
    approval_mode: ApprovalMode
    action_style: NotRequired[ActionStyle]
    """``c.CodeAct.action_style``."""
    untrusted_agent_outputs: NotRequired[bool]
    """Render the agent's cells' outputs untrusted (``c.CodeAct.untrusted_agent_outputs``)."""
    problem: str | None
    """Why no model can be used, with the fix; null when configured."""


class ChatList(TypedDict):
    """``GET codeact/chats?path=P``: the chats of notebook ``P``, newest first."""

    chats: list[ChatInfo]
    problems: NotRequired[list[str]]
    """Chat files of this notebook that could not be read: what and where they went."""


class ChatDetail(TypedDict):
    """``GET codeact/chats/{id}``."""

    chat: ChatInfo
    entries: list[ChatEntry]
    state: ChatState
    approval: NotRequired[Approval | None]


class Rules(TypedDict):
    """``GET codeact/rules?path=P``: where the rules the agent follows for notebook ``P``
    come from (its AGENTS.md files up to the root that the user trusts,
    ``c.CodeAct.instructions``)."""

    files: list[str]


class ModelInfo(TypedDict):
    """One model of ``GET codeact/models``."""

    id: str
    reasoning_effort: bool
    """Whether the model takes a reasoning effort."""


class ModelList(TypedDict):
    """``GET codeact/models[?refresh=1]``: what the endpoint's ``/v1/models`` lists (the
    configured model always among them), for the panel's picker."""

    models: list[ModelInfo]
    default: str
    """``c.CodeAct.model``."""
    efforts: list[str]
    """The reasoning efforts the server accepts."""
    problem: str | None
    """Why the list could not be read (then only the default is offered)."""


class SetupDocs(TypedDict):
    """``GET codeact/docs/setup``: the README's section on pointing the agent at a model,
    from the installed package."""

    title: str
    markdown: str


class TrustVariable(TypedDict):
    """A variable of the user's that a project's server names as ``${NAME}``."""

    name: str
    given: bool
    """Whether ``c.CodeAct.project_variables`` gives it."""


class TrustServer(TypedDict):
    """One server of a project's ``mcp.json``, as the trust prompt shows it."""

    name: str
    command: NotRequired[str]
    """The command it would run, as written (nothing expanded)."""
    cwd: NotRequired[str]
    url: NotRequired[str]
    """The URL it would call, as written."""
    env: NotRequired[list[str]]
    """Names of the environment variables it sets."""
    headers: NotRequired[list[str]]
    """Names of the headers it sets."""
    variables: NotRequired[list[TrustVariable]]
    disabled: NotRequired[bool]
    problem: NotRequired[str]


class TrustFile(TypedDict):
    """A project file waiting for the user's trust (:func:`jupyter_codeact.trust.describe`):
    ``kind`` ``mcp`` (its servers) or ``rules`` (an AGENTS.md, its text in ``excerpt``).
    ``path`` and ``sha256`` go back with the decision: exactly this content is trusted."""

    path: str
    """The real path."""
    label: str
    """The path below the root."""
    kind: Literal["mcp", "rules"]
    sha256: str
    declined: bool
    """The user said Not now to this content (in this server's life)."""
    servers: NotRequired[list[TrustServer]]
    excerpt: NotRequired[str]
    truncated: NotRequired[bool]
    problem: NotRequired[str]


class TrustList(TypedDict):
    """``GET codeact/trust?path=P``, and the answer to ``POST codeact/trust``
    (``{path, decision, files: [{path, sha256}]}``; 409 when a file changed since it was
    shown): the project files of notebook ``P`` the user has not trusted."""

    files: list[TrustFile]


class ContextExpression(TypedDict):
    """``GET codeact/context/expression``."""

    expression: str


# -- documents ---------------------------------------------------------------------------
# What the agent changes in a notebook, one small step each (``server/document/ops.py``
# says what each does). Each names its cell by id and carries the state it sets.


class InsertOp(TypedDict):
    """A new cell, unless a cell with its id exists."""

    op: Literal["insert"]
    seq: int
    cell: NbCell
    """The new cell, with its ``id``."""
    after: str
    """Below this cell (the chat's last), if it is there."""
    selected: str
    """Else (no cell of the chat either): below this one, selected when asked."""
    at_end: bool


class SourceOp(TypedDict):
    """The cell's source; with ``if_hash``, only if its source still has that hash."""

    op: Literal["source"]
    seq: int
    cell_id: str
    source: str
    if_hash: NotRequired[str]


class ProvenanceOp(TypedDict):
    """The cell's ``metadata.codeact`` (null removes it)."""

    op: Literal["provenance"]
    seq: int
    cell_id: str
    value: dict[str, Any] | None


class OutputsOp(TypedDict):
    """The cell's outputs and count as they are now."""

    op: Literal["outputs"]
    seq: int
    cell_id: str
    outputs: list[NbOutput]
    execution_count: int | None
    running: NotRequired[bool]
    """Sent to a page that comes back mid-run: the cell still runs."""


class OutputOp(TypedDict):
    """The output at ``index`` (added when it is the next one, replaced when it exists)."""

    op: Literal["output"]
    seq: int
    cell_id: str
    index: int
    output: NbOutput


class StreamOp(TypedDict):
    """``text`` appended to the stream output at ``index`` when ``offset`` characters of
    it have arrived."""

    op: Literal["stream"]
    seq: int
    cell_id: str
    index: int
    name: str
    offset: int
    text: str


class ClearOp(TypedDict):
    """The running cell's code cleared its outputs."""

    op: Literal["clear"]
    seq: int
    cell_id: str


class RunningOp(TypedDict):
    """The cell is running."""

    op: Literal["running"]
    seq: int
    cell_id: str


class NarrateOp(TypedDict):
    """The markdown ``cell`` explains code cell ``cell_id``, just above it."""

    op: Literal["narrate"]
    seq: int
    cell_id: str
    cell: NbCell


class KeepOp(TypedDict):
    """The failed cell an action goes below rather than replace: cut to ``trim_to``
    (errors out, ``code_hash`` the cut's), or with "" kept whole and tagged
    ``raises-exception``."""

    op: Literal["keep"]
    seq: int
    cell_id: str
    trim_to: str
    code_hash: NotRequired[str]


class UnmarkOp(TypedDict):
    """A cell kept whole had its code replaced: its tag goes."""

    op: Literal["unmark"]
    seq: int
    cell_id: str


class PendingMark(TypedDict):
    """``metadata.codeact.pending``: the action that waits in the cell."""

    request_id: str
    code: NotRequired[str]
    """A replacement of the cell's code: the proposal (the cell keeps its own)."""


class PendingOp(TypedDict):
    """An action waits for approval in this agent cell (``value``: its request and the
    proposed code, shown as a diff), or no longer (null)."""

    op: Literal["pending"]
    seq: int
    cell_id: str
    value: PendingMark | None


class RemoveOp(TypedDict):
    """A skipped action's pending cell goes (only while it still waits)."""

    op: Literal["remove"]
    seq: int
    cell_id: str
    request_id: str


class UndoLeft(TypedDict):
    """What a turn left in a cell, as an ``undo`` checks it."""

    cell_id: str
    code_hash: str
    execution_count: NotRequired[int | None]
    """Present for a code cell."""


class UndoRestore(TypedDict):
    """A cell an ``undo`` gives back, if it still is what the turn left."""

    cell_id: str
    code_hash: str
    execution_count: NotRequired[int | None]
    cell: NbCell
    """The cell as it was before the turn."""


class UndoOp(TypedDict):
    """A turn taken back (:mod:`.document.undo`), in one change: each cell is removed, or
    given back its earlier ``cell``, only if it still is what the turn left (the hash of
    its source, its execution count)."""

    op: Literal["undo"]
    seq: int
    turn_id: str
    remove: list[UndoLeft]
    restore: list[UndoRestore]


DocumentOp = Union[  # noqa: UP007 (a runtime union the generator reads)
    InsertOp,
    SourceOp,
    ProvenanceOp,
    OutputsOp,
    OutputOp,
    StreamOp,
    ClearOp,
    RunningOp,
    NarrateOp,
    KeepOp,
    UnmarkOp,
    PendingOp,
    RemoveOp,
    UndoOp,
]
"""A document operation: what the agent changes in a notebook, one small step."""


class DiskWrite(TypedDict):
    """One write of the notebook's file by the server while no page had it open: its hash
    before and after, and the operations it then held, per chat."""

    before: str | None
    after: str | None
    applied: dict[str, int]


class Facts(TypedDict):
    """What a page's notebook holds of a cell the agent wants to change."""

    found: int
    cell_ids: list[str]
    change: Literal["edited", "ran"] | None
    source: str | None
    cell: NotRequired[NbCell]
    """The one cell found, as it is (asked with ``cell``: what an undo gives back)."""


# -- client -> server --------------------------------------------------------------------


class HelloMessage(TypedDict):
    """Who this page is (one id per page load), so a reconnecting page is recognised."""

    type: Literal["hello"]
    client_id: str


class DocumentMessage(TypedDict):
    """This page has the chat's notebook open; its copy holds the operations up to
    ``applied`` (per chat, from the notebook's metadata ``codeact.applied``)."""

    type: Literal["document"]
    path: str
    applied: dict[str, int]


class UserMessage(TypedDict):
    """A request (refused with a ``problem`` while a run is going on)."""

    type: Literal["user_message"]
    text: str
    context: NotRequired[str | None]
    """The notebook/kernel summary the panel gathered (the server bounds it)."""
    approval: NotRequired[ApprovalMode | None]
    """The mode chosen in the panel (:mod:`.resolve` has the rule: the server's ``ask`` is
    a floor)."""
    action_style: NotRequired[ActionStyle | None]
    """The panel's choice; absent: ``c.CodeAct.action_style``."""
    replace_failed: NotRequired[bool | None]
    """The panel's *Replace failed cells with their fix* (absent: on)."""
    user_cell: NotRequired[str]
    """The id the panel gave the user's cell this request is about (Fix the Error)."""
    user_cell_id: NotRequired[str]
    """That cell's notebook id, which the agent may then change with the user's consent."""
    selected_cell: NotRequired[str]
    """The notebook id of the cell selected when the user asked (new cells go below it
    when the chat has none yet)."""
    position: NotRequired[CellPosition]
    narrate: NotRequired[bool]
    """Explain each step in a markdown cell above it."""
    untrusted: NotRequired[bool]
    """Render the agent's outputs untrusted (the server's setting is a floor)."""
    model: NotRequired[str | None]
    """The user's pick of model (absent: ``c.CodeAct.model``), checked against the
    endpoint's ``/v1/models``."""
    reasoning_effort: NotRequired[str | None]
    """The user's pick of reasoning effort (absent: ``c.CodeAct.reasoning_effort``)."""


class StopMessage(TypedDict):
    """Cancel the run (LLM stream cancelled, running cell interrupted, a pending approval
    skipped)."""

    type: Literal["stop"]


class DecideMessage(TypedDict):
    """The user's answer to the pending approval: Run (``code``: what to run, maybe
    edited) or Skip; Accept or Reject of a change to their cell."""

    type: Literal["decide"]
    request_id: str
    run: bool
    code: NotRequired[str | None]


class FactsMessage(TypedDict):
    """The answer to an ``inspect``."""

    type: Literal["facts"]
    query_id: str
    facts: Facts


class UndoMessage(TypedDict):
    """*Undo this turn*: the turn of the request whose entry ``entry_id`` lists its
    ``changes``."""

    type: Literal["undo"]
    entry_id: str


ClientMessage = Union[  # noqa: UP007 (a runtime union the generator reads)
    HelloMessage,
    DocumentMessage,
    UserMessage,
    StopMessage,
    DecideMessage,
    FactsMessage,
    UndoMessage,
]
"""What the panel sends on a chat's websocket."""

# -- server -> client --------------------------------------------------------------------


class SnapshotMessage(TypedDict):
    """The whole chat, sent first on every connection."""

    type: Literal["snapshot"]
    chat: ChatInfo
    entries: list[ChatEntry]
    state: ChatState
    approval: NotRequired[Approval | None]
    """What waits for the user now."""


class EntryMessage(TypedDict):
    """Add the entry, or replace the one with its id."""

    type: Literal["entry"]
    entry: ChatEntry


class DeltaMessage(TypedDict):
    """Append streamed text to entry ``id``: to its ``text`` (an assistant reply or
    reasoning), or with ``field: "code"`` to its ``code`` (the code of a native tool call
    as it streams). An ``entry`` with the whole reply follows when it is complete."""

    type: Literal["delta"]
    id: str
    text: str
    field: NotRequired[Literal["text", "code"]]


class StateMessage(TypedDict):
    """What the agent is doing now, and the tokens the current run has used."""

    type: Literal["state"]
    state: ChatState
    tokens: int


class ApprovalMessage(TypedDict):
    """What waits for the user now, or nothing any more."""

    type: Literal["approval"]
    approval: Approval | None


class OpsMessage(TypedDict):
    """Document operations of chat ``chat_id`` for notebook ``path``, in order. The page
    applies them and records the last ``seq`` in the notebook's metadata."""

    type: Literal["ops"]
    path: str
    chat_id: str
    ops: list[DocumentOp]
    disk: NotRequired[list[DiskWrite]]
    """In what a page is sent when it comes back: the server's writes of the file while
    no page held it."""
    shared: NotRequired[bool]
    """Real-time collaboration: the server wrote the operations into the notebook's shared
    document; the page follows them and applies nothing."""


class InspectMessage(TypedDict):
    """What does the page's notebook hold of the chat's cell ``ref`` (or, with ``user``,
    of the user's cell ``cell_id``)? Answered with ``facts``."""

    type: Literal["inspect"]
    query_id: str
    path: str
    chat_id: str
    ref: str
    cell_id: str
    user: bool
    cell: NotRequired[bool]
    """Answer with the one cell found, as it is (for an undo)."""


class ChatChangedMessage(TypedDict):
    """The chat's metadata changed (e.g. the notebook was renamed)."""

    type: Literal["chat"]
    chat: ChatInfo


class ProblemMessage(TypedDict):
    """A message from the client was refused, and why."""

    type: Literal["problem"]
    message: str


ServerMessage = Union[  # noqa: UP007 (a runtime union the generator reads)
    SnapshotMessage,
    EntryMessage,
    DeltaMessage,
    StateMessage,
    ApprovalMessage,
    OpsMessage,
    InspectMessage,
    ChatChangedMessage,
    ProblemMessage,
]
"""What the server sends on a chat's websocket."""
