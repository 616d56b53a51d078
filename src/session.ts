/**
 * One chat of this page: its model, its socket, and the routing of the
 * server's execution requests to the notebook executor.
 */
import { PromiseDelegate } from '@lumino/coreutils';
import { IDisposable } from '@lumino/disposable';

import { ChatSocket, IChatSocketOptions } from './api';
import type { NotebookExecutor } from './executor';
import { ChatModel } from './model';
import { prose } from './panel/text';
import {
  ActionStyle,
  ApprovalMode,
  IChatInfo,
  IExecuteResultMessage,
  IToolCallMessage,
  ServerMessage
} from './wire';

/**
 * What a session needs of the executor (a subset, so tests can fake it).
 */
export type ISessionExecutor = Pick<
  NotebookExecutor,
  'execute' | 'interrupt' | 'result'
>;

export interface IChatSessionOptions {
  chat: IChatInfo;
  clientId: string;
  executor: ISessionExecutor;
  /** Socket options (tests pass fake settings). */
  socket?: Partial<IChatSocketOptions>;
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
      clientId: options.clientId
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
  send(
    text: string,
    context: string | null,
    options: {
      approval: ApprovalMode;
      actionStyle?: ActionStyle | null;
      replaceFailed: boolean;
      userCell?: string;
      /** The model (and effort) the user picked; absent: the server's. */
      model?: string;
      reasoning_effort?: string;
    }
  ): void {
    this.model.clearProblem();
    this._socket.send({
      type: 'user_message',
      text,
      context,
      approval: options.approval,
      replace_failed: options.replaceFailed,
      ...(options.actionStyle ? { action_style: options.actionStyle } : {}),
      ...(options.userCell ? { user_cell: options.userCell } : {}),
      ...(options.model ? { model: options.model } : {}),
      ...(options.reasoning_effort
        ? { reasoning_effort: options.reasoning_effort }
        : {})
    });
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
    this._socket.dispose();
    // The kernel then reads end-of-file: the tool raises a plain error.
    for (const { answer } of this._toolCalls.values()) {
      answer.reject(new Error('The chat was closed.'));
    }
    this._toolCalls.clear();
  }

  private _onMessage(message: ServerMessage): void {
    this.model.apply(message);
    switch (message.type) {
      case 'execute': {
        const start = performance.now();
        const requestId = message.request_id;
        const onApproved = (): void => {
          this._socket.send({ type: 'approved', request_id: requestId });
        };
        const onToolCall = (callId: string, prompt: string): Promise<string> =>
          this._toolCall({
            type: 'tool_call',
            request_id: requestId,
            call_id: callId,
            prompt
          });
        void this._executor
          .execute(this.id, message, {
            onApproved,
            onToolCall,
            narration: this._narration(message.turn)
          })
          .then(result => {
            this._sendResult(result);
            measure('codeact:execute', start);
          });
        break;
      }
      case 'interrupt':
        this._executor.interrupt(message.request_id);
        break;
      case 'tool_result': {
        const pending = this._toolCalls.get(message.call_id);
        this._toolCalls.delete(message.call_id);
        pending?.answer.resolve(message.value);
        break;
      }
      case 'snapshot':
        this._resendResults();
        this._resendToolCalls();
        break;
      default:
        break;
    }
  }

  /**
   * The prose of the reply whose action this is (the reply comes first).
   */
  private _narration(turn: number): string {
    const entries = this.model.entries;
    for (let index = entries.length - 1; index >= 0; index--) {
      const entry = entries[index];
      if (entry.role === 'assistant' && entry.turn === turn) {
        return prose(entry.text ?? '');
      }
    }
    return '';
  }

  /**
   * Results are not queued while disconnected: after a reconnection, the
   * snapshot tells which actions still wait for theirs, and only those are
   * sent again (so the server never gets one twice from a reconnect).
   */
  private _sendResult(result: IExecuteResultMessage): void {
    if (!this._isDisposed) {
      this._socket.send(result, false);
    }
  }

  private _resendResults(): void {
    for (const entry of this.model.entries) {
      if (
        entry.role === 'action' &&
        entry.phase !== 'finished' &&
        entry.request_id
      ) {
        const result = this._executor.result(entry.request_id);
        if (result) {
          this._sendResult(result);
        }
      }
    }
  }

  /**
   * Relay a tool call to the server; resolves with its answer. Calls still
   * unanswered when the socket reconnects are asked again (the server runs
   * each call id once).
   */
  private _toolCall(message: IToolCallMessage): Promise<string> {
    const known = this._toolCalls.get(message.call_id);
    if (known) {
      return known.answer.promise;
    }
    const answer = new PromiseDelegate<string>();
    this._toolCalls.set(message.call_id, { message, answer });
    this._socket.send(message);
    return answer.promise;
  }

  private _resendToolCalls(): void {
    for (const { message } of this._toolCalls.values()) {
      this._socket.send(message, false);
    }
  }

  private _executor: ISessionExecutor;
  private _toolCalls = new Map<
    string,
    { message: IToolCallMessage; answer: PromiseDelegate<string> }
  >();
  private _socket: ChatSocket;
  private _isDisposed = false;
}
