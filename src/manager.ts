/**
 * The chats of this page: one per notebook, following the active notebook,
 * restored from the server on reload. Every open notebook that has a chat
 * keeps that chat's socket open, so that the server knows the page holds
 * the notebook (and sends it the agent's changes) even when another
 * notebook is the active one.
 *
 * About 380 lines, on purpose: the page's one coordinator (following the
 * active notebook, what the panel shows, sending a request), whose surface
 * is what the panel and other extensions read (`ICodeActChats`). What it
 * delegates has modules of its own: the open sessions and titles
 * (`chats.ts`), what is known of each notebook (`notebookchats.ts`), the
 * server's configuration (`serverconfig.ts`), the user's choices for a
 * request (`requestchoices.ts`).
 */
import { NotebookPanel } from '@jupyterlab/notebook';
import { UUID } from '@lumino/coreutils';
import { ISignal, Signal } from '@lumino/signaling';

import { api } from './api';
import { ChatSessions } from './chats';
import type { NotebookExecutor } from './executor';
import { ChatHistory } from './history';
import { ChatModel } from './model';
import { ModelChoices } from './modelchoice';
import { NotebookChats } from './notebookchats';
import { IRequestChoicesOptions, RequestChoices } from './requestchoices';
import { ServerConfig } from './serverconfig';
import type { ChatSession } from './session';
import { ApprovalMode, ICodeActChats } from './tokens';
import { TrustModel } from './trust';
import { IChatInfo, IPublicConfig } from './wire';

export interface IChatManagerOptions extends Omit<
  IRequestChoicesOptions,
  'server' | 'models'
> {
  executor: NotebookExecutor;
  /** Open a new notebook, for a message sent while none is open. */
  createNotebook: () => Promise<NotebookPanel | null>;
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
    this._sessions = new ChatSessions({
      clientId: this.clientId,
      executor: options.executor,
      retitled: (chatId, title) => this.history.retitle(chatId, title)
    });
    this._server.changed.connect(() => this._changed.emit(undefined));
    this.models = new ModelChoices(options.settings);
    this.models.changed.connect(() => this._changed.emit(undefined));
    this._choices = new RequestChoices({
      ...options,
      server: this._server,
      models: this.models
    });
    this.history = new ChatHistory({
      notebook: () => this._view.notebook,
      show: (notebook, chat) => this._show(notebook, chat),
      isShown: (notebook, chatId) =>
        this._notebooks.get(notebook)?.id === chatId,
      close: chatId => this._sessions.close(chatId),
      retitled: (chatId, title) => this._sessions.setTitle(chatId, title)
    });
    this._notebooks = new NotebookChats({
      sessions: this._sessions,
      history: this.history,
      forgotten: notebook => {
        if (this._view.notebook === notebook) {
          void this.follow(null);
        }
      },
      // The header shows the notebook's name.
      renamed: () => this._changed.emit(undefined)
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
    return this._server.value;
  }

  /** The approval mode for the next message (see `requestchoices.ts`). */
  get approvalMode(): ApprovalMode {
    return this._choices.approvalMode;
  }

  /** Whether the server requires approval (`c.CodeAct.approval_mode = "ask"`). */
  get approvalRequired(): boolean {
    return this._choices.approvalRequired;
  }

  /** Why the configuration could not be loaded, if it could not. */
  get configError(): string | null {
    return this._server.error;
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
    return this._sessions.title(chatId);
  }

  /** Emitted when chat titles may have changed. */
  get titlesChanged(): ISignal<ChatSessions, void> {
    return this._sessions.titlesChanged;
  }

  /** Emitted when `view`, `config` or `configError` change. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  refreshConfig(): Promise<void> {
    return this._server.refresh();
  }

  /**
   * Follow `notebook` (the active one): show its chat, loading the newest
   * from the server the first time.
   */
  follow(notebook: NotebookPanel | null): Promise<void> {
    if (notebook === this._view.notebook) {
      if (notebook && this._notebooks.get(notebook) === null) {
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
    const known = this._notebooks.get(notebook);
    const problems = this._notebooks.problems(notebook);
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
      problems: this._notebooks.problems(notebook)
    });
  }

  /**
   * The chat a collaborator started on `notebook` since it was loaded here
   * with none (the chat is the notebook's, whoever asked first).
   */
  private async _adopt(notebook: NotebookPanel, ticket: number): Promise<void> {
    const session = await this._notebooks.adopt(notebook);
    if (session && ticket === this._ticket) {
      this._setView({
        notebook,
        session,
        loading: false,
        problems: this._notebooks.problems(notebook)
      });
    }
  }

  /**
   * Load the chat of `notebook` (its newest, if it has one), without
   * showing it: a notebook open in this page holds the agent's changes.
   */
  open(notebook: NotebookPanel): Promise<ChatSession | null> {
    return this._notebooks.open(notebook);
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
    session.send(text, context, {
      ...this._choices.now(),
      userCell: options.fixCell
        ? this.executor.grant(session.id, options.fixCell)
        : undefined,
      userCellId: options.fixCell,
      selectedCell: notebook.content.activeCell?.model.id
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
    this._sessions.dispose();
    this._server.dispose();
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
    const session = this._notebooks.show(notebook, chat);
    if (this._view.notebook === notebook) {
      this._setView({ ...this._view, session, loading: false });
    }
    return session;
  }

  /**
   * Ask the server which rules apply to `notebook` (and which of its
   * project's files wait for trust), and show them if it is still the one
   * followed.
   */
  private async _refreshRules(notebook: NotebookPanel): Promise<void> {
    // Which files wait for trust changes with the same files.
    void this.trust.refresh(notebook.context.path);
    const rules = await this._notebooks.readRules(notebook);
    if (rules && this._view.notebook === notebook) {
      this._view = { ...this._view, rules };
      this._changed.emit(undefined);
    }
  }

  private _setView(view: IChatView): void {
    const before = this._view.session;
    if (view.notebook && view.rules === undefined) {
      view = { ...view, rules: this._notebooks.rules(view.notebook) ?? [] };
    }
    this._view = view;
    this._changed.emit(undefined);
    if (before !== view.session) {
      this._currentChanged.emit(view.session?.model ?? null);
    }
  }

  private _options: IChatManagerOptions;
  private _view: IChatView = { notebook: null, session: null, loading: false };
  private _server = new ServerConfig();
  private _choices: RequestChoices;
  private _ticket = 0;
  private _following: Promise<void> = Promise.resolve();
  private _sessions: ChatSessions;
  private _notebooks: NotebookChats;
  private _changed = new Signal<this, void>(this);
  private _currentChanged = new Signal<ICodeActChats, ChatModel | null>(this);
}
