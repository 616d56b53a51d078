/**
 * One chat of this page: its model, its socket, and what the server asks of
 * the page: apply document operations to the notebook, answer questions
 * about it, show what waits for the user.
 */
import { IDisposable } from '@lumino/disposable';

import { ChatSocket, IChatSocketOptions } from './api';
import type { ApprovalDecision, NotebookExecutor } from './executor';
import { ChatModel } from './model';
import {
  ActionStyle,
  ApprovalMode,
  CellPosition,
  ClientMessage,
  IApproval,
  IChatInfo,
  IOpsMessage,
  ServerMessage
} from './wire';

/**
 * What a session needs of the executor (a subset, so tests can fake it).
 */
export type ISessionExecutor = Pick<
  NotebookExecutor,
  'apply' | 'follow' | 'inspect' | 'applied' | 'setApproval'
>;

export interface IChatSessionOptions {
  chat: IChatInfo;
  clientId: string;
  executor: ISessionExecutor;
  /** Socket options (tests pass fake settings). */
  socket?: Partial<IChatSocketOptions>;
}

/** What goes with a request besides its text. */
export interface ISendOptions {
  approval: ApprovalMode;
  actionStyle?: ActionStyle | null;
  replaceFailed: boolean;
  /** The id the model uses for the user's cell (Fix the Error)... */
  userCell?: string;
  /** ...and that cell's notebook id. */
  userCellId?: string;
  /** The notebook id of the cell selected now. */
  selectedCell?: string;
  position?: CellPosition;
  narrate?: boolean;
  untrusted?: boolean;
  /** The model (and effort) the user picked; absent: the server's. */
  model?: string;
  reasoning_effort?: string;
}

/**
 * Record a span in the page's performance timeline (the browser
 * benchmarks read it; it costs nothing otherwise).
 */
function measure(name: string, start: number): void {
  try {
    performance.measure(name, { start, end: performance.now() });
  } catch {
    // Not every environment implements User Timing level 3.
  }
}

export class ChatSession implements IDisposable {
  constructor(options: IChatSessionOptions) {
    this._executor = options.executor;
    this.model.apply({ type: 'chat', chat: options.chat });
    this._socket = new ChatSocket({
      ...options.socket,
      chatId: options.chat.id,
      clientId: options.clientId,
      greeting: () => this._greeting()
    });
    this.model.connection = this._socket.status;
    this._socket.statusChanged.connect((_, status) => {
      this.model.connection = status;
    });
    this._socket.messageReceived.connect((_, message) =>
      this._onMessage(message)
    );
  }

  readonly model = new ChatModel();

  get id(): string {
    return this.model.chat!.id;
  }

  get isDisposed(): boolean {
    return this._isDisposed;
  }

  /**
   * Send a user message, with the notebook context and the user's choices
   * (an action style of null: the server's).
   */
  send(text: string, context: string | null, options: ISendOptions): void {
    this.model.clearProblem();
    this._socket.send({
      type: 'user_message',
      text,
      context,
      approval: options.approval,
      replace_failed: options.replaceFailed,
      ...(options.actionStyle ? { action_style: options.actionStyle } : {}),
      ...(options.userCell && options.userCellId
        ? { user_cell: options.userCell, user_cell_id: options.userCellId }
        : {}),
      ...(options.selectedCell ? { selected_cell: options.selectedCell } : {}),
      ...(options.position ? { position: options.position } : {}),
      ...(options.narrate ? { narrate: true } : {}),
      ...(options.untrusted ? { untrusted: true } : {}),
      ...(options.model ? { model: options.model } : {}),
      ...(options.reasoning_effort
        ? { reasoning_effort: options.reasoning_effort }
        : {})
    });
  }

  /**
   * *Undo this turn*: the turn listed by `changes` entry `entryId`.
   */
  undo(entryId: string): void {
    this.model.clearProblem();
    this._socket.send({ type: 'undo', entry_id: entryId });
  }

  /**
   * Ask the server to stop the run.
   */
  stop(): void {
    this._socket.send({ type: 'stop' });
  }

  dispose(): void {
    if (this._isDisposed) {
      return;
    }
    this._isDisposed = true;
    this._executor.setApproval(this.id, null, () => undefined);
    this._socket.dispose();
  }

  /** What this page holds, said on every (re)connection. */
  private _greeting(): ClientMessage[] {
    const path = this.model.chat?.path;
    const applied = path ? this._executor.applied(path) : null;
    return path && applied ? [{ type: 'document', path, applied }] : [];
  }

  private _onMessage(message: ServerMessage): void {
    this.model.apply(message);
    switch (message.type) {
      case 'entry':
        if (
          message.entry.role === 'action' &&
          message.entry.action_id &&
          message.entry.phase === 'pending'
        ) {
          this._actions.set(message.entry.action_id, performance.now());
        }
        break;
      case 'ops':
        void this._apply(message);
        break;
      case 'inspect': {
        const facts = this._executor.inspect(message);
        if (facts) {
          this._socket.send(
            { type: 'facts', query_id: message.query_id, facts },
            false
          );
        }
        break;
      }
      case 'snapshot':
        this._setApproval(message.approval ?? null);
        break;
      case 'approval':
        this._setApproval(message.approval);
        break;
      default:
        break;
    }
  }

  private async _apply(message: IOpsMessage): Promise<void> {
    for (const op of message.ops) {
      // Which action each cell shows (for the span below).
      const mark =
        op.op === 'insert'
          ? (op.cell.metadata as any)?.codeact
          : op.op === 'provenance'
            ? op.value
            : null;
      if (mark?.action_id) {
        const id =
          op.op === 'insert'
            ? String(op.cell.id)
            : op.op === 'provenance'
              ? op.cell_id
              : '';
        this._cells.set(id, String(mark.action_id));
      }
    }
    if (message.shared) {
      // Real-time collaboration: written into the shared notebook by the
      // server, they arrive through the room.
      await this._executor.follow(message.path, message.chat_id, message.ops);
    } else {
      await this._executor.apply(
        message.path,
        message.chat_id,
        message.ops,
        message.disk
      );
    }
    for (const op of message.ops) {
      if (op.op !== 'outputs' || op.running) {
        continue;
      }
      const action = this._cells.get(op.cell_id);
      const start = action ? this._actions.get(action) : undefined;
      if (action && start !== undefined) {
        // From the action's event (its step in the chat) to its outputs in the cell.
        measure('codeact:action', start);
        this._actions.delete(action);
      }
    }
  }

  private _setApproval(approval: IApproval | null): void {
    this._executor.setApproval(
      this.id,
      approval,
      (decision: ApprovalDecision) => {
        this._socket.send({
          type: 'decide',
          request_id: approval!.request_id,
          run: decision.run,
          ...(decision.run ? { code: decision.code } : {})
        });
      }
    );
  }

  private _executor: ISessionExecutor;
  private _socket: ChatSocket;
  private _actions = new Map<string, number>();
  private _cells = new Map<string, string>();
  private _isDisposed = false;
}
