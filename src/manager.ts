/**
 * The chats of this page: one per notebook, following the active notebook,
 * restored from the server on reload. Every open notebook that has a chat
 * keeps that chat's socket open, so that the server knows the page holds
 * the notebook (and sends it the agent's changes) even when another
 * notebook is the active one.
 */
import { NotebookPanel } from '@jupyterlab/notebook';
import { UUID } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import { api } from './api';
import type { NotebookExecutor } from './executor';
import { ChatHistory } from './history';
import { ChatModel } from './model';
import { ModelChoices } from './modelchoice';
import { ChatSession } from './session';
import {
  ActionStyle,
  ApprovalMode,
  ICodeActChats,
  ICodeActSettings
} from './tokens';
import { TrustModel } from './trust';
import { IChatInfo, IPublicConfig } from './wire';

export interface IChatManagerOptions {
  executor: NotebookExecutor;
  settings: () => ICodeActSettings;
  /** The approval mode the user chose, or null to follow the server's. */
  userApprovalMode: () => ApprovalMode | null;
  /** The action style the user set, or null to follow the server's. */
  userActionStyle?: () => ActionStyle | null;
  /** Open a new notebook, for a message sent while none is open. */
  createNotebook: () => Promise<NotebookPanel | null>;
  /** Whether the user wants the agent's outputs rendered untrusted. */
  untrustedOutputs?: () => boolean;
}

/**
 * What the panel shows: the notebook followed, its chat (if it has one
 * yet), and whether the chat list is still loading.
 */
export interface IChatView {
  notebook: NotebookPanel | null;
  session: ChatSession | null;
  loading: boolean;
  /**
   * Where the rules the agent follows for this notebook come from
   * (AGENTS.md files, `c.CodeAct.instructions`); empty when none apply.
   */
  rules?: readonly string[];
  /** Chat files of the notebook that could not be read, said for the user. */
  problems?: readonly string[];
}

export class ChatManager implements ICodeActChats {
  constructor(options: IChatManagerOptions) {
    this._options = options;
    this.models = new ModelChoices(options.settings);
    this.models.changed.connect(() => this._changed.emit(undefined));
    this.history = new ChatHistory({
      notebook: () => this._view.notebook,
      show: (notebook, chat) => this._show(notebook, chat),
      isShown: (notebook, chatId) =>
        this._byNotebook.get(notebook)?.id === chatId,
      close: chatId => {
        this._sessions.get(chatId)?.dispose();
        this._sessions.delete(chatId);
      },
      retitled: (chatId, title) => {
        this._titles.set(chatId, title);
        this._titlesChanged.emit(undefined);
      }
    });
    void this.refreshConfig();
    void this.models.refresh();
  }

  /** The models the endpoint offers, and the user's pick. */
  readonly models: ModelChoices;

  /** Each notebook's chats, to reopen, rename or delete. */
  readonly history: ChatHistory;

  /** One id per page load: the server recognises a reconnecting page. */
  readonly clientId = UUID.uuid4();

  /**
   * The followed notebook's project files waiting for the user's trust;
   * trusting one changes the rules that apply.
   */
  readonly trust = new TrustModel({
    onDecided: () => {
      const notebook = this._view.notebook;
      if (notebook) {
        void this._refreshRules(notebook);
      }
    }
  });

  get executor(): NotebookExecutor {
    return this._options.executor;
  }

  get view(): IChatView {
    return this._view;
  }

  get current(): ChatModel | null {
    return this._view.session?.model ?? null;
  }

  /** The server's configuration (null until loaded). */
  get config(): IPublicConfig | null {
    return this._config;
  }

  /**
   * The approval mode for the next message: the user's choice, else the
   * server's configured default. The server's `ask` is a floor that the
   * user's choice cannot lower (the server enforces it too).
   */
  get approvalMode(): ApprovalMode {
    if (this.approvalRequired) {
      return 'ask';
    }
    return (
      this._options.userApprovalMode() ??
      this._config?.approval_mode ??
      this._options.settings().approvalMode
    );
  }

  /** Whether the server requires approval (`c.CodeAct.approval_mode = "ask"`). */
  get approvalRequired(): boolean {
    return this._config?.approval_mode === 'ask';
  }

  /** Why the configuration could not be loaded, if it could not. */
  get configError(): string | null {
    return this._configError;
  }

  get currentChanged(): ISignal<ICodeActChats, ChatModel | null> {
    return this._currentChanged;
  }

  /**
   * Where cell `cellId` of the followed notebook is now (0-based index of
   * how many cells), or null when it is not there.
   */
  cellPosition(cellId: string): { index: number; count: number } | null {
    const cells = this._view.notebook?.content.widgets ?? [];
    const index = cells.findIndex(cell => cell.model.id === cellId);
    return index < 0 ? null : { index, count: cells.length };
  }

  /**
   * The title of chat `chatId`, if this page has heard of it.
   */
  chatTitle(chatId: string): string | null {
    return (
      this._sessions.get(chatId)?.model.chat?.title ??
      this._titles.get(chatId) ??
      null
    );
  }

  /** Emitted when chat titles may have changed. */
  get titlesChanged(): ISignal<this, void> {
    return this._titlesChanged;
  }

  /** Emitted when `view`, `config` or `configError` change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  async refreshConfig(): Promise<void> {
    try {
      this._config = await api.config();
      this._configError = null;
    } catch (error) {
      this._configError = String((error as Error).message ?? error);
    }
    this._changed.emit(undefined);
  }

  /**
   * Follow `notebook` (the active one): show its chat, loading the newest
   * from the server the first time.
   */
  follow(notebook: NotebookPanel | null): Promise<void> {
    if (notebook === this._view.notebook) {
      if (notebook && this._byNotebook.get(notebook) === null) {
        // A collaborator may have started its chat since: adopt it.
        void this._adopt(notebook, this._ticket);
      }
      return this._following;
    }
    this._following = this._follow(notebook);
    return this._following;
  }

  private async _follow(notebook: NotebookPanel | null): Promise<void> {
    const ticket = ++this._ticket;
    if (!notebook) {
      this._setView({ notebook: null, session: null, loading: false });
      void this.trust.refresh(null);
      return;
    }
    const known = this._byNotebook.get(notebook);
    const problems = this._problems.get(notebook);
    if (known !== undefined) {
      this._setView({ notebook, session: known, loading: false, problems });
      void this._refreshRules(notebook);
      if (known === null) {
        void this._adopt(notebook, ticket);
      }
      return;
    }
    this._setView({ notebook, session: null, loading: true });
    const session = await this.open(notebook);
    void this._refreshRules(notebook);
    if (ticket !== this._ticket) {
      return;
    }
    this._setView({
      notebook,
      session,
      loading: false,
      problems: this._problems.get(notebook)
    });
  }

  /**
   * The chat a collaborator started on `notebook` since it was loaded here
   * with none (the chat is the notebook's, whoever asked first).
   */
  private async _adopt(notebook: NotebookPanel, ticket: number): Promise<void> {
    let chat: IChatInfo | null = null;
    try {
      chat = (await api.listChats(notebook.context.path)).chats[0] ?? null;
    } catch {
      return; // it stays as it was: New chat
    }
    if (!chat || notebook.isDisposed || this._byNotebook.get(notebook)) {
      return;
    }
    const session = this._open(chat);
    this._byNotebook.set(notebook, session);
    if (ticket === this._ticket) {
      this._setView({
        notebook,
        session,
        loading: false,
        problems: this._problems.get(notebook)
      });
    }
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
      // The header shows the notebook's name.
      notebook.context.pathChanged.connect(() => this._changed.emit(undefined));
    }
    await notebook.context.ready;
    let chat: IChatInfo | null = null;
    try {
      const listing = await api.listChats(notebook.context.path);
      chat = listing.chats[0] ?? null;
      this.history.set(notebook, listing.chats);
      this._problems.set(notebook, listing.problems ?? []);
      for (const known of listing.chats) {
        this._titles.set(known.id, known.title);
      }
      this._titlesChanged.emit(undefined);
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
    const session = chat ? this._open(chat) : null;
    this._byNotebook.set(notebook, session);
    return session;
  }

  /**
   * Send `text` to the current notebook's chat; a notebook and a chat are
   * created when missing. The notebook's context goes with it;
   * `options.fixCell` is the id of the user's cell the request is about
   * (the agent may then propose a change to it).
   */
  async send(text: string, options: { fixCell?: string } = {}): Promise<void> {
    let notebook = this._view.notebook;
    if (!notebook) {
      notebook = await this._options.createNotebook();
      if (!notebook) {
        throw new Error('No notebook could be opened for the chat.');
      }
    }
    await this.follow(notebook);
    await notebook.context.ready;
    const session = this._view.session ?? (await this._newSession(notebook));
    let context: string | null = null;
    try {
      context = await this.executor.context(notebook, session.id);
    } catch (error) {
      console.warn('CodeAct: cannot read the notebook context', error);
    }
    const settings = this._options.settings();
    session.send(text, context, {
      ...this.models.request(),
      approval: this.approvalMode,
      actionStyle: this._options.userActionStyle?.() ?? null,
      replaceFailed: settings.replaceFailedCells,
      userCell: options.fixCell
        ? this.executor.grant(session.id, options.fixCell)
        : undefined,
      userCellId: options.fixCell,
      selectedCell: notebook.content.activeCell?.model.id,
      position: settings.insertPosition,
      narrate: settings.narrate,
      untrusted: this._options.untrustedOutputs?.() ?? false
    });
    // The run reads the rules again: an AGENTS.md may have changed.
    void this._refreshRules(notebook);
  }

  stop(): void {
    this._view.session?.stop();
  }

  /**
   * Start a new chat for the current notebook; the earlier ones stay in
   * its history (an empty chat is kept rather than another one made).
   */
  async newChat(): Promise<void> {
    const notebook = this._view.notebook;
    if (!notebook) {
      return;
    }
    const previous = this._view.session;
    if (previous && !previous.model.entries.length) {
      return;
    }
    if (previous?.model.busy) {
      previous.stop();
    }
    await this._newSession(notebook);
  }

  dispose(): void {
    for (const session of this._sessions.values()) {
      session.dispose();
    }
    this._sessions.clear();
    Signal.clearData(this);
  }

  private async _newSession(notebook: NotebookPanel): Promise<ChatSession> {
    const chat = await api.createChat(notebook.context.path);
    this.history.add(notebook, chat);
    return this._show(notebook, chat)!;
  }

  /** Make `chat` (or no chat) the one shown for `notebook`. */
  private _show(
    notebook: NotebookPanel,
    chat: IChatInfo | null
  ): ChatSession | null {
    const previous = this._byNotebook.get(notebook);
    const session = chat ? this._open(chat) : null;
    this._byNotebook.set(notebook, session);
    if (previous && previous !== session && !previous.model.busy) {
      // One chat per notebook in this page: the old one's socket closes (a
      // running one stays: it still brings its run's cells to this notebook).
      this._sessions.delete(previous.id);
      previous.dispose();
    }
    if (this._view.notebook === notebook) {
      this._setView({ ...this._view, session, loading: false });
    }
    return session;
  }

  private _open(chat: IChatInfo): ChatSession {
    let session = this._sessions.get(chat.id);
    if (!session) {
      session = new ChatSession({
        chat,
        clientId: this.clientId,
        executor: this.executor
      });
      this._sessions.set(chat.id, session);
      session.model.changed.connect(() => {
        const title = session!.model.chat?.title;
        if (title && title !== this._titles.get(chat.id)) {
          this._titles.set(chat.id, title);
          this._titlesChanged.emit(undefined);
          this.history.retitle(chat.id, title);
        }
      });
    }
    return session;
  }

  /**
   * A notebook was closed: close its chat's socket (the run goes on in the
   * server, which writes the notebook's file from now on).
   */
  private _forget(notebook: NotebookPanel): void {
    this._watched.delete(notebook);
    this._problems.delete(notebook);
    this._loading.delete(notebook);
    this.history.forget(notebook);
    this._byNotebook.delete(notebook);
    // Every chat of this notebook, shown or still running behind another.
    for (const session of [...this._sessions.values()]) {
      if (session.model.chat?.path === notebook.context.path) {
        this._sessions.delete(session.id);
        session.dispose();
      }
    }
    if (this._view.notebook === notebook) {
      void this.follow(null);
    }
  }

  /**
   * Ask the server which rules apply to `notebook` (and which of its
   * project's files wait for trust), and show them if it is still the one
   * followed.
   */
  private async _refreshRules(notebook: NotebookPanel): Promise<void> {
    // Which files wait for trust changes with the same files.
    void this.trust.refresh(notebook.context.path);
    let rules: readonly string[];
    try {
      rules = (await api.rules(notebook.context.path)).files;
    } catch (error) {
      console.warn('CodeAct: cannot read the rules of the notebook', error);
      return;
    }
    this._rules.set(notebook, rules);
    if (this._view.notebook === notebook) {
      this._view = { ...this._view, rules };
      this._changed.emit(undefined);
    }
  }

  private _setView(view: IChatView): void {
    const before = this._view.session;
    if (view.notebook && view.rules === undefined) {
      view = { ...view, rules: this._rules.get(view.notebook) ?? [] };
    }
    this._view = view;
    this._changed.emit(undefined);
    if (before !== view.session) {
      this._currentChanged.emit(view.session?.model ?? null);
    }
  }

  private _options: IChatManagerOptions;
  private _view: IChatView = { notebook: null, session: null, loading: false };
  private _config: IPublicConfig | null = null;
  private _configError: string | null = null;
  private _ticket = 0;
  private _following: Promise<void> = Promise.resolve();
  private _sessions = new Map<string, ChatSession>();
  private _byNotebook = new Map<NotebookPanel, ChatSession | null>();
  private _loading = new Map<NotebookPanel, Promise<ChatSession | null>>();
  private _watched = new Set<NotebookPanel>();
  private _rules = new WeakMap<NotebookPanel, readonly string[]>();
  private _problems = new Map<NotebookPanel, readonly string[]>();
  private _changed = new Signal<this, void>(this);
  private _titles = new Map<string, string>();
  private _titlesChanged = new Signal<this, void>(this);
  private _currentChanged = new Signal<ICodeActChats, ChatModel | null>(this);
}
