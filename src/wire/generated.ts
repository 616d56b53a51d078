/**
 * The chat wire protocol's types and runtime guards. GENERATED from
 * `jupyter_codeact/server/wire_schema.py` by
 * `python -m jupyter_codeact.server.wire_ts`: do not edit (`make lint` fails
 * when this file and the schema disagree). Longer than a module should be
 * because it is the whole schema, one block per name.
 */
import type * as nbformat from '@jupyterlab/nbformat';

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

function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}

function isOneOf(value: unknown, choices: readonly unknown[]): boolean {
  return typeof value === 'string' && choices.includes(value);
}

function isArrayOf(value: unknown, check: (item: unknown) => boolean): boolean {
  return Array.isArray(value) && value.every(item => check(item));
}

function isRecordOf(
  value: unknown,
  check: (item: unknown) => boolean
): boolean {
  return isObject(value) && Object.values(value).every(item => check(item));
}

/** Where an action is in its round trip. */
export type ActionPhase = 'pending' | 'running' | 'waiting_approval' | 'finished';

export const ACTION_PHASES: readonly ActionPhase[] = ['pending', 'running', 'waiting_approval', 'finished'];

/**
 * How the model acts: code in `<execute>` tags, native tool calls (one function whose
 * argument is the code), or `auto` (tools where the endpoint takes them, else tags).
 */
export type ActionStyle = 'auto' | 'tags' | 'tools';

export const ACTION_STYLES: readonly ActionStyle[] = ['auto', 'tags', 'tools'];

/**
 * What waits for the user (held by the server, `.approvals`): Run / Edit / Skip
 * of an action (`run`), or Accept / Reject of a change to the user's cell
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

export function isApproval(value: unknown): value is IApproval {
  return (
    isObject(value) &&
    isString(value.request_id) &&
    isString(value.action_id) &&
    isOneOf(value.kind, ['run', 'change']) &&
    isString(value.code) &&
    isString(value.path) &&
    (value.cell_id === undefined || isString(value.cell_id)) &&
    (value.before === undefined || isString(value.before)) &&
    (value.replaces === undefined || isString(value.replaces))
  );
}

/** What waits for the user now, or nothing any more. */
export interface IApprovalMessage {
  type: 'approval';
  approval: IApproval | null;
}

export function isApprovalMessage(value: unknown): value is IApprovalMessage {
  return (
    isObject(value) &&
    value.type === 'approval' &&
    (value.approval === null || isApproval(value.approval))
  );
}

/** Whether each action runs at once or waits for the user's approval. */
export type ApprovalMode = 'auto' | 'ask';

export const APPROVAL_MODES: readonly ApprovalMode[] = ['auto', 'ask'];

/** Who asked: a user of jupyter_server's identity provider. */
export interface IAuthor {
  username: string;
  name?: string;
  display_name?: string;
  initials?: string;
  color?: string;
}

export function isAuthor(value: unknown): value is IAuthor {
  return (
    isObject(value) &&
    isString(value.username) &&
    (value.name === undefined || isString(value.name)) &&
    (value.display_name === undefined || isString(value.display_name)) &&
    (value.initials === undefined || isString(value.initials)) &&
    (value.color === undefined || isString(value.color))
  );
}

/** Where the panel puts new cells (its *Where cells go* setting). */
export type CellPosition = 'belowLast' | 'end';

export const CELL_POSITIONS: readonly CellPosition[] = ['belowLast', 'end'];

/** The chat's metadata changed (e.g. the notebook was renamed). */
export interface IChatChangedMessage {
  type: 'chat';
  chat: IChatInfo;
}

export function isChatChangedMessage(value: unknown): value is IChatChangedMessage {
  return (
    isObject(value) &&
    value.type === 'chat' &&
    isChatInfo(value.chat)
  );
}

/** `GET codeact/chats/{id}`. */
export interface IChatDetail {
  chat: IChatInfo;
  entries: IChatEntry[];
  state: ChatState;
  approval?: IApproval | null;
}

export function isChatDetail(value: unknown): value is IChatDetail {
  return (
    isObject(value) &&
    isChatInfo(value.chat) &&
    isArrayOf(value.entries, isChatEntry) &&
    isOneOf(value.state, CHAT_STATES) &&
    (value.approval === undefined || value.approval === null || isApproval(value.approval))
  );
}

/**
 * One item of the chat as the panel shows it. Every entry has `id`, `role` and
 * `time`; the other fields depend on the role:
 *
 * - user: `text`, `author` (who asked), `queued` (true while it waits for the run
 *   of another collaborator's request to end), `model` (the model asked to answer it:
 *   exports say which model wrote a chat)
 * - assistant: `text` (the model's raw reply, markdown with `<execute>` /
 *   `<solution>` blocks), `turn`, `streaming`, `prose` (once the reply is
 *   complete: what the panel shows of it, as the reply grammar reads it), `code`
 *   (while streaming: the code of a native tool call, as it arrives)
 * - thinking: `text` (the model's reasoning; never run, never sent back), `turn`,
 *   `streaming`, `duration_ms` (how long it took to stream, once known)
 * - action: `code`, `turn`, `action_id`, `request_id`, `phase` (an
 *   ActionPhase), `cell_id`, `cell` (the model's id of the cell it ran in),
 *   `replaces` (the cell it asked to replace), `replaced` (it did replace that
 *   cell's earlier code); `keeps` (the failed cell it went below rather than
 *   replace), `trim_to` (what that cell was cut to; "" for kept whole, marked as
 *   failed) and `note` (what happened to that cell, in a sentence), when it kept one
 * - observation: `action_id`, `turn`, `status`, `text` (what the model read),
 *   `code` (what ran), `outputs` (nbformat, bounded by `.entry_outputs`: text,
 *   one image thumbnail, DataFrames as `TABLE_MIME`), `execution_count`,
 *   `duration_ms` (from the code going to the kernel to its result), `cell_id`,
 *   `note` (what the status means for the user, when it is not `ok` or `error`)
 * - final: `text`, `turn`
 * - condensed: `text` (older steps were condensed for the model to fit its context
 *   window; the chat keeps them all), `turn`
 * - error: `text` (one sentence with the fix), `kind` (an ErrorKind, or
 *   `max_turns` | `token_budget` | `stopped` | `interrupted` (the server
 *   stopped mid-run) | `internal` | `tools` (an MCP server or function that cannot
 *   be used, or project files left out because the user has not trusted them))
 *
 * A user entry whose run changed the notebook also has `turn_id`, `changes` (the
 * cells the turn changed, `.review`) and, once the turn was undone, `undone`.
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
  phase?: string;
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
  turn_id?: string;
  changes?: ITurnChange[];
  undone?: ITurnUndone;
}

export function isChatEntry(value: unknown): value is IChatEntry {
  return (
    isObject(value) &&
    isString(value.id) &&
    isOneOf(value.role, ROLES) &&
    isNumber(value.time) &&
    (value.text === undefined || isString(value.text)) &&
    (value.turn === undefined || isNumber(value.turn)) &&
    (value.streaming === undefined || isBoolean(value.streaming)) &&
    (value.code === undefined || isString(value.code)) &&
    (value.action_id === undefined || isString(value.action_id)) &&
    (value.request_id === undefined || isString(value.request_id)) &&
    (value.phase === undefined || isString(value.phase)) &&
    (value.cell_id === undefined || value.cell_id === null || isString(value.cell_id)) &&
    (value.status === undefined || isOneOf(value.status, EXECUTION_STATUSES)) &&
    (value.outputs === undefined || isArrayOf(value.outputs, isObject)) &&
    (value.execution_count === undefined || value.execution_count === null || isNumber(value.execution_count)) &&
    (value.duration_ms === undefined || isNumber(value.duration_ms)) &&
    (value.note === undefined || isString(value.note)) &&
    (value.kind === undefined || isString(value.kind)) &&
    (value.prose === undefined || isString(value.prose)) &&
    (value.model === undefined || isString(value.model)) &&
    (value.cell === undefined || isString(value.cell)) &&
    (value.replaces === undefined || isString(value.replaces)) &&
    (value.replaced === undefined || isBoolean(value.replaced)) &&
    (value.author === undefined || isAuthor(value.author)) &&
    (value.queued === undefined || isBoolean(value.queued)) &&
    (value.keeps === undefined || isString(value.keeps)) &&
    (value.trim_to === undefined || isString(value.trim_to)) &&
    (value.turn_id === undefined || isString(value.turn_id)) &&
    (value.changes === undefined || isArrayOf(value.changes, isTurnChange)) &&
    (value.undone === undefined || isTurnUndone(value.undone))
  );
}

/** A chat's metadata. */
export interface IChatInfo {
  id: string;
  /** The notebook this chat belongs to (follows renames). */
  path: string;
  title: string;
  created: number;
  updated: number;
  /**
   * The real path of the server root that `path` is relative to (a chat belongs to
   * one notebook file, whichever folder the server was started in).
   */
  root?: string;
  /**
   * How the model acted in the chat's last run (`tags` or `tools`): the stored
   * messages are in the standard OpenAI form of that style.
   */
  action_style?: string;
}

export function isChatInfo(value: unknown): value is IChatInfo {
  return (
    isObject(value) &&
    isString(value.id) &&
    isString(value.path) &&
    isString(value.title) &&
    isNumber(value.created) &&
    isNumber(value.updated) &&
    (value.root === undefined || isString(value.root)) &&
    (value.action_style === undefined || isString(value.action_style))
  );
}

/** `GET codeact/chats?path=P`: the chats of notebook `P`, newest first. */
export interface IChatList {
  chats: IChatInfo[];
  /**
   * Chat files of this notebook that could not be read: what and where they went.
   */
  problems?: string[];
}

export function isChatList(value: unknown): value is IChatList {
  return (
    isObject(value) &&
    isArrayOf(value.chats, isChatInfo) &&
    (value.problems === undefined || isArrayOf(value.problems, isString))
  );
}

/**
 * What the agent is doing now. `idle`: never run or stopped; `done`: the last run
 * ended with an answer.
 */
export type ChatState = 'idle' | 'thinking' | 'running' | 'waiting_approval' | 'done' | 'error';

export const CHAT_STATES: readonly ChatState[] = ['idle', 'thinking', 'running', 'waiting_approval', 'done', 'error'];

/** The running cell's code cleared its outputs. */
export interface IClearOp {
  op: 'clear';
  seq: number;
  cell_id: string;
}

export function isClearOp(value: unknown): value is IClearOp {
  return (
    isObject(value) &&
    value.op === 'clear' &&
    isNumber(value.seq) &&
    isString(value.cell_id)
  );
}

/** What the panel sends on a chat's websocket. */
export type ClientMessage =
  | IHelloMessage
  | IDocumentMessage
  | IUserMessage
  | IStopMessage
  | IDecideMessage
  | IFactsMessage
  | IUndoMessage;

export const CLIENT_MESSAGES: readonly ClientMessage['type'][] = [
  'hello',
  'document',
  'user_message',
  'stop',
  'decide',
  'facts',
  'undo'
];

export function isClientMessage(value: unknown): value is ClientMessage {
  if (!isObject(value)) {
    return false;
  }
  switch (value.type) {
    case 'hello':
      return isHelloMessage(value);
    case 'document':
      return isDocumentMessage(value);
    case 'user_message':
      return isUserMessage(value);
    case 'stop':
      return isStopMessage(value);
    case 'decide':
      return isDecideMessage(value);
    case 'facts':
      return isFactsMessage(value);
    case 'undo':
      return isUndoMessage(value);
    default:
      return false;
  }
}

/** `GET codeact/context/expression`. */
export interface IContextExpression {
  expression: string;
}

export function isContextExpression(value: unknown): value is IContextExpression {
  return (
    isObject(value) &&
    isString(value.expression)
  );
}

/**
 * The user's answer to the pending approval: Run (`code`: what to run, maybe
 * edited) or Skip; Accept or Reject of a change to their cell.
 */
export interface IDecideMessage {
  type: 'decide';
  request_id: string;
  run: boolean;
  code?: string | null;
}

export function isDecideMessage(value: unknown): value is IDecideMessage {
  return (
    isObject(value) &&
    value.type === 'decide' &&
    isString(value.request_id) &&
    isBoolean(value.run) &&
    (value.code === undefined || value.code === null || isString(value.code))
  );
}

/**
 * Append streamed text to entry `id`: to its `text` (an assistant reply or
 * reasoning), or with `field: "code"` to its `code` (the code of a native tool call
 * as it streams). An `entry` with the whole reply follows when it is complete.
 */
export interface IDeltaMessage {
  type: 'delta';
  id: string;
  text: string;
  field?: 'text' | 'code';
}

export function isDeltaMessage(value: unknown): value is IDeltaMessage {
  return (
    isObject(value) &&
    value.type === 'delta' &&
    isString(value.id) &&
    isString(value.text) &&
    (value.field === undefined || isOneOf(value.field, ['text', 'code']))
  );
}

/**
 * One write of the notebook's file by the server while no page had it open: its hash
 * before and after, and the operations it then held, per chat.
 */
export interface IDiskWrite {
  before: string | null;
  after: string | null;
  applied: Record<string, number>;
}

export function isDiskWrite(value: unknown): value is IDiskWrite {
  return (
    isObject(value) &&
    (value.before === null || isString(value.before)) &&
    (value.after === null || isString(value.after)) &&
    isRecordOf(value.applied, isNumber)
  );
}

/**
 * This page has the chat's notebook open; its copy holds the operations up to
 * `applied` (per chat, from the notebook's metadata `codeact.applied`).
 */
export interface IDocumentMessage {
  type: 'document';
  path: string;
  applied: Record<string, number>;
}

export function isDocumentMessage(value: unknown): value is IDocumentMessage {
  return (
    isObject(value) &&
    value.type === 'document' &&
    isString(value.path) &&
    isRecordOf(value.applied, isNumber)
  );
}

/**
 * A document operation: what the agent changes in a notebook, one small step.
 */
export type DocumentOp =
  | IInsertOp
  | ISourceOp
  | IProvenanceOp
  | IOutputsOp
  | IOutputOp
  | IStreamOp
  | IClearOp
  | IRunningOp
  | INarrateOp
  | IKeepOp
  | IUnmarkOp
  | IPendingOp
  | IRemoveOp
  | IUndoOp;

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
  'pending',
  'remove',
  'undo'
];

export function isDocumentOp(value: unknown): value is DocumentOp {
  if (!isObject(value)) {
    return false;
  }
  switch (value.op) {
    case 'insert':
      return isInsertOp(value);
    case 'source':
      return isSourceOp(value);
    case 'provenance':
      return isProvenanceOp(value);
    case 'outputs':
      return isOutputsOp(value);
    case 'output':
      return isOutputOp(value);
    case 'stream':
      return isStreamOp(value);
    case 'clear':
      return isClearOp(value);
    case 'running':
      return isRunningOp(value);
    case 'narrate':
      return isNarrateOp(value);
    case 'keep':
      return isKeepOp(value);
    case 'unmark':
      return isUnmarkOp(value);
    case 'pending':
      return isPendingOp(value);
    case 'remove':
      return isRemoveOp(value);
    case 'undo':
      return isUndoOp(value);
    default:
      return false;
  }
}

/** Add the entry, or replace the one with its id. */
export interface IEntryMessage {
  type: 'entry';
  entry: IChatEntry;
}

export function isEntryMessage(value: unknown): value is IEntryMessage {
  return (
    isObject(value) &&
    value.type === 'entry' &&
    isChatEntry(value.entry)
  );
}

/**
 * How an action's execution ended.
 *
 * `died` means the kernel died (and was restarted: state is lost);
 * `skipped` means the user declined to run it; `refused` that it named a cell it may not
 * replace, so nothing ran (the observation says why).
 */
export type ExecutionStatus = 'ok' | 'error' | 'timeout' | 'interrupted' | 'died' | 'skipped' | 'refused';

export const EXECUTION_STATUSES: readonly ExecutionStatus[] = ['ok', 'error', 'timeout', 'interrupted', 'died', 'skipped', 'refused'];

/** What a page's notebook holds of a cell the agent wants to change. */
export interface IFacts {
  found: number;
  cell_ids: string[];
  change: 'edited' | 'ran' | null;
  source: string | null;
  /**
   * The one cell found, as it is (asked with `cell`: what an undo gives back).
   */
  cell?: nbformat.ICell;
}

export function isFacts(value: unknown): value is IFacts {
  return (
    isObject(value) &&
    isNumber(value.found) &&
    isArrayOf(value.cell_ids, isString) &&
    (value.change === null || isOneOf(value.change, ['edited', 'ran'])) &&
    (value.source === null || isString(value.source)) &&
    (value.cell === undefined || isObject(value.cell))
  );
}

/** The answer to an `inspect`. */
export interface IFactsMessage {
  type: 'facts';
  query_id: string;
  facts: IFacts;
}

export function isFactsMessage(value: unknown): value is IFactsMessage {
  return (
    isObject(value) &&
    value.type === 'facts' &&
    isString(value.query_id) &&
    isFacts(value.facts)
  );
}

/**
 * Who this page is (one id per page load), so a reconnecting page is recognised.
 */
export interface IHelloMessage {
  type: 'hello';
  client_id: string;
}

export function isHelloMessage(value: unknown): value is IHelloMessage {
  return (
    isObject(value) &&
    value.type === 'hello' &&
    isString(value.client_id)
  );
}

/** A new cell, unless a cell with its id exists. */
export interface IInsertOp {
  op: 'insert';
  seq: number;
  /** The new cell, with its `id`. */
  cell: nbformat.ICell;
  /** Below this cell (the chat's last), if it is there. */
  after: string;
  /** Else (no cell of the chat either): below this one, selected when asked. */
  selected: string;
  at_end: boolean;
}

export function isInsertOp(value: unknown): value is IInsertOp {
  return (
    isObject(value) &&
    value.op === 'insert' &&
    isNumber(value.seq) &&
    isObject(value.cell) &&
    isString(value.after) &&
    isString(value.selected) &&
    isBoolean(value.at_end)
  );
}

/**
 * What does the page's notebook hold of the chat's cell `ref` (or, with `user`,
 * of the user's cell `cell_id`)? Answered with `facts`.
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

export function isInspectMessage(value: unknown): value is IInspectMessage {
  return (
    isObject(value) &&
    value.type === 'inspect' &&
    isString(value.query_id) &&
    isString(value.path) &&
    isString(value.chat_id) &&
    isString(value.ref) &&
    isString(value.cell_id) &&
    isBoolean(value.user) &&
    (value.cell === undefined || isBoolean(value.cell))
  );
}

/**
 * The failed cell an action goes below rather than replace: cut to `trim_to`
 * (errors out, `code_hash` the cut's), or with "" kept whole and tagged
 * `raises-exception`.
 */
export interface IKeepOp {
  op: 'keep';
  seq: number;
  cell_id: string;
  trim_to: string;
  code_hash?: string;
}

export function isKeepOp(value: unknown): value is IKeepOp {
  return (
    isObject(value) &&
    value.op === 'keep' &&
    isNumber(value.seq) &&
    isString(value.cell_id) &&
    isString(value.trim_to) &&
    (value.code_hash === undefined || isString(value.code_hash))
  );
}

/** A cell an undo left alone, and why. */
export interface IKeptCell {
  cell_id: string;
  ref: string;
  kind: 'added' | 'replaced';
  why: 'edited' | 'ran' | 'no_copy' | 'unknown';
}

export function isKeptCell(value: unknown): value is IKeptCell {
  return (
    isObject(value) &&
    isString(value.cell_id) &&
    isString(value.ref) &&
    isOneOf(value.kind, ['added', 'replaced']) &&
    isOneOf(value.why, ['edited', 'ran', 'no_copy', 'unknown'])
  );
}

/** One model of `GET codeact/models`. */
export interface IModelInfo {
  id: string;
  /** Whether the model takes a reasoning effort. */
  reasoning_effort: boolean;
}

export function isModelInfo(value: unknown): value is IModelInfo {
  return (
    isObject(value) &&
    isString(value.id) &&
    isBoolean(value.reasoning_effort)
  );
}

/**
 * `GET codeact/models[?refresh=1]`: what the endpoint's `/v1/models` lists (the
 * configured model always among them), for the panel's picker.
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

export function isModelList(value: unknown): value is IModelList {
  return (
    isObject(value) &&
    isArrayOf(value.models, isModelInfo) &&
    isString(value.default) &&
    isArrayOf(value.efforts, isString) &&
    (value.problem === null || isString(value.problem))
  );
}

/** The markdown `cell` explains code cell `cell_id`, just above it. */
export interface INarrateOp {
  op: 'narrate';
  seq: number;
  cell_id: string;
  cell: nbformat.ICell;
}

export function isNarrateOp(value: unknown): value is INarrateOp {
  return (
    isObject(value) &&
    value.op === 'narrate' &&
    isNumber(value.seq) &&
    isString(value.cell_id) &&
    isObject(value.cell)
  );
}

/**
 * Document operations of chat `chat_id` for notebook `path`, in order. The page
 * applies them and records the last `seq` in the notebook's metadata.
 */
export interface IOpsMessage {
  type: 'ops';
  path: string;
  chat_id: string;
  ops: DocumentOp[];
  /**
   * In what a page is sent when it comes back: the server's writes of the file while
   * no page held it.
   */
  disk?: IDiskWrite[];
  /**
   * Real-time collaboration: the server wrote the operations into the notebook's shared
   * document; the page follows them and applies nothing.
   */
  shared?: boolean;
}

export function isOpsMessage(value: unknown): value is IOpsMessage {
  return (
    isObject(value) &&
    value.type === 'ops' &&
    isString(value.path) &&
    isString(value.chat_id) &&
    isArrayOf(value.ops, isDocumentOp) &&
    (value.disk === undefined || isArrayOf(value.disk, isDiskWrite)) &&
    (value.shared === undefined || isBoolean(value.shared))
  );
}

/**
 * The output at `index` (added when it is the next one, replaced when it exists).
 */
export interface IOutputOp {
  op: 'output';
  seq: number;
  cell_id: string;
  index: number;
  output: nbformat.IOutput;
}

export function isOutputOp(value: unknown): value is IOutputOp {
  return (
    isObject(value) &&
    value.op === 'output' &&
    isNumber(value.seq) &&
    isString(value.cell_id) &&
    isNumber(value.index) &&
    isObject(value.output)
  );
}

/** The cell's outputs and count as they are now. */
export interface IOutputsOp {
  op: 'outputs';
  seq: number;
  cell_id: string;
  outputs: nbformat.IOutput[];
  execution_count: number | null;
  /** Sent to a page that comes back mid-run: the cell still runs. */
  running?: boolean;
}

export function isOutputsOp(value: unknown): value is IOutputsOp {
  return (
    isObject(value) &&
    value.op === 'outputs' &&
    isNumber(value.seq) &&
    isString(value.cell_id) &&
    isArrayOf(value.outputs, isObject) &&
    (value.execution_count === null || isNumber(value.execution_count)) &&
    (value.running === undefined || isBoolean(value.running))
  );
}

/** `metadata.codeact.pending`: the action that waits in the cell. */
export interface IPendingMark {
  request_id: string;
  /**
   * A replacement of the cell's code: the proposal (the cell keeps its own).
   */
  code?: string;
}

export function isPendingMark(value: unknown): value is IPendingMark {
  return (
    isObject(value) &&
    isString(value.request_id) &&
    (value.code === undefined || isString(value.code))
  );
}

/**
 * An action waits for approval in this agent cell (`value`: its request and the
 * proposed code, shown as a diff), or no longer (null).
 */
export interface IPendingOp {
  op: 'pending';
  seq: number;
  cell_id: string;
  value: IPendingMark | null;
}

export function isPendingOp(value: unknown): value is IPendingOp {
  return (
    isObject(value) &&
    value.op === 'pending' &&
    isNumber(value.seq) &&
    isString(value.cell_id) &&
    (value.value === null || isPendingMark(value.value))
  );
}

/** A message from the client was refused, and why. */
export interface IProblemMessage {
  type: 'problem';
  message: string;
}

export function isProblemMessage(value: unknown): value is IProblemMessage {
  return (
    isObject(value) &&
    value.type === 'problem' &&
    isString(value.message)
  );
}

/** The cell's `metadata.codeact` (null removes it). */
export interface IProvenanceOp {
  op: 'provenance';
  seq: number;
  cell_id: string;
  value: Record<string, unknown> | null;
}

export function isProvenanceOp(value: unknown): value is IProvenanceOp {
  return (
    isObject(value) &&
    value.op === 'provenance' &&
    isNumber(value.seq) &&
    isString(value.cell_id) &&
    (value.value === null || isObject(value.value))
  );
}

/**
 * `GET codeact/config`: the server's settings, never the API key
 * (`jupyter_codeact.config.CodeAct.public_settings`).
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
  /**
   * Render the agent's cells' outputs untrusted (`c.CodeAct.untrusted_agent_outputs`).
   */
  untrusted_agent_outputs?: boolean;
  /** Why no model can be used, with the fix; null when configured. */
  problem: string | null;
}

export function isPublicConfig(value: unknown): value is IPublicConfig {
  return (
    isObject(value) &&
    isString(value.model) &&
    (value.base_url === null || isString(value.base_url)) &&
    isBoolean(value.has_api_key) &&
    isBoolean(value.configured) &&
    isNumber(value.max_turns) &&
    isNumber(value.cell_timeout) &&
    isOneOf(value.approval_mode, APPROVAL_MODES) &&
    (value.action_style === undefined || isOneOf(value.action_style, ACTION_STYLES)) &&
    (value.untrusted_agent_outputs === undefined || isBoolean(value.untrusted_agent_outputs)) &&
    (value.problem === null || isString(value.problem))
  );
}

/** A skipped action's pending cell goes (only while it still waits). */
export interface IRemoveOp {
  op: 'remove';
  seq: number;
  cell_id: string;
  request_id: string;
}

export function isRemoveOp(value: unknown): value is IRemoveOp {
  return (
    isObject(value) &&
    value.op === 'remove' &&
    isNumber(value.seq) &&
    isString(value.cell_id) &&
    isString(value.request_id)
  );
}

/** Entry roles; each rendered entry carries `data-codeact-role` = its role. */
export type Role = 'user' | 'assistant' | 'action' | 'observation' | 'final' | 'error' | 'thinking' | 'condensed';

export const ROLES: readonly Role[] = ['user', 'assistant', 'action', 'observation', 'final', 'error', 'thinking', 'condensed'];

/**
 * `GET codeact/rules?path=P`: where the rules the agent follows for notebook `P`
 * come from (its AGENTS.md files up to the root that the user trusts,
 * `c.CodeAct.instructions`).
 */
export interface IRules {
  files: string[];
}

export function isRules(value: unknown): value is IRules {
  return (
    isObject(value) &&
    isArrayOf(value.files, isString)
  );
}

/** The cell is running. */
export interface IRunningOp {
  op: 'running';
  seq: number;
  cell_id: string;
}

export function isRunningOp(value: unknown): value is IRunningOp {
  return (
    isObject(value) &&
    value.op === 'running' &&
    isNumber(value.seq) &&
    isString(value.cell_id)
  );
}

/** What the server sends on a chat's websocket. */
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

export const SERVER_MESSAGES: readonly ServerMessage['type'][] = [
  'snapshot',
  'entry',
  'delta',
  'state',
  'approval',
  'ops',
  'inspect',
  'chat',
  'problem'
];

export function isServerMessage(value: unknown): value is ServerMessage {
  if (!isObject(value)) {
    return false;
  }
  switch (value.type) {
    case 'snapshot':
      return isSnapshotMessage(value);
    case 'entry':
      return isEntryMessage(value);
    case 'delta':
      return isDeltaMessage(value);
    case 'state':
      return isStateMessage(value);
    case 'approval':
      return isApprovalMessage(value);
    case 'ops':
      return isOpsMessage(value);
    case 'inspect':
      return isInspectMessage(value);
    case 'chat':
      return isChatChangedMessage(value);
    case 'problem':
      return isProblemMessage(value);
    default:
      return false;
  }
}

/**
 * `GET codeact/docs/setup`: the README's section on pointing the agent at a model,
 * from the installed package.
 */
export interface ISetupDocs {
  title: string;
  markdown: string;
}

export function isSetupDocs(value: unknown): value is ISetupDocs {
  return (
    isObject(value) &&
    isString(value.title) &&
    isString(value.markdown)
  );
}

/** The whole chat, sent first on every connection. */
export interface ISnapshotMessage {
  type: 'snapshot';
  chat: IChatInfo;
  entries: IChatEntry[];
  state: ChatState;
  /** What waits for the user now. */
  approval?: IApproval | null;
}

export function isSnapshotMessage(value: unknown): value is ISnapshotMessage {
  return (
    isObject(value) &&
    value.type === 'snapshot' &&
    isChatInfo(value.chat) &&
    isArrayOf(value.entries, isChatEntry) &&
    isOneOf(value.state, CHAT_STATES) &&
    (value.approval === undefined || value.approval === null || isApproval(value.approval))
  );
}

/**
 * The cell's source; with `if_hash`, only if its source still has that hash.
 */
export interface ISourceOp {
  op: 'source';
  seq: number;
  cell_id: string;
  source: string;
  if_hash?: string;
}

export function isSourceOp(value: unknown): value is ISourceOp {
  return (
    isObject(value) &&
    value.op === 'source' &&
    isNumber(value.seq) &&
    isString(value.cell_id) &&
    isString(value.source) &&
    (value.if_hash === undefined || isString(value.if_hash))
  );
}

/** What the agent is doing now, and the tokens the current run has used. */
export interface IStateMessage {
  type: 'state';
  state: ChatState;
  tokens: number;
}

export function isStateMessage(value: unknown): value is IStateMessage {
  return (
    isObject(value) &&
    value.type === 'state' &&
    isOneOf(value.state, CHAT_STATES) &&
    isNumber(value.tokens)
  );
}

/**
 * Cancel the run (LLM stream cancelled, running cell interrupted, a pending approval
 * skipped).
 */
export interface IStopMessage {
  type: 'stop';
}

export function isStopMessage(value: unknown): value is IStopMessage {
  return (
    isObject(value) &&
    value.type === 'stop'
  );
}

/**
 * `text` appended to the stream output at `index` when `offset` characters of
 * it have arrived.
 */
export interface IStreamOp {
  op: 'stream';
  seq: number;
  cell_id: string;
  index: number;
  name: string;
  offset: number;
  text: string;
}

export function isStreamOp(value: unknown): value is IStreamOp {
  return (
    isObject(value) &&
    value.op === 'stream' &&
    isNumber(value.seq) &&
    isString(value.cell_id) &&
    isNumber(value.index) &&
    isString(value.name) &&
    isNumber(value.offset) &&
    isString(value.text)
  );
}

/**
 * The MIME type of a DataFrame in an observation's `outputs`: a compact table the
 * server read from pandas' HTML (never HTML itself).
 */
export const TABLE_MIME = 'application/vnd.codeact.table+json';

/** The data of `TABLE_MIME`. */
export interface ITableData {
  head: string[][];
  body: string[][];
  /** Leading columns of the body that are the index. */
  index_columns: number;
  /** What pandas said of its size, and what was cut. */
  note?: string;
}

export function isTableData(value: unknown): value is ITableData {
  return (
    isObject(value) &&
    isArrayOf(value.head, item => isArrayOf(item, isString)) &&
    isArrayOf(value.body, item => isArrayOf(item, isString)) &&
    isNumber(value.index_columns) &&
    (value.note === undefined || isString(value.note))
  );
}

/** The user's decision on project files. */
export type TrustDecision = 'trust' | 'not_now';

export const TRUST_DECISIONS: readonly TrustDecision[] = ['trust', 'not_now'];

/**
 * A project file waiting for the user's trust (`jupyter_codeact.trust.describe`):
 * `kind` `mcp` (its servers) or `rules` (an AGENTS.md, its text in `excerpt`).
 * `path` and `sha256` go back with the decision: exactly this content is trusted.
 */
export interface ITrustFile {
  /** The real path. */
  path: string;
  /** The path below the root. */
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

export function isTrustFile(value: unknown): value is ITrustFile {
  return (
    isObject(value) &&
    isString(value.path) &&
    isString(value.label) &&
    isOneOf(value.kind, ['mcp', 'rules']) &&
    isString(value.sha256) &&
    isBoolean(value.declined) &&
    (value.servers === undefined || isArrayOf(value.servers, isTrustServer)) &&
    (value.excerpt === undefined || isString(value.excerpt)) &&
    (value.truncated === undefined || isBoolean(value.truncated)) &&
    (value.problem === undefined || isString(value.problem))
  );
}

/**
 * `GET codeact/trust?path=P`, and the answer to `POST codeact/trust`
 * (`{path, decision, files: [{path, sha256}]}`; 409 when a file changed since it was
 * shown): the project files of notebook `P` the user has not trusted.
 */
export interface ITrustList {
  files: ITrustFile[];
}

export function isTrustList(value: unknown): value is ITrustList {
  return (
    isObject(value) &&
    isArrayOf(value.files, isTrustFile)
  );
}

/** One server of a project's `mcp.json`, as the trust prompt shows it. */
export interface ITrustServer {
  name: string;
  /** The command it would run, as written (nothing expanded). */
  command?: string;
  cwd?: string;
  /** The URL it would call, as written. */
  url?: string;
  /** Names of the environment variables it sets. */
  env?: string[];
  /** Names of the headers it sets. */
  headers?: string[];
  variables?: ITrustVariable[];
  disabled?: boolean;
  problem?: string;
}

export function isTrustServer(value: unknown): value is ITrustServer {
  return (
    isObject(value) &&
    isString(value.name) &&
    (value.command === undefined || isString(value.command)) &&
    (value.cwd === undefined || isString(value.cwd)) &&
    (value.url === undefined || isString(value.url)) &&
    (value.env === undefined || isArrayOf(value.env, isString)) &&
    (value.headers === undefined || isArrayOf(value.headers, isString)) &&
    (value.variables === undefined || isArrayOf(value.variables, isTrustVariable)) &&
    (value.disabled === undefined || isBoolean(value.disabled)) &&
    (value.problem === undefined || isString(value.problem))
  );
}

/** A variable of the user's that a project's server names as `${NAME}`. */
export interface ITrustVariable {
  name: string;
  /** Whether `c.CodeAct.project_variables` gives it. */
  given: boolean;
}

export function isTrustVariable(value: unknown): value is ITrustVariable {
  return (
    isObject(value) &&
    isString(value.name) &&
    isBoolean(value.given)
  );
}

/** One cell a turn changed (`.review.journal`): added, or replaced. */
export interface ITurnChange {
  cell_id: string;
  kind: 'added' | 'replaced';
  cell_type: string;
  /** The model's id of the cell (`c3a1`), or "" (the user's cell). */
  ref: string;
  /** `narration` for an explanation cell, else "". */
  role: string;
  /** The cell's source before the turn (a replaced cell). */
  before: string | null;
  /** The source the turn left. */
  after: string;
}

export function isTurnChange(value: unknown): value is ITurnChange {
  return (
    isObject(value) &&
    isString(value.cell_id) &&
    isOneOf(value.kind, ['added', 'replaced']) &&
    isString(value.cell_type) &&
    isString(value.ref) &&
    isString(value.role) &&
    (value.before === null || isString(value.before)) &&
    isString(value.after)
  );
}

/** What an undo did: cells removed and restored, and the cells it kept. */
export interface ITurnUndone {
  time: number;
  removed: string[];
  restored: string[];
  kept: IKeptCell[];
  /** That the kernel's state is not undone, and what to do. */
  kernel_note: string;
}

export function isTurnUndone(value: unknown): value is ITurnUndone {
  return (
    isObject(value) &&
    isNumber(value.time) &&
    isArrayOf(value.removed, isString) &&
    isArrayOf(value.restored, isString) &&
    isArrayOf(value.kept, isKeptCell) &&
    isString(value.kernel_note)
  );
}

/** What a turn left in a cell, as an `undo` checks it. */
export interface IUndoLeft {
  cell_id: string;
  code_hash: string;
  /** Present for a code cell. */
  execution_count?: number | null;
}

export function isUndoLeft(value: unknown): value is IUndoLeft {
  return (
    isObject(value) &&
    isString(value.cell_id) &&
    isString(value.code_hash) &&
    (value.execution_count === undefined || value.execution_count === null || isNumber(value.execution_count))
  );
}

/**
 * *Undo this turn*: the turn of the request whose entry `entry_id` lists its
 * `changes`.
 */
export interface IUndoMessage {
  type: 'undo';
  entry_id: string;
}

export function isUndoMessage(value: unknown): value is IUndoMessage {
  return (
    isObject(value) &&
    value.type === 'undo' &&
    isString(value.entry_id)
  );
}

/**
 * A turn taken back (`.document.undo`), in one change: each cell is removed, or
 * given back its earlier `cell`, only if it still is what the turn left (the hash of
 * its source, its execution count).
 */
export interface IUndoOp {
  op: 'undo';
  seq: number;
  turn_id: string;
  remove: IUndoLeft[];
  restore: IUndoRestore[];
}

export function isUndoOp(value: unknown): value is IUndoOp {
  return (
    isObject(value) &&
    value.op === 'undo' &&
    isNumber(value.seq) &&
    isString(value.turn_id) &&
    isArrayOf(value.remove, isUndoLeft) &&
    isArrayOf(value.restore, isUndoRestore)
  );
}

/** A cell an `undo` gives back, if it still is what the turn left. */
export interface IUndoRestore {
  cell_id: string;
  code_hash: string;
  execution_count?: number | null;
  /** The cell as it was before the turn. */
  cell: nbformat.ICell;
}

export function isUndoRestore(value: unknown): value is IUndoRestore {
  return (
    isObject(value) &&
    isString(value.cell_id) &&
    isString(value.code_hash) &&
    (value.execution_count === undefined || value.execution_count === null || isNumber(value.execution_count)) &&
    isObject(value.cell)
  );
}

/** A cell kept whole had its code replaced: its tag goes. */
export interface IUnmarkOp {
  op: 'unmark';
  seq: number;
  cell_id: string;
}

export function isUnmarkOp(value: unknown): value is IUnmarkOp {
  return (
    isObject(value) &&
    value.op === 'unmark' &&
    isNumber(value.seq) &&
    isString(value.cell_id)
  );
}

/** A request (refused with a `problem` while a run is going on). */
export interface IUserMessage {
  type: 'user_message';
  text: string;
  /** The notebook/kernel summary the panel gathered (the server bounds it). */
  context?: string | null;
  /**
   * The mode chosen in the panel (`.resolve` has the rule: the server's `ask` is
   * a floor).
   */
  approval?: ApprovalMode | null;
  /** The panel's choice; absent: `c.CodeAct.action_style`. */
  action_style?: ActionStyle | null;
  /** The panel's *Replace failed cells with their fix* (absent: on). */
  replace_failed?: boolean | null;
  /**
   * The id the panel gave the user's cell this request is about (Fix the Error).
   */
  user_cell?: string;
  /**
   * That cell's notebook id, which the agent may then change with the user's consent.
   */
  user_cell_id?: string;
  /**
   * The notebook id of the cell selected when the user asked (new cells go below it
   * when the chat has none yet).
   */
  selected_cell?: string;
  position?: CellPosition;
  /** Explain each step in a markdown cell above it. */
  narrate?: boolean;
  /** Render the agent's outputs untrusted (the server's setting is a floor). */
  untrusted?: boolean;
  /**
   * The user's pick of model (absent: `c.CodeAct.model`), checked against the
   * endpoint's `/v1/models`.
   */
  model?: string | null;
  /**
   * The user's pick of reasoning effort (absent: `c.CodeAct.reasoning_effort`).
   */
  reasoning_effort?: string | null;
}

export function isUserMessage(value: unknown): value is IUserMessage {
  return (
    isObject(value) &&
    value.type === 'user_message' &&
    isString(value.text) &&
    (value.context === undefined || value.context === null || isString(value.context)) &&
    (value.approval === undefined || value.approval === null || isOneOf(value.approval, APPROVAL_MODES)) &&
    (value.action_style === undefined || value.action_style === null || isOneOf(value.action_style, ACTION_STYLES)) &&
    (value.replace_failed === undefined || value.replace_failed === null || isBoolean(value.replace_failed)) &&
    (value.user_cell === undefined || isString(value.user_cell)) &&
    (value.user_cell_id === undefined || isString(value.user_cell_id)) &&
    (value.selected_cell === undefined || isString(value.selected_cell)) &&
    (value.position === undefined || isOneOf(value.position, CELL_POSITIONS)) &&
    (value.narrate === undefined || isBoolean(value.narrate)) &&
    (value.untrusted === undefined || isBoolean(value.untrusted)) &&
    (value.model === undefined || value.model === null || isString(value.model)) &&
    (value.reasoning_effort === undefined || value.reasoning_effort === null || isString(value.reasoning_effort))
  );
}
