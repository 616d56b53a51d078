/**
 * The one network module: every REST call and the chat websocket go
 * through here (the tests fake this module, or its `WebSocket`).
 */
import { URLExt } from '@jupyterlab/coreutils';
import { ServerConnection } from '@jupyterlab/services';
import { IDisposable } from '@lumino/disposable';
import { ISignal, Signal } from '@lumino/signaling';

import { API_NAMESPACE, codeactUrl } from './tokens';
import {
  ClientMessage,
  IChatDetail,
  IChatInfo,
  IChatList,
  IContextExpression,
  IModelList,
  IPublicConfig,
  ISetupDocs,
  IRules,
  ITrustFile,
  ITrustList,
  parseServerMessage,
  ServerMessage,
  TrustDecision
} from './wire';

/**
 * A failed call to the server, with a sentence the panel can show.
 */
export class APIError extends Error {
  constructor(
    message: string,
    readonly status: number | null
  ) {
    super(message);
    this.name = 'APIError';
  }
}

/**
 * Call a jupyter-codeact REST endpoint and decode its JSON answer.
 *
 * @param endpoint - The path below `codeact/`, query string included
 *   (e.g. `chats?path=a.ipynb`); callers encode their own values.
 */
export async function requestAPI<T>(
  endpoint: string,
  init: RequestInit = {},
  settings: ServerConnection.ISettings = ServerConnection.makeSettings()
): Promise<T> {
  const url = URLExt.join(settings.baseUrl, API_NAMESPACE, endpoint);
  let response: Response;
  try {
    response = await ServerConnection.makeRequest(url, init, settings);
  } catch (error) {
    throw new APIError(
      `Cannot reach the Jupyter server (${String(error)}); check that it is still running.`,
      null
    );
  }
  const text = await response.text();
  let data: unknown = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  if (!response.ok) {
    const detail =
      typeof data === 'object' && data !== null && 'message' in data
        ? String((data as { message: unknown }).message)
        : response.statusText;
    throw new APIError(
      `The CodeAct server answered ${response.status}: ${detail.replace(/\.$/, '') || 'no detail'}.`,
      response.status
    );
  }
  return data as T;
}

const json = (body: unknown): RequestInit => ({
  method: 'POST',
  body: JSON.stringify(body),
  headers: { 'Content-Type': 'application/json' }
});

/**
 * The REST endpoints of the protocol, typed.
 */
export const api = {
  config: (): Promise<IPublicConfig> => requestAPI<IPublicConfig>('config'),
  listChats: (path: string): Promise<IChatList> =>
    requestAPI<IChatList>(`chats?path=${encodeURIComponent(path)}`),
  createChat: (path: string): Promise<IChatInfo> =>
    requestAPI<IChatInfo>('chats', json({ path })),
  getChat: (id: string): Promise<IChatDetail> =>
    requestAPI<IChatDetail>(`chats/${encodeURIComponent(id)}`),
  deleteChat: (id: string): Promise<void> =>
    requestAPI<void>(`chats/${encodeURIComponent(id)}`, { method: 'DELETE' }),
  contextExpression: (): Promise<IContextExpression> =>
    requestAPI<IContextExpression>('context/expression'),
  rules: (path: string): Promise<IRules> =>
    requestAPI<IRules>(`rules?path=${encodeURIComponent(path)}`),
  renameChat: (id: string, title: string): Promise<IChatInfo> =>
    requestAPI<IChatInfo>(`chats/${encodeURIComponent(id)}/title`, {
      ...json({ title }),
      method: 'PUT'
    }),
  models: (refresh = false): Promise<IModelList> =>
    requestAPI<IModelList>(refresh ? 'models?refresh=1' : 'models'),
  setupDocs: (): Promise<ISetupDocs> => requestAPI<ISetupDocs>('docs/setup'),
  trust: (path: string): Promise<ITrustList> =>
    requestAPI<ITrustList>(`trust?path=${encodeURIComponent(path)}`),
  decideTrust: (
    path: string,
    files: readonly ITrustFile[],
    decision: TrustDecision
  ): Promise<ITrustList> =>
    requestAPI<ITrustList>(
      'trust',
      json({
        path,
        decision,
        files: files.map(file => ({ path: file.path, sha256: file.sha256 }))
      })
    )
};

/**
 * The state of a chat socket: `connecting` (first attempt or a retry),
 * `open` (hello sent), `closed` (waiting to retry), `disposed`.
 */
export type ConnectionStatus = 'connecting' | 'open' | 'closed' | 'disposed';

export interface IChatSocketOptions {
  chatId: string;
  /** One id per page load, so the server recognises a reconnecting page. */
  clientId: string;
  settings?: ServerConnection.ISettings;
  /** First retry delay in ms (doubled on each failure). */
  retryDelay?: number;
  /** Longest retry delay in ms. */
  maxRetryDelay?: number;
  /**
   * Messages to send after `hello` on every (re)connection, before what was
   * queued (what the page holds must be known before what it asks).
   */
  greeting?: () => ClientMessage[];
}

/**
 * The websocket of one chat: says `hello` on every (re)connection,
 * reconnects with backoff, queues messages sent while disconnected, and
 * emits the server's messages once checked against the protocol.
 */
export class ChatSocket implements IDisposable {
  constructor(options: IChatSocketOptions) {
    this._options = options;
    this._settings = options.settings ?? ServerConnection.makeSettings();
    this._retryDelay = options.retryDelay ?? 500;
    this._connect();
  }

  get status(): ConnectionStatus {
    return this._status;
  }

  get isDisposed(): boolean {
    return this._status === 'disposed';
  }

  /**
   * Every valid message from the server, in order.
   */
  get messageReceived(): ISignal<this, ServerMessage> {
    return this._messageReceived;
  }

  get statusChanged(): ISignal<this, ConnectionStatus> {
    return this._statusChanged;
  }

  /**
   * The websocket URL of the chat (with the token when the server wants it
   * in the URL).
   */
  get url(): string {
    const base = codeactUrl(
      this._settings.wsUrl,
      'chats',
      this._options.chatId,
      'ws'
    );
    const token = this._settings.token;
    return this._settings.appendToken && token
      ? `${base}?token=${encodeURIComponent(token)}`
      : base;
  }

  /**
   * Send a message now, or after the next (re)connection.
   *
   * @param queue - Whether to keep the message for the next connection
   *   when the socket is not open; otherwise it is dropped.
   * @returns whether the message was written to an open socket.
   */
  send(message: ClientMessage, queue = true): boolean {
    if (this._status === 'open' && this._socket) {
      this._socket.send(JSON.stringify(message));
      return true;
    }
    if (queue && !this.isDisposed) {
      this._queue.push(message);
    }
    return false;
  }

  /**
   * Close for good.
   */
  dispose(): void {
    if (this.isDisposed) {
      return;
    }
    if (this._timer !== null) {
      clearTimeout(this._timer);
      this._timer = null;
    }
    const socket = this._socket;
    this._socket = null;
    this._queue = [];
    this._setStatus('disposed');
    if (socket) {
      socket.onopen = socket.onclose = socket.onmessage = socket.onerror = null;
      socket.close();
    }
    Signal.clearData(this);
  }

  private _connect(): void {
    this._timer = null;
    this._setStatus('connecting');
    const socket = new this._settings.WebSocket(this.url);
    this._socket = socket;
    socket.onopen = () => {
      if (this._socket !== socket) {
        return;
      }
      this._retryDelay = this._options.retryDelay ?? 500;
      const hello: ClientMessage = {
        type: 'hello',
        client_id: this._options.clientId
      };
      socket.send(JSON.stringify(hello));
      for (const message of this._options.greeting?.() ?? []) {
        socket.send(JSON.stringify(message));
      }
      this._setStatus('open');
      const queued = this._queue;
      this._queue = [];
      for (const message of queued) {
        socket.send(JSON.stringify(message));
      }
    };
    socket.onmessage = (event: MessageEvent) => {
      if (this._socket !== socket) {
        return;
      }
      const message = parseServerMessage(event.data);
      if (message === null) {
        console.warn('CodeAct: ignoring an unexpected message', event.data);
        return;
      }
      this._messageReceived.emit(message);
    };
    socket.onclose = () => {
      if (this._socket !== socket) {
        return;
      }
      this._socket = null;
      this._setStatus('closed');
      const delay = this._retryDelay;
      this._retryDelay = Math.min(
        delay * 2,
        this._options.maxRetryDelay ?? 10000
      );
      this._timer = setTimeout(() => this._connect(), delay);
    };
    // A failed connection is followed by `close`, which retries.
    socket.onerror = () => undefined;
  }

  private _setStatus(status: ConnectionStatus): void {
    if (this._status !== status) {
      this._status = status;
      this._statusChanged.emit(status);
    }
  }

  private _options: IChatSocketOptions;
  private _settings: ServerConnection.ISettings;
  private _socket: WebSocket | null = null;
  private _status: ConnectionStatus = 'connecting';
  private _queue: ClientMessage[] = [];
  private _retryDelay: number;
  private _timer: ReturnType<typeof setTimeout> | null = null;
  private _messageReceived = new Signal<this, ServerMessage>(this);
  private _statusChanged = new Signal<this, ConnectionStatus>(this);
}
