/**
 * The chat wire protocol between the panel and the server; mirrors
 * `jupyter_codeact/server/protocol.py` (read its docstring). Change both
 * files together. Longer than a module should be because it is the whole
 * schema in one place (types and runtime guards side by side), until it is
 * generated from the Python side.
 */
import type * as nbformat from '@jupyterlab/nbformat';

/**
 * What the agent is doing now. `idle`: never run or stopped; `done`: the
 * last run ended with an answer.
 */
export type ChatState =
  'idle' | 'thinking' | 'running' | 'waiting_approval' | 'done' | 'error';

export const CHAT_STATES: readonly ChatState[] = [
  'idle',
  'thinking',
  'running',
  'waiting_approval',
  'done',
  'error'
];

/**
 * Entry roles; each rendered entry carries `data-codeact-role` = its role.
 */
export type Role =
  | 'user'
  | 'assistant'
  | 'action'
  | 'observation'
  | 'final'
  | 'error'
  | 'thinking'
  | 'condensed';

export const ROLES: readonly Role[] = [
  'user',
  'assistant',
  'action',
  'observation',
  'final',
  'error',
  'thinking',
  'condensed'
];

/**
 * How an action's execution ended: `died` means the kernel died (state is
 * lost), `skipped` that the user declined to run it, `refused` that it
 * named a cell it may not replace (nothing ran).
 */
export type ExecutionStatus =
  'ok' | 'error' | 'timeout' | 'interrupted' | 'died' | 'skipped' | 'refused';

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = [
  'ok',
  'error',
  'timeout',
  'interrupted',
  'died',
  'skipped',
  'refused'
];

/**
 * Where an action is in its round trip.
 */
export type ActionPhase =
  'pending' | 'running' | 'waiting_approval' | 'finished';

/** Whether each action runs at once or waits for the user's approval. */
export type ApprovalMode = 'auto' | 'ask';

/**
 * How the model acts: code in `<execute>` tags, native tool calls (one
 * function whose argument is the code), or `auto` (tools where the
 * endpoint takes them, else tags).
 */
export type ActionStyle = 'auto' | 'tags' | 'tools';

export const ACTION_STYLES: readonly ActionStyle[] = ['auto', 'tags', 'tools'];

export interface IChatInfo {
  id: string;
  /** The notebook this chat belongs to (follows renames). */
  path: string;
  title: string;
  created: number;
  updated: number;
  /** The real path of the server root `path` is relative to. */
  root?: string;
  /** How the model acted in the last run (`tags` or `tools`). */
  action_style?: string;
}

/**
 * One item of the chat as the panel shows it. Every entry has `id`, `role`
 * and `time`; the other fields depend on the role:
 *
 * - user: `text`, `author` (who asked, from the server's identity
 *   provider), `queued` (it waits for the run of another collaborator's
 *   request to end)
 * - assistant: `text` (the raw reply with `<execute>` / `<solution>`
 *   blocks), `turn`, `streaming`, `prose` (once complete: what to show of
 *   it, as the server's reply grammar reads it), `code` (while streaming:
 *   the code of a native tool call as it arrives)
 * - thinking: `text` (the model's reasoning), `turn`, `streaming`,
 *   `duration_ms` (how long it took, once known)
 * - action: `code`, `turn`, `action_id`, `request_id`, `phase`, `cell_id`,
 *   `cell` (the model's id of the cell it ran in), `replaces` (the cell it
 *   asked to replace), `replaced` (it did replace that cell's code),
 *   `keeps` (the failed cell it went below rather than replace), `trim_to`
 *   (what that cell was cut to, '' for kept whole), `note` (what happened
 *   to that cell, in a sentence)
 * - observation: `action_id`, `turn`, `status`, `text`, `code`, `outputs`
 *   (nbformat, bounded: text, one image thumbnail, DataFrames as
 *   {@link TABLE_MIME}), `execution_count`, `duration_ms`, `cell_id`,
 *   `note` (what the status means, when it is not `ok` or `error`)
 * - final: `text`, `turn`
 * - condensed: `text` (older steps were condensed for the model to fit its
 *   context window; the chat keeps them all), `turn`
 * - error: `text`, `kind` (`tools`: a tool that cannot be used, or project
 *   files left out because the user has not trusted them)
 *
 * A user entry also records the `model` asked to answer it.
 */
export interface IChatEntry {
  id: string;
  role: Role;
  time: number;
  text?: string;
  turn?: number;
  streaming?: boolean;
  code?: string;
  action_id?: string;
  request_id?: string;
  phase?: ActionPhase | string;
  cell_id?: string | null;
  status?: ExecutionStatus;
  outputs?: nbformat.IOutput[];
  execution_count?: number | null;
  duration_ms?: number;
  note?: string;
  kind?: string;
  prose?: string;
  model?: string;
  cell?: string;
  replaces?: string;
  replaced?: boolean;
  author?: IAuthor;
  queued?: boolean;
  keeps?: string;
  trim_to?: string;
  /** A request whose run changed the notebook: its turn (`ITurnChange`). */
  turn_id?: string;
  changes?: ITurnChange[];
  /** Once the turn was undone: what the undo did and kept. */
  undone?: ITurnUndone;
}

/**
 * One cell a turn changed (`jupyter_codeact/server/review/journal.py`):
 * added, or replaced (`before` is its source before the turn, `after` what
 * the turn left).
 */
export interface ITurnChange {
  cell_id: string;
  kind: 'added' | 'replaced';
  cell_type: string;
  /** The model's id of the cell (`c3a1`), or '' (the user's cell). */
  ref: string;
  /** `narration` for an explanation cell, else ''. */
  role: string;
  before: string | null;
  after: string;
}

/** What an undo did: cells removed and restored, and the cells it kept. */
export interface ITurnUndone {
  time: number;
  removed: string[];
  restored: string[];
  kept: {
    cell_id: string;
    ref: string;
    kind: 'added' | 'replaced';
    why: 'edited' | 'ran' | 'no_copy' | 'unknown';
  }[];
  /** That the kernel's state is not undone, and what to do. */
  kernel_note: string;
}

/**
 * The MIME type of a DataFrame in an observation's `outputs`: a compact
 * table the server read from pandas' HTML (never HTML itself).
 */
export const TABLE_MIME = 'application/vnd.codeact.table+json';

/** The data of {@link TABLE_MIME}. */
export interface ITableData {
  head: string[][];
  body: string[][];
  /** Leading columns of the body that are the index. */
  index_columns: number;
  /** What pandas said of its size, and what was cut. */
  note?: string;
}

/** Who asked: a user of jupyter_server's identity provider. */
export interface IAuthor {
  username: string;
  name?: string;
  display_name?: string;
  initials?: string;
  color?: string;
}

// -- REST -------------------------------------------------------------------

/**
 * `GET codeact/config`: the server's settings, never the API key.
 */
export interface IPublicConfig {
  model: string;
  base_url: string | null;
  has_api_key: boolean;
  configured: boolean;
  max_turns: number;
  cell_timeout: number;
  approval_mode: ApprovalMode;
  /** `c.CodeAct.action_style`. */
  action_style?: ActionStyle;
  /** Render the agent's cells' outputs untrusted (`c.CodeAct.untrusted_agent_outputs`). */
  untrusted_agent_outputs?: boolean;
  /** Why no model can be used, with the fix; null when configured. */
  problem: string | null;
}

/** `GET codeact/chats?path=P` (newest first). */
export interface IChatList {
  chats: IChatInfo[];
  /** Chat files of this notebook that could not be read: what and where they went. */
  problems?: string[];
}

/** `GET codeact/chats/{id}`. */
export interface IChatDetail {
  chat: IChatInfo;
  entries: IChatEntry[];
  state: ChatState;
  approval?: IApproval | null;
}

/**
 * `GET codeact/rules?path=P`: where the rules the agent follows for
 * notebook `P` come from (its AGENTS.md files, `c.CodeAct.instructions`).
 */
export interface IRules {
  files: string[];
}

/** One model of `GET codeact/models`. */
export interface IModelInfo {
  id: string;
  /** Whether the model takes a reasoning effort. */
  reasoning_effort: boolean;
}

/**
 * `GET codeact/models[?refresh=1]`: what the endpoint's `/v1/models` lists
 * (the configured model always among them), for the panel's picker.
 */
export interface IModelList {
  models: IModelInfo[];
  /** `c.CodeAct.model`. */
  default: string;
  /** The reasoning efforts the server accepts. */
  efforts: string[];
  /** Why the list could not be read (then only the default is offered). */
  problem: string | null;
}

/**
 * `GET codeact/docs/setup`: the README's section on pointing the agent at
 * a model, from the installed package.
 */
export interface ISetupDocs {
  title: string;
  markdown: string;
}

/** One server of a project's `mcp.json`, as the trust prompt shows it. */
export interface ITrustServer {
  name: string;
  /** The command it would run, as written (nothing expanded). */
  command?: string;
  cwd?: string;
  /** The URL it would call, as written. */
  url?: string;
  /** Names of the environment variables and headers it sets. */
  env?: string[];
  headers?: string[];
  /** Your variables it names as `${NAME}`; `given` if `c.CodeAct.project_variables` allows. */
  variables?: { name: string; given: boolean }[];
  disabled?: boolean;
  problem?: string;
}

/**
 * A project file waiting for the user's trust: `kind` `mcp` (its servers)
 * or `rules` (an AGENTS.md, its text in `excerpt`). `path` and `sha256` go
 * back with the decision: exactly this content is trusted.
 */
export interface ITrustFile {
  path: string;
  label: string;
  kind: 'mcp' | 'rules';
  sha256: string;
  /** The user said Not now to this content (in this server's life). */
  declined: boolean;
  servers?: ITrustServer[];
  excerpt?: string;
  truncated?: boolean;
  problem?: string;
}

/**
 * `GET codeact/trust?path=P`, and the answer to `POST codeact/trust`
 * (`{path, decision: 'trust' | 'not_now', files: [{path, sha256}]}`; 409
 * when a file changed since it was shown): the project files of notebook
 * `P` the user has not trusted.
 */
export interface ITrustList {
  files: ITrustFile[];
}

export type TrustDecision = 'trust' | 'not_now';

/** `GET codeact/context/expression`. */
export interface IContextExpression {
  expression: string;
}

// -- documents ---------------------------------------------------------------

/**
 * A document operation: what the agent changes in a notebook, one small step
 * (`jupyter_codeact/server/document/ops.py` lists them). Each names its cell
 * by id and carries the state it sets, so applying it twice changes nothing.
 */
export type DocumentOp =
  | {
      op: 'insert';
      seq: number;
      /** The new cell, as nbformat JSON with its `id`. */
      cell: nbformat.ICell;
      /** Below this cell (the chat's last), if it is there. */
      after: string;
      /** Else (no cell of the chat either): below this one, selected when asked. */
      selected: string;
      at_end: boolean;
    }
  | {
      op: 'source';
      seq: number;
      cell_id: string;
      source: string;
      if_hash?: string;
    }
  | {
      op: 'provenance';
      seq: number;
      cell_id: string;
      value: Record<string, unknown> | null;
    }
  | {
      op: 'outputs';
      seq: number;
      cell_id: string;
      outputs: nbformat.IOutput[];
      execution_count: number | null;
      /** Sent to a page that comes back mid-run: the cell still runs. */
      running?: boolean;
    }
  | {
      op: 'output';
      seq: number;
      cell_id: string;
      index: number;
      output: nbformat.IOutput;
    }
  | {
      op: 'stream';
      seq: number;
      cell_id: string;
      index: number;
      name: string;
      offset: number;
      text: string;
    }
  | { op: 'clear'; seq: number; cell_id: string }
  | { op: 'running'; seq: number; cell_id: string }
  | { op: 'narrate'; seq: number; cell_id: string; cell: nbformat.ICell }
  | {
      /**
       * The failed cell an action goes below rather than replace: cut to
       * `trim_to` (errors out, `code_hash` the cut's), or with '' kept whole
       * and tagged `raises-exception`.
       */
      op: 'keep';
      seq: number;
      cell_id: string;
      trim_to: string;
      code_hash?: string;
    }
  /** A cell kept whole had its code replaced: its tag goes. */
  | { op: 'unmark'; seq: number; cell_id: string }
  | {
      /**
       * A turn taken back (`server/document/undo.py`), in one change: each
       * cell is removed, or given back `cell`, only if it still is what the
       * turn left (`code_hash` of its source, its `execution_count`).
       */
      op: 'undo';
      seq: number;
      turn_id: string;
      remove: IUndoLeft[];
      restore: (IUndoLeft & { cell: nbformat.ICell })[];
    };

/** What a turn left in a cell, as an `undo` checks it. */
export interface IUndoLeft {
  cell_id: string;
  code_hash: string;
  /** Present for a code cell. */
  execution_count?: number | null;
}

export const DOCUMENT_OPS: readonly DocumentOp['op'][] = [
  'insert',
  'source',
  'provenance',
  'outputs',
  'output',
  'stream',
  'clear',
  'running',
  'narrate',
  'keep',
  'unmark',
  'undo'
];

/**
 * One write of the notebook's file by the server while no page had it open:
 * its hash before and after, and the operations it then held, per chat.
 */
export interface IDiskWrite {
  before: string | null;
  after: string | null;
  applied: Record<string, number>;
}

/**
 * What a page's notebook holds of a cell the agent wants to change.
 */
export interface IFacts {
  found: number;
  cell_ids: string[];
  change: 'edited' | 'ran' | null;
  source: string | null;
  /** The one cell found, as it is (what an undo of a turn gives back). */
  cell?: nbformat.ICell;
}

/**
 * What waits for the user (held by the server): Run / Edit / Skip of an
 * action (`run`), or Accept / Reject of a change to the user's cell
 * (`change`, with the cell's current source in `before`).
 */
export interface IApproval {
  request_id: string;
  action_id: string;
  kind: 'run' | 'change';
  code: string;
  path: string;
  cell_id?: string;
  before?: string;
  replaces?: string;
}

// -- client -> server -------------------------------------------------------

export interface IHelloMessage {
  type: 'hello';
  client_id: string;
}

/**
 * This page has the chat's notebook open; its copy holds the operations up
 * to `applied` (per chat, from the notebook's metadata).
 */
export interface IDocumentMessage {
  type: 'document';
  path: string;
  applied: Record<string, number>;
}

/** Where the panel puts new cells (its *Where cells go* setting). */
export type CellPosition = 'belowLast' | 'end';

export interface IUserMessage {
  type: 'user_message';
  text: string;
  context?: string | null;
  approval?: ApprovalMode | null;
  /** The panel's choice; absent: the server's `c.CodeAct.action_style`. */
  action_style?: ActionStyle | null;
  /** The panel's "Replace failed cells with their fix" setting. */
  replace_failed?: boolean;
  /** The id given to the user's cell this request is about (Fix the Error). */
  user_cell?: string;
  /** That cell's notebook id. */
  user_cell_id?: string;
  /** The notebook id of the cell selected when the user asked. */
  selected_cell?: string;
  position?: CellPosition;
  /** Explain each step in a markdown cell above it. */
  narrate?: boolean;
  /** Render the agent's outputs untrusted. */
  untrusted?: boolean;
  /** The user's pick of model (absent: the server's `c.CodeAct.model`). */
  model?: string;
  /** The user's pick of reasoning effort (absent: the server's). */
  reasoning_effort?: string;
}

export interface IStopMessage {
  type: 'stop';
}

/**
 * The user's answer to the pending approval: Run (`code`: what to run) or
 * Skip; Accept or Reject of a change to their cell.
 */
export interface IDecideMessage {
  type: 'decide';
  request_id: string;
  run: boolean;
  code?: string;
}

/**
 * *Undo this turn*: the turn of the request whose entry `entry_id` lists
 * its `changes`.
 */
export interface IUndoMessage {
  type: 'undo';
  entry_id: string;
}

/** The answer to an `inspect`. */
export interface IFactsMessage {
  type: 'facts';
  query_id: string;
  facts: IFacts;
}

export type ClientMessage =
  | IHelloMessage
  | IDocumentMessage
  | IUserMessage
  | IStopMessage
  | IDecideMessage
  | IFactsMessage
  | IUndoMessage;

// -- server -> client -------------------------------------------------------

export interface ISnapshotMessage {
  type: 'snapshot';
  chat: IChatInfo;
  entries: IChatEntry[];
  state: ChatState;
  /** What waits for the user now (absent from older servers). */
  approval?: IApproval | null;
}

export interface IEntryMessage {
  type: 'entry';
  entry: IChatEntry;
}

export interface IDeltaMessage {
  type: 'delta';
  id: string;
  text: string;
  /** What the text extends: the entry's `text` (default) or its `code`. */
  field?: 'text' | 'code';
}

export interface IStateMessage {
  type: 'state';
  state: ChatState;
  tokens: number;
}

/** What waits for the user now, or nothing any more. */
export interface IApprovalMessage {
  type: 'approval';
  approval: IApproval | null;
}

/**
 * Document operations of chat `chat_id` for notebook `path`, in order; with
 * `disk`, the server's writes of the file while no page had it open. With
 * `shared` (real-time collaboration), the server wrote them into the
 * notebook's shared document: the page follows them and applies nothing.
 */
export interface IOpsMessage {
  type: 'ops';
  path: string;
  chat_id: string;
  ops: DocumentOp[];
  disk?: IDiskWrite[];
  shared?: boolean;
}

/**
 * What does the page's notebook hold of the chat's cell `ref` (or, with
 * `user`, of the user's cell `cell_id`)? Answered with `facts`.
 */
export interface IInspectMessage {
  type: 'inspect';
  query_id: string;
  path: string;
  chat_id: string;
  ref: string;
  cell_id: string;
  user: boolean;
  /** Answer with the one cell found, as it is (for an undo). */
  cell?: boolean;
}

export interface IChatChangedMessage {
  type: 'chat';
  chat: IChatInfo;
}

export interface IProblemMessage {
  type: 'problem';
  message: string;
}

export type ServerMessage =
  | ISnapshotMessage
  | IEntryMessage
  | IDeltaMessage
  | IStateMessage
  | IApprovalMessage
  | IOpsMessage
  | IInspectMessage
  | IChatChangedMessage
  | IProblemMessage;

// -- runtime guard ----------------------------------------------------------

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === 'string';
}

function isNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

function isOneOf<T extends string>(
  value: unknown,
  choices: readonly T[]
): value is T {
  return (
    typeof value === 'string' && (choices as readonly string[]).includes(value)
  );
}

export function isChatInfo(value: unknown): value is IChatInfo {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.path) &&
    isString(value.title) &&
    isNumber(value.created) &&
    isNumber(value.updated)
  );
}

/**
 * Whether `value` is a chat entry: the common fields, and the right types
 * for whichever optional fields are present.
 */
export function isChatEntry(value: unknown): value is IChatEntry {
  if (
    !isObject(value) ||
    !isString(value.id) ||
    !isOneOf(value.role, ROLES) ||
    !isNumber(value.time)
  ) {
    return false;
  }
  const optional: [string, (v: unknown) => boolean][] = [
    ['text', isString],
    ['turn', isNumber],
    ['streaming', v => typeof v === 'boolean'],
    ['code', isString],
    ['action_id', isString],
    ['request_id', isString],
    ['phase', isString],
    ['cell_id', v => v === null || isString(v)],
    ['status', v => isOneOf(v, EXECUTION_STATUSES)],
    ['outputs', v => Array.isArray(v) && v.every(isObject)],
    ['execution_count', v => v === null || isNumber(v)],
    ['duration_ms', isNumber],
    ['note', isString],
    ['kind', isString],
    ['prose', isString],
    ['cell', isString],
    ['replaces', isString],
    ['replaced', v => typeof v === 'boolean'],
    ['keeps', isString],
    ['trim_to', isString],
    ['turn_id', isString],
    ['changes', Array.isArray],
    ['undone', isObject]
  ];
  return optional.every(
    ([key, check]) => value[key] === undefined || check(value[key])
  );
}

export function isApproval(value: unknown): value is IApproval {
  return (
    isObject(value) &&
    isString(value.request_id) &&
    isString(value.action_id) &&
    isOneOf(value.kind, ['run', 'change'] as const) &&
    isString(value.code) &&
    isString(value.path) &&
    ['cell_id', 'before', 'replaces'].every(
      key => value[key] === undefined || isString(value[key])
    )
  );
}

/**
 * Whether `value` is a document operation: its kind, its number, and the
 * fields that say which cell (the rest is checked as it is applied).
 */
export function isOp(value: unknown): value is DocumentOp {
  if (!isObject(value) || !isOneOf(value.op, DOCUMENT_OPS)) {
    return false;
  }
  if (!isNumber(value.seq)) {
    return false;
  }
  if (value.op === 'undo') {
    return Array.isArray(value.remove) && Array.isArray(value.restore);
  }
  if (value.op === 'insert') {
    return (
      isObject(value.cell) &&
      isString(value.cell.id) &&
      isString(value.after) &&
      isString(value.selected)
    );
  }
  return isString(value.cell_id);
}

function checkServerMessage(message: Json): boolean {
  switch (message.type) {
    case 'snapshot':
      return (
        isChatInfo(message.chat) &&
        Array.isArray(message.entries) &&
        message.entries.every(isChatEntry) &&
        isOneOf(message.state, CHAT_STATES) &&
        (message.approval === undefined ||
          message.approval === null ||
          isApproval(message.approval))
      );
    case 'entry':
      return isChatEntry(message.entry);
    case 'delta':
      return (
        isString(message.id) &&
        isString(message.text) &&
        (message.field === undefined ||
          isOneOf(message.field, ['text', 'code'] as const))
      );
    case 'state':
      return isOneOf(message.state, CHAT_STATES) && isNumber(message.tokens);
    case 'approval':
      return message.approval === null || isApproval(message.approval);
    case 'ops':
      return (
        isString(message.path) &&
        isString(message.chat_id) &&
        Array.isArray(message.ops) &&
        message.ops.every(isOp) &&
        (message.shared === undefined || typeof message.shared === 'boolean') &&
        (message.disk === undefined ||
          (Array.isArray(message.disk) && message.disk.every(isObject)))
      );
    case 'inspect':
      return (
        isString(message.query_id) &&
        isString(message.path) &&
        isString(message.chat_id) &&
        isString(message.ref) &&
        isString(message.cell_id) &&
        typeof message.user === 'boolean'
      );
    case 'chat':
      return isChatInfo(message.chat);
    case 'problem':
      return isString(message.message);
    default:
      return false;
  }
}

/**
 * Decode and check one message from the server.
 *
 * @returns the message, or null when it is not JSON or does not follow
 *   the protocol (the caller logs and ignores it).
 */
export function parseServerMessage(data: unknown): ServerMessage | null {
  let message: unknown = data;
  if (typeof data === 'string') {
    try {
      message = JSON.parse(data);
    } catch {
      return null;
    }
  }
  if (!isObject(message) || !checkServerMessage(message)) {
    return null;
  }
  return message as unknown as ServerMessage;
}
