/**
 * What this page knows of each open notebook: the session of the chat it
 * shows (its newest, loaded from the server the first time), its chat
 * files that could not be read, and the rules that apply to it. A notebook
 * that closes is forgotten, and its chats' sockets close.
 */
import { NotebookPanel } from '@jupyterlab/notebook';

import { api } from './api';
import type { ChatSessions } from './chats';
import type { ChatHistory } from './history';
import type { ChatSession } from './session';
import { IChatInfo } from './wire';

export interface INotebookChatsOptions {
  sessions: ChatSessions;
  history: ChatHistory;
  /** `notebook` was closed and is forgotten. */
  forgotten: (notebook: NotebookPanel) => void;
  /** `notebook` was renamed. */
  renamed: (notebook: NotebookPanel) => void;
}

export class NotebookChats {
  constructor(options: INotebookChatsOptions) {
    this._options = options;
  }

  /**
   * The session shown for `notebook`: null for none yet (New chat),
   * undefined while it is not loaded.
   */
  get(notebook: NotebookPanel): ChatSession | null | undefined {
    return this._byNotebook.get(notebook);
  }

  set(notebook: NotebookPanel, session: ChatSession | null): void {
    this._byNotebook.set(notebook, session);
  }

  /** Make `chat` (or no chat) the one shown for `notebook`. */
  show(notebook: NotebookPanel, chat: IChatInfo | null): ChatSession | null {
    const previous = this._byNotebook.get(notebook);
    const session = chat ? this._options.sessions.open(chat) : null;
    this._byNotebook.set(notebook, session);
    if (previous && previous !== session && !previous.model.busy) {
      // One chat per notebook in this page: the old one's socket closes (a
      // running one stays: it still brings its run's cells to this notebook).
      this._options.sessions.close(previous.id);
    }
    return session;
  }

  /**
   * The chat a collaborator started on `notebook` since it was loaded here
   * with none (the chat is the notebook's, whoever asked first), shown;
   * null when there is none, or one is shown already.
   */
  async adopt(notebook: NotebookPanel): Promise<ChatSession | null> {
    let chat: IChatInfo | null = null;
    try {
      chat = (await api.listChats(notebook.context.path)).chats[0] ?? null;
    } catch {
      return null; // it stays as it was: New chat
    }
    if (!chat || notebook.isDisposed || this._byNotebook.get(notebook)) {
      return null;
    }
    const session = this._options.sessions.open(chat);
    this._byNotebook.set(notebook, session);
    return session;
  }

  /** Chat files of `notebook` that could not be read, said for the user. */
  problems(notebook: NotebookPanel): readonly string[] | undefined {
    return this._problems.get(notebook);
  }

  /** The rules last read for `notebook`, if any. */
  rules(notebook: NotebookPanel): readonly string[] | undefined {
    return this._rules.get(notebook);
  }

  /**
   * Ask the server which rules apply to `notebook` (its AGENTS.md files,
   * `c.CodeAct.instructions`); null when it cannot say.
   */
  async readRules(notebook: NotebookPanel): Promise<readonly string[] | null> {
    let rules: readonly string[];
    try {
      rules = (await api.rules(notebook.context.path)).files;
    } catch (error) {
      console.warn('CodeAct: cannot read the rules of the notebook', error);
      return null;
    }
    this._rules.set(notebook, rules);
    return rules;
  }

  /**
   * Load the chat of `notebook` (its newest, if it has one), without
   * showing it: a notebook open in this page holds the agent's changes.
   */
  open(notebook: NotebookPanel): Promise<ChatSession | null> {
    let loading = this._loading.get(notebook);
    if (!loading) {
      loading = this._load(notebook);
      this._loading.set(notebook, loading);
    }
    return loading;
  }

  private async _load(notebook: NotebookPanel): Promise<ChatSession | null> {
    if (!this._watched.has(notebook)) {
      this._watched.add(notebook);
      notebook.disposed.connect(() => this._forget(notebook));
      notebook.context.pathChanged.connect(() =>
        this._options.renamed(notebook)
      );
    }
    await notebook.context.ready;
    let chat: IChatInfo | null = null;
    try {
      const listing = await api.listChats(notebook.context.path);
      chat = listing.chats[0] ?? null;
      this._options.history.set(notebook, listing.chats);
      this._problems.set(notebook, listing.problems ?? []);
      this._options.sessions.heardOf(listing.chats);
    } catch (error) {
      console.warn('CodeAct: cannot list the chats of the notebook', error);
    }
    if (notebook.isDisposed) {
      return null;
    }
    const known = this._byNotebook.get(notebook);
    if (known) {
      return known; // a chat made meanwhile (New chat, or a first message)
    }
    const session = chat ? this._options.sessions.open(chat) : null;
    this._byNotebook.set(notebook, session);
    return session;
  }

  /**
   * A notebook was closed: close its chats' sockets (a run goes on in the
   * server, which writes the notebook's file from now on).
   */
  private _forget(notebook: NotebookPanel): void {
    this._watched.delete(notebook);
    this._problems.delete(notebook);
    this._loading.delete(notebook);
    this._options.history.forget(notebook);
    this._byNotebook.delete(notebook);
    // Every chat of this notebook, shown or still running behind another.
    this._options.sessions.closeAll(notebook.context.path);
    this._options.forgotten(notebook);
  }

  private _options: INotebookChatsOptions;
  private _byNotebook = new Map<NotebookPanel, ChatSession | null>();
  private _loading = new Map<NotebookPanel, Promise<ChatSession | null>>();
  private _watched = new Set<NotebookPanel>();
  private _rules = new WeakMap<NotebookPanel, readonly string[]>();
  private _problems = new Map<NotebookPanel, readonly string[]>();
}
