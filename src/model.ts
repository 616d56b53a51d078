/**
 * The chat model: what the panel shows of one chat, kept up to date from
 * the server's messages by a pure reducer. No DOM, no network.
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { ConnectionStatus } from './api';
import { ChatState, IChatEntry, IChatInfo, ServerMessage } from './wire';

/**
 * The immutable state of one chat: a reducer step returns a new object
 * and new entry objects for what changed only, so views can compare by
 * identity.
 */
export interface IChatSnapshot {
  readonly chat: IChatInfo | null;
  readonly entries: readonly IChatEntry[];
  readonly state: ChatState;
  /** Tokens used by the current (or last) run. */
  readonly tokens: number;
  /** The last refusal from the server, until the next user message. */
  readonly problem: string | null;
}

export const EMPTY_SNAPSHOT: IChatSnapshot = Object.freeze({
  chat: null,
  entries: Object.freeze([]) as readonly IChatEntry[],
  state: 'idle',
  tokens: 0,
  problem: null
});

function upsert(
  entries: readonly IChatEntry[],
  entry: IChatEntry
): readonly IChatEntry[] {
  const index = entries.findIndex(item => item.id === entry.id);
  if (index < 0) {
    return [...entries, entry];
  }
  const next = entries.slice();
  next[index] = entry;
  return next;
}

/**
 * Apply one server message. Messages that do not change what is shown
 * (`execute`, `interrupt`) return `snapshot` itself.
 */
export function reduce(
  snapshot: IChatSnapshot,
  message: ServerMessage,
  now: () => number = () => Date.now() / 1000
): IChatSnapshot {
  switch (message.type) {
    case 'snapshot':
      return {
        chat: message.chat,
        entries: message.entries,
        state: message.state,
        tokens: snapshot.chat?.id === message.chat.id ? snapshot.tokens : 0,
        problem: null
      };
    case 'entry':
      return {
        ...snapshot,
        entries: upsert(snapshot.entries, message.entry)
      };
    case 'delta': {
      const key = message.field ?? 'text';
      const index = snapshot.entries.findIndex(e => e.id === message.id);
      const base: IChatEntry =
        index < 0
          ? {
              id: message.id,
              role: 'assistant',
              time: now(),
              text: '',
              streaming: true
            }
          : snapshot.entries[index];
      const entry: IChatEntry = {
        ...base,
        [key]: (base[key] ?? '') + message.text
      };
      return { ...snapshot, entries: upsert(snapshot.entries, entry) };
    }
    case 'state':
      return { ...snapshot, state: message.state, tokens: message.tokens };
    case 'chat':
      return { ...snapshot, chat: message.chat };
    case 'problem':
      return { ...snapshot, problem: message.message };
    default:
      return snapshot;
  }
}

/**
 * Whether the agent is working (the panel offers Stop).
 */
export function isBusy(state: ChatState): boolean {
  return (
    state === 'thinking' || state === 'running' || state === 'waiting_approval'
  );
}

/**
 * The observation that answers an action, looked up by action id.
 */
export function observationsByAction(
  entries: readonly IChatEntry[]
): Map<string, IChatEntry> {
  const found = new Map<string, IChatEntry>();
  for (const entry of entries) {
    if (entry.role === 'observation' && entry.action_id) {
      found.set(entry.action_id, entry);
    }
  }
  return found;
}

/**
 * The action that each observation answers, looked up by action id.
 */
export function actionsById(
  entries: readonly IChatEntry[]
): Map<string, IChatEntry> {
  const found = new Map<string, IChatEntry>();
  for (const entry of entries) {
    if (entry.role === 'action' && entry.action_id) {
      found.set(entry.action_id, entry);
    }
  }
  return found;
}

const words = (text: string): string => text.replace(/\s+/g, ' ').trim();

/**
 * The assistant entries that only repeat the answer after them: a reply in
 * plain prose (no `<solution>`, or a tools-style reply without a call) is
 * itself the answer, shown once, in the answer's box.
 */
export function repeatedAnswers(entries: readonly IChatEntry[]): Set<string> {
  const repeated = new Set<string>();
  const answers = new Map<number, string>();
  for (const entry of entries) {
    if (entry.role === 'final' && entry.turn !== undefined) {
      answers.set(entry.turn, words(entry.text ?? ''));
    }
  }
  for (const entry of entries) {
    if (
      entry.role !== 'assistant' ||
      entry.streaming ||
      entry.turn === undefined
    ) {
      continue;
    }
    const answer = answers.get(entry.turn);
    const shown = words(entry.prose ?? '');
    if (answer && shown && answer.includes(shown)) {
      repeated.add(entry.id);
    }
  }
  return repeated;
}

/**
 * The action ids of attempts a later fix replaced: an action whose cell a
 * later action replaced (its code now lives on in that cell).
 */
export function supersededActions(entries: readonly IChatEntry[]): Set<string> {
  const superseded = new Set<string>();
  const byCell = new Map<string, string[]>();
  for (const entry of entries) {
    if (entry.role !== 'action' || !entry.cell || !entry.action_id) {
      continue;
    }
    const earlier = byCell.get(entry.cell) ?? [];
    if (entry.replaced) {
      earlier.forEach(id => superseded.add(id));
    }
    earlier.push(entry.action_id);
    byCell.set(entry.cell, earlier);
  }
  return superseded;
}

/**
 * One chat, observable: the reducer's current snapshot plus the
 * connection status, with a signal on every change.
 */
export class ChatModel {
  get snapshot(): IChatSnapshot {
    return this._snapshot;
  }

  get chat(): IChatInfo | null {
    return this._snapshot.chat;
  }

  get entries(): readonly IChatEntry[] {
    return this._snapshot.entries;
  }

  get state(): ChatState {
    return this._snapshot.state;
  }

  get busy(): boolean {
    return isBusy(this._snapshot.state);
  }

  get connection(): ConnectionStatus {
    return this._connection;
  }

  set connection(status: ConnectionStatus) {
    if (status !== this._connection) {
      this._connection = status;
      this._changed.emit(undefined);
    }
  }

  /**
   * Emitted after each change of the snapshot or the connection.
   */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /**
   * Apply a server message; emits `changed` when something changed.
   */
  apply(message: ServerMessage): void {
    const next = reduce(this._snapshot, message);
    if (next !== this._snapshot) {
      this._snapshot = next;
      this._changed.emit(undefined);
    }
  }

  /**
   * Forget the last refusal (the user is trying again).
   */
  clearProblem(): void {
    if (this._snapshot.problem !== null) {
      this._snapshot = { ...this._snapshot, problem: null };
      this._changed.emit(undefined);
    }
  }

  /**
   * Show a problem found on this side (e.g. the chat could not be created).
   */
  setProblem(problem: string): void {
    this.apply({ type: 'problem', message: problem });
  }

  private _snapshot: IChatSnapshot = EMPTY_SNAPSHOT;
  private _connection: ConnectionStatus = 'connecting';
  private _changed = new Signal<this, void>(this);
}
