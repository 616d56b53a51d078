/**
 * The public surface of jupyter-codeact: ids, settings, and the token other
 * extensions can require to drive the chat.
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ReadonlyPartialJSONObject, Token } from '@lumino/coreutils';
import { ISignal } from '@lumino/signaling';

import type { ChatModel } from './model';
import type { ActionStyle, ApprovalMode } from './wire';

/**
 * The id of the main plugin. Its settings schema is `schema/plugin.json`.
 */
export const PLUGIN_ID = 'jupyter-codeact:plugin';

/**
 * The URL namespace of the jupyter-codeact server extension.
 */
export const API_NAMESPACE = 'codeact';

/**
 * The key of the cell metadata the agent writes on the cells it inserts,
 * and of the notebook metadata that records the operations it holds.
 */
export const CELL_METADATA_KEY = 'codeact';

/**
 * Command ids.
 */
export namespace CommandIDs {
  export const open = 'codeact:open';
  export const newChat = 'codeact:new-chat';
  export const focusInput = 'codeact:focus-input';
  export const askAboutCell = 'codeact:ask-about-cell';
  export const fixCellError = 'codeact:fix-cell-error';
  export const stop = 'codeact:stop';
  export const acceptChange = 'codeact:accept-change';
  export const rejectChange = 'codeact:reject-change';
  export const runPending = 'codeact:run-pending';
}

/**
 * Whether each cell written by the agent runs immediately or waits for
 * the user's approval (defined with the wire protocol).
 */
export type { ActionStyle, ApprovalMode };

/**
 * Where the agent inserts the cells it writes.
 */
export type InsertPosition = 'belowLast' | 'end';

/**
 * The user settings of the extension.
 */
export interface ICodeActSettings {
  approvalMode: ApprovalMode;
  /** How the model acts (sent with each request only when the user set it). */
  actionStyle: ActionStyle;
  insertPosition: InsertPosition;
  contextCells: number;
  /** Render the outputs of the agent's cells untrusted (sanitized). */
  untrustedAgentOutputs: boolean;
  /** A fix replaces the failed agent cell instead of going below it. */
  replaceFailedCells: boolean;
  /** The model's prose before an action goes into a markdown cell above it. */
  narrate: boolean;
  /** The model picked in the panel ('': the server's). */
  model: string;
  /** The reasoning effort picked in the panel ('': the server's). */
  reasoningEffort: ReasoningEffort;
}

/** Reasoning efforts the panel offers ('' leaves it to the server). */
export type ReasoningEffort = '' | 'minimal' | 'low' | 'medium' | 'high';

export const REASONING_EFFORTS: readonly ReasoningEffort[] = [
  'minimal',
  'low',
  'medium',
  'high'
];

/**
 * Bounds of the `contextCells` setting (kept in sync with the schema).
 */
export const CONTEXT_CELLS_MIN = 0;
export const CONTEXT_CELLS_MAX = 50;

/**
 * The settings used when the setting registry is unavailable.
 */
export const DEFAULT_SETTINGS: Readonly<ICodeActSettings> = Object.freeze({
  approvalMode: 'auto',
  actionStyle: 'auto',
  insertPosition: 'belowLast',
  contextCells: 5,
  untrustedAgentOutputs: false,
  replaceFailedCells: true,
  narrate: false,
  model: '',
  reasoningEffort: ''
});

/**
 * The provenance the agent writes into the metadata of each cell it
 * inserts, under {@link CELL_METADATA_KEY}.
 */
export interface ICellProvenance {
  chat_id: string;
  turn: number;
  action_id: string;
  request_id: string;
  /** The model's id of the cell (e.g. `c3a1`); it stays when the code is replaced. */
  cell?: string;
  /** A hash of the source the agent wrote: another source means the user edited it. */
  code_hash?: string;
  /** The execution count the agent's run left: another one means the user ran it. */
  execution_count?: number | null;
  /** `narration`: the markdown explaining code cell `cell`; `answer`: a final answer. */
  role?: 'narration' | 'answer';
  /**
   * A failed cell a later action went below rather than replace: `trimmed`
   * to the statements that ran before its error, or kept whole and marked
   * `failed` (tagged `raises-exception`).
   */
  kept?: 'trimmed' | 'failed';
  /** An action waiting for approval in this cell (`src/notebook/pending.ts`). */
  pending?: { request_id: string; code?: string };
}

/**
 * The chats of this page, one per notebook; provided by the plugin.
 */
export interface ICodeActChats {
  /**
   * The chat shown in the panel (the one of the current notebook), if any.
   */
  readonly current: ChatModel | null;

  /**
   * Emitted when the panel switches to another chat.
   */
  readonly currentChanged: ISignal<ICodeActChats, ChatModel | null>;

  /**
   * Send a message to the current notebook's chat (creating the chat, and
   * a notebook if none is open). Resolves when the message was sent.
   */
  send(text: string, options?: { fixCell?: string }): Promise<void>;

  /**
   * Stop the current chat's run.
   */
  stop(): void;

  /**
   * Start a new, empty chat for the current notebook.
   */
  newChat(): Promise<void>;
}

/**
 * The token of the chats service.
 */
export const ICodeActChats = new Token<ICodeActChats>(
  'jupyter-codeact:ICodeActChats',
  'The CodeAct chats of this page: send messages, stop runs, start new chats.'
);

/**
 * Build the URL of a jupyter-codeact server endpoint.
 *
 * @param baseUrl - The Jupyter server base URL
 *   (e.g. `ServerConnection.makeSettings().baseUrl`).
 * @param segments - Path segments below the API namespace; each one is
 *   URI-encoded so that it can never add or remove a path level.
 */
export function codeactUrl(baseUrl: string, ...segments: string[]): string {
  return URLExt.join(
    baseUrl,
    API_NAMESPACE,
    ...segments.map(segment => encodeURIComponent(segment))
  );
}

/**
 * Turn raw composite settings into typed settings.
 *
 * Missing or invalid values fall back to the defaults; `contextCells` is
 * truncated to an integer and clamped to its allowed range.
 */
export function normalizeSettings(
  raw: ReadonlyPartialJSONObject | null | undefined
): ICodeActSettings {
  const settings: ICodeActSettings = { ...DEFAULT_SETTINGS };
  if (!raw) {
    return settings;
  }
  if (raw.approvalMode === 'auto' || raw.approvalMode === 'ask') {
    settings.approvalMode = raw.approvalMode;
  }
  if (
    raw.actionStyle === 'auto' ||
    raw.actionStyle === 'tags' ||
    raw.actionStyle === 'tools'
  ) {
    settings.actionStyle = raw.actionStyle;
  }
  if (raw.insertPosition === 'belowLast' || raw.insertPosition === 'end') {
    settings.insertPosition = raw.insertPosition;
  }
  if (typeof raw.untrustedAgentOutputs === 'boolean') {
    settings.untrustedAgentOutputs = raw.untrustedAgentOutputs;
  }
  for (const key of ['replaceFailedCells', 'narrate'] as const) {
    if (typeof raw[key] === 'boolean') {
      settings[key] = raw[key] as boolean;
    }
  }
  if (typeof raw.model === 'string') {
    settings.model = raw.model.trim();
  }
  const effort = raw.reasoningEffort;
  if (REASONING_EFFORTS.includes(effort as ReasoningEffort)) {
    settings.reasoningEffort = effort as ReasoningEffort;
  }
  const contextCells = raw.contextCells;
  if (typeof contextCells === 'number' && Number.isFinite(contextCells)) {
    settings.contextCells = Math.min(
      CONTEXT_CELLS_MAX,
      Math.max(CONTEXT_CELLS_MIN, Math.trunc(contextCells))
    );
  }
  return settings;
}
