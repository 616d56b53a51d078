/**
 * The chat sessions this page has open, by chat id, and the titles of the
 * chats it has heard of (the notebook toolbar and the history name them).
 */
import { ISignal, Signal } from '@lumino/signaling';

import type { NotebookExecutor } from './executor';
import { ChatSession } from './session';
import { IChatInfo } from './wire';

export interface IChatSessionsOptions {
  /** One id per page load: the server recognises a reconnecting page. */
  clientId: string;
  executor: NotebookExecutor;
  /** Chat `chatId` was renamed (on the server, or in another page). */
  retitled?: (chatId: string, title: string) => void;
}

export class ChatSessions {
  constructor(options: IChatSessionsOptions) {
    this._options = options;
  }

  /** Emitted when chat titles may have changed. */
  get titlesChanged(): ISignal<this, void> {
    return this._titlesChanged;
  }

  get(chatId: string): ChatSession | undefined {
    return this._sessions.get(chatId);
  }

  /** The session of `chat`, opened (its socket connecting) if it is not. */
  open(chat: IChatInfo): ChatSession {
    let session = this._sessions.get(chat.id);
    if (!session) {
      const opened = new ChatSession({
        chat,
        clientId: this._options.clientId,
        executor: this._options.executor
      });
      session = opened;
      this._sessions.set(chat.id, opened);
      opened.model.changed.connect(() => {
        const title = opened.model.chat?.title;
        if (title && title !== this._titles.get(chat.id)) {
          this.setTitle(chat.id, title);
          this._options.retitled?.(chat.id, title);
        }
      });
    }
    return session;
  }

  /** Close the session of `chatId` (its socket), if it is open. */
  close(chatId: string): void {
    this._sessions.get(chatId)?.dispose();
    this._sessions.delete(chatId);
  }

  /** Close every session of notebook `path`: shown, or running behind another. */
  closeAll(path: string): void {
    for (const session of [...this._sessions.values()]) {
      if (session.model.chat?.path === path) {
        this.close(session.id);
      }
    }
  }

  /** The title of chat `chatId`, if this page has heard of it. */
  title(chatId: string): string | null {
    return (
      this._sessions.get(chatId)?.model.chat?.title ??
      this._titles.get(chatId) ??
      null
    );
  }

  setTitle(chatId: string, title: string): void {
    this._titles.set(chatId, title);
    this._titlesChanged.emit(undefined);
  }

  /** What a listing of a notebook's chats says of their titles. */
  heardOf(chats: readonly IChatInfo[]): void {
    for (const known of chats) {
      this._titles.set(known.id, known.title);
    }
    this._titlesChanged.emit(undefined);
  }

  dispose(): void {
    for (const session of this._sessions.values()) {
      session.dispose();
    }
    this._sessions.clear();
    Signal.clearData(this);
  }

  private _options: IChatSessionsOptions;
  private _sessions = new Map<string, ChatSession>();
  private _titles = new Map<string, string>();
  private _titlesChanged = new Signal<this, void>(this);
}
