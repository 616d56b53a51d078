/**
 * The chat wire protocol between the panel and the server; mirrors
 * `jupyter_codeact/server/protocol.py` (read its docstring). Change both
 * files together.
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
 * Where the code of an action that asked to replace a cell went: `''` as
 * asked, `new` into a new cell (the cell could not be replaced),
 * `replaced` in place of that cell's code.
 */
export type Placement = '' | 'new' | 'replaced';

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
 * - user: `text`
 * - assistant: `text` (the raw reply with `<execute>` / `<solution>`
 *   blocks), `turn`, `streaming`, `prose` (once complete: what to show of
 *   it, as the server's reply grammar reads it), `code` (while streaming:
 *   the code of a native tool call as it arrives)
 * - thinking: `text` (the model's reasoning), `turn`, `streaming`,
 *   `duration_ms` (how long it took, once known)
 * - action: `code`, `turn`, `action_id`, `request_id`, `phase`, `cell_id`,
 *   `cell` (the model's id of the cell it ran in), `replaces` (the cell it
 *   asked to replace), `replaced` (it did replace that cell's code)
 * - observation: `action_id`, `turn`, `status`, `text`, `code`, `outputs`,
 *   `execution_count`, `duration_ms`, `cell_id`, `note` (what the status
 *   means, when it is not `ok` or `error`)
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
}

/**
 * `GET codeact/rules?path=P`: where the rules the agent follows for
 * notebook `P` come from (its AGENTS.md files, `c.CodeAct.instructions`).
 */
export interface IRules {
  files: string[];
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

// -- client -> server -------------------------------------------------------

export interface IHelloMessage {
  type: 'hello';
  client_id: string;
}

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
}

export interface IStopMessage {
  type: 'stop';
}

/**
 * The user pressed Run on an action waiting for approval: its cell runs now.
 */
export interface IApprovedMessage {
  type: 'approved';
  request_id: string;
}

export interface IExecuteResultMessage {
  type: 'execute_result';
  request_id: string;
  status: ExecutionStatus;
  outputs: nbformat.IOutput[];
  code: string;
  execution_count: number | null;
  cell_id: string | null;
  /** Where the code of a `replaces` request went. */
  placement?: Placement;
  /** What the model must be told beyond the outputs (why it was refused...). */
  note?: string;
}

/**
 * The cell of execute `request_id` called a tool: `prompt` is its kernel's
 * `input_request` prompt, `call_id` that message's id (asked again after a
 * reconnection, the server answers the same and runs the tool once).
 */
export interface IToolCallMessage {
  type: 'tool_call';
  request_id: string;
  call_id: string;
  prompt: string;
}

export type ClientMessage =
  | IHelloMessage
  | IUserMessage
  | IStopMessage
  | IApprovedMessage
  | IExecuteResultMessage
  | IToolCallMessage;

// -- server -> client -------------------------------------------------------

export interface ISnapshotMessage {
  type: 'snapshot';
  chat: IChatInfo;
  entries: IChatEntry[];
  state: ChatState;
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

/**
 * Starts the prompt of a kernel's `input_request` that carries a tool call
 * (`jupyter_codeact/tools/kernel_side.py`); other prompts are the code's
 * own `input()`, shown to the user as usual.
 */
export const TOOL_CALL_MARKER = '\x1b[codeact-tool-call]';

/** The execute request's metadata key that allows the cell's tool calls. */
export const TOOLS_METADATA_KEY = 'codeact_tools';

/**
 * What an execute carries when the agent has tools: the expression `setup`
 * is evaluated silently in the kernel first (a user expression; it defines
 * the tools), and the cell's execute request carries
 * `{codeact_tools: nonce}` in its metadata.
 */
export interface IExecuteTools {
  setup: string;
  nonce: string;
}

export interface IExecuteMessage {
  type: 'execute';
  request_id: string;
  action_id: string;
  turn: number;
  code: string;
  timeout: number | null;
  approval: ApprovalMode;
  path: string;
  /** The model's id for a new cell made by this action ('' from old servers). */
  cell?: string;
  /** The id of the cell whose code this action replaces ('' for a new cell). */
  replaces?: string;
  /** If `replaces` cannot be replaced: a new cell (true) or refuse (false). */
  or_new?: boolean;
  tools?: IExecuteTools | null;
}

/** The `input_reply` value for a `tool_call`. */
export interface IToolResultMessage {
  type: 'tool_result';
  call_id: string;
  value: string;
}

export interface IInterruptMessage {
  type: 'interrupt';
  request_id: string;
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
  | IExecuteMessage
  | IToolResultMessage
  | IInterruptMessage
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
    ['replaced', v => typeof v === 'boolean']
  ];
  return optional.every(
    ([key, check]) => value[key] === undefined || check(value[key])
  );
}

function checkServerMessage(message: Json): boolean {
  switch (message.type) {
    case 'snapshot':
      return (
        isChatInfo(message.chat) &&
        Array.isArray(message.entries) &&
        message.entries.every(isChatEntry) &&
        isOneOf(message.state, CHAT_STATES)
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
    case 'execute':
      return (
        isString(message.request_id) &&
        isString(message.action_id) &&
        isNumber(message.turn) &&
        isString(message.code) &&
        (message.timeout === null ||
          message.timeout === undefined ||
          isNumber(message.timeout)) &&
        isOneOf(message.approval, ['auto', 'ask'] as const) &&
        isString(message.path) &&
        (message.cell === undefined || isString(message.cell)) &&
        (message.replaces === undefined || isString(message.replaces)) &&
        (message.or_new === undefined || typeof message.or_new === 'boolean') &&
        (message.tools === null ||
          message.tools === undefined ||
          (isObject(message.tools) &&
            isString(message.tools.setup) &&
            isString(message.tools.nonce)))
      );
    case 'tool_result':
      return isString(message.call_id) && isString(message.value);
    case 'interrupt':
      return isString(message.request_id);
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
