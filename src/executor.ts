/**
 * The page's notebook executor: the one module (with `notebook/`) that
 * touches notebooks. It no longer runs anything: the server runs the
 * agent's actions on the notebook's own kernel. It
 *
 * - applies the server's document operations to the notebooks open in this
 *   page (`notebook/apply.ts`), and answers its questions about them
 *   (`notebook/inspect.ts`);
 * - reads a notebook for the chat's context;
 * - asks the user: the approvals the server holds (Run / Edit / Skip, and a
 *   change to the user's own cell shown as a diff in that cell), answered
 *   here or in any other page of the chat.
 */
import { Cell } from '@jupyterlab/cells';
import { IDocumentManager } from '@jupyterlab/docmanager';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Contents } from '@jupyterlab/services';
import type { CommandRegistry } from '@lumino/commands';
import { ISignal, Signal } from '@lumino/signaling';

import { ApprovalDecision, Approvals, IPendingApproval } from './approvals';
import { IContextLimits } from './context';
import { ApplierState, appliedMarks, applyOps } from './notebook/apply';
import { lookAt, Look } from './notebook/changes';
import { adoptDiskWrites } from './notebook/disk';
import { inspectCell } from './notebook/inspect';
import { followShared } from './notebook/shared';
import { insertAnswer } from './notebook/narration';
import { cellInfo, readContext } from './notebook/read';
import { ICodeActSettings } from './tokens';
import {
  DocumentOp,
  IApproval,
  IDiskWrite,
  IFacts,
  IInspectMessage
} from './wire';

export type { ApprovalDecision, IPendingApproval } from './approvals';
export { cellProvenance } from './notebook/provenance';
export { insertionIndex } from './notebook/placement';
export type { IPlacement } from './notebook/placement';

/** The first letter of the ids this page gives the user's cells. */
export const USER_CELL_PREFIX = 'u';

export interface INotebookExecutorOptions {
  tracker: INotebookTracker;
  docManager: IDocumentManager;
  /** The current user settings. */
  settings: () => ICodeActSettings;
  /** The expression that summarises the kernel's variables (from the server). */
  variablesExpression: () => Promise<string | null>;
  /** Whether to render the agent's cells' outputs untrusted (sanitized). */
  untrustedOutputs?: () => boolean;
  /** The contents service (to take a file the server wrote as the page's). */
  contents?: Contents.IManager;
  /** JupyterLab's commands (to restart the kernel and run the notebook). */
  commands?: CommandRegistry;
}

export class NotebookExecutor {
  constructor(options: INotebookExecutorOptions) {
    this._options = options;
    this._approvals = new Approvals(path => this.panel(path), options.tracker);
  }

  // -- documents ------------------------------------------------------------

  /**
   * The notebook at `path` in this page, once loaded; null if it is not open.
   */
  panel(path: string): NotebookPanel | null {
    const panel = this._options.tracker.find(
      widget => widget.context.path === path
    );
    return panel && panel.context.isReady && panel.content.model ? panel : null;
  }

  /**
   * What the copy of `path` in this page holds (the last operation applied,
   * per chat); null when the notebook is not open here.
   */
  applied(path: string): Record<string, number> | null {
    const panel = this.panel(path);
    return panel ? appliedMarks(panel) : null;
  }

  /**
   * Apply document operations of chat `chatId` to the notebook at `path`;
   * `disk`: the server's writes of its file while this page was away.
   * Resolves to whether the notebook is open here.
   */
  async apply(
    path: string,
    chatId: string,
    ops: readonly DocumentOp[],
    disk?: readonly IDiskWrite[]
  ): Promise<boolean> {
    const panel = this.panel(path);
    if (!panel) {
      return false;
    }
    const touched = applyOps({
      panel,
      chatId,
      ops,
      state: this._state(panel),
      untrusted: this._options.untrustedOutputs?.() ?? false
    });
    for (const cell of panel.content.widgets) {
      if (touched.has(cell.model.id)) {
        this._seen(chatId, cell);
      }
    }
    if (disk?.length && this._options.contents) {
      await adoptDiskWrites(
        panel,
        disk,
        appliedMarks(panel),
        this._options.contents
      );
    }
    return true;
  }

  /**
   * Follow operations of chat `chatId` that the server wrote into the shared
   * notebook at `path` (real-time collaboration): they arrive through the
   * room, never applied here. Resolves once they have arrived, to whether
   * the notebook is open here.
   */
  async follow(
    path: string,
    chatId: string,
    ops: readonly DocumentOp[]
  ): Promise<boolean> {
    const panel = this.panel(path);
    if (!panel) {
      return false;
    }
    await followShared({
      panel,
      ops,
      seen: cell => this._seen(chatId, cell)
    });
    return true;
  }

  /**
   * The server's question about the notebook at `path`; null when the
   * notebook is not open here.
   */
  inspect(question: IInspectMessage): IFacts | null {
    const panel = this.panel(question.path);
    return panel ? inspectCell(panel, question) : null;
  }

  // -- approvals (held by the server; see `approvals.ts`) --------------------

  /** Emitted when an approval is added or answered. */
  get approvalsChanged(): ISignal<Approvals, void> {
    return this._approvals.changed;
  }

  /** The action waiting for approval under `requestId`, if any. */
  pendingApproval(requestId: string): IPendingApproval | undefined {
    return this._approvals.get(requestId);
  }

  /** The action waiting for approval as notebook cell `cellId`, if any. */
  pendingInCell(cellId: string): IPendingApproval | undefined {
    return this._approvals.inCell(cellId);
  }

  /** The pending changes to the user's cells, newest last. */
  pendingChanges(): IPendingApproval[] {
    return this._approvals.changes();
  }

  /** What waits for the user in chat `chatId` now (null: nothing). */
  setApproval(
    chatId: string,
    approval: IApproval | null,
    answer: (decision: ApprovalDecision) => void
  ): void {
    this._approvals.set(chatId, approval, answer);
  }

  /** Edit the pending cell of approval `requestId` in the notebook. */
  editPending(requestId: string): Promise<void> {
    return this._approvals.edit(requestId);
  }

  /** Answer a pending approval (here, or in the cell's diff). */
  decide(requestId: string, decision: ApprovalDecision): void {
    this._approvals.decide(requestId, decision);
  }

  /**
   * Allow chat `chatId` to propose a change to the user's cell `cellId`
   * (Fix the Error); returns the id the model uses for it.
   */
  grant(chatId: string, cellId: string): string {
    const grants = this._grants.get(chatId) ?? new Map<string, string>();
    this._grants.set(chatId, grants);
    for (const [ref, id] of grants) {
      if (id === cellId) {
        return ref;
      }
    }
    const ref = `${USER_CELL_PREFIX}${Math.random().toString(16).slice(2, 6)}`;
    grants.set(ref, cellId);
    return ref;
  }

  // -- context --------------------------------------------------------------

  /**
   * The context of notebook `panel` for a message of chat `chatId`,
   * bounded: the notebook as it is now, the chat's own cells, and what the
   * user changed since the chat last looked.
   */
  async context(
    panel: NotebookPanel,
    chatId: string | null = null,
    limits: Partial<IContextLimits> = {}
  ): Promise<string> {
    const { text, look } = await readContext({
      panel,
      chatId,
      before: chatId ? (this._looks.get(chatId) ?? null) : null,
      variablesExpression: this._options.variablesExpression,
      limits: { cells: this._options.settings().contextCells, ...limits }
    });
    if (chatId) {
      this._looks.set(chatId, look);
    }
    return text;
  }

  /**
   * Show cell `cellId` of notebook `path`: open the notebook, select the
   * cell and scroll to it. Resolves to whether the cell was found.
   */
  async reveal(path: string, cellId: string): Promise<boolean> {
    const panel = this._options.docManager.openOrReveal(path) as
      NotebookPanel | undefined;
    if (!panel || !(panel instanceof NotebookPanel)) {
      return false;
    }
    await panel.context.ready;
    const notebook = panel.content;
    const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
    if (index < 0) {
      return false;
    }
    notebook.deselectAll();
    notebook.activeCellIndex = index;
    await notebook.scrollToCell(notebook.widgets[index], 'center');
    return true;
  }

  /**
   * Restart the kernel of notebook `path` and run all its cells, with
   * JupyterLab's own command (which asks the user first): after an undo,
   * the kernel's state follows the cells again.
   */
  async restartAndRun(path: string): Promise<void> {
    const panel = this._options.docManager.openOrReveal(path);
    if (!(panel instanceof NotebookPanel) || !this._options.commands) {
      return;
    }
    await panel.context.ready;
    await this._options.commands.execute('notebook:restart-run-all', {
      activate: true
    });
  }

  /**
   * Insert the final answer `text` of chat `chatId` as a markdown cell of
   * notebook `path`, below the chat's last cell (the user asked: a page
   * edit like any of theirs). Resolves to the cell id.
   */
  async insertAnswer(
    path: string,
    chatId: string,
    text: string
  ): Promise<string | null> {
    const panel = this.panel(path);
    if (!panel) {
      return null;
    }
    const cell = insertAnswer({
      notebook: panel.content,
      chatId,
      text,
      lastCellId: null,
      position: this._options.settings().insertPosition
    });
    if (!cell) {
      return null;
    }
    this._seen(chatId, cell);
    return cell.model.id;
  }

  /**
   * Forget everything (the page is going away).
   */
  dispose(): void {
    this._approvals.dispose();
    Signal.clearData(this);
  }

  private _state(panel: NotebookPanel): ApplierState {
    let state = this._states.get(panel);
    if (!state) {
      state = new ApplierState();
      this._states.set(panel, state);
    }
    return state;
  }

  /** The chat has seen `cell` as it is now (the agent wrote or ran it). */
  private _seen(chatId: string, cell: Cell): void {
    const look = this._looks.get(chatId);
    if (look && !cell.isDisposed) {
      const info = cellInfo(cell);
      lookAt(look, { ...info, outputs: [] });
    }
  }

  private _options: INotebookExecutorOptions;
  private _approvals: Approvals;
  private _grants = new Map<string, Map<string, string>>();
  private _looks = new Map<string, Look>();
  private _states = new WeakMap<NotebookPanel, ApplierState>();
}
