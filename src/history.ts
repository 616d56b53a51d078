/**
 * The chat history of each notebook: its chats, newest first, to reopen,
 * rename or delete. *New chat* adds to it; nothing is dropped without the
 * user asking.
 */
import type { NotebookPanel } from '@jupyterlab/notebook';
import { ISignal, Signal } from '@lumino/signaling';

import { api } from './api';
import type { IChatDetail, IChatInfo } from './wire';

/** What the history needs of the chats of the page (the manager). */
export interface IHistoryHost {
  /** The notebook the panel follows. */
  notebook(): NotebookPanel | null;
  /** Show `chat` (or no chat) as `notebook`'s. */
  show(notebook: NotebookPanel, chat: IChatInfo | null): void;
  /** Whether `chatId` is the chat shown for `notebook`. */
  isShown(notebook: NotebookPanel, chatId: string): boolean;
  /** Close chat `chatId`'s connection (it was deleted). */
  close(chatId: string): void;
  /** A chat's title changed. */
  retitled(chatId: string, title: string): void;
}

export class ChatHistory {
  constructor(host: IHistoryHost) {
    this._host = host;
  }

  /** Emitted when a notebook's list changes. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The chats of `notebook`, newest first (empty until listed). */
  chats(notebook: NotebookPanel | null): readonly IChatInfo[] {
    return (notebook && this._lists.get(notebook)) || [];
  }

  set(notebook: NotebookPanel, chats: readonly IChatInfo[]): void {
    this._lists.set(notebook, chats);
    this._changed.emit(undefined);
  }

  /** A new chat of `notebook`: first in its list. */
  add(notebook: NotebookPanel, chat: IChatInfo): void {
    const others = this.chats(notebook).filter(item => item.id !== chat.id);
    this.set(notebook, [chat, ...others]);
  }

  forget(notebook: NotebookPanel): void {
    this._lists.delete(notebook);
  }

  /** Chat `chatId` is called `title` now (wherever it is listed). */
  retitle(chatId: string, title: string): void {
    for (const [notebook, chats] of this._lists) {
      if (chats.some(chat => chat.id === chatId && chat.title !== title)) {
        this.set(
          notebook,
          chats.map(chat => (chat.id === chatId ? { ...chat, title } : chat))
        );
      }
    }
  }

  /** Read the followed notebook's list again (newest activity first). */
  async refresh(): Promise<void> {
    const notebook = this._host.notebook();
    if (notebook) {
      const listing = await api.listChats(notebook.context.path);
      this.set(notebook, listing.chats);
    }
  }

  /** Show chat `chatId` of the followed notebook. */
  open(chatId: string): void {
    const notebook = this._host.notebook();
    const chat = this.chats(notebook).find(item => item.id === chatId);
    if (notebook && chat) {
      this._host.show(notebook, chat);
    }
  }

  /** Chat `chatId` as the server keeps it (to export it). */
  detail(chatId: string): Promise<IChatDetail> {
    return api.getChat(chatId);
  }

  async rename(chatId: string, title: string): Promise<void> {
    const info = await api.renameChat(chatId, title);
    this.retitle(chatId, info.title);
    this._host.retitled(chatId, info.title);
  }

  /**
   * Delete chat `chatId` (the cells it wrote stay in the notebook); if it
   * was shown, the newest other chat is shown instead.
   */
  async remove(chatId: string): Promise<void> {
    await api.deleteChat(chatId);
    const notebook = this._host.notebook();
    const shown = !!notebook && this._host.isShown(notebook, chatId);
    this._host.close(chatId);
    if (!notebook) {
      return;
    }
    const chats = this.chats(notebook).filter(chat => chat.id !== chatId);
    this.set(notebook, chats);
    if (shown) {
      this._host.show(notebook, chats[0] ?? null);
    }
  }

  private _host: IHistoryHost;
  private _lists = new Map<NotebookPanel, readonly IChatInfo[]>();
  private _changed = new Signal<this, void>(this);
}
